"""Real-journal drawing habits the generated plots do not have: strokes converted to filled outline pieces (dashes,
one capsule per segment), ticks drawn as thin outlined bars, data lines touching the axis, a stray label."""

import math

import numpy as np

from extractors.figures.axes import AxisLine, CalAxis, calibrate, tick_marks
from extractors.figures.common import Shape, TextLine
from extractors.figures.ticks import parse_tick
from extractors.figures.vector import _drop_shared_marker_positions, _Group, _join_lines, _outline_piece_lines

BOX = (50.0, 50.0, 250.0, 200.0)


def _quad(idx, x0, y0, x1, y1, thick=1.0, fill="#0000d4"):
    """A stroke piece from (x0, y0) to (x1, y1) as a filled quad `thick` across."""
    dx, dy = x1 - x0, y1 - y0
    n = math.hypot(dx, dy)
    ox, oy = -dy / n * thick / 2, dx / n * thick / 2
    pts = [(x0 + ox, y0 + oy), (x1 + ox, y1 + oy), (x1 - ox, y1 - oy), (x0 - ox, y0 - oy)]
    segs = [(*pts[i], *pts[(i + 1) % 4]) for i in range(4)]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return Shape(idx, None, fill, 0.0, False, (min(xs), min(ys), max(xs), max(ys)), segs, 0, True)


def _curve_y(x):
    return 180.0 - 0.5 * (x - 60.0) + 0.002 * (x - 60.0) ** 2


def test_dashes_drawn_as_filled_pieces_become_one_dashed_line():
    shapes, x, k = [], 60.0, 0
    while x < 240:
        x1 = x + 3.0
        shapes.append(_quad(k, x, _curve_y(x), x1, _curve_y(x1)))
        x, k = x1 + 2.0, k + 1
    groups, rest = _outline_piece_lines(shapes, BOX)
    assert not rest and len(groups) == 1
    g = groups[0]
    assert g.kind == "line" and g.dashed and g.color == "#0000d4"
    pts = np.asarray(g.points)
    assert np.all(np.diff(pts[:, 0]) > 0)  # in order along the curve
    assert np.abs(pts[:, 1] - _curve_y(pts[:, 0])).max() < 0.05


def test_capsules_of_a_dense_curve_become_one_solid_line():
    xs = np.linspace(60, 240, 200)
    shapes = [_quad(i, xs[i], _curve_y(xs[i]), xs[i + 1], _curve_y(xs[i + 1]), thick=0.8) for i in range(len(xs) - 1)]
    groups, rest = _outline_piece_lines(shapes, BOX)
    assert not rest and len(groups) == 1 and not groups[0].dashed
    assert len(groups[0].points) >= 150


def test_filled_markers_are_not_pieces():
    squares = [Shape(i, None, "#ff0000", 0.0, False, (60 + 20 * i, 100, 64 + 20 * i, 104),
                     [(60 + 20 * i, 100, 64 + 20 * i, 100), (64 + 20 * i, 100, 64 + 20 * i, 104),
                      (64 + 20 * i, 104, 60 + 20 * i, 104), (60 + 20 * i, 104, 60 + 20 * i, 100)], 0, True)
               for i in range(8)]
    groups, rest = _outline_piece_lines(squares, BOX)
    assert groups == [] and len(rest) == 8


def test_line_split_into_paths_is_joined():
    a = _Group("line", ("k",), points=[(60, 100), (80, 110), (100, 105)], color="#000000", width=0.5)
    b = _Group("line", ("k",), points=[(140, 90), (120, 95), (100.2, 105.1)], color="#000000", width=0.5)
    c = _Group("line", ("r",), points=[(60, 60), (70, 70), (80, 80)], color="#ff0000", width=0.5)
    out = _join_lines([a, b, c])
    assert len(out) == 2 and [p[0] for p in out[0].points] == [60, 80, 100, 120, 140]


def test_outline_rings_shared_by_filled_and_open_markers_are_split():
    filled = [(60.0 + 10 * i, 100.0) for i in range(6)]
    opened = [(60.0 + 10 * i, 150.0) for i in range(6)]
    rings = _Group("markers", ("ring",), points=sorted(filled + opened), color="#00ff00")
    rings.shapes = list(range(12))
    dots = _Group("markers", ("dot",), points=list(filled), color="#00ff00")
    dots.shapes = list(range(6))
    _drop_shared_marker_positions([rings, dots])
    assert sorted(rings.points) == opened and dots.points == filled


def _tick(idx, y, length, x=50.0, width=None):
    """A y-axis tick at height y pointing into the plot; as a stroked segment or a filled bar `width` thick."""
    if width is None:
        return Shape(idx, "#000000", None, 0.5, False, (x, y, x + length, y), [(x, y, x + length, y)])
    y0, y1 = y - width / 2, y + width / 2
    return Shape(idx, None, "#000000", 0.0, False, (x, y0, x + length, y1),
                 [(x, y0, x + length, y0), (x + length, y0, x + length, y1), (x + length, y1, x, y1), (x, y1, x, y0)])


def _yaxis(values, ys):
    labels = []
    for v, y in zip(values, ys, strict=True):
        t = TextLine(str(v), (38.0, y - 3.5, 46.0, y + 3.5), 7.0)
        labels.append((t, parse_tick(t.text)))
    return CalAxis(AxisLine("v", 50.0, 40.0, 200.0), "left", labels)


def test_tick_drawn_as_thin_bar_is_one_mark():
    marks = tick_marks([_tick(0, 100.0, 4.0, width=0.5)], _yaxis([0, 1], [100.0, 60.0]))
    assert len(marks) == 1 and abs(marks[0][0] - 100.0) < 1e-6


def test_data_lines_touching_the_axis_do_not_pass_for_ticks():
    ys = [190.0, 160.0, 130.0, 100.0, 70.0]
    shapes = [_tick(i, y, 4.0) for i, y in enumerate(ys)]
    # curves starting at the axis: short segments longer than the ticks, near the labels
    shapes += [_tick(10 + i, y + 1.6, 9.0) for i, y in enumerate(ys[:3])]
    ax = _yaxis([0, 5, 10, 15, 20], [y + 0.9 for y in ys])  # label centres a little off the ticks (OCR boxes)
    calibrate(ax, shapes, [], 0.002)
    assert ax.problem is None and ax.used_ticks
    assert ax.fit.residual < 1e-6 and abs(ax.fit.to_data([145.0])[0] - 7.5) < 1e-6


def test_one_stray_label_among_five_is_dropped():
    ys = [190.0, 160.0, 130.0, 100.0, 70.0, 40.0]
    shapes = [_tick(i, y, 4.0) for i, y in enumerate(ys)]
    ax = _yaxis([0, 5, 10, 2, 20, 25], ys)  # "15" misread as "2"
    calibrate(ax, shapes, [], 0.002)
    assert ax.problem is None and abs(ax.fit.to_data([100.0])[0] - 15.0) < 1e-6


def test_dashes_drawn_as_short_stroked_polylines_become_one_line():
    shapes, x, k = [], 60.0, 0
    while x < 240:
        xs = np.linspace(x, x + 2.0, 5)
        segs = [(xs[i], _curve_y(xs[i]), xs[i + 1], _curve_y(xs[i + 1])) for i in range(4)]
        ys = [_curve_y(v) for v in xs]
        shapes.append(Shape(k, "#000000", None, 0.5, False, (x, min(ys), x + 2.0, max(ys)), segs))
        x, k = x + 3.5, k + 1
    groups, rest = _outline_piece_lines(shapes, BOX)
    assert not rest and len(groups) == 1 and groups[0].dashed
    pts = np.asarray(groups[0].points)
    assert np.abs(pts[:, 1] - _curve_y(pts[:, 0])).max() < 1e-6


def test_two_labels_that_do_not_line_up_calibrate_nothing():
    ys = [190.0, 130.0]
    ax = _yaxis([0, 1], ys)
    t0, v0 = ax.labels[0]
    ax.labels[0] = (TextLine(t0.text, (20.0, t0.bbox[1], 26.0, t0.bbox[3]), 7.0), v0)  # far left of the column
    from extractors.figures.axes import _one_row

    assert _one_row(ax.labels, "v", "left") == []


def test_legend_sample_column_is_not_a_series():
    from extractors.figures.vector import _legend_column

    col = _Group("markers", ("m",), points=[(200.0, 60.0 + 8 * i) for i in range(4)], color="#000000")
    data = _Group("markers", ("m",), points=[(60.0 + 20 * i, 150.0 - 9 * i) for i in range(4)], color="#000000")
    assert _legend_column(col) and not _legend_column(data)


def test_curve_outline_sharing_a_path_with_its_legend_sample_is_read():
    from extractors.figures.vector import _outline_centre, _subpaths

    xs = np.linspace(60, 240, 60)
    top = [(x, _curve_y(x) - 0.4) for x in xs]
    bottom = [(x, _curve_y(x) + 0.4) for x in xs[::-1]]
    ring = top + bottom + [top[0]]
    sample = [(200, 60), (220, 60), (220, 60.8), (200, 60.8), (200, 60)]
    segs = [(*a, *b) for a, b in zip(ring, ring[1:], strict=False)] + [(*a, *b) for a, b in zip(sample, sample[1:], strict=False)]
    s = Shape(0, None, "#1a1aa3", 0.0, False, (60, 60, 240, 190), segs, 0, False)
    parts = _subpaths(s)
    assert len(parts) == 2
    pts = np.asarray(_outline_centre(s, BOX, parts[0]))
    assert len(pts) >= 50 and np.abs(pts[:, 1] - _curve_y(pts[:, 0])).max() < 0.01


def test_frame_drawn_as_filled_ring_and_ticks_as_one_path_of_bars():
    from extractors.figures.axes import merge_lines, straight_lines

    def rect(x0, y0, x1, y1):
        return [(x0, y0, x1, y0), (x1, y0, x1, y1), (x1, y1, x0, y1), (x0, y1, x0, y0)]

    ring = Shape(0, None, "#000000", 0.0, False, (49.8, 49.8, 250.2, 200.2),
                 rect(49.8, 49.8, 250.2, 200.2) + rect(50.2, 50.2, 249.8, 199.8), 0, True)
    ticks = Shape(1, None, "#000000", 0.0, False, (50.0, 60.0, 54.0, 190.2),
                  [g for y in (70.0, 130.0, 190.0) for g in rect(50.0, y - 0.2, 54.0, y + 0.2)])
    hs, vs = straight_lines([ring, ticks])
    assert any(abs(ln.pos - 200.0) < 0.3 for ln in merge_lines(hs, "h"))
    left = [ln for ln in merge_lines(vs, "v") if abs(ln.pos - 50.0) < 0.3]
    assert left
    ax = _yaxis([20, 10, 0], [70.0, 130.0, 190.0])
    ax.line = left[0]
    assert [round(p, 3) for p, _ in tick_marks([ring, ticks], ax)] == [70.0, 130.0, 190.0]

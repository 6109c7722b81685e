"""Marker and second-axis habits of real journals: markers clipped by the plot frame, lone markers that the glyph
reader took for characters, connecting lines broken at each marker, arrows pointing a curve to its y axis."""

import numpy as np

from extractors.figures.common import Shape, TextLine
from extractors.figures.vector import (
    _add_clipped_markers,
    _drop_arrows,
    _drop_giant_glyph_words,
    _drop_text_glyphs,
    _Group,
    _marker_centre,
    _merge_line_markers,
    _outline_piece_lines,
    _right_by_arrows,
    _right_by_titles,
    _size_clusters,
)
from schemas.figure import Axis

BOX = (50.0, 50.0, 250.0, 200.0)


def _square(idx, x0, y0, x1, y1, fill="#ff0000"):
    segs = [(x0, y0, x1, y0), (x1, y0, x1, y1), (x1, y1, x0, y1), (x0, y1, x0, y0)]
    return Shape(idx, None, fill, 0.0, False, (x0, y0, x1, y1), segs, 0, True)


def test_marker_clipped_by_the_frame_joins_its_set_at_its_true_centre():
    full = [_square(i, 80 + 30 * i, 120, 84 + 30 * i, 124) for i in range(4)]
    clipped = _square(9, 248.0, 100, 250.0, 104)  # a 4 pt square centred on the right frame, half cut away
    clusters = _add_clipped_markers(_size_clusters(full + [clipped]), BOX)
    assert len(clusters) == 1 and len(clusters[0]) == 5
    assert _marker_centre(clipped, full[0], BOX) == (250.0, 102.0)


def test_small_shape_away_from_the_frame_stays_apart():
    full = [_square(i, 80 + 30 * i, 120, 84 + 30 * i, 124) for i in range(4)]
    small = _square(9, 150, 100, 152, 102)
    clusters = _add_clipped_markers(_size_clusters(full + [small]), BOX)
    assert sorted(len(c) for c in clusters) == [1, 4]


def test_marker_symbol_and_lone_circle_words_are_not_text():
    m = [_square(i, 80 + 30 * i, 120, 84 + 30 * i, 124) for i in range(5)]
    words = [TextLine("●", (80, 120, 84, 124), 6.0, (1.0, 0.0)),
             TextLine("O", (110, 120, 114, 124), 6.0, (1.0, 0.0)),
             TextLine("K", (140, 120, 144, 124), 6.0, (1.0, 0.0)),
             TextLine("Temperature", (100, 210, 160, 216), 6.0, (1.0, 0.0))]
    lines, text = _drop_giant_glyph_words(m, words, {0, 1, 2})
    assert [t.text for t in lines] == ["K", "Temperature"]  # a letter is not taken for a marker
    assert text == {2}


def test_long_line_piece_between_markers_is_no_letter():
    sq = [_square(0, 100, 100, 103, 103, "#000000"), _square(1, 120, 100, 123, 103, "#000000")]
    bar = Shape(2, None, "#000000", 0.0, False, (103, 101.2, 120, 101.8),
                [(103, 101.2, 120, 101.2), (120, 101.2, 120, 101.8), (120, 101.8, 103, 101.8),
                 (103, 101.8, 103, 101.2)], 0, True)
    text = [TextLine("0.5", (60, 210, 70, 216), 6.0, (1.0, 0.0))]
    assert len(_drop_text_glyphs(sq + [bar], text)) == 3


def test_line_broken_at_each_marker_is_the_markers_polyline():
    pts = [(60.0 + 30 * i, 150.0 - 10 * i + 5 * (i % 2)) for i in range(6)]
    m = _Group("markers", ("m",), points=list(pts), color="#ff0000")
    pieces = []
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):  # noqa: B905
        a, b = np.array([x0, y0]), np.array([x1, y1])
        u = (b - a) / np.hypot(*(b - a))
        p0, p1 = a + 3 * u, b - 3 * u  # stops short of both markers
        pieces.append(_Group("line", ("l",), points=[tuple(p0), tuple((p0 + p1) / 2), tuple(p1)], color="#ff0000"))
    out = _merge_line_markers([m, *pieces])
    assert len(out) == 1 and out[0].kind == "line+markers" and len(out[0].points) == 6


def test_markers_with_stray_points_keep_their_fit_line_apart():
    data = [(60.0 + 30 * i, 150.0) for i in range(5)]
    strays = [(150.0, 100.0), (170.0, 95.0), (190.0, 98.0)]  # legend samples among the markers
    m = _Group("markers", ("m",), points=sorted(data + strays), color="#000000")
    ln = _Group("line", ("l",), points=list(data), color="#000000")
    out = _merge_line_markers([m, ln])
    assert len(out) == 2


def test_arrow_is_dropped_and_names_the_right_axis():
    curve_l = _Group("line+markers", ("a",), points=[(60, 180), (150, 150), (240, 100)], color="#000000")
    curve_r = _Group("line+markers", ("b",), points=[(60, 80), (150, 90), (240, 70)], color="#ff0000")
    shaft = _Group("line", ("s",), points=[(100, 95), (101, 95), (130, 95), (131, 95)], color="#ff0000")
    head = Shape(50, None, "#ff0000", 0.0, False, (130, 93.5, 134, 96.5),
                 [(130, 93.5, 134, 95), (134, 95, 130, 96.5), (130, 96.5, 130, 93.5)], 0, True)
    groups, arrows = _drop_arrows([curve_l, curve_r, shaft], [head], 10.0)
    assert groups == [curve_l, curve_r] and len(arrows) == 1
    assert arrows[0][1][0] > arrows[0][0][0]  # points right
    assert _right_by_arrows(groups, arrows) == {id(curve_r)}


def test_ambiguous_arrow_assigns_nothing():
    a = _Group("line", ("a",), points=[(60, 100), (240, 100)], color="#000000")
    b = _Group("line", ("b",), points=[(60, 110), (240, 110)], color="#ff0000")
    assert _right_by_arrows([a, b], [((100.0, 105.0), (130.0, 105.0))]) is None


def test_title_naming_a_legend_label_keeps_that_series_on_its_axis():
    a = _Group("line", ("a",), points=[(60, 100)], color="#0000ff", label="scaling exponent q")
    b = _Group("line", ("b",), points=[(60, 110)], color="#ff0000", label="field Bc2(0)")
    ya = Axis(title="scalingexponentq", side="left")
    y2a = Axis(title=None, side="right")
    assert _right_by_titles([a, b], ya, y2a) == {id(b)}
    assert _right_by_titles([a, b], Axis(title="Temperature (K)"), y2a) is None


def test_dashed_upright_line_is_a_guide_not_a_series():
    from extractors.figures.vector import _guide_line

    guide = _Group("line", ("g",), points=[(120.0, 60.0), (120.0, 80.0), (120.0, 100.0)], color="#808080", dashed=True)
    level = _Group("line", ("h",), points=[(60.0, 120.0), (120.0, 120.0), (200.0, 120.0)], color="#000000", dashed=True)
    solid = _Group("line", ("s",), points=[(120.0, 60.0), (120.0, 100.0)], color="#000000")
    assert _guide_line(guide) and not _guide_line(level) and not _guide_line(solid)


def test_legend_frame_and_its_samples_are_found():
    from extractors.figures.axes import AxisLine, CalAxis, Panel
    from extractors.figures.vector import _text_frames

    frame = Shape(1, "#000000", None, 0.5, False, (180, 60, 240, 90),
                  [(180, 60, 240, 60), (240, 60, 240, 90), (240, 90, 180, 90), (180, 90, 180, 60)], 0, True)
    label = TextLine("50 mT", (200, 70, 230, 78), 6.0, (1.0, 0.0))
    ax = CalAxis(AxisLine("h", 200.0, 50.0, 250.0), "bottom", [])
    ay = CalAxis(AxisLine("v", 50.0, 50.0, 200.0), "left", [])
    p = Panel(BOX, ax, ay)
    assert _text_frames(p, [frame], [label], set()) == [(180, 60, 240, 90)]
    assert _text_frames(p, [frame], [], set()) == []  # an empty box is not a legend


def test_lone_zero_is_a_marker_only_when_stroked():
    rings = [Shape(i, "#000000", None, 0.5, False, (80 + 30 * i, 120, 84 + 30 * i, 124),
                   [(80 + 30 * i, 122, 84 + 30 * i, 122), (84 + 30 * i, 122, 80 + 30 * i, 122)], 2, True)
             for i in range(4)]
    glyphs = [Shape(10 + i, None, "#000000", 0.0, False, (80 + 30 * i, 150, 84 + 30 * i, 154),
                    [(80 + 30 * i, 152, 84 + 30 * i, 152), (84 + 30 * i, 152, 80 + 30 * i, 152)], 2, True)
              for i in range(4)]
    words = [TextLine("0", (80, 120, 84, 124), 6.0, (1.0, 0.0)), TextLine("0", (80, 150, 84, 154), 6.0, (1.0, 0.0))]
    lines, text = _drop_giant_glyph_words(rings + glyphs, words, {0, 10})
    assert [t.bbox[1] for t in lines] == [150] and text == {10}


def test_short_fit_line_ending_on_a_data_marker_is_no_arrow():
    marks = [_square(i, 98 + 15 * i, 93, 102 + 15 * i, 97, fill="#ff0000") for i in range(3)]
    m = _Group("markers", ("m",), marks, [(s.cx, s.cy) for s in marks], color="#ff0000")
    fit = _Group("line", ("f",), points=[(60.0, 95.0), (80.0, 95.0), (130.0, 95.0)], color="#ff0000")
    groups, arrows = _drop_arrows([m, fit], marks, 10.0)
    assert len(groups) == 2 and arrows == []


def test_fit_line_running_past_the_markers_stays_its_own_series():
    data = [(150.0 + 10 * i, 120.0 + 8 * i + (1.5 if i % 2 else -1.5)) for i in range(8)]
    fit = [(60.0 + 5 * i, 60.0 + 0.35 * (5 * i) ** 1.2) for i in range(30)]  # from x = 60, far left of the data
    m = _Group("markers", ("m",), points=list(data), color="#0000ff")
    ln = _Group("line", ("l",), points=[p for p in fit if p[0] <= 230], color="#0000ff")
    ln.points = [(x, 120.0 + 0.8 * (x - 150.0)) if x >= 150 else (x, 120.0 - 0.1 * (150 - x)) for x, _ in ln.points]
    out = _merge_line_markers([m, ln])
    assert len(out) == 2 and {g.kind for g in out} == {"markers", "line"}


def test_plus_markers_drawn_as_filled_bars_are_no_dashed_line():
    shapes = []
    for i in range(8):  # "+" markers converted to outlines: a level and an upright bar, 3.2 x 0.8 pt, per marker
        x, y = 80.0 + 4.0 * i, 120.0 - 2.0 * i
        shapes.append(_square(2 * i, x - 1.6, y - 0.4, x + 1.6, y + 0.4, fill="#cf5980"))
        shapes.append(_square(2 * i + 1, x - 0.4, y - 1.6, x + 0.4, y + 1.6, fill="#cf5980"))
    groups, keep = _outline_piece_lines(shapes, BOX)
    assert groups == [] and len(keep) == 16

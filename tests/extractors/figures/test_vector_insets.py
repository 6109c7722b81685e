"""What lies inside a plot area but is not its data: an inset plot (a smaller axes frame with its own ticks), a legend
frame drawn as a filled outline with a drop shadow, legend rows whose labels were not read, drawn symbols of a
schematic; and a dense curve that runs far out of the plot area, drawn clipped, which is data."""

import pymupdf

from extractors.figures.common import Shape, page_inputs
from extractors.figures.vector import _chains, _frame_outline, _spanning_curve, _unread_legend, digitize_vector

BLACK = (0, 0, 0)


def _axes(page, x0=100.0, y0=100.0, x1=400.0, y1=300.0):
    """A framed plot area with five labelled ticks on x (0..40) and on y (0..8)."""
    page.draw_rect(pymupdf.Rect(x0, y0, x1, y1), color=BLACK, width=1.0)
    for i in range(5):
        x = x0 + i * (x1 - x0) / 4
        page.draw_line((x, y1), (x, y1 + 4), color=BLACK, width=1.0)
        page.insert_text((x - 5, y1 + 16), str(10 * i), fontsize=10)
        y = y1 - i * (y1 - y0) / 4
        page.draw_line((x0 - 4, y), (x0, y), color=BLACK, width=1.0)
        page.insert_text((x0 - 18, y + 3.5), str(2 * i), fontsize=10)


def _read(doc):
    page = doc[0]
    shapes, lines, n = page_inputs(page, tuple(page.rect))
    return digitize_vector(shapes, lines, tuple(page.rect), paper_id="t", figure_id="f", page=1, n_page_drawings=n)


def _y_of(v, y0=100.0, y1=300.0):  # data y (0..8) -> page y
    return y1 - v / 8 * (y1 - y0)


def _x_of(v, x0=100.0, x1=400.0):  # data x (0..40) -> page x
    return x0 + v / 40 * (x1 - x0)


def test_inset_plot_is_not_data_of_the_panel():
    doc = pymupdf.open()
    page = doc.new_page(width=500, height=400)
    _axes(page)
    main = [(_x_of(x), _y_of(1 + 0.15 * x)) for x in range(0, 41, 2)]
    page.draw_polyline(main, color=(1, 0, 0), width=1.0)
    # the inset: a white background, a frame with its own ticks and unreadably small labels, a curve of its own
    page.draw_rect(pymupdf.Rect(280, 110, 390, 190), color=None, fill=(1, 1, 1), width=0)
    page.draw_rect(pymupdf.Rect(295, 115, 385, 175), color=BLACK, width=0.5)
    for k in range(4):
        page.draw_line((295 + 30 * k, 175), (295 + 30 * k, 177), color=BLACK, width=0.5)
        page.draw_line((293, 175 - 20 * k), (295, 175 - 20 * k), color=BLACK, width=0.5)
    page.draw_polyline([(296 + 4 * k, 170 - 2 * k) for k in range(22)], color=(0, 0, 1), width=1.0)
    res = _read(doc)
    assert res.status == "digitized", res.reason
    assert len(res.series) == 1, [(s.style.color, len(s.points)) for s in res.series]
    s = res.series[0]
    assert s.style.color == "#ff0000"
    assert abs(s.points[0][1] - 1.0) < 0.05 and abs(s.points[-1][1] - 7.0) < 0.05


def test_text_frame_with_shadow_drawn_as_a_filled_outline_is_no_series():
    doc = pymupdf.open()
    page = doc.new_page(width=500, height=400)
    _axes(page)
    page.draw_polyline([(_x_of(x), _y_of(1 + 0.1 * x)) for x in range(0, 41, 2)], color=(1, 0, 0), width=1.0)
    # frame 300..380 x 110..150 with a 1.5 pt shadow right and below, one filled path: the outer outline, then the
    # inner one (as a journal's drawing program writes it)
    ring = [(300.5, 110.5), (300, 110), (300, 150), (301.5, 151.5), (381.5, 151.5), (381.5, 111.5), (380, 110),
            (300, 110), (300.5, 110.5), (300.5, 149.5), (379.5, 149.5), (379.5, 110.5), (300.5, 110.5)]
    page.draw_polyline(ring, color=None, fill=BLACK, closePath=True)
    page.insert_text((310, 133), "T = 40 K", fontsize=9)  # a text box (a legend whose samples are not found)
    res = _read(doc)
    assert res.status == "digitized", res.reason
    assert [s.style.color for s in res.series] == ["#ff0000"], [(s.style.color, s.points[:3]) for s in res.series]


def test_frame_outline_has_its_vertices_on_its_box():
    ring = Shape(0, None, "#000000", 0.0, False, (300, 110, 381.5, 151.5),
                 [(300, 110, 300, 150), (300, 150, 301.5, 151.5), (301.5, 151.5, 381.5, 151.5),
                  (381.5, 151.5, 381.5, 111.5), (381.5, 111.5, 380, 110), (380, 110, 300, 110)], 0, True)
    zigzag = Shape(1, None, "#000000", 0.0, False, (300, 110, 380, 150),
                   [(300, 150, 340, 110), (340, 110, 380, 150), (380, 150, 340, 130), (340, 130, 300, 150)], 0, True)
    assert _frame_outline(ring) and not _frame_outline(zigzag)


def _glyph(idx, x, y, w, h, kind):
    """A letter as a filled outline: `kind` sets its form (the number of curve pieces)."""
    segs = [(x + w * k / (6 + kind), y + (k % 2) * h, x + w * (k + 1) / (6 + kind), y + ((k + 1) % 2) * h)
            for k in range(6 + kind)]
    return Shape(idx, None, "#000000", 0.0, False, (x, y, x + w, y + h), segs, 4 + kind, True)


class _P:
    box = (100.0, 100.0, 400.0, 300.0)


def test_legend_rows_with_unread_labels_are_found():
    shapes, k = [], 0
    for row, colour in enumerate(("#ff0000", "#0000ff", "#00aa00")):
        y = 120 + 12 * row
        shapes.append(Shape(k, colour, None, 1.0, False, (300, y + 3, 318, y + 3), [(300, y + 3, 318, y + 3)]))
        k += 1
        for j in range(4):  # the unread label: four letters of different forms
            shapes.append(_glyph(k, 322 + 5 * j, y, 4, 6, j))
            k += 1
    data = [Shape(100 + i, None, "#ff0000", 0.0, False, (150 + 10 * i, 250, 154 + 10 * i, 254),
                  [(150 + 10 * i, 250, 154 + 10 * i, 250), (154 + 10 * i, 250, 154 + 10 * i, 254),
                   (154 + 10 * i, 254, 150 + 10 * i, 254), (150 + 10 * i, 254, 150 + 10 * i, 250)], 4, True)
            for i in range(6)]
    found = _unread_legend(_P(), shapes + data, set())
    assert found == {s.idx for s in shapes}


def test_one_row_or_a_run_of_markers_is_no_legend():
    line = Shape(0, "#ff0000", None, 1.0, False, (140, 253, 148, 253), [(140, 253, 148, 253)])
    # a run of identical filled circles right of a short line: data, not a text row
    dots = [Shape(1 + i, None, "#000000", 0.0, False, (150 + 5 * i, 250, 154 + 5 * i, 256),
                  [(150 + 5 * i, 250, 154 + 5 * i, 256)] * 8, 4, True) for i in range(5)]
    row = [_glyph(10 + j, 322 + 5 * j, 120, 4, 6, j) for j in range(4)]
    sample = Shape(20, "#0000ff", None, 1.0, False, (300, 123, 318, 123), [(300, 123, 318, 123)])
    assert _unread_legend(_P(), [line, *dots, sample, *row], set()) == set()


def test_closed_symbol_of_a_schematic_is_no_line():
    lens = Shape(0, "#000000", None, 0.7, False, (116, 322, 122, 346),
                 [(116, 340, 122, 346), (122, 346, 122, 322), (122, 322, 116, 328), (116, 328, 116, 340)], 0, True)
    curve = Shape(1, "#000000", None, 0.7, False, (100, 100, 200, 150),
                  [(100 + 10 * i, 150 - 5 * i, 110 + 10 * i, 145 - 5 * i) for i in range(10)])
    out = _chains([lens, curve], (90, 90, 300, 400))
    assert [m[0].idx for _, m in out] == [1]


def test_dense_clipped_curve_is_a_curve_and_a_frame_is_not():
    # a time series of vertical steps at close x, ending in a wild excursion far off the plot area
    segs, x, y = [], 100.0, 110.0
    for _ in range(300):
        segs.append((x, y, x, y + 0.2))
        y += 0.2
        segs.append((x, y, x + 0.5, y))
        x += 0.5
    segs.append((x, y, x, y - 5000))
    segs.append((x, y - 5000, x + 1, y + 5000))
    curve = Shape(0, "#4472c4", None, 1.0, False, (100, y - 5000, x + 1, y + 5000), segs)
    assert _spanning_curve(curve)
    frame = [(100, 100, 400, 100), (400, 100, 400, 300), (400, 300, 100, 300), (100, 300, 100, 100)]
    for i in range(60):  # ticks out and back along the bottom, one path
        xt = 100 + 5 * i
        frame += [(xt, 300, xt, 303), (xt, 303, xt, 300)]
    frame_shape = Shape(1, "#000000", None, 1.0, False, (100, 100, 400, 303), frame)
    assert not _spanning_curve(frame_shape)


def test_coloured_curve_along_the_frame_is_data_and_a_tick_row_is_not():
    from extractors.figures.vector import _Group, _on_frame

    box = (100.0, 100.0, 400.0, 300.0)
    flat = _Group("line", ("c",), points=[(100 + 3 * i, 100.4) for i in range(60)], color="#4472c4")
    ticks = _Group("line", ("t",), points=[(100 + 10 * i, 300.0) for i in range(30)], color="#000000")
    assert not _on_frame(flat, box) and _on_frame(ticks, box)


def test_fill_running_out_and_back_along_itself_paints_nothing():
    from extractors.figures.vector import _encloses_nothing

    pts = [(442.0, 412.4), (452.1, 412.9), (462.0, 414.1), (470.7, 416.7), (477.4, 422.0), (482.5, 454.5)]
    path = pts + pts[-2::-1]
    shaft = Shape(0, None, "#000000", 0.0, False, (442, 412.4, 482.5, 454.5),
                  [(*a, *b) for a, b in zip(path[:-1], path[1:], strict=True)], 0, True)
    capsule = Shape(1, None, "#000000", 0.0, False, (100, 100, 140, 100.6),
                    [(100, 100, 140, 100), (140, 100, 140, 100.6), (140, 100.6, 100, 100.6), (100, 100.6, 100, 100)],
                    0, True)
    assert _encloses_nothing(shaft) and not _encloses_nothing(capsule)


def test_legend_sample_in_two_parts_is_taken_whole():
    shapes, k = [], 0
    for row, colour in enumerate(("#000000", "#808000", "#00ff00")):
        y = 120 + 12 * row
        for x0 in (211.0, 234.8):  # two line pieces, each with its marker (open, then filled)
            shapes.append(Shape(k, None, colour, 0.0, False, (x0, y + 2.6, x0 + 21.8, y + 3.4),
                                [(x0, y + 2.6, x0 + 21.8, y + 2.6), (x0 + 21.8, y + 2.6, x0 + 21.8, y + 3.4),
                                 (x0 + 21.8, y + 3.4, x0, y + 3.4), (x0, y + 3.4, x0, y + 2.6)] * 4, 4, True))
            k += 1
        for j in range(3):
            shapes.append(_glyph(k, 260 + 5 * j, y, 4, 6.8, j))
            k += 1
    assert _unread_legend(_P(), shapes, set()) == {s.idx for s in shapes}


def test_two_dashes_between_markers_are_no_marker_set():
    from extractors.figures.vector import _dash_run
    from tests.extractors.figures.test_vector_pieces import _quad

    dashes = [_quad(i, 383.4 + 5.9 * i, 446.5 - 3.6 * i, 386.3 + 5.9 * i, 444.7 - 3.6 * i, thick=0.6) for i in range(3)]
    assert _dash_run(dashes, 200, 150)
    across = [_quad(i, 100 + 6 * i, 100, 100 + 6 * i, 103, thick=0.6) for i in range(3)]  # upright bars in a row
    assert not _dash_run(across, 200, 150)


def test_short_spur_of_a_chain_is_not_joined_by_a_jump_back():
    import numpy as np

    from extractors.figures.vector import _walk

    cen = np.array([[100.0 + 2 * i, 100.0 + i] for i in range(40)] + [[110.0, 97.0], [110.0, 94.0]])
    adj = {i: [j for j in (i - 1, i + 1) if 0 <= j < 40] for i in range(40)}
    adj[5] = adj[5] + [40]  # a two-piece spur off piece 5
    adj[40] = [5, 41]
    adj[41] = [40]
    order = _walk(list(range(42)), adj, cen)
    steps = np.diff(cen[order][:, 0])
    assert len(order) >= 40 and np.abs(steps).max() < 5


def test_fit_line_drawn_as_thin_quads_between_markers_joins_them():
    from extractors.figures.vector import _Group, _merge_line_markers

    centres = [(100.0, 200.0), (120.0, 180.0), (220.0, 100.0), (226.0, 95.0)]
    marks = _Group("markers", ("m",), points=list(centres), color="#000000",
                   shapes=[Shape(i, None, "#000000", 0.0, False, (x - 2.7, y - 2.7, x + 2.7, y + 2.7)) for i, (x, y)
                           in enumerate(centres)])
    # the line stops at each marker's edge; the last two markers all but touch, with no piece between them
    b1 = _Group("line", ("b",), points=[(102.0, 198.0), (118.0, 182.0)], color="#000000", bridge=True)
    b2 = _Group("line", ("b",), points=[(122.5, 178.0), (217.5, 102.0)], color="#000000", bridge=True)
    out = _merge_line_markers([marks, b1, b2])
    assert [g.kind for g in out] == ["line+markers"]
    stray = _Group("line", ("b",), points=[(102.0, 150.0), (118.0, 150.0)], color="#000000", bridge=True)
    out = _merge_line_markers([_Group("markers", ("m",), points=list(centres), color="#000000"), stray])
    assert sorted(g.kind for g in out) == ["line", "markers"]  # a piece off the markers' polyline stays apart

"""Figures: caption labels, clustering of drawings, and figures found on pages built here with PyMuPDF."""

from __future__ import annotations

import pymupdf
import pytest

from pipeline.config import ParseConfig
from pipeline.parse.figures import _vector_clusters, caption_label, drawing_rects
from pipeline.parse.pdf import parse_pdf
from schemas import BlockKind

CFG = ParseConfig(tables=False)

BODY = (
    "The resistance of the sample was measured with a four-probe method between 2 and 300 K. "
    "The transition to the superconducting state is sharp and the onset lies at 92 K, close to the value "
    "reported for optimally doped films. Below the transition the resistance drops to zero within the "
    "resolution of the voltmeter, which shows that the whole sample carries a supercurrent."
)


@pytest.mark.parametrize(
    ("text", "bold", "expected"),
    [
        ("Figure 3. Critical current density at 77 K.", False, ("figure", "Fig. 3")),
        ("Fig. 12. Phase diagram.", False, ("figure", "Fig. 12")),
        ("FIG. 2: (color online) Spectra", False, ("figure", "Fig. 2")),
        ("Figure 4 | Trapped field", False, ("figure", "Fig. 4")),
        ("Figure 5 Magnetisation loops", True, ("figure", "Fig. 5")),  # bold label, no separator
        ("Table 1", False, ("table", "Table 1")),  # Elsevier: the label alone above the caption text
        ("TABLE II. Lattice parameters", False, ("table", "Table II")),
        ("Figure 1(b) shows the time sequence", False, None),  # running text
        ("Figure 5 shows the concentrated field", False, None),
        ("Tables of data are given below", False, None),
    ],
)
def test_caption_label(text, bold, expected):
    assert caption_label(text, bold) == expected


def test_clusters_keep_columns_apart_and_drop_rules():
    left = [(50 + i * 2.0, 100.0, 51 + i * 2.0, 101.0) for i in range(100)]  # marks in the left column, to x=249
    right = [(262 + i * 2.0, 100.0, 263 + i * 2.0, 160.0) for i in range(100)]  # 13 pt to the right of them
    rule = [(40.0, 300.0, 560.0, 300.5)]  # a full-width hairline: a separator, not a figure
    clusters = _vector_clusters(left + right + rule, 595.0, 842.0)
    boxes = sorted((round(g.x0), round(g.x1)) for g in clusters)
    assert boxes == [(262, 461)]  # the left marks are 1 pt high: a line of specks, not a figure
    tall = [(x0, y0, x1, y1 + 30) for x0, y0, x1, y1 in left]
    clusters = _vector_clusters(tall + right + rule, 595.0, 842.0)
    assert sorted((round(g.x0), round(g.x1), g.count) for g in clusters) == [(50, 249, 100), (262, 461, 100)]


def test_clustering_many_drawing_ops_is_cheap():
    marks = [(100 + (i % 400) * 0.5, 100 + (i // 400) * 0.5, 101 + (i % 400) * 0.5, 101 + (i // 400) * 0.5)
             for i in range(150_000)]
    clusters = _vector_clusters(marks, 595.0, 842.0)
    # no time assertion here: speed is measured by `make bench` (timed tests are flaky on shared CPUs)
    assert len(clusters) == 1 and clusters[0].count == 150_000


def _plot(page: pymupdf.Page, x0: float, y0: float, x1: float, y1: float, label: str) -> None:
    """A small line plot drawn as vector paths, with tick labels, axis titles and a rotated y title as text."""
    shape = page.new_shape()
    shape.draw_rect(pymupdf.Rect(x0, y0, x1, y1))
    pts = [pymupdf.Point(x0 + k * (x1 - x0) / 20, y1 - (y1 - y0) * (0.1 + 0.8 * (k > 9))) for k in range(21)]
    shape.draw_polyline(pts)
    for k in range(5):  # ticks
        x = x0 + k * (x1 - x0) / 4
        shape.draw_line(pymupdf.Point(x, y1), pymupdf.Point(x, y1 - 4))
    shape.finish(color=(0, 0, 0), width=0.8)
    shape.commit()
    for k, v in enumerate(("0", "100", "200", "300")):
        page.insert_text(pymupdf.Point(x0 + k * (x1 - x0) / 3 - 4, y1 + 10), v, fontsize=7)
    page.insert_text(pymupdf.Point((x0 + x1) / 2 - 30, y1 + 22), "Temperature (K)", fontsize=7)
    page.insert_text(pymupdf.Point(x0 - 12, (y0 + y1) / 2 + 25), label, fontsize=7, rotate=90)


@pytest.fixture(scope="module")
def plot_pdf(tmp_path_factory):
    """One page, two columns: body text on the left; on the right a vector plot, its caption, more text."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text(pymupdf.Point(50, 70), "1. Transport", fontsize=10, fontname="helvetica-bold")
    page.insert_textbox(pymupdf.Rect(50, 80, 290, 780), (BODY + " ") * 5, fontsize=10)
    _plot(page, 340, 70, 540, 220, "Resistance (mOhm)")
    page.insert_textbox(pymupdf.Rect(305, 262, 545, 300),
                        "Figure 1. Resistance of the sample versus temperature.", fontsize=9)
    page.insert_textbox(pymupdf.Rect(305, 310, 545, 780), BODY, fontsize=10)
    path = tmp_path_factory.mktemp("fig") / "plot.pdf"
    doc.save(path)
    return path


@pytest.fixture(scope="module")
def plot_doc(plot_pdf):
    return parse_pdf(plot_pdf, "plot", CFG)


def test_vector_plot_becomes_one_figure_tied_to_its_caption(plot_doc):
    (fig,) = plot_doc.figures
    cap = plot_doc.block(fig.caption_id)
    assert fig.label == "Fig. 1" and cap.kind == BlockKind.caption and cap.label == "Fig. 1"
    assert fig.caption == "Figure 1. Resistance of the sample versus temperature."
    assert fig.bbox.x0 <= 340 and fig.bbox.x1 >= 540 and fig.bbox.y0 <= 70 and fig.bbox.y1 >= 225
    assert fig.bbox.y1 <= cap.prov[0].bbox.y0


def test_figure_text_has_ticks_axis_titles_and_directions(plot_doc):
    (fig,) = plot_doc.figures
    by_text = {t.text: t for t in fig.text}
    assert {"0", "100", "200", "300", "Temperature (K)", "Resistance (mOhm)"} <= set(by_text)
    assert by_text["Resistance (mOhm)"].dir == (0.0, -1.0)  # set bottom to top
    assert by_text["100"].dir == (1.0, 0.0) and by_text["100"].size == 7.0
    body = " ".join(b.text for b in plot_doc.blocks)
    assert "Temperature (K)" not in body and "mOhm" not in body


def test_figure_drawings_index_get_drawings(plot_doc, plot_pdf):
    (fig,) = plot_doc.figures
    (ref,) = fig.drawings
    paths = pymupdf.open(plot_pdf)[0].get_drawings()
    assert ref.page == 1 and ref.n_paths == len(ref.indices) == len(paths)  # the plot is all the page draws
    assert ref.bbox.x0 == pytest.approx(340, abs=1) and ref.bbox.y1 == pytest.approx(220, abs=1)


def test_body_text_around_the_figure_stays_in_order(plot_doc):
    paras = [b for b in plot_doc.blocks if b.kind == BlockKind.paragraph]
    assert len(paras) == 2 and all(b.text.startswith("The resistance of the sample") for b in paras)
    assert paras[0].text == " ".join([BODY] * 5) and paras[0].section == ["1. Transport"]
    assert plot_doc.pages[0].columns == 2
    caption_at = next(i for i, b in enumerate(plot_doc.blocks) if b.kind == BlockKind.caption)
    left = [i for i, b in enumerate(plot_doc.blocks) if b.prov[0].bbox.x1 < 300]
    assert left and max(left) < caption_at  # left column first, then the right column's caption


def test_figures_off_still_keeps_figure_text_out_of_the_body(plot_pdf):
    doc = parse_pdf(plot_pdf, "plot", ParseConfig(tables=False, figures=False))
    assert doc.figures == []
    assert "Temperature (K)" not in doc.text()


def test_side_by_side_figures_go_to_their_own_captions(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    _plot(page, 80, 80, 270, 220, "Left axis")
    _plot(page, 340, 80, 530, 220, "Right axis")
    page.insert_textbox(pymupdf.Rect(50, 262, 290, 300), "Figure 1. Left panel of the study.", fontsize=9)
    page.insert_textbox(pymupdf.Rect(305, 262, 545, 300), "Figure 2. Right panel of the study.", fontsize=9)
    page.insert_textbox(pymupdf.Rect(50, 320, 290, 780), BODY, fontsize=10)
    page.insert_textbox(pymupdf.Rect(305, 320, 545, 780), BODY, fontsize=10)
    path = tmp_path / "two.pdf"
    doc.save(path)
    parsed = parse_pdf(path, "two", CFG)
    figs = {f.label: f for f in parsed.figures}
    assert set(figs) == {"Fig. 1", "Fig. 2"}
    assert figs["Fig. 1"].bbox.x1 < 300 < figs["Fig. 2"].bbox.x0
    assert "Left axis" in [t.text for t in figs["Fig. 1"].text]
    assert "Right axis" in [t.text for t in figs["Fig. 2"].text]


def test_drawing_rects_are_get_cdrawings_rects_with_fill_stroke_twins_merged():
    doc = pymupdf.open()
    page = doc.new_page()
    page.draw_rect(pymupdf.Rect(50, 50, 150, 120), color=(0, 0, 0), fill=(1, 0, 0))  # fill + stroke: one "fs"
    page.draw_line((60, 200), (300, 260), color=(0, 0, 1))  # stroke after a different path
    page.draw_rect(pymupdf.Rect(200, 50, 260, 90), color=None, fill=(0, 1, 0))  # a fill ...
    page.draw_rect(pymupdf.Rect(200, 50, 260, 90), color=(0, 0, 0))  # ... and a stroke of the same path: "fs"
    page.draw_rect(pymupdf.Rect(300, 50, 360, 90), color=None, fill=(0, 1, 0))  # a fill ...
    page.draw_rect(pymupdf.Rect(300, 50, 361, 90), color=(0, 0, 0))  # ... and a stroke of another path
    page.draw_circle((400, 400), 30, color=(0, 0, 0), fill=(0, 0, 1))
    drawings = page.get_cdrawings()
    assert [d["type"] for d in drawings] == ["fs", "s", "fs", "f", "s", "fs"]
    assert drawing_rects(page) == [d["rect"] for d in drawings]

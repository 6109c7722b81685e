"""Plots whose text is drawn as glyph outlines (no text layer), as in many journal PDFs: tick labels are OCR'd from
the outlines, positions still come from the vector tick marks, so calibration stays exact."""

import numpy as np
import pymupdf
import pytest

from extractors.figures.common import page_inputs
from extractors.figures.glyphs import GlyphFont, glyph_words, ocr_glyph_lines
from extractors.figures.vector import digitize_vector
from pipeline.figures.score import score_case


def _outlined(pdf):
    """The same plot with every glyph turned into a filled path (SVG with text as paths, back to PDF)."""
    with pymupdf.open(pdf) as src:
        svg = src[0].get_svg_image(text_as_path=True)
    with pymupdf.open("svg", svg.encode()) as s:
        return pymupdf.open("pdf", s.convert_to_pdf())


def _render(page):
    def render(box, zoom):
        pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=pymupdf.Rect(*box), alpha=False)
        return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)

    return render


@pytest.fixture(scope="module")
def outlined_case(quick_plots):
    case = next(c for c in quick_plots if len(c.panels) == 1 and "sci-offset" not in c.features)
    return case, _outlined(case.pdf)


def test_no_text_layer_means_no_axes_without_ocr(outlined_case):
    case, doc = outlined_case
    page = doc[0]
    shapes, lines, _ = page_inputs(page, tuple(page.rect))
    assert lines == []
    assert len(glyph_words(shapes)) >= 10
    res = digitize_vector(shapes, lines, tuple(page.rect))
    assert res.status in ("no_axes", "non_numeric") and not res.series


def test_ocr_of_outlines_calibrates_exactly(outlined_case):
    pytest.importorskip("rapidocr")
    case, doc = outlined_case
    page = doc[0]
    shapes, lines, _ = page_inputs(page, tuple(page.rect))
    glyph_lines, used = ocr_glyph_lines(shapes, _render(page))
    assert used and any(t.text.replace(".", "").isdigit() for t in glyph_lines)
    res = digitize_vector(shapes, glyph_lines, tuple(page.rect), text_shapes=used)
    assert res.status == "digitized", res.reason
    assert all(s.x.residual < 2e-3 and s.y.residual < 2e-3 for s in res.series)
    score = score_case(res, case.to_json())
    assert score.n_matched >= 1 and score.median_error < 1e-3


def test_word_sweep_joins_the_same_pairs_as_the_double_loop(monkeypatch, outlined_case):
    """The numpy sweep over x finds exactly the pairs of the plain double loop (random boxes, tiny pair chunks,
    and the glyphs of a real outlined plot), so words do not change with the speed-up."""
    import random

    from extractors.figures import glyphs
    from extractors.figures.common import Shape

    rnd = random.Random(7)
    for trial in range(60):
        gl = []
        for k in range(rnd.randint(1, 250)):
            x, y = rnd.choice([rnd.uniform(0, 200), round(rnd.uniform(0, 200), 1)]), rnd.uniform(0, 200)
            h = rnd.choice([rnd.uniform(0.3, 16), 2.0, 4.0])
            gl.append(Shape(idx=k, stroke=None, fill="#000000", width=0.0, dashed=False,
                            rect=(x, y, x + rnd.uniform(0.3, 8), y + h)))
        gl.sort(key=lambda s: s.rect[0])
        monkeypatch.setattr(glyphs, "_PAIR_CHUNK", rnd.randint(1, 40) if trial % 2 else 500_000)
        assert set(glyphs._word_edges(gl)) == set(glyphs._word_edges_slow(gl))
    _, doc = outlined_case
    shapes, _, _ = page_inputs(doc[0], tuple(doc[0].rect))
    gl = sorted((g for s in shapes if glyphs._glyph(s) for g in glyphs._explode(s)), key=lambda s: s.rect[0])
    assert set(glyphs._word_edges(gl)) == set(glyphs._word_edges_slow(gl)) != set()


def test_superscripts_are_read_only_under_a_read_base(monkeypatch, outlined_case):
    """An unreadable base drops its word, so its superscript is not sent to OCR (one crop per word then)."""
    _, doc = outlined_case
    page = doc[0]
    shapes, _, _ = page_inputs(page, tuple(page.rect))
    sent: list[int] = []

    def unreadable(crops):
        sent.append(len(crops))
        return [("", 0.0)] * len(crops)

    reads: list[int] = []
    real_read = GlyphFont.read

    def counted(self, words, crop, ocr):
        reads.append(len(words))
        return real_read(self, words, crop, ocr)

    monkeypatch.setattr(GlyphFont, "read", counted)
    lines, used = ocr_glyph_lines(shapes, _render(page), ocr=unreadable)
    assert lines == [] and used == set()
    assert reads[0] >= 10 and sum(reads[1:]) == 0  # the bases, each once; no superscript
    assert sum(sent) - reads[0] in (0, 2)  # and the rotated title, both ways round


def _circle(x, y, r=1.5, k=0):
    """A filled marker-like path (an octagon) centred on (x, y)."""
    import math

    from extractors.figures.common import Shape

    pts = [(x + r * math.cos(a * math.pi / 4), y + r * math.sin(a * math.pi / 4)) for a in range(9)]
    segs = [(*a, *b) for a, b in zip(pts, pts[1:], strict=False)]
    return Shape(idx=k, stroke=None, fill="#000000", width=0.0, dashed=False,
                 rect=(x - r, y - r, x + r, y + r), segments=segs)


def test_runs_of_identical_markers_are_not_words_but_repeated_digits_are():
    from extractors.figures.glyphs import marker_run

    rising = [_circle(10 + 2 * k, 50 - 1.2 * k, k=k) for k in range(5)]  # overlapping, climbing: a data run
    assert marker_run(rising)
    flat_overlapping = [_circle(10 + 2 * k, 50, k=k) for k in range(4)]  # dense markers on one level
    assert marker_run(flat_overlapping)
    one = _circle(8, 50, r=1.5, k=9)
    one = type(one)(idx=9, stroke=None, fill="#000000", width=0.0, dashed=False, rect=(7.5, 48.5, 8.5, 51.5),
                    segments=[(7.5, 48.5, 8.5, 48.5), (8.5, 48.5, 8.5, 51.5)])
    digits = [one] + [_circle(10 + 3.4 * k, 50, k=k) for k in range(3)]  # "1000": zeros side by side on a baseline
    assert not marker_run(digits)
    column = [_circle(10 + 1.0 * k, 50 - 6 * k, r=1.0, k=k) for k in range(4)]  # much taller than its shapes
    assert marker_run(column[:2] + [_circle(12, 30, r=1.0, k=7)])


def test_rotated_axis_title_is_read_as_a_vertical_line(tmp_path):
    """A y-axis title running bottom to top, drawn as outlines, comes back as one vertical line (dir up the page)
    that the vector title reader takes; tick labels stay horizontal words."""
    pytest.importorskip("rapidocr")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3.2, 2.4))
    ax.plot([0, 1, 2, 3], [0, 10, 20, 30], "-")
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Voltage (mV)")
    fig.tight_layout()
    pdf = tmp_path / "p.pdf"
    fig.savefig(pdf)
    plt.close(fig)
    doc = _outlined(pdf)
    page = doc[0]
    shapes, _, _ = page_inputs(page, tuple(page.rect))
    lines, used = ocr_glyph_lines(shapes, _render(page))
    vert = [t for t in lines if t.vertical]
    assert len(vert) == 1 and vert[0].dir == (0.0, -1.0)
    assert "".join(vert[0].plain.split()).lower() == "voltage(mv)"
    assert any(t.horizontal and t.plain.lower().startswith("time") for t in lines)
    res = digitize_vector(shapes, lines, tuple(page.rect), text_shapes=used)
    assert res.status == "digitized" and res.series
    assert "".join(res.series[0].y.title.split()).lower() == "voltage(mv)"


def test_lone_specks_are_not_sent_to_ocr(outlined_case):
    """A lone shape under half the text height (a dot, a small marker) near an axis is no label: no crop for it."""
    from extractors.figures.glyphs import _speck

    assert _speck([_circle(0, 0, r=0.8)], 5.0) and not _speck([_circle(0, 0, r=1.6)], 5.0)
    assert not _speck([_circle(0, 0, r=0.8), _circle(2, 0, r=0.8)], 5.0) and not _speck([_circle(0, 0, r=0.8)], None)


def _glyph(ch: str, x: float, y: float = 100.0, k: int = 0, size: float = 1.0):
    """A made-up outline per character (its own polygon), placed with its box at (x, y)."""
    from extractors.figures.common import Shape

    pts = [(0.0, 0.0), (4.0, 0.0), (4.0, 7.0), (0.3 * (1 + "0123456789.-".index(ch)), 3.0), (0.0, 0.0)]
    pts = [(x + size * a, y + size * b) for a, b in pts]
    segs = [(*a, *b) for a, b in zip(pts, pts[1:], strict=False)]
    s = Shape(idx=k, stroke=None, fill="#000000", width=0.0, dashed=False,
              rect=(x, y, x + 4.0 * size, y + 7.0 * size), segments=segs)
    _CHAR[id(s)] = ch
    return s


_CHAR: dict[int, str] = {}  # id of a made-up glyph -> its character (what a perfect OCR would read)


def _word(text: str, x: float, y: float = 100.0, size: float = 1.0):
    return [_glyph(ch, x + 5.0 * size * i, y, size=size) for i, ch in enumerate(text)]


def test_numbers_are_spelt_from_glyphs_read_before():
    """Digits learnt from numbers OCR read surely are reused: "0.5" and "10" teach 0 . 5 1, so "1.5", "50" and a
    lone "5" (also elsewhere on the page, same outlines) are spelt without OCR; other words and other sizes are
    still read."""
    truth = {}
    sent = []

    def ocr(crops):
        sent.extend(crops)
        return [truth[id(c)] for c in crops]

    def crop(word):
        c = object()
        truth[id(c)] = ("".join(_CHAR[id(s)] for s in word), 0.99)
        return c

    font = GlyphFont()
    words = [_word("0.5", 10), _word("10", 40), _word("1.5", 70, 300), _word("50", 90), _word("5", 200, 20),
             _word("5", 200, 20, size=1.5)]
    got = font.read(words, crop, ocr)
    assert [t for t, _ in got] == ["0.5", "10", "1.5", "50", "5", "5"]
    assert len(sent) == 3  # "0.5", "10" and the larger "5"
    assert all(s >= 0.9 for _, s in got)


def test_unsure_or_misaligned_readings_teach_nothing():
    font = GlyphFont()
    font.learn(_word("12", 0), "12", 0.6)  # unsure
    font.learn(_word("34", 0), "3", 0.99)  # fewer characters than glyphs
    font.learn(_word("56", 0), "5b", 0.99)  # not a number
    assert font.spell(_word("1", 50)) is None and font.spell(_word("3", 50)) is None
    assert font.spell(_word("6", 50)) is None
    font.learn(_word("78", 0), "78", 0.99)
    font.learn(_word("78", 30), "79", 0.99)  # the same outline read as two characters: dropped
    assert font.spell(_word("7", 60)) == ("7", 0.99) and font.spell(_word("8", 60)) is None
    assert font.spell(_word("78", 90)) == ("79", 0.99)  # the whole word as last read surely


def test_a_shared_font_reads_a_documents_repeated_words_once(outlined_case):
    pytest.importorskip("rapidocr")
    from extractors.figures.raster import rapidocr_read

    _, doc = outlined_case
    page = doc[0]
    shapes, _, _ = page_inputs(page, tuple(page.rect))
    n = []

    def ocr(crops):
        n.append(len(crops))
        return rapidocr_read(crops)

    known: dict = {}
    first, _ = ocr_glyph_lines(shapes, _render(page), ocr=ocr, glyphs=known)
    n_first = sum(n)
    second, _ = ocr_glyph_lines(shapes, _render(page), ocr=ocr, glyphs=known)
    assert [t.text for t in second] == [t.text for t in first]
    assert sum(n) - n_first < 0.75 * n_first  # unsure reads and the rotated title are read again

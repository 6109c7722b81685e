"""Plots whose text is drawn as glyph outlines (no text layer), as in many journal PDFs: tick labels are OCR'd from
the outlines, positions still come from the vector tick marks, so calibration stays exact."""

import numpy as np
import pymupdf
import pytest

from extractors.figures.common import page_inputs
from extractors.figures.glyphs import glyph_words, ocr_glyph_lines
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


def test_superscripts_are_read_only_under_a_read_base(outlined_case):
    """An unreadable base drops its word, so its superscript is not sent to OCR (one crop per word then)."""
    _, doc = outlined_case
    page = doc[0]
    shapes, _, _ = page_inputs(page, tuple(page.rect))
    sent: list[int] = []

    def unreadable(crops):
        sent.append(len(crops))
        return [("", 0.0)] * len(crops)

    lines, used = ocr_glyph_lines(shapes, _render(page), ocr=unreadable)
    assert lines == [] and used == set()
    assert len(sent) == 1 and sent[0] >= 10

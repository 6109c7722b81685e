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

"""OCR fallback for pages without a text layer: render with PyMuPDF, recognise with rapidocr 3.x (ONNX, offline).

The rapidocr engine (PP-OCRv6 detection + recognition models shipped inside the wheel) is built once per
process, lazily, on the first page that needs it; importing this module costs nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pymupdf

MIN_SCORE = 0.5
_ENGINE = None
_ENGINE_LOCK = threading.Lock()
_ENGINE_PARAMS = {
    "Global.log_level": "error",
    "Global.text_score": 0.0,  # ocr_page() applies its own threshold
}


@dataclass(frozen=True)
class OcrLine:
    text: str
    bbox: tuple[float, float, float, float]  # PDF points, top-left origin; unrotated page space, as get_text()
    score: float


def page_needs_ocr(page: pymupdf.Page, min_chars: int) -> bool:
    """True when the page's text layer has fewer than min_chars characters, whitespace not counted."""
    text = page.get_text("text")
    return sum(1 for ch in text if not ch.isspace()) < min_chars


def _engine():
    """The process-wide rapidocr engine, built on first use."""
    global _ENGINE
    if _ENGINE is None:
        with _ENGINE_LOCK:
            if _ENGINE is None:
                from rapidocr import RapidOCR

                _ENGINE = RapidOCR(params=dict(_ENGINE_PARAMS))
    return _ENGINE


def _render(page: pymupdf.Page, dpi: int):
    """The page as a grey numpy image (rotation applied, as the reader sees it)."""
    import numpy as np

    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    img = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)[:, : pix.width]
    return np.ascontiguousarray(img), pix.width, pix.height


def _visual_box(quad, rect: pymupdf.Rect, sx: float, sy: float) -> pymupdf.Rect:
    """Axis-aligned box, in points of the page as the reader sees it, of a pixel quadrilateral (4 x 2)."""
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return pymupdf.Rect(rect.x0 + min(xs) * sx, rect.y0 + min(ys) * sy, rect.x0 + max(xs) * sx, rect.y0 + max(ys) * sy)


def _reading_sort(items: list[tuple[pymupdf.Rect, str, float]]) -> list[tuple[pymupdf.Rect, str, float]]:
    """Top to bottom; boxes whose vertical centres are within half a line height form a row, left to right."""
    rows: list[list[tuple[pymupdf.Rect, str, float]]] = []
    for it in sorted(items, key=lambda it: (it[0].y0 + it[0].y1) / 2):
        box = it[0]
        if rows:
            last = rows[-1][0][0]
            gap = abs((box.y0 + box.y1) / 2 - (last.y0 + last.y1) / 2)
            if gap < 0.5 * min(box.height, last.height):
                rows[-1].append(it)
                continue
        rows.append([it])
    return [it for row in rows for it in sorted(row, key=lambda it: it[0].x0)]


def ocr_page(page: pymupdf.Page, dpi: int = 200, min_score: float = MIN_SCORE) -> list[OcrLine]:
    """Recognised text lines of the rendered page in reading-ish order; lines scoring below min_score dropped.

    Lines are sorted as the reader sees the page; their boxes are in unrotated page coordinates, like
    get_text() (the pixmap shows the page with its /Rotate applied, the derotation matrix maps back).
    """
    img, width, height = _render(page, dpi)
    result = _engine()(img)
    if result is None or getattr(result, "boxes", None) is None or getattr(result, "txts", None) is None:
        return []
    rect, inv = page.rect, page.derotation_matrix
    sx, sy = rect.width / width, rect.height / height
    items = []
    for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=False):
        text = text.strip()
        if text and score >= min_score:
            items.append((_visual_box(quad, rect, sx, sy), text, round(float(score), 4)))
    out = []
    for box, text, score in _reading_sort(items):
        r = box * inv
        out.append(
            OcrLine(text=text, bbox=(round(r.x0, 2), round(r.y0, 2), round(r.x1, 2), round(r.y1, 2)), score=score)
        )
    return out

"""OCR fallback: a real page rendered to an image-only PDF page, read back with rapidocr."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from difflib import SequenceMatcher
from types import SimpleNamespace

import numpy as np
import pymupdf
import pytest

from pipeline.parse import ocr
from pipeline.parse.ocr import OcrLine, ocr_page, page_needs_ocr
from tests.conftest import REPO, open_pdf

SSC = "10.1016_j.ssc.2016.12.016.pdf"


def _scan_of(src: pymupdf.Page, dpi: int = 150) -> pymupdf.Document:
    """A one-page PDF holding only a picture of src (no text layer), same page size."""
    doc = pymupdf.open()
    page = doc.new_page(width=src.rect.width, height=src.rect.height)
    page.insert_image(page.rect, pixmap=src.get_pixmap(dpi=dpi))
    return pymupdf.open("pdf", doc.tobytes())


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)
    return [w for w in (re.sub(r"^\W+|\W+$", "", t).lower() for t in text.split()) if w]


def _iou(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area


@pytest.fixture(scope="module")
def scanned():
    """(original page, scanned copy, OCR lines of the copy): one OCR run for the module."""
    src = pymupdf.open(open_pdf(SSC))[1]
    scan = _scan_of(src)
    return src, scan[0], ocr_page(scan[0], dpi=200)


def test_scanned_page_needs_ocr_and_original_does_not(scanned):
    src, scan, _ = scanned
    assert page_needs_ocr(scan, 40)
    assert not page_needs_ocr(src, 40)
    assert scan.get_text().strip() == ""


def test_page_needs_ocr_ignores_whitespace():
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "a b c d e\n\n\t f g h i j", fontsize=10)  # 10 characters
    assert page_needs_ocr(page, 11)
    assert not page_needs_ocr(page, 10)


def test_paragraph_words_recovered(scanned):
    src, _, lines = scanned
    blocks = [b[4] for b in src.get_text("blocks") if len(b[4].split()) > 60]
    assert blocks, "the source page should have long paragraphs"
    ocr_words = set(_words(" ".join(ln.text for ln in lines)))
    for text in blocks[:3]:
        words = _words(text.replace("-\n", ""))
        found = sum(w in ocr_words for w in words) / len(words)
        assert found >= 0.8, (found, text[:80])


def test_line_boxes_match_original_lines(scanned):
    src, _, lines = scanned
    originals = []
    for block in src.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            text = "".join(s["text"] for s in line["spans"]).strip()
            if len(text) > 50:
                originals.append((text, line["bbox"]))
    assert len(originals) > 20
    good = 0
    for text, box in originals[:20]:
        best = max(lines, key=lambda ln: _iou(ln.bbox, box))
        if _iou(best.bbox, box) > 0.5 and SequenceMatcher(None, best.text.lower(), text.lower()).ratio() > 0.8:
            good += 1
    assert good >= 16, good


def test_lines_sorted_and_scored(scanned):
    _, scan, lines = scanned
    assert len(lines) > 50
    assert all(isinstance(ln, OcrLine) and ln.score >= 0.5 and ln.text for ln in lines)
    assert all(0 <= ln.bbox[0] < ln.bbox[2] <= scan.rect.width + 1 for ln in lines)
    assert all(0 <= ln.bbox[1] < ln.bbox[3] <= scan.rect.height + 1 for ln in lines)
    mids = [(ln.bbox[1] + ln.bbox[3]) / 2 for ln in lines]
    heights = [ln.bbox[3] - ln.bbox[1] for ln in lines]
    assert all(b >= a - 0.5 * h for a, b, h in zip(mids, mids[1:], heights, strict=False))


def test_rotated_page_boxes_in_get_text_space():
    """A /Rotate 90 page (upright for the reader): OCR boxes come back in get_text()'s unrotated coordinates."""
    doc = pymupdf.open()
    page = doc.new_page(width=160, height=420)
    page.set_rotation(90)
    page.insert_text(
        pymupdf.Point(30, 90) * page.derotation_matrix, "Critical temperature 39 K", fontsize=24, rotate=90
    )
    words = page.get_text("words")
    text_box = tuple(pymupdf.Rect(words[0][:4]) | pymupdf.Rect(words[-1][:4]))
    assert text_box[3] - text_box[1] > text_box[2] - text_box[0]  # stored sideways
    lines = ocr_page(page, dpi=150)
    assert [ln.text for ln in lines] == ["Critical temperature 39 K"]
    assert _iou(lines[0].bbox, text_box) > 0.5


class _FakeEngine:
    """Returns fixed pixel boxes, to check mapping and filtering without the models."""

    def __init__(self, boxes, txts, scores):
        self.out = SimpleNamespace(boxes=np.array(boxes, dtype=float), txts=tuple(txts), scores=tuple(scores))
        self.images = []

    def __call__(self, img):
        self.images.append(img)
        return self.out


def test_pixel_boxes_map_to_points_and_low_scores_drop(monkeypatch):
    doc = pymupdf.open()
    page = doc.new_page(width=200, height=100)
    quad = lambda x0, y0, x1, y1: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]  # noqa: E731
    fake = _FakeEngine(
        [quad(100, 40, 300, 80), quad(20, 40, 90, 80), quad(0, 0, 10, 10), quad(10, 100, 200, 150)],
        ["right", "left", "noise", "second row"],
        [0.9, 0.8, 0.2, 0.99],
    )
    monkeypatch.setattr(ocr, "_engine", lambda: fake)
    lines = ocr_page(page, dpi=144)  # 2 px per point
    assert fake.images[0].shape == (200, 400)
    assert [ln.text for ln in lines] == ["left", "right", "second row"]
    assert lines[1].bbox == (50.0, 20.0, 150.0, 40.0)
    assert lines[0].score == 0.8
    assert [ln.text for ln in ocr_page(page, dpi=144, min_score=0.95)] == ["second row"]


def test_no_text_found_gives_empty_list(monkeypatch):
    monkeypatch.setattr(ocr, "_engine", lambda: lambda img: SimpleNamespace(boxes=None, txts=None, scores=None))
    page = pymupdf.open().new_page()
    assert ocr_page(page, dpi=36) == []


def test_engine_is_built_once(scanned):
    assert ocr._engine() is ocr._engine()


def test_import_is_cheap():
    code = "import sys, pipeline.parse.ocr; print('rapidocr' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == "False"

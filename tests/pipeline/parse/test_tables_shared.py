"""find_tables() shares work with PyMuPDF's find_tables(): the page's drawings (paths=) and one TextPage for the
header rule's get_textbox() calls. Neither may change a table."""
from __future__ import annotations

import pymupdf

from pipeline.parse import tables
from pipeline.parse.tables import find_tables
from tests.conftest import open_pdf
from tests.pipeline.parse.test_tables import AE94, _ruled_table_pdf


def _spy_paths(monkeypatch) -> list:
    """Record the paths= argument of every PyMuPDF find_tables() call (the real method still runs)."""
    seen = []
    real = pymupdf.Page.find_tables

    def spy(self, *a, **kw):
        seen.append(kw.get("paths"))
        return real(self, *a, **kw)

    monkeypatch.setattr(pymupdf.Page, "find_tables", spy)
    return seen


def test_drawings_handed_over_and_tables_unchanged(monkeypatch):
    page = _ruled_table_pdf()
    shared = find_tables(page, 1, 0)
    real = pymupdf.Page.find_tables
    seen = _spy_paths(monkeypatch)
    again = find_tables(page, 1, 0)
    assert seen and seen[0] is not None and len(seen[0]) == len(page.get_cdrawings())
    monkeypatch.setattr(tables, "_detect", lambda p, n, drawings=None: list(real(p, use_layout=n <= 50_000).tables))
    own = find_tables(page, 1, 0)  # PyMuPDF extracts the drawings itself
    assert [t.model_dump_json() for t in shared] == [t.model_dump_json() for t in again]
    assert [t.model_dump_json() for t in shared] == [t.model_dump_json() for t in own]
    assert "get_textbox" not in page.__dict__


def test_rotated_page_lets_pymupdf_extract_its_drawings(monkeypatch):
    doc = pymupdf.open("pdf", _ruled_table_pdf().parent.tobytes())
    doc[0].set_rotation(90)
    seen = _spy_paths(monkeypatch)
    find_tables(doc[0], 1, 0)
    assert seen == [None]  # PyMuPDF turns the page upright first: our drawings would be in the wrong space


def test_shared_textbox_reads_what_get_textbox_reads(monkeypatch):
    page = pymupdf.open(open_pdf(AE94))[3]
    w, h = page.rect.width, page.rect.height
    rects = [pymupdf.Rect(0, y, w, y + 40) for y in range(0, int(h), 40)] + [pymupdf.Rect(50, 300, 300, 500)]
    expected = [page.get_textbox(r) for r in rects]
    built = []
    real = pymupdf.Page.get_textpage
    monkeypatch.setattr(pymupdf.Page, "get_textpage", lambda self, *a, **kw: built.append(1) or real(self, *a, **kw))
    with tables._SharedTextbox(page):
        got = [page.get_textbox(r) for r in rects]
    assert got == expected and any(expected)
    assert len(built) == 1
    assert "get_textbox" not in page.__dict__

"""Page images for the review app: one PNG per (paper, page, dpi), rendered by PyMuPDF and cached under
work/review/pages/<paper_id>/p<page>-<dpi>.png. The evidence boxes are drawn over the image by the browser (CSS,
from the record's provenance), so one cached image serves every record on the page."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from pipeline.workdir import WorkDir, atomic_write_bytes

PAPER_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class PageNotFound(Exception):
    pass


def page_png(wd: WorkDir, paper_id: str, page: int, dpi: int) -> Path:
    """The cached PNG of a page (rendered on first use). PageNotFound for an unknown paper, page or a non-PDF."""
    if not PAPER_ID_RE.match(paper_id) or page < 1:
        raise PageNotFound(f"no paper {paper_id!r}")
    out = wd.root / "review" / "pages" / paper_id / f"p{page}-{dpi}.png"
    if out.exists():
        return out
    if not wd.paper_json(paper_id).exists():
        raise PageNotFound(f"no paper {paper_id}")
    paper = wd.load_paper(paper_id)
    pdf = wd.paper_file(paper).resolve()
    if paper.media_type != "pdf" or not pdf.is_relative_to(wd.root) or not pdf.exists():
        raise PageNotFound(f"paper {paper_id} has no PDF in the work dir")
    with _locks_guard:
        lock = _locks.setdefault(str(out), threading.Lock())
    with lock:
        if out.exists():
            return out
        import pymupdf

        with pymupdf.open(pdf) as doc:
            if page > doc.page_count:
                raise PageNotFound(f"paper {paper_id} has {doc.page_count} pages, not {page}")
            pix = doc[page - 1].get_pixmap(dpi=dpi)
            atomic_write_bytes(out, pix.tobytes("png"))
    return out

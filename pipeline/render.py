"""`matlit render`: a page image with what the parser saw outlined, for a person to check.

Colours: blocks by kind (paragraph blue, heading cyan, caption green, abstract purple, footnote grey,
equation orange, reference brown, title magenta), sentences thin red, tables and their cells dark green,
figures orange with their text spans yellow.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Config
from pipeline.errors import MatlitError
from pipeline.report import resolve_paper
from pipeline.workdir import WorkDir

KIND_COLOURS = {
    "paragraph": (0.1, 0.3, 0.9),
    "heading": (0.0, 0.7, 0.8),
    "caption": (0.0, 0.6, 0.0),
    "abstract": (0.5, 0.1, 0.7),
    "footnote": (0.5, 0.5, 0.5),
    "equation": (1.0, 0.5, 0.0),
    "reference": (0.55, 0.35, 0.15),
    "title": (0.9, 0.0, 0.7),
}


def render_page(cfg: Config, prefix: str, page_no: int, out: Path, dpi: int = 110) -> Path:
    import pymupdf

    wd = WorkDir(cfg.work_dir)
    pid = resolve_paper(wd, prefix)
    paper = wd.load_paper(pid)
    if paper.media_type != "pdf":
        raise MatlitError(f"paper {pid} is {paper.media_type}, not a PDF: nothing to render")
    if not wd.parsed_json(pid).exists():
        raise MatlitError(f"paper {pid} is not parsed yet (matlit parse)")
    doc = wd.load_parsed(pid)
    pdf = pymupdf.open(wd.paper_file(paper))
    if not 1 <= page_no <= pdf.page_count:
        raise MatlitError(f"page {page_no} out of range: paper {pid} has {pdf.page_count} pages")
    page = pdf[page_no - 1]
    shape = page.new_shape()

    def box(b, colour, width=0.8, fill=None, dashes=None):
        shape.draw_rect(pymupdf.Rect(b.x0, b.y0, b.x1, b.y1))
        shape.finish(color=colour, width=width, fill=fill, fill_opacity=0.08 if fill else 1, dashes=dashes)

    for b in doc.blocks:
        for p in b.prov:
            if p.page == page_no and p.bbox:
                c = KIND_COLOURS.get(b.kind.value, (0, 0, 0))
                box(p.bbox, c, 1.2, fill=c)
                shape.insert_text(pymupdf.Point(p.bbox.x0, p.bbox.y0 - 1), f"{b.id} {b.kind.value}", fontsize=5, color=c)
    for s in doc.sentences:
        for p in s.prov:
            if p.page == page_no and p.bbox:
                box(p.bbox, (0.9, 0.1, 0.1), 0.4)
    for t in doc.tables:
        if t.page == page_no and t.bbox:
            box(t.bbox, (0.0, 0.4, 0.0), 1.6)
            for cell in t.cells:
                if cell.bbox:
                    box(cell.bbox, (0.0, 0.5, 0.2), 0.5, fill=(0.0, 0.5, 0.2) if cell.is_header else None)
    for f in doc.figures:
        if f.page == page_no and f.bbox:
            box(f.bbox, (1.0, 0.55, 0.0), 1.6, dashes="[3 2] 0")
            shape.insert_text(pymupdf.Point(f.bbox.x0, f.bbox.y0 - 1), f"{f.id} {f.label or ''}", fontsize=6, color=(1.0, 0.55, 0.0))
            for ft in f.text:
                box(ft.bbox, (0.85, 0.75, 0.0), 0.4)
    shape.commit()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    page.get_pixmap(dpi=dpi).save(str(out))
    return out

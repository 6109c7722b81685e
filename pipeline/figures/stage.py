"""FiguresStage: a parsed paper and its PDF in, one FigureResult per figure out (work/figures/<id>.jsonl).

Vector figures go through extractors/figures/vector.py with the page's drawings and text re-read from the PDF
(parse keeps only indices and counts); raster-only figures go to extractors/figures/raster.py when it is present
and enabled. A figure whose page holds more drawing operations than the cap is recorded as too_complex without
reading its drawings, so one pathological page costs milliseconds, not minutes.
"""

from __future__ import annotations

import time
from pathlib import Path

from loguru import logger

from pipeline.errors import BadInputError
from pipeline.runner import Stage
from pipeline.workdir import WorkDir, atomic_write_text
from schemas import Figure, FigureResult, ParsedDocument
from schemas.geometry import BBox

PAD = 4.0  # points added around a figure box (tick labels on its edge)


def _region(fig: Figure, page_rect) -> tuple[float, float, float, float]:
    b = fig.bbox
    return (max(0.0, b.x0 - PAD), max(0.0, b.y0 - PAD), min(page_rect.x1, b.x1 + PAD), min(page_rect.y1, b.y1 + PAD))


def _base(doc: ParsedDocument, fig: Figure, method: str = "none") -> dict:
    return dict(paper_id=doc.paper_id, figure_id=fig.id, label=fig.label, page=fig.page, bbox=fig.bbox, method=method)


def digitize_document(doc: ParsedDocument, pdf_path: Path | None, fc, timings: dict | None = None) -> list[FigureResult]:
    """One FigureResult per figure of `doc` (fc: FiguresConfig). Never raises for a bad figure. `timings`, when
    given, receives figure id -> wall seconds (the results carry none, so a re-run writes the same bytes)."""
    if not doc.figures:
        return []
    if pdf_path is None:  # JATS / TEI: no page geometry to read
        return [FigureResult(**_base(doc, f), status="no_axes", reason="no PDF page for this figure (XML source)")
                for f in doc.figures]
    import pymupdf

    from extractors.figures.common import page_inputs

    out: list[FigureResult] = []
    pages: dict = {}  # page number -> (shapes, lines, n); ("dl", page number) -> the page's display list
    try:
        pdf = pymupdf.open(pdf_path)
    except Exception as e:
        raise BadInputError(f"{pdf_path}: cannot open the PDF for figure digitization: {e}") from None
    with pdf:
        for fig in doc.figures:
            t0 = time.perf_counter()
            if fig.page is None or fig.bbox is None or not (1 <= fig.page <= pdf.page_count):
                out.append(FigureResult(**_base(doc, fig), status="no_axes", reason="figure has no page region"))
                continue
            n_paths = sum(d.n_paths for d in fig.drawings)
            try:
                res = _one(doc, fig, pdf, pages, n_paths, fc, page_inputs)
            except Exception as e:  # a bad figure must not stop the paper
                res = FigureResult(**_base(doc, fig, "vector"), status="error", reason=f"{type(e).__name__}: {e}"[:500])
            took = time.perf_counter() - t0
            if timings is not None:
                timings[fig.id] = took
            if took > 1.0:
                logger.info(f"figures: {doc.paper_id} {fig.id}: {took:.2f} s ({res.status})")
            # no wall-clock time in the output: a re-run must write the same bytes (timings: logs and bench)
            res.seconds = None
            out.append(res)
    return out


def _one(doc, fig: Figure, pdf, pages: dict, n_paths: int, fc, page_inputs) -> FigureResult:
    from extractors.figures.vector import digitize_vector

    page = pdf[fig.page - 1]
    region = _region(fig, page.rect)
    image_area = sum(i.bbox.area for i in fig.images)
    on_page = sum(d.n_paths for f in doc.figures if f.page == fig.page for d in f.drawings)
    if fig.drawings and on_page > fc.max_page_drawings:
        return FigureResult(**_base(doc, fig, "vector"), status="too_complex", n_drawings=n_paths,
                            reason=f"{on_page} drawing operations in the figures of page {fig.page} "
                            f"(cap {fc.max_page_drawings}); not read")
    if fig.drawings and n_paths > fc.max_drawings:
        return FigureResult(**_base(doc, fig, "vector"), status="too_complex", n_drawings=n_paths,
                            reason=f"{n_paths} drawing operations in the figure (cap {fc.max_drawings}); not read")
    res = None
    if fig.drawings and fc.vector:
        if fig.page not in pages:
            shapes, lines, n = page_inputs(page, tuple(page.rect), None)
            pages[fig.page] = (shapes, lines, n)
        shapes, lines, n = pages[fig.page]
        mine = [s for s in shapes if _overlaps(s.rect, region)]
        mine_lines = [t for t in lines if region[0] <= t.cx <= region[2] and region[1] <= t.cy <= region[3]]
        kw = dict(paper_id=doc.paper_id, figure_id=fig.id, label=fig.label, page=fig.page, caption=fig.caption,
                  n_images=len(fig.images), image_area=image_area, max_drawings=fc.max_drawings,
                  time_budget_s=fc.time_budget_s, max_residual=fc.max_residual)
        res = digitize_vector(mine, mine_lines, region, **kw)
        if fc.ocr_glyphs and res.status in ("no_axes", "non_numeric", "uncalibrated"):
            # tick labels drawn as glyph outlines (no text layer): read them and try again
            glyph_lines, text_shapes = _ocr_glyphs(mine, _display_list(pages, fig.page, page),
                                                   pages.setdefault("glyph_font", {}))
            if glyph_lines:
                again = digitize_vector(mine, mine_lines + glyph_lines, region, text_shapes=text_shapes, **kw)
                if again.status != "no_axes" or res.status == "no_axes":
                    for s in again.series:
                        s.flags.append("tick_labels_ocr")
                    again.reason += " (tick labels read by OCR from glyph outlines)"
                    res = again
        res.bbox = fig.bbox
    if fig.images and (res is None or res.status not in ("digitized", "no_series")):
        raster = _raster(doc, fig, _display_list(pages, fig.page, page), fc)
        if raster is not None and (res is None or raster.status == "digitized"):
            return raster
    if res is None:
        if fig.images:
            return FigureResult(**_base(doc, fig), status="raster_only",
                                reason=f"{len(fig.images)} raster image(s); raster digitizer "
                                + ("off (figures.raster: false)" if not fc.raster else "not available"))
        return FigureResult(**_base(doc, fig), status="no_axes", reason="no drawings or images in the figure region")
    return res


def _display_list(pages: dict, number: int, page):
    """The page's display list, built once per page: `page.get_pixmap(clip=...)` builds one on every call (the
    page's whole content list, ~10 ms), and each figure renders dozens of glyph words; `DisplayList.get_pixmap` is
    what `page.get_pixmap` calls, so the pixels are the same."""
    key = ("dl", number)
    if key not in pages:
        pages[key] = page.get_displaylist()
    return pages[key]


def _ocr_glyphs(shapes, page, glyphs: dict | None = None) -> tuple[list, set[int]]:
    """Text lines OCR'd from glyph outlines (empty when no OCR engine is installed); `page`: a page or its display
    list (anything with get_pixmap(matrix, clip, alpha))."""
    import numpy as np
    import pymupdf

    try:
        from extractors.figures.glyphs import ocr_glyph_lines
        from extractors.figures.raster import rapidocr_read
    except ImportError:
        return [], set()

    def render(box, zoom):
        pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=pymupdf.Rect(*box), alpha=False)
        return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)

    return ocr_glyph_lines(shapes, render, rapidocr_read, glyphs=glyphs)


def _overlaps(r, region) -> bool:
    return r[0] <= region[2] and r[2] >= region[0] and r[1] <= region[3] and r[3] >= region[1]


def _raster(doc, fig: Figure, page, fc) -> FigureResult | None:
    """The raster digitizer on the figure's largest image, rendered from the page or its display list (None when
    unavailable)."""
    if not fc.raster:
        return None
    try:
        from extractors.figures.raster import digitize_raster
    except ImportError:
        return None
    import numpy as np
    import pymupdf

    img = max(fig.images, key=lambda i: i.bbox.area)
    clip = pymupdf.Rect(img.bbox.x0, img.bbox.y0, img.bbox.x1, img.bbox.y1)
    if clip.is_empty:
        return None
    zoom = max(1.0, min(4.0, fc.raster_dpi / 72.0))
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=clip, alpha=False)
    arr = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
    return digitize_raster(arr, figure_id=fig.id, paper_id=doc.paper_id, page=fig.page,
                           bbox=BBox.of((clip.x0, clip.y0, clip.x1, clip.y1)), label=fig.label)


def write_results(path: Path, results: list[FigureResult]) -> None:
    atomic_write_text(path, "".join(r.model_dump_json() + "\n" for r in results))


def read_results(path: Path) -> list[FigureResult]:
    if not path.exists():
        return []
    return [FigureResult.model_validate_json(ln) for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


def records_from_figures(wd: WorkDir, doc: ParsedDocument) -> list:
    """Records for the reported marked points of the paper's digitized figures (none before the figures stage ran)."""
    from extractors.figures.records import figure_records

    results = read_results(wd.stage_output("figures", doc.paper_id))
    return figure_records(doc, results) if results else []


class FiguresStage(Stage):
    name = "figures"

    def work_items(self, wd: WorkDir) -> list[str]:
        d = wd.parsed_dir
        return sorted(p.stem for p in d.glob("*.json")) if d.exists() else []

    def process(self, wd: WorkDir, item: str) -> None:
        doc = wd.load_parsed(item)
        pdf_path = None
        try:
            paper = wd.load_paper(item)
        except Exception:
            paper = None
        if paper is not None and paper.media_type == "pdf":
            pdf_path = wd.paper_file(paper)
            if not pdf_path.exists():
                raise BadInputError(f"{paper.source}: fetched PDF is missing from the work dir ({pdf_path})")
        results = digitize_document(doc, pdf_path, self.cfg.figures)
        write_results(wd.stage_output(self.name, item), results)

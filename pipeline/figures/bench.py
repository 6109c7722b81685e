"""Vector figure digitization speed over the open PDFs (../shared/data/open_pdfs), for `make bench`.

Each PDF is parsed first (not timed); then every figure with vector drawings goes through the figures stage's
per-figure path (drawings re-read from the page, glyph-outline OCR when the figure has no text layer, digitizer)
timed in CPU seconds of this process. Baseline in the same run: `page.get_drawings()` + `get_text("dict")` on the
same pages, the bare cost of reading what the digitizer reads. The worst single figure is reported too, in wall
seconds (the bad-input bound: a page with ~155k drawing operations must stay cheap).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _shared() -> Path:
    return Path(os.environ.get("MATLIT_SHARED", REPO.parent / "shared")) / "data" / "open_pdfs"


def measure_vector(folder: Path | None = None) -> dict:
    import pymupdf

    from pipeline.config import FiguresConfig, ParseConfig
    from pipeline.figures.stage import digitize_document
    from pipeline.parse.pdf import parse_pdf

    folder = folder or _shared()
    pdfs = sorted(folder.glob("*.pdf"))
    if not pdfs:
        return {"figures": 0, "note": f"no PDFs in {folder}"}
    fc = FiguresConfig(raster=False)
    statuses: Counter = Counter()
    n = 0
    digitize_s = base_s = 0.0
    worst = (0.0, "")
    for path in pdfs:
        doc = parse_pdf(path, path.stem[-6:], ParseConfig(tables=False, ocr="never"))
        doc.figures = [f for f in doc.figures if f.drawings]
        if not doc.figures:
            continue
        t0 = time.process_time()
        took: dict[str, float] = {}
        results = digitize_document(doc, path, fc, timings=took)
        digitize_s += time.process_time() - t0
        for r in results:
            n += 1
            statuses[r.status] += 1
            if took.get(r.figure_id, 0.0) > worst[0]:
                worst = (took[r.figure_id], f"{path.stem[-6:]} {r.label}")
        per_page: Counter = Counter()
        for f in doc.figures:
            per_page[f.page] += sum(d.n_paths for d in f.drawings)
        pages = sorted(p for p, k in per_page.items() if p and k <= fc.max_page_drawings)
        t0 = time.process_time()
        with pymupdf.open(path) as pdf:
            for p in pages:
                pdf[p - 1].get_drawings()
                pdf[p - 1].get_text("dict")
        base_s += time.process_time() - t0
    return {
        "figures": n,
        "statuses": dict(statuses),
        "calibrated": statuses.get("digitized", 0) + statuses.get("no_series", 0),
        "digitize_s": round(digitize_s, 3),
        "figures_per_s": round(n / digitize_s, 3) if digitize_s else None,
        "read_s": round(base_s, 3),
        "ratio_to_read": round(base_s / digitize_s, 3) if digitize_s else None,
        "worst_s": round(worst[0], 3),
        "worst_figure": worst[1],
    }

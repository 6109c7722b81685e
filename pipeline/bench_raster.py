"""Raster digitizer throughput for `make bench`: figures/s over the raster figures of the open PDFs, worst case.

Figures are the embedded images of at least 100 x 80 pt in the raster-only open PDFs (../shared/data/open_pdfs;
generated raster plots when that folder is absent), rendered from the page at the figures stage's default DPI,
as the stage does. The baseline, measured in the same run on the same regions, is the rendering itself; the
worst case adds hostile images (a 6000 x 4500 px plot, a textured photo, a tiny image) to show bounded time.
Timed in CPU seconds of this process (the machines are shared).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RASTER_ONLY = [
    "10.1088_1361-6668_aaa82a.pdf", "10.1088_1361-6668_aaa831.pdf", "10.1088_1361-6668_aaab81.pdf",
    "10.1088_1361-6668_aaadf2.pdf", "10.1088_1361-6668_aae2cf.pdf", "10.1088_1361-6668_aae4bb.pdf",
    "10.1016_j.ssc.2016.12.016.pdf",
]


def _shared() -> Path:
    return Path(os.environ.get("MATLIT_SHARED", REPO.parent / "shared")) / "data" / "open_pdfs"


def open_pdf_regions(folder: Path | None = None, dpi: int = 200, min_w: float = 100, min_h: float = 80):
    """(paper, page, bbox, RGB array) for every image of at least min_w x min_h pt in the raster-only open PDFs."""
    import numpy as np
    import pymupdf

    folder = folder or _shared()
    for name in RASTER_ONLY:
        path = folder / name
        if not path.exists():
            continue
        with pymupdf.open(path) as doc:
            for page in doc:
                for info in page.get_image_info():
                    r = pymupdf.Rect(info["bbox"]) & page.rect
                    if r.is_empty or r.width < min_w or r.height < min_h:
                        continue
                    z = dpi / 72.0
                    pix = page.get_pixmap(matrix=pymupdf.Matrix(z, z), clip=r, alpha=False)
                    arr = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
                    yield name[:-4], page.number + 1, (r.x0, r.y0, r.x1, r.y1), arr


def _hostile():
    import cv2
    import numpy as np

    rng = np.random.default_rng(0)
    big = np.full((4500, 6000, 3), 255, np.uint8)
    cv2.line(big, (600, 4000), (5600, 4000), (0, 0, 0), 6)
    cv2.line(big, (600, 300), (600, 4000), (0, 0, 0), 6)
    xs = np.linspace(600, 5600, 400)
    pts = np.stack([xs, 2200 + 1500 * np.sin(xs / 500)], 1).astype(np.int32)
    cv2.polylines(big, [pts], False, (180, 119, 31), 8)
    photo = cv2.GaussianBlur(rng.integers(0, 255, (1200, 1600, 3), dtype=np.uint8), (0, 0), 3)
    return {"huge 6000x4500 plot": big, "photo 1600x1200": photo, "tiny 40x30": np.full((30, 40, 3), 255, np.uint8)}


def measure_raster() -> dict:
    from extractors.figures.raster import digitize_raster, rapidocr_read
    from schemas.geometry import BBox

    rapidocr_read([_warm()])  # model load is a one-off per process, not per figure
    t0 = time.process_time()
    regions = list(open_pdf_regions())
    render_s = time.process_time() - t0
    statuses: dict[str, int] = {}
    worst, worst_id = 0.0, ""
    t1 = time.process_time()
    for paper, page, bbox, arr in regions:
        s0 = time.process_time()
        res = digitize_raster(arr, figure_id=f"p{page}", paper_id=paper, page=page, bbox=BBox.of(bbox))
        dt = time.process_time() - s0
        statuses[res.status] = statuses.get(res.status, 0) + 1
        if dt > worst:
            worst, worst_id = dt, f"{paper} p{page}"
    digitize_s = time.process_time() - t1
    hostile = {}
    for name, arr in _hostile().items():
        s0 = time.process_time()
        res = digitize_raster(arr, figure_id=name, paper_id="bench")
        hostile[name] = {"seconds": round(time.process_time() - s0, 3), "status": res.status}
    n = len(regions)
    return {
        "kind": "raster",
        "figures": n,
        "render_s": round(render_s, 3),
        "digitize_s": round(digitize_s, 3),
        "figures_per_s": round(n / digitize_s, 3) if digitize_s > 0 else 0.0,
        "render_figures_per_s": round(n / render_s, 2) if render_s > 0 else 0.0,
        "ratio_to_render": round(render_s / digitize_s, 4) if digitize_s > 0 else 0.0,
        "worst_s": round(worst, 3),
        "worst_figure": worst_id,
        "statuses": statuses,
        "hostile": hostile,
    }


def _warm():
    import numpy as np

    return np.full((32, 64, 3), 255, np.uint8)

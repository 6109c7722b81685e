"""Scoring the raster digitizer against the generator's truth (tests/fixtures/plots/generate.py).

A raster case's PDF holds one embedded PNG covering the page; the digitizer gets that PNG's pixels (as the figures
stage would) with the page rect as bbox, so series boxes come back in page points, comparable to the truth panel
boxes. Errors are in axis-range units: each coordinate is mapped to 0..1 across the truth axis limits (log10 on log
axes). A truth series is matched to the extracted series of the same panel with the nearest colour; its error is

  - curves ("line"): the median distance of the extracted points to the truth polyline, and the extracted points
    must cover at least 70 % of the truth x range;
  - markers and line+markers: the median distance of each truth point (inside the limits) to the nearest
    extracted point.

A case passes when every left-axis truth series has a median error below 1 % of the axis range.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TOL = 0.01


@dataclass
class CaseScore:
    name: str
    ok: bool
    status: str
    errors: list[float] = field(default_factory=list)  # per truth series (inf when unmatched)
    why: str = ""
    seconds: float = 0.0
    features: list[str] = field(default_factory=list)


def case_image(pdf):
    """The embedded PNG of a raster case, as an RGB array, and the page rect."""
    import cv2
    import pymupdf

    with pymupdf.open(pdf) as doc:
        page = doc[0]
        xref = page.get_images()[0][0]
        data = doc.extract_image(xref)["image"]
        rect = page.rect
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
    return np.ascontiguousarray(img), (rect.x0, rect.y0, rect.x1, rect.y1)


def _norm(v, lim, scale):
    v = np.asarray(v, float)
    lo, hi = lim
    if scale == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            v, lo, hi = np.log10(np.where(v > 0, v, np.nan)), np.log10(lo), np.log10(hi)
    return (v - lo) / (hi - lo)


def _seg_dist(p, a, b):
    """Distance of points p (n,2) to the polyline through vertices a (m,2)... b unused; vectorised."""
    d = np.full(len(p), np.inf)
    for i in range(len(a) - 1):
        s0, s1 = a[i], a[i + 1]
        v = s1 - s0
        L = float(v @ v)
        t = np.clip(((p - s0) @ v) / L, 0, 1) if L > 0 else np.zeros(len(p))
        q = s0 + t[:, None] * v
        d = np.minimum(d, np.linalg.norm(p - q, axis=1))
    return d


def _rgb(hexs: str) -> np.ndarray:
    h = hexs.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], float)


def _dir(c: np.ndarray) -> np.ndarray:
    d = 255.0 - c
    return d / max(np.linalg.norm(d), 1e-6)


def series_error(truth, series, panel) -> float:
    xs, ys = panel.x_scale, panel.y_scale
    tx, ty = _norm(truth.x, panel.xlim, xs), _norm(truth.y, panel.ylim, ys)
    tp = np.stack([tx, ty], 1)
    tp = tp[np.isfinite(tp).all(1)]
    pts = np.asarray(series.points, float)
    if len(pts) == 0 or len(tp) == 0:
        return float("inf")
    ep = np.stack([_norm(pts[:, 0], panel.xlim, xs), _norm(pts[:, 1], panel.ylim, ys)], 1)
    ep = ep[np.isfinite(ep).all(1)]
    if len(ep) == 0:
        return float("inf")
    if truth.kind == "line":
        order = np.argsort(tp[:, 0])
        tp = tp[order]
        span = tp[:, 0].max() - tp[:, 0].min()
        cover = (min(ep[:, 0].max(), tp[:, 0].max()) - max(ep[:, 0].min(), tp[:, 0].min())) / max(span, 1e-9)
        if cover < 0.7:
            return float("inf")
        return float(np.median(_seg_dist(ep, tp, None)))
    inside = tp[(tp >= -0.001).all(1) & (tp <= 1.001).all(1)]
    if len(inside) == 0:
        return float("inf")
    d = np.linalg.norm(inside[:, None, :] - ep[None, :, :], axis=2).min(axis=1)
    return float(np.median(d))


def score_case(case, result) -> CaseScore:
    errors: list[float] = []
    whys = []
    for panel in case.panels:
        bx = panel.bbox
        mine = []
        for s in result.series:
            if s.bbox is None:
                continue
            b = s.bbox
            iw = min(b.x1, bx[2]) - max(b.x0, bx[0])
            ih = min(b.y1, bx[3]) - max(b.y0, bx[1])
            if iw > 0 and ih > 0 and iw * ih > 0.6 * (bx[2] - bx[0]) * (bx[3] - bx[1]):
                mine.append(s)
        for t in panel.series:
            if t.axis != "left":
                continue
            if not mine:
                errors.append(float("inf"))
                whys.append(f"panel {panel.label}: no series")
                continue
            tdir = _dir(_rgb(t.color))
            by_colour = sorted(mine, key=lambda s: np.linalg.norm(_dir(_rgb(s.style.color or "#000000")) - tdir))
            e = series_error(t, by_colour[0], panel)
            if e >= TOL:
                e = min([e] + [series_error(t, s, panel) for s in mine])
            errors.append(e)
    ok = bool(errors) and all(e < TOL for e in errors)
    if result.status != "digitized":
        whys.append(f"{result.status}: {result.reason}")
    return CaseScore(case.name, ok, result.status, errors, "; ".join(whys), result.seconds or 0.0, case.features)

"""Score digitized series against the data a plot was drawn from (the generated ground truth).

Truth is the JSON form of tests/fixtures/plots/generate.py's PlotCase: panels with axes boxes (PDF points), axis
ranges and scales, and series (x, y, label, kind, axis). Errors are measured in axis-range units: a point's error
is its distance to the nearest digitized point (marker sets) or to the digitized polyline (lines), with both axes
scaled to [0, 1] over the shown range (log10 for log axes). A plot's error is the median over all its truth points;
a truth series that no digitized series matches counts as missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from schemas.figure import FigureResult, FigureSeries


@dataclass
class CaseScore:
    name: str
    status: str
    median_error: float  # share of the axis range; inf when nothing was digitized
    n_truth: int
    n_matched: int
    n_extra: int  # digitized series that match no truth series
    label_ok: int = 0
    n_labelled: int = 0
    series_errors: list[float] = field(default_factory=list)

    def passed(self, tol: float = 1e-3) -> bool:
        return self.n_matched == self.n_truth and self.median_error < tol


def _norm(v: np.ndarray, lim: tuple[float, float], scale: str) -> np.ndarray:
    lo, hi = lim
    if scale == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            v, lo, hi = np.log10(v), np.log10(lo), np.log10(hi)
    return (v - lo) / (hi - lo)


def _point_errors(tx, ty, dx, dy, as_line: bool) -> np.ndarray:
    t = np.stack([tx, ty], axis=1)
    d = np.stack([dx, dy], axis=1)
    if len(d) == 0:
        return np.full(len(t), np.inf)
    diff = t[:, None, :] - d[None, :, :]
    best = np.sqrt((diff**2).sum(-1)).min(1)
    if as_line and len(d) >= 2:
        a, b = d[:-1], d[1:]
        ab = b - a
        L = (ab**2).sum(-1)
        L[L == 0] = 1e-18
        u = np.clip((((t[:, None, :] - a[None]) * ab[None]).sum(-1)) / L[None], 0, 1)
        proj = a[None] + u[..., None] * ab[None]
        seg = np.sqrt(((t[:, None, :] - proj) ** 2).sum(-1)).min(1)
        best = np.minimum(best, seg)
    return best


def _panel_of(s: FigureSeries, panels: list[dict]) -> int | None:
    if s.bbox is None:
        return 0 if len(panels) == 1 else None
    best, best_ov = None, 0.0
    for i, p in enumerate(panels):
        x0, y0, x1, y1 = p["bbox"]
        w = min(x1, s.bbox.x1) - max(x0, s.bbox.x0)
        h = min(y1, s.bbox.y1) - max(y0, s.bbox.y0)
        ov = max(0.0, w) * max(0.0, h) / max(1e-9, (x1 - x0) * (y1 - y0))
        if ov > best_ov:
            best, best_ov = i, ov
    return best if best_ov > 0.5 else None


def score_case(result: FigureResult, truth: dict) -> CaseScore:
    """How well `result` recovered the series of one generated plot."""
    panels = truth["panels"]
    n_truth = sum(len(p["series"]) for p in panels)
    if result.status != "digitized":
        return CaseScore(truth["name"], result.status, float("inf"), n_truth, 0, 0)
    by_panel: dict[int, list[FigureSeries]] = {}
    for s in result.series:
        i = _panel_of(s, panels)
        if i is not None:
            by_panel.setdefault(i, []).append(s)
    extra = sum(1 for s in result.series if _panel_of(s, panels) is None)
    all_err: list[np.ndarray] = []
    matched = label_ok = labelled = 0
    series_errors = []
    for i, p in enumerate(panels):
        got = list(by_panel.get(i, []))
        for t in p["series"]:
            right = t.get("axis") == "right"
            ylim, yscale = (p["y2lim"], p["y2_scale"]) if right else (p["ylim"], p["y_scale"])
            tx = _norm(np.asarray(t["x"], float), p["xlim"], p["x_scale"])
            ty = _norm(np.asarray(t["y"], float), ylim, yscale)
            best, best_err, best_s = None, None, None
            for s in got:
                pts = np.asarray(s.points, float).reshape(-1, 2)
                dx = _norm(pts[:, 0], p["xlim"], p["x_scale"])
                dy = _norm(pts[:, 1], ylim, yscale)
                e = _point_errors(tx, ty, dx, dy, as_line=s.style.kind != "markers")
                med = float(np.median(e))
                # the digitized points must lie on the truth too (no merged or partial series)
                back = float(np.median(_point_errors(dx, dy, tx, ty, as_line=t["kind"] != "markers")))
                score = max(med, back)
                if best_err is None or score < best_err:
                    best, best_err, best_s = e, score, s
            if best is None or best_err is None or best_err > 0.02:
                all_err.append(np.full(len(tx), np.inf))
                series_errors.append(float("inf"))
                continue
            matched += 1
            got.remove(best_s)
            all_err.append(best)
            series_errors.append(best_err)
            if t.get("label"):
                labelled += 1
                label_ok += int(best_s.label == t["label"])
        extra += len(got)
    errs = np.concatenate(all_err) if all_err else np.asarray([np.inf])
    return CaseScore(truth["name"], result.status, float(np.median(errs)), n_truth, matched, extra, label_ok,
                     labelled, series_errors)


def summarize(scores: list[CaseScore], tol: float = 1e-3) -> dict:
    n = len(scores)
    ok = sum(s.passed(tol) for s in scores)
    return {
        "cases": n,
        "passed": ok,
        "share_passed": ok / n if n else 0.0,
        "digitized": sum(s.status == "digitized" for s in scores),
        "series_truth": sum(s.n_truth for s in scores),
        "series_matched": sum(s.n_matched for s in scores),
        "series_extra": sum(s.n_extra for s in scores),
        "labels_ok": sum(s.label_ok for s in scores),
        "labels_truth": sum(s.n_labelled for s in scores),
    }

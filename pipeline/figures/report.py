"""Side-by-side report: each figure's crop from the PDF beside a re-plot of the series read from it.

`matlit figures report` writes work/figures_report/index.html (+ report.md and PNGs): per figure the original crop
rendered by PyMuPDF, a matplotlib re-plot of the digitized series in data units (one subplot per panel, the axes'
scales and titles), the status and the reason, so a person can judge real figures at a glance.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress

from pipeline.figures.stage import read_results
from pipeline.workdir import WorkDir, atomic_write_bytes, atomic_write_text
from schemas import FigureResult


@dataclass
class ReportSummary:
    figures: int
    by_status: dict[str, int]
    by_method: dict[str, int]
    vector_plots: int  # figures with vector axes found (calibrated or not)
    vector_calibrated: int
    series: int
    out: Path


def _crop_png(pdf_path: Path, res: FigureResult, dpi: int = 110) -> bytes | None:
    import pymupdf

    if res.page is None or res.bbox is None:
        return None
    with pymupdf.open(pdf_path) as doc:
        if not 1 <= res.page <= doc.page_count:
            return None
        b = res.bbox
        clip = pymupdf.Rect(b.x0 - 4, b.y0 - 4, b.x1 + 4, b.y1 + 4) & doc[res.page - 1].rect
        if clip.is_empty:
            return None
        return doc[res.page - 1].get_pixmap(clip=clip, dpi=dpi).tobytes("png")


def replot_png(res: FigureResult, width_in: float = 5.0) -> bytes | None:
    """A matplotlib re-plot of the result's series, one subplot per panel (None when there are no series)."""
    if not res.series:
        return None
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels: dict[str, list] = {}
    for s in res.series:
        panels.setdefault(s.panel or "", []).append(s)
    n = len(panels)
    cols = min(n, 2)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(width_in * cols / 1.4, 3.0 * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, (name, series) in zip(axes.flat, panels.items(), strict=False):
        right = None
        for s in series:
            target = ax
            if s.y.side == "right":
                right = right or ax.twinx()
                target = right
            xs = [p[0] for p in s.points]
            ys = [p[1] for p in s.points]
            style = "-" if s.style.kind == "line" else ("o" if s.style.kind == "markers" else "-o")
            target.plot(xs, ys, style, color=s.style.color or None, ms=3, lw=1, label=s.label or None)
            if s.y_err:
                target.errorbar(xs, ys, yerr=s.y_err, fmt="none", ecolor=s.style.color or "k", lw=0.6)
            target.set_yscale(s.y.scale)
            ax.set_xscale(s.x.scale)
            target.set_ylabel(s.y.title or "")
        s0 = series[0]
        ax.set_xlabel(s0.x.title or "")
        if s0.x.lo is not None and s0.x.hi is not None and s0.x.lo < s0.x.hi:
            ax.set_xlim(s0.x.lo, s0.x.hi)
        if s0.y.lo is not None and s0.y.hi is not None and s0.y.lo < s0.y.hi:
            ax.set_ylim(s0.y.lo, s0.y.hi)
        if name:
            ax.set_title(f"({name})", loc="left", fontsize=9)
        if any(s.label for s in series):
            ax.legend(fontsize=6)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def build_report(wd: WorkDir, out_dir: Path | None = None, methods: tuple[str, ...] = ("vector", "raster", "vlm", "none"),
                 progress: bool = True) -> ReportSummary:
    out = Path(out_dir) if out_dir else wd.root / "figures_report"
    (out / "img").mkdir(parents=True, exist_ok=True)
    fig_dir = wd.root / "figures"
    files = sorted(fig_dir.glob("*.jsonl")) if fig_dir.exists() else []
    rows = []
    by_status: Counter = Counter()
    by_method: Counter = Counter()
    vector_plots = calibrated = n_series = 0
    items = []
    for f in files:
        pid = f.stem
        try:
            paper = wd.load_paper(pid)
            pdf = wd.paper_file(paper) if paper.media_type == "pdf" else None
            name = Path(paper.source).name
        except Exception:
            pdf, name = None, pid
        for res in read_results(f):
            if res.method in methods:
                items.append((pid, name, pdf, res))
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("figures report", total=len(items))
        for pid, name, pdf, res in items:
            by_status[res.status] += 1
            by_method[res.method] += 1
            if res.method == "vector" and res.status in ("digitized", "no_series", "uncalibrated"):
                vector_plots += 1
                calibrated += res.status in ("digitized", "no_series")
            n_series += len(res.series)
            stem = f"{pid}_{res.figure_id}"
            crop = _crop_png(pdf, res) if pdf is not None and pdf.exists() else None
            if crop:
                atomic_write_bytes(out / "img" / f"{stem}_orig.png", crop)
            plot = replot_png(res)
            if plot:
                atomic_write_bytes(out / "img" / f"{stem}_replot.png", plot)
            rows.append((name, res, f"img/{stem}_orig.png" if crop else None, f"img/{stem}_replot.png" if plot else None))
            bar.advance(task)
    summary = ReportSummary(len(rows), dict(by_status), dict(by_method), vector_plots, calibrated, n_series, out)
    atomic_write_text(out / "index.html", _html(rows, summary))
    atomic_write_text(out / "report.md", _markdown(rows, summary))
    atomic_write_text(out / "summary.json", json.dumps({k: (str(v) if isinstance(v, Path) else v)
                                                        for k, v in summary.__dict__.items()}, indent=2))
    return summary


def _html(rows, s: ReportSummary) -> str:
    head = (
        "<!doctype html><meta charset='utf-8'><title>matlit figures report</title>"
        "<style>body{font-family:sans-serif;margin:1em}td{vertical-align:top;border-top:1px solid #ccc;padding:6px}"
        "img{max-width:480px}.r{font-size:12px;color:#444;max-width:300px}</style>"
        f"<h1>Figures: original beside re-plot</h1><p>{s.figures} figures; status {html.escape(str(s.by_status))}; "
        f"vector plots with axes: {s.vector_plots}, calibrated: {s.vector_calibrated}; series: {s.series}.</p>"
        "<table><tr><th>figure</th><th>original</th><th>re-plot of the extracted series</th></tr>"
    )
    body = []
    for name, res, orig, plot in rows:
        info = (f"<b>{html.escape(name)}</b><br>{html.escape(res.label or res.figure_id)} p.{res.page}<br>"
                f"{res.method}: <b>{res.status}</b><br><div class='r'>{html.escape(res.reason)}</div>"
                f"{len(res.series)} series")
        o = f"<img src='{orig}'>" if orig else "(no crop)"
        p = f"<img src='{plot}'>" if plot else "(no series)"
        body.append(f"<tr><td>{info}</td><td>{o}</td><td>{p}</td></tr>")
    return head + "".join(body) + "</table>"


def _markdown(rows, s: ReportSummary) -> str:
    lines = [
        "# Figures: original beside re-plot", "",
        f"{s.figures} figures; status {s.by_status}; vector plots with axes {s.vector_plots}, calibrated "
        f"{s.vector_calibrated}; {s.series} series.", "",
        "| figure | status | reason | original | re-plot |", "|---|---|---|---|---|",
    ]
    for name, res, orig, plot in rows:
        reason = res.reason.replace("|", "/")[:200]
        lines.append(f"| {name} {res.label or res.figure_id} p.{res.page} ({res.method}) | {res.status} | {reason} | "
                     f"{f'![]({orig})' if orig else ''} | {f'![]({plot})' if plot else ''} |")
    return "\n".join(lines) + "\n"

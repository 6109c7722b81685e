"""Whole-pipeline figures for `make bench`, and the one consolidated table + `work/bench/results.json`.

* whole CPU pipeline: `matlit run` with the stages and parse settings of data/corpus.yaml (fetch..shard) over the
  bundled papers in a temp work dir, one task, one worker; CPU seconds of the process tree (RUSAGE_CHILDREN of the
  measuring process) / pages -> pages per CPU-second, i.e. pages/s per core (goal >= 20). Baseline: raw PyMuPDF.
* peak RSS at N papers: the bundled papers copied N times under new ids (a unique trailing PDF comment, so the
  sha256-based paper id differs), then `matlit run` with a cheap stage set — fetch, parse (tables off, figures
  off, OCR never), extract, normalize — one worker, in-process (datatrove runs workers=1 in the launching
  process); peak RSS = ru_maxrss of that child. Each N runs in its own measuring process. Goal: RSS at the largest
  N within 10 % of RSS at 10. N is `--scale` (default 10,100; 1000 takes long on 2 cores: `make bench
  BENCH_ARGS="--scale 10,100,1000"` or MATLIT_BENCH_SCALE=10,100,1000).
* table extraction: the `tables` extractor over the bundled papers parsed with tables, beside that parse rate.

`consolidate` turns the per-area results (pipeline/bench.py and the per-area benches) into rows of
(figure, value, baseline measured in the same run, ratio); `write_results` writes them with the machine description.
The repo's top level is fixed, so results go under the git-ignored work dir: work/bench/results.json.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCALE = (10, 100)
RSS_STAGES = ["fetch", "parse", "extract", "normalize"]


# ---------------------------------------------------------------- machine


def machine_info() -> dict:
    info: dict = {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["ram_gb"] = round(int(line.split()[1]) / 2**20, 1)
                break
    except OSError:
        pass
    for mod in ("torch", "pymupdf", "pyarrow"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - optional
            info[mod] = None
    return info


# ---------------------------------------------------------------- helpers


def _matlit_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "matlit"
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from pipeline.cli import app; app()"]


def _pages(pdfs: list[str | Path]) -> int:
    import pymupdf

    n = 0
    for p in pdfs:
        with pymupdf.open(p) as d:
            n += d.page_count
    return n


def make_copies(pdfs: list[str], n: int, dest: Path) -> list[Path]:
    """n PDFs in `dest`, cycling through `pdfs`, each with a unique trailing comment (new sha256, same content)."""
    dest.mkdir(parents=True, exist_ok=True)
    blobs = [Path(p).read_bytes() for p in pdfs]
    out = []
    for i in range(n):
        p = dest / f"copy{i:05d}.pdf"
        p.write_bytes(blobs[i % len(blobs)] + f"\n%matlit-bench-copy {i}\n".encode())
        out.append(p)
    return out


def _run_matlit(cfg: dict, root: Path) -> dict:
    """`matlit run` on a config in a child process: CPU seconds and peak RSS of the child tree, wall seconds."""
    import yaml

    path = root / "bench.yaml"
    path.write_text(yaml.safe_dump(cfg))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run([*_matlit_cmd(), "run", "--config", str(path)], capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise RuntimeError(f"matlit run failed ({res.returncode}):\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    summary = {}
    runs = sorted((Path(cfg["work_dir"]) / "runs").glob("*/summary.json"))
    if runs:
        summary = {s["stage"]: s for s in json.loads(runs[-1].read_text())}
    return {
        "cpu_s": round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 3),
        "wall_s": round(wall, 3),
        "peak_rss_mb": round(after.ru_maxrss / 1024),
        "stages": {k: {"seconds": v["seconds"], "out": v["out"], "failed": v["failed"]} for k, v in summary.items()},
    }


def _corpus_config() -> dict:
    import yaml

    return yaml.safe_load((REPO / "data" / "corpus.yaml").read_text())


# ---------------------------------------------------------------- measurements


def measure_pipeline(pdfs: list[str]) -> dict:
    """The whole CPU pipeline (data/corpus.yaml's stages and parse settings) over `pdfs`: pages per CPU-second."""
    base = _corpus_config()
    with tempfile.TemporaryDirectory(prefix="matlit-bench-run-") as tmp:
        root = Path(tmp)
        src = root / "papers"
        src.mkdir()
        for p in pdfs:
            shutil.copy(p, src / Path(p).name)
        meta = Path(pdfs[0]).parent / "metadata.yaml"
        if meta.exists():
            shutil.copy(meta, src / "metadata.yaml")
        cfg = {"work_dir": str(root / "work"), "stages": base["stages"], "fetch": {"local": [str(src)]},
               "parse": base.get("parse", {}),
               "runner": {"tasks": 1, "workers": 1, "progress": False,
                          "paper_timeout_s": base.get("runner", {}).get("paper_timeout_s", 600)}}
        r = _run_matlit(cfg, root)
    pages = _pages(pdfs)
    return {"kind": "pipeline", "papers": len(pdfs), "pages": pages, "stages_run": base["stages"], **r,
            "pages_per_cpu_s": round(pages / r["cpu_s"], 3), "pages_per_wall_s": round(pages / r["wall_s"], 3)}


def measure_rss(pdfs: list[str], n: int) -> dict:
    """Peak RSS of one in-process worker running the cheap stage set over n copies of the bundled papers."""
    with tempfile.TemporaryDirectory(prefix=f"matlit-bench-rss{n}-") as tmp:
        root = Path(tmp)
        copies = make_copies(pdfs, n, root / "papers")
        pages = _pages(copies)
        cfg = {"work_dir": str(root / "work"), "stages": RSS_STAGES, "fetch": {"local": [str(root / "papers")]},
               "parse": {"tables": False, "figures": False, "ocr": "never"},
               "runner": {"tasks": 1, "workers": 1, "progress": False}}
        r = _run_matlit(cfg, root)
    return {"kind": "rss", "papers": n, "pages": pages, "stages_run": RSS_STAGES, **r}


def measure_tables(pdfs: list[str]) -> dict:
    """The `tables` extractor over the bundled papers parsed with tables (CPU s), beside that parse."""
    from pipeline.config import ParseConfig
    from pipeline.extract import build_extractors, extract_document
    from pipeline.parse.pdf import parse_pdf
    from pipeline.parse.sentences import add_sentences

    docs = []
    t0 = time.process_time()
    for path in pdfs:
        d = parse_pdf(Path(path), "bench", ParseConfig(tables=True, figures=False, ocr="never"))
        add_sentences(d)
        docs.append(d)
    parse_s = time.process_time() - t0
    pages = sum(len(d.pages) for d in docs)
    ex = build_extractors(["tables"])
    extract_document(docs[0], ex)  # warm
    t0 = time.process_time()
    n_rec = sum(len(extract_document(d, ex)) for d in docs)
    extract_s = max(time.process_time() - t0, 1e-6)
    return {"kind": "tables", "pages": pages, "tables": sum(len(getattr(d, "tables", []) or []) for d in docs),
            "records": n_rec, "parse_s": round(parse_s, 3), "extract_s": round(extract_s, 4),
            "parse_pages_per_s": round(pages / parse_s, 2), "extract_pages_per_s": round(pages / extract_s, 1)}


def parse_scale(text: str | None) -> list[int]:
    text = text or os.environ.get("MATLIT_BENCH_SCALE") or ",".join(map(str, DEFAULT_SCALE))
    return sorted({int(x) for x in text.split(",") if x.strip()})


# ---------------------------------------------------------------- consolidation


def _row(figure: str, value, unit: str, baseline_name: str, baseline, ratio=None, goal: str = "", met=None) -> dict:
    if ratio is None and value is not None and baseline:
        ratio = value / baseline
    return {"figure": figure, "value": value, "unit": unit, "baseline": baseline_name, "baseline_value": baseline,
            "ratio": None if ratio is None else round(ratio, 3), "goal": goal, "met": met}


def consolidate(report: dict) -> list[dict]:
    """One row per figure, each with its baseline from the same run and the ratio. Missing parts are skipped."""
    rows: list[dict] = []
    parse = {r["kind"]: r for r in report.get("results", [])}
    raw = parse.get("raw", {}).get("pages_per_s")
    if raw:
        rows.append(_row("raw PyMuPDF get_text('dict')", raw, "pages/s", "itself", raw))
        for kind, name in (("parse", "parse (no tables)"), ("parse+tables", "parse (with tables)")):
            if kind in parse:
                v = parse[kind]["pages_per_s"]
                rows.append(_row(name, v, "pages/s", "raw PyMuPDF", raw,
                                 goal=">= 0.5 x raw" if kind == "parse" else "", met=(v / raw >= 0.5) if kind == "parse" else None))
    ex = report.get("extract")
    if ex:
        v, b = 1 / ex["extract_s_per_page"], 1 / ex["parse_s_per_page"]
        rows.append(_row("text extraction (text_rules)", round(v, 1), "pages/s", "parse (no tables), wall", round(b, 1),
                         goal="faster than parse", met=v > b))
    tb = report.get("tables")
    if tb:
        rows.append(_row("table extraction (tables extractor)", tb["extract_pages_per_s"], "pages/s",
                         "parse (with tables)", tb["parse_pages_per_s"]))
    vf = report.get("vector_figures") or {}
    if vf.get("figures") and vf.get("digitize_s"):
        rows.append(_row("vector figure extraction", vf["figures_per_s"], "figures/s", "get_drawings+get_text, same pages",
                         round(vf["figures"] / vf["read_s"], 2) if vf.get("read_s") else None, ratio=vf.get("ratio_to_read")))
    ra = report.get("raster") or {}
    if ra.get("figures"):
        rows.append(_row("raster figure extraction", ra["figures_per_s"], "figures/s", "get_pixmap of the regions",
                         ra.get("render_figures_per_s"), ratio=ra.get("ratio_to_render")))
    pl = report.get("pipeline")
    if pl:
        v = pl["pages_per_cpu_s"]
        rows.append(_row(f"whole CPU pipeline ({pl['stages_run'][0]}..{pl['stages_run'][-1]})", v, "pages/s per core",
                         "raw PyMuPDF", raw, goal=">= 20", met=v >= 20))
    rss = sorted(report.get("rss", []), key=lambda r: r["papers"])
    if rss:
        b = rss[0]["peak_rss_mb"]
        for r in rss:
            last = r is rss[-1] and len(rss) > 1
            rows.append(_row(f"peak RSS, {r['papers']} papers (cheap stages)", r["peak_rss_mb"], "MB",
                             f"RSS at {rss[0]['papers']}", b, goal="<= 1.10 x" if last else "",
                             met=(r["peak_rss_mb"] <= 1.1 * b) if last else None))
    sh = report.get("shard")
    if sh:
        rows.append(_row("shard write", sh["stage_mb_per_s"], "MB/s", "bare pyarrow write_table", sh["bare_mb_per_s"],
                         ratio=sh.get("ratio")))
    dl = report.get("dataloader")
    if dl:
        rows.append(_row("dataloader", dl["dataloader_tokens_per_s"], "tokens/s", "bare pyarrow + tokenize",
                         dl["bare_tokens_per_s"], ratio=dl.get("ratio"), goal=">= 0.5 x", met=dl["ratio"] >= 0.5))
    sc = report.get("score")
    if sc and sc.get("score_records_per_s"):
        rows.append(_row("score", sc["score_records_per_s"], "records/s", "normalize", sc["normalize_records_per_s"],
                         ratio=sc.get("ratio_to_normalize")))
    return rows


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:,.3f}" if abs(x) < 10 else f"{x:,.1f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def table(rows: list[dict], title: str = "make bench: every figure beside its baseline (same run)"):
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    for col in ("figure", "value", "unit", "baseline (same run)", "baseline value", "ratio", "goal"):
        t.add_column(col, justify="left" if col in ("figure", "unit", "baseline (same run)", "goal") else "right")
    for r in rows:
        goal = r["goal"] + ("" if r["met"] is None else (" met" if r["met"] else " NOT met")) if r["goal"] else ""
        t.add_row(r["figure"], _fmt(r["value"]), r["unit"], r["baseline"], _fmt(r["baseline_value"]), _fmt(r["ratio"]), goal)
    return t


def markdown(rows: list[dict]) -> str:
    """The same table as Markdown (for README.md)."""
    lines = ["| figure | value | unit | baseline (same run) | baseline | ratio | goal |", "|---|--:|---|---|--:|--:|---|"]
    for r in rows:
        goal = r["goal"] + ("" if r["met"] is None else (" met" if r["met"] else " **not met**")) if r["goal"] else ""
        lines.append(f"| {r['figure']} | {_fmt(r['value'])} | {r['unit']} | {r['baseline']} | {_fmt(r['baseline_value'])} "
                     f"| {_fmt(r['ratio'])} | {goal} |")
    return "\n".join(lines)


def write_results(path: Path, report: dict, rows: list[dict], machine: dict | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"machine": machine if machine is not None else machine_info(),
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "table": rows, "details": report}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(path)
    return path

"""`make bench`: parse throughput against raw PyMuPDF on the same PDFs in one run, and peak memory.

Each measurement runs in its own subprocess (so peak RSS is its own) over the same files, warm cache; figures
are ratios against the raw `page.get_text("dict")` baseline measured in the same run — the machines are noisy.
Goal (foundation issue): matlit parse without tables >= 50 % of the raw dict rate.
"""

from __future__ import annotations

import glob
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PDFS = sorted(glob.glob(str(REPO / "data" / "papers" / "*.pdf")))


def _measure(kind: str, pdfs: list[str], repeat: int) -> dict:
    import pymupdf

    from pipeline.config import ParseConfig

    pages = 0
    t0 = time.perf_counter()
    for _ in range(repeat):
        for path in pdfs:
            if kind == "raw":
                with pymupdf.open(path) as doc:
                    for page in doc:
                        page.get_text("dict")
                        pages += 1
            else:
                from pipeline.parse.pdf import parse_pdf
                from pipeline.parse.sentences import add_sentences

                cfg = ParseConfig(tables=(kind == "parse+tables"), figures=True, ocr="never")
                doc = parse_pdf(Path(path), "bench", cfg)
                add_sentences(doc)
                pages += len(doc.pages)
    secs = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"kind": kind, "pages": pages, "seconds": round(secs, 3), "pages_per_s": round(pages / secs, 1), "peak_rss_mb": round(rss_mb)}


def run_one(kind: str, pdfs: list[str], repeat: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "pipeline.bench", "--one", kind, "--repeat", str(repeat), *pdfs],
        capture_output=True, text=True, cwd=REPO,
    )
    if out.returncode != 0:
        raise SystemExit(f"bench {kind} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("pdfs", nargs="*", default=DEFAULT_PDFS)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--repeat", type=int, default=3, help="passes over the PDFs for the fast measurements")
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(_measure(args.one, args.pdfs, args.repeat)))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"bench: {len(args.pdfs)} PDFs, raw and no-table parse x{args.repeat}, parse with tables x1")
    results = [run_one("raw", args.pdfs, args.repeat), run_one("parse", args.pdfs, args.repeat), run_one("parse+tables", args.pdfs, 1)]
    base = results[0]["pages_per_s"]
    t = Table(title="parse throughput (same PDFs, same run)", title_justify="left")
    for col in ("measurement", "pages", "seconds", "pages/s", "ratio to raw dict", "peak RSS (MB)"):
        t.add_column(col, justify="left" if col == "measurement" else "right")
    names = {"raw": 'raw page.get_text("dict")', "parse": "matlit parse (no tables)", "parse+tables": "matlit parse (with tables)"}
    for r in results:
        t.add_row(names[r["kind"]], str(r["pages"]), f"{r['seconds']:.2f}", f"{r['pages_per_s']:.1f}", f"{r['pages_per_s'] / base:.2f}", str(r["peak_rss_mb"]))
    console.print(t)
    ratio = results[1]["pages_per_s"] / base
    goal = "met" if ratio >= 0.5 else "NOT met"
    console.print(f"goal parse (no tables) >= 0.50 x raw dict rate: {ratio:.2f} -> {goal}")
    out = REPO / "work" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "parse.json").write_text(json.dumps({"results": results, "ratio_no_tables": round(ratio, 3)}, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])

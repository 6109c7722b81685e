"""`make bench`: parse throughput against raw PyMuPDF on the same PDFs in one run, and peak memory.

Each measurement runs in its own subprocess (so peak RSS is its own) over the same files, warm cache, timed in
CPU seconds of that process; figures are ratios against the raw `page.get_text("dict")` baseline measured in the
same run — the machines are noisy. "matlit parse" is the whole parse stage: layout, figures and sentences.
Goal (foundation issue): matlit parse without tables >= 50 % of the raw dict rate.

At the end: the whole CPU pipeline, table extraction and peak RSS at `--scale` papers (pipeline/bench_pipeline.py),
then one consolidated table of every figure beside its same-run baseline, also written (with the machine) to
work/bench/results.json (under the git-ignored work dir: the repo's top level is fixed).
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

    if kind != "raw":  # imported before the clock starts, as pymupdf is for the raw run: rates, not start-up
        from pipeline.parse.pdf import parse_pdf
        from pipeline.parse.sentences import add_sentences

    pages = 0
    t0 = time.process_time()  # CPU time of this process: robust to other load on a shared machine
    for _ in range(repeat):
        for path in pdfs:
            if kind == "raw":
                with pymupdf.open(path) as doc:
                    for page in doc:
                        page.get_text("dict")
                        pages += 1
            else:
                cfg = ParseConfig(tables=(kind == "parse+tables"), figures=True, ocr="never")
                doc = parse_pdf(Path(path), "bench", cfg)
                add_sentences(doc)
                pages += len(doc.pages)
    secs = time.process_time() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"kind": kind, "pages": pages, "seconds": round(secs, 3), "pages_per_s": round(pages / secs, 1), "peak_rss_mb": round(rss_mb)}


def _measure_extract(pdfs: list[str]) -> dict:
    """Text extraction over the parsed bundled papers and the dev corpora's sentences, beside the parse rate."""
    from pipeline.config import ParseConfig
    from pipeline.extract import build_extractors, extract_document, text_document
    from pipeline.parse.pdf import parse_pdf
    from pipeline.parse.sentences import add_sentences

    docs = []
    t0 = time.perf_counter()
    for path in pdfs:
        d = parse_pdf(Path(path), "bench", ParseConfig(tables=False, ocr="never"))
        add_sentences(d)
        docs.append(d)
    parse_s = time.perf_counter() - t0
    pages = sum(len(d.pages) for d in docs)
    sentences = sum(len(d.sentences) for d in docs)
    extractors = build_extractors(["text_rules"])
    extract_document(docs[0], extractors)  # warm: vocabulary, pymatgen
    t0 = time.perf_counter()
    n_rec = sum(len(extract_document(d, extractors)) for d in docs)
    extract_s = time.perf_counter() - t0
    out = {
        "kind": "extract",
        "pages": pages,
        "sentences": sentences,
        "records": n_rec,
        "parse_s": round(parse_s, 3),
        "extract_s": round(extract_s, 3),
        "parse_s_per_page": round(parse_s / pages, 4),
        "extract_s_per_page": round(extract_s / pages, 4),
        "sentences_per_s": round(sentences / extract_s, 1),
    }
    # the dev corpora's sentences (when ../shared is there): a larger, more varied sample
    try:
        from pipeline.evaluate import load_corpus

        texts = [(d.id, d.text) for name in ("measeval", "bandgap_dong_cole", "supermat") for d in load_corpus(name).docs]
    except (FileNotFoundError, ImportError):
        texts = []
    if texts:
        tdocs = [text_document(i, t) for i, t in texts]
        n_sent = sum(len(d.sentences) for d in tdocs)
        t0 = time.perf_counter()
        for d in tdocs:
            extract_document(d, extractors)
        secs = time.perf_counter() - t0
        out["dev_sentences"] = n_sent
        out["dev_sentences_per_s"] = round(n_sent / secs, 1)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


HOSTILE = {
    "digits": "1" * 1_000_000,
    "digits and spaces": "1 " * 500_000,
    "dashes and numbers": "1–2−3-4 " * 125_000,
    "unit soup": "mA h g−1 S cm−1 " * 62_500,
    "formula soup": "Fe Ni O3−δ " * 90_000,
    "one long paragraph": ("The band gap of TiO2 is 3.2 eV at 300 K and Tc of MgB2 is 39 K. " * 16_000),
    "binary garbage": bytes(range(256)).decode("latin-1") * 4000,
}


def _measure_hostile() -> dict:
    """Seconds per 1 MB hostile input for each text matcher: linear time, no catastrophic backtracking."""
    from extractors.materials import find_materials
    from extractors.quantities import find_quantities
    from schemas.vocab import find_property_mentions

    find_quantities("warm 3.2 eV"), find_materials("warm MgB2"), find_property_mentions("warm band gap")
    out = {}
    for name, text in HOSTILE.items():
        row = {}
        for fname, fn in (("quantities", find_quantities), ("materials", find_materials), ("properties", find_property_mentions)):
            t0 = time.perf_counter()
            fn(text)
            row[fname] = round(time.perf_counter() - t0, 3)
        out[name] = row
    return {"kind": "hostile", "seconds": out}


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
    ap.add_argument("--scale", default=None, help="paper counts for the peak-RSS runs (default 10,100, or env "
                    "MATLIT_BENCH_SCALE; 1000 takes long on 2 cores)")
    args = ap.parse_args(argv)
    if args.one:
        if args.one == "extract":
            result = _measure_extract(args.pdfs)
        elif args.one == "hostile":
            result = _measure_hostile()
        elif args.one == "dataloader":
            from pipeline.train.bench import measure_dataloader

            result = measure_dataloader(args.pdfs)
        elif args.one == "shard":
            from pipeline.shard.bench import measure_shard

            result = measure_shard(args.pdfs)
        elif args.one == "review":
            from pipeline.review.bench import measure_review

            result = measure_review()
        elif args.one == "score":
            from pipeline.score.bench import measure_score

            result = measure_score(args.pdfs)
        elif args.one == "vector":
            from pipeline.figures.bench import measure_vector

            result = measure_vector()
        elif args.one == "raster":
            from pipeline.bench_raster import measure_raster

            result = measure_raster()
        elif args.one == "pipeline":
            from pipeline.bench_pipeline import measure_pipeline

            result = measure_pipeline(args.pdfs)
        elif args.one == "tables":
            from pipeline.bench_pipeline import measure_tables

            result = measure_tables(args.pdfs)
        elif args.one.startswith("rss:"):
            from pipeline.bench_pipeline import measure_rss

            result = measure_rss(args.pdfs, int(args.one[4:]))
        else:
            result = _measure(args.one, args.pdfs, args.repeat)
        print(json.dumps(result))
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
    ex = run_one("extract", args.pdfs, 1)
    t2 = Table(title="text extraction (text_rules) beside parse, same run", title_justify="left")
    for col in ("corpus", "pages", "sentences", "records", "parse s/page", "extract s/page", "sentences/s"):
        t2.add_column(col, justify="left" if col == "corpus" else "right")
    t2.add_row("bundled papers", str(ex["pages"]), str(ex["sentences"]), str(ex["records"]), f"{ex['parse_s_per_page']:.4f}", f"{ex['extract_s_per_page']:.4f}", f"{ex['sentences_per_s']:.0f}")
    if "dev_sentences" in ex:
        t2.add_row("dev corpora (MeasEval, band gap, SuperMat)", "-", str(ex["dev_sentences"]), "-", "-", "-", f"{ex['dev_sentences_per_s']:.0f}")
    console.print(t2)
    cost = ex["extract_s_per_page"] / ex["parse_s_per_page"]
    console.print(f"goal extraction costs less per page than parse: {cost:.2f} x parse -> {'met' if cost < 1 else 'NOT met'}")
    hostile = run_one("hostile", args.pdfs, 1)
    t3 = Table(title="hostile text, ~1 MB each: seconds (budget 30 s per input)", title_justify="left")
    for col in ("input", "quantities", "materials", "properties"):
        t3.add_column(col, justify="left" if col == "input" else "right")
    worst = 0.0
    for name, row in hostile["seconds"].items():
        t3.add_row(name, *(f"{row[k]:.2f}" for k in ("quantities", "materials", "properties")))
        worst = max(worst, *row.values())
    console.print(t3)
    console.print(f"budget 30 s per 1 MB input: worst {worst:.1f} s -> {'met' if worst < 30 else 'NOT met'}")
    out = REPO / "work" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    sh = run_one("shard", args.pdfs, 1)
    t4 = Table(title=f"shard write: {sh['rows']} records ({sh['input_mb']} MB JSONL) -> {sh['shards']} zstd Parquet "
               f"shards ({sh['output_mb']} MB), CPU s", title_justify="left")
    for col in ("measurement", "seconds", "output MB/s", "input MB/s", "rows/s", "ratio to bare write"):
        t4.add_column(col, justify="left" if col == "measurement" else "right")
    t4.add_row("matlit shard (records table)", f"{sh['stage_s']:.2f}", f"{sh['stage_mb_per_s']:.2f}",
               f"{sh['input_mb'] / sh['stage_s']:.1f}", str(sh["stage_rows_per_s"]), f"{sh['ratio']:.3f}")
    t4.add_row("bare pyarrow.parquet.write_table", f"{sh['bare_write_s']:.2f}", f"{sh['bare_mb_per_s']:.2f}", "-",
               str(sh["bare_rows_per_s"]), "1.000")
    console.print(t4)
    ra = run_one("raster", args.pdfs, 1)
    t5 = Table(title=f"raster plot digitizer: {ra['figures']} raster figures of the open PDFs (rendered at 200 dpi), "
               f"CPU s; statuses {ra['statuses']}", title_justify="left")
    for col in ("measurement", "seconds", "figures/s", "ratio to rendering", "worst figure s"):
        t5.add_column(col, justify="left" if col == "measurement" else "right")
    t5.add_row("digitize_raster", f"{ra['digitize_s']:.2f}", f"{ra['figures_per_s']:.2f}", f"{ra['ratio_to_render']:.3f}",
               f"{ra['worst_s']:.2f} ({ra['worst_figure']})")
    t5.add_row("page.get_pixmap of the same regions", f"{ra['render_s']:.2f}", f"{ra['render_figures_per_s']:.2f}",
               "1.000", "-")
    for name, h in ra["hostile"].items():
        t5.add_row(f"hostile: {name}", f"{h['seconds']:.2f}", "-", "-", h["status"])
    console.print(t5)
    vf = run_one("vector", args.pdfs, 1)
    if vf.get("figures"):
        t9 = Table(title=f"vector plot digitizer: {vf['figures']} vector figures of the open PDFs (glyph-outline OCR "
                   f"included), CPU s; statuses {vf['statuses']}", title_justify="left")
        for col in ("measurement", "seconds", "figures/s", "ratio to reading", "worst figure s"):
            t9.add_column(col, justify="left" if col == "measurement" else "right")
        t9.add_row("figures stage, vector path", f"{vf['digitize_s']:.2f}", f"{vf['figures_per_s']:.2f}",
                   f"{vf['ratio_to_read']:.3f}", f"{vf['worst_s']:.2f} ({vf['worst_figure']})")
        t9.add_row("page.get_drawings + get_text of the same pages", f"{vf['read_s']:.2f}", "-", "1.000", "-")
        console.print(t9)
        console.print(f"vector plots calibrated: {vf['calibrated']} of {vf['figures']} vector figures")
    report = {"results": results, "ratio_no_tables": round(ratio, 3), "extract": ex, "hostile": hostile, "shard": sh,
              "raster": ra}
    dl = run_one("dataloader", args.pdfs, 1)
    t6 = Table(title=f"dataloader: {dl['shards']} train shards, {dl['rows']} rows x {dl['epochs']} epochs, "
               f"seq_len {dl['seq_len']}, CPU s", title_justify="left")
    for col in ("measurement", "tokens", "seconds", "tokens/s", "ratio to bare"):
        t6.add_column(col, justify="left" if col == "measurement" else "right")
    t6.add_row("ShardStream + DataLoader (mix, shuffle, pack)", str(dl["dataloader_tokens"]), f"{dl['dataloader_s']:.2f}",
               str(dl["dataloader_tokens_per_s"]), f"{dl['ratio']:.3f}")
    t6.add_row("bare pyarrow read + encode_batch", str(dl["bare_tokens"]), f"{dl['bare_s']:.2f}",
               str(dl["bare_tokens_per_s"]), "1.000")
    console.print(t6)
    console.print(f"goal dataloader >= 0.50 x bare read + tokenize: {dl['ratio']:.2f} -> {'met' if dl['ratio'] >= 0.5 else 'NOT met'}")
    report["dataloader"] = dl
    rv = run_one("review", args.pdfs, 1)
    t7 = Table(title=f"review app: {rv['queued']:,} queued records in SQLite, median request ms", title_justify="left")
    for col in ("request", "wall ms", "CPU ms", "ratio to bare SQL (CPU)"):
        t7.add_column(col, justify="left" if col == "request" else "right")
    base_sql = rv["ms"]["bare SQL: queue page + count (baseline)"]["cpu_ms"] or 0.1
    for name, m in rv["ms"].items():
        t7.add_row(name, f"{m['wall_ms']:.1f}", f"{m['cpu_ms']:.1f}", f"{m['cpu_ms'] / base_sql:.1f}")
    console.print(t7)
    console.print(f"goal review page with 100,000 queued opens in < 300 ms: worst {rv['worst_wall_ms']:.0f} ms wall -> "
                  f"{'met' if rv['worst_wall_ms'] < 300 else 'NOT met'}")
    report["review"] = rv
    sc = run_one("score", args.pdfs, 1)
    t8 = Table(title=f"score stage: {sc['records']} records of {sc['papers']} bundled papers, {sc['groups']} fact groups, "
               f"CPU s per pass", title_justify="left")
    for col in ("measurement", "seconds", "records/s", "ratio to normalize"):
        t8.add_column(col, justify="left" if col == "measurement" else "right")
    t8.add_row("reconcile + features + model + queue", f"{sc['score_s']:.3f}", str(sc["score_records_per_s"]),
               f"{sc['ratio_to_normalize']:.3f}")
    t8.add_row("normalize (baseline)", f"{sc['normalize_s']:.3f}", str(sc["normalize_records_per_s"]), "1.000")
    console.print(t8)
    report["score"] = sc
    report["vector_figures"] = vf
    report.update(_whole_pipeline(console, args))
    from pipeline.bench_pipeline import consolidate, machine_info, table, write_results

    rows = consolidate(report)
    machine = machine_info()
    wide = console if console.is_terminal else Console(width=160)  # piped: don't squeeze the table to 80 columns
    wide.print(table(rows, title=f"make bench: every figure beside its baseline, same run — {machine.get('cpu_count')} "
                        f"cores ({machine.get('cpu_model', '?')}), {machine.get('ram_gb', '?')} GB RAM"))
    path = write_results(out / "results.json", report, rows, machine)
    console.print(f"results: {path.relative_to(REPO)}")


def _whole_pipeline(console, args) -> dict:
    """Whole CPU pipeline (matlit run fetch..shard), table extraction, peak RSS at each --scale (pipeline/bench_pipeline.py)."""
    from pipeline.bench_pipeline import parse_scale

    pl = run_one("pipeline", args.pdfs, 1)
    stages = ", ".join(f"{k} {v['seconds']:.1f}" for k, v in pl["stages"].items())
    console.print(f"whole CPU pipeline: {pl['pages']} pages in {pl['cpu_s']:.1f} CPU s ({pl['wall_s']:.1f} s wall) -> "
                  f"{pl['pages_per_cpu_s']:.2f} pages/s per core (goal >= 20: {'met' if pl['pages_per_cpu_s'] >= 20 else 'NOT met'}); "
                  f"stage wall s: {stages}")
    tb = run_one("tables", args.pdfs, 1)
    console.print(f"table extraction: {tb['records']} records from {tb['tables']} tables, {tb['extract_pages_per_s']:.0f} "
                  f"pages/s beside parse with tables {tb['parse_pages_per_s']:.1f} pages/s")
    rss = []
    for n in parse_scale(args.scale):
        r = run_one(f"rss:{n}", args.pdfs, 1)
        console.print(f"peak RSS, {n} papers ({r['pages']} pages, {'+'.join(r['stages_run'])}, 1 worker): "
                      f"{r['peak_rss_mb']} MB ({r['wall_s']:.0f} s wall)")
        rss.append(r)
    return {"pipeline": pl, "tables": tb, "rss": rss}


if __name__ == "__main__":
    main(sys.argv[1:])

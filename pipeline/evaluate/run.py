"""run_eval: load each gold corpus, run the extractor once over its texts, score, write report + plots + scores."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from pipeline.evaluate.corpora import CORPORA, TABLE_CORPORA, data_dir, load_corpus
from pipeline.evaluate.metrics import PropertyFilter
from pipeline.evaluate.score import score_corpus
from pipeline.evaluate.tables import TableExtractFn, score_table_corpus
from pipeline.workdir import atomic_write_text
from schemas import Record

ExtractFn = Callable[[list[tuple[str, str]]], list[Record]]


@dataclass(frozen=True)
class Goal:
    corpus: str
    task: str
    level: str
    threshold: float

    def describe(self) -> str:
        return f"{self.corpus} {self.task} F1 ({self.level}) >= {self.threshold:.2f}"


DEFAULT_GOALS = (
    Goal("grobid_quantities", "quantity", "strict", 0.90),
    Goal("measeval", "quantity", "overlap", 0.80),
    Goal("supermat", "tc_link", "overlap", 0.85),
    Goal("bandgap_dong_cole", "bandgap_record", "overlap", 0.75),
)


@dataclass
class EvalResult:
    scores: dict  # what scores.json holds
    out_dir: Path
    report: Path
    plots: list[Path] = field(default_factory=list)

    def f1(self, corpus: str, task: str, level: str = "overlap") -> float:
        return self.scores["corpora"][corpus]["tasks"][task]["levels"][level]["f1"]

    def level(self, corpus: str, task: str, level: str = "overlap") -> dict:
        return self.scores["corpora"][corpus]["tasks"][task]["levels"][level]


def check_goals(corpora: dict, goals=DEFAULT_GOALS) -> list[dict]:
    out = []
    for g in goals:
        task = corpora.get(g.corpus, {}).get("tasks", {}).get(g.task)
        f1 = task["levels"][g.level]["f1"] if task else None
        out.append({**g.__dict__, "goal": g.describe(), "f1": f1, "met": None if f1 is None else f1 >= g.threshold})
    return out


def load_predictions(path: Path | str) -> list[Record]:
    """Records from `matlit extract --text` output: one Record JSON per line plus "doc_id" (which wins)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            obj = json.loads(line)
            doc_id = obj.pop("doc_id", None)
            try:
                rec = Record.model_validate(obj)
            except ValueError as e:
                raise ValueError(f"{path}:{n}: not a Record: {e}") from e
            if doc_id is not None and rec.evidence.source_id != str(doc_id):
                rec.evidence = rec.evidence.model_copy(update={"source_id": str(doc_id)})
            out.append(rec)
    return out


def predictions_extractor(records: list[Record]) -> ExtractFn:
    """An 'extractor' that replays saved predictions: the records of the docs it is asked for."""

    def extract(items: list[tuple[str, str]]) -> list[Record]:
        ids = {doc_id for doc_id, _ in items}
        return [r for r in records if r.evidence.source_id in ids]

    extract.__name__ = "saved_predictions"
    return extract


def write_inputs(path: Path | str, corpora: list[str] | None = None, shared_dir=None, limit: int | None = None) -> int:
    """The corpora's texts as `{"id", "text"}` lines, the input of `matlit extract --text`. Returns the count."""
    lines = []
    for name in corpora or CORPORA:
        if name in TABLE_CORPORA:  # PDF-based: no text to hand over
            continue
        for d in load_corpus(name, shared_dir, limit).docs:
            lines.append(json.dumps({"id": d.id, "text": d.text}, ensure_ascii=False) + "\n")
    atomic_write_text(Path(path), "".join(lines))
    return len(lines)


def _progress(enabled: bool):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not enabled,
    )


def _run_tables(cname: str, shared_dir, limit, table_extract_fn, n_errors: int, bar) -> dict:
    corpus = load_corpus(cname, shared_dir, limit)
    entry: dict = {"docs": len(corpus.tables), "kind": corpus.kind, "stats": corpus.stats}
    shared_data = data_dir(shared_dir)
    step = bar.add_task(f"{cname}: parse + extract + score", total=len(corpus.tables))
    t0 = time.perf_counter()
    entry["tables"] = score_table_corpus(
        corpus,
        table_extract_fn,
        shared_data if shared_data.is_dir() else None,
        n_errors,
        on_table=lambda: bar.advance(step),
    )
    entry["extract_seconds"] = round(time.perf_counter() - t0, 3)
    bar.remove_task(step)
    return entry


def run_eval(
    extract_fn: ExtractFn,
    corpora: list[str] | None = None,
    shared_dir: Path | str | None = None,
    out_dir: Path | str = "eval",
    limit: int | None = None,
    *,
    filters: dict[str, PropertyFilter] | None = None,
    goals=DEFAULT_GOALS,
    n_errors: int = 5,
    name: str | None = None,
    progress: bool = True,
    table_extract_fn: TableExtractFn | None = None,
    split: str = "all",
    calibrate: Callable[[list[tuple]], dict] | None = None,
) -> EvalResult:
    """Score `extract_fn` on the gold corpora (all text corpora by default; the first `limit` docs of each).

    A corpus whose extraction raises is reported as failed and the others still run. A PDF-table corpus
    (`table_gold`, only when named) is scored with `table_extract_fn` (default: parse + TableExtractor + normalize,
    see tables.py) instead of `extract_fn`; its entry holds "tables" (overall and per-table scores), not "tasks".
    """
    from pipeline.evaluate.report import write_report

    names = list(corpora or CORPORA)
    results: dict[str, dict] = {}
    judged: list[tuple] = []  # (corpus, records) for `calibrate` (pipeline/score/train.py:eval_calibration)
    with _progress(progress) as bar:
        overall = bar.add_task("corpora", total=len(names))
        for cname in names:
            if cname in TABLE_CORPORA:
                results[cname] = _run_tables(cname, shared_dir, limit, table_extract_fn, n_errors, bar)
                bar.advance(overall)
                continue
            corpus = load_corpus(cname, shared_dir).split(split).limited(limit)  # split: gold.split_of
            entry: dict = {"docs": len(corpus.docs), "tasks": {}, "stats": corpus.stats}
            results[cname] = entry
            step = bar.add_task(f"{cname}: extract", total=len(corpus.docs))
            t0 = time.perf_counter()
            llm_stats = getattr(extract_fn, "llm_stats", None)  # a Counter the LLM extractor fills (cli eval)
            llm_before = dict(llm_stats) if llm_stats is not None else None
            try:
                records = [
                    r if isinstance(r, Record) else Record.model_validate(r)
                    for r in extract_fn([(d.id, d.text) for d in corpus.docs])
                ]
            except Exception as e:  # noqa: BLE001 - one broken corpus must not hide the others
                entry["error"] = f"{type(e).__name__}: {e}"
                bar.remove_task(step)
                bar.advance(overall)
                continue
            entry["extract_seconds"] = round(time.perf_counter() - t0, 3)
            if llm_stats is not None:
                from collections import Counter

                from pipeline.llm.build import llm_summary

                entry["llm"] = llm_summary(Counter({k: v - llm_before.get(k, 0) for k, v in llm_stats.items()}))
            bar.update(step, description=f"{cname}: score", completed=0)
            entry.update(score_corpus(corpus, records, filters, n_errors, on_doc=lambda s=step: bar.advance(s)))
            if calibrate is not None:
                judged.append((corpus, records))
            bar.remove_task(step)
            bar.advance(overall)
    scores = {
        "extractor": name or getattr(extract_fn, "__name__", "extractor"),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "limit": limit,
        "split": split,
        "corpora": results,
        "goals": check_goals(results, goals),
    }
    if calibrate is not None:  # score calibration: ECE, reliability, wrong records in the lowest-scored 20 %
        scores["calibration"] = calibrate(judged)
    out = Path(out_dir)
    report, plots = write_report(scores, out)
    return EvalResult(scores=scores, out_dir=out, report=report, plots=plots)

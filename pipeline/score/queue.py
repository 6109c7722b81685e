"""The `review` stage: the review queue, work/review/queue.jsonl, from the scored records (work/scored/*.jsonl).

File format (the review app, pipeline/review/, imports it; keep it stable): UTF-8 JSON Lines, written atomically
(temp file + rename), one object per queued record, highest priority first:

    {"record_id": "3f2a...", "paper_id": "a1b2c3d4e5f60718", "priority": 0.8731,
     "reasons": ["score 0.47 below 0.50", "disagrees with the consensus of other papers", "flag: out_of_plausible_range"]}

    record_id  Record.record_id (the record is in work/scored/<paper_id>.jsonl)
    paper_id   Record.paper_id
    priority   float, higher = review first (the expected value of a review, below)
    reasons    list of plain-words strings: why the record is queued

A record is queued when its score is below `review_queue.threshold`, or it disagrees with the consensus of other
papers (`disagrees_with_consensus`), or it carries one of `review_queue.flags`. Priority = the score's uncertainty
4·s·(1−s) (1 at s = 0.5, 0 at 0 or 1) times a frequency weight 1 + ln(1+n)/ln(1+n_max) (n = records of the same
material in the corpus: frequent materials matter more), plus 0.25 for a disagreement and 0.1 for flags. Ties are
broken by record id, so the file is deterministic.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

from pipeline.runner import Stage
from pipeline.workdir import WorkDir, atomic_write_text
from schemas import Record

QUEUE_FIELDS = ("record_id", "paper_id", "priority", "reasons")


def queue_path(wd: WorkDir) -> Path:
    return wd.root / "review" / "queue.jsonl"


def _material(rec: Record) -> str | None:
    from pipeline.score.reconcile import material_key

    return material_key(rec)


def queue_entries(records: list[Record], threshold: float = 0.5, flags: list[str] | tuple = (), disagreement: bool = True,
                  max_items: int | None = None) -> list[dict]:
    """Queue entries for `records`, highest priority first."""
    freq = Counter(m for m in map(_material, records) if m)
    n_max = max(freq.values(), default=1)
    watch = set(flags)
    out = []
    for r in records:
        s = r.score if r.score is not None else 0.5
        reasons = []
        bonus = 0.0
        if r.score is None:
            reasons.append("not scored")
        elif s < threshold:
            reasons.append(f"score {s:.2f} below {threshold:.2f}")
        if disagreement and "disagrees_with_consensus" in r.flags:
            reasons.append("disagrees with the consensus of other papers")
            bonus += 0.25
        hit = sorted(watch & set(r.flags))
        if hit:
            reasons += [f"flag: {f}" for f in hit]
            bonus += 0.1
        if not reasons:
            continue
        m = _material(r)
        weight = 1.0 + (math.log1p(freq[m]) / math.log1p(n_max) if m else 0.0)
        priority = round(4.0 * s * (1.0 - s) * weight + bonus, 6)
        out.append({"record_id": r.record_id, "paper_id": r.paper_id, "priority": priority, "reasons": reasons})
    out.sort(key=lambda e: (-e["priority"], e["record_id"]))
    return out[:max_items] if max_items is not None else out


def write_queue(wd: WorkDir, entries: list[dict]) -> Path:
    path = queue_path(wd)
    atomic_write_text(path, "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
    return path


def read_queue(path: Path | str) -> list[dict]:
    """The queue file's entries, checked against the format above."""
    out = []
    for n, line in enumerate(Path(path).read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        obj = json.loads(line)
        if tuple(obj) != QUEUE_FIELDS:
            raise ValueError(f"{path}:{n}: expected fields {QUEUE_FIELDS}, got {tuple(obj)}")
        out.append(obj)
    return out


class ReviewQueueStage(Stage):
    """Corpus-level: no per-paper work; finalize() reads every scored paper and writes the queue."""

    name = "review"

    def work_items(self, wd: WorkDir) -> list[str]:
        return []

    @staticmethod
    def status_row(wd: WorkDir) -> tuple[str, str, str]:
        """`matlit status`: (done, failed, pending) for the one queue file."""
        path = queue_path(wd)
        if not path.exists():
            return ("no queue", "-", "-")
        n = sum(1 for line in path.read_text("utf-8").splitlines() if line.strip())
        return (f"{n} queued", "-", "-")

    def finalize(self, wd: WorkDir) -> None:
        from rich.console import Console

        qc = self.cfg.review_queue
        records: list[Record] = []
        for pid in sorted(wd.done_ids("score")):
            try:
                records.extend(wd.read_records("score", pid))
            except (OSError, ValueError) as e:
                Console(stderr=True).print(f"[yellow]review queue:[/yellow] skipped {wd.stage_output('score', pid)}: {e}")
        entries = queue_entries(records, qc.threshold, qc.flags, qc.disagreement, qc.max_items)
        write_queue(wd, entries)

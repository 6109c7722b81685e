"""SOFC-Exp (train + dev): full texts with MATERIAL / VALUE spans and experiment frames.

One doc per text. Frame SPAN offsets are relative to their sentence (sentences/*.csv gives the sentence's absolute
offsets). Annotation is complete only in sentences labelled as describing an experiment, so those sentences are the
scoring regions: gold spans and predictions elsewhere are left out (as in the official SOFC-Exp entity task).
A VALUE's label is the experiment slot that takes it (current_density, working_temperature, ...).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from pipeline.evaluate.gold import Corpus, GoldDoc, Span, Task, merge_split, trim

NAME = "sofc_exp"
SPLITS = ("train", "dev")

TASKS = [
    Task("material", "span", field="material", note="MATERIAL spans vs predicted material spans, experiment sentences"),
    Task(
        "value",
        "span",
        field="quantity",
        note="VALUE spans vs predicted quantity + condition spans, experiment sentences; per-slot breakdown",
    ),
]


def _tsv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return [r for r in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE) if r]


def _frames(path: Path, counts: Counter) -> tuple[list[list[str]], dict[str, str]]:
    """SPAN rows, and span id -> slot name (the first experiment slot that takes it)."""
    spans, slots = [], {}
    for line in path.read_text(encoding="utf-8").split("\n"):
        parts = line.split("\t")
        if parts[0] == "SPAN":
            spans.append(parts)
        elif parts[0] == "EXPERIMENT":
            counts["frames"] += 1
        elif parts[0] == "" and len(parts) >= 3:
            slots.setdefault(parts[2], parts[1])
    return spans, slots


def load_doc(root: Path, split: str, pid: str, counts: Counter) -> GoldDoc:
    ann = root / split / "annotations"
    text = (root / split / "texts" / f"{pid}.txt").read_text(encoding="utf-8")
    sentences = {r[0]: (int(r[2]), int(r[3]), r[1]) for r in _tsv(ann / "sentences" / f"{pid}.csv")}
    token_starts: dict[str, set[int]] = {}
    for r in _tsv(ann / "tokens" / f"{pid}.csv"):
        token_starts.setdefault(r[0], set()).add(int(r[2]))
    regions = sorted((b, e) for b, e, label in sentences.values() if label == "1")
    spans: dict[str, dict[tuple[int, int], Span]] = {"material": {}, "value": {}}
    rows, slots = _frames(ann / "frames" / f"{pid}.csv", counts)
    for row in rows:
        _, span_id, etype, sid, b, e = row[:6]
        task = {"MATERIAL": "material", "VALUE": "value"}.get(etype)
        if task is None:
            continue
        counts[etype] += 1
        s0, s1, label = sentences[sid]
        start, end = s0 + int(b), s0 + int(e)
        if not (s0 <= start < end <= s1) or trim(text, start, end) != (start, end):
            counts["offset_mismatches"] += 1
        if int(b) not in token_starts.get(sid, set()):
            counts["not_at_token_start"] += 1
        if label != "1":
            counts[f"{etype}_outside_experiment_sentences"] += 1
            continue
        start, end = trim(text, start, end)
        spans[task].setdefault((start, end), Span(start, end, label=slots.get(span_id, "") if task == "value" else ""))
    return GoldDoc(
        id=f"{NAME}:{pid}",
        text=text,
        spans={k: sorted(v.values(), key=lambda s: (s.start, s.end)) for k, v in spans.items()},
        regions=regions,
    )


def load(root: Path) -> Corpus:
    docs, counts = [], Counter()
    for split in SPLITS:
        c: Counter = Counter()
        for path in sorted((root / split / "texts").glob("*.txt")):
            c["docs"] += 1
            docs.append(load_doc(root, split, path.stem, c))
        merge_split(counts, split, c)
    stats = {
        "docs": len(docs),
        **{k: counts[k] for k in sorted(counts) if k != "offset_mismatches"},
        "material_spans_scored": sum(len(d.spans["material"]) for d in docs),
        "value_spans_scored": sum(len(d.spans["value"]) for d in docs),
        "experiment_sentences": sum(len(d.regions or []) for d in docs),
        "offset_mismatches": counts["offset_mismatches"],
    }
    return Corpus(NAME, docs, TASKS, stats)

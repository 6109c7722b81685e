"""Curated records as extra gold for `matlit eval` (`--corpus curated`, or `curated:<work dir>`).

Each text block holding at least one decided record becomes a gold doc (its text is the block text, what the text
extractors read). Accepted and edited records are gold links (an edit's values, unit, material and property as the
curator set them); annotation counts as complete only around the decided records (`regions` = their quantity spans),
so a rejected record's span is a region without gold — an extractor that still produces it scores a false positive —
and undecided statements elsewhere in the block are not counted either way. Records read from tables are skipped
(the text corpora score text), and counted in the corpus stats.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from pipeline.evaluate.gold import Corpus, GoldDoc, GoldLink, Mention, Task, find_all
from pipeline.review.decisions import apply_decision, latest_decisions
from pipeline.review.store import db_url_for, get_engine, item_docs, sqlite_path
from pipeline.workdir import WorkDir
from schemas import Record

NAME = "curated"
TASKS = [
    Task(
        "curated_link",
        "link",
        rule="tc",
        note="curator-accepted/edited records: value span overlaps (or a number is equal), material by span or "
        "text, property by span or its id as text; only around decided records",
    )
]


def _mention(text: str, raw: str | None, span, edited: bool) -> Mention | None:
    if not raw:
        return None
    if span is not None and not edited and 0 <= span.start < span.end <= len(text):
        return Mention(text=text[span.start : span.end], spans=[(span.start, span.end)])
    return Mention(text=raw, spans=find_all(text, raw))


def curated_corpus(cfg) -> Corpus:
    decided = latest_decisions(cfg)
    wd = WorkDir(cfg.work_dir)
    url = db_url_for(cfg)
    stats = {"decisions": len(decided), "skipped_table_or_no_text": 0}
    if not decided:
        return Corpus(NAME, [], TASKS, stats)
    docs: dict[tuple[str, str], GoldDoc] = {}
    parsed: dict[str, object] = {}
    p = sqlite_path(url)
    with get_engine(url, create=p is None or p.exists()).connect() as c:
        rows = {r.record_id: r.record_json for r in c.execute(
            select(item_docs.c.record_id, item_docs.c.record_json).where(item_docs.c.record_id.in_(sorted(decided))))}
    for rid in sorted(rows):
        rec = Record.model_validate_json(rows[rid])
        d = decided[rid]
        pid = rec.paper_id
        if pid not in parsed:
            parsed[pid] = wd.load_parsed(pid) if wd.parsed_json(pid).exists() else None
        doc = parsed[pid]
        block = None
        if doc is not None and rec.evidence.source_kind != "table":
            block = next((b for b in doc.blocks if b.id == rec.evidence.source_id), None)
        q_span = rec.quantity.span
        if block is None or q_span is None or not (0 <= q_span.start < q_span.end <= len(block.text)):
            stats["skipped_table_or_no_text"] += 1
            continue
        key = (pid, block.id)
        gd = docs.get(key)
        if gd is None:
            gd = docs[key] = GoldDoc(id=f"{NAME}:{pid}:{block.id}", text=block.text, links={"curated_link": []},
                                     regions=[])
        gd.regions.append((q_span.start, q_span.end))
        if d.action == "reject":
            continue
        eff = apply_decision(rec, d)
        edited = {k.split(".")[0] for k in d.patch}
        text = block.text
        value = Mention(text=text[q_span.start : q_span.end], spans=[(q_span.start, q_span.end)])
        prop_text = (eff.property.id or "").replace("_", " ") or eff.property.raw
        gd.links["curated_link"].append(GoldLink(
            value=value,
            material=_mention(text, eff.material.raw if eff.material else None,
                              eff.material.span if eff.material else None, "material" in edited),
            property=Mention(text=prop_text, spans=[(eff.property.span.start, eff.property.span.end)]
                             if eff.property.span and "property" not in edited else []) if prop_text else None,
            label=eff.property.id or "",
            numbers=list(eff.quantity.values),
            unit=eff.quantity.unit_raw,
        ))
    out = sorted(docs.values(), key=lambda g: g.id)
    for g in out:  # the scorer expects sorted, disjoint regions
        merged: list[tuple[int, int]] = []
        for s, e in sorted(g.regions):
            if merged and s < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
            else:
                merged.append((s, e))
        g.regions = merged
    stats.update(docs=len(out), links=sum(len(g.links["curated_link"]) for g in out))
    return Corpus(NAME, out, TASKS, stats)


def load(spec: str) -> Corpus:
    """`curated` (work dir from $MATLIT_WORK_DIR, else ./work) or `curated:<work dir>`; the review DB from
    review.db_url (env MATLIT_REVIEW__DB_URL) or the work dir's default."""
    from pipeline.config import load_config

    _, _, where = spec.partition(":")
    work = Path(where or os.environ.get("MATLIT_WORK_DIR", "work"))
    return curated_corpus(load_config(overrides={"work_dir": work}))

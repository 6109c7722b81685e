"""`matlit review export`: curated records as fine-tuning data for the LLM and encoder extractors.

One JSON object a line, for each record whose latest decision is accept or edit:
    {"id", "task": "extract_record", "input": {"text", "source_kind", "section"},
     "output": {"material", "formula", "property", "values", "unit_raw", "unit", "values_canonical", "uncertainty",
                "method", "spans": {"material": [s, e] | null, "property": ..., "quantity": ...}},
     "label": "accept" | "edit", "provenance": {"paper_id", "record_id", "source_id", "prov", "extractor",
     "extractor_version", "prompt_id", "prompt_hash", "curator", "decided_at", "patch"}}
`input.text` is the evidence block (the text the spans index) when the parsed document is in the work dir, else the
snippet (spans then null). Edited records carry the curator's values; spans of edited fields are dropped (they point
at the extracted text, not necessarily at the corrected value).
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from pipeline.errors import MatlitError
from pipeline.review.decisions import apply_decision, latest_decisions
from pipeline.review.store import db_url_for, get_engine, item_docs, sqlite_path
from pipeline.workdir import WorkDir, atomic_write_text
from schemas import Record


def _span(part, edited: bool):
    s = getattr(part, "span", None) if part is not None else None
    return None if s is None or edited else [s.start, s.end]


def export_finetune(cfg, out: Path | None = None) -> tuple[Path, int]:
    wd = WorkDir(cfg.work_dir)
    url = db_url_for(cfg)
    p = sqlite_path(url)
    if p is not None and not p.exists():
        raise MatlitError(f"no review DB at {p}: run `matlit review import` and review some records first")
    out = Path(out) if out else wd.root / "review" / "finetune.jsonl"
    decided = {k: d for k, d in latest_decisions(cfg).items() if d.action in ("accept", "edit")}
    docs: dict[str, object] = {}
    lines = []
    with get_engine(url).connect() as c:
        for rid in sorted(decided):
            row = c.execute(select(item_docs.c.record_json).where(item_docs.c.record_id == rid)).first()
            if row is None:
                continue
            d = decided[rid]
            rec = apply_decision(Record.model_validate_json(row.record_json), d)
            pid = rec.paper_id
            if pid not in docs:
                docs[pid] = wd.load_parsed(pid) if wd.parsed_json(pid).exists() else None
            doc = docs[pid]
            block = None
            if doc is not None and rec.evidence.source_kind != "table":
                block = next((b for b in doc.blocks if b.id == rec.evidence.source_id), None)
            text = block.text if block is not None else rec.evidence.snippet
            edited = {k.split(".")[0] for k in d.patch}
            spans = {"material": _span(rec.material, "material" in edited),
                     "property": _span(rec.property, "property" in edited),
                     "quantity": _span(rec.quantity, "quantity" in edited)} if block is not None else None
            q = rec.quantity
            lines.append(json.dumps({
                "id": rid,
                "task": "extract_record",
                "input": {"text": text, "source_kind": rec.evidence.source_kind,
                          "section": " > ".join(block.section) if block is not None else None},
                "output": {"material": rec.material.raw if rec.material else None,
                           "formula": rec.material.formula if rec.material else None,
                           "property": rec.property.id, "values": q.values, "unit_raw": q.unit_raw, "unit": q.unit,
                           "values_canonical": q.values_canonical, "uncertainty": q.uncertainty,
                           "method": rec.method, "spans": spans},
                "label": d.action,
                "provenance": {"paper_id": pid, "record_id": rid, "source_id": rec.evidence.source_id,
                               "prov": [json.loads(pv.model_dump_json()) for pv in rec.evidence.prov],
                               "extractor": rec.extractor, "extractor_version": rec.extractor_version,
                               "prompt_id": rec.prompt_id, "prompt_hash": rec.prompt_hash, "curator": d.curator,
                               "decided_at": d.decided_at.isoformat(), "patch": d.patch},
            }, ensure_ascii=False))
    atomic_write_text(out, "".join(line + "\n" for line in lines))
    return out, len(lines)

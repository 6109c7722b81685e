"""`matlit review import`: records and the review queue into the review DB.

Every record of every paper goes in (so the app can show other sources of the same fact), from work/scored/<id>.jsonl
where the score stage ran, else work/records/<id>.jsonl. Quantity mentions (work/mentions/<id>.jsonl: numbers with no
vocabulary property, pipeline/normalize.is_mention) are not records and are never imported. Which records are queued:
  - work/review/queue.jsonl (written by the score stage): one {"record_id", "paper_id", "priority", "reasons"} a line,
    higher priority first;
  - without it: records scored below review.score_threshold (unscored ones count as 0.5) or carrying a problem flag,
    ordered by closeness of the score to 0.5.
Re-importing is safe: decided records keep their status, decisions and audit; open ones get the new record and
priority.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, select, update

from pipeline.errors import MatlitError
from pipeline.review.store import audit, db_url_for, get_engine, item_docs, item_flags, items, papers, write_conn
from pipeline.workdir import WorkDir
from schemas import ParsedDocument, Record

# flags that inform rather than warn: they alone do not queue a record
INFO_PREFIXES = ("same_fact:", "corroborated_by:", "group:", "review:", "consensus", "edited:", "from_table",
                 "header:", "row_label:", "unit_from_header")
CONTEXT_CHARS = 350


@dataclass
class ImportResult:
    papers: int = 0
    records: int = 0
    queued: int = 0
    updated: int = 0
    kept_decided: int = 0


def queue_path(wd: WorkDir) -> Path:
    return wd.root / "review" / "queue.jsonl"


def problem_flags(flags: list[str]) -> list[str]:
    return [f for f in flags if not f.startswith(INFO_PREFIXES)]


def material_key(rec: Record) -> str | None:
    m = rec.material
    if m is None:
        return None
    key = m.reduced_formula or m.formula or m.name or m.raw
    return "".join(key.split()).lower() if key else None


def fact_key(rec: Record) -> str | None:
    mk = material_key(rec)
    return f"{mk}|{rec.property.id}" if mk and rec.property.id else None


def _text_context(text: str, rec: Record) -> dict:
    """The evidence text around the quantity, with the material/property/quantity spans marked."""
    marks = []
    for kind, part in (("material", rec.material), ("property", rec.property), ("quantity", rec.quantity)):
        span = getattr(part, "span", None) if part is not None else None
        if span is not None and 0 <= span.start < span.end <= len(text):
            marks.append((span.start, span.end, kind))
    center = rec.quantity.span.start if rec.quantity.span else (marks[0][0] if marks else 0)
    lo = max(0, min([center - CONTEXT_CHARS] + [s for s, _, _ in marks if s >= center - 2 * CONTEXT_CHARS]))
    hi = min(len(text), max([center + CONTEXT_CHARS] + [e for _, e, _ in marks if e <= center + 2 * CONTEXT_CHARS]))
    segs: list[list] = []
    pos = lo
    for s, e, kind in sorted(m for m in marks if m[0] >= lo and m[1] <= hi):
        if s < pos:
            continue
        if s > pos:
            segs.append([text[pos:s], None])
        segs.append([text[s:e], kind])
        pos = e
    if pos < hi:
        segs.append([text[pos:hi], None])
    return {"kind": "text", "segments": segs, "cut_start": lo > 0, "cut_end": hi < len(text)}


def _table_context(doc: ParsedDocument, source_id: str) -> dict | None:
    tid, _, cell = source_id.partition(":")
    table = next((t for t in doc.tables if t.id == tid), None)
    if table is None:
        return None
    row = col = None
    if cell.startswith("r") and "c" in cell:
        try:
            r, c = cell[1:].split("c", 1)
            row, col = int(r), int(c)
        except ValueError:
            pass
    grid = [["" for _ in range(table.n_cols)] for _ in range(table.n_rows)]
    for c in table.cells:
        if c.row < table.n_rows and c.col < table.n_cols:
            grid[c.row][c.col] = c.text
    return {"kind": "table", "label": table.label, "caption": table.caption, "rows": grid[:60], "row": row, "col": col,
            "header_rows": table.header_rows}


def context_for(doc: ParsedDocument | None, rec: Record) -> dict:
    ev = rec.evidence
    if doc is not None:
        if ev.source_kind == "table":
            ctx = _table_context(doc, ev.source_id)
            if ctx is not None:
                return ctx
        block = next((b for b in doc.blocks if b.id == ev.source_id), None)
        if block is not None:
            ctx = _text_context(block.text, rec)
            ctx["section"] = " > ".join(block.section)
            return ctx
    return {"kind": "text", "segments": [[ev.snippet, None]], "cut_start": False, "cut_end": False}


def _load_records(wd: WorkDir, paper_id: str) -> list[Record]:
    for stage in ("score", "normalize"):
        if wd.stage_output(stage, paper_id).exists():
            try:
                return wd.read_records(stage, paper_id)
            except ValueError as e:
                raise MatlitError(f"{wd.stage_output(stage, paper_id)}: not valid records: {e}") from e
    return []


def _read_queue(path: Path) -> dict[str, tuple[float, list[str]]]:
    out: dict[str, tuple[float, list[str]]] = {}
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            e = json.loads(line)
            out[str(e["record_id"])] = (float(e.get("priority", 0.0)), [str(r) for r in e.get("reasons", [])])
        except (ValueError, KeyError, TypeError) as err:
            raise MatlitError(f"{path}:{n}: not a queue entry ({err}): {line[:200]}") from err
    return out


def default_priority(rec: Record, threshold: float) -> tuple[float, list[str]] | None:
    score = 0.5 if rec.score is None else rec.score
    problems = problem_flags(rec.flags)
    if rec.score is not None and score >= threshold and not problems:
        return None
    reasons = ([f"score {rec.score:.2f} < {threshold}"] if rec.score is not None and rec.score < threshold else [])
    reasons += ["unscored"] if rec.score is None else []
    reasons += problems
    return -abs(score - 0.5), reasons


def import_review(cfg, progress=None) -> ImportResult:
    wd = WorkDir(cfg.work_dir)
    paper_ids = sorted(wd.done_ids("score") | wd.done_ids("normalize"))
    if not paper_ids:
        raise MatlitError(f"{wd.root}: no records to import (run `matlit run` first: records/ and scored/ are empty)")
    qpath = queue_path(wd)
    queue = _read_queue(qpath) if qpath.exists() else None
    eng = get_engine(db_url_for(cfg))
    res = ImportResult()
    now = datetime.now(timezone.utc)
    with eng.connect() as c:
        existing = {r.record_id: r.status for r in c.execute(select(items.c.record_id, items.c.status))}
        known_papers = {r.paper_id for r in c.execute(select(papers.c.paper_id))}
    for pid in paper_ids:
        recs = _load_records(wd, pid)
        doc = wd.load_parsed(pid) if wd.parsed_json(pid).exists() else None
        paper_row = {
            "paper_id": pid,
            "title": (doc.metadata.title if doc else None) or (wd.load_paper(pid).title if wd.paper_json(pid).exists()
                                                               else None),
            "n_pages": len(doc.pages) if doc else 0,
            "page_sizes": json.dumps([[p.width, p.height] for p in doc.pages]) if doc else "[]",
        }
        new_rows, upd_rows = [], []
        for rec in recs:
            if queue is not None:
                q = queue.get(rec.record_id)
            else:
                q = default_priority(rec, cfg.review.score_threshold)
            row = {
                "record_id": rec.record_id,
                "paper_id": pid,
                "priority": q[0] if q else None,
                "reasons": json.dumps(q[1] if q else []),
                "score": rec.score,
                "property_id": rec.property.id,
                "material": (rec.material.raw[:255] if rec.material else None),
                "fact_key": fact_key(rec),
                "flags": json.dumps(rec.flags, ensure_ascii=False),
            }
            docs = {"record_id": rec.record_id, "record_json": rec.model_dump_json(),
                    "context_json": json.dumps(context_for(doc, rec), ensure_ascii=False)}
            res.records += 1
            res.queued += q is not None
            st = existing.get(rec.record_id)
            if st is None:
                new_rows.append(({**row, "status": "open", "version": 0}, docs))
            elif st == "open":
                upd_rows.append((row, docs))
            else:
                res.kept_decided += 1
        with write_conn(eng) as c, c.begin():
            if pid in known_papers:
                c.execute(update(papers).where(papers.c.paper_id == pid).values(**paper_row))
            else:
                c.execute(papers.insert(), paper_row)
            if new_rows:
                c.execute(items.insert(), [r for r, _ in new_rows])
                c.execute(item_docs.insert(), [d for _, d in new_rows])
                fl = [{"flag": f[:200], "record_id": r["record_id"]} for r, _ in new_rows
                      for f in set(json.loads(r["flags"]))]
                if fl:
                    c.execute(item_flags.insert(), fl)
            for row, docs in upd_rows:
                n = c.execute(update(items).where(items.c.record_id == row["record_id"], items.c.status == "open")
                              .values(**row)).rowcount
                if n:
                    c.execute(update(item_docs).where(item_docs.c.record_id == row["record_id"]).values(**docs))
                    c.execute(delete(item_flags).where(item_flags.c.record_id == row["record_id"]))
                    fl = [{"flag": f[:200], "record_id": row["record_id"]} for f in set(json.loads(row["flags"]))]
                    if fl:
                        c.execute(item_flags.insert(), fl)
        res.papers += 1
        res.updated += len(upd_rows)
        if progress is not None:
            progress(pid, len(recs))
    with write_conn(eng) as c, c.begin():
        c.execute(audit.insert().values(at=now, username="(import)", action="import", detail=json.dumps(
            {"papers": res.papers, "records": res.records, "queued": res.queued, "queue_file": str(qpath) if queue
             is not None else None})))
    return res

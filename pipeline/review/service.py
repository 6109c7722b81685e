"""What the review app reads and writes, independent of HTTP: queue pages, one record with its neighbours, decisions.

Queue order: priority (higher first), then record id; keyset pagination (`after`), so the first page of a queue of
100,000 records costs one index range scan. A decision names the item version the curator saw: the update is
conditional on it, so a stale write is refused (and logged in the audit as `conflict`) instead of overwriting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import and_, func, or_, select, update

from pipeline.review.auth import User
from pipeline.review.decisions import REJECT_REASONS, apply_decision, decision_from_row
from pipeline.review.store import audit, decisions, item_docs, item_flags, items, papers, write_conn
from schemas import Record, ReviewDecision

STATUSES = ("open", "accept", "edit", "reject", "all")


@dataclass
class Filters:
    property: str = ""
    flag: str = ""
    paper: str = ""
    min_score: float | None = None
    max_score: float | None = None
    status: str = "open"

    def query(self) -> dict[str, str]:
        d = {"property": self.property, "flag": self.flag, "paper": self.paper, "status": self.status,
             "min_score": "" if self.min_score is None else str(self.min_score),
             "max_score": "" if self.max_score is None else str(self.max_score)}
        return {k: v for k, v in d.items() if v not in ("", None) and not (k == "status" and v == "open")}


def _conds(f: Filters, user: User) -> list:
    conds = [items.c.priority.is_not(None)]
    if f.status != "all":
        conds.append(items.c.status == f.status)
    if f.property:
        conds.append(items.c.property_id == f.property)
    if f.paper:
        conds.append(items.c.paper_id == f.paper)
    if f.flag:  # exact flag, or a prefix when it ends with '*' ("same_fact:*")
        if f.flag.endswith("*"):
            pre = f.flag[:-1]
            fcond = and_(item_flags.c.flag >= pre, item_flags.c.flag < pre + "\U0010ffff")
        else:
            fcond = item_flags.c.flag == f.flag
        conds.append(items.c.record_id.in_(select(item_flags.c.record_id).where(fcond)))
    if f.min_score is not None:
        conds.append(items.c.score >= f.min_score)
    if f.max_score is not None:
        conds.append(items.c.score <= f.max_score)
    if user.papers is not None:
        conds.append(items.c.paper_id.in_(sorted(user.papers)))
    return conds


def _after(priority: float, record_id: str):
    return or_(items.c.priority < priority, and_(items.c.priority == priority, items.c.record_id > record_id))


def _before(priority: float, record_id: str):
    return or_(items.c.priority > priority, and_(items.c.priority == priority, items.c.record_id < record_id))


QUEUE_COLS = (items.c.record_id, items.c.paper_id, items.c.priority, items.c.score, items.c.property_id,
              items.c.material, items.c.flags, items.c.status, items.c.reasons)


@dataclass
class QueuePage:
    rows: list[dict]
    total: int
    next_after: str | None
    filters: Filters
    facets: dict[str, list[str]] = field(default_factory=dict)


def parse_after(after: str | None) -> tuple[float, str] | None:
    if not after or ":" not in after:
        return None
    p, _, rid = after.partition(":")
    try:
        return float(p), rid
    except ValueError:
        return None


def queue_page(conn, user: User, f: Filters, after: str | None, size: int) -> QueuePage:
    conds = _conds(f, user)
    keyset = parse_after(after)
    q = select(*QUEUE_COLS).where(*conds)
    if keyset:
        q = q.where(_after(*keyset))
    rows = [dict(r) for r in conn.execute(q.order_by(items.c.priority.desc(), items.c.record_id).limit(size + 1))
            .mappings()]
    total = conn.execute(select(func.count()).select_from(items).where(*conds)).scalar_one()
    nxt = None
    if len(rows) > size:
        rows = rows[:size]
        nxt = f"{rows[-1]['priority']}:{rows[-1]['record_id']}"
    for r in rows:
        r["flag_list"] = json.loads(r["flags"] or "[]")
        r["reason_list"] = json.loads(r["reasons"] or "[]")
    return QueuePage(rows=rows, total=total, next_after=nxt, filters=f)


def neighbours(conn, user: User, f: Filters, item: dict) -> tuple[str | None, str | None]:
    """Previous and next record ids in the filtered queue around `item` (for j/k)."""
    if item["priority"] is None:
        return None, None
    conds = _conds(f, user)
    pr, rid = item["priority"], item["record_id"]
    nxt = conn.execute(select(items.c.record_id).where(*conds, _after(pr, rid))
                       .order_by(items.c.priority.desc(), items.c.record_id).limit(1)).scalar()
    prv = conn.execute(select(items.c.record_id).where(*conds, _before(pr, rid))
                       .order_by(items.c.priority.asc(), items.c.record_id.desc()).limit(1)).scalar()
    return prv, nxt


def first_in_queue(conn, user: User, f: Filters) -> str | None:
    return conn.execute(select(items.c.record_id).where(*_conds(f, user))
                        .order_by(items.c.priority.desc(), items.c.record_id).limit(1)).scalar()


def get_item(conn, user: User, record_id: str) -> dict | None:
    """The item, or None when it does not exist or its paper is not visible to the user (both -> 404)."""
    if len(record_id) > 64:
        return None
    row = conn.execute(select(items, item_docs.c.record_json, item_docs.c.context_json)
                       .join(item_docs, item_docs.c.record_id == items.c.record_id)
                       .where(items.c.record_id == record_id)).mappings().first()
    if row is None or not user.can_see(row["paper_id"]):
        return None
    return dict(row)


def latest_decision(conn, record_id: str) -> ReviewDecision | None:
    row = conn.execute(select(decisions).where(decisions.c.record_id == record_id)
                       .order_by(decisions.c.id.desc()).limit(1)).mappings().first()
    return decision_from_row(row) if row else None


def effective_record(record: Record, d: ReviewDecision | None) -> Record:
    return record if d is None else apply_decision(record, d)


def other_sources(conn, user: User, item: dict, record: Record, limit: int = 20) -> list[dict]:
    """Records stating the same fact: same normalized material and property (any paper), linked by same_fact: or a
    shared group: flag."""
    linked = [f.split(":", 1)[1] for f in record.flags if f.startswith("same_fact:")]
    groups = [f for f in record.flags if f.startswith("group:")]
    conds = []
    if item["fact_key"]:
        conds.append(items.c.fact_key == item["fact_key"])
    if linked:
        conds.append(items.c.record_id.in_(linked[:50]))
    if groups:
        conds.append(items.c.record_id.in_(select(item_flags.c.record_id).where(item_flags.c.flag.in_(groups[:5]))))
    if not conds:
        return []
    q = select(items.c.record_id, items.c.paper_id, item_docs.c.record_json, items.c.status, items.c.score).join(
        item_docs, item_docs.c.record_id == items.c.record_id).where(or_(*conds), items.c.record_id != item["record_id"])
    if user.papers is not None:
        q = q.where(items.c.paper_id.in_(sorted(user.papers)))
    out = []
    for r in conn.execute(q.limit(limit)).mappings():
        rec = Record.model_validate_json(r["record_json"])
        out.append({"record_id": r["record_id"], "paper_id": r["paper_id"], "status": r["status"], "score": r["score"],
                    "material": rec.material.raw if rec.material else "", "quantity": rec.quantity.raw,
                    "value": rec.quantity.values_canonical, "unit": rec.quantity.unit, "extractor": rec.extractor,
                    "page": rec.evidence.prov[0].page if rec.evidence.prov else None})
    return out


def history(conn, record_id: str) -> list[dict]:
    rows = conn.execute(select(audit).where(audit.c.record_id == record_id).order_by(audit.c.id)).mappings().all()
    return [dict(r) for r in rows]


def paper_row(conn, paper_id: str) -> dict | None:
    row = conn.execute(select(papers).where(papers.c.paper_id == paper_id)).mappings().first()
    return dict(row) if row else None


# ------------------------------------------------------------------------------------------------------ writes


class DecisionError(Exception):
    """A decision that cannot be applied (bad reason, bad patch): HTTP 400 with the message."""


@dataclass
class DecisionResult:
    ok: bool
    version: int
    message: str = ""
    current_by: str | None = None


def _snapshot(record: Record, status: str, version: int, d: ReviewDecision | None) -> str:
    return json.dumps({"status": status, "version": version, "decision": d.model_dump(mode="json") if d else None,
                       "record": json.loads(effective_record(record, d).model_dump_json())}, ensure_ascii=False)


def decide(engine, user: User, record_id: str, version: int, action: str, reason: str | None,
           patch: dict[str, str]) -> DecisionResult | None:
    """Record a decision if the item is still at `version`; None when the item is not visible/does not exist."""
    if action not in ("accept", "edit", "reject"):
        raise DecisionError(f"unknown action {action!r}: accept, edit or reject")
    if action == "reject" and reason not in REJECT_REASONS:
        raise DecisionError(f"reject needs a reason: one of {', '.join(REJECT_REASONS)}")
    if action == "edit" and not patch:
        raise DecisionError("edit without any changed field")
    now = datetime.now(timezone.utc)
    d = ReviewDecision(record_id=record_id, action=action, reason=reason if action == "reject" else None,
                       patch=patch if action == "edit" else {}, curator=user.username, decided_at=now)
    with engine.connect() as c:
        item = get_item(c, user, record_id)
    if item is None:
        return None
    record = Record.model_validate_json(item["record_json"])
    try:
        after_rec = apply_decision(record, d)  # validate the patch before taking the write lock
    except ValueError as e:
        raise DecisionError(str(e)) from e
    with write_conn(engine) as c, c.begin():
        cur = c.execute(select(items.c.version, items.c.status, items.c.updated_by).where(
            items.c.record_id == record_id)).one()
        prev = latest_decision(c, record_id)
        before = _snapshot(record, cur.status, cur.version, prev)
        attempted = json.dumps({"status": action, "decision": d.model_dump(mode="json"),
                                "record": json.loads(after_rec.model_dump_json())}, ensure_ascii=False)
        n = 0
        if cur.version == version:  # the conditional update also guards databases without BEGIN IMMEDIATE
            n = c.execute(update(items).where(items.c.record_id == record_id, items.c.version == version).values(
                status=action, version=version + 1, updated_by=user.username, updated_at=now)).rowcount
        if n != 1:
            c.execute(audit.insert().values(
                at=now, username=user.username, action="conflict", record_id=record_id, before_json=before,
                after_json=attempted, detail=f"stale version {version}, current {cur.version} by {cur.updated_by}"))
            return DecisionResult(ok=False, version=cur.version, current_by=cur.updated_by, message=(
                f"Not saved: {cur.updated_by or 'another curator'} changed this record after you opened it "
                f"(you saw version {version}, it is now version {cur.version}). Their decision is kept; "
                f"your {action} is recorded in the audit log — reload, compare and decide again."))
        c.execute(decisions.insert().values(
            record_id=record_id, action=action, reason=d.reason, patch_json=json.dumps(d.patch, sort_keys=True),
            curator=user.username, decided_at=now, version=version + 1))
        c.execute(audit.insert().values(
            at=now, username=user.username, action=action, record_id=record_id, before_json=before,
            after_json=_snapshot(record, action, version + 1, d), detail=d.reason))
    return DecisionResult(ok=True, version=version + 1)


def patch_from_form(record: Record, form: dict[str, str]) -> dict[str, str]:
    """JSON-encoded patch of the edit-form fields that differ from the record. Raises DecisionError on bad input."""
    patch: dict[str, str] = {}
    mat = (form.get("material.raw") or "").strip()
    if "material.raw" in form and mat != (record.material.raw if record.material else ""):
        patch["material.raw"] = json.dumps(mat)
    for key, cur in (("property.id", record.property.id or ""), ("quantity.unit_raw", record.quantity.unit_raw or ""),
                     ("method", record.method or "")):
        if key in form and form[key].strip() != cur:
            patch[key] = json.dumps(form[key].strip() or None)
    if "quantity.values" in form:
        txt = form["quantity.values"].replace(";", ",").strip()
        try:
            vals = [float(v) for v in txt.split(",") if v.strip()]
        except ValueError as e:
            raise DecisionError(f"values: {txt!r} is not a comma-separated list of numbers") from e
        if not vals:
            raise DecisionError("values: at least one number is needed")
        if vals != list(record.quantity.values):
            patch["quantity.values"] = json.dumps(vals)
    if "quantity.uncertainty" in form:
        txt = form["quantity.uncertainty"].strip()
        try:
            unc = float(txt) if txt else None
        except ValueError as e:
            raise DecisionError(f"uncertainty: {txt!r} is not a number") from e
        if unc != record.quantity.uncertainty:
            patch["quantity.uncertainty"] = json.dumps(unc)
    return patch

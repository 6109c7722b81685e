"""Curators' decisions flowing back into the corpus.

    latest_decisions(cfg)            -> {record_id: ReviewDecision}: the latest decision per record in the review DB
                                        ({} when there is no DB yet). The shard stage and `matlit review export` use it.
    apply_decision(record, decision) -> Record:
        accept  the record unchanged, flagged `review:accepted`
        edit    each `decision.patch` entry (dotted field path -> JSON-encoded value, e.g. "quantity.values": "[3.4]",
                "quantity.unit_raw": "\\"eV\\"", "material.raw": "\\"GaN\\"", "property.id": "\\"band_gap\\"") replaces
                the extracted field; record id, evidence (provenance), extractor and prompt stay; the normalized
                fields that depend on a patched field are recomputed by pipeline.normalize.normalize_record; flags
                `review:edited` and `edited:<path>` say what changed
        reject  the record flagged `review:rejected`; the caller decides whether to drop it or keep it marked
                (`apply_decisions(..., rejected="drop"|"mark")`, config review.rejected)

A patch path that names no field of Record, or a value that does not validate, raises ValueError naming the record,
the path and the reason.
"""

from __future__ import annotations

import json
from typing import Literal

from schemas import Record, ReviewDecision

ACCEPTED, EDITED, REJECTED = "review:accepted", "review:edited", "review:rejected"
REJECT_REASONS = {
    "wrong_value": "wrong value",
    "wrong_unit": "wrong unit",
    "wrong_material": "wrong material",
    "wrong_property": "wrong property",
    "not_a_measurement": "not a measurement",
    "duplicate": "duplicate",
}
EDITABLE = (
    "material.raw",
    "property.id",
    "property.raw",
    "quantity.values",
    "quantity.unit_raw",
    "quantity.uncertainty",
    "quantity.kind",
    "quantity.bound",
    "method",
)
# flags normalize_record derives; cleared before re-normalizing an edited record
_NORMALIZE_FLAGS = {"unit_dimension_mismatch", "unit_unknown", "out_of_plausible_range", "no_property", "no_material"}


def latest_decisions(cfg) -> dict[str, ReviewDecision]:
    """The latest decision per record id from the review DB of `cfg` (config review.db_url, default
    work/review/review.sqlite); {} when the DB does not exist or holds no decisions."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from pipeline.review.store import db_url_for, decisions, get_engine, sqlite_path

    url = db_url_for(cfg)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return {}
    engine = get_engine(url, create=False)
    latest = select(func.max(decisions.c.id)).group_by(decisions.c.record_id)
    try:
        with engine.connect() as c:
            rows = c.execute(select(decisions).where(decisions.c.id.in_(latest))).mappings().all()
    except (OperationalError, ProgrammingError):  # DB without tables yet
        return {}
    return {r["record_id"]: decision_from_row(r) for r in rows}


def decision_from_row(r) -> ReviewDecision:
    at = r["decided_at"]
    if at is not None and at.tzinfo is None:
        from datetime import timezone

        at = at.replace(tzinfo=timezone.utc)
    return ReviewDecision(
        record_id=r["record_id"],
        action=r["action"],
        reason=r["reason"],
        patch=json.loads(r["patch_json"] or "{}"),
        curator=r["curator"],
        decided_at=at,
    )


def _set_path(data: dict, path: str, value, record_id: str) -> None:
    keys = path.split(".")
    d = data
    for k in keys[:-1]:
        if k == "material" and d.get(k) is None:
            d[k] = {"raw": ""}
        d = d.get(k)
        if not isinstance(d, dict):
            raise ValueError(f"record {record_id}: patch path {path!r} names no field of Record")
    if keys[-1] not in d and path not in EDITABLE:
        raise ValueError(f"record {record_id}: patch path {path!r} names no field of Record")
    d[keys[-1]] = value


def _material_fields(raw: str) -> dict:
    from extractors.materials import find_materials, normalize_formula

    raw = raw.strip()
    for m in find_materials(raw):
        if m.start == 0 and m.end == len(raw):
            return {"raw": raw, "formula": m.formula, "reduced_formula": m.reduced_formula, "name": m.name}
    formula, reduced = normalize_formula(raw)
    return {"raw": raw, "formula": formula, "reduced_formula": reduced, "name": None if formula else raw}


def _with_flag(record: Record, flag: str, extra: list[str] = ()) -> Record:
    return record.model_copy(update={"flags": sorted(set(record.flags) | {flag, *extra})})


def apply_decision(record: Record, decision: ReviewDecision) -> Record:
    """The record as the curator decided it (see the module docstring). Never mutates `record`."""
    if decision.record_id != record.record_id:
        raise ValueError(f"decision for {decision.record_id} applied to record {record.record_id}")
    if decision.action == "accept":
        return _with_flag(record, ACCEPTED)
    if decision.action == "reject":
        extra = [f"review:reason:{decision.reason}"] if decision.reason else []
        return _with_flag(record, REJECTED, extra)
    from pydantic import ValidationError

    from pipeline.normalize import normalize_record

    data = record.model_dump(mode="json")
    touched: set[str] = set()
    for path, encoded in sorted(decision.patch.items()):
        try:
            value = json.loads(encoded)
        except (TypeError, json.JSONDecodeError) as e:
            raise ValueError(f"record {record.record_id}: patch {path!r} is not JSON-encoded: {encoded!r} ({e})") from e
        if path == "material.raw":
            if value in (None, ""):
                data["material"] = None
            else:
                old = data.get("material") or {}
                data["material"] = {**_material_fields(str(value)), "span": old.get("span")}
        else:
            _set_path(data, path, value, record.record_id)
        touched.add(path.split(".")[0])
    if "quantity" in touched:  # recompute canonical values from the (patched) raw values and unit
        q = data["quantity"]
        q.update(unit=None, values_canonical=[], uncertainty_canonical=None)
    data["flags"] = [f for f in data["flags"] if f not in _NORMALIZE_FLAGS]
    try:
        patched = Record.model_validate(data)
    except ValidationError as e:
        raise ValueError(f"record {record.record_id}: patch {decision.patch} does not validate: {e}") from e
    out = normalize_record(patched)
    return _with_flag(out, EDITED, [f"edited:{p}" for p in decision.patch])


def apply_decisions(
    records: list[Record], decisions: dict[str, ReviewDecision], rejected: Literal["drop", "mark"] = "drop"
) -> list[Record]:
    """Every record with its decision applied (records without one unchanged); rejected ones dropped or kept marked."""
    out = []
    for r in records:
        d = decisions.get(r.record_id)
        if d is None:
            out.append(r)
            continue
        if d.action == "reject" and rejected == "drop":
            continue
        out.append(apply_decision(r, d))
    return out

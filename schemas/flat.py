"""The flat record table of the shards: one row per Record, one column per field, derived from the Record model.

`RECORD_COLUMNS` maps each column to a field path of `Record`; its Arrow type comes from the model's annotations
through `schemas.arrow.arrow_type` (nested models become structs, lists become lists), so the Parquet schema follows
the model without a second hand-written copy. A test proves every leaf field of Record is covered by a column
(directly or through a parent path).

`DERIVED_COLUMNS` are convenience columns computed from the record (first canonical value, first page box, the
evidence char span) or filled by the shard writer (review status, the record as training text, the split).

    flat_record_schema() -> pa.Schema       the table schema (with schema_version metadata)
    flatten(record, **extra) -> dict        one row; `extra` fills review_status, record_text, split
"""

from __future__ import annotations

from typing import Any, get_args

import pyarrow as pa
from pydantic import BaseModel

from schemas.arrow import _strip_optional, arrow_type
from schemas.record import Record
from schemas.version import SCHEMA_VERSION

# column name -> dotted field path in Record
RECORD_COLUMNS: dict[str, str] = {
    "paper_id": "paper_id",
    "record_id": "record_id",
    "material_raw": "material.raw",
    "material_formula": "material.formula",
    "material_reduced_formula": "material.reduced_formula",
    "material_name": "material.name",
    "material_span": "material.span",
    "property_raw": "property.raw",
    "property_id": "property.id",
    "property_span": "property.span",
    "quantity_raw": "quantity.raw",
    "kind": "quantity.kind",
    "values": "quantity.values",
    "values_canonical": "quantity.values_canonical",
    "bound": "quantity.bound",
    "uncertainty": "quantity.uncertainty",
    "uncertainty_canonical": "quantity.uncertainty_canonical",
    "unit_raw": "quantity.unit_raw",
    "unit": "quantity.unit",
    "quantity_span": "quantity.span",
    "conditions": "conditions",
    "method": "method",
    "source_id": "evidence.source_id",
    "source_kind": "evidence.source_kind",
    "prov": "evidence.prov",
    "snippet": "evidence.snippet",
    "extractor": "extractor",
    "extractor_version": "extractor_version",
    "prompt_id": "prompt_id",
    "prompt_hash": "prompt_hash",
    "model_id": "model_id",
    "score": "score",
    "flags": "flags",
}

REVIEW_STATUSES = ("none", "accepted", "edited", "rejected")

# computed columns: name -> (type, nullable, meaning)
DERIVED_COLUMNS: dict[str, tuple[pa.DataType, bool, str]] = {
    "value_num": (pa.float64(), True, "first value in the canonical unit (number-aware models); null if not converted"),
    "page": (pa.int64(), True, "page of the first evidence box"),
    "bbox": (pa.list_(pa.float64()), True, "[x0, y0, x1, y1] of the first evidence box, PDF points, top-left origin"),
    "char_start": (pa.int64(), True, "start of the evidence span (sentence) in source_id's text; else the value's"),
    "char_end": (pa.int64(), True, "end of the evidence span in source_id's text"),
    "review_status": (pa.string(), False, "none | accepted | edited | rejected (curator decision)"),
    "record_text": (pa.string(), True, "the record as training text (pipeline.shard.serialize)"),
    "split": (pa.string(), True, "train | validation (by paper-id hash)"),
}


def _path_annotation(path: str) -> tuple[Any, bool]:
    """The annotation at a dotted path of Record, and whether any step on the way is nullable."""
    model: type[BaseModel] = Record
    nullable = False
    parts = path.split(".")
    ann: Any = None
    for i, part in enumerate(parts):
        if part not in model.model_fields:
            raise KeyError(f"Record has no field {path!r} ({part!r} not in {model.__name__})")
        ann = model.model_fields[part].annotation
        inner, opt = _strip_optional(ann)
        nullable = nullable or opt
        if i < len(parts) - 1:
            if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
                raise KeyError(f"Record field path {path!r}: {part!r} is not a model")
            model = inner
    return ann, nullable


def flat_record_schema() -> pa.Schema:
    fields = []
    for name, path in RECORD_COLUMNS.items():
        ann, nullable = _path_annotation(path)
        fields.append(pa.field(name, arrow_type(ann), nullable=nullable))
    for name, (tp, nullable, _) in DERIVED_COLUMNS.items():
        fields.append(pa.field(name, tp, nullable=nullable))
    return pa.schema(
        fields, metadata={b"schema_version": SCHEMA_VERSION.encode(), b"model": b"Record", b"layout": b"flat"}
    )


def record_leaf_paths(model: type[BaseModel] = Record, prefix: str = "") -> list[str]:
    """Every leaf field path of a model (nested models expanded; lists of models expanded into their fields)."""
    out = []
    for name, f in model.model_fields.items():
        inner, _ = _strip_optional(f.annotation)
        args = get_args(inner)
        item = args[0] if args and getattr(inner, "__origin__", None) is list else None
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            out.extend(record_leaf_paths(inner, f"{prefix}{name}."))
        elif isinstance(item, type) and issubclass(item, BaseModel):
            out.extend(record_leaf_paths(item, f"{prefix}{name}[]."))
        else:
            out.append(prefix + name)
    return out


_SPLIT_PATHS = {name: tuple(path.split(".")) for name, path in RECORD_COLUMNS.items()}


def _get(d: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if d is None:
            return None
        d = d[part]
    return d


def flatten(record: Record, **extra: Any) -> dict:
    """One flat row of a record. `extra` sets derived columns the writer owns (review_status, record_text, split)."""
    data = record.model_dump()  # pydantic-core: nested models -> dicts (Arrow structs), Literals are plain strings
    row = {name: _get(data, parts) for name, parts in _SPLIT_PATHS.items()}
    q = record.quantity
    row["value_num"] = q.values_canonical[0] if q.values_canonical else None
    first = record.evidence.prov[0] if record.evidence.prov else None
    row["page"] = first.page if first else None
    row["bbox"] = list(first.bbox.as_tuple()) if first and first.bbox else None
    spans = [p.span for p in record.evidence.prov if p.span is not None]
    if spans:
        row["char_start"], row["char_end"] = min(s.start for s in spans), max(s.end for s in spans)
    elif q.span is not None:
        row["char_start"], row["char_end"] = q.span.start, q.span.end
    else:
        row["char_start"] = row["char_end"] = None
    row["review_status"] = "none"
    row["record_text"] = None
    row["split"] = None
    for k, v in extra.items():
        if k not in DERIVED_COLUMNS:
            raise KeyError(f"flatten: {k!r} is not a derived column ({', '.join(DERIVED_COLUMNS)})")
        row[k] = v
    if row["review_status"] not in REVIEW_STATUSES:
        raise ValueError(f"review_status {row['review_status']!r} not in {REVIEW_STATUSES}")
    return row

"""Records: one normalized quantitative statement about a material, with its evidence.

Extractors fill the raw fields; normalize fills the canonical ones (or adds a flag); score fills score and flags.
Raw, parsed and normalized forms live side by side: the raw text is never thrown away.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Literal

from pydantic import Field

from schemas.base import Model
from schemas.geometry import CharSpan, Prov


class Material(Model):
    raw: str
    formula: str | None = None  # normalized formula, e.g. "YBa2Cu3O7"
    reduced_formula: str | None = None
    name: str | None = None  # common name when not a formula ("graphene", "YBCO")
    span: CharSpan | None = None  # into the evidence item's text (block, or the input text of `extract --text`)


class PropertyRef(Model):
    raw: str
    id: str | None = None  # vocabulary id from schemas/properties.yaml
    span: CharSpan | None = None


class Quantity(Model):
    raw: str
    kind: Literal["value", "interval", "list", "bound"] = "value"
    values: list[float] = Field(default_factory=list)  # one value; [lo, hi] for interval; n for list
    bound: Literal["lt", "le", "gt", "ge", "approx"] | None = None
    uncertainty: float | None = None
    unit_raw: str | None = None
    unit: str | None = None  # canonical unit of the property (pint spelling)
    values_canonical: list[float] = Field(default_factory=list)
    uncertainty_canonical: float | None = None
    span: CharSpan | None = None  # the whole quantity (number(s) and unit) in the evidence item's text


class Condition(Model):
    """A condition under which the value holds: temperature, pressure, field, current density..."""

    raw: str
    property_id: str | None = None  # e.g. "temperature"
    quantity: Quantity | None = None
    span: CharSpan | None = None


class Evidence(Model):
    """Where the record was read. Spans in Material/PropertyRef/Quantity/Condition index the text of `source_id`
    (a block id; the input id for `matlit extract --text`); `prov` holds the page boxes and the sentence span."""

    source_id: str  # block, table cell ("t1:r2c3"), figure id, or the input id of raw text
    source_kind: Literal["sentence", "block", "table", "figure", "caption"] = "sentence"
    prov: list[Prov] = Field(default_factory=list)
    snippet: str = ""


class Record(Model):
    record_id: str
    paper_id: str
    material: Material | None = None
    property: PropertyRef
    quantity: Quantity
    conditions: list[Condition] = Field(default_factory=list)
    method: str | None = None
    evidence: Evidence
    extractor: str  # name
    extractor_version: str
    prompt_id: str | None = None
    prompt_hash: str | None = None
    model_id: str | None = None
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    flags: list[str] = Field(default_factory=list)

    @staticmethod
    def make_id(paper_id: str, extractor: str, source_id: str, start: int | None, raw: str) -> str:
        """Deterministic id: the same statement extracted twice gets the same id (re-runs never duplicate)."""
        key = json.dumps([paper_id, extractor, source_id, start, raw], ensure_ascii=False)
        return hashlib.sha256(key.encode()).hexdigest()[:20]


class ReviewDecision(Model):
    """A curator's decision on a record; stored beside records, never written into them."""

    record_id: str
    action: Literal["accept", "edit", "reject"]
    reason: str | None = None
    patch: dict[str, str] = Field(default_factory=dict)  # field path -> new value (JSON-encoded)
    curator: str
    decided_at: datetime


class Failure(Model):
    """One paper that failed one stage: the batch went on without it."""

    paper_id: str
    stage: str
    source: str | None = None  # file or URL, so a person can find it
    error_class: str
    message: str
    at: datetime

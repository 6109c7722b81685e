"""Two real toy extractors for the harness tests: an oracle built from the gold, and a trivial regex."""

from __future__ import annotations

import re

from pipeline.evaluate.gold import Corpus, GoldDoc, GoldLink, Task
from schemas import CharSpan, Condition, Evidence, Material, PropertyRef, Quantity, Record


def _span(se: tuple[int, int] | None) -> CharSpan | None:
    return CharSpan(start=se[0], end=se[1]) if se else None


def _record(
    doc_id: str,
    n: int,
    quantity: Quantity,
    prop: PropertyRef,
    material: Material | None = None,
    conditions: list[Condition] | None = None,
    name: str = "oracle",
) -> Record:
    return Record(
        record_id=Record.make_id(doc_id, name, doc_id, n, quantity.raw),
        paper_id=doc_id,
        material=material,
        property=prop,
        quantity=quantity,
        conditions=conditions or [],
        evidence=Evidence(source_id=doc_id),
        extractor=name,
        extractor_version="1",
    )


def _link_record(doc: GoldDoc, task: Task, link: GoldLink, n: int) -> Record:
    q = Quantity(raw=link.value.text, values=link.numbers, unit_raw=link.unit, span=_span(link.value.primary))
    prop = PropertyRef(
        raw=link.property.text if link.property else (link.label or "value"),
        # a record needs a vocabulary property (else it is a quantity mention, which link tasks leave out): any id
        # stands in where the task does not filter by property (matching uses the property's span and text)
        id=link.label if task.filter else "density",
        span=_span(link.property.primary) if link.property else None,
    )
    mat = Material(raw=link.material.text, span=_span(link.material.primary)) if link.material else None
    return _record(doc.id, n, q, prop, mat)


def oracle_records(doc: GoldDoc, tasks: list[Task]) -> list[Record]:
    """Records that say exactly what the gold says: one per gold link; gold spans no link covers ride along as
    conditions (quantities) or value-less records (materials) of carrier records."""
    out = []
    for task in tasks:
        if task.kind == "link":
            out += [_link_record(doc, task, lk, len(out)) for lk in doc.links.get(task.name, [])]
    have = {
        "quantity": {(r.quantity.span.start, r.quantity.span.end) for r in out if r.quantity.span},
        "material": {(r.material.span.start, r.material.span.end) for r in out if r.material and r.material.span},
    }
    conditions = []
    for task in tasks:
        if task.kind != "span":
            continue
        for s in doc.spans.get(task.name, []):
            if (s.start, s.end) in have[task.field]:
                continue
            have[task.field].add((s.start, s.end))
            raw = doc.text[s.start : s.end]
            if task.field == "material":
                mat = Material(raw=raw, span=CharSpan(start=s.start, end=s.end))
                out.append(_record(doc.id, len(out), Quantity(raw=""), PropertyRef(raw=""), mat))
            else:
                q = Quantity(raw=raw, kind=s.kind or "value", unit_raw=s.unit, span=CharSpan(start=s.start, end=s.end))
                conditions.append(Condition(raw=raw, property_id=s.label or None, quantity=q, span=q.span))
    if conditions:
        out.append(_record(doc.id, len(out), Quantity(raw=""), PropertyRef(raw="carrier"), conditions=conditions))
    return out


def oracle(corpora: list[Corpus]):
    """An extractor that knows the gold of these corpora."""
    docs = {d.id: (d, c.tasks) for c in corpora for d in c.docs}

    def extract(items: list[tuple[str, str]]) -> list[Record]:
        out = []
        for doc_id, text in items:
            doc, tasks = docs[doc_id]
            assert doc.text == text
            out += oracle_records(doc, tasks)
        return out

    return extract


NUMBER_UNIT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?) ?([A-Za-zµμ°Å%][A-Za-z]*)")


def regex_extractor(items: list[tuple[str, str]]) -> list[Record]:
    """Trivial baseline: a number followed by a letter unit is a quantity."""
    out = []
    for doc_id, text in items:
        for n, m in enumerate(NUMBER_UNIT.finditer(text)):
            q = Quantity(
                raw=m.group(),
                values=[float(m.group(1))],
                unit_raw=m.group(2),
                span=CharSpan(start=m.start(), end=m.end()),
            )
            out.append(_record(doc_id, n, q, PropertyRef(raw="quantity"), name="regex"))
    return out

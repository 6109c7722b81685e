"""Reconciliation: group records that state the same fact, within a paper and across papers.

A *fact group* holds every record with the same material (reduced formula, else normalized name), the same
property id and compatible conditions (each condition both records state — temperature, pressure, ... — within
5 %). All sources stay in the group. For each group:

* the **consensus value** is the median over *independent papers* (each paper counts once, with the median of its
  own values; a value that repeats another paper's is left out);
* a record **repeats a cited value** when its sentence cites earlier work ("[12]", "reported by", "et al.") or its
  paper is a review, and another paper in the group states the same value (within 1 %): it is kept, flagged
  `repeats_cited_value`, and not counted again;
* records within 10 % of the consensus get `consensus`, records off by more than a factor 1.5 get
  `disagrees_with_consensus` (only when at least two papers report the fact).

Per record, `consensus_for` gives the distance to the median of the *other* papers (the score's cross-paper
feature). Everything is deterministic: records are visited in (paper id, record id) order and group ids are hashes
of their keys.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from schemas import Record

COND_TOL = 0.05  # conditions within 5 % are the same conditions
SAME_VALUE_TOL = 0.01  # a repeated (cited) value: within 1 %
AGREE_TOL = 0.10  # `consensus` flag
DISAGREE_FACTOR = 1.5  # `disagrees_with_consensus` flag


@dataclass
class Consensus:
    """Cross-paper context of one record: the median of the other papers' values and the distance to it."""

    n_other_papers: int
    median: float
    log_dev: float  # |ln(value / median)| (relative difference when a sign differs or a value is 0)


@dataclass
class Group:
    group_id: str
    material: str
    property: str
    unit: str | None
    conditions: dict[str, float] = field(default_factory=dict)
    members: list[dict] = field(default_factory=list)  # record_id, paper_id, value, extractor, cited, repeats
    consensus_value: float | None = None
    n_papers: int = 0
    n_independent_papers: int = 0

    def to_json(self) -> dict:
        return {
            "group_id": self.group_id,
            "material": self.material,
            "property": self.property,
            "unit": self.unit,
            "conditions": self.conditions,
            "consensus_value": self.consensus_value,
            "n_papers": self.n_papers,
            "n_independent_papers": self.n_independent_papers,
            "records": self.members,
        }


@dataclass
class Reconciliation:
    groups: list[Group]
    flags: dict[str, list[str]]  # record id -> reconciliation flags
    consensus: dict[str, Consensus]  # record id -> cross-paper context
    paper_repeats: dict[str, int]  # record id -> other records of the same paper stating the same value


def material_key(rec: Record) -> str | None:
    m = rec.material
    if m is None:
        return None
    key = m.reduced_formula or m.formula or m.name or m.raw
    return "".join(key.split()).lower() if key else None


def value_of(rec: Record) -> float | None:
    """One representative canonical value: the value, an interval's midpoint; None for lists or no canonical value."""
    q = rec.quantity
    if not q.values_canonical or q.kind == "list":
        return None
    v = sum(q.values_canonical) / len(q.values_canonical)
    return v if math.isfinite(v) else None


def _condition_value(property_id: str, q) -> tuple[str, float] | None:
    """A condition's first value in its canonical unit (normalize leaves conditions raw: convert here); a value
    whose unit cannot be converted is keyed with its raw unit, so it only meets the same spelling."""
    if q.values_canonical:
        return property_id, q.values_canonical[0]
    if not q.values:
        return None
    from schemas.units import UnitError, UnitMismatch, convert
    from schemas.vocab import load_vocabulary

    try:
        target = load_vocabulary().condition(property_id).canonical_unit
        if target and q.unit_raw:
            return property_id, convert([q.values[0]], q.unit_raw, target)[0]
    except (KeyError, UnitError, UnitMismatch, ValueError):
        pass
    return f"{property_id}[{q.unit_raw or ''}]", q.values[0]


def conditions_of(rec: Record) -> dict[str, float]:
    out: dict[str, float] = {}
    for c in rec.conditions:
        if c.property_id and c.quantity is not None:
            kv = _condition_value(c.property_id, c.quantity)
            if kv is not None:
                out.setdefault(*kv)
    return out


def close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol * max(abs(a), abs(b)) + 1e-12


def compatible(a: dict[str, float], b: dict[str, float]) -> bool:
    return all(close(a[k], b[k], COND_TOL) for k in a.keys() & b.keys())


def log_dev(v: float, ref: float) -> float:
    if v > 0 and ref > 0:
        return abs(math.log(v / ref))
    return abs(v - ref) / max(abs(v), abs(ref), 1e-12)


def _gid(key: tuple, conds: dict[str, float], first_record: str) -> str:
    raw = repr((key, sorted(conds.items()), first_record))
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def reconcile(records: list[Record], cited: dict[str, bool] | None = None, review_papers: set[str] | None = None) -> Reconciliation:
    """Group, mark consensus and repeats. `cited[record_id]` says whether a record's sentence cites earlier work
    (features.CITATION by default); `review_papers` are paper ids of review articles (every value there is cited)."""
    from pipeline.score.features import CITATION

    review_papers = review_papers or set()
    by_key: dict[tuple, list[tuple[Record, float]]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r.paper_id, r.record_id)):
        mk, v = material_key(r), value_of(r)
        if mk and r.property.id and v is not None:
            by_key[(mk, r.property.id, r.quantity.unit)].append((r, v))

    groups: list[Group] = []
    flags: dict[str, list[str]] = defaultdict(list)
    consensus: dict[str, Consensus] = {}
    repeats: dict[str, int] = {}
    for key in sorted(by_key):
        # split by conditions: each record joins the first group whose conditions it is compatible with
        buckets: list[tuple[dict[str, float], list[tuple[Record, float]]]] = []
        for r, v in by_key[key]:
            cond = conditions_of(r)
            for bc, members in buckets:
                if compatible(bc, cond):
                    members.append((r, v))
                    for k, x in cond.items():
                        bc.setdefault(k, x)
                    break
            else:
                buckets.append((dict(cond), [(r, v)]))
        for bc, members in buckets:
            groups.append(_finish_group(key, bc, members, cited, review_papers, CITATION, flags, consensus, repeats))
    return Reconciliation(groups=groups, flags=dict(flags), consensus=consensus, paper_repeats=repeats)


def _finish_group(key, conds, members, cited, review_papers, citation_re, flags, consensus, repeats) -> Group:
    g = Group(group_id=_gid(key, conds, members[0][0].record_id), material=key[0], property=key[1], unit=key[2], conditions=conds)

    def is_cited(r: Record) -> bool:
        if r.paper_id in review_papers:
            return True
        if cited is not None and r.record_id in cited:
            return cited[r.record_id]
        return bool(citation_re.search(r.evidence.snippet or ""))

    by_paper: dict[str, list[tuple[Record, float]]] = defaultdict(list)
    for r, v in members:
        by_paper[r.paper_id].append((r, v))
    # a cited value repeating another paper's value is kept but not counted; the first paper (by id) stating a
    # value uncited is its source; when every paper cites it, the first paper keeps it
    repeat_ids: set[str] = set()
    for r, v in members:
        if not is_cited(r):
            continue
        others = [(o, ov) for o, ov in members if o.paper_id != r.paper_id and close(v, ov, SAME_VALUE_TOL)]
        if any(not is_cited(o) for o, _ in others) or any(o.paper_id < r.paper_id for o, _ in others):
            repeat_ids.add(r.record_id)
    paper_value: dict[str, float] = {}
    for pid, items in by_paper.items():
        vals = [v for r, v in items if r.record_id not in repeat_ids]
        if vals:
            paper_value[pid] = statistics.median(vals)
        for r, v in items:
            repeats[r.record_id] = sum(1 for o, ov in items if o.record_id != r.record_id and close(v, ov, SAME_VALUE_TOL))
    g.n_papers = len(by_paper)
    g.n_independent_papers = len(paper_value)
    g.consensus_value = statistics.median(sorted(paper_value.values())) if paper_value else None
    for r, v in members:
        others = [pv for pid, pv in paper_value.items() if pid != r.paper_id]
        if others:
            med = statistics.median(sorted(others))
            consensus[r.record_id] = Consensus(n_other_papers=len(others), median=med, log_dev=log_dev(v, med))
        fl = flags[r.record_id]
        fl.append(f"group:{g.group_id}")
        if r.record_id in repeat_ids:
            fl.append("repeats_cited_value")
        if g.consensus_value is not None and g.n_papers >= 2:
            if close(v, g.consensus_value, AGREE_TOL):
                fl.append("consensus")
            elif log_dev(v, g.consensus_value) >= math.log(DISAGREE_FACTOR):
                fl.append("disagrees_with_consensus")
        g.members.append(
            {
                "record_id": r.record_id,
                "paper_id": r.paper_id,
                "value": v,
                "extractor": r.extractor,
                "cited": is_cited(r),
                "repeats_cited_value": r.record_id in repeat_ids,
            }
        )
    return g

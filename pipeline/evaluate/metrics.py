"""Scoring: predicted records against a corpus's gold spans and links.

Matching is one-to-one and greedy per document: all candidate (gold, prediction) pairs that match are sorted by
their score (span IoU, or the summed component scores of a link) and taken best first, each gold and each
prediction at most once. Two levels: `strict` (exact spans after whitespace trim, equal normalized text) and
`overlap` (any character overlap, or one normalized text containing the other). P/R/F1 are micro-averaged over the
corpus; attribute accuracies (kind, unit) are over matched pairs; per-property P/R/F1 group by the gold label
(false positives by the prediction's own property).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from pipeline.evaluate.gold import GoldDoc, GoldLink, Mention, norm_text, norm_unit, trim
from schemas import PropertyRef, Record

LEVELS = ("strict", "overlap")
EV_FACTORS = {"ev": 1.0, "mev": 1e-3, "kev": 1e3}


# -- counts ---------------------------------------------------------------------------------------------------


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def p(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def r(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0

    def add(self, other: "PRF") -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    def as_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "p": self.p, "r": self.r, "f1": self.f1}


def greedy_match(pairs: list[tuple[float, int, int]]) -> list[tuple[int, int]]:
    """One-to-one: (score, gold index, pred index) candidates, best score first; ties by position."""
    used_g, used_p, out = set(), set(), []
    for score, gi, pi in sorted(pairs, key=lambda x: (-x[0], x[1], x[2])):
        if score > 0 and gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            out.append((gi, pi))
    return out


def iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def span_pairs(gold: list[tuple[int, int]], pred: list[tuple[int, int]], level: str) -> list[tuple[float, int, int]]:
    """Candidate pairs of two span lists: exact equality (strict) or any overlap scored by IoU."""
    if level == "strict":
        where = defaultdict(list)
        for pi, p in enumerate(pred):
            where[p].append(pi)
        return [(1.0, gi, pi) for gi, g in enumerate(gold) for pi in where.get(g, [])]
    order = sorted(range(len(pred)), key=lambda i: pred[i][0])
    starts = [pred[i][0] for i in order]
    longest = max((p[1] - p[0] for p in pred), default=0)
    out = []
    for gi, g in enumerate(gold):
        j = bisect.bisect_left(starts, g[1]) - 1
        while j >= 0 and starts[j] > g[0] - longest - 1:
            pi = order[j]
            s = iou(g, pred[pi])
            if s > 0:
                out.append((s, gi, pi))
            j -= 1
    return out


# -- predictions ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PropertyFilter:
    """Which predicted properties count for a single-property task. Decided by the vocabulary id when the record
    has one, else by its raw text; both as slugs (lowercase, `_` for spaces and hyphens)."""

    contains: tuple[str, ...] = ()
    equals: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    def __call__(self, prop: PropertyRef) -> bool:
        k = prop_slug(prop.id or prop.raw)
        return bool(k) and (k in self.equals or any(c in k for c in self.contains) or k.startswith(self.prefixes))


DEFAULT_FILTERS = {
    "tc": PropertyFilter(  # critical_temperature and its narrower ids (tc_onset, tc_zero) in schemas/properties.yaml
        contains=("critical_temperature", "superconducting_transition_temperature", "superconducting_temperature"),
        equals=("tc", "t_c"),
        prefixes=("tc_", "t_c_"),
    ),
    "band_gap": PropertyFilter(contains=("band_gap", "bandgap", "energy_gap"), equals=("eg", "e_g", "gap")),
}


def prop_slug(s: str | None) -> str:
    if not s:
        return ""
    s = unicodedata.normalize("NFKC", s).lower().strip()
    return re.sub(r"[\s\-]+", "_", s)


def prop_key(s: str | None) -> str:
    """Key that groups property labels for the per-property breakdown ("current_density" == "Current density")."""
    return norm_text((s or "").replace("_", " "))


@dataclass
class PredSpan:
    start: int
    end: int
    label: str = ""
    kind: str | None = None
    unit: str | None = None


@dataclass
class PredLink:
    value: tuple[int, int] | None
    numbers: list[float] = field(default_factory=list)
    ev: list[float] = field(default_factory=list)
    material: tuple[int, int] | None = None
    material_texts: list[str] = field(default_factory=list)
    prop: tuple[int, int] | None = None
    prop_texts: list[str] = field(default_factory=list)
    label: str = ""

    def key(self) -> tuple:
        return (self.value, tuple(self.numbers), self.material, tuple(self.material_texts[:1]), prop_key(self.label))


def valid_span(span, text: str) -> tuple[int, int] | None:
    """The span trimmed of whitespace, or None when absent, empty or outside the text."""
    if span is None or not (0 <= span.start < span.end <= len(text)):
        return None
    s, e = trim(text, span.start, span.end)
    return (s, e) if s < e else None


def in_regions(span: tuple[int, int] | None, regions: list[tuple[int, int]] | None) -> bool:
    """Whether the span overlaps one of the sorted, disjoint regions (no regions: the whole text counts)."""
    if regions is None or span is None:
        return True
    i = bisect.bisect_left(regions, (span[1],)) - 1  # the last region starting before the span ends
    return i >= 0 and regions[i][1] > span[0]


def pred_spans(records: list[Record], field_name: str, doc: GoldDoc) -> list[PredSpan]:
    """Predicted spans of one field, deduplicated: quantity = each record's quantity and its conditions' spans."""
    out: dict[tuple[int, int], PredSpan] = {}
    for r in records:
        if field_name == "material":
            items = [(r.material.span if r.material else None, "", None, None)]
        else:
            items = [(r.quantity.span, r.property.id or r.property.raw, r.quantity.kind, r.quantity.unit_raw)]
            for c in r.conditions:
                q = c.quantity
                span = q.span if q is not None and q.span is not None else c.span
                items.append((span, c.property_id or c.raw, q.kind if q else None, q.unit_raw if q else None))
        for span, label, kind, unit in items:
            s = valid_span(span, doc.text)
            if s is not None and s not in out and in_regions(s, doc.regions):
                out[s] = PredSpan(s[0], s[1], label or "", kind, unit)
    return sorted(out.values(), key=lambda p: (p.start, p.end))


def _ev(values: list[float], unit: str | None) -> list[float]:
    f = EV_FACTORS.get(norm_unit(unit).lower())
    return [v * f for v in values] if f is not None else []


def pred_link(r: Record, text: str) -> PredLink:
    q, m, p = r.quantity, r.material, r.property
    ev = list(q.values_canonical) if q.unit == "eV" and q.values_canonical else _ev(q.values, q.unit_raw)
    mspan = valid_span(m.span, text) if m else None
    pspan = valid_span(p.span, text)
    mtexts = [t for t in ([m.raw, m.formula, m.name, m.reduced_formula] if m else []) if t]
    ptexts = [t for t in (p.raw, (p.id or "").replace("_", " ")) if t]
    if mspan:
        mtexts.append(text[mspan[0] : mspan[1]])
    if pspan:
        ptexts.append(text[pspan[0] : pspan[1]])
    return PredLink(
        value=valid_span(q.span, text),
        numbers=list(q.values),
        ev=ev,
        material=mspan,
        material_texts=mtexts,
        prop=pspan,
        prop_texts=ptexts,
        label=p.id or p.raw,
    )


def condition_links(r: Record, text: str) -> list[PredLink]:
    """A record's conditions as links of their own: the condition's quantity, the record's material."""
    base = pred_link(r, text)
    out = []
    for c in r.conditions:
        if c.quantity is None:
            continue
        q = c.quantity
        texts = [t for t in (c.raw, (c.property_id or "").replace("_", " ")) if t]
        out.append(
            PredLink(
                value=valid_span(q.span, text),
                numbers=list(q.values),
                material=base.material,
                material_texts=base.material_texts,
                prop_texts=texts,
                label=c.property_id or c.raw,
            )
        )
    return out


def pred_links(
    records: list[Record], doc: GoldDoc, filt: PropertyFilter | None, numeric: bool, conditions: bool = False
) -> list[PredLink]:
    """Records as links (deduplicated); only those with a value span (or, for numeric rules, values) count.
    With `conditions`, each record's conditions count as links too (MeasEval annotates them as quantities)."""
    out: dict[tuple, PredLink] = {}
    for r in records:
        if filt is not None and not filt(r.property):
            continue
        links = [pred_link(r, doc.text)] + (condition_links(r, doc.text) if conditions else [])
        for pl in links:
            if pl.value is None and not (numeric and pl.numbers):
                continue
            if pl.value is not None and not in_regions(pl.value, doc.regions):
                continue
            out.setdefault(pl.key(), pl)
    return list(out.values())


# -- link rules -----------------------------------------------------------------------------------------------


def span_score(gold: list[tuple[int, int]], pred: tuple[int, int] | None, level: str) -> float:
    if pred is None:
        return 0.0
    if level == "strict":
        return 1.0 if pred in gold else 0.0
    return max((iou(g, pred) for g in gold), default=0.0)


def text_score(gold: list[str], pred: list[str], level: str) -> float:
    g = {norm_text(t) for t in gold if norm_text(t)}
    p = {norm_text(t) for t in pred if norm_text(t)}
    if g & p:
        return 1.0
    if level == "overlap" and any(a in b or b in a for a in g for b in p if min(len(a), len(b)) >= 2):
        return 0.5
    return 0.0


def mention_score(m: Mention, span: tuple[int, int] | None, texts: list[str], level: str, doc_text: str) -> float:
    """A material/property component: by span, else by normalized text (the mention's and its spans' surface)."""
    gold_texts = [m.text] + [doc_text[a:b] for a, b in m.spans]
    return max(span_score(m.spans, span, level), text_score(gold_texts, texts, level))


def numbers_equal(gold: list[float], pred: list[float], tol: float = 1e-6) -> bool:
    """One gold number: any predicted number equal; several (a range): the same numbers in any order."""
    if not gold or not pred:
        return False

    def close(a: float, b: float) -> bool:
        return abs(a - b) <= tol + 1e-9 * abs(b)

    if len(gold) == 1:
        return any(close(x, gold[0]) for x in pred)
    return len(gold) == len(pred) and all(close(a, b) for a, b in zip(sorted(gold), sorted(pred), strict=True))


def _with_parts(value: float, g: GoldLink, p: PredLink, level: str, text: str) -> float:
    """Add the material and property components where the gold has them; 0 when one fails."""
    if value <= 0:
        return 0.0
    total = value
    for mention, span, texts in ((g.material, p.material, p.material_texts), (g.property, p.prop, p.prop_texts)):
        if mention is None:
            continue
        s = mention_score(mention, span, texts, level, text)
        if s <= 0:
            return 0.0
        total += s
    return total


def rule_spans(g: GoldLink, p: PredLink, level: str, text: str) -> float:
    """PolyIE / MuLMS / MeasEval: the value by span; material and property by span or text."""
    return _with_parts(span_score(g.value.spans, p.value, level), g, p, level, text)


def rule_tc(g: GoldLink, p: PredLink, level: str, text: str) -> float:
    """SuperMat: the Tc by span (any occurrence) or an equal number; material by span or text."""
    value = max(span_score(g.value.spans, p.value, level), 1.0 if numbers_equal(g.numbers, p.numbers) else 0.0)
    return _with_parts(value, g, p, level, text)


def rule_bandgap(g: GoldLink, p: PredLink, level: str, text: str) -> float:
    """Band gap: an equal number as given or both in eV; material by span or normalized text/formula."""
    gold_ev = _ev(g.numbers, g.unit)
    ok = numbers_equal(g.numbers, p.numbers) or numbers_equal(gold_ev, p.ev)
    return _with_parts(1.0 if ok else 0.0, g, p, level, text)


LINK_RULES = {"triple": rule_spans, "measeval": rule_spans, "tc": rule_tc, "bandgap": rule_bandgap}
NUMERIC_RULES = {"tc", "bandgap"}

"""Features of one normalized record for the credibility score, and the curator-facing flags that explain them.

Every feature is a float (mostly 0/1) computed from the record, its evidence snippet, the parsed document (section,
OCR, table flags) and corpus-level context (same-fact groups and cross-paper consensus from reconcile.py). The same
function runs on the dev gold corpora (training, no parsed document) and in the score stage.

Text cues are read in the evidence sentence, mostly in a window around the quantity:

    hedged    "was predicted", "is expected to", "estimated", "may", "about", "approximately"
    negated   "not", "no", "never", "without", "fails to", "instead of"
    cited     "[12]", "(Smith et al., 2010)", "previously reported", "reported by", "literature", "ref."
    computed  a computational method (DFT, PBE, GW, MD ...) named in the sentence or the record's method
    bibliography  the snippet reads as a reference-list entry ("Phys. Rev. B 80 (2009) 12–15", "doi", "CrossRef")

and in the quantity and material themselves:

    value_word        the value is a number word ("two", "three"): counts of things, not property values
    integer_no_unit   whole numbers without a unit (citation numbers, years, labels, counts)
    amount_unit       a recipe amount or flow (mmol, mg, mL, mL/min, sccm, equiv): synthesis, not a property
    auxiliary_material  the material is a gas, solvent or transparent-electrode substrate (argon, water,
                        chloroform, ITO, glass): what a value is rarely a property of
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from schemas import ParsedDocument, Record

FEATURES = (
    "no_material",
    "no_property",
    "tc_property",
    "band_gap_property",
    "material_not_formula",
    "unit_problem",
    "out_of_range",
    "no_unit",
    "kind_interval",
    "kind_bound",
    "kind_list",
    "has_uncertainty",
    "hedged",
    "negated",
    "cited",
    "computed",
    "gga_band_gap",
    "experimental_cue",
    "many_numbers",
    "material_far",
    "property_far",
    "corroborated",
    "repeated_in_paper",
    "has_consensus",
    "agrees_with_consensus",
    "disagrees_with_consensus",
    "consensus_log_dev",
    "from_table",
    "from_llm",
    "section_background",
    "section_methods",
    "ocr",
    "table_broken",
    "ungrounded",
    "value_word",
    "integer_no_unit",
    "amount_unit",
    "bibliography",
    "auxiliary_material",
)

# Window (chars) around the quantity in which text cues count.
WINDOW = 90

HEDGE = re.compile(
    r"\b(?:predict(?:ed|s|ion)?|expected|estimat(?:ed|e|es)|may|might|could|would|possibly|probably|likely|"
    r"suggest(?:s|ed)?|approximately|about|around|roughly|nearly|presumably|assum(?:ed|ing)|theoretical(?:ly)?|"
    r"anticipated|speculat\w*|putative|should)\b",
    re.I,
)
NEGATION = re.compile(
    r"\b(?:not|no|never|neither|nor|without|cannot|can't|fail(?:s|ed)? to|instead of|rather than|absence of|"
    r"unlike|lack(?:s|ed|ing)?)\b|n't\b",
    re.I,
)
CITATION = re.compile(
    r"\[\s*\d+(?:\s*[-–,]\s*\d+)*\s*\]|\(\s*[A-Z][A-Za-z\-]+(?: et al\.?| and [A-Z][a-z]+)?,? \d{4}[a-z]?\s*\)|"
    r"\bet al\.|\b(?:previously|earlier|formerly) (?:reported|observed|found|measured|shown|published)\b|"
    r"\breported (?:by|in|previously|earlier|elsewhere)\b|\bliterature\b|\brefs?\.\s*\d|\breference\s*\d|"
    r"\bpreviously\b|\bprevious (?:work|study|studies|reports?)\b|\bin agreement with\b|\bconsistent with\b|"
    r"\bcompared (?:to|with)\b",
    re.I,
)
EXPERIMENTAL = re.compile(r"\b(?:measured|observed|experimental(?:ly)?|we (?:found|obtained|observe\w*|measure\w*))\b", re.I)
BIBLIOGRAPHY = re.compile(
    r"\(\s*(?:19|20)\d{2}[a-z]?\s*\)\s*[,;:]?\s*\d|\b(?:19|20)\d{2}\s*[,;]\s*\d+\s*[,:(]|\bdoi\b|\bCrossRef\b|"
    r"\bGoogle Scholar\b|\b(?:J|Phys|Chem|Mater|Lett|Rev|Soc|Sci|Appl|Nat|Adv|Proc|Commun|Trans)\.\s+(?=[A-Z0-9])",
)
AMOUNT_UNIT = re.compile(
    r"^(?:[mµμn]?mol|[mµμ]?g|[mµμ]?L|ml|[mµμ]?L\s*/\s*min|[mµμ]?L\s*min\S*|sccm|slm|equiv\.?|eq\.?|drops?)$", re.I
)
AUXILIARY_MATERIAL = re.compile(
    r"^(?:argon|Ar|nitrogen|N2|oxygen|O2|hydrogen|H2|air|helium|He|water|H2O|D2O|ethanol|methanol|chloroform|"
    r"toluene|chlorobenzene|o-?dichlorobenzene|dichloromethane|THF|DMF|DMSO|acetone|isopropanol|ITO|FTO|glass|quartz)$",
    re.I,
)
NUMBER = re.compile(r"(?<![\w.])[-+−]?\d+(?:\.\d+)?")

BACKGROUND_SECTIONS = re.compile(r"intro|background|related work|literature|review|motivation|overview", re.I)
METHODS_SECTIONS = re.compile(r"method|experimental (?:section|details|procedure)|computational details|synthesis", re.I)
GGA_METHODS = {"pbe", "gga", "lda", "pbesol", "dft"}  # semi-local DFT: band gaps are systematically too small
# parse flags (pipeline/parse/tables.py, jats.py, tei.py) that mean the table grid may be wrong
BROKEN_TABLE_FLAGS = {"long_cells", "sparse", "figure_like", "no_cells", "no_header", "header_guessed", "span_clipped"}


# Plain words for features whose weight lowers a score without a cue of their own (stage.explain adds them).
WORDS = {
    "material_far": "material named far from the value",
    "property_far": "property named far from the value",
    "material_not_formula": "material is a name, not a formula",
    "no_unit": "no unit given",
    "kind_interval": "a range, not a single value",
    "kind_bound": "a bound (<, >, ~), not a value",
    "kind_list": "a list of values",
    "repeated_in_paper": "stated several times in the paper",
    "consensus_log_dev": "far from other papers' values",
    "integer_no_unit": "a whole number without a unit",
}


@dataclass
class Context:
    """What a record's features may look at beyond the record itself (all optional)."""

    doc: ParsedDocument | None = None
    blocks: dict = field(default_factory=dict)  # block id -> Block (built from doc)
    tables: dict = field(default_factory=dict)  # table id -> Table
    ocr_pages: set[int] = field(default_factory=set)
    # corpus level: record id -> consensus info (reconcile.Consensus) and group size within the paper
    consensus: dict = field(default_factory=dict)
    paper_repeats: dict = field(default_factory=dict)

    @classmethod
    def for_document(cls, doc: ParsedDocument | None, **kw) -> "Context":
        if doc is None:
            return cls(**kw)
        return cls(
            doc=doc,
            blocks={b.id: b for b in doc.blocks},
            tables={t.id: t for t in doc.tables},
            ocr_pages={p.number for p in doc.pages if p.ocr},
            **kw,
        )


@lru_cache(maxsize=1)
def _method_kinds() -> dict[str, str]:
    from schemas.vocab import load_vocabulary

    return {m.id: m.kind for m in load_vocabulary().methods}


@lru_cache(maxsize=4096)
def _methods(text: str) -> tuple[str, ...]:
    """Method ids named in a text (cached: the records of one sentence share its snippet)."""
    from schemas.vocab import find_method_mentions

    return tuple(m.method_id for m in find_method_mentions(text)) if text else ()


def sentence_start(rec: Record) -> int | None:
    """Offset of the evidence sentence in the evidence item's text (spans index that text)."""
    starts = [p.span.start for p in rec.evidence.prov if p.span is not None]
    return min(starts) if starts else None


def quantity_window(rec: Record, width: int = WINDOW) -> str:
    """The evidence snippet around the quantity (the whole snippet when the quantity cannot be placed in it)."""
    snip = rec.evidence.snippet or ""
    q = rec.quantity.span
    s0 = sentence_start(rec)
    if q is None or s0 is None:
        return snip
    a, b = q.start - s0, q.end - s0
    if not (0 <= a <= len(snip)):
        return snip
    return snip[max(0, a - width) : min(len(snip), b + width)]


def _distance(rec: Record, span) -> float:
    """Chars between a mention and the quantity, scaled to [0, 1] (log; 1 = absent or far away)."""
    q = rec.quantity.span
    if span is None or q is None:
        return 1.0
    gap = max(0, max(span.start, q.start) - min(span.end, q.end))
    return min(1.0, math.log1p(gap) / math.log1p(400))


def _section(ctx: Context, rec: Record) -> str:
    b = ctx.blocks.get(rec.evidence.source_id)
    if b is None and rec.evidence.source_kind == "table":
        t = ctx.tables.get(rec.evidence.source_id.split(":")[0])
        b = ctx.blocks.get(t.caption_id) if t is not None and t.caption_id else None
    return " / ".join(b.section) if b is not None and b.section else ""


def record_features(rec: Record, ctx: Context | None = None) -> tuple[dict[str, float], list[str]]:
    """(features by name, curator flags) for one record. Flags are short, plain-words reasons."""
    ctx = ctx or Context()
    f = dict.fromkeys(FEATURES, 0.0)
    why: list[str] = []
    flags = set(rec.flags)
    snip = rec.evidence.snippet or ""
    win = quantity_window(rec)

    if rec.material is None or "no_material" in flags:
        f["no_material"] = 1.0
        why.append("no material named")
    elif not (rec.material.reduced_formula or rec.material.formula):
        f["material_not_formula"] = 1.0
    if rec.property.id is None or "no_property" in flags:
        f["no_property"] = 1.0
        why.append("property not recognised")
    # the extractors' precision differs by property: the dev gold judges Tc and band gap records completely
    pid = rec.property.id or ""
    f["tc_property"] = float(pid.startswith(("critical_temperature", "tc_")))
    f["band_gap_property"] = float(pid.startswith("band_gap"))
    if flags & {"unit_dimension_mismatch", "unit_unknown"}:
        f["unit_problem"] = 1.0
        why.append("unit does not fit the property" if "unit_dimension_mismatch" in flags else "unit not understood")
    if "out_of_plausible_range" in flags:
        f["out_of_range"] = 1.0
        why.append("value outside the plausible range for this property")
    if rec.quantity.unit_raw is None and rec.quantity.unit not in ("dimensionless",):
        f["no_unit"] = 1.0
    f["kind_interval"] = float(rec.quantity.kind == "interval")
    f["kind_bound"] = float(rec.quantity.kind == "bound")
    f["kind_list"] = float(rec.quantity.kind == "list")
    f["has_uncertainty"] = float(rec.quantity.uncertainty is not None)

    if HEDGE.search(win):
        f["hedged"] = 1.0
        why.append("hedged wording (predicted / estimated / about)")
    if NEGATION.search(win):
        f["negated"] = 1.0
        why.append("negation near the value")
    if CITATION.search(snip):
        f["cited"] = 1.0
        why.append("cites earlier work (value may be quoted, not measured)")
    methods = set(_methods(rec.method or "")) | set(_methods(snip))
    kinds = _method_kinds()
    if any(kinds.get(m) == "computational" for m in methods) or re.search(
        r"\b(?:calculated|computed|first[- ]principles|ab initio|simulat\w+|DFT)\b", win, re.I
    ):
        f["computed"] = 1.0
        why.append("computed value (not measured)")
        if (rec.property.id or "").startswith("band_gap") and methods & GGA_METHODS and "hybrid_functional" not in methods:
            f["gga_band_gap"] = 1.0
            why.append("semi-local DFT (PBE/LDA) band gap: usually underestimated")
    if EXPERIMENTAL.search(win):
        f["experimental_cue"] = 1.0
    # sentence geometry (crowding, distances) says nothing about a table cell: its row and column pair it
    in_table = rec.evidence.source_kind == "table" or rec.extractor == "tables"
    n_numbers = 0 if in_table else len(NUMBER.findall(snip))
    f["many_numbers"] = min(1.0, max(0, n_numbers - 1) / 8)
    if n_numbers > 5:
        why.append("crowded sentence (many numbers): value and material may be mispaired")
    if not in_table:
        f["material_far"] = _distance(rec, rec.material.span if rec.material else None)
        f["property_far"] = _distance(rec, rec.property.span)
    if rec.material is not None and f["material_far"] > 0.85 and rec.material.span is not None:
        why.append("material named far from the value")

    extractors = {x.split(":", 1)[1] for x in flags if x.startswith("corroborated_by:")}
    if extractors:
        f["corroborated"] = 1.0
        why.append("also found by " + ", ".join(sorted(extractors)))
    reps = ctx.paper_repeats.get(rec.record_id, 0)
    f["repeated_in_paper"] = min(1.0, reps / 3)
    cons = ctx.consensus.get(rec.record_id)
    if cons is not None and cons.n_other_papers > 0:
        f["has_consensus"] = 1.0
        f["consensus_log_dev"] = min(1.0, cons.log_dev / math.log(3))
        if cons.log_dev <= math.log(1.1):
            f["agrees_with_consensus"] = 1.0
            why.append(f"agrees with {cons.n_other_papers} other paper(s)")
        elif cons.log_dev >= math.log(1.5):
            f["disagrees_with_consensus"] = 1.0
            why.append(f"differs from the median of {cons.n_other_papers} other paper(s) ({cons.median:g})")

    f["from_table"] = float(in_table)
    f["from_llm"] = float(rec.extractor.startswith("llm") or rec.prompt_id is not None)
    section = _section(ctx, rec)
    if section and BACKGROUND_SECTIONS.search(section):
        f["section_background"] = 1.0
        why.append(f"stated in the {section.split(' / ')[0][:40]} section (background, often quoted)")
    elif section and METHODS_SECTIONS.search(section):
        f["section_methods"] = 1.0
    pages = {p.page for p in rec.evidence.prov}
    if any(p.origin == "ocr" for p in rec.evidence.prov) or pages & ctx.ocr_pages:
        f["ocr"] = 1.0
        why.append("read by OCR")
    if f["from_table"]:
        t = ctx.tables.get(rec.evidence.source_id.split(":")[0])
        if t is not None and BROKEN_TABLE_FLAGS & set(t.flags):
            f["table_broken"] = 1.0
            why.append("table parsed with problems")
    raw = (rec.quantity.raw or "").strip()
    if raw[:1].isalpha():
        f["value_word"] = 1.0
        why.append("value written as a word (a count, not a property value)")
    values = rec.quantity.values or []
    if values and not rec.quantity.unit_raw and all(float(v).is_integer() for v in values):
        f["integer_no_unit"] = 1.0
    if rec.quantity.unit_raw and AMOUNT_UNIT.match(rec.quantity.unit_raw.strip()):
        f["amount_unit"] = 1.0
        why.append("an amount or flow (synthesis recipe), not a property")
    if BIBLIOGRAPHY.search(snip):
        f["bibliography"] = 1.0
        why.append("reads as a reference-list entry")
    if rec.material is not None and AUXILIARY_MATERIAL.match((rec.material.raw or "").strip()):
        f["auxiliary_material"] = 1.0
        why.append("material is a gas, solvent or substrate")
    if "ungrounded" in flags:
        f["ungrounded"] = 1.0
        why.append("not found verbatim in the paper (ungrounded)")
    return f, why

"""Scoring of the PDF-table corpus (table_gold): parse each PDF, run the table extractor, compare record tuples.

The extractor under test is a `TableExtractFn`: (pdf path, paper id) -> (the parsed tables, their records). The
default parses with `parse_pdf(..., ParseConfig(tables=True, ocr="never"))`, runs `TableExtractor` and
`normalize_records`. Each gold table is matched to the parsed tables of its PDF carrying the same label ("Table 1"),
preferring those on the gold page; only records read from those tables are scored (records of other tables are
counted, not scored). A gold table whose PDF is absent is skipped with a note.

Each gold value cell is a tuple (material, property, value, unit); one-to-one greedy matching per table:
  - value+unit: some gold value equals a predicted value within rounding (relative 1e-3, or half a unit of the
    gold's last printed digit) after converting the gold unit into the predicted one (pint; the raw unit first,
    then the canonical one); units match when they convert (same dimension) or normalize to the same text, and
    a dimensionless gold cell matches a record without unit;
  - strict: value+unit, and the material matches loosely (normalized strings equal or one containing the other,
    or the same reduced formula), and the property matches (the gold id when it has one, else the gold's raw name
    and the predicted raw header share all the tokens of the shorter one; a predicted id where the gold has none
    is a wrong property).
Per table, `errors` lists examples: `fn`/`fp` at the value+unit level, and `strict_wrong`: gold cells whose value and
unit were found but whose material or property differ (which one, gold != predicted).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pipeline.evaluate.corpora.table_gold import GoldCell, GoldTable, TableCorpus, find_pdf
from pipeline.evaluate.gold import norm_text
from pipeline.evaluate.metrics import PRF, greedy_match
from schemas import Record
from schemas.document import Table

TableExtractFn = Callable[[Path, str], tuple[list[Table], list[Record]]]
LEVELS = ("strict", "value_unit")
REL_TOL = 1e-3
NOTE = (
    "PDF tables: (material, property, value, unit) per gold value cell; value within rounding after pint unit "
    "conversion; strict also needs the material (loose) and the property (id, else raw name); value_unit only "
    "value and unit."
)


def default_table_extractor(pdf: Path, paper_id: str) -> tuple[list[Table], list[Record]]:
    """Parse (tables on, no OCR), `TableExtractor`, `normalize_records`."""
    from extractors.tables import TableExtractor
    from pipeline.config import ParseConfig
    from pipeline.normalize import normalize_records
    from pipeline.parse.pdf import parse_pdf

    doc = parse_pdf(Path(pdf), paper_id, ParseConfig(tables=True, ocr="never"))
    return list(doc.tables), normalize_records(list(TableExtractor().extract(doc)))


default_table_extractor.__name__ = "tables"


# ------------------------------------------------------------------ attribute matching


def _decimals(v: float) -> int:
    s = repr(float(v))
    if "e" in s or "E" in s:
        mant, exp = s.lower().split("e")
        d = len(mant.split(".")[1].rstrip("0")) if "." in mant else 0
        return d - int(exp)
    return len(s.split(".")[1].rstrip("0")) if "." in s else 0


def _close(g: float, p: float, half_ulp: float) -> bool:
    if math.isclose(g, p, rel_tol=REL_TOL, abs_tol=0.0):
        return True
    return abs(g - p) <= half_ulp * (1 + 1e-9)


def _is_dimensionless(u: str | None) -> bool:
    return not u or norm_text(u) in {"", "dimensionless", "1"}


def _convert(values: list[float], src: str, dst: str) -> list[float] | None:
    from schemas.units import convert, normalize_unit_text

    if _is_dimensionless(src) and _is_dimensionless(dst):
        return list(values)
    if _is_dimensionless(src) or _is_dimensionless(dst):
        return None
    try:
        return list(convert(list(values), src, dst))
    except Exception:  # noqa: BLE001 - an unparsable unit just does not convert
        pass
    try:
        same = normalize_unit_text(src) == normalize_unit_text(dst)
    except Exception:  # noqa: BLE001
        same = False
    return list(values) if same or norm_text(src) == norm_text(dst) else None


def value_unit_match(g: GoldCell, rec: Record) -> bool:
    q = rec.quantity
    options = [(q.values, q.unit_raw), (q.values_canonical, q.unit)]
    for pvals, punit in options:
        if not pvals:
            continue
        for gunit in (g.unit_pint, g.unit):
            conv = _convert(list(g.values), gunit, punit or "")
            if conv is None:
                continue
            scale = abs(conv[0] / g.values[0]) if g.values[0] else 1.0
            for gv, cv in zip(g.values, conv, strict=True):
                half_ulp = 0.5 * 10 ** (-_decimals(gv)) * scale
                if any(_close(cv, pv, half_ulp) for pv in pvals):
                    return True
            break  # the units converted: the values decide
    return False


_REF = re.compile(r"\[[^\]]*\]|\([^)]*\)")


def _mat_keys(s: str | None) -> str:
    return norm_text(_REF.sub(" ", s or "")) if s else ""


def material_match(g: GoldCell, rec: Record) -> bool:
    m = rec.material
    if m is None:
        return False
    gk = norm_text(g.material)
    for cand in (m.raw, m.name, m.formula):
        ck = norm_text(cand)
        if ck and gk and (ck == gk or ck in gk or gk in ck):
            return True
        ck = _mat_keys(cand)
        if ck and (ck == gk or ck in gk or gk in ck):
            return True
    from extractors.materials import normalize_formula

    try:
        g_red = normalize_formula(g.material)[1]
    except Exception:  # noqa: BLE001
        g_red = None
    return bool(g_red) and g_red == (m.reduced_formula or normalize_formula(m.raw)[1])


_TOKEN = re.compile(r"[^\W_]+(?:[*/][^\W_]+)*", re.UNICODE)


def _tokens(s: str) -> set[str]:
    return {t.lower() for t in _TOKEN.findall(_REF.sub(" ", s or ""))}


def property_match(g: GoldCell, rec: Record) -> bool:
    if g.property_id:
        return rec.property.id == g.property_id
    if rec.property.id:  # the gold says no vocabulary property fits: an id is a wrong normalisation
        return False
    a, b = _tokens(g.property_raw), _tokens(rec.property.raw)
    if not a or not b:
        return False
    return a <= b or b <= a


# ------------------------------------------------------------------ per table


@dataclass
class TableScore:
    key: str
    label: str
    paper: str
    gold: int
    pred: int
    levels: dict[str, PRF]
    note: str = ""
    fn: list[str] | None = None
    fp: list[str] | None = None
    wrong: list[str] | None = None  # value+unit matched, strict did not: which attribute differs

    def as_dict(self) -> dict:
        return {
            "table": self.key,
            "label": self.label,
            "paper": self.paper,
            "gold": self.gold,
            "pred": self.pred,
            "levels": {k: v.as_dict() for k, v in self.levels.items()},
            "note": self.note,
            "errors": {"fn": self.fn or [], "fp": self.fp or [], "strict_wrong": self.wrong or []},
        }


def _describe_gold(c: GoldCell) -> str:
    vals = ", ".join(f"{v:g}" for v in c.values)
    return f"r{c.row}c{c.col}: {c.material} | {c.property_key} | {vals} {c.unit}".rstrip()


def _describe_pred(r: Record) -> str:
    q = r.quantity
    mat = r.material.raw if r.material else "-"
    return f"{r.evidence.source_id}: {mat} | {r.property.id or r.property.raw} | {q.raw} ({q.unit_raw or 'no unit'})"


def score_table(gt: GoldTable, preds: list[Record], n_errors: int = 5) -> TableScore:
    strict_pairs, vu_pairs = [], []
    for gi, g in enumerate(gt.cells):
        for pi, p in enumerate(preds):
            if not value_unit_match(g, p):
                continue
            mat, prop = material_match(g, p), property_match(g, p)
            vu_pairs.append((1.0 + 0.5 * mat + 0.5 * prop, gi, pi))
            if mat and prop:
                strict_pairs.append((1.0, gi, pi))
    levels, found = {}, {}
    for level, pairs in (("strict", strict_pairs), ("value_unit", vu_pairs)):
        matches = greedy_match(pairs)
        tp = len(matches)
        levels[level] = PRF(tp=tp, fp=len(preds) - tp, fn=len(gt.cells) - tp)
        found[level] = matches
    hit_g, hit_p = {g for g, _ in found["value_unit"]}, {p for _, p in found["value_unit"]}
    fn = [_describe_gold(c) for i, c in enumerate(gt.cells) if i not in hit_g][:n_errors]
    fp = [_describe_pred(r) for i, r in enumerate(preds) if i not in hit_p][:n_errors]
    strict_g = {g for g, _ in found["strict"]}
    wrong = [_describe_wrong(gt.cells[g], preds[p]) for g, p in sorted(found["value_unit"]) if g not in strict_g][
        :n_errors
    ]
    return TableScore(gt.key, gt.label, gt.paper_file, len(gt.cells), len(preds), levels, fn=fn, fp=fp, wrong=wrong)


def _describe_wrong(g: GoldCell, r: Record) -> str:
    """A strict miss whose value and unit were right: "r1c4: material GdBaCuO != MgB2 (Bc 4.73 T)"."""
    parts = []
    if not material_match(g, r):
        parts.append(f"material {g.material} != {r.material.raw if r.material else '-'}")
    if not property_match(g, r):
        parts.append(f"property {g.property_key} != {r.property.id or r.property.raw}")
    vals = ", ".join(f"{v:g}" for v in g.values)
    return f"r{g.row}c{g.col}: " + "; ".join(parts or ["matched another cell"]) + f" ({f'{vals} {g.unit}'.strip()})"


def _label_key(s: str | None) -> str:
    return norm_text(s).rstrip(".:")


def tables_for(gt: GoldTable, tables: list[Table]) -> list[Table]:
    """The parsed tables that are the gold table: same label, on the gold page when any is; else none."""
    same = [t for t in tables if _label_key(t.label) == _label_key(gt.label)]
    on_page = [t for t in same if t.page == gt.page]  # Table.page is 1-based
    return on_page or same


def _unscored(gts: list[GoldTable], paper: str, reason: str, into: list[str], per_table: dict, on_table) -> None:
    """Tables of a paper that could not be scored: listed in `into` with the reason, counted for progress."""
    for gt in gts:
        into.append(gt.key)
        per_table[gt.key] = {
            "table": gt.key,
            "label": gt.label,
            "paper": paper,
            "gold": len(gt.cells),
            "skipped": reason,
        }
        if on_table:
            on_table()


def score_table_corpus(
    corpus: TableCorpus,
    extract_fn: TableExtractFn | None = None,
    shared_data: Path | None = None,
    n_errors: int = 5,
    on_table: Callable[[], None] | None = None,
) -> dict:
    """Per-table and overall (micro) P/R/F1 at the strict and value_unit levels, as a JSON-able dict."""
    import hashlib

    extract_fn = extract_fn or default_table_extractor
    by_paper: dict[str, list[GoldTable]] = {}
    for t in corpus.tables:
        by_paper.setdefault(t.paper_file, []).append(t)
    per_table: dict[str, dict] = {}
    totals = {lv: PRF() for lv in LEVELS}
    skipped, failed, outside = [], [], 0
    for paper, gts in by_paper.items():
        pdf = find_pdf(paper, shared_data)
        if pdf is None:
            reason = f"PDF absent: {paper} (not in data/papers nor shared/data/open_pdfs or pdf_samples/pdf)"
            _unscored(gts, paper, reason, skipped, per_table, on_table)
            continue
        paper_id = hashlib.sha256(pdf.read_bytes()).hexdigest()[:16]
        try:
            tables, records = extract_fn(pdf, paper_id)
        except Exception as e:  # noqa: BLE001 - one broken PDF must not hide the others
            _unscored(gts, paper, f"extraction failed: {type(e).__name__}: {e}", failed, per_table, on_table)
            continue
        table_recs = [r for r in records if r.evidence.source_kind == "table"]
        used_ids: set[str] = set()
        for gt in gts:
            mine = tables_for(gt, tables)
            ids = {t.id for t in mine}
            used_ids |= ids
            preds = [r for r in table_recs if r.evidence.source_id.split(":", 1)[0] in ids]
            ts = score_table(gt, preds, n_errors)
            if not mine:
                ts.note = f"no parsed table labelled {gt.label!r} in the PDF"
            elif len(mine) > 1:
                ts.note = f"{len(mine)} parsed tables labelled {gt.label!r}"
            for lv in LEVELS:
                totals[lv].add(ts.levels[lv])
            per_table[gt.key] = ts.as_dict()
            if on_table:
                on_table()
        outside += sum(1 for r in table_recs if r.evidence.source_id.split(":", 1)[0] not in used_ids)
    scored = [v for v in per_table.values() if "levels" in v]
    return {
        "kind": "pdf_tables",
        "note": NOTE,
        "gold": sum(v["gold"] for v in scored),
        "pred": sum(v["pred"] for v in scored),
        "levels": {lv: totals[lv].as_dict() for lv in LEVELS},
        "per_table": per_table,
        "skipped": skipped,
        "failed": failed,
        "records_outside_gold_tables": outside,
    }

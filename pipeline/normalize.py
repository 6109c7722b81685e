"""Normalize stage: candidate Records -> normalized records (work/records/<id>.jsonl) and quantity mentions
(work/mentions/<id>.jsonl).

Fills what extractors leave raw: values in the property's canonical unit (pint, schemas/units.txt), the material's
formula and reduced formula (pymatgen via extractors.materials), and flags instead of silent fixes:

    unit_dimension_mismatch   the unit does not fit the property's dimension (values left unconverted)
    unit_unknown              the unit text could not be parsed
    out_of_plausible_range    the canonical value lies outside the property's plausible range
    no_property / no_material the statement could not be linked (kept for recall, scored down later)

Records and mentions (`is_mention`, the one place the criterion lives): a matlit *record* is a normalized
quantitative fact — a value of a property the vocabulary (schemas/properties.yaml) knows. A number the extractors
found but could not say what it measures ("10 mg", "100 °C" in a recipe: the property id is missing or not a
vocabulary id, flag `no_property`) is a quantity *mention*: same Record model, nothing dropped, but written to
work/mentions/<id>.jsonl instead of work/records/<id>.jsonl. Everything downstream of records — score (features,
reconciliation, labels, calibration), the review queue and app, the `records` shard table — sees records only;
mentions go to their own `mentions` shard table, and `matlit eval`'s quantity-span tasks score records + mentions.
A paper's mentions file is written before its records file, so a records file (the stage's done-marker) newer
than its mentions file means both are complete.
"""

from __future__ import annotations

from pipeline.runner import Stage
from pipeline.workdir import WorkDir
from schemas import Record


def _sig(v: float) -> float:
    """Drop binary conversion noise (20 um -> 19999.999999999996 nm): 12 significant digits."""
    return float(f"{v:.12g}")


def normalize_record(rec: Record) -> Record:
    from schemas.units import UnitMismatch, convert, parse_unit
    from schemas.vocab import load_vocabulary

    vocab = load_vocabulary()
    flags = list(rec.flags)
    q = rec.quantity.model_copy()
    prop = vocab.get(rec.property.id) if rec.property.id else None
    if prop is None and "no_property" not in flags:
        flags.append("no_property")
    if rec.material is None and "no_material" not in flags:
        flags.append("no_material")
    if prop is not None:
        target = prop.canonical_unit
        raw_unit = q.unit or q.unit_raw
        if raw_unit is None:
            if target in ("dimensionless", "", None):
                q.unit = "dimensionless"
                q.values_canonical = list(q.values)
        elif parse_unit(raw_unit) is None:
            flags.append("unit_unknown")
        else:
            try:
                q.values_canonical = [_sig(v) for v in convert(list(q.values), raw_unit, target)]
                if q.uncertainty is not None:
                    zero = convert([0.0], raw_unit, target)[0]
                    q.uncertainty_canonical = _sig(abs(convert([q.uncertainty], raw_unit, target)[0] - zero))
                q.unit = target
            except UnitMismatch:
                flags.append("unit_dimension_mismatch")
        lo, hi = prop.plausible_range
        if q.values_canonical and any(not (lo <= v <= hi) for v in q.values_canonical):
            flags.append("out_of_plausible_range")
    mat = rec.material
    if mat is not None and mat.formula and not mat.reduced_formula:
        from extractors.materials import normalize_formula

        formula, reduced = normalize_formula(mat.formula)
        mat = mat.model_copy(update={"formula": formula or mat.formula, "reduced_formula": reduced})
    return rec.model_copy(update={"quantity": q, "material": mat, "flags": sorted(set(flags))})


def normalize_records(records: list[Record]) -> list[Record]:
    """Normalized records and mentions together, in input order (`split_mentions` separates them)."""
    return link_same_facts([normalize_record(r) for r in records])


def is_mention(rec: Record) -> bool:
    """A quantity mention, not a record: its property id is missing or not in the vocabulary, so nobody can say
    what the number measures (normalize flags it `no_property`). The one criterion; see the module docstring."""
    from schemas.vocab import load_vocabulary

    return not rec.property.id or load_vocabulary().get(rec.property.id) is None


def split_mentions(records: list[Record]) -> tuple[list[Record], list[Record]]:
    """(records, mentions), each in input order."""
    recs, mentions = [], []
    for r in records:
        (mentions if is_mention(r) else recs).append(r)
    return recs, mentions


REL_TOL = 0.01  # values within 1 % (or within the stated uncertainty) state the same fact


def _material_key(rec: Record) -> str | None:
    m = rec.material
    if m is None:
        return None
    key = m.reduced_formula or m.formula or m.name or m.raw
    return "".join(key.split()).lower() if key else None


def _same_value(a: Record, b: Record) -> bool:
    va, vb = a.quantity.values_canonical, b.quantity.values_canonical
    if not va or len(va) != len(vb) or a.quantity.unit != b.quantity.unit:
        return False
    tol = max(a.quantity.uncertainty_canonical or 0.0, b.quantity.uncertainty_canonical or 0.0)
    return all(abs(x - y) <= max(tol, REL_TOL * max(abs(x), abs(y))) for x, y in zip(va, vb, strict=True))


def link_same_facts(records: list[Record]) -> list[Record]:
    """Records of one paper from different extractors (text, tables, ...) that state the same fact — same material,
    property and value within tolerance — get `same_fact:<other record id>` and `corroborated_by:<extractor>` flags,
    which the score stage reads as agreement between independent extractors."""
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(records):
        key = (_material_key(r), r.property.id)
        if key[0] and key[1]:
            groups.setdefault(key, []).append(i)
    extra: dict[int, set[str]] = {}
    for idx in groups.values():
        for a in idx:
            for b in idx:
                ra, rb = records[a], records[b]
                if ra.extractor != rb.extractor and _same_value(ra, rb):
                    extra.setdefault(a, set()).update({f"same_fact:{rb.record_id}", f"corroborated_by:{rb.extractor}"})
    if not extra:
        return records
    return [
        r.model_copy(update={"flags": sorted(set(r.flags) | extra[i])}) if i in extra else r for i, r in enumerate(records)
    ]


class NormalizeStage(Stage):
    name = "normalize"

    def work_items(self, wd: WorkDir) -> list[str]:
        return sorted(wd.done_ids("extract"))

    def is_done(self, wd: WorkDir, item: str) -> bool:
        """Both outputs written by one run: the records file exists and is not older than the mentions file
        (written first). A work dir from before mentions existed (no mentions file) is normalized again."""
        rec, men = wd.stage_output(self.name, item), wd.mentions_output(item)
        try:
            return men.stat().st_mtime_ns <= rec.stat().st_mtime_ns
        except FileNotFoundError:
            return False

    def process(self, wd: WorkDir, item: str) -> None:
        recs, mentions = split_mentions(normalize_records(wd.read_records("extract", item)))
        wd.write_mentions(item, mentions)  # first: the records file marks the paper done
        wd.write_records("normalize", item, recs)

"""Normalize stage: candidate Records -> normalized Records (work/records/<id>.jsonl).

Fills what extractors leave raw: values in the property's canonical unit (pint, schemas/units.txt), the material's
formula and reduced formula (pymatgen via extractors.materials), and flags instead of silent fixes:

    unit_dimension_mismatch   the unit does not fit the property's dimension (values left unconverted)
    unit_unknown              the unit text could not be parsed
    out_of_plausible_range    the canonical value lies outside the property's plausible range
    no_property / no_material the statement could not be linked (kept for recall, scored down later)
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
    return [normalize_record(r) for r in records]


class NormalizeStage(Stage):
    name = "normalize"

    def work_items(self, wd: WorkDir) -> list[str]:
        return sorted(wd.done_ids("extract"))

    def process(self, wd: WorkDir, item: str) -> None:
        wd.write_records("normalize", item, normalize_records(wd.read_records("extract", item)))

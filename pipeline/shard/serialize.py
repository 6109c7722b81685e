"""Records as training text: one line per record, fields introduced by special tokens.

    <mat> LiFePO4 <prop> band_gap <val> 3.7 <unit> eV <cond> T=300 K <method> DFT

Special tokens (the tokenizer reserves them as single, never-split tokens; `SPECIAL_TOKENS`):

    <mat>     the material: normalized formula, else its name, else the raw mention
    <prop>    the property: vocabulary id (schemas/properties.yaml), else the raw mention
    <val>     the value(s): "3.7"; interval "3.5 - 3.9"; list "1, 2, 3"; bound "< 3.7"; uncertainty "3.7 ± 0.1"
    <unit>    the unit the values are in: the canonical unit when normalize converted them, else the raw unit
    <cond>    one per condition: "T=300 K" (short symbol for common condition properties, else the vocabulary id)
    <method>  the measurement/computation method when one was extracted

Segments without content are left out (no "<mat>" without a material, no "<unit>" for a bare number). Numbers
are written with up to 12 significant digits ("3.7", "3.6e+21"), so the text round-trips the stored value.
The numeric column `value_num` of the record shard carries the first canonical value for number-aware models.
"""

from __future__ import annotations

from schemas import Condition, Quantity, Record

SPECIAL_TOKENS = ("<mat>", "<prop>", "<val>", "<unit>", "<cond>", "<method>")

COND_SYMBOLS = {
    "temperature": "T",
    "pressure": "P",
    "magnetic_field": "B",
    "wavelength": "λ",
    "frequency": "f",
    "voltage": "V",
    "current_density": "J",
    "time": "t",
}

_BOUND = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥", "approx": "≈"}


def fmt_number(v: float) -> str:
    return format(float(v), ".12g")


def _clean(s: str) -> str:
    """One line, no special tokens smuggled in from the paper text."""
    s = " ".join(str(s).split())
    for t in SPECIAL_TOKENS:
        s = s.replace(t, t.strip("<>"))
    return s


def quantity_text(q: Quantity) -> tuple[str, str | None]:
    """(values text, unit) of a quantity, preferring canonical values and unit."""
    if q.values_canonical and q.unit:
        vals, unit = q.values_canonical, q.unit
        unc = q.uncertainty_canonical
    else:
        vals, unit = q.values, q.unit_raw or q.unit
        unc = q.uncertainty
    if not vals:
        return _clean(q.raw), unit
    nums = [fmt_number(v) for v in vals]
    if q.kind == "interval" and len(nums) == 2:
        text = f"{nums[0]} - {nums[1]}"
    else:
        text = ", ".join(nums)
    if q.bound:
        text = f"{_BOUND[q.bound]} {text}"
    if unc is not None:
        text = f"{text} ± {fmt_number(unc)}"
    if unit == "dimensionless":
        unit = None
    return text, unit


def condition_text(c: Condition) -> str:
    name = COND_SYMBOLS.get(c.property_id or "", c.property_id)
    if c.quantity is None:
        return _clean(c.raw)
    vals, unit = quantity_text(c.quantity)
    value = f"{vals} {_clean(unit)}" if unit else vals
    return f"{name}={value}" if name else _clean(c.raw)


def record_to_text(record: Record) -> str:
    parts: list[str] = []
    m = record.material
    if m is not None:
        mat = m.formula or m.name or m.raw
        if mat and mat.strip():
            parts += ["<mat>", _clean(mat)]
    prop = record.property.id or record.property.raw
    if prop and prop.strip():
        parts += ["<prop>", _clean(prop)]
    vals, unit = quantity_text(record.quantity)
    parts += ["<val>", vals]
    if unit:
        parts += ["<unit>", _clean(unit)]
    for c in record.conditions:
        parts += ["<cond>", condition_text(c)]
    if record.method and record.method.strip():
        parts += ["<method>", _clean(record.method)]
    return " ".join(p for p in parts if p)

"""Units: the project's one pint registry, and paper spellings of units turned into pint strings.

`registry()` builds pint's default registry plus `units.txt` once (≈0.5 s) and caches it. Everything else is
cached per distinct unit string, so converting 10^5 values costs one pint call plus a multiply-add each.

Reading choices (papers are ambiguous; these are the project's rules):
- `T` is tesla, `K` kelvin, `G` gauss, `h` hour, `s` second, `S` siemens, `g` gram, `M` molar (mol/L),
  `C` coulomb (`°C` is Celsius; "C-rate" is the battery rate), `a` year (pint's annum), `AU` astronomical unit
  (pint's `AU` is an absorbance unit; `mAU` keeps that meaning). `ppt` (thousand? trillion?) is left to pint,
  which reads a pico-pint: extractors.quantities does not take it as a unit.
- `Oe` is an H-field in A/m and `G` a B-field in T (pint's Gaussian definitions are replaced in units.txt);
  H <-> B (kOe -> T) is not a conversion but a physics step: opt in with `convert(..., context="magnetic")`.
- "A/cm-w" (per cm of tape width, coated conductors) is A/cm_w: `m_w` is a metre of width, so it converts to A/cm.
- `wt%`, `at%`, `mol%`, `vol%` are dimensionless like `%` but keep their own names (their basis).
- After a `/`, every following factor of the same group is in the denominator: "J/g K" is J g^-1 K^-1,
  "cm2/Vs" is cm^2 V^-1 s^-1 (how papers mean it, not how pint would read it).
- `°C` inside a compound unit (K/min vs °C/min) is a temperature difference (pint's delta_degC).
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

DEFINITIONS = Path(__file__).with_name("units.txt")

_lock = threading.Lock()
_registry = None


class UnitError(ValueError):
    """A unit string that cannot be read."""


class UnitMismatch(UnitError):
    """Two units of different dimensions (e.g. K and eV) where one had to convert into the other."""


def registry():
    """The project's pint UnitRegistry (built once; also set as pint's application registry)."""
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                _registry = _build_registry()
    return _registry


def _build_registry():
    import pint

    ureg = pint.UnitRegistry(on_redefinition="ignore")
    ureg.load_definitions(str(DEFINITIONS))
    # Redefined units (Oe, G) are only seen after the derived-unit cache is rebuilt.
    if hasattr(ureg, "_build_cache"):
        ureg._build_cache()
    pint.set_application_registry(ureg)
    return ureg


# --- normalizing paper spellings ---------------------------------------------------------------------------

_DASHES = str.maketrans({c: "-" for c in "\u2212\u2013\u2010\u2011\u2012\u2014\ufe63\uff0d"})
_TIMES = str.maketrans({c: "*" for c in "\u00b7\u22c5\u2022\u2219\u00d7\u2715"})
_DEGREE = "°º˚◦•"  # (• : a degree sign that the PDF text layer turned into a bullet, "25 •C")

# element symbols, longest first (a moment "per U atom"; "T" in μB/T is no element)
_ELEMENT_RE = "|".join(
    sorted(
        "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Y Zr "
        "Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir "
        "Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf".split(),
        key=len,
        reverse=True,
    )
)

# (pattern, replacement), applied in order. Degree signs and primes go first, before NFKC (which turns "º" into
# "o" and "˚" into a combining ring); the rest after NFKC, before greek letters and symbols are spelled out.
_EARLY = [
    (re.compile(r"degrees?\s(?:Celsius|centigrade|C)(?![a-zA-Z])"), " degC "),
    (re.compile(r"degrees?\s(?:Fahrenheit|F)(?![a-zA-Z])"), " degF "),
    (re.compile(r"degrees?\sKelvin(?![a-zA-Z])"), " K "),
    (re.compile(rf"[{_DEGREE}]\s?C(?![a-zA-Z])|℃|^(?:o\s?|['’])C(?![a-zA-Z])"), " degC "),  # "700 o C": a flattened °
    (re.compile(rf"[{_DEGREE}]\s?F(?![a-zA-Z])|℉"), " degF "),
    (re.compile(rf"[{_DEGREE}]\s?K(?![a-zA-Z])"), " K "),
    (re.compile(rf"[{_DEGREE}]\s?[NSEW](?![a-zA-Z])"), " degree "),  # latitude, longitude
    (re.compile(rf"[{_DEGREE}]"), " degree "),
    (re.compile(r"′′|″|''"), " arcsecond "),
    (re.compile(r"′"), " arcminute "),
]
_PHRASES = [
    (re.compile(r"%\s?by\s(?:weight|mass)(?![A-Za-z])"), " wt_percent "),
    (re.compile(r"%\s?by\svolume(?![A-Za-z])"), " vol_percent "),
    (re.compile(r"%\s?by\smol(?:es?)?(?![A-Za-z])"), " mol_percent "),
    (re.compile(r"(?<![A-Za-z])(?:wt|weight|w)\s?\.?\s?%", re.I), " wt_percent "),
    (re.compile(r"(?<![A-Za-z])([kMG])pa(?![A-Za-z])"), r" \1Pa "),  # "Mpa": a common misspelling of MPa
    (re.compile(r"(?<![A-Za-z])(?:at|atom|atomic)\s?\.?\s?%", re.I), " at_percent "),
    (re.compile(r"(?<![A-Za-z])(?:mol|mole|molar)\s?\.?\s?%", re.I), " mol_percent "),
    (re.compile(r"(?<![A-Za-z])(?:vol|v)\s?\.?\s?%", re.I), " vol_percent "),
    (re.compile(r"(?<![A-Za-z])(?:[µμ]\s?|mu|u)_?B(?![a-zA-Z])"), " mu_B "),
    # moments per atom of an element or per ion ("μB/U", "μB/Fe atom", "μB per Mn", "μB/ion"): a count, like f.u.
    (
        re.compile(
            rf"( mu_B )\s*(?:/|per)\s*(?:(?:{_ELEMENT_RE})(?:\s?(?:atoms?|ions?|sites?))?|atoms?|ions?|sites?)(?![A-Za-z])"
        ),
        r"\1/ formula_unit ",
    ),
    (re.compile(r"(?<![A-Za-z])f\.\s?u\.?"), " formula_unit "),
    (re.compile(r"\s+per\s+"), " / "),  # "kilometers per hour", "mg per mL" (after "μB per Mn" above)
    (re.compile(r"(?<![A-Za-z])(?:a\.\s?u\.?|arb\.?\s?units?)", re.I), " arbitrary_unit "),
    (re.compile(r"(?<![A-Za-z])C-rate(?![a-zA-Z])"), " C_rate "),
    (re.compile(r"(?<![A-Za-z])AU(?![a-zA-Z])"), " au "),  # astronomical unit (pint's AU is an absorbance unit)
    (re.compile(r"(?<![A-Za-z])cycles?(?![a-zA-Z])"), " cycle_count "),
    (re.compile(r"[µμ]"), "u"),
    (re.compile(r"[ΩΩ]"), "ohm "),
    (re.compile(r"[ÅÅ]"), " angstrom "),
    (re.compile(r"‰"), " permille "),
    (re.compile(r"%"), " percent "),
    # per unit width (coated-conductor tapes): "A/cm-w", "A/cm-width", "A/(mm width)" -> A/cm_w, A/mm_w
    (re.compile(r"(?<![A-Za-z])([munck]?m)(?:\s?-\s?w|\s?-?\s?width)(?![A-Za-z])"), r" \1_w "),
]

_TOKEN = re.compile(
    r"""
    (?P<name>[A-Za-z_]+)
    (?P<exp>(?:\s?(?:\^|\*\*)\s?\{?\(?[-+]?\d+(?:[./]\d+)?\)?\}?|[-+]?\d+(?:/\d+)?|\s[-+]\d+))?
    | (?P<one>1)(?=\s?/)
    | (?P<op>\*\*?|/|\(|\)|\.)
    | (?P<ws>\s+)
    """,
    re.X,
)
_CLOSE_EXP = re.compile(r"\)(?:\^|\*\*)?\s?\{?\(?(?P<exp>[-+]?\d+(?:[./]\d+)?)\)?\}?")


def _spell_out(raw: str) -> str:
    s = raw
    for pattern, repl in _EARLY:
        s = pattern.sub(repl, s)
    s = unicodedata.normalize("NFKC", s).replace("\u2044", "/")
    s = s.translate(_DASHES).translate(_TIMES)
    for pattern, repl in _PHRASES:
        s = pattern.sub(repl, s)
    return s.strip()


def _exponent(text: str | None) -> float:
    if not text:
        return 1.0
    t = text.strip().lstrip("^*").strip().strip("{}()")
    if "/" in t:
        num, den = t.split("/")
        return float(num) / float(den) if float(den) else math.nan
    return float(t)


def _tokens(s: str) -> list[tuple[str, str, float]] | None:
    """(kind, name, exponent) tokens; None when the string holds anything that is not a unit."""
    out: list[tuple[str, str, float]] = []
    pos = 0
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if m is None:
            c = _CLOSE_EXP.match(s, pos)
            if c is None:
                return None
            out.append(("op", ")", _exponent(c.group("exp"))))
            pos = c.end()
            continue
        if m.group("name"):
            out.append(("name", m.group("name"), _exponent(m.group("exp"))))
        elif m.group("one"):
            out.append(("one", "1", 1.0))
        elif m.group("op"):
            op = m.group("op")
            if op == ")":
                c = _CLOSE_EXP.match(s, pos)
                if c is not None:
                    out.append(("op", ")", _exponent(c.group("exp"))))
                    pos = c.end()
                    continue
            out.append(("op", op, 1.0))
        pos = m.end()
    return out


def _factors(tokens, i: int = 0) -> tuple[list[tuple[str, float]], int]:
    """Parse a group up to its ")" into (name, exponent) factors; after "/", factors go to the denominator."""
    out: list[tuple[str, float]] = []
    sign = 1.0
    while i < len(tokens):
        kind, name, exp = tokens[i]
        i += 1
        if kind == "op" and name == ")":
            return [(n, e * exp) for n, e in out], i
        if kind == "op" and name == "/":
            sign = -1.0
        elif kind == "op" and name == "(":
            sub, i = _factors(tokens, i)
            out.extend((n, e * sign) for n, e in sub)
        elif kind == "name":
            parts = _split_name(name)
            out.extend((n, sign) for n in parts[:-1])
            out.append((parts[-1], exp * sign))  # an exponent belongs to the last glued symbol: "mAcm-2"
    return out, i


@lru_cache(maxsize=4096)
def _known(name: str) -> bool:
    try:
        registry().parse_units(name)
    except Exception:
        return False
    return True


def _split_name(name: str) -> list[str]:
    """A run of letters pint does not know may be two glued symbols ("Vs", "mAcm", "uohmcm"): split it.

    Only names with a capital or an ohm are split, so English words ("and" -> a*nd) stay unknown.
    """
    if _known(name) or len(name) < 2 or not (name != name.lower() or "ohm" in name):
        return [name]
    for cut in range(len(name) - 1, 0, -1):
        left, right = name[:cut], name[cut:]
        if _splittable(left) and _splittable(right):
            return [left, right]
    return [name]


# Glued symbols are split only into common (optionally SI-prefixed) symbols: pint also knows "Th" (terahour),
# "e" (elementary charge), "Pt" (petametric ton)... which would turn words and elements into units.
_COMMON_SYMBOL = re.compile(r"[pnumckMG]?(?:m|g|s|A|V|W|J|N|K|Pa|Hz|ohm|S|T|C|F|L|l|mol|eV|Wh|Ah|Oe)|h|min")


def _splittable(part: str) -> bool:
    """A piece of a glued unit ("V" and "s" of "Vs"): a common symbol that pint knows."""
    return _COMMON_SYMBOL.fullmatch(part) is not None and _known(part)


def _format(factors: list[tuple[str, float]]) -> str:
    parts = []
    for name, exp in factors:
        if exp == 1:
            parts.append(name)
        else:
            e = int(exp) if float(exp).is_integer() else round(exp, 6)
            parts.append(f"{name}**{e}")
    return "*".join(parts)


@lru_cache(maxsize=65536)
def _normalize(raw: str) -> str | None:
    try:
        return _normalize_uncached(raw)
    except (ValueError, ArithmeticError, RecursionError):
        return None


def _normalize_uncached(raw: str) -> str | None:
    s = _spell_out(raw)
    if not s:
        return None
    tokens = _tokens(s)
    if not tokens or not any(kind == "name" for kind, _, _ in tokens):
        return None
    if any(math.isnan(e) for _, _, e in tokens):
        return None
    factors, _ = _factors(tokens)
    return _format(factors) or None


def normalize_unit_text(raw: str) -> str:
    """A paper's unit spelling as a pint-parsable string: "mA h g−1" -> "mA*h*g**-1", "°C" -> "degC".

    Best effort: text that is not a unit comes back stripped but otherwise unchanged (parse_unit rejects it).
    """
    return _normalize(raw) or raw.strip()


@lru_cache(maxsize=65536)
def parse_unit(raw: str):
    """The pint Unit for a paper's unit spelling, or None (never raises)."""
    if not isinstance(raw, str):
        return None
    s = _normalize(raw)
    if s is None:
        return None
    try:
        return registry().parse_units(s)
    except Exception:
        return None


def dimensionality(raw: str) -> str | None:
    """Dimensionality as text ("[length]", "[mass] / [length] / [time] ** 2", "dimensionless"), None if unknown."""
    u = parse_unit(raw)
    if u is None:
        return None
    d = u.dimensionality
    return str(d) if d else "dimensionless"


def same_dimension(unit_raw: str, target: str) -> bool:
    """True when both spellings parse and have the same dimensionality."""
    a, b = parse_unit(unit_raw), parse_unit(target)
    return a is not None and b is not None and a.dimensionality == b.dimensionality


def _unit_or_raise(raw: str):
    u = parse_unit(raw)
    if u is None:
        raise UnitError(f"not a unit: {raw!r}")
    return u


@lru_cache(maxsize=4096)
def _affine(src: str, dst: str, context: str | None) -> tuple[float, float] | None:
    """(scale, offset) with dst = scale * src + offset, or None when the conversion is not affine (dB)."""
    import pint

    ureg = registry()
    a, b = ureg.parse_units(src), ureg.parse_units(dst)
    ctx = (context,) if context else ()
    try:
        f0, f1, f2 = (ureg.Quantity(v, a).to(b, *ctx).magnitude for v in (0.0, 1.0, 2.0))
    except pint.DimensionalityError as e:
        raise UnitMismatch(f"cannot convert {src} to {dst}: {e}") from None
    scale, offset = f1 - f0, f0
    if not math.isclose(f2, offset + 2 * scale, rel_tol=1e-9, abs_tol=1e-12 * max(1.0, abs(scale))):
        return None
    return scale, offset


def convert(values: list[float], unit_raw: str, target: str, context: str | None = None) -> list[float]:
    """Values in `unit_raw` expressed in `target` (offsets handled: 300 °C -> 573.15 K).

    Raises UnitError when either unit cannot be read and UnitMismatch when the dimensions differ
    (pass context="magnetic" to allow H <-> B, e.g. kOe -> T).
    """
    src, dst = _unit_or_raise(unit_raw), _unit_or_raise(target)
    if context is None and src.dimensionality != dst.dimensionality:
        raise UnitMismatch(f"cannot convert {unit_raw!r} ({src.dimensionality}) to {target!r} ({dst.dimensionality})")
    src_s, dst_s = _normalize(unit_raw), _normalize(target)
    affine = _affine(src_s, dst_s, context)
    if affine is not None:
        scale, offset = affine
        return [v * scale + offset for v in values]
    ureg = registry()
    ctx = (context,) if context else ()
    return [float(ureg.Quantity(v, src).to(dst, *ctx).magnitude) for v in values]

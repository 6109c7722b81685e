"""Quantity grammar: numbers with their uncertainty, range, list, bound and unit, found in running text.

`find_quantities(text)` scans left to right without a tokenizer. Numbers are found with one linear regex
(possessive quantifiers, no nested repetition over the same characters); everything around a number is then
read with small anchored regexes over bounded windows, so the cost per input character is constant.

Decisions:
- A list ("1.2, 1.5 and 1.8 eV", "4.5 kg, 6 kg and 13 kg") is one mention of kind "list" with all values.
  Dimensions ("100 × 100 nm") are lists too. Two values that each carry their unit ("1.3 mm and 3 mm") are two
  mentions, as both gold corpora annotate them (grobid strict F1 +0.002, MeasEval strict +0.011, parser alone).
- "~", "about", "ca." ... keep kind "value" (or "interval") with bound "approx"; "<", "up to", "at least" ...
  make kind "bound" with bound lt/le/gt/ge. "as high as" reads as le (the value reached), "as low as" as ge.
- The span [start, end) is the quantity itself: number(s), uncertainty, range/list connectors and unit(s), and
  the brackets of "(3.2 ± 0.1) eV". Bound and approximation words and the "from"/"between" of an interval stay
  outside, as grobid-quantities annotates them ("up to [90 GPa]"); `lead_start` marks where they begin, so
  text[lead_start:end] is the span with modifiers (MeasEval's convention). Measured on the gold corpora this
  choice moves grobid strict F1 from 0.60 to 0.76 and MeasEval strict from 0.69 to 0.57; overlap F1 is unchanged.
- "from A to B" with B < A is two values (a change), not an interval; dash ranges must increase. A variable between
  two bounds ("0.1 ≤ x ≤ 0.3", "300 K < T < 400 K") is one interval; so is a suspended hyphen ("2- to 4-nm").
- Unitless numbers are kept only when they do not look like formula indices ("Nb3Sn", "TiO 2"), citations
  ("[12]", "gliomas. 25,26", "Science, 140, 405 (1963)"), labels ("Fig. 3", "Eq. (4)", "sample 2", "ring 18"),
  reference numerals ("8 is a shaft"), locants ("4-(n-butyl)"), years, dates, times, ratios, identifiers (DOI,
  ISSN) or section numbers. Years are dropped even where a corpus annotates them.
- Spelled-out counts are numbers ("two samples", "twenty-five", "sevenfold"); "one" only where it counts.
- "T c $ 4:5 K" (a broken font's decimal point read as ':') is 4.5 K only before a unit of temperature, pressure,
  energy, field or length that no formula index follows; ratios ("1:2") and clock times stay unread.
- "0,05%" (decimal comma) is read only with a unit or after a bound ("kleiner als 2,1", "p < 0,05"); German and
  French bound words ("mindestens", "nicht mehr als", "inférieur à") are bounds like their English ones; "pH 7.5" is a unitless value whose span includes "pH".
- A unit is the longest run of unit-like tokens after the number that schemas.units accepts, shrunk from the
  right; English words ("in", "at", "a", "and"), element symbols and acronyms are never units.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache

from schemas.record import Quantity
from schemas.units import UnitError, convert, normalize_unit_text, parse_unit


@dataclass(frozen=True)
class QuantityMention:
    start: int
    end: int
    raw: str
    kind: str  # value | interval | list | bound
    values: tuple[float, ...]
    bound: str | None = None  # lt | le | gt | ge | approx
    uncertainty: float | None = None
    unit_raw: str | None = None
    unit_start: int | None = None
    unit_end: int | None = None
    unit: str | None = None  # pint spelling from schemas.units.normalize_unit_text
    lead_start: int | None = None  # start of the words that set the bound or open the interval ("up to", "~",
    # "between"): text[lead_start:end] is the quantity with its modifiers (MeasEval's span), [start, end) without


def to_quantity(m: QuantityMention) -> Quantity:
    """The schema Quantity of a mention (canonical values are left to normalization)."""
    return Quantity(
        raw=m.raw,
        kind=m.kind,
        values=list(m.values),
        bound=m.bound,
        uncertainty=m.uncertainty,
        unit_raw=m.unit_raw,
        unit=m.unit,
    )


# --- numbers -------------------------------------------------------------------------------------------------

WS = "[ \u00a0\u2009\u202f\u200a\u2005\u2006]"
SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUP_MAP = str.maketrans(SUP + "⁻⁺−–", "0123456789-+--")
MAX_DIGITS = 40

NUMBER = re.compile(
    rf"""
    (?P<pow>10(?:\^\{{?[-+−]?\d{{1,3}}\}}?|[⁻⁺]?[{SUP}]{{1,3}}|−\d{{1,2}}(?![\d.,])(?!{WS}?%)))
    |
    (?P<mant>(?P<comma>\d{{1,6}},\d{{1,2}}(?![\d,]|\.\d)|0,\d++(?!,|\.\d))
        |(?:\d{{1,3}}(?:,\d{{3}})++(?!\d)|\d{{1,3}}(?:[\u2009\u202f\u00a0]\d{{3}})++(?!\d)|\d++)(?:\.\d++)?+|\.\d++)
    (?P<paren>{WS}?\(\d{{1,4}}\))?+
    (?P<sci>
        [eE][-+−]?\d{{1,3}}(?![\w])
      | {WS}?[×x✕*·⋅]{WS}?10(?:{WS}?\^{WS}?\{{?{WS}?[-+−]?{WS}?\d{{1,3}}\}}?|[⁻⁺]?[{SUP}]{{1,3}}|{WS}?[-−]{WS}?\d{{1,3}}(?!\d|\.\d))
    )?+
    """,
    re.X,
)


@dataclass(frozen=True)
class _Num:
    start: int  # first digit
    end: int
    value: float
    unc: float | None  # from "3.245(2)"
    decimals: int
    integer: bool  # plain integer: no decimals, no exponent
    sign: int | None  # index of a leading minus/plus sign that belongs to the number
    word: bool = False  # spelled out: "two", "twenty-five", "sevenfold"
    comma: bool = False  # decimal comma: "0,05"
    scale: float = 1.0  # a scale word after the digits: "15 million" (value already multiplied)


def _exponent(text: str) -> int:
    digits = re.sub(r"[^\d\-+]", "", text.translate(_SUP_MAP))
    return int(digits or "0")


def _make_num(text: str, m: re.Match) -> _Num | None:
    if m.group("pow"):
        exp = _exponent(m.group("pow")[2:])
        if abs(exp) > 300:
            return None
        return _Num(m.start(), m.end(), float(f"1e{exp}"), None, 0, False, _sign_index(text, m.start()))
    mant = m.group("mant")
    if len(mant) > MAX_DIGITS:
        return None
    comma = m.group("comma") is not None
    digits = mant.replace(",", ".") if comma else re.sub(r"[,\u2009\u202f\u00a0]", "", mant)
    if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():  # "007", Miller indices "(001)"
        return None
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    exp = 0
    if m.group("sci"):
        sci = m.group("sci")
        exp = _exponent(sci[1:] if sci[0] in "eE" else sci.split("10", 1)[1])
        if abs(exp) > 300:
            return None
    value = float(f"{digits}e{exp}")
    unc = None
    if m.group("paren"):
        if decimals == 0 or (decimals < 3 and m.group("paren")[0] != "("):  # "1(2)", "3.2 (1)": not uncertainties
            return _Num(m.start(), m.start("paren"), float(digits), None, 0, True, _sign_index(text, m.start()))
        unc = float(f"{m.group('paren').strip()[1:-1]}e{exp - decimals}")
    integer = decimals == 0 and not m.group("sci")
    return _Num(m.start(), m.end(), value, unc, decimals, integer, _sign_index(text, m.start()), comma=comma)


_SIGN_AFTER = set("([{=:≈~∼<>≤≥⩽⩾,;/") | {""}


def _sign_index(text: str, start: int) -> int | None:
    """Index of a sign right before the digits when it is a sign (not a hyphen, range dash or subtraction)."""
    if start == 0 or text[start - 1] not in "-−+–":
        return None
    j = start - 1
    before = text[j - 1] if j > 0 else ""
    if before in _SIGN_AFTER:
        return j
    if before.isspace() and text[j] != "–":
        k = j - 1
        while k > 0 and text[k].isspace() and j - k < 4:
            k -= 1
        prev = text[k] if k >= 0 else ""
        if not (prev.isdigit() or (prev and prev in "%)")):
            return j
    return None


_SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_WORD_VALUES = {w: float(i) for i, w in enumerate(_SMALL)} | {w: 20.0 + 10 * i for i, w in enumerate(_TENS)}
_WORD_VALUES |= {"half": 0.5, "dozen": 12.0}
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9}
WORD_NUMBER = re.compile(
    rf"""\b(?P<head>{"|".join(_TENS)})(?:[-‐ ](?P<tail>{"|".join(_SMALL[1:10])}))?(?P<s1>{WS}(?:hundred|thousand|million|billion))?\b
    |\b(?P<word>{"|".join(_SMALL)}|half|dozen)(?P<s2>{WS}(?:hundred|thousand|million|billion))?(?P<fold>[-‐]?fold)?\b""",
    re.X | re.I,
)
# "one" is a number only when it counts something: not "one of", "one can", "any one", "the other one".
_ONE_NOT_AFTER = re.compile(
    r"(?i)\W{0,2}(?:of|another|can|could|must|may|might|should|would|will|has|had|have|is|was|"
    r"needs?|uses?|makes?|gets?|finds?|obtains?|sees?|ignores?|with|in|by|and|that|which|"
    r"hand|way|side|other|at|to|on|the|a|an|[-‐])\b"
)
_ONE_NOT_BEFORE = re.compile(r"(?i)\W{1,2}(?:yna|hcae|yreve|on|eht|siht|taht|rehto|lanimon|hcir|elgnis)(?![A-Za-z])")
# "one wants", "one arrives": a singular "one" before a word in -s is the pronoun; so is "the second one."
_ONE_VERB_AFTER = re.compile(r"\s+[a-z]+[^s\W]s\b|\s*(?:[.,;:)\]]|$)")


def _word_numbers(text: str) -> list[_Num]:
    out = []
    for m in WORD_NUMBER.finditer(text):
        word = (m.group("head") or m.group("word")).lower()
        if word == "one" and (
            _ONE_NOT_AFTER.match(text, m.end(), m.end() + 12)
            or _ONE_VERB_AFTER.match(text, m.end(), m.end() + 20)
            or _before(_ONE_NOT_BEFORE, text, m.start(), 12)
            or m.group(0)[0] == "O"
        ):
            continue
        if word == "half" and text.startswith(("-", "‐"), m.end()):
            continue
        value = _WORD_VALUES[word]
        if m.group("tail"):
            value += _WORD_VALUES[m.group("tail").lower()]
        scale = m.group("s1") or m.group("s2")
        if scale:
            value *= _SCALES[scale.strip().lower()]
        out.append(_Num(m.start(), m.end(), value, None, 0, True, None, True))
    return out


def _numbers(text: str) -> list[_Num]:
    out = []
    for m in NUMBER.finditer(text):
        n = _make_num(text, m)
        if n is not None:
            out.append(n)
    if len(out) > 1 and "10" in text:
        out = _flat_powers(text, out)
    if _HAS_SCALE.search(text):
        out = [_scaled(text, n) for n in out]
    if ":" in text and len(out) > 1:
        out = _colon_decimals(text, out)
    words = _word_numbers(text) if _HAS_WORD.search(text) else []
    return sorted(out + words, key=lambda n: n.start) if words else out


# Powers of ten whose superscript PDF extraction flattened: "1.5 × 1018 cm−3" (10^18), "2.7 × 10 4 km" (10^4),
# "10 −7 grains" (10^-7), "10 12 molecules m −2" (10^12 before a unit).
_TIMES_GAP = re.compile(rf"{WS}?[×x✕·⋅]{WS}?")
_FLAT_EXP = re.compile(r"10([1-9]\d?)")
_SPACED_EXP_GAP = re.compile(rf"{WS}(?:−{WS}?|-)?")  # "10 −7", "10 -4 Pa" (hyphen: one digit, before a unit)
_DIMS_AFTER = re.compile(rf"{WS}?[×x✕]{WS}?\d")


def _merge_runs(text: str, nums: list[_Num], at) -> list[_Num]:
    """Numbers in order, where `at(text, nums, i)` may merge the numbers from i on into one: (number, how many
    it used) or None to keep nums[i] as it is."""
    out: list[_Num] = []
    i = 0
    while i < len(nums):
        merged = at(text, nums, i)
        if merged is not None:
            out.append(merged[0])
            i += merged[1]
        else:
            out.append(nums[i])
            i += 1
    return out


def _flat_powers(text: str, nums: list[_Num]) -> list[_Num]:
    return _merge_runs(text, nums, lambda t, ns, i: None if ns[i].word or ns[i].comma else _flat_power_at(t, ns, i))


def _is_ten(text: str, n: _Num) -> bool:
    return n.integer and n.sign is None and text[n.start : n.end] == "10"


def _spaced_exponent(text: str, nums: list[_Num], j: int) -> tuple[int, int] | None:
    """Number j is "10" and number j+1 an exponent set apart by a space ("10 4", "10 −7"): (exponent, its end)."""
    if j + 1 >= len(nums) or not _is_ten(text, nums[j]):
        return None
    e = nums[j + 1]
    gap = _SPACED_EXP_GAP.fullmatch(text, nums[j].end, e.start)
    if gap is None or not e.integer or e.word or e.sign is not None or e.end - e.start > 2:
        return None
    exp = int(text[e.start : e.end])
    if "-" in gap.group() and (e.end - e.start > 1 or _scan_unit(text, e.end) is None):
        return None
    return (-exp if "−" in gap.group() or "-" in gap.group() else exp), e.end


_NOUN_AFTER = re.compile(r"[ \u00a0](?P<w>[a-z]{3,})(?![A-Za-z])")


def _counted_noun(text: str, end: int) -> bool:
    """ "10 9 particles": a lowercase noun (no function word) follows."""
    m = _NOUN_AFTER.match(text, end)
    return m is not None and m.group("w") not in STOP


_PLAIN = re.compile(r"[\d.,\u2009\u202f\u00a0]+")


def _flat_power_at(text: str, nums: list[_Num], i: int) -> tuple[_Num, int] | None:
    a = nums[i]
    spaced = _spaced_exponent(text, nums, i)
    if spaced is not None:  # a bare "10 −7", or "10 12" right before a unit
        exp, end = spaced
        if exp > 0 and (exp < 3 or (_scan_unit(text, end) is None and not _counted_noun(text, end))):
            return None
        return _Num(a.start, end, 10.0**exp, None, 0, False, a.sign), 2
    # a mantissa times a flattened power: "1.5 × 1018", "2.7 × 10 4"
    if i + 1 >= len(nums) or _TIMES_GAP.fullmatch(text, a.end, nums[i + 1].start) is None:
        return None
    if a.unc is not None or not _PLAIN.fullmatch(text, a.start, a.end):
        return None
    spaced = _spaced_exponent(text, nums, i + 1)
    if spaced is not None:
        (exp, end), used = spaced, 3
    else:
        b = nums[i + 1]
        f = _FLAT_EXP.fullmatch(text, b.start, b.end)
        if f is None or b.sign is not None or not 1 <= a.value < 10:
            return None
        exp, end, used = int(f.group(1)), b.end, 2
    if _DIMS_AFTER.match(text, end):  # "2 × 105 × 3": dimensions
        return None
    return _Num(a.start, end, a.value * 10.0**exp, None, a.decimals, False, a.sign), used


# A font whose decimal point PDF text reads as ':' ("T c $ 4:5 K", "P 1:93 GPa"): read only before a unit of
# temperature, pressure, energy, field or length that no formula index follows ("Ba 0:6 K 0:4 Fe 2 As 2" is a formula);
# a ratio ("1:2", "a 1:1 mixture", "1:3 molar") and a clock time ("10:30 h") stay what they are.
_COLON_DIMS = frozenset(
    "[temperature]|[mass] / [length] / [time] ** 2|[mass] * [length] ** 2 / [time] ** 2|"
    "[mass] / [time] ** 2 / [current]|[current] / [length]|[length]".split("|")
)
_DIGIT_AFTER = re.compile(rf"{WS}?\d")
_SUBSCRIPT_AFTER = re.compile(rf"{WS}?[a-z](?![A-Za-z])")


def _colon_decimals(text: str, nums: list[_Num]) -> list[_Num]:
    return _merge_runs(text, nums, _colon_decimal_at)


def _colon_decimal_at(text: str, nums: list[_Num], i: int) -> tuple[_Num, int] | None:
    a = nums[i]
    b = nums[i + 1] if i + 1 < len(nums) else None
    if not (
        b is not None
        and a.integer
        and b.integer
        and not a.word
        and not b.word
        and b.sign is None
        and b.start == a.end + 1
        and text[a.end] == ":"
        and a.end - a.start <= 3
        and b.end - b.start <= 4
        and (a.start == 0 or text[a.start - 1] not in ":.,")
        and not text.startswith(":", b.end)
    ):
        return None
    unit = _scan_unit(text, b.end)
    if (
        unit is None
        or unit.start <= b.end
        or _DIGIT_AFTER.match(text, unit.end)
        or _SUBSCRIPT_AFTER.match(text, unit.end)  # "0:1 T c": a fraction of T c, no tesla
    ):
        return None
    u = parse_unit(_join_spaced_powers(unit.raw))
    if u is None or str(u.dimensionality) not in _COLON_DIMS:
        return None
    digits = text[b.start : b.end]
    value = float(f"{text[a.start : a.end]}.{digits}")
    return _Num(a.start, b.end, value, None, len(digits), False, a.sign), 2


_HAS_SCALE = re.compile(r"(?:hundred|thousand|million|billion|trillion)(?![A-Za-z])")
_SCALE_AFTER = re.compile(rf"{WS}(?P<s>hundred|thousand|million|billion|trillion)(?![A-Za-z])")
_SCALE_OF = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}


def _scaled(text: str, n: _Num) -> _Num:
    """ "15 million", "3.8 billion years": digits with a scale word."""
    m = _SCALE_AFTER.match(text, n.end)
    if m is None or n.word or n.unc is not None:
        return n
    f = _SCALE_OF[m.group("s")]
    return dataclasses.replace(n, end=m.end(), value=n.value * f, integer=False, scale=f)


_HAS_WORD = re.compile(r"(?i)zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|teen|ty\b|half|dozen")


def _value(text: str, n: _Num) -> float:
    if n.sign is not None and text[n.sign] in "-−–":
        return -n.value
    return n.value


def _begin(n: _Num) -> int:
    return n.sign if n.sign is not None else n.start


# --- units after a number ------------------------------------------------------------------------------------

_WS_CHARS = " \u00a0\u2009\u202f\u200a\u2005\u2006"
_LETTERS = "A-Za-zµμΩΩÅÅ"
MAX_ATOMS = 6

_ATOM = re.compile(
    rf"""
    (?P<pct>(?:wt|at|mol|vol|atom|atomic|weight)\.?{WS}?%)
  | (?P<fu>f\.{WS}?u\.)
  | (?P<mub>[µμ]{WS}?_?B(?![A-Za-z]))
  | (?P<au>a\.{WS}?u\.|arb\.{WS}?units?)
  | (?P<deg>[°º˚◦•]{WS}?[CFKNSEW](?![A-Za-z])|℃|degrees?{WS}(?:Celsius|centigrade|Fahrenheit|Kelvin|C|F)(?![A-Za-z])
        |o{WS}?C(?![A-Za-z])|['’]C(?![A-Za-z]))  # "700 o C", "60'C": a degree sign that PDF or OCR text lost
  | (?P<sym>%|‰|[°º˚◦]|′′|″|′)
  | (?P<word>[{_LETTERS}]{{1,14}}+)(?![{_LETTERS}])
    """,
    re.X,
)
# Exponents: "^-1", "⁻¹", "-1", "2", "1/2", and " −1" (a superscript that PDF extraction set apart).
_EXP = re.compile(
    rf"\^{WS}?\{{?\(?[-+−]?\d(?:\.\d|/\d)?\)?\}}?|[⁻⁺]?[{SUP}]{{1,2}}|(?:[-−]\d|[234]|[13]/2)(?!\d)(?!\.\d)"
    rf"|{WS}−\d(?!\d|\.\d)|[−-]{WS}[1-3](?!\d|\.\d)|{WS}-[1-3](?![\d.,]\d|\d)(?={WS}?[{_LETTERS}])"
)
# A square or cube that PDF extraction set apart from a length unit: "20 μm 2", "mA cm 2", "cm 2 V −1 s −1".
_SPACED_POWER = re.compile(rf"{WS}[23](?![\d.,]\d|\d)")
_BY_BASIS = re.compile(rf"{WS}by{WS}(?:weight|volume|mass|moles?|mol)(?![A-Za-z])")
_LENGTHS = frozenset("m cm mm μm µm um nm km".split())
# separators between unit factors; a glued dot only before a lowercase factor ("mPa.s", "Ω.cm"; "300 K.A sample" is
# a sentence whose space was lost)
_SEP = re.compile(rf"{WS}?/{WS}?\(?|{WS}?[·⋅∙•*]{WS}?|{WS}per{WS}(?=[{_LETTERS}])|{WS}(?=[{_LETTERS}])|\.(?=[a-zµμΩΩ])")

# English words and pint oddities that are never units after a number ("at 5 K in air", "5 a").
STOP = frozenset(
    "a an and are as at be been but by can for from had has have if in into is it its no nor not of on or per "
    "so than that the then these this those thus to up via was we were which while who with".split()
)
# Lowercase symbols and words that are units; other lowercase words after a number are not (pint knows
# "point", "turn", "count", "hand", "chain"... as units).
LOWER_UNITS = frozenset(
    "s h m g l d min mol bar cal kcal hr hrs sec secs mins yr yrs wk atm erg dyn ppm ppb rpm dpa emu sccm ft lb "
    "lbs oz deg rad mrad sr lm lx torr mtorr psi ksi mph cycle cycles wt at vol cc mols mmols umols au "
    "arcsec arcmin arcsecond arcseconds arcminute arcminutes atg".split()
)
WORD_UNIT = re.compile(
    r"(?:(?:nano|micro|milli|centi|deci|kilo|mega|giga|tera|pico|femto)?"
    r"(?:seconds?|meters?|metres?|grams?|liters?|litres?|volts?|amperes?|amps?|watts?|joules?|pascals?|"
    r"moles?|hertz|ohms?|siemens|newtons?|coulombs?|farads?|henry|webers?|teslas?|gauss|electronvolts?|"
    r"calories?|bars?|molar)|minutes?|hours?|days?|weeks?|months?|years?|kelvins?|degrees?|percent|"
    r"angstroms?|microns?|oersteds?|atmospheres?|cycles?|torr|knots?|decades?|centur(?:y|ies)|miles?|inch(?:es)?|feet|foot|"
    r"tonnes?|tons?)"
)
# Symbols glued to integers that are not units: isotopes (13C, 1H, 31P), dimensions (2D, 3D).
_ISOTOPE_LETTERS = frozenset("HBCNOFPSDI")
_PREFIX_SI = "yzafpnuµμmcdkMGTPE"
ELEMENTS = frozenset(
    "He Li Be Ne Na Mg Al Si Cl Ar Ca Sc Ti Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Zr Nb Mo Tc Ru Rh Pd Ag Cd "
    "In Sn Sb Te Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn "
    "Fr Ra Ac Th Pu Am Cm".split()
)
_ELEMENT_UNITS = frozenset("C F K N S V W B H".split())
_SINGLE_OK = frozenset("ACFGJKLMNSTVW")
# Factors that may follow another unit after a plain space without an exponent: "mA h", "μΩ cm", "Pa s".
CO_FACTORS = frozenset("s h m g cm mm nm μm µm um km kg mg K Pa min mol Ω".split())


@dataclass(frozen=True)
class _Atom:
    start: int
    end: int
    core: str
    kind: str
    has_exp: bool
    sep: str  # text before this atom: the gap after the number, or the separator from the previous atom


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    raw: str
    norm: str


def _atoms(text: str, pos: int, gap: str) -> list[_Atom]:
    """Up to MAX_ATOMS unit-like tokens from pos: "mA", "h", "g−1"; separators are one space, "/", "·", "*"."""
    out: list[_Atom] = []
    q, sep, depth = pos, gap, 0
    while len(out) < MAX_ATOMS:
        m = _ATOM.match(text, q)
        if m is None:
            break
        end = m.end()
        e = _EXP.match(text, end) if m.lastgroup in ("word", "sym", "deg") else None
        if e is None and m.group() in _LENGTHS:
            e = _SPACED_POWER.match(text, end)
        if e is not None and e.end() > end:
            end = e.end()
        else:
            e = None
        if depth and text.startswith(")", end):
            depth -= 1
            end += 1
            e2 = _EXP.match(text, end)
            if e2 is not None and e2.end() > end:
                end = e2.end()
        if m.lastgroup in ("sym", "pct") and m.group().endswith("%"):
            basis = _BY_BASIS.match(text, end)  # "5% by weight"
            if basis is not None:
                end = basis.end()
        out.append(_Atom(m.start(), end, m.group(), m.lastgroup, e is not None, sep))
        s = _SEP.match(text, end)
        if s is not None and m.lastgroup in ("pct", "sym") and "/" not in s.group():
            break  # "5% N", "0.4 wt% Cr": a percentage is followed by what it is of, not by another unit
        if s is None:
            if e is not None and _ATOM.match(text, end):  # glued: "cm2V−1s−1"
                q, sep = end, ""
                continue
            break
        sep = s.group()
        depth += sep.count("(")
        q = s.end()
    return out


def _plausible(a: _Atom, first: bool) -> bool:
    """Can this token be (part of) a unit? Never English words, element symbols or acronyms."""
    if a.kind != "word":
        return True
    core = a.core
    if core in STOP or (len(core) > 1 and core[0].isupper() and core[1:].islower() and core.lower() in STOP):
        return False
    if core in ELEMENTS:
        return False
    if not first and a.sep and not a.sep.strip() and not a.has_exp and core not in CO_FACTORS:
        return False
    if core.isascii() and core.islower():
        return core in LOWER_UNITS or WORD_UNIT.fullmatch(core) is not None or _prefixed_lower(core)
    if len(core) == 1 and core.isascii():
        return core in _SINGLE_OK
    return _symbol_like(core)


_PREFIX_RE = "(?:da|[YZEPTGMkhdcmµμunpfazy])"
_BASE_RE = (
    "(?:mol|cd|Hz|Pa|Wb|eV|Da|bar|Torr|torr|Oe|emu|Wh|Ah|Gy|Sv|Bq|lm|lx|rad|sr|cal|erg|dyn|Jy|pc|ly|au|AU|dpa|ppm|"
    "ppb|rpm|psi|ksi|atm|mmHg|sccm|min|yr|Ci|St|ohm|Ohm|Ω|Ω|Å|Å|MGOe|GOe|pa|[mgsAKNJWCVFSTHLlGMBhd])"
)
_SYMBOL = re.compile(rf"(?:{_PREFIX_RE}?{_BASE_RE}){{1,2}}|[µμ]_?B")


@lru_cache(maxsize=4096)
def _symbol_like(core: str) -> bool:
    """A capitalized or Greek token that is written like a unit symbol ("GPa", "mAh", "kOe", "μΩ", "Vs"), not like
    an acronym or a word ("HD", "GR", "NN", "Iron"), even where pint would read it as some prefixed unit."""
    m = _SYMBOL.fullmatch(core)
    if m is None:
        return False
    return not (len(core) == 2 and core[0] == core[1])


@lru_cache(maxsize=4096)
def _prefixed_lower(core: str) -> bool:
    """Lowercase prefixed SI symbols: mm, nm, mg, ms, mmol, kbar, mbar..."""
    return len(core) >= 2 and core[0] in _PREFIX_SI and core[1:] in {"m", "g", "l", "s", "mol", "bar", "cal"}


def _scan_unit(text: str, pos: int, number: _Num | None = None) -> _Unit | None:
    """The unit right after `pos`, or None. Shrinks the candidate from the right until it parses."""
    p = pos
    while p < len(text) and text[p] in _WS_CHARS and p - pos < 2:
        p += 1
    if p == pos and text.startswith(("-", "‐"), pos):
        return _hyphen_unit(text, pos, number)
    gap = text[pos:p]
    atoms = _atoms(text, p, gap)
    good = 0
    for k, a in enumerate(atoms):
        if not _plausible(a, k == 0):
            break
        good = k + 1
    if good and not gap and number is not None and not _attached_ok(atoms[0], number):
        return None
    for k in range(good, 0, -1):
        raw = text[p : atoms[k - 1].end]
        after = text[atoms[k - 1].end : atoms[k - 1].end + 1]
        if raw.count("(") != raw.count(")") or (after.isalnum() and not (raw.endswith("%") and after.isalpha())):
            continue  # (a percent sign may be glued to the next word by PDF extraction: "76.2%HR", "5%W/W")
        joined = _join_spaced_powers(raw)
        if parse_unit(joined) is not None:
            return _Unit(p, atoms[k - 1].end, raw, normalize_unit_text(joined))
    return None


_SPACED_MINUS = re.compile(rf"([−-]){WS}+([1-3])(?!\d)")
_SPACED_LENGTH_POWER = re.compile(rf"(?<![A-Za-zµμ])(m|cm|mm|μm|µm|um|nm|km){WS}([23])(?![\d.])")


def _join_spaced_powers(raw: str) -> str:
    """'mV s− 1' -> 'mV s−1', 'cm 2 V −1' -> 'cm2 V −1': exponents that PDF extraction set apart."""
    return _SPACED_LENGTH_POWER.sub(r"\1\2", _SPACED_MINUS.sub(r"\1\2", raw))


def _hyphen_unit(text: str, pos: int, number: _Num | None) -> _Unit | None:
    """A one-word unit joined by a hyphen: "a 10-nm-thick film", "the 5-year study", "a seven-year survey"."""
    m = _ATOM.match(text, pos + 1)
    if m is None or m.lastgroup != "word" or number is None:
        return None
    after = text[m.end() : m.end() + 1]
    if after.isdigit() or after in ("/", "^"):
        return None
    a = _Atom(m.start(), m.end(), m.group(), "word", False, "-")
    if not _plausible(a, True) or not _attached_ok(a, number) or parse_unit(a.core) is None:
        return None
    return _Unit(a.start, a.end, a.core, normalize_unit_text(a.core))


def _attached_ok(a: _Atom, n: _Num) -> bool:
    """A unit glued to its number ("300K", "5nm", "10%"): not an isotope (13C) or dimension (2D)."""
    if a.kind != "word":
        return True
    if a.core in ("D", "d", "x", "X") or a.core in ("st", "nd", "rd", "th"):
        return False
    if a.core == "s" and n.integer and 1000 <= n.value <= 2100:  # "the 1960s"
        return False
    return not (n.integer and n.value < 300 and a.core in _ISOTOPE_LETTERS and not a.has_exp)


# --- one number with its uncertainty and unit ------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    begin: int
    end: int
    value: float
    unc: float | None
    unit: _Unit | None
    num: _Num
    next: int  # index of the first number not consumed


_PAREN_PM = re.compile(rf"{WS}?\({WS}?(?:±|\+/-|\+/−|\+−|\+-){WS}?")
_PAREN_CLOSE = re.compile(rf"{WS}?\)")
_CONSECUTIVE = re.compile(rf"{WS}(?:consecutive|successive|additional){WS}(?=[a-z])")
_FOLD = re.compile(rf"(?:[-‐]|{WS})?fold\b")
_PM = re.compile(rf"{WS}{{0,2}}(?:±|\+/-|\+/−|\+−|\+-|∓){WS}{{0,2}}")


def _at(nums: list[_Num], j: int, pos: int) -> bool:
    """Does number j begin exactly at pos (sign included)?"""
    return j < len(nums) and _begin(nums[j]) == pos


def _item(text: str, nums: list[_Num], i: int) -> _Item:
    """Number i with its "± u" and its unit."""
    n = nums[i]
    pos, unc, j = n.end, n.unc, i + 1
    m = _PM.match(text, pos)
    if m and j < len(nums) and nums[j].start == m.end():
        unc, pos, j = nums[j].value, nums[j].end, j + 1
    elif unc is None and (m := _PAREN_PM.match(text, pos)) and j < len(nums) and nums[j].start == m.end():
        close = _PAREN_CLOSE.match(text, nums[j].end)  # "113 (± 1) nM"
        if close is not None:
            unc, pos, j = nums[j].value, close.end(), j + 1
    fold = _FOLD.match(text, pos)
    if fold is not None:  # "13-fold": a factor, the suffix is part of the quantity
        return _Item(_begin(n), fold.end(), _value(text, n), unc, None, n, j)
    unit = _scan_unit(text, pos, n)
    if unit is None and (adj := _CONSECUTIVE.match(text, pos)) is not None:
        unit = _scan_unit(text, adj.end())  # "5 consecutive days", "3 successive cycles"
        if unit is not None and not WORD_UNIT.fullmatch(unit.raw):
            unit = None
    if unit is not None:
        pos = unit.end
        m = _PM.match(text, pos)
        if unc is None and m and j < len(nums) and nums[j].start == m.end():  # "3.2 eV ± 0.1 eV"
            unc, pos, j = nums[j].value, nums[j].end, j + 1
            again = _scan_unit(text, pos)
            if again is not None and again.norm == unit.norm:
                pos = again.end
    return _Item(_begin(n), pos, _value(text, n), unc, unit, n, j)


def _same_unit_kind(a: _Unit | None, b: _Unit | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    ua, ub = parse_unit(_join_spaced_powers(a.raw)), parse_unit(_join_spaced_powers(b.raw))
    return ua is not None and ub is not None and ua.dimensionality == ub.dimensionality


# --- prefixes: bounds, approximations, interval openers ----------------------------------------------------------


def _rev(phrases: list[str], boundary: bool = True) -> str:
    """Alternation matching the phrases read backwards (longest first); a space in a phrase matches any WS run.

    Text before a number is matched backwards, anchored at the number: one attempt instead of a regex search
    over a window, so the cost does not grow with the window or the number of phrases.
    """
    out = []
    for p in sorted(set(phrases), key=len, reverse=True):
        body = rf"{WS}+".join(re.escape(w[::-1]) for w in reversed(p.split()))
        out.append(body + ("(?![A-Za-z])" if boundary and p[0].isalpha() else ""))
    return "|".join(out)


def _before(pattern: re.Pattern, text: str, end: int, width: int = 40) -> tuple[re.Match, int] | None:
    """Match a backwards pattern against the text that ends at `end`; (match, start of the matched text)."""
    m = pattern.match(text[max(0, end - width) : end][::-1])
    return (m, end - m.end()) if m else None


_BOUNDS = {
    "ge": "≥ ⩾ ≧ >= ≳|at least|no less than|no fewer than|not less than|as low as|minimum of|a minimum of"
    "|greater than or equal to|more than or equal to",
    "le": "≤ ⩽ ≦ <= ≲|up to|at most|no more than|no greater than|not more than|not exceeding|as high as|maximum of"
    "|a maximum of|less than or equal to",
    "lt": "<|less than|lower than|smaller than|fewer than|shorter than|thinner than|lighter than|below",
    "gt": ">|more than|greater than|higher than|larger than|longer than|thicker than|bigger than|heavier than"
    "|above|over|exceeding|in excess of|beyond",
    "approx": "~ ∼ ≈ ≃ ≅|about|approximately|approx.|approx|ca.|circa|nearly|around|roughly|almost",
    "between": "between|entre|zwischen",
    # German and French claims: "nicht mehr als 0,025 Gew-%", "inférieur à 2,1", "mindestens 1m"
    "de_fr_le": "nicht mehr als|höchstens|au plus|pas supérieur à|pas supérieure à|au maximum",
    "de_fr_ge": "mindestens|wenigstens|nicht weniger als|au moins|au minimum|pas inférieur à|pas inférieure à",
    "de_fr_lt": "kleiner als|weniger als|unter|inférieur à|inférieure à|moins de",
    "de_fr_gt": "größer als|mehr als|über|supérieur à|supérieure à|plus de",
    "from": "from",
}
_BOUND_OF: dict[str, str] = {}
for _kind, _spec in _BOUNDS.items():
    _kind = _kind.removeprefix("de_fr_")
    for _part in _spec.split("|"):
        for _p in _part.split() if not _part[0].isalpha() else [_part]:
            _BOUND_OF[_p] = _kind
_PREFIX_REV = re.compile(rf"{WS}*(?:[~∼≈]{WS}*)?(?P<p>{_rev(list(_BOUND_OF))})", re.I)


def _prefix(text: str, begin: int) -> tuple[str, int] | None:
    """The bound, approximation or interval opener right before a number ("up to", "~", "between"), with its start."""
    hit = _before(_PREFIX_REV, text, begin)
    if hit is None:
        return None
    m, start = hit
    phrase = " ".join(m.group("p")[::-1].lower().split())
    return _BOUND_OF[phrase], start


# --- composites: interval, list, dimensions ---------------------------------------------------------------------

_RANGE_VERB = re.compile(rf"{WS}+(?:[sd]?egnar|gnignar|(?:sei|dei|gniy|y)rav|s?naps|gninnaps)(?![A-Za-z])")
_RANGE = re.compile(
    rf"{WS}{{0,2}}(?P<dash>[–—−~∼\uf02d-]){WS}{{0,2}}|{WS}+(?P<word>to|and|till|until|bis|à|et|und){WS}+"
)  # German/French patents; U+F02D is the minus of a symbol font that PDF text kept ("x = 0\uf02d0.8")
# a suspended hyphen: "1- to 3-mm grains", "the 30-to 39-year-old", "80- and 161-km runs"
_SUSPENDED = re.compile(rf"[-‐]{WS}?(?P<word>to){WS}+")
_LIST_SEP = re.compile(
    rf"{WS}?,{WS}+(?:(?P<and1>and|or){WS}+)?|{WS}+(?P<and2>and|or){WS}+|[-‐]{WS}?(?P<and3>and|or){WS}+(?=\d)"
)
_TIMES = re.compile(rf"{WS}?[×✕]{WS}?|{WS}[x*]{WS}")
MAX_LIST = 50


def _second(text: str, nums: list[_Num], j: int, pos: int) -> tuple[int, int] | None:
    """(index, sign) of the number that starts right after a connector ending at pos."""
    if j >= len(nums):
        return None
    n = nums[j]
    if n.sign == pos:
        return j, (-1 if text[pos] in "-−–" else 1)
    if n.start == pos:
        return j, 1
    if n.start == pos + 1 and text[pos] in "-−":
        return j, -1
    return None


def _interval(text: str, nums: list[_Num], first: _Item, opener: str | None) -> tuple[_Item, float, float] | None:
    """The upper end of "300–400 K", "3 K to 5 K", "between 3 and 5 eV": (its item, low and high value)."""
    c = _SUSPENDED.match(text, first.end) if first.unit is None else None
    if c is None:
        c = _RANGE.match(text, first.end)
    if c is None:
        return None
    word = {"bis": "to", "à": "to", "et": "and", "und": "and"}.get(c.group("word"), c.group("word"))
    if word == "and" and opener != "between":
        return None
    nxt = _second(text, nums, first.next, c.end())
    if nxt is None:
        return None
    j, sign = nxt
    second = _element_not_unit(text, _item(text, nums, j))
    hi = sign * second.num.value
    prefix_unit = first.unit is not None and first.unit.start < first.num.start  # "€ 10 to 15 million"
    if (
        first.unit is not None
        and not prefix_unit
        and (second.unit is None or not _same_unit_kind(first.unit, second.unit))
    ):
        return None
    lo = first.value
    if second.num.scale != 1.0 and first.num.scale == 1.0:  # "10 to 15 million": the scale holds for both ends
        lo *= second.num.scale
    if not prefix_unit and first.unit is not None and second.unit is not None and first.unit.norm != second.unit.norm:
        try:  # "30 minutes to 20 hours", "10 µm and 1 cm": both ends in the unit written last
            lo = convert([lo], first.unit.norm, second.unit.norm)[0]
        except (UnitError, ValueError, ArithmeticError):
            return None
    if hi > lo:
        return second, lo, hi
    if (word == "to" and (opener == "range" or (opener != "from" and hi < lo < 0))) or (
        word == "and" and opener == "between"
    ):  # "ranging from 3.8 to 2.5 AU", "between 2.4 eV and 1.8 eV", "−16 V to −31 V" (negative values by magnitude)
        return second, hi, lo
    return None


_LESS = r"(?:<=|[<≤⩽≦])"
_VAR = r"[A-Za-zα-ωΑ-Ω∆Δ][^\s\d<>≤≥⩽⩾=,;()]{0,3}"
_VARIABLE_BETWEEN = re.compile(rf"{WS}*{_LESS}{WS}*{_VAR}(?:{WS}{_VAR}){{0,2}}{WS}*{_LESS}{WS}*")


def _bounded_variable(text: str, nums: list[_Num], first: _Item) -> _Item | None:
    """The upper end of "0.1 ≤ x ≤ 0.3", "1 < i < 7", "3 AU < r h < 5 AU" (a variable between two bounds)."""
    c = _VARIABLE_BETWEEN.match(text, first.end)
    if c is None or first.num.word:
        return None
    nxt = _second(text, nums, first.next, c.end())
    if nxt is None:
        return None
    j, sign = nxt
    second = _item(text, nums, j)
    if second.num.word or sign * second.num.value <= first.value:
        return None
    if first.unit is not None and (second.unit is None or not _same_unit_kind(first.unit, second.unit)):
        return None
    return dataclasses.replace(second, value=sign * second.num.value)


def _list(text: str, nums: list[_Num], first: _Item) -> list[_Item] | None:
    """The items of "1.2, 1.5 and 1.8 eV" or "4.5 kg, 6 kg and 13 kg": the longest consistent run, or None."""
    items, closers = [first], []
    while len(items) < MAX_LIST:
        s = _LIST_SEP.match(text, items[-1].end)
        if s is None or not _at(nums, items[-1].next, s.end()):
            break
        items.append(_item(text, nums, items[-1].next))
        closed = bool(s.group("and1") or s.group("and2") or s.group("and3"))
        closers.append(closed)
        if closed:
            break
    for k in range(len(items), 1, -1):
        respective = k == 2 and _RESPECTIVELY_AFTER.match(text, items[1].end) is not None
        if _valid_list(items[:k], closers[k - 2], respective):
            return items[:k]
    return None


_RESPECTIVELY_AFTER = re.compile(rf"{WS}?,?{WS}?respectively\b")


def _valid_list(items: list[_Item], closed: bool, respective: bool = False) -> bool:
    """A list ends with "and"/"or" (or has 3+ items) and has one unit: on the last item only, or on every item.

    Two items with the unit on the last one need the same number of decimals: "1.2 and 1.8 eV" is a list,
    "x = 0.1 and 5 K" is not."""
    if not closed and len(items) < 3:
        return False
    units = [it.unit for it in items]
    if all(u is None for u in units[:-1]):
        if units[-1] is not None and len(items) == 2:
            return items[0].num.decimals == items[1].num.decimals
        return True
    if len(items) == 2 and not respective:  # "1.3 mm and 3 mm", "45% or 50%": two values, each with its unit
        return False  # (but "11 K and 16 K, respectively" stays one list that pairs with the materials named)
    return all(u is not None and u.norm == units[0].norm for u in units)


def _dims(text: str, nums: list[_Num], first: _Item) -> list[_Item] | None:
    """The items of "100 × 200 nm" or "2 × 2 × 2" (up to four)."""
    items = [first]
    while len(items) < 4:
        s = _TIMES.match(text, items[-1].end)
        if s is None or not _at(nums, items[-1].next, s.end()):
            break
        items.append(_item(text, nums, items[-1].next))
    if len(items) < 2:
        return None
    return items


# --- what a number is not: labels, citations, years, dates, identifiers -------------------------------------------

_STRONG_WORDS = """Fig Figs Figure Figures Tab Tabs Table Tables Eq Eqs Eqn Eqns Equation Equations Sec Secs Sect Sects
    Section Sections Subsection Subsections Ref. Refs. Reference References Scheme Schemes Chap Chaps Chapter Chapters
    Vol. pp Claim Claims Anspruch Ansprüche Ansprüchen revendication revendications""".split()
_CAPITAL_WORDS = "Ref Refs".split()  # "v ref 5 m/s" is a subscript, "Ref 12" a citation
_WEAK_WORDS = """Appendix Ch No Nos Vol Volume Issue Page Pages Step Steps Entry Entries Example Examples Sample Samples
    Lane Lanes Panel Panels Note Notes Movie Movies Video Videos Algorithm Lemma Theorem Proposition Definition
    Corollary Part Parts Track Tracks Group Groups Type Types Model Models Run Runs Row Rows Column Columns Item Items
    Stage Stages Region Regions Level Levels Mode Modes Compound Compounds Series Experiment Experiments Exp Test
    Tests Specimen Specimens Device Devices Route Routes Case Cases Set Sets Phase Phases Batch Supplementary Chart
    Box Plate Version Versions Formula Release Class Classes""".split()
_GLUED_WORDS = "Fig Figure Table Section Subsection Equation".split()
# "Fig. 3", "Eq. (4)", "Refs. 12, 14", "inTable 15" (glued by PDF extraction), "p. 5", "# 3" - read backwards.
_STRONG_LABEL = re.compile(
    rf"{WS}*[(\[]?{WS}*\.?(?:{_rev(_STRONG_WORDS)}|(?-i:{_rev(_CAPITAL_WORDS)})"
    rf"|(?-i:{_rev(_GLUED_WORDS, False)})(?=[a-z]))"
    rf"|{WS}*\.p(?![A-Za-z])|{WS}*[#§№]",
    re.I,
)
_WEAK_LABEL = re.compile(rf"{WS}*\.?(?:{_rev(_WEAK_WORDS)})", re.I)
_MONTHS = """Jan January Feb February Mar March Apr April May Jun June Jul July Aug August Sep Sept September Oct
    October Nov November Dec December""".split()
_MONTH_BEFORE = re.compile(rf"{WS}*\.?(?:{_rev(_MONTHS)})")
_MONTH_AFTER = re.compile(rf"{WS}*,?{WS}*(?:{'|'.join(sorted(_MONTHS, key=len, reverse=True))})\.?(?![a-z])")
_ID_BEFORE = re.compile(rf"\W{{0,3}}(?:{_rev('doi issn isbn arxiv pmid pmcid orcid grant no.'.split())})", re.I)
_URLISH = re.compile(r"doi|https?:|www\.|arxiv|\.org|\.com|\.html", re.I)
_CITE_CHARS = frozenset("0123456789,;–-−  \u2009")


def _label_before(text: str, begin: int, weak: bool = True) -> bool:
    """A label ("Fig. 3", "Eq. (4)", "Refs. 12, 14") or identifier ("doi:") right before; weak labels ("sample 2",
    "group 1") only count for unitless numbers: "age group 18-39 years" is a quantity."""
    if _before(_STRONG_LABEL, text, begin, 30) or _before(_ID_BEFORE, text, begin, 30):
        return True
    return weak and _before(_WEAK_LABEL, text, begin, 30) is not None


def _in_citation(text: str, start: int, end: int) -> bool:
    """Inside "[12]", "[3, 5–7]"."""
    if text.rfind("[", max(0, start - 40), start) < 0:
        return False
    lo = start - 1
    while lo >= 0 and start - lo < 40 and text[lo] in _CITE_CHARS:
        lo -= 1
    hi = end
    while hi < len(text) and hi - end < 40 and text[hi] in _CITE_CHARS:
        hi += 1
    return lo >= 0 and hi < len(text) and text[lo] == "[" and text[hi] == "]"


def _in_identifier(text: str, start: int, end: int) -> bool:
    """Part of a DOI, URL or arXiv id."""
    if _URLISH.search(text, max(0, start - 60), end + 60) is None:
        return False
    lo = start
    while lo > 0 and not text[lo - 1].isspace() and start - lo < 60:
        lo -= 1
    hi = end
    while hi < len(text) and not text[hi].isspace() and hi - end < 60:
        hi += 1
    return _URLISH.search(text, lo, hi) is not None


def _is_year(it: _Item) -> bool:
    n = it.num
    return n.integer and n.sign is None and 1800 <= n.value <= 2100 and n.end - n.start == 4


_EL = "|".join(sorted(ELEMENTS | set("H B C N O F P S K V Y I W U".split()), key=len, reverse=True))
_COMP_NUM = r"\d{1,2}\.\d{1,4}"
_COMP_PAIR = rf"(?:{_EL}){WS}{{1,2}}{_COMP_NUM}(?:{WS}?[-–]{WS}?{_COMP_NUM})?"
# an alloy composition written out: "C 0.23 Si 0.05 Mn 0.30 Ni 3.56 Cr 1.66" (four or more element-amount pairs,
# every amount a decimal: a formula flattened by PDF extraction has integer subscripts, "Ba 2 Cu 3 O 7")
_COMPOSITION = re.compile(rf"(?<![A-Za-z\d.])(?:{_COMP_PAIR}{WS}{{1,2}}){{3,}}{_COMP_PAIR}(?![\d.])")


def _in_composition(text: str, start: int, end: int) -> bool:
    lo = max(0, start - 160)
    for m in _COMPOSITION.finditer(text, lo, min(len(text), end + 160)):
        if m.start() <= start and end <= m.end():
            return True
        if m.start() > start:
            break
    return False


def _element_not_unit(text: str, it: _Item) -> _Item:
    """ "P 0.009 S 0.012", "Mo 0.3 - 0.39 V 0.09": in a composition a one-letter element is not a unit."""
    if it.unit is not None and it.unit.raw in _ELEMENT_UNITS and _in_composition(text, it.begin, it.num.end):
        return dataclasses.replace(it, unit=None, end=it.num.end)
    return it


def _bad_unitless(text: str, start: int, end: int, items: list[_Item]) -> bool:
    """A unitless number that is a year, date, time, ratio, fraction, section number, enumeration..."""
    if not items[0].num.integer and _in_composition(text, start, end):
        return False
    if all(_is_year(it) for it in items):
        return True
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    after2 = text[end + 1] if end + 1 < len(text) else ""
    if after and (after.isalpha() or after in "_′'’" or (after in ":/.^" and after2.isdigit())):
        return True
    if after == "/" and after2.isalpha():  # "1/T 1 T", "n = 4/A": the reciprocal of a symbol
        return True
    if after == "(" and end + 2 < len(text) and text[end + 1].isalpha() and text[end + 2] == ")":  # "4(b)": a panel
        return True
    if after and after in "-‐" and after2.isalpha() and not items[-1].num.word and not text.startswith("fold", end + 1):
        return True
    if before and before in ":/" and start > 1 and text[start - 2].isdigit():
        return True
    if before == "(" and after == ")" and len(items) == 1 and not text.startswith("pH", start):  # "(4)", "(3.3)"
        return True
    if after == "," and after2.isdigit():  # flattened superscript citations "gliomas. 25,26"
        return True
    if _JOURNAL_YEAR.match(text, end) or _VOLUME_PAGE_YEAR.match(text, end):  # "Res. (S), 6 (1980)", "Science,
        return True  # 140, 405 (1963)": a volume or page
    if after in "-‐" and after2 and after2 in "([" and not items[-1].num.word:  # "4-(n-butyl)-...": a locant
        return True
    if len(items) == 1 and items[0].num.integer and not items[0].num.word and _numeral_subject(text, start, end):
        return True
    if items[-1].num.integer and after.isspace() and after2 and after2 in ",.;)":  # "architecture 21 ," (citation)
        return True
    if not items[0].num.word and _after_sentence_end(text, start):  # "TMZ. 15 Many": a citation or heading
        return True
    if _blank(text, 0, start) and (_blank(text, end, len(text)) or after in ".)"):  # a numbered line, a lone number
        return True
    lone = len(items) == 1 and items[0].num.integer and not items[0].num.word
    if lone and _line_start(text, start) and (_line_end(text, end) or after in ".)"):  # "1." heading a paragraph
        return True
    if after == ")" and _enumeration(text, start, items):  # "core; 2) proliferating"
        return True
    if (
        before == "{"
        or after == "}"
        or any(_is_year(it) for it in items)
        or _after_symbol(text, start, spelled=items[0].num.word)
    ):
        return True
    if len(items) == 1 and items[0].num.integer and not items[0].num.word and _noun_label(text, start, end):
        return True
    if _before(_MONTH_BEFORE, text, start, 14) or _MONTH_AFTER.match(text, end):
        return True
    if len(items) == 1 and _isotope(text, items[0].num, end):
        return True
    return False


# Elements in order of atomic number (Z = index + 1), for mass numbers written apart from their symbol ("75 As").
_BY_Z = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Y Zr Nb "
    "Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au "
    "Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm"
).split()
_Z = {el: z for z, el in enumerate(_BY_Z, 1)}
_SYMBOL_AFTER = re.compile(rf"{WS}(?P<el>[A-Z][a-z]?)(?![A-Za-z])")
_POWER_AFTER = re.compile(r" ?(?:[−\-–⁻]? ?[\d⁰¹²³⁴⁵⁶⁷⁸⁹]|\^)")


def _isotope(text: str, n: _Num, end: int) -> bool:
    """A mass number set apart from its element by PDF extraction: "1 H NMR", "the 75 As signals", "13 C"."""
    if not n.integer or n.word or n.sign is not None:
        return False
    m = _SYMBOL_AFTER.match(text, end)
    if m is None or _POWER_AFTER.match(text, m.end()):  # "170 Am−2", "5 Cm^-1": a unit with a power, not an element
        return False
    z = _Z.get(m.group("el"))
    return z is not None and z <= n.value <= 3 * z + 30


_CURRENCIES = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY"}
# read backwards: "€ 5", "£5", "$5", "US$ 5"; a lone "$ 5" is more often a symbol font misread ("T c $ 37 K" for ≈)
_CURRENCY = re.compile(rf"{WS}?(?P<c>[€£¥]|\$SU)|(?P<c2>\$)(?![A-Za-z\d])")
# Backwards patterns (see _before): "pH 7", "stearate1 mg", "CTC/7.5 ml", "biosynthesis. 49".
_LEAD_PM = re.compile(rf"{WS}?(?:±|-/\+|−/\+)(?![\w.)\]])")  # read backwards: "±", "+/-" before a number
_DAY_BEFORE = re.compile(rf"{WS}(?:s?yad|s?keew|s?htnom|s?raey)(?![A-Za-z])")  # read backwards: "day 21", "weeks 2"
_OUT_OF = re.compile(rf"{WS}+(?:out{WS}+)?of{WS}+(?:the{WS}+)?")
_PH = re.compile(rf"(?:{WS}*={WS}*|{WS}+fo{WS}+|{WS}*)Hp(?![A-Za-z])")
_GLUED_BEFORE = re.compile(r"[a-z]{3,}[A-Za-z](?![A-Za-z])|/[A-Za-z]{2,}(?![A-Za-z])")
_JOURNAL_YEAR = re.compile(rf"{WS}*\((?:1[89]|20)\d\d[a-z]?\)")
_VOLUME_PAGE_YEAR = re.compile(rf"{WS}*,{WS}*\d{{1,5}}(?:[-–]\d{{1,5}})?{WS}*\((?:1[89]|20)\d\d[a-z]?\)")
_SENTENCE_END = re.compile(r"\s+[.!?](?P<tok>[^\s.]{1,20})")
# "8 is a shaft, 11 is a magnetic pole and 15 is a coupling": a reference numeral that names a part (a count would
# take "are"; a value after "=" or a bound is no subject)
_IS_NOUN_AFTER = re.compile(rf"{WS}+is{WS}+(?:(?:an?|the){WS}+)?[a-z]{{2,}}")
_SUBJECT_BEFORE = re.compile(rf"{WS}*(?:[,;:.(]|(?:dna|ro)(?![A-Za-z]))|{WS}*$")


def _numeral_subject(text: str, start: int, end: int) -> bool:
    if not _IS_NOUN_AFTER.match(text, end):
        return False
    return start == 0 or _before(_SUBJECT_BEFORE, text, start, 24) is not None


_ABBREVIATIONS = frozenset(
    "ca c approx vs v max min e.g eg i.e ie cf al resp viz no nos fig figs eq eqs ref refs vol p pp n wt at mol".split()
)


def _after_sentence_end(text: str, start: int) -> bool:
    """A number that opens a sentence: papers spell such numbers out, so a digit there is a citation or heading."""
    hit = _before(_SENTENCE_END, text, start, 24)
    if hit is None:
        return False
    token = hit[0].group("tok")[::-1]
    token = token.lower().lstrip("([")
    return len(token) > 1 and not token[-1].isdigit() and token not in _ABBREVIATIONS


# Words after which a bare integer is a value ("of 5", "was 5", "mean 0"); after other nouns it is a label
# ("ring 18", "simulation 2", "lysine 27") unless it counts the noun that follows ("the 5 samples").
_VALUE_WORDS = frozenset(
    """of than to at by with from and or was were is are be been about approximately only all these those the a an for
    in on into over under nearly around some first last total without per every each equal equals approx reach reaches
    also just least most which that while where when as if then but nor its their our his her we they it there here
    between among within across after before during since until till up down out off near via both either neither
    another other such same different several many few more less fewer almost roughly ca circa respectively
    mean median maximum minimum average value values day days age time times n score scores
    use uses used contain contains show shows yield yields give gives reach has have gave took exceed exceeds
    include includes involve involves require requires need needs total totals""".split()
)
# nouns that end like a participle: a bare integer after them is a reference numeral ("the retaining ring 9")
_ING_ED_NOUNS = frozenset(
    "ring spring string wing thing bearing housing casing coupling fitting opening winding lining bushing bed shed "
    "seed sled".split()
)
_WORD_BEFORE = re.compile(r"\s+(?P<w>[a-z-]*[A-Za-z])(?![A-Za-z])")
_COUNTED_NOUN = re.compile(r"\s+[a-z]")
_FUNCTION_AFTER = re.compile(r"\s+(?:is|are|and|or|was|were|in|of|to|at|for|with|by|on|as)\b")


def _noun_label(text: str, start: int, end: int) -> bool:
    hit = _before(_WORD_BEFORE, text, start, 30)
    if hit is None:
        return False
    word = hit[0].group("w")[::-1]
    noun = word.lower().split("-")[-1] in _ING_ED_NOUNS  # "the retaining ring 9", "the bed 3": nouns, no verbs
    if word.lower() in _VALUE_WORDS or (word.endswith(("ed", "ing", "ly")) and not noun):
        return False
    counts = _COUNTED_NOUN.match(text, end) and not _FUNCTION_AFTER.match(text, end)
    return not counts


def _blank(text: str, lo: int, hi: int) -> bool:
    """Only whitespace in text[lo:hi] (looked at over at most 100 characters, so the cost stays constant)."""
    return hi - lo <= 100 and not text[lo:hi].strip()


def _line_start(text: str, start: int) -> bool:
    """Only whitespace between the start of the line (or text) and `start` (a paragraph of a document is a line)."""
    nl = text.rfind("\n", max(0, start - 100), start)
    return _blank(text, nl + 1, start) if nl >= 0 else _blank(text, 0, start)


def _line_end(text: str, end: int) -> bool:
    nl = text.find("\n", end, end + 100)
    return _blank(text, end, nl) if nl >= 0 else _blank(text, end, len(text))


def _enumeration(text: str, start: int, items: list[_Item]) -> bool:
    n = items[0].num
    if len(items) > 1 or not n.integer or n.value > 20:
        return False
    prev = text[max(0, start - 40) : start].rstrip()[-1:]
    return prev == "" or prev in ".;:,"


_TOKEN_BEFORE = re.compile(r"[ \u00a0]?(?P<w>\)|\w*[^\W\d_](?!\w))")
# a temperature symbol written right before its value without "=": "T c 43 K", "Tc 43 K", "T C 28-30 K", "(T c ) 30K"
_T_SYMBOL_BEFORE = re.compile(r"(?<![\w])\(?T\s?[a-zA-Z]{1,2}\s?(?:\)\s?)?$")
_ET_AL = re.compile(r"\s*,?\.?la\s*\.?te(?![A-Za-z])")


def _after_symbol(text: str, start: int, unit: bool = False, spelled: bool = False) -> bool:
    """Unitless number after a symbol or formula: "G 1", "HD 188753", "LaH 10", "(Pr 75 Dy 25 ) 70", "et al. 20"."""
    if _before(_ET_AL, text, start, 20):
        return True
    hit = _before(_TOKEN_BEFORE, text, start, 20)
    if hit is None:
        return False
    word = hit[0].group("w")[::-1]
    if word in ("a", "à") or (word == "A" and unit):  # the article; French "à" ("inférieur à 2,1")
        return False
    if word == ")":  # "(Nd, Dy) 2 Fe 14 B": a flattened subscript; but "B) 10.0 g", "(Siding Spring) three times",
        # "(a) 1.3 (b) 2.4 mg": only after a bracket that holds a symbol
        close = start - hit[0].end()
        opening = text.rfind("(", max(0, close - 30), close)
        inside = text[opening + 1 : close] if opening >= 0 else ""
        return not (unit or spelled) and any(c.isupper() for c in inside)
    if len(word) == 1 or word in ELEMENTS:
        return True
    return any(c.isupper() for c in word[1:])


def _valid_start(text: str, begin: int) -> bool:
    """The character before a number (or its sign) allows a quantity: not "Nb3", "(CH3)2", "Ti-6", "1.2.3"."""
    if begin == 0:
        return True
    c = text[begin - 1]
    c2 = text[begin - 2] if begin > 1 else ""
    if c.isalnum() or c in "_)]}^/\\'’′":
        return False
    if c == "." and c2.isdigit():
        return False
    if c in "-–‐−" and c2 and (c2.isalnum() or c2 in ")]"):
        return False
    if c in ":," and c2.isdigit():
        return False
    return True


# --- assembling mentions -----------------------------------------------------------------------------------------------


def _mention(text: str, start: int, end: int, kind: str, values, bound, unc, unit: _Unit | None) -> QuantityMention:
    return QuantityMention(
        start=start,
        end=end,
        raw=text[start:end],
        kind=kind,
        values=tuple(float(v) for v in values),
        bound=bound,
        uncertainty=unc,
        unit_raw=unit.raw if unit else None,
        unit_start=unit.start if unit else None,
        unit_end=unit.end if unit else None,
        unit=unit.norm if unit else None,
    )


def _parse_at(text: str, nums: list[_Num], i: int) -> tuple[QuantityMention | None, list[_Item], int]:
    """The mention that starts with number i (or None), the items it holds, and the next number to look at."""
    n = nums[i]
    if not _valid_start(text, _begin(n)):
        if _before(_GLUED_BEFORE, text, n.start, 20):  # "stearate1 mg", "CTC/7.5 ml"
            first = _item(text, nums, i)
            if first.unit is not None and n.sign is None:
                return (
                    _mention(text, first.begin, first.end, "value", (first.value,), None, first.unc, first.unit),
                    [first],
                    first.next,
                )
        return None, [], i + 1
    first = _element_not_unit(text, _item(text, nums, i))
    bare_comma = n.comma and first.unit is None  # "0,05%" is a decimal comma; a bare "25,26" more likely citations
    cur = _before(_CURRENCY, text, first.begin, 6) if first.unit is None and n.sign is None else None
    if cur is not None:  # "€ 668 million", "US$ 5": the currency is the unit, written before the number
        sym = (cur[0].group("c") or cur[0].group("c2"))[::-1]
        start = cur[1]
        unit = _Unit(start, start + len(sym), sym, _CURRENCIES[sym[-1]])
        first = dataclasses.replace(first, begin=start, unit=unit)
    elif first.unit is None and n.integer and not n.word and n.sign is None and n.value < 1000:
        day = _before(_DAY_BEFORE, text, first.begin, 8)
        if day is not None:  # "day 21", "days 42-56", "week 3": a time point named by its unit before the number
            start = day[1]
            unit = _scan_unit(text, start)
            if unit is not None and unit.end <= first.begin:
                first = dataclasses.replace(first, begin=start, unit=unit)
    pre = _prefix(text, first.begin)
    if pre is None:
        ph = _before(_PH, text, first.begin, 12)
        if ph is not None:  # "pH 7.5", "pH = 9": the quantity is named before its number, inside its span
            first = dataclasses.replace(first, begin=ph[1])
        elif n.sign is None and (pm := _before(_LEAD_PM, text, first.begin, 4)) is not None:
            first = dataclasses.replace(first, begin=pm[1])  # "±5%", "± 10 K": a tolerance, the sign in its span
    word, lead = pre if pre else (None, None)
    opener = word if word in ("between", "from") else None
    if opener == "from" and _before(_RANGE_VERB, text, lead, 20):  # "ranging from 3.8 to 2.5 AU": an interval
        opener = "range"
    bound = word if word not in ("between", "from") else None

    two = _bounded_variable(text, nums, first)
    if two is not None:  # "0.1 ≤ x ≤ 0.3", "300 K < T < 400 K": the interval the variable lies in
        second, unit = two, two.unit or first.unit
        m = _mention(text, first.begin, second.end, "interval", (first.value, second.value), None, None, unit)
        return m, [first, second], second.next
    iv = _interval(text, nums, first, opener)
    # "kleiner als 2,1", "p < 0,05": a bound says it is a value (but "> 2,3- diphenyl..." is a locant)
    comparison = bound in ("lt", "le", "gt", "ge") and not text.startswith(("-", "‐"), first.end)
    if bare_comma and not comparison and (iv is None or iv[0].unit is None):  # (and "0,15 bis 0,3%" has its unit)
        return None, [first], first.next
    if iv is not None:
        second, lo, hi = iv
        approx = "approx" if bound == "approx" else None
        keep_lead = lead if (opener or approx) else None
        m = _mention(text, first.begin, second.end, "interval", (lo, hi), approx, None, second.unit or first.unit)
        return dataclasses.replace(m, lead_start=keep_lead), [first, second], second.next

    part = _OUT_OF.match(text, first.end) if first.unit is None and n.integer else None
    if part is not None and _at(nums, first.next, part.end()) and nums[first.next].integer:
        whole = nums[first.next]  # "three out of four", "47 out of the 76", "78 of 250": a count of a whole
        if whole.value > first.value and not _scan_unit(text, whole.end, whole):
            m = _mention(text, first.begin, whole.end, "value", (first.value,), None, None, None)
            return m, [first], first.next + 1

    items = _list(text, nums, first)
    if items is not None:
        approx = "approx" if bound == "approx" else None
        m = _mention(text, first.begin, items[-1].end, "list", [it.value for it in items], approx, None, items[-1].unit)
        return dataclasses.replace(m, lead_start=lead if approx else None), items, items[-1].next
    dims = _dims(text, nums, first)
    if dims is not None:
        unit = dims[-1].unit
        if unit is None or not all(d.unit is None or _same_unit_kind(d.unit, unit) for d in dims):
            return None, dims, dims[-1].next  # "2 × 2 × 2 supercell", "8 × 8 × 1 mesh": not quantities
        m = _mention(text, first.begin, dims[-1].end, "list", [d.value for d in dims], None, None, unit)
        return m, dims, dims[-1].next

    start, end, unit, unc = first.begin, first.end, first.unit, first.unc
    if start > 0 and text[start - 1] == "(" and first.unc is not None and text.startswith(")", end) and unit is None:
        start, end = start - 1, end + 1  # "(3.2 ± 0.1) eV"
        unit = _scan_unit(text, end)
        if unit is not None:
            end = unit.end
    kind = "bound" if bound in ("lt", "le", "gt", "ge") else "value"
    m = _mention(text, start, end, kind, (first.value,), bound, unc, unit)
    return dataclasses.replace(m, lead_start=lead if bound else None), [first], first.next


def _keep(text: str, m: QuantityMention, items: list[_Item]) -> bool:
    core_start = items[0].begin
    if m.lead_start is None and _label_before(text, core_start, weak=m.unit is None):
        return False  # (a bound or "between" before the number already says it is no label)
    if _in_citation(text, m.start, m.end) or _in_identifier(text, core_start, items[-1].num.end):
        return False
    if m.unit is None and _bad_unitless(text, core_start, m.end, items):
        return False
    if (
        m.unit_raw is not None
        and len(m.unit_raw) == 1
        and m.unit_raw.isalpha()
        and _after_symbol(text, core_start, True)
        and not (m.unit_raw == "K" and _T_SYMBOL_BEFORE.search(text, max(0, core_start - 14), core_start))
    ):
        return False  # "HD 188753 A", "H 2 S", "1/T 1 T" (but "T c 43 K", "Tc 43 K": a temperature symbol's value)
    return True


_PEAK = r"\d{1,4}(?:\.\s?\d{1,3})?(?:\s?[-–]\s?\d{1,4}(?:\.\s?\d{1,3}|,\d{1,3})?)?(?:\s{0,2}\([^()\n]{1,80}\))?"
_PEAK_LIST = re.compile(
    rf"(?<![A-Za-z])(?P<u>\(ppm\)|ppm|cm{WS}?(?:[-−‐]1|\^-1|⁻¹))(?![A-Za-z]){WS}?:{WS}?"
    rf"(?P<peaks>{_PEAK}(?:{WS}?,{WS}*{_PEAK}){{2,}})"
)
_BRACKET = re.compile(r"\([^()]*\)")
_PEAK_VALUE = re.compile(r"(?:^|,\s)\s*(\d{1,4}(?:\.\s?\d{1,3})?)")


def _peak_lists(text: str) -> list[QuantityMention]:
    """NMR and IR data ("δ (ppm): 7.95 (1H, d, J = 5.0 Hz), 6.97 (...)", "IR cm-1: 3450 (br), 1638, 1594"): one list.

    The unit heads the list after a colon; every peak, with its multiplicity and couplings in brackets, belongs to it.
    """
    out = []
    if "ppm" not in text and "cm" not in text:
        return out
    for m in _PEAK_LIST.finditer(text):
        u0 = m.start("u") + (1 if text[m.start("u")] == "(" else 0)
        unit = _scan_unit(text, u0)
        if unit is None:
            continue
        flat = re.sub(r"\([^()]*\)", "", m.group("peaks"))
        values = []
        for v in _PEAK_VALUE.findall(flat):
            try:
                values.append(float(re.sub(r"\s", "", v)))
            except ValueError:
                continue
        end = m.end("peaks")
        while text[end - 1] in " ,":
            end -= 1
        out.append(_mention(text, m.start("u"), end, "list", values, None, None, unit))
    return out


def find_quantities(text: str) -> list[QuantityMention]:
    """Every quantity mention in `text`, in order; spans index `text` exactly."""
    if not text:
        return []
    nums = _numbers(text)
    out: list[QuantityMention] = []
    peaks = _peak_lists(text)
    if peaks:  # the peak positions are no mentions of their own (the couplings in brackets are: "J = 5.0 Hz")
        inside = [(p.start, p.end) for p in peaks]
        brackets = [(b.start(), b.end()) for a, e in inside for b in _BRACKET.finditer(text, a, e)]
        nums = [
            n for n in nums if not any(a <= n.start < b for a, b in inside) or any(a < n.start < b for a, b in brackets)
        ]
    i = 0
    while i < len(nums):
        m, items, nxt = _parse_at(text, nums, i)
        if m is not None:
            if out and m.start < out[-1].end:  # an exponent of the previous unit ("V −1 s −1"), not a number
                pass
            elif _keep(text, m, items):
                out.append(m)
            elif _label_before(text, items[0].begin):  # "Refs. 3, 4", "Figs. 2–4": the rest belongs to the label
                nxt = _label_chain_end(text, nums, nxt)
        i = max(nxt, i + 1)
    if peaks:
        out = sorted(out + peaks, key=lambda m: (m.start, m.end))
    if _HAS_ARTICLE_UNIT.search(text):
        out = _article_durations(text, out)
    return out


_ARTICLE_UNITS = "hour|day|week|month|year"
_HAS_ARTICLE_UNIT = re.compile(rf"\ban?{WS}+(?:{_ARTICLE_UNITS})\b")
# "stirred for an hour", "over a year", "within half a day": one unit written with the article
_ARTICLE_DURATION = re.compile(
    rf"(?<![A-Za-z])(?:[Ff]or|over|within|after|during|than|in){WS}+"
    rf"(?P<q>(?P<half>half{WS}+)?an?{WS}+(?P<u>{_ARTICLE_UNITS}))(?![-‐\w])"
)


def _article_durations(text: str, out: list[QuantityMention]) -> list[QuantityMention]:
    found, inside = [], set()
    for m in _ARTICLE_DURATION.finditer(text):
        s, e = m.start("q"), m.end("q")
        hit = [k for k, q in enumerate(out) if q.start < e and s < q.end]
        if any(out[k].unit is not None or out[k].start < s or out[k].end > e for k in hit):
            continue  # ("half" alone is a word number inside "half a day")
        unit = _scan_unit(text, m.start("u"))
        if unit is None:
            continue
        inside.update(hit)
        found.append(_mention(text, s, e, "value", (0.5 if m.group("half") else 1.0,), None, None, unit))
    if not found:
        return out
    return sorted([q for k, q in enumerate(out) if k not in inside] + found, key=lambda q: (q.start, q.end))


_CHAIN = re.compile(rf"{WS}?(?:[,;–-]|and|or|to){WS}?(?:and{WS})?")
_LIST_ITEM_END = re.compile(rf"{WS}?(?:[,;)\]–-]|and\b|or\b|\.|$)")


def _label_chain_end(text: str, nums: list[_Num], j: int) -> int:
    """Index after the numbers chained to a label by commas, dashes or "and" ("Refs. 3, 4, 7")."""
    while j < len(nums) and j > 0:
        c = _CHAIN.match(text, nums[j - 1].end)
        if c is None or c.end() != nums[j].start:
            break
        if c.group().strip() in (",", ";") and not _LIST_ITEM_END.match(text, nums[j].end):
            break  # "Fig. 10, 350 electrons": a new quantity after the label's number
        unit = _scan_unit(text, nums[j].end, nums[j])
        if unit is not None and unit.start > nums[j].end:  # "Figs. 2–4 and 5 K" (but "Figures 3K and 3L" are panels)
            break
        j += 1
    return j

"""Material mentions in text: formulas, named materials, acronyms and doped notation, normalized with pymatgen.

`normalize_formula(raw)` cleans a written formula and returns (formula, reduced_formula):
  - formula: the cleaned composition in the author's element order, pymatgen-parseable ("La1.9Sr0.1CuO4",
    "Ca9La(PO4)7", "(CH3NH3)PbI3", "CuSO4(H2O)5"); reduced_formula: pymatgen's canonical `reduced_formula`.
  - cleaning: unicode sub/superscripts and minus signs, spaced subscripts ("La 2−x Sr x CuO 4"), phase and polytype
    prefixes ("α-", "2H-", "1T'-", "h-", "anatase "), oxidation states "(III)", ion charges ("Er3+" -> Er),
    Miller-index suffixes, hydrates/adducts ("·5H2O", "*xH2O", "•nH2O"), organic perovskite cations
    (MA, FA, BA, PEA, GA, EA, DMA) next to Pb/Sn/Ge/Bi/Sb/Ag/Cu/In halides.
  - variables: a value given in the mention ("(x = 0.1)") or passed in is substituted. Without a value, a variable
    that occurs once as "N±v" ("O3−δ", "O7−x", "Fe1−xS") is non-stoichiometry and dropped to the nominal N; a hydrate
    of unknown count ("·nH2O") is dropped. Any other free variable ("La2−xSrxCuO4", "NaxCoO2") and mixed-site
    notation ("(La,Sr)MnO3") leave the composition unknown: (None, None).

`find_materials(text)` returns non-overlapping `MaterialMention`s with exact spans (text[start:end] == raw):
  - kind "formula": a parsed formula, bare element symbol or ion; formula/reduced_formula set, name None.
  - kind "doped": composition only partly written down. Free or substituted variables ("La2−xSrxCuO4"; substituted
    when the same sentence states exactly one value, "x = 0.15"), mixed sites "(La,Sr)MnO3", family templates with
    placeholder sites ("LnOFeAs", "CsPbX3"), and dopant notation "Nb-doped SrTiO3", "SrTiO3:Nb", "Nd:YAG",
    "SrTiO3 doped with Nb" (formula None, name "SrTiO3:Nb"), "Zn-doped samples" (name "Zn-doped").
  - kind "acronym": curated acronyms (YBCO -> YBa2Cu3O7, YSZ name only), "YBCO6.57" (oxygen content),
    "8YSZ", family codes ("Bi-2212", "Y123"), element-initial oxide acronyms ("LNSCO").
  - kind "name": curated names ("graphene" -> C), element names ("copper" -> Cu), chemical names built from element
    words and an anion ("barium zirconate"), composites ("Ni-YSZ", "LiFePO4/C"; formula None).
  Not mentions: material classes ("cuprate", "perovskite", "iron pnictide"), structural units ("CuO2 planes",
  "OsO6 octahedra"), elements as constituents ("Na content", "Cu spins", "3d orbitals of Fe", "oxygen vacancies"),
  gases used as modifiers ("oxygen electrode"), formulas used as symbols ("PAr = 1 Torr").
  Precision rules: capitalised words must be element sequences; bare one-letter symbols, all-capital acronyms made of
  one-letter symbols (SOFC, BCS, OK, IV), plural acronyms (SOFCs is not S-O-F-Cs) and single elements with a count
  (S1, C3) are rejected unless whitelisted (CO, NO, H2, O2, C60, ...); bare two-letter symbols are kept (Pt, Ni)
  except symbols that are also English words or physics symbols (In, As, He, No, Be, At, Re, Ho: only in a material
  context such as "In-doped" or "In and Ga", never at sentence start), units after numbers (Pa), author names
  (Li et al., X. Li), XPS/XRD labels (Fe 2p, Cu Kα).

`DocumentMaterials` learns a document's definitions ("lithium iron phosphate (LFP)", "LSCF (La0.6Sr0.4Co0.2Fe0.8O3)",
"the as-grown sample (S1)") and resolves later mentions, including "x = 0.1" samples of the document's variable
formula. Its `find(text)` adds the learned acronyms and labels to `find_materials`.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal, NamedTuple

Kind = Literal["formula", "name", "acronym", "doped"]


@dataclass(frozen=True)
class MaterialMention:
    start: int
    end: int
    raw: str
    formula: str | None
    reduced_formula: str | None
    name: str | None
    kind: Kind


@dataclass(frozen=True)
class MaterialInfo:
    """What a mention means, without its place in the text (`DocumentMaterials.resolve`)."""

    formula: str | None
    reduced_formula: str | None
    name: str | None
    kind: Kind


# ---------------------------------------------------------------------------------------------------- elements

_ELEMENT_LIST = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Y Zr "
    "Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir "
    "Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf"
).split()
ELEMENTS = frozenset(_ELEMENT_LIST)  # Z <= 98: heavier ones never name materials and clash with notation (Cn, No)
_SYMBOLS = ELEMENTS | {"D"}  # deuterium inside formulas (D2O)
_VARIABLES = "xyzδn"

# single-element formulas that are real substances
_MOLECULES = frozenset("H2 D2 N2 O2 O3 F2 Cl2 Br2 I2 S8 C60 C70 C76 C84".split())
# all-capital formulas of one-letter symbols without digits that are real substances (not acronyms)
_CAPS_OK = frozenset("CO NO BN KI KF".split())
# bare two-letter symbols that are English words / units / notation more often than elements
_BARE_STOP = frozenset("Pa Po At Fr Ra Ac Tc Pm Cm Bk Cf Np Am Es".split())
# bare symbols that double as English words or physics symbols: kept only in a material context ("In-doped", "In, Ga")
_COLLISION = frozenset("In As He No Be At Ho Re Os Am Ne".split())
_FORMULA_STOP = frozenset("HeLa CoV NaN CoA KGaA".split())
# partial-pressure symbols written like formulas: 'PO2', 'PH2O'
_PARTIAL_PRESSURE = frozenset("PO2 PH2O PH2 PCO2 PCO PN2 PH2S PNH3 PCH4 PAr".split())
_CAPS_PLURAL_OK = frozenset(["BAs"])
_TEMPLATES_OK = frozenset("ABO3 AB2O4 A2BO4 ABX3 AMX3 A2BB'O6".split())
_PLACEHOLDER_TOKEN = re.compile(r"Ln|RE|Ae|AE|TM|Pn|Ch|[AMXR](?![a-z])")
# generic site symbols in family formulas ("LnOFeAs", "AFe2As2", "CsPbX3"): parsed, composition unknown
_PLACEHOLDERS_2 = frozenset("Ln RE Ae AE TM Pn Ch".split())
_PLACEHOLDERS_1 = frozenset("AMXR")


# ---------------------------------------------------------------------------------------------------- vocabulary


@cache
def _vocab() -> dict:
    """The curated YAML next to this module (loaded on first use)."""
    import yaml

    data = yaml.safe_load((Path(__file__).with_name("material_names.yaml")).read_text(encoding="utf-8"))
    data["anions"] = frozenset(data["anions"])
    data["classes"] = [c.lower() for c in data["classes"]]
    data["names"] = {k.lower(): v for k, v in data["names"].items()}
    data["family_codes"] = {k.replace("-", ""): (k, v) for k, v in data["family_codes"].items()}
    return data


class _ElementNames:
    """The lower-case element names of the curated vocabulary ('copper', 'oxygen'), loaded on first use."""

    def __contains__(self, word: object) -> bool:
        return word in _vocab()["elements"]


ELEMENT_NAMES = _ElementNames()


def _lookup_name(phrase: str) -> tuple[bool, str | None]:
    """(known, formula) for a lower-case name phrase, element names included."""
    v = _vocab()
    key = " ".join(phrase.lower().split())
    for k in (key, key[:-1] if key.endswith("s") else None):
        if k is None:
            continue
        if k in v["names"]:
            return True, v["names"][k]
        if k in v["elements"]:
            return True, v["elements"][k]
    return False, None


# ---------------------------------------------------------------------------------------------------- cleaning

_TRANS = str.maketrans(
    {
        **{c: str(i) for i, c in enumerate("₀₁₂₃₄₅₆₇₈₉")},
        **{c: str(i) for i, c in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")},
        "⁺": "+",
        "⁻": "-",
        "₊": "+",
        "₋": "-",
        "−": "-",
        "–": "-",
        "‒": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "•": "·",
        "∙": "·",
        "⋅": "·",
        "×": "·",
        "±": "+",
        "∓": "-",
        "Δ": "δ",
        "ẟ": "δ",
        "′": "'",
        "ʹ": "'",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u200b": "",
        "^": "",
        "ₓ": "x",
        "ᵧ": "y",
    }
)
_WS = re.compile(r"\s+")
_NUM = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_ASSIGN_TAIL = re.compile(r"[\s,;(]+(?:with|for|where|and)?\s*\(?\s*(?=[xyzδ]\s*=)")
_ASSIGN_ONE = re.compile(r"([xyzδ])\s*=\s*(\d+(?:\.\d+)?(?:/\d+)?)(\s*(?:,|and|or|to|-|~)\s*\d)?")
_PHASE_WORDS = (
    r"anatase|rutile|brookite|wurtzite|zinc[- ]?blende|zincblende|rock[- ]?salt|rocksalt|cubic|tetragonal|"
    r"orthorhombic|hexagonal|monoclinic|trigonal|rhombohedral|amorphous"
)
_WORD_PREFIX = re.compile(
    r"^(?:(?:" + _PHASE_WORDS + r"|crystalline|polycrystalline|nanocrystalline|single[- ]crystal(?:line)?|bulk|"
    r"monolayer|bilayer|trilayer|few[- ]layer|multilayer|pristine|undoped|pure|stoichiometric|nominal|"
    r"mesoporous|porous|epitaxial)[\s-]+)+",
    re.I,
)
_HYPHEN_PREFIX = re.compile(r"^(?:(?:[αβγδεζηθκλμξπρστφχψω]'?|\d+[A-Z]{1,2}'{0,2}|Td|[a-z]{1,2})-)+")
_MILLER = re.compile(r"\(\d{3,4}\)[A-Z]?$|\((?:0001|001|010|100|110|111)\)[A-Z]?(?=-)")
_OXIDATION = re.compile(r"\((?:I|II|III|IV|V|VI|VII|VIII|i|ii|iii|iv|v|vi)\)")
_D_DELTA = re.compile(r"(?<=\d)([+-])d$")
_SUP_CHARGE = re.compile(r"(?:\^\s*\d*\s*[+\-−]|[⁰¹²³⁴⁵⁶⁷⁸⁹]*[⁺⁻])\s*$")  # 'SO4^2-', 'SO₄²⁻'
_PLUS_CHARGE = re.compile(r"(?<=[A-Za-z)\]])\d?\+$")  # 'Er3+', 'Li+'
_MINUS_ION = re.compile(r"^([A-Z][a-z]?)\d?-$")  # 'O2-', 'F-'; 'TiO2-' is a suspended hyphen
_PAREN_ACRONYM = re.compile(r"\(([A-Za-z0-9-]{3,})\)$")
_PEROVSKITE_B = re.compile(r"Pb|Sn|Ge|Bi|Sb|Ag|Cu|In")
_HALIDE = re.compile(r"I(?![a-z])|Br|Cl")
_ORGANIC = re.compile(r"(?<![A-Za-z])(PEA|DMA|MA|FA|BA|GA|EA)(?![a-z])")
_CATIONS = {
    "MA": "(CH3NH3)",
    "FA": "(CH(NH2)2)",
    "BA": "(C4H9NH3)",
    "PEA": "(C6H5C2H4NH3)",
    "GA": "(C(NH2)3)",
    "EA": "(C2H5NH3)",
    "DMA": "((CH3)2NH2)",
}


def _split_assignments(s: str) -> tuple[str, dict[str, float]]:
    """'SrMo1-xMgxO3 (x = 0.1)' -> ('SrMo1-xMgxO3', {'x': 0.1}); lists of values give nothing."""
    m = _ASSIGN_TAIL.search(s)
    if not m:
        return s, {}
    return s[: m.start()], _assignments(s[m.start() :])


def _assignments(text: str) -> dict[str, float]:
    values: dict[str, float | None] = {}
    for a in _ASSIGN_ONE.finditer(text):
        var, val = a.group(1), _number(a.group(2))
        if a.group(3) or (var in values and values[var] != val):
            values[var] = None
        else:
            values[var] = val
    return {k: v for k, v in values.items() if v is not None}


def _number(s: str) -> float:
    if "/" in s:
        a, b = s.split("/")
        return float(a) / float(b) if float(b) else 0.0
    return float(s)


def _clean(raw: str) -> tuple[str, dict[str, float], bool, bool]:
    """(formula text ready to parse, values given inline, had a phase prefix, was an ion)."""
    m = _SUP_CHARGE.search(raw)
    charged = bool(m)
    if m:
        raw = raw[: m.start()]
    s = raw.translate(_TRANS).replace("À", "-").replace("*", "·")
    s, values = _split_assignments(s)
    s = s.strip()
    m = _WORD_PREFIX.match(s)
    prefixed = bool(m)
    if m:
        s = s[m.end() :]
    s = _WS.sub("", s)
    m = _HYPHEN_PREFIX.match(s)
    if m and m.end() < len(s) and (s[m.end()].isupper() or s[m.end()] == "("):
        s, prefixed = s[m.end() :], True
    s = _MILLER.sub("", s)
    s = _D_DELTA.sub(r"\1δ", s)
    s = _OXIDATION.sub("", s)
    m = _PAREN_ACRONYM.search(s)
    if m and m.start() > 0 and (_lex(m.group(1)) is None or m.group(1).isalpha() and m.group(1).isupper()):
        s = s[: m.start()]
    s, charged = _strip_charge(s, charged)
    if _PEROVSKITE_B.search(s) and _HALIDE.search(s):
        s = _ORGANIC.sub(lambda x: _CATIONS[x.group(1)], s)
    return s, values, prefixed, charged


def _strip_charge(s: str, charged: bool) -> tuple[str, bool]:
    m = _PLUS_CHARGE.search(s)
    if m:
        return s[: m.start()], True
    m = _MINUS_ION.match(s)
    if m:
        return m.group(1), True
    return (s[:-1] if s.endswith("-") else s), charged


# ---------------------------------------------------------------------------------------------------- parsing


def _lex(s: str) -> list[tuple[str, object]] | None:
    """Tokens: ('E', symbol), ('N', float), ('V', var), and the characters + - / ( ) , · ; None if not a formula."""
    toks: list[tuple[str, object]] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if "A" <= c <= "Z":
            two = s[i : i + 2]
            if two in _PLACEHOLDERS_2:
                toks.append(("P", two))
                i += 2
            elif len(two) == 2 and two[1].islower() and two in _SYMBOLS:
                toks.append(("E", two))
                i += 2
            elif c in _SYMBOLS:
                toks.append(("E", c))
                i += 1
            elif c in _PLACEHOLDERS_1:
                toks.append(("P", c))
                i += 1
            else:
                return None
        elif c.isdigit() or (c == "." and i + 1 < n and s[i + 1].isdigit()):
            m = _NUM.match(s, i)
            toks.append(("N", float(m.group())))
            i = m.end()
        elif c in _VARIABLES:
            prime = s[i + 1 : i + 2] == "'"
            toks.append(("V", c + "'" if prime else c))
            i += 2 if prime else 1
        elif c in "+-/(),·":
            toks.append((c, c))
            i += 1
        elif c in "[{":
            toks.append(("(", "("))
            i += 1
        elif c in "]}":
            toks.append((")", ")"))
            i += 1
        else:
            return None
    return toks


class _Parser:
    """Recursive descent: formula := part ('·' coef? part)*; part := (unit count?)+; unit := E | '(' part ')' | '(' E,E ')'."""

    def __init__(self, toks):
        self.t = toks
        self.i = 0

    def kind(self, k: int = 0):
        j = self.i + k
        return self.t[j][0] if j < len(self.t) else None

    def formula(self):
        parts = [(None, self.seq(0))]
        while self.kind() == "·":
            self.i += 1
            coef = self.expr() if self.kind() in ("N", "V") else None
            parts.append((coef, self.seq(0)))
        if self.i != len(self.t) or any(not seq for _, seq in parts):
            raise ValueError("not a formula")
        return parts

    def seq(self, depth: int):
        if depth > 6:
            raise ValueError("too deep")
        items = []
        while True:
            k = self.kind()
            if k in ("E", "P"):
                unit = (k, self.t[self.i][1])
                self.i += 1
            elif k == "(" and self.kind(1) in ("E", "P", "("):
                unit = self.mixed() if self.is_mixed() else self.group(depth)
            else:
                return items
            items.append((unit, self.count()))

    def group(self, depth: int):
        self.i += 1
        inner = self.seq(depth + 1)
        if not inner or self.kind() != ")":
            raise ValueError("open group")
        self.i += 1
        return ("G", inner)

    def is_mixed(self) -> bool:
        level = 0
        for k, _ in self.t[self.i :]:
            if k == "(":
                level += 1
            elif k == ")":
                level -= 1
                if level == 0:
                    return False
            elif k == "," and level == 1:
                return True
        return False

    def mixed(self):
        self.i += 1
        symbols = []
        while True:
            if self.kind() not in ("E", "P"):
                raise ValueError("bad mixed site")
            symbols.append(self.t[self.i][1])
            self.i += 1
            self.count()
            if self.kind() == ",":
                self.i += 1
                continue
            if self.kind() == ")":
                self.i += 1
                return ("M", tuple(symbols))
            raise ValueError("bad mixed site")

    def count(self):
        k = self.kind()
        if k in ("N", "V") or (k == "(" and self.kind(1) in ("N", "V")):
            return self.expr()
        return None

    def starts_factor(self, k: int = 0) -> bool:
        return self.kind(k) in ("N", "V") or (self.kind(k) == "(" and self.kind(k + 1) in ("N", "V"))

    def expr(self):
        node = self.term()
        while self.kind() in ("+", "-") and self.starts_factor(1):
            op = self.kind()
            self.i += 1
            node = (op, node, self.term())
        return node

    def term(self):
        node = self.factor()
        while True:
            if self.kind() == "/" and self.starts_factor(1):
                self.i += 1
                node = ("/", node, self.factor())
            elif self.starts_factor():
                node = ("*", node, self.factor())
            else:
                return node

    def factor(self):
        k, val = self.t[self.i]
        if k == "N":
            self.i += 1
            return ("n", val)
        if k == "V":
            self.i += 1
            return ("v", val)
        self.i += 1
        node = self.expr()
        if self.kind() != ")":
            raise ValueError("open count")
        self.i += 1
        return node


def _evaluate(node, values: dict[str, float]) -> float | None:
    op = node[0]
    if op == "n":
        return node[1]
    if op == "v":
        return values.get(node[1])
    a, b = _evaluate(node[1], values), _evaluate(node[2], values)
    if a is None or b is None:
        return None
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return a / b if b else None


def _variables(node, out: list[str]) -> None:
    if node is None or node[0] == "n":
        return
    if node[0] == "v":
        out.append(node[1])
        return
    _variables(node[1], out)
    _variables(node[2], out)


def _walk_counts(seq, fn):
    """Rebuild a parsed sequence with fn applied to every count node."""
    out = []
    for unit, cnt in seq:
        if unit[0] == "G":
            unit = ("G", _walk_counts(unit[1], fn))
        out.append((unit, fn(cnt) if cnt is not None else None))
    return out


def _seq_variables(seq, out: list[str]) -> None:
    for unit, cnt in seq:
        if unit[0] == "G":
            _seq_variables(unit[1], out)
        _variables(cnt, out)


def _fmt(v: float) -> str:
    if abs(v - 1) < 1e-9:
        return ""
    return ("%.6f" % v).rstrip("0").rstrip(".")


def _serialize(seq, values: dict[str, float]) -> str | None:
    out = []
    for unit, cnt in seq:
        v = 1.0 if cnt is None else _evaluate(cnt, values)
        if v is None or v < -1e-9:
            return None
        if abs(v) < 1e-9:
            continue
        if unit[0] == "E":
            s = unit[1]
        elif unit[0] == "G":
            inner = _serialize(unit[1], values)
            if inner is None:
                return None
            if not inner:
                continue
            s = f"({inner})"
        else:
            return None
        out.append(s + _fmt(v))
    return "".join(out)


def _elements(seq, out: list[str]) -> None:
    """Real element symbols in written order (placeholders left out)."""
    for unit, _ in seq:
        if unit[0] == "E":
            out.append(unit[1])
        elif unit[0] == "G":
            _elements(unit[1], out)
        elif unit[0] == "M":
            out.extend(x for x in unit[1] if x in _SYMBOLS)


@dataclass(frozen=True)
class _Analysis:
    formula: str | None
    reduced: str | None
    kind: Kind  # "formula" or "doped" (free/substituted variables, mixed sites)
    elements: tuple[str, ...]  # distinct, in written order
    has_count: bool
    caps_only: bool  # one-letter symbols only, no lower-case letter, no digit (SOFC, CO, IV)
    prefixed: bool
    charged: bool
    core: str


def _is_deviation(node, var: str) -> bool:
    return node is not None and node[0] in "+-" and node[1][0] == "n" and node[2] == ("v", var)


def _drop_deviations(parts, values: dict[str, float]):
    """Nominal composition: drop 'N±v' non-stoichiometry and hydrates of unknown count; keep substitution variables."""
    names: list[str] = []
    for coef, seq in parts:
        _variables(coef, names)
        _seq_variables(seq, names)
    free = {v for v in names if v not in values}
    once = {v for v in free if names.count(v) == 1}
    kept = []
    for idx, (coef, seq) in enumerate(parts):
        coef_vars: list[str] = []
        _variables(coef, coef_vars)
        if idx > 0 and any(v in free for v in coef_vars):
            continue
        for var in once:
            seq = _walk_counts(seq, lambda c, var=var: ("n", c[1][1]) if _is_deviation(c, var) else c)
        kept.append((coef, seq))
    return kept


def _substituted(names_before: list[str], values: dict[str, float]) -> bool:
    return any(v in values and v != "δ" for v in names_before)


@lru_cache(maxsize=65536)
def _analyse(raw: str, given: tuple[tuple[str, float], ...] = ()) -> _Analysis | None:
    """Parse one written formula; None when it is not one."""
    if len(raw) > 120:
        return None
    s, inline, prefixed, charged = _clean(raw)
    values = {**dict(given), **inline}
    if not s or not ("A" <= s[0] <= "Z" or s[0] in "(["):
        return None
    toks = _lex(s)
    if not toks:
        return None
    try:
        parts = _Parser(toks).formula()
    except (ValueError, IndexError):
        return None
    names: list[str] = []
    for coef, seq in parts:
        _variables(coef, names)
        _seq_variables(seq, names)
    parts = _drop_deviations(parts, values)
    remaining: list[str] = []
    for coef, seq in parts:
        _variables(coef, remaining)
        _seq_variables(seq, remaining)
    free = {v for v in remaining if v not in values}
    elements: list[str] = []
    for _, seq in parts:
        _elements(seq, elements)
    mixed = any(t[0] in (",", "P") for t in toks)
    if all(unit[0] == "M" for _, seq in parts for unit, _ in seq):
        return None  # '(Mn,Fe,Co)' alone is a list of elements
    if mixed and len(set(elements)) < 2:
        return None
    if "D" in elements and "O" not in elements:
        return None  # D2O, ND3OD; not 'CD74'
    kind: Kind = "doped" if (free or mixed or _substituted(names, values)) else "formula"
    formula = None if free or mixed else _serialize_parts(parts, values)
    if not free and formula is None and not mixed:
        return None
    if free and not mixed and _serialize_parts(parts, {**values, **{v: 0.1 for v in free}}) is None:
        return None  # not even a template of a composition
    reduced = _reduced(formula) if formula else None
    if formula and reduced is None:
        return None
    return _Analysis(
        formula=formula,
        reduced=reduced,
        kind=kind,
        elements=tuple(dict.fromkeys(elements)),
        has_count=any(t[0] in ("N", "V") for t in toks),
        caps_only=not any(ch.islower() or ch.isdigit() for ch in s),
        prefixed=prefixed,
        charged=charged,
        core=s,
    )


def _serialize_parts(parts, values: dict[str, float]) -> str | None:
    out = []
    for idx, (coef, seq) in enumerate(parts):
        body = _serialize(seq, values)
        if not body:
            return None
        if idx == 0:
            out.append(body)
            continue
        n = 1.0 if coef is None else _evaluate(coef, values)
        if n is None or n <= 0:
            return None
        out.append(f"({body}){_fmt(n)}")
    return "".join(out)


@lru_cache(maxsize=65536)
def _reduced(formula: str) -> str | None:
    import warnings

    try:
        from pymatgen.core import Composition

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Composition(formula).reduced_formula
    except Exception:  # pymatgen raises several types on odd input
        return None


def normalize_formula(raw: str) -> tuple[str | None, str | None]:
    """(formula, reduced_formula) of a written formula, or (None, None); see the module docstring for the rules."""
    a = _analyse(raw)
    if a is None or a.formula is None or not _formula_ok(a):
        return None, None
    return a.formula, a.reduced


# ---------------------------------------------------------------------------------------------------- formula acceptance


def _formula_ok(a: _Analysis) -> bool:
    """Context-free checks that a parsed token is meant as a formula."""
    if a.core in _FORMULA_STOP or a.core in _PARTIAL_PRESSURE:
        return False
    if _CAPS_PLURAL.match(a.core) and a.core not in _CAPS_PLURAL_OK:
        return False
    if len(a.elements) == 1:
        return _single_element_ok(a)
    if a.caps_only and a.core not in _CAPS_OK and not a.prefixed:
        return False
    if a.kind == "doped" and a.formula is None and _PLACEHOLDER_TOKEN.search(a.core):
        return any(ch.islower() for ch in a.core) or a.core in _TEMPLATES_OK
    if _caps_acronym_with_number(a.core) or _acronym_prefix(a.core):
        return False
    return True


def _single_element_ok(a: _Analysis) -> bool:
    if a.core in _MOLECULES or a.charged or a.prefixed:
        return True
    return a.core in ELEMENTS and len(a.core) == 2 and a.core not in _BARE_STOP  # "Pt", "Ni"; not "S1", "C", "II"


_CAPS_NUMBER = re.compile(r"^[A-Z]{3,}(\d+)$")
_CAPS_PLURAL = re.compile(r"^[A-Z]{2,}s\d*$")  # 'SOFCs', 'NCs' are plural acronyms, not S-O-F-Cs


def _acronym_prefix(core: str) -> bool:
    """'YBCO7', 'LSCO4': a known acronym with a number glued on, not a formula."""
    m = re.match(r"[A-Z]{3,}", core)
    return bool(m) and m.group() in _vocab()["acronyms"]


def _caps_acronym_with_number(core: str) -> bool:
    """'SCN20', 'BCN10': an acronym plus a percentage, not a molecule (CH4, NH3 have small counts)."""
    m = _CAPS_NUMBER.match(core)
    return bool(m) and int(m.group(1)) >= 10


# ---------------------------------------------------------------------------------------------------- finder: tokens

_CHUNK = re.compile(r"\S+")
_MAX_TOKEN = 160  # longer whitespace-free runs are not material mentions (and would make trimming quadratic)
_HAS_UPPER = re.compile(r"[A-Z]")
_ELEMISH = re.compile(r"^[(\[]?[A-Z][A-Za-z0-9().,\[\]+\-−–δ·•⋅∙']*$")
_SUB = re.compile(
    r"^(?:[0-9.xyzδ']{1,6}(?:[+\-−–À±][0-9.xyzδ']{1,6})?|\([0-9.]*[xyzδ]'?[+\-−–À±][0-9.xyzδ']{1,6}\))[,;:.]?$"
)
_DOTPART = re.compile(r"^[·•⋅∙*][0-9.xyzδn]*[A-Z]")
_SYMBOL_LIKE = re.compile(r"[A-Z][a-z]?")
_MOLECULE_SPACED = re.compile(r"C 60|C 70|[HNOF] 2\b|Cl 2|Br 2|I 2|O 3\b")
_BIG_NUMBER = re.compile(r"^\d{3,}")
_LONE_LETTERS = frozenset("YVWUKB")
_PAREN_WORD = re.compile(r"^\([A-Za-z0-9-]+\)[,;:.]?$")  # '(SFM)', '(LSCO)': a definition, not a formula group
_MINUS_VAR = re.compile(r" [−–-][xyzδ][A-Z]")
_MERGE_HINT = re.compile(r" [0-9xyzδ()·•⋅∙*−–\-']")
_CLOSE_SUB = re.compile(r"^\)+[0-9.xyzδ]{0,6}[,;:.]?$")
_CONTINUE = re.compile(r"^\)*[(\[]*[A-Z][A-Za-z0-9().,\[\]+\-−–δ·•⋅∙']*$")  # not '[268]' (a reference)
_UNIT_AFTER = re.compile(
    r"^(?:M|mM|mol|g|mg|kg|h|min|s|K|nm|µm|μm|mm|cm|m|mL|ml|L|%|wt\.?%|at\.?%|eV|meV|V|mV|mA|A|°C|°|GPa|MPa|kPa|Pa|T|"
    r"ppm|Å)"
    r"(?![A-Za-z])"
)
_OPENERS = "([{\"'“‘«"
_CLOSE_FOR = {"(": ")", "[": "]", "{": "}"}
_TRAIL = ".,;:!?\"'”’»"
_TRAIL_ALL = _TRAIL + ")]}-–s"
_SEPARATORS = re.compile(r"[/|]|\+(?=[A-Z(])|[-–—−](?=[A-Z0-9(]|[a-z]{3})")
_FAMILY = re.compile(r"^([A-Z][a-z]?)-?([0-4]{2,5})$")
_DOPANT_LIST = re.compile(
    r"^(?:\d+(?:\.\d+)?%?)?[A-Z][a-z]?\d?\+?[xyz0-9.]*(?:[,/](?:\d+(?:\.\d+)?%?)?[A-Z][a-z]?\d?\+?[xyz0-9.]*)*$"
)
_DOPANT_SYMBOL = re.compile(r"[A-Z][a-z]?")
_OXIDE_ACRONYM = re.compile(r"^[A-Z]{3,5}O$")
_ACRONYM_O = re.compile(r"^([A-Z][A-Za-z]{2,5}O)\s?(\d(?:\.\d+)?)$")
_NOT_OXIDES = frozenset("NATO ARPO UNESCO HOMO LUMO SOMO SUMO".split())  # frontier orbitals are no oxides
_INITIALS = frozenset(sym[0] for sym in _ELEMENT_LIST)
_NUMBERED_ACRONYM = re.compile(r"^\d{1,3}([A-Z].*)$")
_GLUED_WORD = re.compile(r"(?<=\d)[a-z]{4,}$")  # 'SnS2nanowire', 'TiO3thin'
_LEAD_PERCENT = re.compile(r"^\d+(?:\.\d+)?\s*(?:vol|mol|wt|at|v|m)?\.?%(?=[A-Z(])")


def _trim(tok: str) -> tuple[int, int]:
    """Offsets of the material core of a whitespace token: wrapping brackets, quotes and punctuation removed."""
    lo, hi = 0, len(tok)
    if tok[0] not in _OPENERS and tok[-1] not in _TRAIL_ALL and tok[0] not in "0123456789":
        return lo, hi
    changed = True
    while changed and lo < hi:
        changed = False
        while hi > lo and tok[hi - 1] in _TRAIL or (hi - lo > 2 and tok[hi - 1] in "-–"):
            hi -= 1
            changed = True
        if hi > lo and tok[hi - 1] in ")]}" and _unbalanced_close(tok[lo:hi]):
            hi -= 1
            changed = True
        if lo < hi and tok[lo] in _OPENERS and _unbalanced_open(tok[lo:hi]):
            lo += 1
            changed = True
        if hi - lo >= 2 and tok[lo] in "([" and _wraps(tok[lo:hi]):
            lo, hi = lo + 1, hi - 1
            changed = True
        m = _LEAD_PERCENT.match(tok, lo, hi)
        if m:
            lo, changed = m.end(), True
        if hi - lo > 3 and tok[hi - 2 : hi] in ("'s", "’s"):
            hi, changed = hi - 2, True
    return lo, hi


def _unbalanced_close(s: str) -> bool:
    return s.count(s[-1]) > s.count({")": "(", "]": "[", "}": "{"}[s[-1]])


def _unbalanced_open(s: str) -> bool:
    c = s[0]
    if c not in _CLOSE_FOR:
        return True
    return s.count(c) > s.count(_CLOSE_FOR[c])


def _wraps(s: str) -> bool:
    """True when s[0] and s[-1] are one matching bracket pair around everything."""
    if s[-1] != _CLOSE_FOR.get(s[0]):
        return False
    level = 0
    for i, ch in enumerate(s):
        if ch == s[0]:
            level += 1
        elif ch == s[-1]:
            level -= 1
            if level == 0 and i < len(s) - 1:
                return False
    return True


@lru_cache(maxsize=65536)
def _classify(core: str) -> MaterialInfo | None:
    """What a trimmed token means on its own (no context): acronym, family code, doped notation or formula."""
    v = _vocab()
    acr = v["acronyms"]
    for key in (core, core[:-1] if core.endswith("s") and len(core) > 3 else None):
        if key and key in acr:
            f = acr[key]
            return MaterialInfo(f, _reduced(f) if f else None, key, "acronym")
    oxygen = _acronym_oxygen(core)
    if oxygen is not None:
        return oxygen
    m = _FAMILY.match(core)
    if m and m.group(1) in ELEMENTS:
        known = v["family_codes"].get(m.group(1) + m.group(2))
        if known:
            return MaterialInfo(known[1], _reduced(known[1]), known[0], "acronym")
        if len(m.group(2)) >= 3 and "-" in core:
            return MaterialInfo(None, None, core, "acronym")
    if _OXIDE_ACRONYM.match(core) and core not in _NOT_OXIDES and all(ch in _INITIALS for ch in core):
        return MaterialInfo(None, None, core, "acronym")  # 'LNSCO', 'BKBO': element initials + O
    m = _NUMBERED_ACRONYM.match(core)
    if m and m.group(1) in acr:
        return MaterialInfo(None, None, core, "acronym")  # '8YSZ', '10ScSZ': mol% + acronym
    if ":" in core:
        return _colon_doped(core)
    a = _analyse(core)
    if a is None or not _formula_ok(a):
        return None
    return MaterialInfo(a.formula, a.reduced, None, a.kind)


def _acronym_oxygen(core: str) -> MaterialInfo | None:
    """'YBCO6.57', 'YBCO 7': an oxide acronym with its oxygen content -> YBa2Cu3O6.57."""
    m = _ACRONYM_O.match(core)
    if not m:
        return None
    base = _vocab()["acronyms"].get(m.group(1))
    if not base or not re.search(r"O\d*(?:\.\d+)?$", base):
        return None
    formula = re.sub(r"O\d*(?:\.\d+)?$", "O" + m.group(2), base)
    reduced = _reduced(formula)
    return MaterialInfo(formula, reduced, m.group(1), "acronym") if reduced else None


def _colon_doped(core: str) -> MaterialInfo | None:
    """'SrTiO3:Nb', 'Y2O3:Eu3+', 'NaYF4:Yb,Er', 'Nd:YAG', 'ZnS:Ag:Co' -> doped, name 'host:dopants'."""
    host, dopants = None, []
    for part in core.split(":"):
        info = _host_info(part)
        if info is not None and host is None:
            host = info
            continue
        found = _colon_dopants(part)
        if not found:
            return None
        dopants += found
    if host is None or not dopants:
        return None
    label = host.formula if host.formula and host.kind != "acronym" else host.name or host.formula
    return MaterialInfo(None, None, f"{label}:{','.join(dict.fromkeys(dopants))}", "doped")


def _host_info(part: str) -> MaterialInfo | None:
    if not part or ":" in part:
        return None
    info = _classify(part)
    if info is None:
        return None
    if info.kind == "acronym":
        return info
    a = _analyse(part)
    return info if a is not None and len(a.elements) >= 2 else None


def _colon_dopants(part: str) -> list[str]:
    part = part.translate(_TRANS)
    if not _DOPANT_LIST.match(part) or part in _MOLECULES:
        return []
    symbols = _DOPANT_SYMBOL.findall(part)
    return symbols if all(x in ELEMENTS for x in symbols) else []


def _is_bare_symbol(core: str) -> bool:
    return core in ELEMENTS


# ---------------------------------------------------------------------------------------------------- finder: context

_SENT_END = re.compile(r"[.!?](?=\s+[A-Z(\[])|\n")
_ABBREV = re.compile(r"(?<![A-Za-z])(?:i\.e|e\.g|al|Figs?|Eqs?|Refs?|ca|approx|resp|vs|cf|No|Tab|Sec|etc)\.$")
_ASSIGN_ANY = re.compile(
    r"(?<![A-Za-z])([xyzδ])\s*([=≤≥<>~≈])\s*(\d+(?:\.\d+)?(?:/\d+)?)(\s*(?:,|and|or|to|-|–|~)\s*\d)?"
)
_RANGE_BEFORE = re.compile(r"\d\s*[≤<]\s*([xyzδ])(?![A-Za-z])")
_AFTER_BARE_REJECT = re.compile(
    r"(?:\s*,?\s*[A-Z]\.|\s+et\s+al|\s+\d[spdf](?![a-z])|\s+K[αβ]|\s+K-?alpha|\s*[-\s][KLM]\d?-?edge|\.,?\s*(?:Ltd|Inc|KG|LLC|Limited))"
)
_CONSTITUENT_BEFORE = re.compile(
    r"(?:orbitals?|atoms?|ions?|sites?|content|substitution|spins?|moments?|states?|nuclei|nucleus)\s+(?:of|on|at)\s+$",
    re.I,
)
_RATIO_AFTER = re.compile(r"\s*[:/]\s*[A-Z][a-z]?\s+(?:ratio|site)")
_EQUALS_AFTER = re.compile(r"\s*=\s*[\d−-]")
_BEFORE_BARE_REJECT = re.compile(r"(?:\b[A-Z]\.\s*(?:-\s*[A-Z]\.\s*)?|\d\s*|&\s)$")  # 'X. Li', '10 Pa', '& Co'
_MATERIAL_AFTER = re.compile(
    r"\s*[-–,/)]|\d?\+|\s+(?:and|or)\s+[A-Z][a-z]?(?![a-z])|\s+(?:metal|foils?|films?|nanoparticles|alloys?|"
    r"substrates?|wires?|electrodes?|powders?|crystals?)(?![a-z])"
)
_CONSTITUENT_AFTER = re.compile(
    r"[\s-]+(?:atoms?|ions?|sites?|contents?|concentrations?|substitutions?|substituents?|spins?|moments?|vacanc(?:y|ies)|"
    r"deficiency|deficient|stoichiometry|non-?stoichiometry|positions?|orbitals?|d-bands?|bands?|states|sublattices?|"
    r"planes?|chains?|ordering|occupancy|partial\s+pressure|pressure|flow|evolution|reduction|isotopes?|"
    r"ratios?|loss|uptake|permeation|diffusion|exchange|transport|incorporation|doping|dopants?|[\d.]+d|"
    r"[\d.]*[spdf]-?(?:electrons?|orbitals?|states|bands?)|anvil|mobility|stoichiometric|excess|amount|"
    r"source|precursors?|salts?|nitrate|acetate|chloride)(?![A-Za-z])",
    re.I,
)
_STRUCTURAL_AFTER = re.compile(
    r"[\s-]+(?:planes?|chains?|octahedr\w*|tetrahedr\w*|polyhedr\w*|ladders?|dimers?|trimers?|sites?|bonds?|groups?|"
    r"sublattices?|units?|moiet(?:y|ies)|ions?|anions?|cations?|species|radicals?|complex(?:es)?|clusters?|"
    r"vacanc(?:y|ies)|blocks?|sheets?\s+of|reservoirs?|stacks?|spacers?|(?:di|tri|tetra|oligo|poly)?mers?)"
    r"(?![A-Za-z])",
    re.I,
)
_BARE_AFTER_ANY = re.compile(
    "|".join(f"(?:{r.pattern})" for r in (_AFTER_BARE_REJECT, _RATIO_AFTER)) + f"|(?i:{_CONSTITUENT_AFTER.pattern})"
)


class _Context:
    """Lazily computed facts about the whole text: sentence bounds and per-sentence variable values."""

    def __init__(self, text: str):
        self.text = text
        self._ends: list[int] | None = None
        self._values: dict[int, dict[str, float]] = {}

    def sentence(self, pos: int) -> tuple[int, int]:
        if self._ends is None:
            t = self.text
            self._ends = [
                m.end() for m in _SENT_END.finditer(t) if not _ABBREV.search(t, max(0, m.start() - 7), m.end())
            ]
        k = bisect.bisect_right(self._ends, pos)
        start = self._ends[k - 1] if k > 0 else 0
        end = self._ends[k] if k < len(self._ends) else len(self.text)
        return start, end

    def values(self, pos: int) -> dict[str, float]:
        start, end = self.sentence(pos)
        if start not in self._values:
            self._values[start] = _sentence_values(self.text[start:end])
        return self._values[start]

    def sentence_start(self, pos: int) -> bool:
        before = self.text[max(0, pos - 3) : pos].rstrip(" \t\"'“(")
        return not before or before[-1] in ".!?\n:" or self.sentence(pos)[0] >= pos - 2


def _sentence_values(sentence: str) -> dict[str, float]:
    """Variable values stated once in a sentence ('x = 0.15'); lists and ranges give none."""
    values: dict[str, float | None] = {}
    for m in _ASSIGN_ANY.finditer(sentence):
        var, op, val = m.group(1), m.group(2), _number(m.group(3))
        if op != "=" or m.group(4) or (var in values and values[var] != val):
            values[var] = None
        else:
            values[var] = val
    for m in _RANGE_BEFORE.finditer(sentence):
        values[m.group(1)] = None
    return {k: v for k, v in values.items() if v is not None}


def _bare_ok(text: str, start: int, end: int, ctx: _Context) -> bool:
    """Context checks for a lone two-letter element symbol."""
    if _BARE_AFTER_ANY.match(text, end):
        return False
    if text[start:end] in _COLLISION and (ctx.sentence_start(start) or not _MATERIAL_AFTER.match(text, end)):
        return False
    before = text[max(0, start - 3) : start]
    if before.endswith(("of ", "on ", "at ")) and _CONSTITUENT_BEFORE.search(text, max(0, start - 24), start):
        return False  # '3d orbitals of Fe'
    if before[-1:] in (" ", "&") and (before[-2:-1].isdigit() or "&" in before or before[-2:-1] == "."):
        return not _BEFORE_BARE_REJECT.search(text, max(0, start - 8), start)  # '10 Pa', '& Co', 'X. Li'
    return True


_GASES = frozenset("oxygen hydrogen nitrogen fluorine chlorine deuterium".split())
_GAS_NEXT = re.compile(r"[\s-]+([A-Za-z]+)")
_GAS_OK_NEXT = frozenset(
    "gas gases atmosphere atmospheres plasma and or at in on with was is were are to for from as by of under over into "
    "than via which that while has have had can doped co codoped substituted implanted".split()
)


def _element_word_rejected(text: str, phrase: str, end: int) -> bool:
    """'oxygen vacancies', 'iron atoms'; for gases any noun use ('oxygen electrode', 'hydrogen desorption')."""
    if _constituent_after(text, end):
        return True
    if phrase in _GASES:
        m = _GAS_NEXT.match(text, end)
        return bool(m) and m.group(1).lower() not in _GAS_OK_NEXT
    return False


def _constituent_after(text: str, end: int) -> bool:
    """'Cu spins', 'Na content', 'oxygen vacancies', 'Zn doping': the element as a constituent, not a material."""
    return bool(_CONSTITUENT_AFTER.match(text, end))


def _structural_after(text: str, end: int) -> bool:
    """'CuO2 planes', 'OsO6 octahedra', 'OH groups': a structural unit, not a material."""
    return bool(_STRUCTURAL_AFTER.match(text, end))


# ---------------------------------------------------------------------------------------------------- finder: candidates


class _Cand(NamedTuple):
    start: int
    end: int
    info: MaterialInfo | None  # None: a blocker (material class), never emitted
    prio: int


def _mention(text: str, c: _Cand) -> MaterialMention:
    i = c.info
    return MaterialMention(c.start, c.end, text[c.start : c.end], i.formula, i.reduced_formula, i.name, i.kind)


def _token_candidates(text: str, ctx: _Context) -> list[_Cand]:
    spans = [
        (m.start(), m.end())
        for m in _CHUNK.finditer(text)
        if len(m.group()) <= _MAX_TOKEN and _HAS_UPPER.search(m.group())
    ]
    out: list[_Cand] = []
    i, no_merge_before = 0, -1
    while i < len(spans):
        s, e = spans[i]
        merged = None
        if s >= no_merge_before and (_MERGE_HINT.match(text, e) or text[e - 1] in "xyzδ" or text[s:e] in _LONE_LETTERS):
            merged = _merge_spaced(text, spans, i, ctx)
        if isinstance(merged, int):
            no_merge_before, merged = merged, None  # no start inside that run can merge either
        if merged is not None:
            cand, i = merged
            out.append(cand)
            continue
        out.extend(_chunk_candidates(text, s, e, ctx))
        i += 1
    return out


def _merge_spaced(text: str, spans, i: int, ctx: _Context):
    """'La 2−x Sr x CuO 4', 'HgBa2CuO 4+δ', 'Na x CoO 2 ⋅yH 2 O': one formula written with spaced subscripts."""
    s, e = spans[i]
    first = text[s:e].lstrip("([")
    m = _HYPHEN_PREFIX.match(first)
    if m:
        first = first[m.end() :]
    if not first or not _ELEMISH.match(first) or first in _COLLISION:
        return None
    if first[-1] in "xyzδ" or first in _LONE_LETTERS:
        last_sub = True  # 'BaZr1−x YxO3', 'Y Ba 2 Cu 3 O 7': the next token continues the formula
    elif first[-1].isalpha() or first[-1] in ")]":
        last_sub = False
    elif first[-1].isdigit() and _MINUS_VAR.match(text, e):
        last_sub = False  # 'Zn1 −xCuxO'
    else:
        return None
    ends, pos = [], e
    while len(ends) < 15 and text[pos : pos + 1] == " ":
        m = _CHUNK.match(text, pos + 1)
        if m is None:
            break
        tok = m.group()
        kind = _piece_kind(tok)
        if kind == "sub" and _BIG_NUMBER.match(tok):
            break  # 'At 300 K': a quantity, not a subscript
        if kind == "close":
            last_sub = tok.rstrip(",;:.")[-1] in "0123456789xyzδ"
        elif kind == "sub" and not last_sub:
            last_sub = True
        elif kind == "dot" or (kind == "cont" and last_sub):
            last_sub = tok.rstrip(",;:.")[-1:].isdigit()
        else:
            break
        pos = m.end()
        ends.append(pos)
        if tok[-1] in ",;:.":
            break
    if not ends:
        return None
    if len(set(_SYMBOL_LIKE.findall(text, s, ends[-1]))) < 2 and not _MOLECULE_SPACED.match(text, s):
        return ends[-1]
    for end in reversed(ends[-6:]):
        if _UNIT_AFTER.match(text[end : end + 8].lstrip()) and _SUB.match(text[text.rfind(" ", s, end) + 1 : end]):
            continue
        lo, hi = _trim(text[s:end])
        core = text[s + lo : s + hi]
        if " " not in core:
            continue
        info = _formula_info(core, s + lo, ctx)
        if info is None:
            continue
        a = _analyse(core)
        if a is not None and len(a.elements) < 2 and a.core not in _MOLECULES:
            continue
        j = i
        while j < len(spans) and spans[j][0] < end:
            j += 1
        if not _keep(text, s + hi, info):
            return _Cand(s + lo, s + hi, None, 1), j  # 'CuO 2 planes': block 'CuO' too
        return _Cand(s + lo, s + hi, info, 1), j
    return None


@lru_cache(maxsize=16384)
def _piece_kind(tok: str) -> str | None:
    """How a token after a formula chunk can continue it: 'sub' (2−x), 'close' ()3), 'dot' (·yH), 'cont' (Sr)."""
    if _CLOSE_SUB.match(tok):
        return "close"
    if _SUB.match(tok):
        return "sub"
    if _lex(_piece(tok)) is None or _PAREN_WORD.match(tok):
        return None
    if _DOTPART.match(tok):
        return "dot"
    return "cont" if _CONTINUE.match(tok) or _MINUS_VAR.match(" " + tok) else None


def _piece(tok: str) -> str:
    """A continuation token as formula text: translated, brackets and trailing punctuation removed."""
    return tok.translate(_TRANS).strip("()[],;:.·*").replace("À", "-").replace("'", "")


def _formula_info(core: str, pos: int, ctx: _Context) -> MaterialInfo | None:
    """Formula info of a core, with the sentence's variable values substituted where the formula needs them."""
    oxygen = _acronym_oxygen(core)
    if oxygen is not None:
        return oxygen
    a = _analyse(core)
    if a is None or not _formula_ok(a):
        return None
    if a.formula is None and a.kind == "doped":
        values = ctx.values(pos)
        if values:
            b = _analyse(core, tuple(sorted(values.items())))
            if b is not None and b.formula:
                a = b
    return MaterialInfo(a.formula, a.reduced, None, a.kind)


def _chunk_candidates(text: str, s: int, e: int, ctx: _Context) -> list[_Cand]:
    tok = text[s:e]
    lo, hi = _trim(tok)
    if hi <= lo:
        return []
    core, start = tok[lo:hi], s + lo
    m = _PAREN_ACRONYM.search(core)
    if m and m.start() > 0 and _looks_like_acronym(m.group(1)):
        core = core[: m.start()]  # 'Ba0.8Sr0.2TiO3(BST)': the acronym is a definition, not part of the formula
    info = _core_info(text, core, start, ctx)
    if info is not None:
        return [_Cand(start, start + len(core), info, 2)] if _keep(text, start + len(core), info) else []
    m = _PAREN_ACRONYM.search(core) or _GLUED_WORD.search(core)
    if m and m.start() > 0:
        head = core[: m.start()]
        info = _core_info(text, head, start, ctx)
        if info is not None:
            return [_Cand(start, start + len(head), info, 2)]
    return _split_candidates(text, core, start, ctx)


def _keep(text: str, end: int, info: MaterialInfo) -> bool:
    """Drop formulas naming a structural unit ('CuO2 planes') or a variable ('PAr = 1 Torr'); ions stay."""
    if info.kind in ("formula", "doped") and _EQUALS_AFTER.match(text, end):
        return False
    if info.kind not in ("formula", "doped") or info.name or (info.formula and len(info.formula) <= 2):
        return True  # acronyms, names and bare symbols (checked by _bare_ok) are kept
    if text[end - 1 : end] in "+−-⁺⁻":
        return True
    return not _structural_after(text, end)


def _core_info(text: str, core: str, start: int, ctx: _Context) -> MaterialInfo | None:
    if len(core) > 120 or not _HAS_UPPER.search(core):
        return None
    if _is_bare_symbol(core):
        if len(core) == 2 and core not in _BARE_STOP and _bare_ok(text, start, start + len(core), ctx):
            return MaterialInfo(core, core, None, "formula")
        return None
    info = _classify(core)
    if info is not None and info.kind == "doped" and info.formula is None and not info.name:
        info = _formula_info(core, start, ctx) or info
    return info


def _split_candidates(text: str, core: str, start: int, ctx: _Context) -> list[_Cand]:
    """'Ni-YSZ', 'LiFePO4/C', 'GDC/YSZ' -> one composite; 'ZnO-based' -> 'ZnO'."""
    if ":" in core:
        return _colon_parts(core, start)
    cuts = [0]
    for m in _SEPARATORS.finditer(core):
        cuts += [m.start(), m.end()]
    if len(cuts) == 1:
        return []
    cuts.append(len(core))
    parts = [_strip_brackets(core, cuts[k], cuts[k + 1]) for k in range(0, len(cuts), 2)]
    infos = [_part_info(core[a:b]) for a, b in parts]
    strong = [i for i in infos if i is not None and i != "bare" and i != "letter"]
    alloy = (
        all(i == "bare" for i in infos)
        and not re.search(r"[/|]", core)
        and len({core[a:b] for a, b in parts}) == len(parts)
    )  # 'Ni-Fe', 'Ti+Pt'; not 'La/Sr', 'La-La'
    if all(i is not None for i in infos) and (strong or alloy) and len(parts) >= 2:
        name = re.sub(r"[–—−]", "-", core)
        return [_Cand(start, start + len(core), MaterialInfo(None, None, name, "name"), 2)]
    out = []
    for k, ((a, b), info) in enumerate(zip(parts, infos, strict=True)):
        if info == "bare" and _beside_strong(core, parts, infos, k):
            info = MaterialInfo(core[a:b], core[a:b], None, "formula")  # 'YSZ)/Pt', 'Pt/yttria-...'
        if isinstance(info, MaterialInfo):
            out.append(_Cand(start + a, start + b, info, 2))
    return out


def _strip_brackets(core: str, a: int, b: int) -> tuple[int, int]:
    """A part's span without unbalanced brackets: 'YSZ)' -> 'YSZ'."""
    while a < b and core[a] in "([" and _unbalanced_open(core[a:b]):
        a += 1
    while b > a and core[b - 1] in ")]" and _unbalanced_close(core[a:b]):
        b -= 1
    return a, b


def _beside_strong(core: str, parts, infos, k: int) -> bool:
    """A bare symbol joined by '/', '|' or '+' to a real material part."""
    for j in (k - 1, k + 1):
        if 0 <= j < len(parts) and isinstance(infos[j], MaterialInfo):
            between = core[min(parts[j][1], parts[k][1]) : max(parts[j][0], parts[k][0])]
            if between.strip("()[]") in ("/", "|", "+"):
                return True
    return False


def _colon_parts(core: str, start: int) -> list[_Cand]:
    """'H2:H2O' (a ratio) -> two formulas."""
    out, pos = [], 0
    for part in core.split(":"):
        info = _part_info(part)
        if isinstance(info, MaterialInfo):
            out.append(_Cand(start + pos, start + pos + len(part), info, 2))
        pos += len(part) + 1
    return out


def _part_info(part: str):
    """A composite part: MaterialInfo, 'bare' (Ni), 'letter' (C), or None."""
    if not part:
        return None
    if part in ELEMENTS:
        return (
            "bare"
            if len(part) == 2 and part not in _BARE_STOP and part not in _COLLISION
            else ("letter" if part == "C" else None)
        )
    known, formula = _lookup_name(part)
    if known and part.islower():
        return MaterialInfo(formula, _reduced(formula) if formula else None, part.lower(), "name")
    info = _classify(part)
    if info is None and part[0].isdigit():
        m = re.match(r"^\d{1,2}(?=[A-Z])", part)  # '8YSZ', '40CGO'
        if m and _classify(part[m.end() :]) is not None:
            return MaterialInfo(None, None, part, "acronym")
    return info


# ---------------------------------------------------------------------------------------------------- finder: names


def _trie_pattern(words) -> str:
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node) -> str:
        alts = [(r"\s+" if ch == " " else re.escape(ch)) + build(node[ch]) for ch in sorted(k for k in node if k)]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return build(trie)


@cache
def _name_regex() -> re.Pattern:
    v = _vocab()
    words = set(v["names"]) | set(v["elements"]) | set(v["classes"])
    return re.compile(r"(?<![A-Za-z0-9])(" + _trie_pattern(words) + r")s?(?![A-Za-z0-9])", re.I)


@cache
def _anion_regex() -> re.Pattern:
    return re.compile(r"(?<![A-Za-z])(" + _trie_pattern(_vocab()["anions"]) + r")(?![A-Za-z])", re.I)


@cache
def _classes() -> frozenset:
    return frozenset(_vocab()["classes"])


def _name_candidates(text: str) -> list[_Cand]:
    out = []
    classes = _classes()
    for m in _name_regex().finditer(text):
        phrase = " ".join(m.group(1).lower().split())
        if phrase in classes or m.group().lower() in classes:
            out.append(_Cand(m.start(), m.end(), None, 0))
            continue
        g = m.group(1)
        if not (g.islower() or g[0].isupper() and g[1:].islower() or g[0].isupper() and len(g) == 1):
            continue  # 'TiN' is a formula, 'IRON' a heading
        known, formula = _lookup_name(phrase)
        if known and phrase in _vocab()["elements"] and _element_word_rejected(text, phrase, m.end()):
            continue
        if known:
            info = MaterialInfo(formula, _reduced(formula) if formula else None, phrase, "name")
            out.append(_Cand(m.start(), m.end(), info, 3))
    return out


_WORD_BEFORE = re.compile(r"([A-Za-z]+)[\s-]+$")


def _chemical_name_candidates(text: str) -> list[_Cand]:
    """'barium zirconate', 'lanthanum strontium cobalt ferrite', 'cuprous oxide': element words + anion word."""
    v = _vocab()
    words = {**v["elements"], **{k: w for k, w in v["element_words"].items()}}
    out = []
    for m in _anion_regex().finditer(text):
        start, count = m.start(), 0
        while count < 4:
            w = _WORD_BEFORE.search(text, max(0, start - 40), start)
            if not w or w.group(1).lower() not in words:
                break
            start, count = w.start(), count + 1
        if count == 0:
            continue
        phrase = " ".join(re.split(r"[\s-]+", text[start : m.end()].lower()))
        known, formula = _lookup_name(phrase)
        info = MaterialInfo(
            formula if known else None, _reduced(formula) if known and formula else None, phrase, "name"
        )
        out.append(_Cand(start, m.end(), info, 3))
    return out


# ---------------------------------------------------------------------------------------------------- finder: assembly


def _pick(cands: list[_Cand]) -> list[_Cand]:
    """Non-overlapping candidates: within each cluster of overlaps, longest first, then priority."""
    cands = sorted(cands, key=lambda c: (c.start, -c.end))
    picked: list[_Cand] = []
    k = 0
    while k < len(cands):
        cluster, end = [cands[k]], cands[k].end
        k += 1
        while k < len(cands) and cands[k].start < end:
            cluster.append(cands[k])
            end = max(end, cands[k].end)
            k += 1
        if len(cluster) == 1:
            picked.append(cluster[0])
            continue
        chosen: list[_Cand] = []
        for c in sorted(cluster, key=lambda c: (-(c.end - c.start), c.prio, c.start)):
            if all(c.end <= o.start or c.start >= o.end for o in chosen):
                chosen.append(c)
        picked.extend(sorted(chosen, key=lambda c: c.start))
    return picked


_DOPED_TAIL = re.compile(
    r"(?P<co>co-?)?(?:doped|substituted|stabili[sz]ed|intercalated)[\s-]+(?:(?:thin|single|single-crystal(?:line)?|"
    r"crystalline|polycrystalline|nanocrystalline|bulk|epitaxial|porous|mesoporous|nanostructured|amorphous|"
    + _PHASE_WORDS
    + r")[\s-]+){0,2}$",
    re.I,
)
_DOP_ITEM = re.compile(
    r"(?:^|(?<=[\s(\[/,;]))(?:\d+(?:\.\d+)?\s*(?:mol|at|wt|m)?\.?\s*%\s*)?(?:[A-Z][a-z]?(?:\d?\+)?|[A-Za-z][a-z]{2,})[\s-]*$"
)
_DOP_SEP = re.compile(r"\s*(?:,|and|&|/|\+)\s*$")
_PHASE_SET = frozenset(
    "anatase rutile brookite wurtzite blende zincblende rock salt rocksalt cubic tetragonal orthorhombic hexagonal "
    "monoclinic trigonal rhombohedral amorphous".split()
)
_PHASE_BEFORE = re.compile(r"(?:^|(?<=[\s(]))(?:" + _PHASE_WORDS + r")[\s-]+$", re.I)


def _dopant_prefix(before: str) -> tuple[int, list[str]] | None:
    """Start offset and symbols of 'Nb-', 'Ba, Mg-co', 'gadolinium-', '5 mol% Eu3+ ' + 'doped ' at the end of before."""
    tail = _DOPED_TAIL.search(before)
    if not tail:
        return None
    found = _dopant_items(before, tail.start())
    if not found and tail.group("co"):
        found = _dopant_items(before, tail.start("co") + len(tail.group("co")))  # 'Co-doped' is cobalt
    return found


def _dopant_items(before: str, pos: int) -> tuple[int, list[str]] | None:
    start, symbols = None, []
    while True:
        item = _DOP_ITEM.search(before, 0, pos)
        found = _dopant_symbols(item.group()) if item else None
        if not found:
            break
        start, symbols = item.start(), found + symbols
        sep = _DOP_SEP.search(before, 0, item.start())
        if not sep:
            break
        pos = sep.start()
    return (start, symbols) if symbols else None


_DOPED_WITH_AFTER = re.compile(
    r"\s+(?:(?:is|was|were|are)\s+)?(?:co-?)?doped\s+with\s+(?:\d+(?:\.\d+)?\s*(?:mol|at|wt)?\.?\s*%\s*)?"
    r"(?P<dop>[A-Z][a-z]?(?:\d?\+)?|[a-z]{4,})(?![A-Za-z])"
)
_OXIDE_DOPANTS = {
    "yttria": "Y",
    "scandia": "Sc",
    "gadolinia": "Gd",
    "samaria": "Sm",
    "ceria": "Ce",
    "calcia": "Ca",
    "magnesia": "Mg",
    "alumina": "Al",
    "lanthana": "La",
    "ytterbia": "Yb",
    "titania": "Ti",
}


def _dopant_symbols(s: str) -> list[str] | None:
    """Symbols for one dopant item: 'Nb', 'Eu2+', '5 mol% Gd', 'gadolinium', 'yttria'; None otherwise."""
    v = _vocab()
    w = re.sub(r"^\d+(?:\.\d+)?\s*(?:mol|at|wt|m)?\.?\s*%\s*", "", s.strip(" -"))
    w = re.sub(r"\d?\+$", "", w)
    if w in ELEMENTS:
        return [w]
    if w.lower() in v["elements"]:
        return [v["elements"][w.lower()]]
    if w.lower() in _OXIDE_DOPANTS:
        return [_OXIDE_DOPANTS[w.lower()]]
    return None


def _attach_dopants(text: str, picked: list[_Cand]) -> list[_Cand]:
    """'Nb-doped SrTiO3', 'SrTiO3 doped with Nb' -> one doped mention; 'anatase TiO2' -> one formula mention."""
    out: list[_Cand] = []
    for c in picked:
        new = _extend(text, c, 0) if c.info is not None else c
        if out and out[-1].start < new.start < out[-1].end:
            new = _extend(text, c, out[-1].end)  # would cut the previous mention: stay after it
        if new is not c:
            while out and out[-1].start >= new.start:
                out.pop()
        out.append(new)
    return _drop_swallowed(out)


def _extend(text: str, c: _Cand, floor: int) -> _Cand:
    if c.info.kind == "doped" and c.info.name and ":" in c.info.name:
        return c
    window = max(floor, c.start - 60)
    if text[c.start - 1 : c.start] in ("-", " "):
        before = text[window : c.start]
        if "oped" in before or "tabili" in before or "ubstitu" in before or "ntercal" in before:
            found = _dopant_prefix(before)
            if found:
                return _Cand(window + found[0], c.end, _doped_info(c.info, found[1]), c.prio)
        last = before.rstrip(" -").rsplit(None, 1)[-1:]
        if c.info.kind == "formula" and last and last[0].lower().rsplit("-", 1)[-1] in _PHASE_SET:
            phase = _PHASE_BEFORE.search(before)
            if phase:
                return _Cand(window + phase.start(), c.end, c.info, c.prio)
    if text.find("doped", c.end, c.end + 24) >= 0:
        m = _DOPED_WITH_AFTER.match(text, c.end)
        found = _dopant_symbols(m.group("dop")) if m else None
        if found:
            return _Cand(c.start, m.end(), _doped_info(c.info, found), c.prio)
    return c


def _drop_swallowed(cands: list[_Cand]) -> list[_Cand]:
    out: list[_Cand] = []
    for c in cands:
        if out and c.start < out[-1].end:
            continue
        out.append(c)
    return out


def _doped_info(host: MaterialInfo, dopants: list[str]) -> MaterialInfo:
    if host.name and host.kind == "name" and host.formula is None:
        label = host.name
    else:
        label = host.formula or host.name
    return MaterialInfo(None, None, f"{label}:{','.join(dict.fromkeys(dopants))}", "doped")


_DOPED_SAMPLES = re.compile(
    r"(?<![\w-])([A-Z][a-z]?|[a-z]{3,12})[- ](?:co-?)?(?:doped|substituted)(?=\s+(?:(?:single|thin|bulk|polycrystalline|"
    r"poly)\s+)?(?:samples?|films?|crystals?|compounds?|specimens?|ceramics?|powders?|nanoparticles|materials?|ones)\b)"
)


def _doped_sample_candidates(text: str) -> list[_Cand]:
    """'Ni-doped samples': a doped material whose host is not named here; name 'Ni-doped'."""
    out = []
    for m in _DOPED_SAMPLES.finditer(text):
        found = _dopant_symbols(m.group(1))
        if found:
            out.append(_Cand(m.start(), m.end(), MaterialInfo(None, None, f"{found[0]}-doped", "doped"), 4))
    return out


def find_materials(text: str) -> list[MaterialMention]:
    """All material mentions in a text, in order, non-overlapping; see the module docstring."""
    ctx = _Context(text)
    cands = _token_candidates(text, ctx) + _name_candidates(text) + _chemical_name_candidates(text)
    if "doped" in text or "substituted" in text:
        cands += _doped_sample_candidates(text)
    picked = _attach_dopants(text, _pick(cands))
    return [_mention(text, c) for c in picked if c.info is not None and not _broken_word(text, c.start, c.end)]


# "Gold- stone modes", "Tin- kham": a name word split by a line-end hyphen of the PDF text is part of another word
_BROKEN_WORD_AFTER = re.compile(
    r"-\s+(?!(?:doped|based|substituted|free|rich|poor|containing|coated|deficient|intercalated|and|or)\b)[a-z]{2,}"
)


def _broken_word(text: str, start: int, end: int) -> bool:
    word = text[start:end]
    return len(word) > 2 and word.isalpha() and _BROKEN_WORD_AFTER.match(text, end) is not None


# ---------------------------------------------------------------------------------------------------- document


_DEF_PAREN = re.compile(
    r"\(\s*(?:(?:hereafter|henceforth)\s+)?(?:(?:denoted|abbreviated|referred\s+to|named|labell?ed|termed|called|"
    r"designated)\s+(?:as\s+)?)?(?P<key>(?:[Ss]ample\s+|[Ff]ilm\s+|[Ss]pecimen\s+)?[A-Za-z0-9#][A-Za-z0-9\-+/.']{0,14}?)"
    r"\s*\)"
)
_DEF_AFTER = re.compile(
    r"(?:\s+[a-z][a-z-]*){0,3}\s*,?\s*(?:(?:which\s+(?:is|was|will\s+be)|hereafter|henceforth)\s+)?(?:denoted|abbreviated|referred\s+to|"
    r"named|labell?ed|termed|designated)\s+(?:as\s+)?[\"“]?(?P<key>[A-Za-z0-9][A-Za-z0-9\-+/']{0,14})"
)
_KEY_OK = re.compile(r"^(?=.*[A-Z])(?:(?:[Ss]ample|[Ff]ilm|[Ss]pecimen)\s+)?[A-Za-z0-9#][A-Za-z0-9\-+/']*$")
_LABEL = re.compile(r"^(?:[A-Z]{1,2}-?\d{1,3}[a-z]?|#\d+|(?:[Ss]ample|[Ff]ilm|[Ss]pecimen)\s+[A-Z0-9#][\w-]*)$")
_LABEL_CONTEXT = re.compile(
    r"(?:sample|film|specimen|crystal|powder|pellet|ceramic|membrane|electrode|cathode|anode|catalyst|composite|"
    r"coating|layer|device|cell)s?\b[^.;()]{0,40}$",
    re.I,
)
_SAMPLE_REF = re.compile(
    r"^(?:the\s+)?(?:(?:sample|film|specimen|crystal)s?\s+(?:with\s+)?)?(?P<var>[xyzδ])\s*=\s*(?P<val>\d+(?:\.\d+)?(?:/\d+)?)"
    r"(?:\s+(?:sample|film|specimen|crystal)s?)?$",
    re.I,
)
_NUMV = r"\d+(?:\.\d+)?(?:/\d+)?"
_SAMPLE_VAR = re.compile(
    rf"(?<![\w.−-])(?:{_NUMV}\s*[<≤]\s*)?(?:1\s?[-−]\s?)?(?P<var>[xyzδ])(?:\s?(?:opt|[A-Z][a-z]?))?\s*(?:=|≤|<|≥|>|≈|∼|~)\s*{_NUMV}"
    rf"(?:\s*(?:,|and|or|to|[-–~∼]|,\s*and)\s*{_NUMV}(?![\w]|\.\d))*(?![\w]|\.\d|\s*(?:[KT]\b|GPa|eV|meV|%|nm|K−|mol))"
)
# a composition value named as the sample a statement is about, even where the paragraph shows no variable formula:
# "T c = 22 K at x = 1/8", "for x = 0.5", "(y=0.93)", "x=0.22 (T c = 27.4 K)"
_SAMPLE_CUE_BEFORE = re.compile(r"(?:\b(?:for|at|with|in|of)\s+(?:the\s+|a\s+)?|\(\s*)$", re.I)
_SAMPLE_CUE_AFTER = re.compile(r"\s*(?:\(\s*T|\)|,?\s*respectively)")
_SAMPLE_LIST_HEAD = re.compile(r"^(?P<var>[xyzδ])\s*=\s*")
_SAMPLE_NOUN = re.compile(r"\s*(?:sample|film|crystal|specimen|compound|powder|ceramic)s?\b", re.I)
_LONG_STOP = re.compile(r"[,;:()\[\]]|\b(?:of|for|and|with|in|on|by|the|a|an|as|using)\s")
_FIGURE_BEFORE = re.compile(r"(?:Fig\.|Figs\.|Figure|Table|Eq\.|Section|Note|Movie|Supplementary)\s*$", re.I)
_CLOSE_AFTER = re.compile(r"\s*\)")
_ACRONYM_BEFORE = re.compile(r"([A-Za-z0-9][A-Za-z0-9\-+/']{1,14})\s*$")


class DocumentMaterials:
    """Per-document definitions: acronyms, named formulas and sample labels, learned paragraph by paragraph."""

    def __init__(self) -> None:
        self.definitions: dict[str, MaterialInfo] = {}
        self.variable_formulas: list[str] = []  # raw variable formulas, in order of appearance
        self._regex: re.Pattern | None = None
        self.polymers = False  # a paper on polymers: 'PBDTTT-C-T', 'P1', 'P2' name polymers
        self._polymer_words = 0

    # -- learning

    def learn(self, text: str) -> None:
        """Read one paragraph (in document order) and remember the definitions made in it."""
        self._polymer_words += len(re.findall(r"polymer", text, re.I))
        self.polymers = self._polymer_words >= POLYMER_PAPER
        mentions = self.find(text)
        index = _MentionIndex(mentions)
        for m in mentions:
            if m.kind == "doped" and _has_variable(m.raw) and m.raw not in self.variable_formulas:
                self.variable_formulas.append(m.raw)
        for m in mentions:
            self._learn_wrapped(text, m, index)
            a = _DEF_AFTER.match(text, m.end)
            if a and _KEY_OK.match(a.group("key")):
                self._define(a.group("key"), _named(m))
        for p in _DEF_PAREN.finditer(text):
            self._learn_paren(text, p, index)

    def _learn_wrapped(self, text: str, m: MaterialMention, index: _MentionIndex) -> None:
        """'LSCF (La0.6Sr0.4Co0.2Fe0.8O3−δ)', 'PBFM (PrBaFe2O5+δ)': the acronym before a formula in parentheses."""
        if not m.formula or not _CLOSE_AFTER.match(text, m.end):
            return
        head = text[max(0, m.start - 26) : m.start].rstrip()
        if not head.endswith("("):
            return
        head = head[:-1]
        w = _ACRONYM_BEFORE.search(head)
        if not w or not _looks_like_acronym(w.group(1)):
            return
        key = w.group(1)
        if key in index.with_formula:
            return
        self._define(key, replace(_info(m), name=key))

    def _learn_paren(self, text: str, p: re.Match, index: _MentionIndex) -> None:
        """'lithium iron phosphate (LFP)', 'LiFePO4 (LFP)', 'sample (S1)', 'yttrium-doped barium zirconate (BZY)'."""
        key = " ".join(p.group("key").rstrip(".,").split())
        if not _KEY_OK.match(key):
            return
        inside = index.inside(p.start(), p.end())
        if inside and inside[0].formula and (inside[0].raw != key or inside[0].kind in ("formula", "doped")):
            return  # '(ZnO)' after 'zinc oxide' defines nothing new
        before = index.ending_before(text, p.start())
        if before is not None:
            self._define(key, _named(before))
            return
        if _LABEL.match(key):
            self._learn_label(text, p.start(), key, index)
            return
        if key in self.definitions:
            return
        long_form = _long_form(text[max(0, p.start() - 120) : p.start()], key)
        if long_form:
            _, formula = _lookup_name(long_form)
            self._define(key, MaterialInfo(formula, _reduced(formula) if formula else None, long_form, "acronym"))

    def _learn_label(self, text: str, pos: int, key: str, index: _MentionIndex) -> None:
        """'the as-grown sample (S1)': the label means the sentence's nearest earlier material, else the phrase."""
        lo = max(0, pos - 400)
        k = text.rfind(". ", lo, pos)
        sent_start = k + 2 if k >= 0 else lo
        if not _LABEL_CONTEXT.search(text[sent_start:pos]):
            return
        earlier = index.last_between(sent_start, pos)
        if earlier is not None:
            self._define(key, _info(earlier))
            return
        phrase = " ".join(text[sent_start:pos].split()[-6:])
        self._define(key, MaterialInfo(None, None, phrase, "acronym"))

    def _define(self, key: str, info: MaterialInfo) -> None:
        key = key.strip()
        if key and len(key) <= 24:
            self.definitions[key] = replace(info, kind="acronym", name=info.name or key)
            self._regex = None

    # -- resolving

    def resolve(self, raw: str) -> MaterialInfo | None:
        """What a mention means in this document: learned definition, 'x = 0.1' sample, curated entry, formula."""
        key = " ".join(raw.split())
        for k in (key, key[:-1] if key.endswith("s") else None):
            if k and k in self.definitions:
                return self.definitions[k]
        sample = _SAMPLE_REF.match(key)
        if sample:
            return self._sample(sample.group("var"), _number(sample.group("val")))
        if not key:
            return None
        info = _classify(key)
        if info is not None:
            return info
        known, formula = _lookup_name(key)
        if known:
            return MaterialInfo(formula, _reduced(formula) if formula else None, key.lower(), "name")
        return None

    def _sample(self, var: str, value: float) -> MaterialInfo | None:
        """'x = 0.1' -> the document's latest variable formula in that variable, substituted."""
        for raw in reversed(self.variable_formulas):
            a = _analyse(raw, ((var, value),))
            if a is not None and a.formula:
                return MaterialInfo(a.formula, a.reduced, None, "doped")
        return None

    def samples(self, text: str, mentions: list[MaterialMention] = ()) -> list[MaterialMention]:
        """Samples named by their composition variable: 'the x = 0.25 sample', 'for x=0.1', '0.031 ≤ δ ≤ 0.145
        samples', 'y=6.50'. Only for a variable of one of the document's variable formulas ('BaFe2(As1−xPx)2'), or
        with a sample noun right after; not the '(x = 0.1)' that completes a formula written just before. A single
        value resolves to the substituted formula."""
        out = []
        for m in _SAMPLE_VAR.finditer(text):
            var = m.group("var")
            noun = _SAMPLE_NOUN.match(text, m.end())
            if (
                not noun
                and not any(var in raw for raw in self.variable_formulas)
                and not _SAMPLE_CUE_BEFORE.search(text, max(0, m.start() - 12), m.start())
                and not _SAMPLE_CUE_AFTER.match(text, m.end())
            ):
                continue
            if any(x.start < m.end() and m.start() < x.end for x in mentions):
                continue
            if any(0 <= m.start() - x.end <= 3 and text[x.end : m.start()].strip() in ("(", "", ",") for x in mentions):
                continue
            raw = m.group(0)
            one = _SAMPLE_REF.match(raw)
            info = self._sample(one.group("var"), _number(one.group("val"))) if one else None
            out.append(
                MaterialMention(
                    m.start(), m.end(), raw, info.formula if info else None, info.reduced_formula if info else None, raw, "doped"
                )
            )
        return out

    def split_sample_list(self, text: str, m: MaterialMention) -> list[MaterialMention]:
        """'x = 0.10, 0.15 and 0.20' -> 'x = 0.10', '0.15', '0.20': one sample per value of a listed composition (the
        first keeps 'x = ', the others are their number, named 'x = 0.15'); anything else -> [m]."""
        head = _SAMPLE_LIST_HEAD.match(m.raw)
        if m.kind != "doped" or head is None:
            return [m]
        var = head.group("var")
        nums = list(re.finditer(_NUMV, m.raw[head.end() :]))
        if len(nums) < 2 or re.search(r"[<≤≥>~∼–-]|\bto\b", m.raw[head.end() :]):
            return [m]  # a range ('0.031 ≤ δ ≤ 0.145', 'x = 0.1-0.3') is one set of samples
        out = []
        for k, n in enumerate(nums):
            a = m.start + head.end() + n.start()
            b = m.start + head.end() + n.end()
            start = m.start if k == 0 else a
            name = f"{var} = {n.group()}"
            info = self._sample(var, _number(n.group()))
            out.append(
                MaterialMention(
                    start, b, text[start:b], info.formula if info else None, info.reduced_formula if info else None, name,
                    "doped",
                )
            )
        return out

    def find(self, text: str) -> list[MaterialMention]:
        """`find_materials` plus this document's learned acronyms and labels, resolved, plus polymer names."""
        found = _with_polymers(text, find_materials(text), self.polymers)
        if not self.definitions:
            return found
        out = []
        for m in found:
            d = self.definitions.get(m.raw)
            if d is not None and not m.formula and m.kind != "doped":
                m = MaterialMention(m.start, m.end, m.raw, d.formula, d.reduced_formula, d.name, d.kind)
            out.append(m)
        index = _MentionIndex(out)
        for k in self._keys().finditer(text):
            if index.overlaps(k.start(), k.end()):
                continue
            if _FIGURE_BEFORE.search(text[max(0, k.start() - 16) : k.start()]):
                continue
            d = self.definitions[k.group(1)]
            out.append(MaterialMention(k.start(), k.end(), k.group(), d.formula, d.reduced_formula, d.name, d.kind))
        return sorted(out, key=lambda m: m.start)

    def _keys(self) -> re.Pattern:
        if self._regex is None:
            keys = sorted(self.definitions, key=len, reverse=True)
            self._regex = re.compile(r"(?<![\w-])\d{0,3}(" + "|".join(map(re.escape, keys)) + r")s?(?![\w])")
        return self._regex


# polymer names: an acronym led by P ("PBDTTT-C-T", "PT - DTBT", "PDTS-BTA", "P3HT"), a polymer label
# ("copolymer 5", "polymer P2"); not a device or quantity acronym (PCE, PSC, PL; the vocabulary's terms)
_POLYMER_ACRONYM = re.compile(
    r"(?<![\w\-/])P[A-Z0-9]*(?:(?:\s-\s|-)(?=[A-Z0-9])[A-Z0-9][A-Za-z0-9]*)*(?![\w\-])"
    r"|(?<![\w\-])(?:co)?polymers?\s+(?:P)?\d{1,2}[a-z]?(?!\w|\.\d)"
)
_POLYMER_LABEL = re.compile(r"(?<![\w\-/])P\d{1,2}[a-z]?(?![\w\-/=])")  # 'P1', 'P2a': in a paper on polymers
POLYMER_PAPER = 3  # "polymer" this often in the paper so far: P-acronyms and 'P1' labels name polymers
_NOT_POLYMERS = frozenset("PSC PSCs PV PDF PCB PVD PID PPM PES PEIS PDOS PMT PSD PTC PEC PFM PLE PIXE PEEM PET-CT".split())


def _polymer_ok(raw: str) -> bool:
    from schemas.vocab import find_method_mentions, find_property_mentions

    key = raw.split()[0] if raw[:1] == "P" else raw
    core = key.rstrip("s") if key.endswith("s") and len(key) > 3 else key
    if core in _NOT_POLYMERS or key in _NOT_POLYMERS or core.endswith("FC"):  # PEMFC, PCFC: fuel cells
        return False
    if raw[:1] == "P" and (sum(ch.isupper() for ch in raw) < 3 or len(raw) < 3):
        return False
    return not find_property_mentions(core) and not find_method_mentions(core)


def _with_polymers(text: str, found: list[MaterialMention], labels: bool = False) -> list[MaterialMention]:
    """`found` plus, in a paper on polymers (`labels`), the polymer names and labels ('P1', 'P2') no other mention
    overlaps (name only: a polymer has no formula here)."""
    if "P" not in text and "polymer" not in text:
        return found
    extra: list[MaterialMention] = []
    if not labels:
        return found
    hits = [(m, False) for m in _POLYMER_ACRONYM.finditer(text)] + [(m, True) for m in _POLYMER_LABEL.finditer(text)]
    for m, label in hits:
        if any(f.start < m.end() and m.start() < f.end for f in found + extra):
            continue
        if not label and not _polymer_ok(m.group()):
            continue
        extra.append(MaterialMention(m.start(), m.end(), m.group(), None, None, " ".join(m.group().split()), "acronym"))
    return sorted(found + extra, key=lambda m: m.start) if extra else found


class _MentionIndex:
    """Sorted mentions of one text with the position queries that definition learning needs."""

    def __init__(self, mentions: list[MaterialMention]):
        self.mentions = sorted(mentions, key=lambda m: m.start)
        self.starts = [m.start for m in self.mentions]
        self.with_formula = {m.raw for m in self.mentions if m.formula}

    def inside(self, start: int, end: int) -> list[MaterialMention]:
        k = bisect.bisect_right(self.starts, start)
        out = []
        while k < len(self.mentions) and self.mentions[k].start < end:
            if self.mentions[k].end <= end:
                out.append(self.mentions[k])
            k += 1
        return out

    def ending_before(self, text: str, pos: int) -> MaterialMention | None:
        """The mention that ends right before pos (only spaces between)."""
        k = bisect.bisect_left(self.starts, pos) - 1
        if k >= 0 and self.mentions[k].end <= pos and not text[self.mentions[k].end : pos].strip():
            return self.mentions[k]
        return None

    def last_between(self, start: int, end: int) -> MaterialMention | None:
        k = bisect.bisect_left(self.starts, end) - 1
        while k >= 0 and self.mentions[k].start >= start:
            if self.mentions[k].end <= end:
                return self.mentions[k]
            k -= 1
        return None

    def overlaps(self, start: int, end: int) -> bool:
        k = bisect.bisect_left(self.starts, end) - 1
        return k >= 0 and self.mentions[k].end > start or (k >= 1 and self.mentions[k - 1].end > start)


def _named(m: MaterialMention) -> MaterialInfo:
    """A defining mention's meaning; without a formula its text is the name ('(La,Sr)(Co,Fe)O3')."""
    return MaterialInfo(m.formula, m.reduced_formula, m.name or (None if m.formula else m.raw), m.kind)


def _info(m: MaterialMention) -> MaterialInfo:
    return MaterialInfo(m.formula, m.reduced_formula, m.name, m.kind)


def _has_variable(raw: str) -> bool:
    a = _analyse(raw)
    return a is not None and a.formula is None and a.kind == "doped" and "," not in a.core


def _looks_like_acronym(word: str) -> bool:
    return sum(ch.isupper() for ch in word) >= 2 and not word.isdigit()


def _long_form(before: str, key: str) -> str | None:
    """The words before '(KEY)' that KEY abbreviates, when they name a material ('yttrium-doped barium zirconate')."""
    cut = max((m.end() for m in _LONG_STOP.finditer(before)), default=0)
    words = before[cut:].split()
    letters = [ch.lower() for ch in key if ch.isalpha()]
    if not words or len(letters) < 2:
        return None
    v = _vocab()
    for n in range(1, min(len(words), len(letters) + 2) + 1):
        cand = words[-n:]
        initials = [p[0].lower() for w in cand for p in re.split(r"[-/]", w) if p]
        if initials and initials[0] == letters[0] and _covers(letters, initials, " ".join(cand).lower()):
            phrase = " ".join(cand).lower()
            head = re.split(r"[-\s]", phrase)[-1]
            if head in v["anions"] or _lookup_name(head)[0] or _lookup_name(phrase)[0]:
                return phrase
            return None
    return None


def _covers(letters: list[str], initials: list[str], phrase: str) -> bool:
    """Most acronym letters are word initials; the rest appear in the phrase."""
    pool = list(initials)
    missing = []
    for ch in letters:
        if ch in pool:
            pool.remove(ch)
        else:
            missing.append(ch)
    return len(missing) <= len(letters) // 3 and all(ch in phrase for ch in missing)

"""The property / condition / method vocabulary (schemas/properties.yaml): loading, validation and text lookup.

`load_vocabulary()` validates the YAML once (cached) and fails loudly, naming the broken entry.
`find_property_mentions`, `find_condition_keywords` and `find_method_mentions` find vocabulary terms in text:
longest match, word-boundary aware, case-insensitive for names/synonyms, case-sensitive for symbols.
`disambiguate` resolves a term shared by several properties (TC, σ, "power density") from the attached unit
and the surrounding text. Pure: imports only stdlib, yaml, pydantic and `schemas.units` (pint).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from schemas.units import parse_unit, same_dimension

VOCAB_PATH = Path(__file__).with_name("properties.yaml")

Category = Literal[
    "electronic",
    "optical",
    "thermal",
    "superconducting",
    "magnetic",
    "mechanical",
    "electrochemical",
    "structural",
    "catalytic",
    "photovoltaic",
    "polymer",
]
Via = Literal["name", "synonym", "symbol"]
Section = Literal["properties", "conditions", "methods"]


class VocabularyError(ValueError):
    """properties.yaml is malformed or inconsistent."""


# ----------------------------------------------------------------------------------------------- models


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlsoUnit(_Strict):
    """A unit of another dimension that papers use for the property, with how to convert it."""

    unit: str
    note: str


class _Term(_Strict):
    id: str
    name: str
    synonyms: list[str] = []
    symbols: list[str] = []
    broader: str | None = None
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _snake_case(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", v):
            raise ValueError(f"id {v!r} must be snake_case")
        return v

    @field_validator("synonyms")
    @classmethod
    def _lower_case(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if not s.strip() or s != s.strip() or s != s.lower()]
        if bad:
            raise ValueError(f"synonyms must be lower-case and stripped: {bad}")
        return v

    @field_validator("symbols")
    @classmethod
    def _clean_symbols(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if not s.strip() or s != s.strip()]
        if bad:
            raise ValueError(f"symbols must be non-empty and stripped: {bad}")
        return v


class _Quantitative(_Term):
    dimension: str | None = None
    canonical_unit: str | None = None
    plausible_range: tuple[float, float] | None = None
    also_units: list[AlsoUnit] = []
    cues: list[str] = []

    @model_validator(mode="after")
    def _consistent(self):
        given = [self.dimension is not None, self.canonical_unit is not None, self.plausible_range is not None]
        if any(given) and not all(given):
            raise ValueError("dimension, canonical_unit and plausible_range go together")
        if self.plausible_range is not None and not self.plausible_range[0] < self.plausible_range[1]:
            raise ValueError(f"plausible_range {list(self.plausible_range)} needs min < max")
        if any(c != c.lower() for c in self.cues):
            raise ValueError("cues must be lower-case")
        return self


class PropertyDef(_Quantitative):
    """A measurable property: id, names and symbols, dimension, canonical unit and plausible range."""

    category: Category
    dimension: str
    canonical_unit: str
    plausible_range: tuple[float, float]


class ConditionDef(_Quantitative):
    """A condition a value holds under (temperature, pressure, field, ...); qualitative ones have no unit."""


class MethodDef(_Term):
    """An experimental technique or a computational method."""

    kind: Literal["experimental", "computational"]


class _Ambiguous(_Strict):
    phrases: dict[str, list[str]] = {}
    symbols: dict[str, list[str]] = {}


class _VocabularyFile(_Strict):
    version: int
    properties: list[dict]
    conditions: list[dict] = []
    methods: list[dict] = []
    ambiguous: dict[Section, _Ambiguous] = {}


# ----------------------------------------------------------------------------------------------- mentions


@dataclass(frozen=True, slots=True)
class PropertyMention:
    """A property term in text. `candidates` lists all properties of an ambiguous term, best guess first."""

    start: int
    end: int
    raw: str
    property_id: str
    via: Via
    candidates: tuple[str, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


@dataclass(frozen=True, slots=True)
class ConditionMention:
    start: int
    end: int
    raw: str
    condition_id: str
    via: Via
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MethodMention:
    start: int
    end: int
    raw: str
    method_id: str
    via: Via


# ----------------------------------------------------------------------------------------------- text forms

# One-to-one character folds (offsets stay valid): micro sign, Greek variants, dashes, quotes, odd spaces.
_FOLD = str.maketrans(
    {
        "\u00b5": "\u03bc",  # micro sign -> Greek mu
        "\u03f5": "\u03b5",  # lunate epsilon
        "\u03d1": "\u03b8",  # script theta
        "\u03d5": "\u03c6",  # phi symbol
        "\u2126": "\u03a9",  # ohm sign
        "\u2206": "\u0394",  # increment -> Greek capital delta
        "\u00d0": "\u0110",  # eth -> D with stroke (dispersity)
        "\u2217": "*",
        **{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"},
        **{c: "'" for c in "\u2018\u2019\u02bc\u2032"},
        **{c: " " for c in "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f"},
    }
)

# Chemical element symbols: a symbol spelled like one (Mn, Pr, Cs) or like a formula piece (K2, B0) needs
# "=", "(" ... after it to count; so do one-letter symbols and lower-case words (dp, top: line-break debris).
_ELEMENTS = frozenset(
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr Y "
    "Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re "
    "Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg "
    "Cn Nh Fl Mc Lv Ts Og".split()
)
_ELEMENT_OK = frozenset({"Tc"})  # technetium is vanishingly rare in materials text; Tc (critical temp.) is not
_ELEMENT_SOFT = frozenset({"Tm"})  # thulium is rare enough that "Tm of 165 °C" (melting point) may count

_PHRASE_SEP = r"[\s\-]*"
_SYMBOL_GUARDS = {1: r"(?=\s*(?:[=≈∼~<>≤≥(]|of\b|values?\b))", 2: r"(?=\s*[=≈∼~<>≤≥])"}
_SYMBOL_JOINERS = {"_": ("", "_", " "), "^": ("", "^", " ", ","), " ": ("", " ")}


def fold(text: str) -> str:
    """Fold look-alike characters (µ/μ, dashes, quotes, spaces) one-to-one: offsets are unchanged."""
    return text.translate(_FOLD)


def phrase_key(text: str) -> str:
    """Lookup key of a name/synonym: lower case, separators and punctuation dropped ("Band-gap" -> "bandgap")."""
    return re.sub(r"[\W_]+", "", fold(text).lower())


def symbol_key(text: str) -> str:
    """Lookup key of a symbol: case kept, sub/superscript marks and spaces dropped ("T_c^onset" -> "Tconset")."""
    return re.sub(r"[_^{},\s]+", "", fold(text))


def _plural_forms(word: str) -> list[str]:
    if not word.isalpha() or len(word) < 3:
        return [word]
    if re.search(r"[^aeiou]y$", word):
        return [word, word[:-1] + "ies"]
    if word.endswith("ex"):
        return [word, word + "es", word[:-2] + "ices"]
    if word.endswith("us"):
        return [word, word[:-2] + "i", word + "es"]
    if word.endswith("um"):
        return [word, word[:-2] + "a", word + "s"]
    if word.endswith("is"):
        return [word, word[:-2] + "es"]
    if word.endswith(("s", "x", "ch", "sh")):
        return [word, word + "es"]
    return [word, word + "s"]


def phrase_surfaces(phrase: str) -> list[str]:
    """Token forms of a phrase, singular and plural, tokens joined by one space (matched as any separator)."""
    tokens = [t for t in re.split(r"[\s\-]+", fold(phrase).lower()) if t]
    return [" ".join([*tokens[:-1], last]) for last in _plural_forms(tokens[-1])]


def symbol_surfaces(symbol: str) -> list[str]:
    """Written forms of a symbol: "T_c" -> Tc, T_c, "T c"; "E_g^opt" -> "Eg,opt", "E g opt", ...; acronym plurals.

    A numeric subscript of a Latin letter is not spaced off ("K_2" gives K2, K_2 but not "K 2", a formula piece);
    "μ_0" does give "μ 0".
    """
    parts = re.split(r"([_^ ])", fold(symbol))
    ops = parts[1::2]
    choices = []
    for prev, op, nxt in zip(parts[0::2], ops, parts[2::2], strict=False):
        formula_like = op != " " and nxt[:1].isdigit() and re.search(r"[A-Za-z]$", prev)
        choices.append(tuple(j for j in _SYMBOL_JOINERS[op] if not (j == " " and formula_like)))
    out = []
    for joins in itertools.product(*choices):
        s = parts[0]
        for j, nxt in zip(joins, parts[2::2], strict=True):
            s += j + nxt
        out.append(s)
    if re.fullmatch(r"[A-Z]{2,}", symbol):
        out.append(symbol + "s")
    return list(dict.fromkeys(out))


def _guard_level(surface: str) -> int:
    """0: free; 1: one character, needs "=", "(", "of", "value(s)" after; 2: word or element look-alike, needs "=" ."""
    m = re.fullmatch(r"([A-Z][a-z]?)[\d.]*", surface)
    if re.fullmatch(r"[a-z]{2,}", surface) or (m and m.group(1) in _ELEMENTS and surface not in _ELEMENT_OK):
        return 1 if surface in _ELEMENT_SOFT else 2
    return 1 if len(surface) == 1 else 0


# ----------------------------------------------------------------------------------------------- trie regex


class _Trie:
    """Character trie rendered as one regex: shared prefixes, longest alternative first, no nested quantifiers."""

    def __init__(self, char_regex):
        self.root: dict = {}
        self.char_regex = char_regex

    def add(self, word: str, guard: int = 0) -> None:
        node = self.root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = guard

    def regex(self) -> str:
        return self._emit(self.root)

    def _emit(self, node: dict) -> str:
        # separator-like children (may match empty) first, so the longer reading wins
        chars = sorted((c for c in node if c), key=lambda c: (c not in " '", c))
        alts = [self.char_regex(c) + self._emit(node[c]) for c in chars]
        if "" in node:
            alts.append(_SYMBOL_GUARDS.get(node[""], ""))
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"


def _phrase_char(c: str) -> str:
    return {" ": _PHRASE_SEP, "'": "'?", "/": r"\s*/\s*"}.get(c, re.escape(c))


def _symbol_char(c: str) -> str:
    return {" ": r"\s", "/": r"\s?/\s?"}.get(c, re.escape(c))


# ----------------------------------------------------------------------------------------------- index / matcher


@dataclass
class _Index:
    """Term keys of one section -> term ids (ambiguous keys: declared order), plus the surfaces to match."""

    phrase_ids: dict[str, list[str]] = field(default_factory=dict)
    symbol_ids: dict[str, list[str]] = field(default_factory=dict)
    name_keys: set[str] = field(default_factory=set)
    phrase_surfaces: set[str] = field(default_factory=set)
    symbol_surfaces: set[str] = field(default_factory=set)
    origin: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (kind, key) -> terms as written

    def add(self, kind: str, term: str, key: str, term_id: str) -> None:
        ids = (self.phrase_ids if kind == "phrases" else self.symbol_ids).setdefault(key, [])
        if term_id not in ids:
            ids.append(term_id)
        self.origin.setdefault((kind, key), set()).add(term)


def _name_is_phrase(name: str) -> bool:
    return bool(re.fullmatch(r"[\w\s\-'.,+%/]+", fold(name)))


def _build_index(section: str, terms: Sequence[_Term], declared: _Ambiguous) -> _Index:
    idx = _Index()
    for t in terms:
        phrases = list(t.synonyms)
        if _name_is_phrase(t.name):
            phrases.append(t.name.lower())
            idx.name_keys.add(phrase_key(t.name))
        for p in phrases:
            for s in phrase_surfaces(p):
                idx.phrase_surfaces.add(s)
                idx.add("phrases", p, phrase_key(s), t.id)
        for sym in t.symbols:
            for s in symbol_surfaces(sym):
                idx.symbol_surfaces.add(s)
                idx.add("symbols", sym, symbol_key(s), t.id)
    for kind, table, keyfn in (
        ("phrases", idx.phrase_ids, phrase_key),
        ("symbols", idx.symbol_ids, symbol_key),
    ):
        written = {keyfn(k): k for k in getattr(declared, kind)}
        decl = {keyfn(k): v for k, v in getattr(declared, kind).items()}
        for key, ids in table.items():
            if len(ids) < 2:
                continue
            terms_written = idx.origin[(kind, key)]
            order = next((decl[k] for k in map(keyfn, terms_written) if k in decl), None)
            if order is None or set(order) != set(ids):
                raise VocabularyError(
                    f"{section}: {kind[:-1]} {sorted(terms_written)} is used by {ids}; list it under "
                    f"ambiguous.{section}.{kind} with exactly these ids (declared: {order})"
                )
            table[key] = list(order)
        for key, order in decl.items():
            if len(table.get(key, [])) < 2:
                raise VocabularyError(
                    f"ambiguous.{section}.{kind}: {written[key]!r} is declared ambiguous ({order}) but used by "
                    f"{table.get(key, [])}"
                )
    return idx


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    raw: str
    via: Via
    ids: tuple[str, ...]


class _Matcher:
    """Two compiled trie regexes (case-insensitive phrases, case-sensitive symbols) over one section."""

    def __init__(self, idx: _Index):
        self.idx = idx
        phrases = _Trie(_phrase_char)
        for s in idx.phrase_surfaces:
            phrases.add(s)
        symbols = _Trie(_symbol_char)
        for s in idx.symbol_surfaces:
            symbols.add(s, _guard_level(s))
        self.phrase_re = re.compile(r"(?<!\w)" + phrases.regex() + r"(?!\w)", re.IGNORECASE)
        self.symbol_re = re.compile(r"(?<![\w/])(?<!\d\s)" + symbols.regex() + r"(?!\w)(?!-[^\W\d_])")

    def find(self, text: str) -> list[_Hit]:
        folded = fold(text)
        hits: list[_Hit] = []
        for m in self.phrase_re.finditer(folded):
            key = phrase_key(m.group())
            ids = self.idx.phrase_ids.get(key)
            if ids:
                via: Via = "name" if key in self.idx.name_keys else "synonym"
                hits.append(_Hit(m.start(), m.end(), text[m.start() : m.end()], via, tuple(ids)))
        for m in self.symbol_re.finditer(folded):
            ids = self.idx.symbol_ids.get(symbol_key(m.group()))
            if ids:
                hits.append(_Hit(m.start(), m.end(), text[m.start() : m.end()], "symbol", tuple(ids)))
        return _longest_first(hits)


def _longest_first(hits: list[_Hit]) -> list[_Hit]:
    """Non-overlapping hits, longer ones winning (symbols win ties), in text order."""
    taken: list[_Hit] = []
    used = bytearray(max((h.end for h in hits), default=0))  # characters already claimed: linear, not quadratic
    for h in sorted(hits, key=lambda h: (h.start - h.end, h.via != "symbol", h.start)):
        if not any(used[h.start : h.end]):
            used[h.start : h.end] = b"\x01" * (h.end - h.start)
            taken.append(h)
    return sorted(taken, key=lambda h: h.start)


CUE_WINDOW = 300  # characters either side of an ambiguous mention searched for its cues


def _window(text: str, h: _Hit) -> str:
    return fold(text[max(0, h.start - CUE_WINDOW) : h.end + CUE_WINDOW]).lower()


# ----------------------------------------------------------------------------------------------- vocabulary


class Vocabulary:
    """The validated vocabulary: properties, conditions, methods, and their compiled matchers."""

    def __init__(
        self,
        version: int,
        properties: list[PropertyDef],
        conditions: list[ConditionDef],
        methods: list[MethodDef],
        ambiguous: dict[str, _Ambiguous],
    ):
        self.version = version
        self.properties = properties
        self.conditions = conditions
        self.methods = methods
        self._by_id: dict[str, dict[str, _Term]] = {}
        for section, terms in (("properties", properties), ("conditions", conditions), ("methods", methods)):
            table: dict[str, _Term] = {}
            for t in terms:
                if t.id in table:
                    raise VocabularyError(f"{section}: duplicate id {t.id!r}")
                table[t.id] = t
            for t in terms:
                if t.broader is not None and t.broader not in table:
                    raise VocabularyError(f"{section}[{t.id}]: broader {t.broader!r} is not an id in {section}")
            self._by_id[section] = table
        unknown = {i for a in ambiguous.values() for d in (a.phrases, a.symbols) for ids in d.values() for i in ids}
        known = {i for table in self._by_id.values() for i in table}
        if unknown - known:
            raise VocabularyError(f"ambiguous: unknown ids {sorted(unknown - known)}")
        self._index = {
            section: _build_index(section, terms, ambiguous.get(section, _Ambiguous()))
            for section, terms in (("properties", properties), ("conditions", conditions), ("methods", methods))
        }

    def property(self, id: str) -> PropertyDef:
        return self._get("properties", id)  # type: ignore[return-value]

    def get(self, id: str) -> PropertyDef | None:
        """The property with this id, or None."""
        return self._by_id["properties"].get(id)  # type: ignore[return-value]

    def condition(self, id: str) -> ConditionDef:
        return self._get("conditions", id)  # type: ignore[return-value]

    def method(self, id: str) -> MethodDef:
        return self._get("methods", id)  # type: ignore[return-value]

    def _get(self, section: str, id: str) -> _Term:
        try:
            return self._by_id[section][id]
        except KeyError:
            raise KeyError(f"unknown {section[:-1] if section != 'properties' else 'property'} id {id!r}") from None

    def by_category(self) -> dict[str, list[PropertyDef]]:
        out: dict[str, list[PropertyDef]] = {}
        for p in self.properties:
            out.setdefault(p.category, []).append(p)
        return out

    def is_a(self, id: str, ancestor: str, section: Section = "properties") -> bool:
        """True if `id` is `ancestor` or narrower than it (tc_onset is_a critical_temperature)."""
        table = self._by_id[section]
        seen = set()
        while id is not None and id not in seen:
            if id == ancestor:
                return True
            seen.add(id)
            term = table.get(id)
            id = term.broader if term else None
        return False

    def ambiguous_terms(self, section: Section = "properties") -> dict[str, list[str]]:
        """Keys shared by several terms of a section -> candidate ids (most likely first)."""
        idx = self._index[section]
        return {k: v for table in (idx.phrase_ids, idx.symbol_ids) for k, v in table.items() if len(v) > 1}

    @cached_property
    def _matchers(self) -> dict[str, _Matcher]:
        return {section: _Matcher(idx) for section, idx in self._index.items()}

    def matcher(self, section: Section) -> _Matcher:
        return self._matchers[section]


def _validated(model: type[BaseModel], entry: object, section: str, i: int):
    try:
        return model.model_validate(entry)
    except ValidationError as e:
        name = entry.get("id") if isinstance(entry, dict) else None
        raise VocabularyError(f"{section}[{i}] (id={name!r}) is invalid:\n{e}") from None


def parse_vocabulary(raw: object) -> Vocabulary:
    """Validate a parsed properties.yaml document into a Vocabulary (raises VocabularyError naming the entry)."""
    try:
        doc = _VocabularyFile.model_validate(raw)
    except ValidationError as e:
        raise VocabularyError(f"properties.yaml top level is invalid:\n{e}") from None
    props = [_validated(PropertyDef, e, "properties", i) for i, e in enumerate(doc.properties)]
    conds = [_validated(ConditionDef, e, "conditions", i) for i, e in enumerate(doc.conditions)]
    meths = [_validated(MethodDef, e, "methods", i) for i, e in enumerate(doc.methods)]
    return Vocabulary(doc.version, props, conds, meths, dict(doc.ambiguous))


@lru_cache(maxsize=4)
def load_vocabulary(path: Path | str | None = None) -> Vocabulary:
    """The vocabulary from schemas/properties.yaml (or `path`), validated once and cached."""
    p = Path(path) if path is not None else VOCAB_PATH
    # libyaml's safe loader when PyYAML has it (same result, ~10x less CPU: this runs once per worker process)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return parse_vocabulary(yaml.load(p.read_text(encoding="utf-8"), Loader=loader))  # noqa: S506 - a safe loader


# ----------------------------------------------------------------------------------------------- lookup


def _mentions(section: str, cls, text: str, vocab: Vocabulary | None):
    """Hits of one section's matcher as mention objects; an ambiguous term is resolved from the cues around it."""
    v = vocab or load_vocabulary()
    out = []
    for h in v.matcher(section).find(text):
        best = _pick(v, section, h.ids, None, _window(text, h) if len(h.ids) > 1 else "")
        out.append(cls(h.start, h.end, h.raw, best, h.via, _alts(h.ids)))
    return out


def find_property_mentions(text: str, vocab: Vocabulary | None = None) -> list[PropertyMention]:
    """Property names, synonyms and symbols in `text`; ambiguous ones resolved from the text's cues (best guess)."""
    return _mentions("properties", PropertyMention, text, vocab)


def find_condition_keywords(text: str, vocab: Vocabulary | None = None) -> list[ConditionMention]:
    """Condition keywords and symbols (temperature, "T =", pressure, field, C-rate, atmosphere...) in `text`."""
    return _mentions("conditions", ConditionMention, text, vocab)


def find_method_mentions(text: str, vocab: Vocabulary | None = None) -> list[MethodMention]:
    """Experimental techniques and computational methods (XRD, SQUID, DFT, HSE06, ...) in `text`."""
    v = vocab or load_vocabulary()
    return [MethodMention(h.start, h.end, h.raw, h.ids[0], h.via) for h in v.matcher("methods").find(text)]


def _alts(ids: tuple[str, ...]) -> tuple[str, ...]:
    return ids if len(ids) > 1 else ()


def disambiguate(
    candidates: Iterable[str],
    unit_raw: str | None = None,
    context: str | None = None,
    *,
    kind: Literal["properties", "conditions"] = "properties",
    vocab: Vocabulary | None = None,
) -> str | None:
    """Pick one of `candidates` (ids, most likely first).

    1. the attached unit: keep candidates whose canonical unit or also_units has the unit's dimension
       ("" means a bare number, i.e. dimensionless; None or an unreadable unit decide nothing).
       None when a readable unit fits no candidate.
    2. the candidates' `cues` found in `context` (most distinct cues wins);
    3. the given order.
    """
    v = vocab or load_vocabulary()
    return _pick(v, kind, tuple(dict.fromkeys(candidates)), unit_raw, fold(context).lower() if context else "")


def _pick(v: Vocabulary, kind: str, ids: Sequence[str], unit_raw: str | None, low_context: str) -> str | None:
    if len(ids) <= 1:
        return ids[0] if ids else None
    terms: list[_Quantitative] = [v._get(kind, i) for i in ids]  # type: ignore[misc]
    if unit_raw is not None:
        verdicts = [_unit_fits(unit_raw, t) for t in terms]
        if any(x is not None for x in verdicts):
            terms = [t for t, ok in zip(terms, verdicts, strict=True) if ok]
            if not terms:
                return None
    if low_context and len(terms) > 1:
        scores = [sum(_cue_in(c, low_context) for c in t.cues) for t in terms]
        if max(scores) > 0:
            terms = [t for t, s in zip(terms, scores, strict=True) if s == max(scores)]
    return terms[0].id


@lru_cache(maxsize=4096)
def _cue_pattern(cue: str) -> re.Pattern:
    return re.compile(r"(?<![a-z0-9])" + re.escape(cue))


def _cue_in(cue: str, low_context: str) -> bool:
    """A cue at the start of a word of the context (cues are stems: "superconduct", "ferromagnet"): "ion" is a cue
    in "oxide ion conductor" and "ionic", not in "classification"."""
    return cue in low_context and _cue_pattern(cue).search(low_context) is not None


def _unit_fits(unit_raw: str, term: _Quantitative) -> bool | None:
    """Whether `unit_raw` has the dimension of the term's canonical unit or an also_unit (None: cannot tell)."""
    if term.canonical_unit is None:
        return None
    if not unit_raw.strip():
        return term.dimension == "[]"
    if parse_unit(unit_raw) is None:
        return None
    return any(same_dimension(unit_raw, u) for u in (term.canonical_unit, *(a.unit for a in term.also_units)))


# ----------------------------------------------------------------------------------------------- linking helpers


def unit_fits_property(unit: str | None, property_id: str, vocab: Vocabulary | None = None) -> bool:
    """Whether a quantity with this unit can be a value of the property (a bare number: dimensionless only)."""
    v = vocab or load_vocabulary()
    prop = v.get(property_id)
    if prop is None:
        return False
    return _unit_fits(unit or "", prop) is True


def resolve_mention(mention: PropertyMention, unit: str | None, context: str = "", vocab: Vocabulary | None = None):
    """The property id a mention stands for next to a quantity with `unit`, or None when the unit fits none."""
    v = vocab or load_vocabulary()
    if mention.ambiguous:
        return disambiguate(mention.candidates, unit or "", context, vocab=v)
    return mention.property_id if unit_fits_property(unit, mention.property_id, v) else None


@lru_cache(maxsize=4096)
def condition_for_unit(unit: str | None) -> str | None:
    """The condition (temperature, pressure, magnetic field, ...) a quantity with this unit can express."""
    if not unit:
        return None
    v = load_vocabulary()
    rank = {cid: i for i, cid in enumerate(CONDITION_PRIORITY)}
    for c in sorted(v.conditions, key=lambda c: rank.get(c.id, len(rank))):
        if c.canonical_unit and c.dimension != "[]" and _unit_fits(unit, c) is True:
            return c.id
    return None


# when a unit fits several conditions (Hz: frequency or C-rate), the common one first
CONDITION_PRIORITY = ["temperature", "pressure", "magnetic_field", "current_density", "frequency", "voltage", "wavelength", "time"]

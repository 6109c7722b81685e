"""Grounding: align every value, unit and material an LLM returned to a span of the source text.

Matching is tolerant where typography varies and exact where meaning lives:
- NFKC folding (ligatures "ﬁ" -> "fi", full-width forms, superscripts), every dash/minus (− – — ‐ ‑) -> "-",
  micro sign µ and Greek μ alike, ± spellings, and whitespace ignored altogether ("3.2eV" = "3.2 eV");
- digits exact: a needle that starts or ends with a digit may not continue a longer number in the text
  ("3.2" never aligns inside "13.25" or "3.21");
- case exact for values and units; materials and property words fall back to case-insensitive.

`Aligner(text).find(needle, near=...)` returns the (start, end) span in the ORIGINAL text (the occurrence nearest
`near` when there are several), or None: the caller drops the record (counted) or keeps it flagged `ungrounded`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_DASHES = dict.fromkeys(map(ord, "\u2212\u2013\u2014\u2010\u2011\u2012\u2043\ufe63\uff0d"), "-")
_MICRO = {ord("\u00b5"): "\u03bc"}
_OTHER = {ord("\u00d7"): "x", ord("\u2715"): "x", ord("\u2009"): " ", ord("\u00a0"): " ", ord("\u202f"): " "}
_TABLE = {**_DASHES, **_MICRO, **_OTHER}


def _fold_char(c: str) -> str:
    """One source character -> its folded form (possibly several chars, possibly empty for whitespace)."""
    if c.isspace():
        return ""
    c = c.translate(_TABLE)
    f = unicodedata.normalize("NFKC", c)
    f = f.translate(_TABLE)  # NFKC can produce new dashes/micro forms
    return "".join(ch for ch in f if not ch.isspace())


def fold(s: str) -> str:
    return "".join(_fold_char(c) for c in s)


@dataclass
class _Folded:
    text: str
    starts: list[int]  # folded index -> original index of the char that produced it
    ends: list[int]  # folded index -> original end (exclusive)


def _fold_with_map(text: str) -> _Folded:
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, c in enumerate(text):
        f = _fold_char(c)
        for ch in f:
            out.append(ch)
            starts.append(i)
            ends.append(i + 1)
    return _Folded("".join(out), starts, ends)


_NUMERIC_CONT = re.compile(r"[0-9]")


class Aligner:
    def __init__(self, text: str):
        self.text = text
        self._f = _fold_with_map(text)
        self._lower: str | None = None

    def _candidates(self, needle: str, case_insensitive: bool) -> list[tuple[int, int]]:
        hay = self._f.text
        if case_insensitive:
            if self._lower is None:
                self._lower = hay.lower()
            hay, needle = self._lower, needle.lower()
            if len(hay) != len(self._f.text):  # lower() changed lengths (rare): give up on this fallback
                return []
        out = []
        i = hay.find(needle)
        while i != -1:
            j = i + len(needle)
            if self._digits_ok(hay, i, j, needle):
                out.append((self._f.starts[i], self._f.ends[j - 1]))
            i = hay.find(needle, i + 1)
        return out

    @staticmethod
    def _digits_ok(hay: str, i: int, j: int, needle: str) -> bool:
        if needle[0].isdigit() or (needle[0] in ".-" and len(needle) > 1 and needle[1].isdigit()):
            if i > 0 and (hay[i - 1].isdigit() or (hay[i - 1] == "." and i > 1 and hay[i - 2].isdigit())):
                return False
        if needle[-1].isdigit():
            if j < len(hay) and (hay[j].isdigit() or (hay[j] in ".," and j + 1 < len(hay) and hay[j + 1].isdigit())):
                return False
        return True

    def find_all(self, needle: str, case_insensitive: bool = False) -> list[tuple[int, int]]:
        n = fold(needle)
        if not n:
            return []
        found = self._candidates(n, False)
        if not found and case_insensitive:
            found = self._candidates(n, True)
        return found

    def find(
        self,
        needle: str,
        near: int | None = None,
        case_insensitive: bool = False,
        within: tuple[int, int] | None = None,
    ) -> tuple[int, int] | None:
        spans = self.find_all(needle, case_insensitive)
        if within is not None:
            spans = [s for s in spans if within[0] <= s[0] and s[1] <= within[1]] or spans
        if not spans:
            return None
        if near is None:
            return spans[0]
        return min(spans, key=lambda s: (abs(s[0] - near), s[0]))

    def unit_after(self, unit: str, value_end: int, gap: int = 3) -> tuple[int, int] | None:
        """The unit right after the value (at most `gap` chars of space/brackets/'in' between), else None."""
        for s in self.find_all(unit):
            between = self.text[value_end : s[0]]
            if 0 <= s[0] - value_end <= gap + 1 and all(c.isspace() or c in "([/" for c in between):
                return s
        return None


@dataclass
class Grounded:
    value: tuple[int, int] | None
    unit: tuple[int, int] | None
    material: tuple[int, int] | None
    property_text: tuple[int, int] | None
    evidence: tuple[int, int] | None
    conditions: list[tuple[int, int] | None]
    missing: list[str]  # which of value / unit / material did not align

    @property
    def ok(self) -> bool:
        return not self.missing


def ground_record(text: str, rec, aligner: Aligner | None = None) -> Grounded:
    """Align one LLM record (schemas.llm_response LLMRecord) against `text`. Value, unit and material must align
    (an empty unit/material means "none" and needs no span); evidence, property words and conditions are aligned
    when possible but never required (they are not facts the record asserts)."""
    a = aligner or Aligner(text)
    missing: list[str] = []
    ev = a.find(rec.evidence) if rec.evidence.strip() else None
    near = ev[0] if ev else None
    value = None
    if ev is not None:  # prefer the occurrence inside the quoted evidence
        value = a.find(rec.value, near=near, within=ev)
    if value is None:
        value = a.find(rec.value, near=near)
    if value is None:
        missing.append("value")
    unit = None
    if rec.unit.strip():
        if value is not None:
            unit = a.unit_after(rec.unit, value[1])
            if unit is None and value is not None and fold(rec.value).endswith(fold(rec.unit)):
                unit = value  # the model put the unit inside the value string
        if unit is None:
            unit = a.find(rec.unit, near=value[1] if value else near)
        if unit is None:
            missing.append("unit")
    material = None
    if rec.material.strip():
        material = a.find(rec.material, near=value[0] if value else near, case_insensitive=True)
        if material is None:
            missing.append("material")
    prop = a.find(rec.property_text, near=value[0] if value else near, case_insensitive=True) if rec.property_text.strip() else None
    conds = [a.find(c, near=value[0] if value else near, case_insensitive=True) for c in rec.conditions]
    return Grounded(value=value, unit=unit, material=material, property_text=prop, evidence=ev, conditions=conds, missing=missing)

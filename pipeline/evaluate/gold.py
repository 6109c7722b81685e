"""The common gold structure every corpus loader produces, and the tasks scored on it.

A corpus is a list of `GoldDoc`s (the exact text handed to the extractor, with char offsets into it) and a list of
`Task`s. A span task compares gold spans with spans read off predicted records (quantity or material); a link task
compares gold links (value + material + property) with whole predicted records, by a named rule (see metrics.py).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A gold mention [start, end) in the doc text, with what the task may check on it."""

    start: int
    end: int
    label: str = ""  # property/slot label, for the per-property breakdown ("" = none)
    kind: str | None = None  # quantities: value | interval | list | bound
    unit: str | None = None  # quantities: the gold unit string


@dataclass
class Mention:
    """Part of a link: its surface text and the acceptable spans (the first is the annotated/primary one)."""

    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def primary(self) -> tuple[int, int] | None:
        return self.spans[0] if self.spans else None


@dataclass
class GoldLink:
    """One gold record: a value, optionally with the material and the property it belongs to."""

    value: Mention
    material: Mention | None = None
    property: Mention | None = None
    label: str = ""  # property label (per-property breakdown; the property id for Tc / band gap)
    numbers: list[float] = field(default_factory=list)  # the value's numbers, in `unit`
    unit: str | None = None
    conditions: list[Mention] = field(default_factory=list)

    def key(self) -> tuple:
        return (
            self.value.primary,
            self.material.primary if self.material else None,
            self.property.primary if self.property else None,
            self.label,
            self.value.text,
            self.material.text if self.material else None,
        )


@dataclass
class GoldDoc:
    id: str  # unique across corpora: "<corpus>:<source id>"
    text: str
    spans: dict[str, list[Span]] = field(default_factory=dict)  # task name -> gold spans
    links: dict[str, list[GoldLink]] = field(default_factory=dict)  # task name -> gold links
    regions: list[tuple[int, int]] | None = None  # where annotation is complete; None = the whole text


@dataclass(frozen=True)
class Task:
    name: str
    kind: str  # "span" | "link"
    field: str = "quantity"  # span tasks: which predicted spans ("quantity" incl. conditions, or "material")
    rule: str = ""  # link tasks: matching rule name in metrics.LINK_RULES
    attrs: tuple[str, ...] = ()  # attribute accuracies on matched pairs: "kind", "unit"
    filter: str | None = None  # link tasks: property filter name (only records of that property count)
    condition_links: bool = False  # link tasks: a record's conditions are links too (material = the record's)
    note: str = ""  # how it matches, for the report


@dataclass
class Corpus:
    name: str
    docs: list[GoldDoc]
    tasks: list[Task]
    stats: dict = field(default_factory=dict)  # counts, offset mismatches, notes

    def limited(self, limit: int | None) -> "Corpus":
        if limit is None:
            return self
        return Corpus(self.name, self.docs[:limit], self.tasks, dict(self.stats, limited_to=limit))

    def split(self, which: str = "all") -> "Corpus":
        """The docs of one split ("train" | "heldout"; "all" = every doc): see `split_of`."""
        if which == "all":
            return self
        if which not in SPLITS:
            raise ValueError(f"unknown split {which!r} (known: all, {', '.join(SPLITS)})")
        docs = [d for d in self.docs if split_of(d.id) == which]
        return Corpus(self.name, docs, self.tasks, dict(self.stats, split=which))


SPLITS = ("train", "heldout")
HELDOUT_PERCENT = 20


def split_of(doc_id: str) -> str:
    """A fixed split by doc id hash: 20 % "heldout" (never trained on by train-ner / finetune), the rest "train"."""
    h = int(hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "heldout" if h < HELDOUT_PERCENT else "train"


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past leading/trailing whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")


def norm_text(s: str | None, *, lower: bool = True) -> str:
    """Loose string key: NFKC, unified dashes, no whitespace (optionally lowercase)."""
    if not s:
        return ""
    s = unicodedata.normalize("NFKC", s).translate(_DASHES)
    s = re.sub(r"\s+", "", s)
    return s.lower() if lower else s


def norm_unit(s: str | None) -> str:
    return norm_text(s, lower=False).replace("^", "")


_NUM = re.compile(r"[-+\u2212]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?")


def numbers_in(s: str) -> list[float]:
    """The plain numbers in a string ("15 \u2212 17 K" -> [15.0, 17.0]; a range's dash is not a sign)."""
    out = []
    for m in _NUM.finditer(s or ""):
        tok = m.group().replace("\u2212", "-").replace(",", ".")
        if tok[0] in "-+" and m.start() > 0 and (s[m.start() - 1].isalnum() or s[m.start() - 1] in ".)"):
            tok = tok[1:]
        try:
            out.append(float(tok))
        except ValueError:
            continue
    return out


def find_all(text: str, needle: str) -> list[tuple[int, int]]:
    """Every occurrence of `needle` in `text` (exact, then whitespace-insensitive)."""
    if not needle:
        return []
    out, i = [], text.find(needle)
    while i >= 0:
        out.append((i, i + len(needle)))
        i = text.find(needle, i + 1)
    if out:
        return out
    parts = [re.escape(p) for p in needle.split()]
    if not parts:
        return []
    return [m.span() for m in re.finditer(r"\s*".join(parts), text)]


def unique_links(links: list[GoldLink]) -> tuple[list[GoldLink], int]:
    """Drop links identical to an earlier one (same spans, texts and label); returns (kept, dropped)."""
    seen, out = set(), []
    for lk in links:
        k = lk.key()
        if k not in seen:
            seen.add(k)
            out.append(lk)
    return out, len(links) - len(out)


TOTALS = ("offset_mismatches", "spans_trimmed")


def merge_split(total: Counter, split: str, counts: Counter) -> None:
    """Add one split's counts as "<split>_<key>" (mismatch counters are summed under their own name)."""
    for k, v in counts.items():
        total[k if k in TOTALS else f"{split}_{k}"] += v

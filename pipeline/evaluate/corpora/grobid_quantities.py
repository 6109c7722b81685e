"""grobid-quantities: TEI paragraphs with inline `<measure type="value|interval|list">` elements.

One doc per TEI file (corpus + staging); its text is the text of every block (p, head, cell, item, ...) under
`<text>`, blocks joined by a blank line. Quantity spans are the outer measures' full text (number(s) and unit).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from lxml import etree

from pipeline.evaluate.gold import Corpus, GoldDoc, Span, Task, trim
from pipeline.parse.jats import read_xml

NAME = "grobid_quantities"
BLOCKS = {"p", "head", "cell", "item", "figDesc", "note"}
QUANTITY_TYPES = {"value", "interval", "list", "range", "values", "date"}  # outer measures (units are upper case)

TASKS = [
    Task(
        "quantity",
        "span",
        field="quantity",
        attrs=("kind",),
        note="outer <measure> spans vs predicted quantity + condition spans; kind mapped value/interval/list/bound",
    )
]


def gold_kind(measure: etree._Element) -> str:
    """Our Quantity.kind for a grobid measure: one-sided intervals are bounds, base±range is a value."""
    t = measure.get("type", "")
    if t in ("list", "values"):
        return "list"
    if t not in ("interval", "range"):
        return "value"
    nums = [n for n in measure.iter("num")]
    if any(n.get("type") == "base" for n in nums):
        return "value"
    lo = sum(1 for n in nums if n.get("atLeast") is not None)
    hi = sum(1 for n in nums if n.get("atMost") is not None)
    return "bound" if lo + hi == 1 else "interval"


class _Writer:
    """Flattens elements to text, remembering where each outer quantity measure starts and ends."""

    def __init__(self):
        self.parts: list[str] = []
        self.pos = 0
        self.spans: list[tuple[int, int, etree._Element]] = []

    def add(self, s: str | None) -> None:
        if s:
            self.parts.append(s)
            self.pos += len(s)

    def element(self, el: etree._Element) -> None:
        start = self.pos
        self.add(el.text)
        for child in el:
            if isinstance(child.tag, str):
                self.element(child)
            self.add(child.tail)
        if el.tag == "measure" and el.get("type", "") in QUANTITY_TYPES:
            self.spans.append((start, self.pos, el))


def _blocks(root: etree._Element) -> list[etree._Element]:
    """Outermost block elements inside a <text> (nested <text>s, as in a teiCorpus, are walked once)."""
    out = []
    for el in root.iter(*BLOCKS):
        ancestors = [a.tag for a in el.iterancestors()]
        if "text" in ancestors and not BLOCKS.intersection(ancestors):
            out.append(el)
    return out


def raw_type_counts(path: Path) -> Counter:
    """`<measure type="...">` tags as written in the file, commented-out ones included (how the README counts)."""
    return Counter(re.findall(r'<measure type="([a-z]+)"', path.read_text(encoding="utf-8")))


def load_file(path: Path, doc_id: str) -> tuple[GoldDoc, Counter]:
    root = read_xml(path)
    w = _Writer()
    for i, block in enumerate(_blocks(root)):
        if i:
            w.add("\n\n")
        w.element(block)
    text = "".join(w.parts)
    counts: Counter = Counter()
    spans: dict[tuple[int, int], Span] = {}
    for start, end, el in w.spans:
        counts["type_" + el.get("type", "")] += 1
        s, e = trim(text, start, end)
        surface = "".join(el.itertext()).strip()
        if text[s:e] != surface:
            counts["offset_mismatches"] += 1
        if s >= e:
            counts["empty_measures"] += 1
            continue
        if (s, e) in spans:
            counts["duplicate_spans"] += 1
            continue
        spans[(s, e)] = Span(s, e, kind=gold_kind(el))
    all_measures = sum(1 for m in root.iter("measure") if m.get("type", "") in QUANTITY_TYPES)
    counts["outside_blocks"] += all_measures - len(w.spans)
    doc = GoldDoc(id=f"{NAME}:{doc_id}", text=text, spans={"quantity": sorted(spans.values(), key=_pos)})
    return doc, counts


def _pos(s: Span) -> tuple[int, int]:
    return (s.start, s.end)


def load(root: Path) -> Corpus:
    files = sorted((root / "quantities" / "corpus").glob("*.tei.xml"))
    files += sorted((root / "quantities" / "annotations" / "staging").glob("*.tei.xml"))
    docs, counts = [], Counter()
    for path in files:
        doc_id = path.name.split(".training")[0].split(".quantit")[0]
        doc, c = load_file(path, doc_id)
        docs.append(doc)
        counts.update(c)
        counts.update({"raw_tags_" + k: v for k, v in raw_type_counts(path).items()})
    stats = {
        "docs": len(docs),
        "quantity_spans": sum(len(d.spans["quantity"]) for d in docs),
        "offset_mismatches": counts.pop("offset_mismatches", 0),
        **dict(sorted(counts.items())),
        "kinds": dict(Counter(s.kind for d in docs for s in d.spans["quantity"])),
        "source": "quantities/corpus (30 files) + quantities/annotations/staging (2 files)",
        "note": "raw_tags_* count tags as written (the README's counts); measures inside XML comments are not gold",
    }
    return Corpus(NAME, docs, TASKS, stats)

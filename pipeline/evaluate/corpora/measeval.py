"""MeasEval (SemEval-2021 Task 8), train + trial: paragraphs with Quantity / MeasuredEntity / MeasuredProperty.

One doc per paragraph text (248 train + 65 trial; paragraphs without a TSV have no quantities). Offsets in the TSV
index the paragraph text directly. Each annotSet gives one link: its Quantity with the set's entity and property.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from pipeline.evaluate.gold import Corpus, GoldDoc, GoldLink, Mention, Span, Task, merge_split, trim

NAME = "measeval"
SPLITS = ("train", "trial")

TASKS = [
    Task(
        "quantity",
        "span",
        field="quantity",
        attrs=("unit",),
        note="Quantity spans vs predicted quantity + condition spans; unit accuracy vs the Quantity's `unit`",
    ),
    Task(
        "links",
        "link",
        rule="measeval",
        condition_links=True,
        note="record quantity (or a condition's quantity, with the record's material) matches a Quantity; its "
        "material must match the MeasuredEntity and its property the MeasuredProperty, where the gold has them",
    ),
]


def _rows(tsv: Path) -> list[dict]:
    lines = tsv.read_text(encoding="utf-8").split("\n")
    header = lines[0].split("\t")
    out = []
    for line in lines[1:]:
        if line.strip():
            out.append(dict(zip(header, line.split("\t"), strict=False)))
    return out


def load_paragraph(text: str, rows: list[dict], counts: Counter) -> tuple[list[Span], list[GoldLink]]:
    spans: dict[tuple[int, int], Span] = {}
    sets: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        s, e = int(r["startOffset"]), int(r["endOffset"])
        counts["rows_" + r["annotType"]] += 1
        if text[s:e] != r["text"]:
            counts["offset_mismatches"] += 1
        if trim(text, s, e) != (s, e):
            counts["spans_trimmed"] += 1
            s, e = trim(text, s, e)
        r["_span"] = (s, e)
        sets[r["annotSet"]][r["annotType"]].append(r)
        if r["annotType"] == "Quantity":
            other = json.loads(r["other"]) if r.get("other") else {}
            unit = other.get("unit") or None
            spans.setdefault((s, e), Span(s, e, unit=unit))
    links = []
    for group in sets.values():
        ents, props = group.get("MeasuredEntity", []), group.get("MeasuredProperty", [])
        material = Mention(ents[0]["text"], [r["_span"] for r in ents]) if ents else None
        prop = Mention(props[0]["text"], [r["_span"] for r in props]) if props else None
        for q in group.get("Quantity", []):
            other = json.loads(q["other"]) if q.get("other") else {}
            links.append(
                GoldLink(
                    value=Mention(q["text"], [q["_span"]]),
                    material=material,
                    property=prop,
                    label="",
                    unit=other.get("unit") or None,
                )
            )
    return sorted(spans.values(), key=lambda x: (x.start, x.end)), links


def load(root: Path) -> Corpus:
    docs, counts = [], Counter()
    for split in SPLITS:
        c: Counter = Counter()
        for txt in sorted((root / split / "text").glob("*.txt")):
            text = txt.read_text(encoding="utf-8")
            tsv = root / split / "tsv" / (txt.stem + ".tsv")
            rows = _rows(tsv) if tsv.exists() else []
            c["paragraphs"] += 1
            c["annotated"] += bool(rows)
            spans, links = load_paragraph(text, rows, c)
            docs.append(GoldDoc(id=f"{NAME}:{txt.stem}", text=text, spans={"quantity": spans}, links={"links": links}))
        merge_split(counts, split, c)
    links = [lk for d in docs for lk in d.links["links"]]
    stats = {
        "docs": len(docs),
        **{k: counts[k] for k in sorted(counts) if not k.startswith("offset")},
        "quantity_spans": sum(len(d.spans["quantity"]) for d in docs),
        "links": len(links),
        "links_with_entity": sum(lk.material is not None for lk in links),
        "links_with_property": sum(lk.property is not None for lk in links),
        "offset_mismatches": counts["offset_mismatches"],
    }
    return Corpus(NAME, docs, TASKS, stats)

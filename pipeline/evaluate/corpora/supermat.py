"""SuperMat (training portion, via MatSci-LumEn): gold material -> Tc links per paragraph, without offsets.

One doc per paragraph that has at least one link (relations_training.csv `text`; 86 rows have an empty `text`:
their paragraph is taken from ner_training_paragraphs.csv by (filename, pid) when both strings are found in it).
Material, Tc value and pressure are located by string search; every occurrence is an acceptable span, the pair of
occurrences closest to each other is the primary one. Rows whose strings cannot be found are dropped and counted;
rows with an empty material (38) are kept as links that only check the value.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

from pipeline.evaluate.gold import Corpus, GoldDoc, GoldLink, Mention, Task, find_all, numbers_in, unique_links

NAME = "supermat"
TC_LABEL = "critical_temperature"

TASKS = [
    Task(
        "tc_link",
        "link",
        rule="tc",
        filter="tc",
        note="records whose property is Tc-like (filter `tc`); material span overlaps an occurrence of the gold "
        "material (or the texts contain one another) and the value span overlaps an occurrence of the gold Tc "
        "(or a number is equal); strict = exact span / equal normalized text",
    )
]


def _closest(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> tuple[list, list]:
    """Reorder both occurrence lists so that the closest pair comes first."""
    if not a or not b:
        return a, b
    best = min(((x, y) for x in a for y in b), key=lambda p: (abs(p[0][0] - p[1][0]), p[0][0]))
    return [best[0]] + [x for x in a if x != best[0]], [best[1]] + [y for y in b if y != best[1]]


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load(root: Path) -> Corpus:
    rows = _read(root / "relations_training.csv")
    paragraphs = {
        (r["filename"].split(".")[0], r["pid"]): r["text"] for r in _read(root / "ner_training_paragraphs.csv")
    }
    counts: Counter = Counter(rows=len(rows), files=len({r["filename"] for r in rows}))
    texts: dict[tuple[str, str], str] = {}
    for r in rows:  # the relations file's own text wins
        if r["text"].strip():
            texts.setdefault((r["filename"], r["passage_id"]), r["text"])
    links: dict[tuple[str, str], list[GoldLink]] = defaultdict(list)
    for r in rows:
        key = (r["filename"], r["passage_id"])
        if not r["text"].strip():
            counts["rows_without_text"] += 1
            found = [t for t in (texts.get(key), paragraphs.get(key)) if t and r["material"] in t and r["tcValue"] in t]
            if not found or (key in texts and found[0] != texts[key]):
                counts["rows_dropped_no_text"] += 1
                continue
            texts[key] = found[0]
            counts["rows_text_recovered"] += 1
        text = texts[key]
        material = r["material"].strip()
        mats, vals = _closest(find_all(text, material), find_all(text, r["tcValue"].strip()))
        if (material and not mats) or not vals:
            counts["rows_unlocatable"] += 1
            continue
        counts["rows_located"] += 1
        counts["links_without_material"] += not material
        conditions = []
        if r["pressure"].strip():
            pressure = find_all(text, r["pressure"])
            conditions.append(Mention(r["pressure"], pressure))
            counts["pressure_located" if pressure else "pressure_not_located"] += 1
        links[key].append(
            GoldLink(
                value=Mention(r["tcValue"].strip(), vals),
                material=Mention(material, mats) if material else None,
                label=TC_LABEL,
                numbers=numbers_in(r["tcValue"]),
                unit="K",
                conditions=conditions,
            )
        )
    docs = []
    for key in sorted(links, key=lambda k: (k[0], int(k[1]) if k[1].isdigit() else 0, k[1])):
        kept, dupes = unique_links(links[key])
        counts["duplicate_links"] += dupes
        docs.append(GoldDoc(id=f"{NAME}:{key[0]}#{key[1]}", text=texts[key], links={"tc_link": kept}))
    stats = {
        "docs": len(docs),
        "links": sum(len(d.links["tc_link"]) for d in docs),
        **dict(sorted(counts.items())),
        "offset_mismatches": counts["rows_unlocatable"],
        "note": "no offsets in the source: spans are located by string search (mismatches = strings not found in "
        "the row's paragraph); rows_dropped_no_text = empty `text` whose paragraph could not be recovered",
    }
    return Corpus(NAME, docs, TASKS, stats)

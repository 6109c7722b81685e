"""Dong & Cole band-gap evaluation set: 209 gold (compound, value, unit[, temperature]) records with their sentence.

One doc per distinct (article, sentence); a sentence with two records gives two links. Compound and value are
located by string search (a value occurrence followed by its unit is preferred); when not found, matching falls
back to text / numeric equality and the miss is counted as an offset mismatch.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from pipeline.evaluate.gold import Corpus, GoldDoc, GoldLink, Mention, Task, find_all, numbers_in, unique_links

NAME = "bandgap_dong_cole"
BAND_GAP = "band_gap"

TASKS = [
    Task(
        "bandgap_record",
        "link",
        rule="bandgap",
        filter="band_gap",
        note="records whose property is band-gap-like (filter `band_gap`); a value equal within 1e-6 (as given, or "
        "both in eV) and the material equal (normalized text/formula; overlap level: spans overlap or one text "
        "contains the other)",
    )
]


def _value_spans(text: str, value: str, unit: str) -> list[tuple[int, int]]:
    """Occurrences of the value (a range as written in the CSV may differ in its dash: "2.1-2.8" vs "2.1–2.8")."""

    def whole(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:  # not part of a longer number
        return [
            (s, e)
            for s, e in spans
            if not (s and (text[s - 1].isdigit() or text[s - 1] == ".")) and not (e < len(text) and text[e].isdigit())
        ]

    occ = whole(find_all(text, value))
    nums = re.findall(r"\d+(?:\.\d+)?", value)
    if not occ and len(nums) > 1:
        pattern = re.escape(nums[0]) + r"\D{0,12}?" + re.escape(nums[-1])
        occ = whole([m.span() for m in re.finditer(pattern, text)])
    if not occ and len(nums) == 1:  # "2.70" in the text for 2.7 in the CSV
        occ = [m.span() for m in re.finditer(r"\d+(?:\.\d+)?", text) if float(m.group()) == float(nums[0])]
    with_unit = [(s, e) for s, e in occ if re.match(r"\s*" + re.escape(unit), text[e:])] if unit else []
    return with_unit + [o for o in occ if o not in with_unit]


def load(root: Path) -> Corpus:
    with open(root / "gold_records.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    counts: Counter = Counter(records=len(rows), articles=len({r["doc"] for r in rows}))
    by_sentence: dict[tuple[str, str], list[GoldLink]] = {}
    for r in rows:
        text, value, unit = r["sentence"], r["value"].strip(), r["unit"].strip()
        vals = _value_spans(text, value, unit)
        mats = find_all(text, r["compound"].strip())
        counts["value_not_located"] += not vals
        counts["compound_not_located"] += not mats
        if vals:  # the value with its unit, when the unit follows
            m = re.match(r"\s*" + re.escape(unit), text[vals[0][1] :]) if unit else None
            if m:
                vals[0] = (vals[0][0], vals[0][1] + m.end())
        conditions = []
        if r["temperature"].strip():
            t = r["temperature"].strip()
            conditions.append(
                Mention(t + (" " + r["temperature_unit"] if r["temperature_unit"] else ""), find_all(text, t))
            )
        numbers = numbers_in(value)
        counts["value_ranges"] += len(numbers) > 1
        link = GoldLink(
            value=Mention(value + (" " + unit if unit else ""), vals),
            material=Mention(r["compound"].strip(), mats),
            label=BAND_GAP,
            numbers=numbers,
            unit=unit or None,
            conditions=conditions,
        )
        by_sentence.setdefault((r["doc"], text), []).append(link)
    docs = []
    for i, ((article, text), links) in enumerate(by_sentence.items()):
        kept, dupes = unique_links(links)
        counts["duplicate_records"] += dupes
        docs.append(GoldDoc(id=f"{NAME}:{article.removesuffix('.txt')}#{i}", text=text, links={"bandgap_record": kept}))
    stats = {
        "docs": len(docs),
        "links": sum(len(d.links["bandgap_record"]) for d in docs),
        **dict(sorted(counts.items())),
        "offset_mismatches": counts["value_not_located"] + counts["compound_not_located"],
        "note": "no offsets in the source: spans are located by string search in the sentence",
    }
    return Corpus(NAME, docs, TASKS, stats)

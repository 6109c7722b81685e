"""MuLMS (train + dev, converted to JSONL): full texts with VALUE/NUM/UNIT/PROPERTY/MAT entities and relations.

One doc per paper. Value spans are the VALUE entities (their UNIT entities give the gold unit; the PROPERTY that
takes them, measured or condition, their label). A measurement frame
is MEASUREMENT -measuresProperty-> PROPERTY -propertyValue-> VALUE, with the measured material(s) from
MEASUREMENT -conditionSampleFeatures-> MAT/SAMPLE (any one may match) and conditions from
MEASUREMENT -conditionProperty-> PROPERTY -propertyValue-> VALUE. An IMPLICIT_PROPERTY has no property mention,
so only the value and material are checked for it.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from pipeline.evaluate.gold import Corpus, GoldDoc, GoldLink, Mention, Span, Task, merge_split, trim, unique_links

NAME = "mulms"
SPLITS = (("train", "train.jsonl"), ("dev", "dev.jsonl"))
MATERIALS = {"MAT", "SAMPLE"}

TASKS = [
    Task(
        "value",
        "span",
        field="quantity",
        attrs=("unit",),
        note="VALUE spans vs predicted quantity + condition spans; unit accuracy vs the VALUE's UNIT entities",
    ),
    Task(
        "measurement",
        "link",
        rule="triple",
        note="MEASUREMENT frames: quantity ~ VALUE, property ~ PROPERTY (skipped when implicit), material ~ any "
        "measured MAT/SAMPLE (skipped when none)",
    ),
]


def _unit(text: str, value: dict, units: list[dict]) -> str | None:
    inside = [u for u in units if value["begin"] <= u["begin"] and u["end"] <= value["end"]]
    if not inside:
        return None
    return text[min(u["begin"] for u in inside) : max(u["end"] for u in inside)]


def _mention(text: str, ents: list[dict]) -> Mention | None:
    if not ents:
        return None
    return Mention(text[ents[0]["begin"] : ents[0]["end"]], [(e["begin"], e["end"]) for e in ents])


def load_doc(d: dict, counts: Counter) -> GoldDoc:
    text, ents = d["text"], {e["id"]: e for e in d["entities"]}
    for e in d["entities"]:
        counts[f"entity_{e['label']}"] += 1
        if text[e["begin"] : e["end"]] != e["text"]:
            counts["offset_mismatches"] += 1
        b, t = trim(text, e["begin"], e["end"])
        if (b, t) != (e["begin"], e["end"]) and b < t:
            counts["spans_trimmed"] += 1
            e["begin"], e["end"], e["text"] = b, t, text[b:t]
    out: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in d["relations"]:
        if r["governor"] in ents and r["dependent"] in ents:
            out[(r["governor"], r["type"])].append(ents[r["dependent"]])
        else:
            counts["relations_dangling"] += 1
        counts[f"relation_{r['type']}"] += 1
    units = [e for e in d["entities"] if e["label"] == "UNIT"]
    labels: dict[tuple[int, int], str] = {}
    links = []
    for m in (e for e in d["entities"] if e["label"] == "MEASUREMENT"):
        mats = [x for x in out[(m["id"], "conditionSampleFeatures")] if x["label"] in MATERIALS]
        conditions = [
            Mention(v["text"], [(v["begin"], v["end"])])
            for p in out[(m["id"], "conditionProperty")]
            for v in out[(p["id"], "propertyValue")]
            if v["label"] == "VALUE"
        ]
        for p in out[(m["id"], "measuresProperty")]:
            explicit = p["label"] == "PROPERTY"
            label = " ".join(p["text"].lower().split()) if explicit else "(implicit)"
            for v in out[(p["id"], "propertyValue")]:
                if v["label"] != "VALUE":
                    continue
                labels.setdefault((v["begin"], v["end"]), label)
                links.append(
                    GoldLink(
                        value=Mention(v["text"], [(v["begin"], v["end"])]),
                        material=_mention(text, mats),
                        property=_mention(text, [p]) if explicit else None,
                        label=label,
                        unit=_unit(text, v, units),
                        conditions=conditions,
                    )
                )
    kept, dupes = unique_links(links)
    counts["duplicate_frames"] += dupes
    for p in d["entities"]:  # values of condition properties are labelled by their property too
        if p["label"] == "PROPERTY":
            for v in out[(p["id"], "propertyValue")]:
                labels.setdefault((v["begin"], v["end"]), " ".join(p["text"].lower().split()))
    spans = {}
    for v in (e for e in d["entities"] if e["label"] == "VALUE"):
        key = (v["begin"], v["end"])
        spans.setdefault(key, Span(*key, label=labels.get(key, ""), unit=_unit(text, v, units)))
    return GoldDoc(
        id=f"{NAME}:{d['doc_id']}",
        text=text,
        spans={"value": sorted(spans.values(), key=lambda s: (s.start, s.end))},
        links={"measurement": kept},
    )


def load(root: Path) -> Corpus:
    docs, counts = [], Counter()
    for split, fname in SPLITS:
        c: Counter = Counter()
        with open(root / fname, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    c["docs"] += 1
                    docs.append(load_doc(json.loads(line), c))
        merge_split(counts, split, c)
    frames = [lk for d in docs for lk in d.links["measurement"]]
    stats = {
        "docs": len(docs),
        "value_spans": sum(len(d.spans["value"]) for d in docs),
        "measurement_frames": len(frames),
        "frames_with_material": sum(lk.material is not None for lk in frames),
        "frames_with_explicit_property": sum(lk.property is not None for lk in frames),
        **{k: counts[k] for k in sorted(counts) if k != "offset_mismatches"},
        "offset_mismatches": counts["offset_mismatches"],
    }
    return Corpus(NAME, docs, TASKS, stats)

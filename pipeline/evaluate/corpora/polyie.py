"""PolyIE (train + validation): tokenized polymer papers, BIO entities CN/PN/PV/Condition, n-ary relations.

One doc per paper; its text is the tokens joined by single spaces, paragraphs joined by a blank line, so every
token span has exact char offsets. Relations are token spans (CN, PN, PV[, Condition]); the argument types are
checked against the BIO tags (disagreements are counted as mismatches). A PV's label is the property name (PN text)
of the first relation that uses it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from pipeline.evaluate.gold import Corpus, GoldDoc, GoldLink, Mention, Span, Task, merge_split, unique_links

NAME = "polyie"
SPLITS = (("train", "train_split.json"), ("validation", "validation_split.json"))

TASKS = [
    Task("value", "span", field="quantity", note="PV spans vs predicted quantity + condition spans"),
    Task(
        "triple",
        "link",
        rule="triple",
        note="(CN, PN, PV) relations: material span ~ CN, property span ~ PN (or equal normalized text), "
        "quantity span ~ PV; strict = exact spans, overlap = overlapping spans",
    ),
]


def _entities(labels: list[str]) -> list[tuple[int, int, str]]:
    out, cur = [], None
    for i, tag in enumerate(labels + ["O"]):
        if cur and not (tag.startswith("I-") and tag[2:] == cur[2]):
            out.append((cur[0], i, cur[2]))
            cur = None
        if tag.startswith("B-") or (tag.startswith("I-") and cur is None):
            cur = (i, None, tag[2:])
    return out


def layout(paragraphs: list[list[str]]) -> tuple[str, list[list[int]]]:
    """The doc text and each token's start offset (tokens joined by spaces, paragraphs by a blank line)."""
    parts, starts, pos = [], [], 0
    for k, tokens in enumerate(paragraphs):
        if k:
            parts.append("\n\n")
            pos += 2
        row = []
        for j, tok in enumerate(tokens):
            if j:
                parts.append(" ")
                pos += 1
            row.append(pos)
            parts.append(tok)
            pos += len(tok)
        starts.append(row)
    return "".join(parts), starts


def load_doc(doc_id: str, paragraphs: list[list[str]], labels, relations, counts: Counter) -> GoldDoc:
    text, starts = layout(paragraphs)
    spans: dict[tuple[int, int], list] = {}
    links = []
    for p, (tokens, tags, rels) in enumerate(zip(paragraphs, labels, relations, strict=True)):

        def char_span(s: int, e: int, p: int = p, tokens: list[str] = tokens) -> tuple[int, int]:
            cs, ce = starts[p][s], starts[p][e - 1] + len(tokens[e - 1])
            if text[cs:ce] != " ".join(tokens[s:e]):
                counts["offset_mismatches"] += 1
            return cs, ce

        for s, e, etype in _entities(tags):
            counts[f"entity_{etype}"] += 1
            if etype == "PV":
                spans.setdefault(char_span(s, e), [*char_span(s, e), ""])
        for rel in rels:
            counts[f"relations_arity_{len(rel)}"] += 1
            args: dict[str, list[tuple[int, int]]] = {}
            for s, e in rel:
                etype = tags[s][2:] if tags[s] != "O" else "O"
                if etype == "O" or any(t[2:] != etype for t in tags[s + 1 : e]):
                    counts["relation_arg_tag_mismatches"] += 1
                args.setdefault(etype, []).append(char_span(s, e))
            if not all(k in args for k in ("CN", "PN", "PV")):
                counts["relations_without_cn_pn_pv"] += 1
                continue
            cn, pn, pv = (args[k][0] for k in ("CN", "PN", "PV"))
            label = " ".join(text[pn[0] : pn[1]].lower().split())
            if pv in spans and not spans[pv][2]:
                spans[pv][2] = label
            links.append(
                GoldLink(
                    value=Mention(text[pv[0] : pv[1]], [pv]),
                    material=Mention(text[cn[0] : cn[1]], [cn]),
                    property=Mention(text[pn[0] : pn[1]], [pn]),
                    label=label,
                    conditions=[Mention(text[a:b], [(a, b)]) for a, b in args.get("Condition", [])],
                )
            )
    kept, dupes = unique_links(links)
    counts["duplicate_relations"] += dupes
    gold_spans = [Span(s, e, label=lab) for s, e, lab in sorted(spans.values())]
    return GoldDoc(id=f"{NAME}:{doc_id}", text=text, spans={"value": gold_spans}, links={"triple": kept})


def load(root: Path) -> Corpus:
    docs, counts = [], Counter()
    for split, fname in SPLITS:
        data = json.loads((root / fname).read_text(encoding="utf-8"))
        c: Counter = Counter()
        for i, (paras, labels, rels) in enumerate(zip(data["text"], data["label"], data["relation"], strict=True)):
            c["docs"] += 1
            docs.append(load_doc(f"{split}-{i:03d}", paras, labels, rels, c))
        merge_split(counts, split, c)
    stats = {
        "docs": len(docs),
        "value_spans": sum(len(d.spans["value"]) for d in docs),
        "triples": sum(len(d.links["triple"]) for d in docs),
        **{k: counts[k] for k in sorted(counts) if k != "offset_mismatches"},
        "offset_mismatches": counts["offset_mismatches"],
        "note": "text is rebuilt from the tokens, so offsets are exact by construction; "
        "relation_arg_tag_mismatches counts arguments whose BIO tags disagree with their type",
    }
    return Corpus(NAME, docs, TASKS, stats)

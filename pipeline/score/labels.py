"""Correct/wrong labels for predicted records on a gold corpus, with `matlit eval`'s own matching.

Only *link* tasks judge a whole record (value + material + property); span tasks judge a quantity span alone and
are not used. For each document and link task, the task's eligible predictions are built exactly as the scorer
builds them (metrics.pred_links: property filter, value span inside annotated regions, deduplicated), matched
one-to-one to the gold links at the `overlap` level (metrics.greedy_match with the task's rule), and a record is
correct when its own link was matched, wrong when it was eligible but unmatched. Records no link task looks at (a
Tc-only corpus and a thermal-conductivity record, a value outside annotated regions) get no label.
"""

from __future__ import annotations

from collections import defaultdict

from pipeline.evaluate.gold import Corpus
from pipeline.evaluate.metrics import DEFAULT_FILTERS, LINK_RULES, NUMERIC_RULES, greedy_match, pred_link, pred_links
from schemas import Record

LEVEL = "overlap"


def link_tasks(corpus: Corpus) -> list:
    return [t for t in corpus.tasks if t.kind == "link"]


def label_records(corpus: Corpus, records: list[Record]) -> dict[str, bool]:
    """record id -> True (matched a gold link) / False (eligible, unmatched); unlabeled records are absent."""
    by_doc: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_doc[r.evidence.source_id].append(r)
    labels: dict[str, bool] = {}
    for task in link_tasks(corpus):
        filt = DEFAULT_FILTERS.get(task.filter) if task.filter else None
        numeric = task.rule in NUMERIC_RULES
        rule = LINK_RULES[task.rule]
        for doc in corpus.docs:
            recs = by_doc.get(doc.id, [])
            if not recs:
                continue
            gold = doc.links.get(task.name, [])
            pred = pred_links(recs, doc, filt, numeric, task.condition_links)
            pairs = [(rule(g, p, LEVEL, doc.text), gi, pi) for gi, g in enumerate(gold) for pi, p in enumerate(pred)]
            matched = {pred[pi].key() for _, pi in greedy_match(pairs)}
            eligible = {p.key() for p in pred}
            for r in recs:
                if filt is not None and not filt(r.property):
                    continue
                k = pred_link(r, doc.text).key()
                if k in eligible:
                    labels[r.record_id] = labels.get(r.record_id, False) or k in matched
    return labels

"""Correct/wrong labels for predicted records on a gold corpus, with `matlit eval`'s own matching.

Only *link* tasks judge a whole record (value + material + property); span tasks judge a quantity span alone and
are not used. For each document and link task, the task's eligible predictions are built exactly as the scorer
builds them (metrics.pred_links: property filter, value span inside annotated regions, deduplicated), matched
one-to-one to the gold links at the `overlap` level (metrics.greedy_match with the task's rule), and a record is
correct when its own link was matched, wrong when it was eligible but unmatched. Records no link task looks at (a
Tc-only corpus and a thermal-conductivity record, a value outside annotated regions) get no label.

Only records are labelled: quantity mentions (numbers with no vocabulary property, pipeline/normalize.is_mention)
are not records, the score stage never sees them, and `matlit eval`'s link tasks leave them out too.

The hand table gold (tests/fixtures/table_gold) annotates every value cell of its tables, so its labels are
exhaustive: a record read from a parsed table that is one of the gold tables (pipeline/evaluate/tables.tables_for) is
correct when it matches a gold cell one-to-one at the `strict` level of pipeline/evaluate/tables.py (value within
rounding after unit conversion, material and property), wrong otherwise; records of other tables get no label.

Why "unmatched = wrong" is kept for the text corpora (checked by hand, 60 records labelled wrong, 2026-12-07): 53
were truly wrong (citation and page numbers, recipe amounts, counts, electrodes/solvents as the material, the value
of a neighbouring material, non-property numbers), 7 plausibly right but unmatched (a gold convention such as
SuperMat's "x = 0.1" as the material, a range split in two, a property left out of the gold's scope). Incomplete
gold is a minor share; most wrong labels are real extractor errors.
"""

from __future__ import annotations

from collections import defaultdict

from pipeline.evaluate.gold import Corpus
from pipeline.evaluate.metrics import DEFAULT_FILTERS, LINK_RULES, NUMERIC_RULES, greedy_match, pred_link, pred_links
from schemas import Record

LEVEL = "overlap"

DEFINITION = (
    "a record is correct when it matches a gold record of its document one-to-one with `matlit eval`'s matching "
    "(text link corpora: value, material and property at the overlap level, only records the corpus's link task "
    "looks at - its property filter, inside its annotated regions; table_gold: value within rounding after unit "
    "conversion, material and property, only records of the gold tables), and wrong when it is such a record but "
    "matches none; other records are unlabelled"
)


def link_tasks(corpus: Corpus) -> list:
    return [t for t in corpus.tasks if t.kind == "link"]


def label_records(corpus: Corpus, records: list[Record]) -> dict[str, bool]:
    """record id -> True (matched a gold link) / False (eligible, unmatched); unlabeled records (and quantity
    mentions) are absent."""
    from pipeline.normalize import is_mention

    by_doc: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        if not is_mention(r):
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


def label_table_records(gold_tables: list, tables: list, records: list[Record]) -> dict[str, bool]:
    """record id -> True/False for the records read from the parsed tables that are gold tables (table_gold:
    every value cell annotated, so unmatched = wrong); one-to-one greedy at pipeline/evaluate/tables' strict level."""
    from pipeline.evaluate.tables import material_match, property_match, tables_for, value_unit_match
    from pipeline.normalize import is_mention

    table_recs = [r for r in records if r.evidence.source_kind == "table" and not is_mention(r)]
    labels: dict[str, bool] = {}
    for gt in gold_tables:
        ids = {t.id for t in tables_for(gt, tables)}
        preds = [r for r in table_recs if r.evidence.source_id.split(":", 1)[0] in ids]
        pairs = [
            (1.0, gi, pi)
            for gi, g in enumerate(gt.cells)
            for pi, p in enumerate(preds)
            if value_unit_match(g, p) and material_match(g, p) and property_match(g, p)
        ]
        matched = {pi for _, pi in greedy_match(pairs)}
        for pi, r in enumerate(preds):
            labels[r.record_id] = labels.get(r.record_id, False) or pi in matched
    return labels

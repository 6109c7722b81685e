"""Score one corpus's tasks: P/R/F1 at both levels, attribute accuracies, per-property F1, error examples.

What each task kind sees (pipeline/normalize.py:is_mention separates records from quantity mentions):

* span tasks judge spans alone (a quantity, a material): every normalized record AND every quantity mention — a
  number with no property is still a found quantity;
* link tasks judge whole records (value + material + property): records only. A mention (no vocabulary property)
  is not a record; on the dev corpora the mentions that matched a gold link all matched links whose gold has no
  property either (MeasEval quantities with no MeasuredProperty, MuLMS measurements with none), 30 of ~6,000
  mentions, while the rest are false positives. Each link task's result also holds `with_mentions` (pred and
  levels of the same task scored over records + mentions) so both numbers stay visible.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from pipeline.evaluate.gold import Corpus, GoldDoc, GoldLink, Task, norm_unit
from pipeline.evaluate.metrics import (
    DEFAULT_FILTERS,
    LEVELS,
    LINK_RULES,
    NUMERIC_RULES,
    PRF,
    PredLink,
    PropertyFilter,
    greedy_match,
    pred_links,
    pred_spans,
    prop_key,
    span_pairs,
    valid_span,
)
from schemas import Record

ERROR_LEVEL = "overlap"
OTHER = "(other properties)"
PER_DOC_ERRORS = 2  # at most this many examples of each kind from one document, for variety


def context(text: str, start: int, end: int, width: int = 160) -> str:
    """The sentence around [start, end) (at most `width` chars each side), the mention marked with ⟦ ⟧."""
    lo = max(0, start - width)
    cut = max(text.rfind(". ", lo, start), text.rfind("\n", lo, start))
    lo = cut + 1 if cut >= 0 else lo
    hi = min(len(text), end + width)
    stops = [i for i in (text.find(". ", end, hi), text.find("\n", end, hi)) if i >= 0]
    hi = min(stops) + 1 if stops else hi
    s = text[lo:start] + "⟦" + text[start:end] + "⟧" + text[end:hi]
    return " ".join(s.split())


def group_records(records: list[Record], docs: list[GoldDoc]) -> tuple[dict[str, list[Record]], Counter]:
    """Records and mentions by doc id (evidence.source_id); counts both ("records" = all, "mentions" = the quantity
    mentions among them), records for unknown docs and spans outside their text."""
    from pipeline.normalize import is_mention

    texts = {d.id: d.text for d in docs}
    by_doc: dict[str, list[Record]] = defaultdict(list)
    stats: Counter = Counter(records=len(records), mentions=sum(1 for r in records if is_mention(r)))
    for r in records:
        doc_id = r.evidence.source_id
        if doc_id not in texts:
            stats["records_unknown_doc"] += 1
            continue
        by_doc[doc_id].append(r)
        spans = [r.quantity.span, r.property.span, r.material.span if r.material else None]
        spans += [c.span for c in r.conditions] + [c.quantity.span for c in r.conditions if c.quantity]
        for sp in spans:
            if sp is not None and valid_span(sp, texts[doc_id]) is None:
                stats["invalid_spans"] += 1
    return by_doc, stats


def _describe_link(x: GoldLink | PredLink, text: str) -> tuple[str, tuple[int, int] | None]:
    if isinstance(x, GoldLink):
        parts = [
            ("material", x.material.text if x.material else None),
            ("property", x.property.text if x.property else None),
        ]
        parts += [("value", x.value.text)]
        where = x.value.primary or (x.material.primary if x.material else None)
    else:
        mat = text[x.material[0] : x.material[1]] if x.material else (x.material_texts[0] if x.material_texts else None)
        parts = [("material", mat), ("property", x.label or None)]
        parts += [("value", text[x.value[0] : x.value[1]] if x.value else ", ".join(f"{v:g}" for v in x.numbers))]
        where = x.value or x.material
    return " | ".join(f"{k}: {v}" for k, v in parts if v), where


class _TaskScorer:
    def __init__(self, task: Task, filters: dict[str, PropertyFilter], n_errors: int, mentions: bool | None = None):
        """`mentions`: whether quantity mentions count; default: for span tasks yes, for link tasks no."""
        self.task, self.n_errors = task, n_errors
        self.mentions = task.kind == "span" if mentions is None else mentions
        self.filter = filters.get(task.filter) if task.filter else None
        if task.filter and self.filter is None:
            raise ValueError(f"task {task.name}: no property filter named {task.filter!r}")
        self.levels = {lv: PRF() for lv in LEVELS}
        self.attrs = {lv: {a: [0, 0] for a in task.attrs} for lv in LEVELS}
        self.per_prop: dict[str, PRF] = defaultdict(PRF)
        self.prop_names: dict[str, str] = {}
        self.errors: dict[str, list[dict]] = {"fn": [], "fp": []}
        self.n_gold = self.n_pred = 0

    def doc(self, doc: GoldDoc, records: list[Record]) -> None:
        t = self.task
        if not self.mentions:
            from pipeline.normalize import is_mention

            records = [r for r in records if not is_mention(r)]
        if t.kind == "span":
            gold = doc.spans.get(t.name, [])
            pred = pred_spans(records, t.field, doc)
            g_sp, p_sp = [(s.start, s.end) for s in gold], [(p.start, p.end) for p in pred]
            candidates = {lv: span_pairs(g_sp, p_sp, lv) for lv in LEVELS}
        else:
            gold = doc.links.get(t.name, [])
            pred = pred_links(records, doc, self.filter, t.rule in NUMERIC_RULES, t.condition_links)
            rule = LINK_RULES[t.rule]
            candidates = {
                lv: [(rule(g, p, lv, doc.text), gi, pi) for gi, g in enumerate(gold) for pi, p in enumerate(pred)]
                for lv in LEVELS
            }
        self.n_gold += len(gold)
        self.n_pred += len(pred)
        for lv in LEVELS:
            matches = greedy_match(candidates[lv])
            c = self.levels[lv]
            c.tp += len(matches)
            c.fp += len(pred) - len(matches)
            c.fn += len(gold) - len(matches)
            for gi, pi in matches:
                self._attrs(lv, gold[gi], pred[pi])
            if lv == ERROR_LEVEL:
                self._per_property(gold, pred, matches)
                self._errors(doc, gold, pred, matches)

    def _attrs(self, level: str, g, p) -> None:
        for a in self.task.attrs:
            want = getattr(g, a, None)
            if want is None:
                continue
            got = getattr(p, a, None)
            same = norm_unit(got) == norm_unit(want) if a == "unit" else got == want
            self.attrs[level][a][0] += bool(same)
            self.attrs[level][a][1] += 1

    def _per_property(self, gold: list, pred: list, matches: list[tuple[int, int]]) -> None:
        labels = [g.label for g in gold]
        if not any(labels):
            return
        for lab in labels:
            if lab:
                self.prop_names.setdefault(prop_key(lab), lab)
        mg, mp = {gi for gi, _ in matches}, {pi for _, pi in matches}
        for gi, _ in matches:
            self.per_prop[prop_key(labels[gi])].tp += 1
        for gi, lab in enumerate(labels):
            if gi not in mg:
                self.per_prop[prop_key(lab)].fn += 1
        own = next((lab for lab in labels if lab), "") if self.filter else ""  # one-property task
        for pi, p in enumerate(pred):
            if pi not in mp:
                self.per_prop[prop_key(own or p.label)].fp += 1

    def _errors(self, doc: GoldDoc, gold: list, pred: list, matches: list[tuple[int, int]]) -> None:
        mg, mp = {gi for gi, _ in matches}, {pi for _, pi in matches}
        for kind, items, used in (("fn", gold, mg), ("fp", pred, mp)):
            room = self.n_errors - len(self.errors[kind])
            missed = [x for i, x in enumerate(items) if i not in used][: min(room, PER_DOC_ERRORS)]
            for x in missed:
                if hasattr(x, "start"):  # a gold or predicted span
                    what, where = doc.text[x.start : x.end], (x.start, x.end)
                else:
                    what, where = _describe_link(x, doc.text)
                ctx = context(doc.text, *where) if where else " ".join(doc.text[:200].split())
                self.errors[kind].append({"doc": doc.id, "mention": what, "context": ctx})

    def result(self) -> dict:
        per_prop, other_fp = {}, 0
        for key, c in sorted(self.per_prop.items(), key=lambda kv: -(kv[1].tp + kv[1].fn)):
            if key in self.prop_names:
                per_prop[self.prop_names[key]] = {"gold": c.tp + c.fn, **c.as_dict()}
            else:
                other_fp += c.fp
        if per_prop and other_fp:  # unmatched predictions whose property is none of the gold ones
            per_prop[OTHER] = {"gold": 0, "tp": 0, "fp": other_fp, "fn": 0, "p": None, "r": None, "f1": None}
        return {
            "kind": self.task.kind,
            "note": self.task.note,
            "gold": self.n_gold,
            "pred": self.n_pred,
            "levels": {lv: self.levels[lv].as_dict() for lv in LEVELS},
            "attrs": {
                lv: {a: {"correct": n, "total": t, "accuracy": n / t if t else None} for a, (n, t) in d.items()}
                for lv, d in self.attrs.items()
            },
            "per_property": per_prop,
            "errors": self.errors,
        }


def score_corpus(
    corpus: Corpus,
    records: list[Record],
    filters: dict[str, PropertyFilter] | None = None,
    n_errors: int = 5,
    on_doc=None,
) -> dict:
    """{"tasks": {name: result}, "records": counts} for one corpus; `on_doc()` is called after each document."""
    filters = {**DEFAULT_FILTERS, **(filters or {})}
    by_doc, stats = group_records(records, corpus.docs)
    scorers = [_TaskScorer(t, filters, n_errors) for t in corpus.tasks]
    shadows = {t.name: _TaskScorer(t, filters, 0, mentions=True) for t in corpus.tasks if t.kind == "link"}
    for doc in corpus.docs:
        recs = by_doc.get(doc.id, [])
        for s in [*scorers, *shadows.values()]:
            s.doc(doc, recs)
        if on_doc:
            on_doc()
    tasks = {s.task.name: s.result() for s in scorers}
    for name, sh in shadows.items():
        r = sh.result()
        tasks[name]["with_mentions"] = {"pred": r["pred"], "levels": r["levels"]}
    return {"tasks": tasks, "records": dict(stats)}

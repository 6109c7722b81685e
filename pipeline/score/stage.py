"""The `score` stage: normalized records (work/records/<id>.jsonl) -> scored records (work/scored/<id>.jsonl).
Records only: the quantity mentions normalize writes to work/mentions/ (no vocabulary property) are neither
reconciled nor scored.

prepare() (once, in the launching process) reads every paper's normalized records and reconciles them corpus-wide
(reconcile.py): it writes the fact groups to work/score/groups.jsonl and one small context file per paper,
work/score/context/<id>.json (reconciliation flags, cross-paper consensus, in-paper repeats). A context file is
rewritten only when its content changed, and a paper is re-scored when its context or records are newer than its
scored file, so adding papers re-scores exactly the papers whose consensus moved.

process() scores each record: features (features.py, with the parsed document for section / OCR / table flags),
the combiner (model.py: pipeline/score/model.json or the hand-set fallback), and flags:

    group:<id>, consensus, disagrees_with_consensus, repeats_cited_value     reconciliation
    why:<plain words>                                                       what lowered or raised the score
    score_model:fallback                                                    model.json was missing
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from pipeline.runner import Stage
from pipeline.workdir import WorkDir, atomic_write_bytes, atomic_write_text
from schemas import Record

REVIEW_TITLE_WORDS = ("review", "overview", "perspective", "survey")


def score_dir(wd: WorkDir) -> Path:
    return wd.root / "score"


def groups_path(wd: WorkDir) -> Path:
    return score_dir(wd) / "groups.jsonl"


def context_path(wd: WorkDir, paper_id: str) -> Path:
    return score_dir(wd) / "context" / f"{paper_id}.json"


def _write_if_changed(path: Path, data: bytes) -> None:
    try:
        if path.read_bytes() == data:
            return
    except FileNotFoundError:
        pass
    atomic_write_bytes(path, data)


REVIEW_MIN_REFERENCES = 100  # a paper with this many references ...
REVIEW_MIN_CITING_SHARE = 0.2  # ... and this share of body sentences citing "[n]" reads as a review


def is_review(title: str | None, doc=None) -> bool:
    """A review article: its title says so, or (parsed) it has many references and cites in many sentences."""
    import re

    t = (title or "").lower()
    if any(w in t.split()[:8] or t.startswith(w) for w in REVIEW_TITLE_WORDS):
        return True
    if doc is None:
        return False
    refs = sum(1 for b in doc.blocks if b.kind == "reference")
    if refs < REVIEW_MIN_REFERENCES:
        return False
    body = {b.id for b in doc.body_blocks()}
    sents = [x for x in doc.sentences if x.block_id in body]
    cite = re.compile(r"\[\s*\d+(?:\s*[-–,]\s*\d+)*\s*\]")
    return bool(sents) and sum(bool(cite.search(x.text)) for x in sents) / len(sents) >= REVIEW_MIN_CITING_SHARE


def review_papers(wd: WorkDir, paper_ids: list[str]) -> set[str]:
    """Papers that read as review articles: every value they state counts as cited. The verdicts are cached in
    work/score/reviews.json (reading every parsed document again on each run would not scale)."""
    cache_path = score_dir(wd) / "reviews.json"
    try:
        cache = json.loads(cache_path.read_text("utf-8"))
    except (OSError, ValueError):
        cache = {}
    todo = [pid for pid in paper_ids if pid not in cache]
    for pid in todo:
        title, doc = None, None
        try:
            title = wd.load_paper(pid).title
        except (OSError, ValueError):
            pass
        if wd.parsed_json(pid).exists():
            try:
                doc = wd.load_parsed(pid)
            except (OSError, ValueError):
                doc = None
        cache[pid] = is_review(title or (doc.metadata.title if doc else None), doc)
    if todo:
        atomic_write_text(cache_path, json.dumps(cache, sort_keys=True))
    return {pid for pid in paper_ids if cache.get(pid)}


def reconcile_workdir(wd: WorkDir, paper_ids: list[str]) -> dict:
    """Reconcile every paper's normalized records; write groups.jsonl and the per-paper context files."""
    from pipeline.score.reconcile import material_key, reconcile, value_of

    records: list[Record] = []
    for pid in paper_ids:
        try:
            recs = wd.read_records("normalize", pid)
        except (OSError, ValueError):
            continue  # a broken records file fails that paper in process(), with its reason
        # only records that can join a fact group are kept in memory (material, property and one value)
        records.extend(r for r in recs if r.property.id and material_key(r) and value_of(r) is not None)
    rec = reconcile(records, review_papers=review_papers(wd, paper_ids))
    atomic_write_text(
        groups_path(wd), "".join(json.dumps(g.to_json(), ensure_ascii=False, sort_keys=True) + "\n" for g in rec.groups)
    )
    per_paper: dict[str, dict] = defaultdict(lambda: {"flags": {}, "consensus": {}, "repeats": {}})
    for r in records:
        c = per_paper[r.paper_id]
        if r.record_id in rec.flags:
            c["flags"][r.record_id] = rec.flags[r.record_id]
        if r.record_id in rec.consensus:
            k = rec.consensus[r.record_id]
            c["consensus"][r.record_id] = [k.n_other_papers, k.median, k.log_dev]
        if rec.paper_repeats.get(r.record_id):
            c["repeats"][r.record_id] = rec.paper_repeats[r.record_id]
    for pid in paper_ids:
        data = json.dumps(per_paper.get(pid, {"flags": {}, "consensus": {}, "repeats": {}}), sort_keys=True)
        _write_if_changed(context_path(wd, pid), data.encode())
    return {"records": len(records), "groups": len(rec.groups)}


def load_context(wd: WorkDir, paper_id: str):
    from pipeline.score.features import Context
    from pipeline.score.reconcile import Consensus

    doc = wd.load_parsed(paper_id) if wd.parsed_json(paper_id).exists() else None
    p = context_path(wd, paper_id)
    raw = json.loads(p.read_text("utf-8")) if p.exists() else {"flags": {}, "consensus": {}, "repeats": {}}
    ctx = Context.for_document(
        doc,
        consensus={k: Consensus(int(v[0]), float(v[1]), float(v[2])) for k, v in raw["consensus"].items()},
        paper_repeats=raw["repeats"],
    )
    return ctx, raw["flags"]


def explain(contributions: dict[str, float], why: list[str], limit: float = -0.5) -> list[str]:
    """Words for the features that lowered the score by more than `limit` (logit) and have no words yet."""
    from pipeline.score.features import WORDS

    out = []
    for f, c in sorted(contributions.items(), key=lambda kv: kv[1]):
        if c <= limit and f in WORDS and WORDS[f] not in why:
            out.append(WORDS[f])
    return out


def score_records(records: list[Record], ctx, recon_flags: dict[str, list[str]], model) -> list[Record]:
    from pipeline.score.features import record_features

    out = []
    for r in records:
        x, why = record_features(r, ctx)
        s = model.predict(x)
        why += explain(model.contributions(x), why)
        flags = set(r.flags) | set(recon_flags.get(r.record_id, ())) | {f"why:{w}" for w in why}
        if model.fallback:
            flags.add("score_model:fallback")
        out.append(r.model_copy(update={"score": s, "flags": sorted(flags)}))
    return out


class ScoreStage(Stage):
    name = "score"

    def work_items(self, wd: WorkDir) -> list[str]:
        return sorted(wd.done_ids("normalize"))

    def prepare(self, wd: WorkDir) -> None:
        from pipeline.errors import ConfigError
        from pipeline.score.model import ModelError, ScoreModel

        try:  # a missing or broken model file named in the config aborts before any paper
            ScoreModel.load(self.cfg.score.model_path)
        except ModelError as e:
            raise ConfigError(f"score.model_path: {e}") from e
        if self.cfg.score.consensus:
            reconcile_workdir(wd, self.work_items(wd))

    def is_done(self, wd: WorkDir, item: str) -> bool:
        out = wd.stage_output(self.name, item)
        if not out.exists():
            return False
        t = out.stat().st_mtime_ns
        from pipeline.score.model import MODEL_PATH

        deps = [wd.stage_output("normalize", item), context_path(wd, item), Path(self.cfg.score.model_path or MODEL_PATH)]
        return all(not d.exists() or d.stat().st_mtime_ns <= t for d in deps)

    def model(self):
        if getattr(self, "_model", None) is None:
            from pipeline.score.model import ScoreModel

            self._model = ScoreModel.load(self.cfg.score.model_path)
        return self._model

    def process(self, wd: WorkDir, item: str) -> None:
        records = wd.read_records("normalize", item)
        ctx, recon_flags = load_context(wd, item)
        wd.write_records(self.name, item, score_records(records, ctx, recon_flags, self.model()))

"""`matlit score train`: fit the score combiner on the dev gold corpora and write pipeline/score/model.json.

1. run the configured extractors + normalize on every link corpus (the corpora with whole-record gold: band gaps,
   SuperMat, MeasEval, MuLMS, PolyIE) exactly as `matlit eval` does, and parse + table-extract the PDFs of the hand
   table gold (table_gold, every value cell of its tables annotated) as `matlit eval --corpus table_gold` does;
2. label each record with eval's own matching (labels.py, `labels.DEFINITION`): matched to gold = correct, looked
   at by the gold but unmatched = wrong; quantity mentions (no vocabulary property) are not records: unlabelled;
3. reconcile all records (each gold document counts as a paper) and compute features (features.py);
4. split by document with the project's fixed split (pipeline/evaluate/gold.split_of: 20 % "heldout", the split
   train-ner / finetune also keep out of training, and `matlit eval --split heldout` scores): held-out documents
   are never seen in fitting;
5. fit a logistic regression (scikit-learn) on the rest, an isotonic calibration map on its out-of-fold
   (5-fold by document) predictions, refit the regression on all of the rest;
6. measure on the held-out documents: ECE (15 bins), Brier, AUC, share of wrong records in the lowest-scored 20 %,
   its ceiling (the lowest 20 % can hold at most 0.2 n records: 0.2 / share wrong) and the share of the flagged 20 %
   that is wrong.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipeline.score.features import FEATURES, Context, record_features
from pipeline.score.model import PRIORS, ScoreModel
from schemas import Record

LINK_CORPORA = ["bandgap_dong_cole", "supermat", "measeval", "mulms", "polyie"]
TABLE_CORPUS = "table_gold"


@dataclass
class TableSource:
    """One table_gold PDF: its parsed tables, the table extractor's records and their labels."""

    doc_id: str  # "table_gold:<pdf file>" (the split is by PDF)
    tables: list
    records: list[Record]
    labels: dict[str, bool]


@dataclass
class Example:
    corpus: str
    doc_id: str
    record_id: str
    x: dict[str, float]
    label: bool


def is_heldout(doc_id: str) -> bool:
    from pipeline.evaluate.gold import split_of

    return split_of(doc_id) == "heldout"


def examples_from(
    corpus_records: list[tuple[object, list[Record]]], table_sources: list[TableSource] = ()
) -> list[Example]:
    """Labelled feature rows from (gold corpus, its predicted records) pairs and table_gold PDFs; reconciliation
    runs across all of them."""
    from pipeline.score.labels import label_records
    from pipeline.score.reconcile import reconcile

    labels = {}
    for corpus, records in corpus_records:
        labels[corpus.name] = label_records(corpus, records)
    from pipeline.normalize import is_mention

    # what the score stage reconciles: records only (quantity mentions never reach it)
    everything = [r for _, recs in corpus_records for r in recs] + [r for t in table_sources for r in t.records]
    everything = [r for r in everything if not is_mention(r)]
    rec = reconcile(everything)
    ctx = Context(consensus=rec.consensus, paper_repeats=rec.paper_repeats)
    out = []
    for corpus, records in corpus_records:
        lab = labels[corpus.name]
        for r in records:
            if r.record_id in lab:
                x, _ = record_features(r, ctx)
                out.append(Example(corpus.name, r.evidence.source_id, r.record_id, x, lab[r.record_id]))
    for t in table_sources:
        tctx = Context(tables={tb.id: tb for tb in t.tables}, consensus=rec.consensus, paper_repeats=rec.paper_repeats)
        for r in t.records:
            if r.record_id in t.labels:
                x, _ = record_features(r, tctx)
                out.append(Example(TABLE_CORPUS, t.doc_id, r.record_id, x, t.labels[r.record_id]))
    return out


def extract_table_gold(shared_dir, limit: int | None = None, progress: bool = True) -> list[TableSource]:
    """Parse each table_gold PDF (tables on, no OCR), run the table extractor + normalize (pipeline/evaluate/tables'
    default extractor, what `matlit eval --corpus table_gold` scores) and label the gold tables' records. A PDF that
    is absent (not bundled, no shared/data/open_pdfs) or fails to parse is left out."""
    import hashlib

    from rich.progress import Progress

    from pipeline.evaluate import load_corpus
    from pipeline.evaluate.corpora import data_dir
    from pipeline.evaluate.corpora.table_gold import find_pdf
    from pipeline.evaluate.tables import default_table_extractor
    from pipeline.score.labels import label_table_records

    corpus = load_corpus(TABLE_CORPUS, limit=limit)
    by_paper: dict[str, list] = {}
    for gt in corpus.tables:
        by_paper.setdefault(gt.paper_file, []).append(gt)
    try:
        shared = data_dir(shared_dir)
    except Exception:  # noqa: BLE001 - no shared folder: bundled PDFs only
        shared = None
    out = []
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("parse table_gold PDFs", total=len(by_paper))
        for paper, gts in sorted(by_paper.items()):
            bar.advance(task)
            pdf = find_pdf(paper, shared)
            if pdf is None:
                continue
            try:
                tables, records = default_table_extractor(pdf, hashlib.sha256(pdf.read_bytes()).hexdigest()[:16])
            except Exception:  # noqa: BLE001 - one broken PDF must not stop training
                continue
            out.append(TableSource(f"{TABLE_CORPUS}:{paper}", tables, records, label_table_records(gts, tables, records)))
    return out


def extract_corpora(corpora: list[str], shared_dir, limit: int | None, extractors: list[str], progress: bool = True):
    """(corpus, normalized records) per corpus, the same extraction `matlit eval` runs."""
    from rich.progress import Progress

    from pipeline.evaluate import load_corpus
    from pipeline.extract import extract_texts
    from pipeline.normalize import normalize_records

    out = []
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("extract dev corpora", total=len(corpora))
        for name in corpora:
            corpus = load_corpus(name, shared_dir, limit)
            out.append((corpus, normalize_records(extract_texts([(d.id, d.text) for d in corpus.docs], extractors))))
            bar.advance(task)
    return out


def _git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=Path(__file__).parent
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def fit(examples: list[Example], bins: int = 15) -> tuple[dict, list, list]:
    """The model dict (model.json content) and the held-out (scores, labels)."""
    import numpy as np
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_predict

    from pipeline.score.calibration import summary

    train = [e for e in examples if not is_heldout(e.doc_id)]
    test = [e for e in examples if is_heldout(e.doc_id)]
    if len({e.label for e in train}) < 2:
        raise ValueError(f"training split needs correct and wrong records (got {len(train)} records)")
    feats = list(FEATURES)
    X = np.array([[e.x[f] for f in feats] for e in train])
    y = np.array([e.label for e in train], dtype=int)
    groups = [e.doc_id for e in train]
    lr = LogisticRegression(C=1.0, max_iter=5000)
    oof = cross_val_predict(lr, X, y, cv=GroupKFold(n_splits=5), groups=groups, method="predict_proba")[:, 1]
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(oof, y)
    lr.fit(X, y)
    constant = {f for j, f in enumerate(feats) if np.ptp(X[:, j]) == 0}
    model = {
        "version": 1,
        "kind": "logistic regression + isotonic calibration",
        "features": feats,
        "coef": [round(float(c), 6) if f not in constant else 0.0 for f, c in zip(feats, lr.coef_[0], strict=True)],
        "intercept": round(float(lr.intercept_[0]), 6),
        "priors": {f: w for f, w in PRIORS.items() if f in constant},
        "priors_note": "hand-set logit offsets for features constant in the dev corpora (no trained weight possible)",
        "calibration": {
            "method": "isotonic",
            "x": [round(float(v), 6) for v in iso.X_thresholds_],
            "y": [round(float(v), 6) for v in iso.y_thresholds_],
        },
        "split": {"by": "document", "rule": "pipeline.evaluate.gold.split_of == 'heldout'"},
    }
    sm = ScoreModel.from_dict(model)
    test_scores = [sm.predict(e.x) for e in test]
    test_labels = [e.label for e in test]
    train_scores = [sm.predict(e.x) for e in train]
    model["metrics"] = {
        "heldout": {k: v for k, v in summary(test_scores, test_labels, bins).items() if k != "reliability"},
        "train": {k: v for k, v in summary(train_scores, [e.label for e in train], bins).items() if k != "reliability"},
        "goals": {"ece_max": 0.05, "share_wrong_in_lowest_20pct_min": 0.70},
        "heldout_by_corpus": {},
    }
    from pipeline.score.labels import DEFINITION

    model["metrics"]["labels"] = DEFINITION
    model["metrics"]["heldout"].update(flagging(test_scores, test_labels))
    model["metrics"]["train"].update(flagging(train_scores, [e.label for e in train]))
    for name in sorted({e.corpus for e in test}):
        sel = [i for i, e in enumerate(test) if e.corpus == name]
        lab = [test_labels[i] for i in sel]
        if len(set(lab)) == 2:
            sc = [test_scores[i] for i in sel]
            r = {k: v for k, v in summary(sc, lab, bins).items() if k != "reliability"}
            r.update(flagging(sc, lab))
            model["metrics"]["heldout_by_corpus"][name] = r
    return model, test_scores, test_labels


def flagging(scores: list[float], labels: list[bool], fraction: float = 0.2) -> dict:
    """What flagging the lowest-scored 20 % gives beyond the share of wrong records it catches: the most it could
    catch (the flagged set holds 0.2 n records, so at most 0.2 n / wrong of the wrong ones), the caught share as a
    fraction of that ceiling, and the share of the flagged records that are wrong (the curators' hit rate)."""
    from pipeline.score.calibration import share_wrong_in_lowest

    n, wrong = len(labels), sum(1 for y in labels if not y)
    k = round(fraction * n)
    caught = share_wrong_in_lowest(scores, labels, fraction)
    ceiling = min(1.0, k / wrong) if wrong else None
    flagged = sorted(range(n), key=lambda i: scores[i])[:k]
    return {
        "share_wrong": wrong / n if n else None,
        "share_wrong_in_lowest_20pct_ceiling": ceiling,
        "share_wrong_in_lowest_20pct_of_ceiling": caught / ceiling if caught is not None and ceiling else None,
        "share_of_lowest_20pct_wrong": sum(1 for i in flagged if not labels[i]) / k if k else None,
    }


def train(
    corpora: list[str] | None = None,
    shared_dir=None,
    out: Path | str | None = None,
    report_dir: Path | str | None = None,
    extractors: list[str] | None = None,
    limit: int | None = None,
    bins: int = 15,
    progress: bool = True,
    table_gold: bool = True,
) -> dict:
    """Train, write model.json (atomically) and a reliability diagram of the held-out documents; returns the model.
    `table_gold` (or "table_gold" among `corpora`) adds the hand table gold's PDFs as a labelled source."""
    from pipeline.score.calibration import write_reliability_png
    from pipeline.score.model import MODEL_PATH
    from pipeline.workdir import atomic_write_text

    corpora = list(corpora or LINK_CORPORA)
    if TABLE_CORPUS in corpora:
        corpora.remove(TABLE_CORPUS)
        table_gold = True
    extractors = extractors or ["text_rules"]
    t0 = time.perf_counter()
    pairs = extract_corpora(corpora, shared_dir, limit, extractors, progress)
    tables = extract_table_gold(shared_dir, limit, progress) if table_gold else []
    examples = examples_from(pairs, tables)
    model, scores, labels = fit(examples, bins=bins)
    by_corpus = {}
    for e in examples:
        c = by_corpus.setdefault(e.corpus, {"docs": set(), "records": 0, "correct": 0})
        c["docs"].add(e.doc_id)
        c["records"] += 1
        c["correct"] += e.label
    model["training"] = {
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "extractors": extractors,
        "corpora": {k: {"docs": len(v["docs"]), "records": v["records"], "correct": v["correct"]} for k, v in by_corpus.items()},
        "records_predicted": sum(len(r) for _, r in pairs) + sum(len(t.records) for t in tables),
        "table_gold_pdfs": len(tables),
        "records_labelled": len(examples),
        "heldout_docs": len({e.doc_id for e in examples if is_heldout(e.doc_id)}),
        "limit": limit,
        "seconds": round(time.perf_counter() - t0, 1),
        "labels": "see metrics.labels",
    }
    out = Path(out) if out is not None else MODEL_PATH
    atomic_write_text(out, json.dumps(model, indent=1) + "\n")
    if report_dir is not None:
        m = model["metrics"]["heldout"]
        write_reliability_png(
            Path(report_dir) / "reliability_heldout.png",
            scores,
            labels,
            f"held-out dev docs: ECE {m['ece']:.3f}, n={m['n']}",
        )
    return model


def eval_calibration(corpus_records: list[tuple[object, list[Record]]], model: ScoreModel | None = None) -> dict:
    """For `matlit eval`: score the link corpora's records with the committed model and measure calibration on the
    model's held-out documents (and on all documents, training ones included, for reference)."""
    from pipeline.score.calibration import summary

    model = model or ScoreModel.load()
    pairs = [(c, r) for c, r in corpus_records if c.name in LINK_CORPORA]
    if not pairs:
        return {}
    from pipeline.score.labels import DEFINITION

    examples = examples_from(pairs)
    out = {
        "model": "fallback (hand-set)" if model.fallback else "pipeline/score/model.json",
        "labels": DEFINITION,
        "sets": {},
    }
    for name, sel in (("held-out docs", [e for e in examples if is_heldout(e.doc_id)]), ("all docs", examples)):
        if sel and len({e.label for e in sel}) == 2:
            sc, lab = [model.predict(e.x) for e in sel], [e.label for e in sel]
            out["sets"][name] = summary(sc, lab) | flagging(sc, lab)
    return out

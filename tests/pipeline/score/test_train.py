"""Training data and the committed model against the dev gold corpora (skipped clearly without ../shared)."""

from __future__ import annotations

import pytest

from pipeline.score.model import ScoreModel
from pipeline.score.train import LINK_CORPORA, examples_from, fit, is_heldout
from tests.conftest import shared_data


def test_heldout_split_is_by_document_and_stable():
    ids = [f"supermat:{i}" for i in range(2000)]
    held = [i for i in ids if is_heldout(i)]
    assert 0.15 < len(held) / len(ids) < 0.25
    from pipeline.evaluate.gold import split_of

    assert held == [i for i in ids if split_of(i) == "heldout"]  # the project's one split (train-ner, eval --split)


@pytest.mark.slow
def test_committed_model_meets_the_ece_bound_on_heldout_dev_docs():
    """Re-extract the held-out documents of every link corpus, label them with eval's matching, score them with the
    committed model: ECE <= 0.05 (the issue's goal). Documents the model was fitted on are not used."""
    for name in LINK_CORPORA:
        shared_data(name)
    from pipeline.evaluate import load_corpus
    from pipeline.evaluate.gold import Corpus
    from pipeline.extract import extract_texts
    from pipeline.normalize import normalize_records
    from pipeline.score.calibration import ece, share_wrong_in_lowest

    model = ScoreModel.load()
    assert not model.fallback
    pairs = []
    for name in LINK_CORPORA:
        c = load_corpus(name)
        docs = [d for d in c.docs if is_heldout(d.id)]
        held = Corpus(c.name, docs, c.tasks, c.stats)
        pairs.append((held, normalize_records(extract_texts([(d.id, d.text) for d in docs], ["text_rules"]))))
    ex = examples_from(pairs)
    assert len(ex) > 1000 and {e.corpus for e in ex} == set(LINK_CORPORA)
    scores, labels = [model.predict(e.x) for e in ex], [e.label for e in ex]
    assert ece(scores, labels, 15) <= 0.05
    # the lowest-scored 20 % can hold at most 0.2 / share-wrong of the wrong records; demand most of that ceiling
    wrong = labels.count(False)
    ceiling = min(1.0, 0.2 * len(labels) / wrong)
    assert share_wrong_in_lowest(scores, labels, 0.2) >= 0.9 * ceiling


def test_fit_on_a_small_real_corpus_slice():
    shared_data("supermat")
    from pipeline.evaluate import load_corpus
    from pipeline.extract import extract_texts
    from pipeline.normalize import normalize_records

    c = load_corpus("supermat", limit=120)
    recs = normalize_records(extract_texts([(d.id, d.text) for d in c.docs], ["text_rules"]))
    ex = examples_from([(c, recs)])
    assert ex and {e.label for e in ex} == {True, False}
    assert all(e.doc_id.startswith("supermat:") for e in ex)
    model, scores, labels = fit(ex)
    sm = ScoreModel.from_dict(model)
    assert len(scores) == len(labels) == sum(1 for e in ex if is_heldout(e.doc_id))
    assert model["priors"]["ungrounded"] < 0 and "ungrounded" in model["priors"]  # constant in the dev corpora
    assert sm.calibrate(0.0) <= sm.calibrate(0.5) <= sm.calibrate(1.0)
    assert 0 <= model["metrics"]["heldout"]["ece"] <= 1


def test_flagging_reports_the_ceiling_and_the_hit_rate():
    from pipeline.score.train import flagging

    # 10 records, 8 wrong: the lowest 2 can catch at most 2 of the 8 wrong ones
    labels = [False] * 8 + [True] * 2
    perfect = flagging([0.1] * 8 + [0.9] * 2, labels)
    assert perfect["share_wrong"] == 0.8
    assert perfect["share_wrong_in_lowest_20pct_ceiling"] == pytest.approx(0.25)
    assert perfect["share_wrong_in_lowest_20pct_of_ceiling"] == pytest.approx(1.0)
    assert perfect["share_of_lowest_20pct_wrong"] == 1.0
    worst = flagging([0.9] * 8 + [0.1] * 2, labels)
    assert worst["share_wrong_in_lowest_20pct_of_ceiling"] == 0.0 and worst["share_of_lowest_20pct_wrong"] == 0.0


def test_committed_model_states_its_label_definition():
    from pipeline.score.labels import DEFINITION

    meta = ScoreModel.load().meta
    assert meta["metrics"]["labels"] == DEFINITION
    assert "table_gold" in DEFINITION and "correct" in DEFINITION


@pytest.mark.slow
def test_table_gold_labels_are_exhaustive_per_gold_table():
    """A bundled table_gold PDF: the records of its gold tables are labelled (matched cell = correct), others not."""
    from pipeline.score.train import extract_table_gold

    sources = [s for s in extract_table_gold(None, progress=False) if s.doc_id.endswith("aaae94.pdf")]
    if not sources:
        pytest.skip("table_gold PDF 10.1088_1361-6668_aaae94.pdf not found (data/papers)")
    (src,) = sources
    assert src.labels and set(src.labels.values()) <= {True, False}
    assert sum(src.labels.values()) >= 0.5 * len(src.labels)
    ids = {r.record_id for r in src.records if r.evidence.source_kind == "table"}
    assert set(src.labels) <= ids
    ex = examples_from([], [src])
    assert ex and all(e.corpus == "table_gold" and e.x["from_table"] == 1.0 for e in ex)

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

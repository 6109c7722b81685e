"""The committed model file, the hand-set fallback and bad model files."""

from __future__ import annotations

import json

import pytest

from pipeline.score.features import FEATURES
from pipeline.score.model import FALLBACK, MODEL_PATH, ModelError, ScoreModel


def test_committed_model_loads_and_is_calibrated():
    assert MODEL_PATH.is_file(), "pipeline/score/model.json is committed so `make corpus` works without ../shared"
    m = ScoreModel.load()
    assert not m.fallback and m.features == list(FEATURES)
    assert m.cal_x and len(m.cal_x) == len(m.cal_y)
    meta = m.meta
    assert meta["training"]["records_labelled"] > 1000
    assert meta["metrics"]["heldout"]["ece"] <= 0.05
    assert meta["split"]["by"] == "document"


def test_scores_move_the_right_way():
    m = ScoreModel.load()
    good = dict.fromkeys(FEATURES, 0.0) | {"tc_property": 1.0, "material_far": 0.2, "property_far": 0.2}
    bad = good | {"no_property": 1.0, "no_material": 1.0, "material_far": 1.0, "property_far": 1.0}
    assert 0.0 <= m.predict(bad) < m.predict(good) <= 1.0
    ungrounded = good | {"ungrounded": 1.0}  # a hand-set prior: the dev corpora cannot show it
    assert m.predict(ungrounded) < m.predict(good)


def test_fallback_when_the_default_file_is_missing(monkeypatch, tmp_path):
    import pipeline.score.model as mod

    monkeypatch.setattr(mod, "MODEL_PATH", tmp_path / "absent.json")
    m = ScoreModel.load()
    assert m.fallback and m.cal_x == []
    assert m.coef == FALLBACK["coef"]


def test_explicit_missing_or_broken_files_are_errors(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        ScoreModel.load(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        ScoreModel.load(bad)
    bad.write_text(json.dumps({"features": ["no_material", "teleportation"], "coef": [1, 2], "intercept": 0}))
    with pytest.raises(ModelError, match="teleportation"):
        ScoreModel.load(bad)
    bad.write_text(json.dumps({"features": ["no_material"], "coef": [1, 2], "intercept": 0}))
    with pytest.raises(ModelError, match="2 coefficients"):
        ScoreModel.load(bad)


def test_calibration_table_interpolates():
    m = ScoreModel(["no_material"], [0.0], 0.0, cal_x=[0.0, 0.4, 0.6, 1.0], cal_y=[0.0, 0.2, 0.8, 1.0])
    assert m.calibrate(0.5) == pytest.approx(0.5)
    assert m.calibrate(0.45) == pytest.approx(0.35)
    assert m.calibrate(-1) == 0.0 and m.calibrate(2) == 1.0

"""Calibration math on inputs whose answers are known by hand."""

from __future__ import annotations

import pytest

from pipeline.score.calibration import ece, reliability_bins, reliability_png, share_wrong_in_lowest, summary


def test_ece_of_perfectly_calibrated_bins_is_zero():
    # 10 records at 0.2 with 2 correct, 10 at 0.8 with 8 correct
    scores = [0.2] * 10 + [0.8] * 10
    labels = [True] * 2 + [False] * 8 + [True] * 8 + [False] * 2
    assert ece(scores, labels, bins=10) == pytest.approx(0.0)


def test_ece_known_value():
    # bin of 0.9 with half correct: gap 0.4 on half the records; bin of 0.1 all wrong: gap 0.1 on the other half
    scores = [0.9] * 4 + [0.1] * 4
    labels = [True, True, False, False] + [False] * 4
    assert ece(scores, labels, bins=10) == pytest.approx(0.5 * 0.4 + 0.5 * 0.1)


def test_bins_edges_and_errors():
    b = reliability_bins([0.0, 1.0, 0.5], [False, True, True], bins=2)
    assert [x["n"] for x in b] == [1, 2]  # 1.0 falls in the last bin, 0.5 starts the second
    with pytest.raises(ValueError, match="outside"):
        ece([1.2], [True])
    with pytest.raises(ValueError, match="labels"):
        ece([0.1, 0.2], [True])
    with pytest.raises(ValueError, match="no scores"):
        ece([], [])


def test_share_of_wrong_in_lowest_fifth():
    scores = [i / 10 for i in range(10)]
    labels = [False, False, True, False, True, True, True, True, True, True]  # 3 wrong, 2 of them lowest-scored
    assert share_wrong_in_lowest(scores, labels, 0.2) == pytest.approx(2 / 3)
    assert share_wrong_in_lowest([0.5, 0.6], [True, True]) is None


def test_summary_and_diagram():
    scores = [0.1, 0.4, 0.6, 0.9]
    labels = [False, False, True, True]
    s = summary(scores, labels, bins=10)
    assert s["auc"] == 1.0 and s["n"] == 4 and s["correct"] == 2
    png = reliability_png(scores, labels)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_eval_report_shows_calibration(tmp_path):
    from pipeline.evaluate.report import write_report

    scores = [0.05, 0.1, 0.2, 0.7, 0.9, 0.95]
    labels = [False, False, True, True, True, True]
    s = summary(scores, labels)
    report, plots = write_report(
        {"extractor": "x", "created": "now", "limit": None, "corpora": {}, "goals": [],
         "calibration": {"model": "pipeline/score/model.json", "sets": {"held-out docs": s}}},
        tmp_path,
    )
    text = report.read_text()
    assert "## Score calibration" in text
    assert f"**{s['ece']:.3f}**" in text and "held-out docs" in text
    assert (tmp_path / "reliability.png") in plots and (tmp_path / "reliability.png").read_bytes()[:4] == b"\x89PNG"

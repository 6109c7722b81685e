"""End to end: run_eval with an oracle built from the gold (F1 = 1 on every task: the harness is right) and a
trivial regex baseline (between 0 and 1 on quantity tasks), the report files, saved predictions, the CLI."""

from __future__ import annotations

import json

import pytest

from pipeline.evaluate import CORPORA, load_corpus, load_predictions, predictions_extractor, run_eval, write_inputs
from pipeline.evaluate.__main__ import main
from tests.conftest import shared_data
from tests.pipeline.evaluate.toy_extractors import oracle, regex_extractor

LIMIT = 4
QUANTITY_TASKS = [
    ("grobid_quantities", "quantity"),
    ("measeval", "quantity"),
    ("sofc_exp", "value"),
    ("polyie", "value"),
    ("mulms", "value"),
]


@pytest.fixture(scope="module")
def shared():
    return shared_data()


def test_oracle_scores_one_everywhere(shared, tmp_path):
    gold = [load_corpus(name, shared, LIMIT) for name in CORPORA]
    result = run_eval(oracle(gold), None, shared, tmp_path / "oracle", LIMIT, progress=False)
    for cname, c in result.scores["corpora"].items():
        assert "error" not in c
        for tname, t in c["tasks"].items():
            assert t["gold"] > 0, (cname, tname)
            for level, s in t["levels"].items():
                assert (s["f1"], s["fp"], s["fn"]) == (1.0, 0, 0), (cname, tname, level, s)
            for level, attrs in t["attrs"].items():
                for a, acc in attrs.items():
                    assert acc["total"] == 0 or acc["accuracy"] == 1.0, (cname, tname, level, a)
    assert all(g["met"] for g in result.scores["goals"])


def test_regex_baseline_and_report(shared, tmp_path):
    out = tmp_path / "regex"
    result = run_eval(regex_extractor, None, shared, out, LIMIT, progress=False)
    for cname, tname in QUANTITY_TASKS:
        for level in ("strict", "overlap"):
            assert 0 < result.f1(cname, tname, level) < 1, (cname, tname, level)
        assert result.f1(cname, tname, "strict") <= result.f1(cname, tname, "overlap")
    assert result.f1("supermat", "tc_link") == 0  # it names no Tc property
    report = (out / "report.md").read_text(encoding="utf-8")
    for name in CORPORA:
        assert name in report
    assert "not met" in report and "## Error examples" in report
    assert {p.name for p in result.plots} == {"f1_by_task.png", "f1_by_property.png"}
    for png in result.plots:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    scores = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    assert scores["limit"] == LIMIT and set(scores["corpora"]) == set(CORPORA)
    assert [g["corpus"] for g in scores["goals"]] == ["grobid_quantities", "measeval", "supermat", "bandgap_dong_cole"]
    assert not list(out.glob("*.tmp-*"))


def test_saved_predictions_replay_and_cli(shared, tmp_path):
    corpora = ["measeval", "grobid_quantities"]
    inputs = tmp_path / "in.jsonl"
    assert write_inputs(inputs, corpora, shared, 2) == 4
    items = [(o["id"], o["text"]) for o in map(json.loads, inputs.read_text(encoding="utf-8").splitlines())]
    preds = tmp_path / "pred.jsonl"  # what `matlit extract --text` writes: a Record per line plus doc_id
    lines = [json.dumps({"doc_id": r.evidence.source_id, **r.model_dump(mode="json")}) for r in regex_extractor(items)]
    preds.write_text("\n".join(lines) + "\n", encoding="utf-8")
    saved = predictions_extractor(load_predictions(preds))
    replay = run_eval(saved, corpora, shared, tmp_path / "a", 2, progress=False)
    direct = run_eval(regex_extractor, corpora, shared, tmp_path / "b", 2, progress=False)
    for c in corpora:
        assert replay.scores["corpora"][c]["tasks"] == direct.scores["corpora"][c]["tasks"]
    argv = ["score", str(preds), "--out", str(tmp_path / "cli"), "--corpora", ",".join(corpora)]
    assert main(argv + ["--limit", "2", "--shared", str(shared)]) == 0
    assert (tmp_path / "cli" / "report.md").exists()


def test_failing_extractor_is_reported(shared, tmp_path):
    def broken(items):
        if any(i.startswith("measeval:") for i, _ in items):
            raise RuntimeError("boom")
        return []

    result = run_eval(broken, ["measeval", "bandgap_dong_cole"], shared, tmp_path, 2, progress=False)
    assert result.scores["corpora"]["measeval"]["error"] == "RuntimeError: boom"
    assert result.f1("bandgap_dong_cole", "bandgap_record") == 0.0
    assert "extraction failed" in result.report.read_text(encoding="utf-8")
    goals = {g["corpus"]: g["met"] for g in result.scores["goals"]}
    assert goals["measeval"] is None and goals["bandgap_dong_cole"] is False

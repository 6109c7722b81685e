"""The score and review stages on a real work dir: one bundled PDF through fetch -> ... -> score -> review, then a
second paper's records added to see corpus-wide consensus re-score exactly the affected paper."""

from __future__ import annotations

import json
import shutil

import pytest

from pipeline.config import load_config
from pipeline.runner import run_pipeline
from pipeline.score.queue import QUEUE_FIELDS, queue_path, read_queue
from pipeline.score.stage import context_path, groups_path
from pipeline.workdir import WorkDir
from tests.conftest import BUNDLED

PDF = "10.1088_1361-6668_aabf32.pdf"


def _cfg(work, **extra):
    return load_config(None, {"work_dir": work, "runner.progress": False, **extra})


@pytest.fixture(scope="module")
def scored_work(tmp_path_factory):
    root = tmp_path_factory.mktemp("score")
    papers = root / "in"
    papers.mkdir()
    shutil.copy(BUNDLED / PDF, papers / PDF)
    work = root / "work"
    cfg = _cfg(work, **{"fetch.local": [str(papers)]})
    sums = run_pipeline(cfg, ["fetch", "parse", "extract", "normalize", "score", "review"])
    assert all(s.failed == 0 for s in sums), [s.failures for s in sums]
    return work


def test_every_record_scored_with_flags_and_provenance(scored_work):
    wd = WorkDir(scored_work)
    (pid,) = wd.done_ids("score")
    normalized = wd.read_records("normalize", pid)
    scored = wd.read_records("score", pid)
    assert [r.record_id for r in scored] == [r.record_id for r in normalized]
    assert all(r.score is not None and 0.0 <= r.score <= 1.0 for r in scored)
    for n, s in zip(normalized, scored, strict=True):
        assert set(n.flags) <= set(s.flags)  # normalize's flags kept
        assert s.evidence == n.evidence and s.quantity == n.quantity  # nothing but score and flags changes
    assert not any("score_model:fallback" in r.flags for r in scored)
    assert len({r.score for r in scored}) > 5, "scores should spread"
    # the score stage sees records only: quantity mentions (no property) stay unscored in work/mentions/
    from pipeline.normalize import is_mention

    mentions = wd.read_mentions(pid)
    assert mentions and all(is_mention(m) and m.score is None for m in mentions)
    assert not any(is_mention(r) for r in scored)
    # records with no material score lower than linked ones, on average
    linked = [r.score for r in scored if r.material]
    unlinked = [r.score for r in scored if not r.material]
    assert linked and unlinked and sum(linked) / len(linked) > 1.5 * sum(unlinked) / len(unlinked)
    low = [r for r in scored if r.score < 0.1]
    assert low and all(any(f.startswith("why:") for f in r.flags) for r in low), "a low score says why"


def test_groups_and_queue_written(scored_work):
    wd = WorkDir(scored_work)
    groups = [json.loads(line) for line in groups_path(wd).read_text().splitlines()]
    assert groups and all(g["records"] and g["group_id"] for g in groups)
    (pid,) = wd.done_ids("score")
    scored = {r.record_id: r for r in wd.read_records("score", pid)}
    for g in groups:
        for m in g["records"]:
            assert f"group:{g['group_id']}" in scored[m["record_id"]].flags
    q = read_queue(queue_path(wd))
    assert q and all(tuple(e) == QUEUE_FIELDS for e in q)
    assert all(scored[e["record_id"]].score < 0.5 or e["reasons"] for e in q)
    assert [e["priority"] for e in q] == sorted((e["priority"] for e in q), reverse=True)
    assert {e["record_id"] for e in q} >= {rid for rid, r in scored.items() if r.score < 0.5}


def test_second_paper_changes_consensus_and_rescoring_is_targeted(scored_work, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(scored_work, work)
    wd = WorkDir(work)
    (pid,) = wd.done_ids("score")
    recs = wd.read_records("normalize", pid)
    fact = next(
        r for r in recs
        if r.material and r.material.reduced_formula and r.property.id and r.quantity.values_canonical and r.quantity.kind == "value"
    )
    # another paper reporting the same material + property at 3x the value: a disagreement across papers
    other = fact.model_copy(
        update={
            "paper_id": "0" * 16,
            "record_id": "x" * 20,
            "quantity": fact.quantity.model_copy(update={"values_canonical": [v * 3 for v in fact.quantity.values_canonical]}),
        }
    )
    wd.write_records("normalize", other.paper_id, [other])
    before = wd.stage_output("score", pid).read_bytes()
    sums = run_pipeline(_cfg(work), ["score", "review"])
    assert sums[0].out == 2 and sums[0].failed == 0  # the new paper, and the old one whose context changed
    after = {r.record_id: r for r in wd.read_records("score", pid)}
    assert wd.stage_output("score", pid).read_bytes() != before
    mine = after[fact.record_id]
    assert any(f.startswith("why:differs from the median of 1 other paper") for f in mine.flags), mine.flags
    assert json.loads(context_path(wd, pid).read_text())["consensus"][fact.record_id][0] == 1
    # nothing changed: nothing re-scored
    sums = run_pipeline(_cfg(work), ["score"])
    assert sums[0].out == 0 and sums[0].skipped == 2


def test_missing_model_file_named_in_config_aborts(scored_work, tmp_path):
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="score model not found"):
        run_pipeline(_cfg(scored_work, **{"score.model_path": str(tmp_path / "nope.json")}), ["score"])


def test_matlit_score_command(scored_work, tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    work = tmp_path / "work"
    shutil.copytree(scored_work, work)
    for p in (work / "scored").glob("*.jsonl"):
        p.unlink()
    queue_path(WorkDir(work)).unlink()
    r = CliRunner().invoke(app, ["score", "--work-dir", str(work), "--no-progress", "--threshold", "0.2"])
    assert r.exit_code == 0, r.output
    assert "score" in r.output and "review" in r.output
    wd = WorkDir(work)
    scored = [s for pid in wd.done_ids("score") for s in wd.read_records("score", pid)]
    q = read_queue(queue_path(wd))
    assert {e["record_id"] for e in q} >= {r.record_id for r in scored if r.score < 0.2}
    below = [x for e in q for x in e["reasons"] if x.startswith("score ")]
    assert below and all(x.endswith("below 0.20") for x in below)  # --threshold reached the queue
    r = CliRunner().invoke(app, ["score", "--work-dir", str(work), "--model", str(tmp_path / "missing.json")])
    assert r.exit_code == 2 and "score model not found" in r.output


def test_status_shows_the_queue(scored_work):
    from typer.testing import CliRunner

    from pipeline.cli import app

    r = CliRunner().invoke(app, ["status", "--work-dir", str(scored_work)])
    assert r.exit_code == 0, r.output
    n = len(read_queue(queue_path(WorkDir(scored_work))))
    assert f"{n} queued" in r.output

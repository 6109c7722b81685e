"""Review queue: who gets in (threshold, disagreement, flags), the order, and the file format."""

from __future__ import annotations

import json

import pytest

from pipeline.score.queue import QUEUE_FIELDS, queue_entries, read_queue, write_queue
from pipeline.workdir import WorkDir
from tests.pipeline.score.conftest import one_record


@pytest.fixture(scope="module")
def base():
    return {
        "zno": one_record("p1", "We measured a band gap of 3.37 eV for ZnO films."),
        "gan": one_record("p2", "The band gap of GaN is 3.4 eV."),
    }


def _rec(r, rid, score, flags=(), paper="p1"):
    return r.model_copy(update={"record_id": rid, "score": score, "flags": [*r.flags, *flags], "paper_id": paper})


def test_threshold_disagreement_flags_and_order(base):
    zno, gan = base["zno"], base["gan"]
    recs = [
        _rec(zno, "sure", 0.97),  # confident and unflagged: not queued
        _rec(zno, "coin", 0.49),  # most uncertain, frequent material: first
        _rec(zno, "low", 0.10),
        _rec(gan, "coin_rare", 0.48, paper="p2"),  # as uncertain, rarer material: after `coin`
        _rec(zno, "disagree", 0.80, ["disagrees_with_consensus"]),
        _rec(zno, "flagged", 0.90, ["out_of_plausible_range"]),
        _rec(zno, "z_more", 0.95),
    ]
    out = queue_entries(recs, threshold=0.5, flags=["out_of_plausible_range"])
    ids = [e["record_id"] for e in out]
    assert "sure" not in ids and "z_more" not in ids
    # uncertainty x material frequency, + 0.25 for a disagreement, + 0.1 for a watched flag
    assert ids == ["coin", "disagree", "coin_rare", "flagged", "low"]
    pr = {e["record_id"]: e["priority"] for e in out}
    assert pr["coin"] > pr["coin_rare"] > pr["low"]
    assert all(a >= b for a, b in zip([e["priority"] for e in out], [e["priority"] for e in out][1:], strict=False))
    reasons = {e["record_id"]: e["reasons"] for e in out}
    assert reasons["low"] == ["score 0.10 below 0.50"]
    assert reasons["disagree"] == ["disagrees with the consensus of other papers"]
    assert reasons["flagged"] == ["flag: out_of_plausible_range"]
    # a stricter threshold queues fewer; max_items keeps the top
    assert [e["record_id"] for e in queue_entries(recs, threshold=0.2, disagreement=False)] == ["low"]
    assert [e["record_id"] for e in queue_entries(recs, threshold=0.5, max_items=1)] == ["coin"]


def test_file_format_is_exactly_the_documented_one(base, tmp_path):
    wd = WorkDir(tmp_path)
    entries = queue_entries([_rec(base["zno"], "a", 0.3), _rec(base["gan"], "b", 0.45, paper="p2")])
    path = write_queue(wd, entries)
    assert path == tmp_path / "review" / "queue.jsonl"
    lines = path.read_text("utf-8").splitlines()
    objs = [json.loads(line) for line in lines]
    assert [tuple(o) for o in objs] == [QUEUE_FIELDS] * 2
    assert objs[0] == {"record_id": "b", "paper_id": "p2", "priority": objs[0]["priority"], "reasons": ["score 0.45 below 0.50"]}
    assert isinstance(objs[0]["priority"], float)
    assert read_queue(path) == objs
    path.write_text('{"record_id": "a", "score": 1}\n')
    with pytest.raises(ValueError, match="expected fields"):
        read_queue(path)

"""Curated records as extra gold in `matlit eval` (corpus `curated:<work dir>`)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from pipeline.evaluate import run_eval
from pipeline.evaluate.corpora import load_corpus
from pipeline.extract import extract_texts
from pipeline.normalize import normalize_records
from pipeline.review.app import create_app
from tests.pipeline.review.conftest import csrf_of, login
from tests.pipeline.review.test_app import by_raw


def test_curated_decisions_score_the_extractor(review_cfg, tmp_path):
    c = TestClient(create_app(review_cfg), base_url="http://127.0.0.1")
    login(c, "ann")
    tok = csrf_of(c)
    gan, zno, dia = by_raw(c, "3.4 eV"), by_raw(c, "3.3 eV"), by_raw(c, "2000 W/(m K)")
    for rec, body in ((gan, {"action": "accept"}),
                      (zno, {"action": "edit", "patch": {"quantity.values": "[3.31]"}}),
                      (dia, {"action": "reject", "reason": "not_a_measurement"})):
        r = c.post(f"/api/record/{rec['record']['record_id']}/decide", json={"version": 0, **body},
                   headers={"X-CSRF-Token": tok})
        assert r.status_code == 200, r.text

    corpus = load_corpus(f"curated:{review_cfg.work_dir}")
    assert corpus.stats["decisions"] == 3 and corpus.stats["links"] == 2
    links = [lk for d in corpus.docs for lk in d.links["curated_link"]]
    assert sorted(lk.numbers[0] for lk in links) == [3.31, 3.4]
    assert {lk.material.text for lk in links} == {"GaN", "ZnO"} and {lk.label for lk in links} == {"band_gap"}
    zdoc = next(d for d in corpus.docs if "ZnO" in d.text)
    assert len(zdoc.regions) == 1  # the edited record: only there is annotation complete (the "1" of the XSS payload
    # is a quantity mention, never queued for review)
    ddoc = next(d for d in corpus.docs if "diamond" in d.text)
    assert len(ddoc.regions) == 1 and not ddoc.links["curated_link"]  # the rejected record: a region without gold

    def extract_fn(items):
        return normalize_records(extract_texts(items, ["text_rules"], None))

    res = run_eval(extract_fn, [f"curated:{review_cfg.work_dir}"], out_dir=tmp_path / "eval", progress=False,
                   name="text_rules")
    task = res.scores["corpora"][f"curated:{review_cfg.work_dir}"]["tasks"]["curated_link"]
    strict = task["levels"]["strict"]
    # GaN 3.4 eV and the edited ZnO value match by span; the rejected 2000 W/(m K) that text_rules still reads is a
    # false positive; nothing undecided counts
    assert (task["gold"], strict["tp"], strict["fn"], strict["fp"]) == (2, 2, 0, 1), json.dumps(task)[:600]
    assert "value: 2000" in task["errors"]["fp"][0]["mention"]

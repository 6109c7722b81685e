"""The review app's reading side and the decisions' way out: queue filters and pages, a record with its context,
other sources of the same fact, history, and `export` of curated records as fine-tuning data."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
from fastapi.testclient import TestClient

from pipeline.review.app import create_app
from pipeline.review.decisions import latest_decisions
from pipeline.review.export import export_finetune
from tests.pipeline.review.conftest import PASSWORD, csrf_of, free_port, login, paper_ids


def curator(cfg, name="ann") -> TestClient:
    c = TestClient(create_app(cfg), base_url="http://127.0.0.1")
    assert login(c, name).status_code == 303
    return c


def by_raw(c, raw: str, paper: str | None = None) -> dict:
    items = c.get("/api/queue", params={"status": "all"}).json()["items"]
    for it in items:
        r = c.get(f"/api/record/{it['record_id']}").json()
        if r["record"]["quantity"]["raw"] == raw and (paper is None or r["record"]["paper_id"] == paper):
            return r
    raise AssertionError(f"no record {raw!r}")


def test_queue_filters_and_keyset_pages(review_cfg):
    c = curator(review_cfg)
    ids = paper_ids(review_cfg)
    q = c.get("/api/queue").json()
    assert q["total"] == 6 and q["next_after"] is None  # records only: the 3 quantity mentions are not reviewed
    assert all(i["reasons"] == ["unscored"] + [f for f in i["flags"]] for i in q["items"])  # why each is queued
    assert c.get("/api/queue", params={"property": "band_gap"}).json()["total"] == 4
    assert c.get("/api/queue", params={"paper": ids["b"]}).json()["total"] == 2
    assert c.get("/api/queue", params={"flag": "no_property"}).json()["total"] == 0
    assert c.get("/api/queue", params={"flag": "no_*"}).json()["total"] == 0
    assert c.get("/api/queue", params={"min_score": "0.9"}).json()["total"] == 0  # unscored records have no score
    # pages of 4 walk the whole queue exactly once, in priority order
    review_cfg.review.page_size = 4
    c4 = curator(review_cfg)
    seen, after = [], None
    while True:
        page = c4.get("/api/queue", params={"after": after} if after else {}).json()
        seen += [i["record_id"] for i in page["items"]]
        after = page["next_after"]
        if not after:
            break
    assert len(seen) == len(set(seen)) == 6 and seen == [i["record_id"] for i in q["items"]]
    # the HTML queue and its htmx fragment
    r = c.get("/queue", params={"property": "band_gap"})
    assert r.status_code == 200 and '<span id="total">4</span>' in r.text
    r = c.get("/queue/rows", params={"property": "critical_temperature"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and '<span id="total">1</span>' in r.text and "<html" not in r.text


def test_record_page_context_and_other_sources(review_cfg):
    c = curator(review_cfg)
    ids = paper_ids(review_cfg)
    gan = by_raw(c, "3.4 eV")
    rid = gan["record"]["record_id"]
    r = c.get(f"/record/{rid}")
    assert r.status_code == 200
    assert '<mark class="quantity">3.4 eV</mark>' in r.text and '<mark class="material">GaN</mark>' in r.text
    assert f'src="/page/{ids["a"]}/1.png"' in r.text and 'class="evbox"' in r.text
    others = gan["other_sources"]
    assert [(o["paper_id"], o["quantity"]) for o in others] == [(ids["b"], "3.39 eV")]  # the same fact, other paper
    assert "3.39 eV" in r.text
    # j/k neighbours follow the queue order
    q = [i["record_id"] for i in c.get("/api/queue").json()["items"]]
    k = q.index(rid)
    if k + 1 < len(q):
        assert f'id="next-link" href="/record/{q[k + 1]}' in r.text
    if k > 0:
        assert f'id="prev-link" href="/record/{q[k - 1]}' in r.text
    assert c.get("/record/" + "f" * 20).status_code == 404


def test_decisions_flow_to_latest_decisions_and_export(review_cfg):
    c = curator(review_cfg)
    tok = csrf_of(c)
    gan, zno, mgb2 = by_raw(c, "3.4 eV"), by_raw(c, "3.37 eV"), by_raw(c, "39 K")

    def decide(rec, **body):
        r = c.post(f"/api/record/{rec['record']['record_id']}/decide", json={"version": rec["version"], **body},
                   headers={"X-CSRF-Token": tok})
        return r

    assert decide(gan, action="accept").status_code == 200
    r = decide(zno, action="edit", patch={"quantity.values": "[3.3]", "quantity.unit_raw": '"eV"'})
    assert r.status_code == 200
    assert decide(mgb2, action="reject").status_code == 400  # a reject needs a reason
    assert "reject needs a reason" in decide(mgb2, action="reject", reason="because").json()["error"]
    assert decide(mgb2, action="reject", reason="not_a_measurement").status_code == 200
    r = decide(gan, action="accept")  # stale: the curator saw version 0, it is 1 now
    assert r.status_code == 409 and r.json()["current_by"] == "ann"
    r = c.post(f"/api/record/{gan['record']['record_id']}/decide", headers={"X-CSRF-Token": tok},
               json={"version": 1, "action": "edit", "patch": {"quantity.nonsense": "1"}})
    assert r.status_code == 400 and "'quantity.nonsense' names no field of Record" in r.json()["error"]

    latest = latest_decisions(review_cfg)
    assert {d.action for d in latest.values()} == {"accept", "edit", "reject"} and len(latest) == 3
    path, n = export_finetune(review_cfg)
    assert n == 2 and path == review_cfg.work_dir / "review" / "finetune.jsonl"
    rows = {json.loads(x)["label"]: json.loads(x) for x in path.read_text().splitlines()}
    acc, ed = rows["accept"], rows["edit"]
    s, e = acc["output"]["spans"]["quantity"]
    assert acc["input"]["text"][s:e] == "3.4 eV" and acc["output"]["values"] == [3.4]
    assert acc["output"]["property"] == "band_gap" and acc["provenance"]["curator"] == "ann"
    assert acc["provenance"]["prov"][0]["page"] == 1 and acc["provenance"]["extractor"] == "text_rules"
    assert ed["output"]["values"] == [3.3] and ed["output"]["values_canonical"] == [3.3]
    assert ed["output"]["spans"]["quantity"] is None and ed["output"]["spans"]["material"] is not None
    assert ed["provenance"]["patch"] == {"quantity.unit_raw": '"eV"', "quantity.values": "[3.3]"}


def test_matlit_review_serve_on_loopback(review_cfg):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "review", "serve", "--port", str(port),
                             "-w", str(review_cfg.work_dir)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/queue", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "matlit review serve did not start"
                time.sleep(0.2)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            assert login(c, "ann", PASSWORD).status_code == 303
            assert c.get("/api/queue").json()["total"] == 6
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_score_stage_flags_with_spaces_and_groups(review_work, tmp_path):
    """The score stage writes flags in plain words ("why:material named far from the value") and cross-paper
    `group:` flags: both survive import, filter exactly, and link other sources."""
    import shutil

    from pipeline.config import load_config
    from pipeline.review.auth import add_user
    from pipeline.review.importer import import_review
    from pipeline.review.store import db_url_for, get_engine
    from schemas import Record

    work = tmp_path / "work"
    shutil.copytree(review_work, work)
    marked = []
    for p in sorted((work / "records").glob("*.jsonl")):
        recs = [Record.model_validate_json(x) for x in p.read_text().splitlines()]
        diamond_or_first = next((r for r in recs if r.material and r.material.raw in ("diamond", "ZnO")), recs[0])
        recs = [r.model_copy(update={"flags": r.flags + ["why:material named far from the value", "group:g1"]})
                if r is diamond_or_first else r for r in recs]
        marked.append(diamond_or_first.record_id)
        p.write_text("".join(r.model_dump_json() + "\n" for r in recs))
    cfg = load_config(overrides={"work_dir": work})
    import_review(cfg)
    add_user(get_engine(db_url_for(cfg)), "ann", PASSWORD, "curator")
    c = curator(cfg)
    q = c.get("/api/queue", params={"flag": "why:material named far from the value"}).json()
    assert sorted(i["record_id"] for i in q["items"]) == sorted(marked)
    assert "why:material named far from the value" in q["items"][0]["flags"]
    assert c.get("/api/queue", params={"flag": "why:material"}).json()["total"] == 0  # exact unless 'prefix*'
    assert c.get("/api/queue", params={"flag": "why:*"}).json()["total"] == 2
    others = c.get(f"/api/record/{marked[0]}").json()["other_sources"]
    assert marked[1] in [o["record_id"] for o in others]  # linked by the shared group: flag across papers
    r = c.get("/queue", params={"flag": "group:g1"})
    assert 'href="/queue?flag=why%3Amaterial%20named%20far%20from%20the%20value"' in r.text

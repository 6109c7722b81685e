"""End to end in a real browser (Debian chromium driven by Playwright) against uvicorn on 127.0.0.1: log in, accept a
record by keyboard, edit a value, reject with a reason, see the audit entries, and the next shard build reflects all
three (engineer A's shard stage reads pipeline.review.decisions)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from pipeline.review.store import audit, db_url_for, decisions, get_engine, items
from tests.pipeline.review.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (.ci/run installs it)")


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(20_000)
        yield page
        browser.close()


def _state(cfg, rid):
    with get_engine(db_url_for(cfg)).connect() as c:
        return c.execute(select(items.c.status, items.c.version).where(items.c.record_id == rid)).one()


def test_curate_by_keyboard_and_shards_reflect_it(live_server, browser_page, tmp_path):
    from playwright.sync_api import expect

    base, cfg = live_server
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # log in (the queue redirects to the login form)
    page.goto(base + "/queue")
    assert "/login" in page.url
    page.fill("input[name=username]", "ann")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-btn")
    page.wait_for_url("**/queue")
    assert int(page.inner_text("#total")) == 6

    # j selects the first row, Enter opens it
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url("**/record/**")
    first = page.get_attribute(".record", "data-record-id")
    img = page.locator("#page-img")
    img.wait_for()
    page.wait_for_load_state("load")  # images included
    assert page.evaluate("document.getElementById('page-img').naturalWidth") > 500
    assert page.locator(".evbox").count() >= 1 and page.locator(".evbox").first.is_visible()
    assert page.locator("mark.quantity").count() == 1

    # a: accept -> the next record opens
    page.keyboard.press("a")
    page.wait_for_url(lambda u, r=first: "/record/" in u and r not in u)
    assert _state(cfg, first) == ("accept", 1)
    second = page.get_attribute(".record", "data-record-id")

    # e: edit the value -> Enter saves
    page.keyboard.press("e")
    assert page.locator("#edit-form").is_visible()
    page.keyboard.type("3.45")  # the values field is focused with its text selected
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u, r=second: "/record/" in u and r not in u)
    assert _state(cfg, second) == ("edit", 1)
    third = page.get_attribute(".record", "data-record-id")

    # r then 1: reject as "wrong value"
    page.keyboard.press("r")
    assert page.locator("#reject-form").is_visible()
    page.keyboard.press("1")
    page.wait_for_url(lambda u, r=third: "/record/" in u and r not in u)
    assert _state(cfg, third) == ("reject", 1)

    # k goes back; the decided records show their audit entries
    page.goto(f"{base}/record/{second}?status=all")
    assert "edit by ann" in page.inner_text("#history")
    assert "3.45" in page.inner_text("#value")
    page.goto(f"{base}/record/{third}?status=all")
    assert "reject by ann" in page.inner_text("#history") and "wrong_value" in page.inner_text("#history")

    # / focuses the filter; filtering by status shows the decided ones
    page.goto(base + "/queue")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "filter-input"
    page.select_option("select[name=status]", "reject")
    expect(page.locator("#total")).to_have_text("1")
    page.screenshot(path=str(tmp_path / "queue.png"))
    assert errors == []

    with get_engine(db_url_for(cfg)).connect() as c:
        trail = [(a.action, a.username, a.record_id) for a in c.execute(
            select(audit).where(audit.c.record_id.is_not(None)).order_by(audit.c.id))]
        patch = json.loads(c.execute(select(decisions.c.patch_json).where(decisions.c.record_id == second)).scalar())
    assert trail == [("accept", "ann", first), ("edit", "ann", second), ("reject", "ann", third)]
    assert patch == {"quantity.values": "[3.45]"}

    # the next shard build reflects all three
    from pipeline.config import load_config
    from pipeline.runner import run_pipeline

    work = tmp_path / "shardwork"
    shutil.copytree(cfg.work_dir, work)
    scfg = load_config(overrides={"work_dir": work, "runner.progress": False})
    (summary,) = run_pipeline(scfg, ["shard"])
    assert summary.failed == 0
    rows = {r["record_id"]: r for r in pq.read_table(sorted((work / "shards").rglob("records*/*.parquet"))
                                                      or sorted((work / "shards").rglob("*records*.parquet"))).to_pylist()}
    assert third not in rows
    assert rows[first]["review_status"] == "accepted"
    assert rows[second]["review_status"] == "edited"
    assert rows[second]["values"] == [3.45] and "review:edited" in rows[second]["flags"]
    assert rows[second]["source_id"] and rows[second]["prov"]  # provenance kept
    assert len(rows) == 5  # 6 records, one rejected (the 3 mentions go to the mentions table)

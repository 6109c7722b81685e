"""Security of the review app, against the real app and a real SQLite file (issue 7 Tests, issue 9 part 3)."""

from __future__ import annotations

import json
import time
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pipeline.review.app import create_app
from pipeline.review.auth import add_user
from pipeline.review.store import audit, db_url_for, decisions, get_engine, item_docs, items
from schemas import Record
from tests.pipeline.review.conftest import PASSWORD, csrf_of, login, paper_ids


def client(cfg) -> TestClient:
    return TestClient(create_app(cfg), base_url="http://127.0.0.1")


def record_ids(cfg, **where) -> list[str]:
    eng = get_engine(db_url_for(cfg))
    with eng.connect() as c:
        rows = c.execute(select(item_docs.c.record_id, item_docs.c.record_json)).all()
    out = []
    for rid, js in rows:
        r = Record.model_validate_json(js)
        if all(getattr_path(r, k) == v for k, v in where.items()):
            out.append(rid)
    return out


def getattr_path(obj, path):
    for part in path.split("__"):
        obj = getattr(obj, part) if obj is not None else None
    return obj


def test_everything_needs_a_session(review_cfg):
    app = create_app(review_cfg)
    c = TestClient(app, base_url="http://127.0.0.1")
    rid = record_ids(review_cfg)[0]
    pid = paper_ids(review_cfg)["a"]
    public = {"/login", "/favicon.ico"}
    checked = 0
    for route in app.routes:
        path = getattr(route, "path", "")
        if path in public or path.startswith("/static") or not hasattr(route, "methods"):
            continue
        url = path.replace("{record_id}", rid).replace("{paper_id}", pid).replace("{page_name}", "1.png")
        for method in route.methods - {"HEAD"}:
            r = c.request(method, url, follow_redirects=False)
            if path.startswith("/api/"):
                assert r.status_code == 401, (method, url, r.status_code)
            else:
                assert r.status_code == 303 and r.headers["location"].startswith("/login"), (method, url, r.status_code)
            checked += 1
    assert checked >= 11
    # htmx fragment requests get 401 + HX-Redirect instead of a redirect into the fragment
    r = c.get("/queue/rows", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["HX-Redirect"] == "/login"
    # a forged cookie is no session
    c.cookies.set("matlit_session", "forged")
    assert c.get("/api/queue").status_code == 401


def test_login_sets_strict_cookie_and_logout_ends_the_session(review_cfg):
    c = client(review_cfg)
    r = login(c, "ann")
    assert r.status_code == 303 and r.headers["location"] == "/queue"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert c.get("/api/queue").status_code == 200
    token = csrf_of(c)
    assert c.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    c.cookies.set("matlit_session", r.cookies["matlit_session"])  # replaying the old cookie does not work
    assert c.get("/api/queue").status_code == 401


def test_login_form_needs_its_csrf_token_and_next_is_local(review_cfg):
    c = client(review_cfg)
    r = c.post("/login", data={"username": "ann", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    r = c.get("/login")
    import re

    tok = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
    r = c.post("/login", data={"username": "ann", "password": PASSWORD, "csrf_token": tok, "next": "//evil.example/x"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/queue"


def test_writes_without_csrf_are_refused_and_change_nothing(review_cfg):
    c = client(review_cfg)
    login(c, "ann")
    rid = record_ids(review_cfg)[0]
    for data in ({"action": "accept", "version": "0"}, {"action": "accept", "version": "0", "csrf_token": "nope"}):
        r = c.post(f"/record/{rid}/decide", data=data, follow_redirects=False)
        assert r.status_code == 403 and "CSRF" in r.text
    r = c.post(f"/api/record/{rid}/decide", json={"action": "accept", "version": 0})
    assert r.status_code == 403
    r = c.post(f"/api/record/{rid}/decide", json={"action": "accept", "version": 0},
               headers={"X-CSRF-Token": "x" * 43})
    assert r.status_code == 403
    assert c.post("/logout", data={}, follow_redirects=False).status_code == 403
    eng = get_engine(db_url_for(review_cfg))
    with eng.connect() as conn:
        assert conn.execute(select(decisions)).first() is None
        assert conn.execute(select(items.c.status).where(items.c.record_id == rid)).scalar() == "open"
    # the same write with the token goes through
    r = c.post(f"/api/record/{rid}/decide", json={"action": "accept", "version": 0},
               headers={"X-CSRF-Token": csrf_of(c)})
    assert r.status_code == 200 and r.json() == {"ok": True, "version": 1}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.handlers: list[tuple[str, str]] = []
        self.imgs: list[dict] = []
        self.attrs: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a)
        if tag == "img":
            self.imgs.append(a)
        self.handlers += [(tag, k) for k in a if k.startswith("on")]
        self.attrs |= set(a)


def test_script_and_onerror_payloads_render_inert(review_cfg):
    c = client(review_cfg)
    login(c, "ann")
    [rid] = record_ids(review_cfg, material__raw="ZnO", quantity__raw="3.3 eV")
    r = c.get(f"/record/{rid}")
    assert r.status_code == 200
    assert "window.__pwned" in r.text  # the paper text is shown...
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in r.text  # ...escaped
    assert "&lt;img src=x onerror=&#34;window.__pwned = 2&#34;&gt;" in r.text
    tags = _Tags()
    tags.feed(r.text)
    assert [s.get("src") for s in tags.scripts] == ["/static/htmx.min.js", "/static/review.js"]
    assert tags.handlers == []
    assert all(i.get("src", "").startswith("/page/") for i in tags.imgs)
    assert "script-src 'self'" in r.headers["content-security-policy"]

    # attribute context: a curator's edit that tries to break out of value="..."
    payload = 'x" autofocus onfocus="window.__pwned=3'
    v = json.loads(c.get(f"/api/record/{rid}").text)["version"]
    r = c.post(f"/api/record/{rid}/decide", json={"action": "edit", "version": v,
                                                     "patch": {"material.raw": json.dumps(payload)}},
               headers={"X-CSRF-Token": csrf_of(c)})
    assert r.status_code == 200, r.text
    r = c.get(f"/record/{rid}?status=all")
    tags = _Tags()
    tags.feed(r.text)
    assert tags.handlers == [] and "autofocus" not in tags.attrs
    assert 'value="x&#34; autofocus onfocus=&#34;window.__pwned=3"' in r.text


def test_page_images_only_for_visible_papers(review_cfg):
    ids = paper_ids(review_cfg)
    add_user(get_engine(db_url_for(review_cfg)), "carol", PASSWORD, "curator", papers=[ids["a"]])
    c = client(review_cfg)
    login(c, "carol")
    r = c.get(f"/page/{ids['a']}/1.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content[:4] == b"\x89PNG"
    cached = review_cfg.work_dir / "review" / "pages" / ids["a"] / f"p1-{review_cfg.review.page_dpi}.png"
    assert cached.exists()
    for url in (
        f"/page/{ids['b']}/1.png",  # another paper this curator may not see
        "/page/0000000000000000/1.png",  # unknown paper
        f"/page/{ids['a']}/2.png",  # no such page
        f"/page/{ids['a']}/0.png",
        f"/page/{ids['a']}/1.json",
        "/page/..%2F..%2F..%2Fetc%2Fpasswd/1.png",
        f"/page/..%2Fpapers%2F{ids['a']}/1.png",
        f"/page/{ids['a']}/..%2F..%2Fpapers%2F{ids['a']}.json",
        "/page/%2e%2e/1.png",
    ):
        r = c.get(url)
        assert r.status_code == 404, (url, r.status_code)
        assert b"root:" not in r.content and b"PNG" not in r.content[:8]
    # ...and the same curator cannot open that paper's records or see them in the queue
    other = [rid for rid in record_ids(review_cfg, paper_id=ids["b"])]
    assert c.get(f"/record/{other[0]}").status_code == 404
    assert c.get(f"/api/record/{other[0]}").status_code == 404
    assert {i["paper_id"] for i in c.get("/api/queue").json()["items"]} == {ids["a"]}
    # an admin sees both
    a = client(review_cfg)
    login(a, "admin")
    assert a.get(f"/page/{ids['b']}/1.png").status_code == 200


def test_login_brute_force_is_rate_limited(review_work, tmp_path):
    import shutil

    from pipeline.config import load_config

    shutil.copytree(review_work, tmp_path / "work")
    cfg = load_config(overrides={"work_dir": tmp_path / "work", "review.login_max_failures": 3,
                                 "review.login_window_s": 2.0})
    add_user(get_engine(db_url_for(cfg)), "ann", PASSWORD, "curator")
    c = client(cfg)
    for _ in range(3):
        assert login(c, "ann", "wrong password").status_code == 401
    r = login(c, "ann")  # even the right password is refused while the limit holds
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1 and "too many failed logins" in r.text
    r = login(c, "nobody-else", "x")  # by address too
    assert r.status_code == 429
    time.sleep(2.1)
    assert login(c, "ann").status_code == 303


def test_stale_write_is_refused_and_nothing_is_lost(review_cfg):
    ann, bob = client(review_cfg), client(review_cfg)
    login(ann, "ann")
    login(bob, "bob")
    [rid] = record_ids(review_cfg, material__raw="GaN", quantity__raw="3.4 eV")
    assert ann.get(f"/record/{rid}").status_code == 200 and bob.get(f"/record/{rid}").status_code == 200
    r = ann.post(f"/record/{rid}/decide", data={"csrf_token": csrf_of(ann), "version": "0", "action": "edit",
                                               "quantity.values": "3.45", "material.raw": "GaN",
                                               "property.id": "band_gap", "quantity.unit_raw": "eV"},
                 follow_redirects=False)
    assert r.status_code == 303
    r = bob.post(f"/record/{rid}/decide", data={"csrf_token": csrf_of(bob), "version": "0", "action": "reject",
                                               "reason": "wrong_value"}, follow_redirects=False)
    assert r.status_code == 409
    assert "Not saved: ann changed this record after you opened it" in r.text
    assert "reason = wrong_value" in r.text  # bob sees what he tried to save
    eng = get_engine(db_url_for(review_cfg))
    with eng.connect() as c:
        item = c.execute(select(items).where(items.c.record_id == rid)).mappings().one()
        assert (item["status"], item["version"], item["updated_by"]) == ("edit", 1, "ann")
        assert [(d.action, d.curator) for d in c.execute(select(decisions))] == [("edit", "ann")]
        trail = c.execute(select(audit).where(audit.c.record_id == rid).order_by(audit.c.id)).mappings().all()
    assert [(a["action"], a["username"]) for a in trail] == [("edit", "ann"), ("conflict", "bob")]
    assert json.loads(trail[0]["after_json"])["record"]["quantity"]["values"] == [3.45]
    assert json.loads(trail[0]["before_json"])["record"]["quantity"]["values"] == [3.4]
    assert json.loads(trail[1]["after_json"])["decision"]["reason"] == "wrong_value"  # bob's attempt is kept
    # the audit log is append-only
    with pytest.raises(Exception, match="append-only"):
        with eng.begin() as c:
            c.execute(audit.update().values(username="mallory"))


def test_audit_log_page_is_for_admins(review_cfg):
    c = client(review_cfg)
    login(c, "ann")
    assert c.get("/audit").status_code == 403
    a = client(review_cfg)
    login(a, "admin")
    r = a.get("/audit")
    assert r.status_code == 200 and "login" in r.text and "import" in r.text


def test_expired_session_is_no_session(review_work, tmp_path):
    import shutil

    from pipeline.config import load_config

    shutil.copytree(review_work, tmp_path / "work")
    cfg = load_config(overrides={"work_dir": tmp_path / "work", "review.session_hours": 1 / 3600})  # one second
    add_user(get_engine(db_url_for(cfg)), "ann", PASSWORD, "curator")
    c = client(cfg)
    r = login(c, "ann")
    assert r.status_code == 303
    assert c.get("/api/queue").status_code == 200
    time.sleep(1.2)
    c.cookies.set("matlit_session", r.cookies["matlit_session"])  # the server refuses it, not only the cookie jar
    assert c.get("/api/queue").status_code == 401
    assert c.get("/queue", follow_redirects=False).headers["location"].startswith("/login")

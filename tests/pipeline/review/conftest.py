"""A real work dir for the review app: two PDFs built here (one with <script>/onerror= payloads in its text) run
through the real fetch -> parse -> extract -> normalize stages, then imported into a real SQLite review DB."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

XSS_TEXT = "<script>window.__pwned = 1</script> <img src=x onerror=\"window.__pwned = 2\">"
PAPER_A = [
    "Superconductivity in magnesium diboride",
    "Results",
    "The critical temperature of MgB2 is 39 K in zero field.",
    "The band gap of GaN is 3.4 eV at room temperature.",
    f"The band gap of ZnO is 3.3 eV {XSS_TEXT} as measured by optical absorption.",
    "The thermal conductivity of diamond is 2000 W/(m K) at 300 K.",
]
PAPER_B = [
    "Optical properties of wide gap semiconductors",
    "Results",
    "We find that the band gap of GaN is 3.39 eV from photoluminescence.",
    "The band gap of ZnO is 3.37 eV at 300 K.",
]
PASSWORD = "correct horse battery"


def _pdf(path: Path, lines: list[str]) -> None:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    y = 72
    for i, line in enumerate(lines):
        size = 16 if i == 0 else (12 if i == 1 else 10)
        rect = pymupdf.Rect(72, y, 520, y + 60)
        page.insert_textbox(rect, line, fontsize=size, fontname="helv")
        y += 70
    doc.save(path)


@pytest.fixture(scope="session")
def review_work(tmp_path_factory) -> Path:
    """The pipeline's real output for two small papers (built once per session)."""
    from pipeline.config import load_config
    from pipeline.runner import run_pipeline

    root = tmp_path_factory.mktemp("review")
    src = root / "pdfs"
    src.mkdir()
    _pdf(src / "a.pdf", PAPER_A)
    _pdf(src / "b.pdf", PAPER_B)
    cfg = load_config(overrides={"work_dir": root / "work", "fetch.local": [str(src)], "runner.progress": False,
                                 "parse.ocr": "never"})
    run_pipeline(cfg, ["fetch", "parse", "extract", "normalize"])
    work = root / "work"
    assert len(list((work / "records").glob("*.jsonl"))) == 2, "the pipeline produced no records for the test papers"
    # "in zero field", "at 300 K" ...: numbers with no property are quantity mentions (work/mentions/), never reviewed
    assert sum(len(p.read_text().splitlines()) for p in (work / "mentions").glob("*.jsonl")) == 3
    return work


@pytest.fixture
def review_cfg(review_work, tmp_path):
    """A config on a copy of the work dir with its own review DB, imported, with an admin and two curators."""
    from pipeline.config import load_config
    from pipeline.review.auth import add_user
    from pipeline.review.importer import import_review
    from pipeline.review.store import db_url_for, get_engine

    work = tmp_path / "work"
    shutil.copytree(review_work, work)
    cfg = load_config(overrides={"work_dir": work})
    import_review(cfg)
    eng = get_engine(db_url_for(cfg))
    add_user(eng, "admin", PASSWORD, "admin")
    add_user(eng, "ann", PASSWORD, "curator")
    add_user(eng, "bob", PASSWORD, "curator")
    yield cfg
    from pipeline.review.store import dispose_engine

    dispose_engine(db_url_for(cfg))


def paper_ids(cfg) -> dict[str, str]:
    """{'a': id of paper A, 'b': id of paper B} by their titles."""
    from pipeline.workdir import WorkDir

    wd = WorkDir(cfg.work_dir)
    out = {}
    for pid in wd.paper_ids():
        title = wd.load_parsed(pid).blocks[0].text
        out["a" if "magnesium" in title else "b"] = pid
    return out


def login(client, username: str, password: str = PASSWORD):
    """Log in through the real login form (CSRF cookie + field); returns the response of the POST."""
    r = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": "/queue"}, follow_redirects=False)


def csrf_of(client) -> str:
    r = client.get("/queue")
    return re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(review_cfg):
    """The app under a real uvicorn on 127.0.0.1 (random free port), stopped after the test."""
    import uvicorn

    from pipeline.review.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(review_cfg), host="127.0.0.1", port=port, log_level="warning",
                                           limit_concurrency=200))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/login", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        raise RuntimeError("uvicorn did not start")
    yield base, review_cfg
    server.should_exit = True
    t.join(timeout=10)


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch):
    """Real argon2id with test-sized cost (the default cost is ~0.1-0.3 s per hash on the shared CI cores)."""
    from argon2 import PasswordHasher

    from pipeline.review import auth

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

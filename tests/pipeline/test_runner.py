"""The runner end to end on real PDFs: bad papers fail alone, good ones are unaffected, re-runs resume."""

from __future__ import annotations

import shutil
from pathlib import Path

import pymupdf
import pytest

from pipeline.config import load_config
from pipeline.runner import run_pipeline
from pipeline.workdir import WorkDir
from tests.conftest import BUNDLED

SMALL = "10.1016_j.ssc.2016.12.016.pdf"  # 6 pages


def _cfg(work: Path, src: Path, **kw):
    over = {"work_dir": str(work), "fetch.local": [str(src)], "runner.progress": False, "parse.ocr": "never"}
    over.update(kw)
    return load_config(None, over)


def _bad_inputs(d: Path) -> dict[str, str]:
    """Build bad PDFs next to a good one; returns file name -> what it is."""
    good = (BUNDLED / SMALL).read_bytes()
    (d / "html_paywall.pdf").write_text("<!DOCTYPE html><html><body>Subscribe to read</body></html>")
    (d / "empty.pdf").write_bytes(b"")
    (d / "truncated.pdf").write_bytes(good[:2000])
    enc = pymupdf.open(BUNDLED / SMALL)
    enc.save(d / "encrypted.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    return {"html_paywall.pdf": "html", "empty.pdf": "empty", "truncated.pdf": "truncated", "encrypted.pdf": "encrypted"}


def test_bad_papers_fail_alone_and_good_output_is_unchanged(tmp_path):
    clean_src = tmp_path / "clean"
    clean_src.mkdir()
    shutil.copy(BUNDLED / SMALL, clean_src / SMALL)
    clean = _cfg(tmp_path / "w_clean", clean_src)
    run_pipeline(clean, ["fetch", "parse"])

    mixed_src = tmp_path / "mixed"
    mixed_src.mkdir()
    shutil.copy(BUNDLED / SMALL, mixed_src / SMALL)
    _bad_inputs(mixed_src)
    cfg = _cfg(tmp_path / "w_mixed", mixed_src)
    fetch, parse = run_pipeline(cfg, ["fetch", "parse"])

    wd = WorkDir(cfg.work_dir)
    # fetch refuses what is not a PDF at all; every refusal is one row with a reason a person understands
    fetch_fail = {Path(f.source).name: f for f in wd.failures("fetch")}
    assert set(fetch_fail) == {"html_paywall.pdf", "empty.pdf"}, fetch_fail
    assert "html" in fetch_fail["html_paywall.pdf"].message.lower()
    assert "empty" in fetch_fail["empty.pdf"].message.lower()
    assert fetch.failed == 2 and fetch.out == 3
    # parse: the encrypted one fails with its reason; the truncated one fails or is parsed with a warning
    parse_fail = {Path(f.source).name: f for f in wd.failures("parse")}
    assert "encrypted.pdf" in parse_fail and "encrypt" in parse_fail["encrypted.pdf"].message.lower()
    assert parse_fail["encrypted.pdf"].stage == "parse" and parse_fail["encrypted.pdf"].error_class
    if "truncated.pdf" not in parse_fail:
        tid = next(p.paper_id for p in wd.papers() if p.source.endswith("truncated.pdf"))
        assert wd.load_parsed(tid).warnings, "a repaired truncated PDF must be marked"
    assert parse.failed == len(parse_fail) and parse.out + parse.failed == 3
    # the good paper's parse is byte-identical to the run without bad papers
    (good_id,) = WorkDir(clean.work_dir).done_ids("parse")
    a = WorkDir(clean.work_dir).parsed_json(good_id).read_bytes()
    b = wd.parsed_json(good_id).read_bytes()
    assert a == b

    # a second run skips everything: done papers and known failures
    fetch2, parse2 = run_pipeline(cfg, ["fetch", "parse"])
    assert parse2.out == 0 and parse2.failed == 0 and parse2.skipped == 3
    assert fetch2.out == 0
    # --retry-failed tries the failed ones again (and they fail again, still one row each)
    (_, parse3) = run_pipeline(cfg, ["fetch", "parse"], retry_failed=True)
    assert parse3.failed == parse.failed
    assert len(wd.failures("parse")) == len(parse_fail)
    assert not list(Path(cfg.work_dir).rglob("*.tmp-*"))


def test_tasks_and_workers_give_the_same_output(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in (SMALL, "10.1088_1361-6668_aabf32.pdf"):
        shutil.copy(BUNDLED / name, src / name)
    one = _cfg(tmp_path / "w1", src, **{"parse.tables": False})
    run_pipeline(one, ["fetch", "parse"])
    two = _cfg(tmp_path / "w2", src, **{"parse.tables": False, "runner.tasks": 2, "runner.workers": 2})
    _, parse = run_pipeline(two, ["fetch", "parse"])
    assert parse.tasks == 2 and parse.out == 2
    w1, w2 = WorkDir(one.work_dir), WorkDir(two.work_dir)
    assert w1.done_ids("parse") == w2.done_ids("parse")
    for pid in w1.done_ids("parse"):
        assert w1.parsed_json(pid).read_bytes() == w2.parsed_json(pid).read_bytes()


def test_run_saves_resolved_config_and_summary(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(BUNDLED / SMALL, src / SMALL)
    cfg = _cfg(tmp_path / "w", src, **{"parse.tables": False})
    run_pipeline(cfg, ["fetch", "parse"])
    (run_dir,) = (Path(cfg.work_dir) / "runs").iterdir()
    assert "tables: false" in (run_dir / "config.yaml").read_text()
    assert '"stage": "parse"' in (run_dir / "summary.json").read_text()


@pytest.mark.parametrize("pages", [2000])
def test_too_many_pages_is_one_clear_failure(tmp_path, pages):
    src = tmp_path / "src"
    src.mkdir()
    doc = pymupdf.open()
    for i in range(pages):
        doc.new_page().insert_text((72, 72), f"page {i + 1}")
    doc.save(src / "huge.pdf")
    cfg = _cfg(tmp_path / "w", src)
    _, parse = run_pipeline(cfg, ["fetch", "parse"])
    (f,) = WorkDir(cfg.work_dir).failures("parse")
    assert parse.failed == 1 and "2000 pages" in f.message and f.source.endswith("huge.pdf")

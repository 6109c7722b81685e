"""Every hostile input through the real CLI (`matlit run`, a subprocess): the batch completes, every bad input is
exactly one failure row that names the reason, nothing is half-written, and the good papers come out byte-identical
to a run that saw only them. The per-paper timeout is exercised on its own with a tiny limit."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import BUNDLED, REPO
from tests.reliability.hostile import GOOD_PAPERS, Case, build

pytestmark = pytest.mark.slow

STAGES = ("fetch", "parse", "extract", "normalize")
PAPER_TIMEOUT_S = 20


@dataclass
class Run:
    work: Path
    returncode: int
    output: str
    seconds: float


def matlit_run(tmp: Path, name: str, local: list[Path], timeout_s: float = PAPER_TIMEOUT_S) -> Run:
    """`matlit run` over `local` with a small config; returns the work dir and how it went."""
    cfg = {
        "fetch": {"local": [str(p) for p in local]},
        "parse": {"tables": False, "ocr": "auto", "max_pages": 300},
        "runner": {"paper_timeout_s": timeout_s, "progress": False},
    }
    cfg_path = tmp / f"{name}.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    work = tmp / name
    cmd = [sys.executable, "-m", "pipeline.cli", "run", "-c", str(cfg_path), "--work-dir", str(work), "--no-progress"]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    return Run(work, r.returncode, r.stdout + r.stderr, time.perf_counter() - t0)


def item_id(path: Path) -> str:
    """The fetch stage's work item for a local file."""
    return hashlib.sha256(f"local:{path.resolve()}".encode()).hexdigest()[:16]


def paper_id(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def failure_rows(work: Path) -> dict[tuple[str, str], dict]:
    """(stage, id) -> failure row, for every row on disk."""
    rows = {}
    for p in (work / "failures").glob("*/*.json"):
        rows[(p.parent.name, p.stem)] = json.loads(p.read_text("utf-8"))
    return rows


def output_path(work: Path, stage: str, key: str) -> Path:
    return {
        "fetch": work / "papers" / f"{key}.json",
        "parse": work / "parsed" / f"{key}.json",
        "extract": work / "extracted" / f"{key}.jsonl",
        "normalize": work / "records" / f"{key}.jsonl",
    }[stage]


def rows_of(rows: dict, corpus: Path, case: Case) -> list[dict]:
    path = corpus / case.file
    keys = [("fetch", item_id(path))] + [(st, paper_id(path)) for st in STAGES[1:]]
    return [rows[k] for k in keys if k in rows]


def warnings_of(work: Path, pid: str) -> list[str]:
    return json.loads(output_path(work, "parse", pid).read_text("utf-8"))["warnings"]


def outputs(work: Path, ids: set[str]) -> dict[str, bytes]:
    out = {}
    for stage in ("parse", "normalize"):
        for pid in ids:
            p = output_path(work, stage, pid)
            out[f"{stage}/{p.name}"] = p.read_bytes()
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[Case]]:
    d = tmp_path_factory.mktemp("hostile") / "corpus"
    t0 = time.perf_counter()
    cases = build(d)
    assert time.perf_counter() - t0 < 20, "the hostile corpus should build in under 20 s"
    assert len(cases) >= 50
    assert sum(p.stat().st_size for p in d.iterdir()) < 30 * 2**20
    return d, cases


@pytest.fixture(scope="module")
def hostile_run(corpus, tmp_path_factory) -> Run:
    d, _ = corpus
    run = matlit_run(tmp_path_factory.mktemp("runs"), "work", [d, BUNDLED])
    assert run.returncode == 0, run.output[-3000:]
    return run


def check_failed(case: Case, rows: list[dict], work: Path, path: Path) -> None:
    assert len(rows) == 1, f"{case.name}: expected one failure row, got {rows}"
    (row,) = rows
    assert re.fullmatch(case.stage, row["stage"]), f"{case.name}: failed at {row['stage']}, expected {case.stage}"
    assert re.search(case.reason, row["message"], re.I), f"{case.name}: reason {case.reason!r} not in {row['message']!r}"
    assert row["source"] == str(path.resolve()), f"{case.name}: source {row['source']!r}"
    assert row["error_class"] and row["paper_id"] in (item_id(path), paper_id(path))
    later = STAGES[STAGES.index(row["stage"]) :]
    key = paper_id(path)
    assert not [st for st in later if output_path(work, st, key).exists()], f"{case.name}: output beside a failure"


def check_parsed(case: Case, rows: list[dict], work: Path, path: Path, warned: bool) -> None:
    assert not rows, f"{case.name}: unexpected failure rows {rows}"
    pid = paper_id(path)
    assert output_path(work, "normalize", pid).exists(), f"{case.name}: not carried through to records/"
    warnings = warnings_of(work, pid)
    if warned:
        assert any(re.search(case.reason, w, re.I) for w in warnings), f"{case.name}: no warning {case.reason!r}"
    else:
        assert warnings == [], f"{case.name}: unexpected warnings {warnings}"


def test_every_hostile_case_has_its_outcome(corpus, hostile_run):
    d, cases = corpus
    rows, work = failure_rows(hostile_run.work), hostile_run.work
    wrong = []
    for case in cases:
        try:
            check_case(case, rows_of(rows, d, case), work, d / case.file)
        except AssertionError as e:
            wrong.append(str(e).splitlines()[0])
    assert not wrong, "\n".join(wrong)


def check_case(case: Case, got: list[dict], work: Path, path: Path) -> None:
    if case.expect == "fail":
        check_failed(case, got, work, path)
    elif case.expect in ("ok", "degraded"):
        check_parsed(case, got, work, path, warned=case.expect == "degraded")
    elif case.expect == "fail_or_degraded":
        if got:
            check_failed(case, got, work, path)
        else:
            check_parsed(case, got, work, path, warned=True)
    elif case.expect == "ok_or_timeout":
        if got:
            check_failed(case, got, work, path)
            assert got[0]["error_class"] == "PaperTimeoutError", f"{case.name}: {got[0]['error_class']}"
        else:
            check_parsed(case, got, work, path, warned=False)
    else:
        raise AssertionError(f"{case.name}: unknown expectation {case.expect}")


def test_no_stray_rows_outputs_or_temp_files(corpus, hostile_run):
    d, cases = corpus
    rows, work = failure_rows(hostile_run.work), hostile_run.work
    expected = sum(len(rows_of(rows, d, c)) for c in cases)
    assert len(rows) == expected, "failure rows that belong to no hostile case (a good paper failed?)"
    for stage, key in rows:
        assert not output_path(work, stage, key).exists(), f"{stage}/{key}: both an output and a failure row"
    assert not list(work.rglob("*.tmp-*")), "temp files left behind"
    assert "Traceback" not in hostile_run.output


def test_per_paper_time_is_bounded(hostile_run):
    summary = json.loads(next((hostile_run.work / "runs").glob("*/summary.json")).read_text())
    for stage in summary:
        timeouts = sum(f["error_class"] == "PaperTimeoutError" for f in stage["failures"])
        # every other hostile paper is quick: the slow ones are cut at the limit (plus one step)
        assert stage["seconds"] <= timeouts * (PAPER_TIMEOUT_S + 5) + 60, stage


def test_good_papers_identical_to_a_run_without_hostile_inputs(hostile_run, tmp_path):
    alone = matlit_run(tmp_path, "alone", [BUNDLED])
    assert alone.returncode == 0, alone.output[-3000:]
    ids = {paper_id(p) for p in GOOD_PAPERS}
    assert len(ids) == 5
    assert outputs(hostile_run.work, ids) == outputs(alone.work, ids)
    assert not (alone.work / "failures").exists() or not list((alone.work / "failures").rglob("*.json"))


def test_paper_timeout_becomes_a_failure_row(corpus, tmp_path):
    d, _ = corpus
    huge = tmp_path / "in" / "huge.xml"
    huge.parent.mkdir()
    huge.write_bytes((d / "huge.xml").read_bytes())
    run = matlit_run(tmp_path, "timeout", [huge.parent], timeout_s=1)
    assert run.returncode == 0, run.output[-3000:]
    rows = failure_rows(run.work)
    assert list(rows) == [("parse", paper_id(huge))], rows
    row = rows[("parse", paper_id(huge))]
    assert row["error_class"] == "PaperTimeoutError"
    assert "took longer than the per-paper limit of 1 s" in row["message"]
    assert row["source"] == str(huge.resolve())
    assert run.seconds < 60, f"a 1 s per-paper limit, yet the run took {run.seconds:.0f} s"

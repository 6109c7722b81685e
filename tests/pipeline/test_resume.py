"""kill -9 in the middle of `matlit parse`, then a re-run: same outputs as an uninterrupted run, nothing half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import BUNDLED, REPO

pytestmark = pytest.mark.slow


def _matlit(*args: str, work: Path, wait: bool = True, **kw):
    cmd = [sys.executable, "-m", "pipeline.cli", *args, "--work-dir", str(work), "--no-progress"]
    if wait:
        return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600, **kw)
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _parsed(work: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((work / "parsed").glob("*.json"))}


def test_kill_9_during_parse_then_rerun_matches_uninterrupted(tmp_path):
    ref, killed = tmp_path / "ref", tmp_path / "killed"
    for w in (ref, killed):
        r = _matlit("fetch", str(BUNDLED), work=w)
        assert r.returncode == 0, r.stdout + r.stderr
    r = _matlit("parse", work=ref)
    assert r.returncode == 0, r.stdout + r.stderr
    expected = _parsed(ref)
    assert len(expected) == len(list(BUNDLED.glob("*.pdf")))

    proc = _matlit("parse", work=killed, wait=False)
    deadline = time.time() + 300
    while time.time() < deadline and len(list((killed / "parsed").glob("*.json"))) < 1:
        time.sleep(0.05)
    time.sleep(0.3)  # land somewhere inside the next paper
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = _parsed(killed)
    assert 1 <= len(partial) < len(expected), "the kill should land mid-batch"
    for name, data in partial.items():  # whatever was written is complete
        assert data == expected[name]

    r = _matlit("parse", work=killed)
    assert r.returncode == 0, r.stdout + r.stderr
    assert _parsed(killed) == expected
    assert not list(killed.rglob("*.tmp-*")), "temp files left behind"
    assert not list((killed / "failures").rglob("*.json")) if (killed / "failures").exists() else True

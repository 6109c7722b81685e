"""Faults from outside: kill -9 of `matlit run` at seeded moments in every stage, an HTTP server that lies about
Content-Length, and a disk that fills up in the middle of a write."""

from __future__ import annotations

import difflib
import errno
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

import pipeline.workdir as workdir
from pipeline.runner import run_pipeline
from pipeline.workdir import atomic_write_bytes
from tests.conftest import BUNDLED, REPO
from tests.pipeline.test_fetch import check_stored, config, make_pdf, papers, run_fetch

STAGES = ("fetch", "parse", "figures", "extract", "normalize", "score", "review", "shard")
KILL_SEED = 9_2026
KILLS = 20  # issue 9: kill -9 at 20 seeded moments across the stages
# where each stage's outputs appear, so a kill can land after a seeded number of them
OUTPUTS = {
    "fetch": "papers/*.json",
    "parse": "parsed/*.json",
    "figures": "figures/*.jsonl",
    "extract": "extracted/*.jsonl",
    "normalize": "records/*.jsonl",
    "score": "scored/*.jsonl",
    "review": "review/queue.jsonl",
    "shard": "shards/*/*.parquet",
}


# ---------------------------------------------------------------- kill -9 at seeded moments


KILL_PAPERS = ("10.1016_j.ssc.2016.12.016.pdf", "10.1088_1361-6668_aabf32.pdf", "10.1088_1361-6668_aa9882.pdf")


def run_config(tmp: Path) -> Path:
    """Three bundled papers (with their licences, so the text shards are written) through every stage."""
    papers = tmp / "papers"
    papers.mkdir()
    for name in (*KILL_PAPERS, "metadata.yaml"):
        shutil.copyfile(BUNDLED / name, papers / name)
    path = tmp / "run.yaml"
    cfg = {
        "fetch": {"local": [str(papers)]},
        "parse": {"tables": False},
        "figures": {"raster": False, "ocr_glyphs": False},  # vector only: keeps 40 runs affordable
        "runner": {"progress": False},
    }
    path.write_text(yaml.safe_dump(cfg))
    return path


def matlit_run(cfg: Path, work: Path, wait: bool = True):
    cmd = [sys.executable, "-m", "pipeline.cli", "run", "-c", str(cfg), "--work-dir", str(work), "--no-progress"]
    if wait:
        return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


FINAL = ("parsed/*.json", "figures/*.jsonl", "records/*.jsonl", "mentions/*.jsonl", "scored/*.jsonl", "review/queue.jsonl",
         "shards/*/*.parquet", "shards/manifest.json")


def final_outputs(work: Path) -> dict[str, bytes]:
    files = [p for pattern in FINAL for p in sorted(work.glob(pattern))]
    return {str(p.relative_to(work)): p.read_bytes() for p in files}


def differences(got: dict[str, bytes], expected: dict[str, bytes]) -> str:
    out = [f"missing: {sorted(set(expected) - set(got))}", f"extra: {sorted(set(got) - set(expected))}"]
    for name in sorted(set(got) & set(expected)):
        if got[name] != expected[name]:
            if name.endswith((".json", ".jsonl")):
                diff = difflib.unified_diff(expected[name].decode().splitlines(), got[name].decode().splitlines(),
                                            "expected", "got", lineterm="", n=1)
                out.append(f"{name}:\n" + "\n".join(list(diff)[:40]))
            else:
                out.append(f"{name}: {len(got[name])} bytes, expected {len(expected[name])}")
    return "\n".join(out)


def stage_seconds(work: Path) -> dict[str, float]:
    (summary,) = (work / "runs").glob("*/summary.json")
    return {s["stage"]: s["seconds"] for s in json.loads(summary.read_text())}


def stage_outputs(work: Path, stage: str) -> int:
    return len(list(work.glob(OUTPUTS[stage])))


def kill_during(cfg: Path, work: Path, stage: str, after: int, delay: float) -> str | None:
    """Start `matlit run`; once `stage` has written `after` outputs, sleep `delay` s and kill -9 the whole process
    group. Returns the last stage that had started when the kill landed (None: the run had already ended)."""
    proc = matlit_run(cfg, work, wait=False)
    deadline = time.monotonic() + 120
    while stage_outputs(work, stage) < after or not (work / "logs" / stage).exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.002)
    time.sleep(delay)
    started = [st for st in STAGES if (work / "logs" / st).exists()]
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    return None if proc.returncode == 0 else started[-1] if started else "start"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reference")
    cfg = run_config(tmp)
    r = matlit_run(cfg, tmp / "work")
    assert r.returncode == 0, r.stdout + r.stderr
    expected = final_outputs(tmp / "work")
    n = len(KILL_PAPERS)
    assert sum(k.startswith("parsed/") for k in expected) == n and sum(k.startswith("scored/") for k in expected) == n
    assert "shards/manifest.json" in expected and any(k.startswith("shards/records/") for k in expected)
    shards = sum(k.startswith("shards/") and k.endswith(".parquet") for k in expected)
    return cfg, expected, stage_seconds(tmp / "work"), shards


@pytest.mark.slow
def test_kill_9_at_seeded_moments_then_rerun_matches_uninterrupted(reference, tmp_path):
    cfg, expected, seconds, shards = reference
    rng = random.Random(KILL_SEED)
    n = len(KILL_PAPERS)
    outputs = {st: n for st in STAGES} | {"review": 1, "shard": shards}
    # every stage at least twice, the rest seeded; each kill lands after a seeded number of the stage's outputs,
    # plus a seeded fraction of one item's time
    stages = list(STAGES) * 2 + rng.choices(STAGES, k=KILLS - 2 * len(STAGES))
    moments = []
    for stage in stages:
        if stage in ("review", "shard"):  # corpus-level stages, quick: land before their last output
            moments.append((stage, rng.randrange(max(1, outputs[stage] - 1)), 0.0))
        else:
            moments.append((stage, rng.randrange(outputs[stage]), rng.uniform(0, 0.5) * seconds[stage] / n))
    hit = []
    for i, (stage, after, delay) in enumerate(moments):
        work = tmp_path / f"kill{i}"
        hit.append(kill_during(cfg, work, stage, after, delay))
        assert not list(work.glob("runs/*/summary.json")), f"kill {i} ({stage} +{delay:.3f} s) came after the end"
        for name, data in final_outputs(work).items():  # whatever was written before the kill is whole
            assert data == expected[name], f"kill {i}: {name} half-written"
        r = matlit_run(cfg, work)
        assert r.returncode == 0, r.stdout + r.stderr
        got = final_outputs(work)
        assert got == expected, f"kill {i} ({stage} +{delay:.3f} s): outputs differ after re-run:\n{differences(got, expected)}"
        for path in (work / "records").glob("*.jsonl"):
            ids = [json.loads(line)["record_id"] for line in path.read_text().splitlines()]
            assert len(ids) == len(set(ids)), f"kill {i}: duplicate records in {path.name}"
        assert not list(work.rglob("*.tmp-*")), f"kill {i}: temp files left behind"
        assert not list(work.glob("failures/*/*.json")), f"kill {i}: failure rows after the re-run"
    assert None not in hit, f"some runs ended before their kill: {list(zip(moments, hit, strict=True))}"
    assert set(hit) == set(STAGES), f"the kills should land in every stage: {list(zip(moments, hit, strict=True))}"


# ---------------------------------------------------------------- a server that lies about Content-Length


class LyingServer:
    """Raw HTTP/1.1 on 127.0.0.1: each path maps to (announced Content-Length, body, then 'close' | 'keep' |
    'stall'). Connections are kept alive unless the route says otherwise, so bytes sent past the announced length
    land in front of the next answer on the same connection."""

    def __init__(self):
        self.routes: dict[str, tuple[int, bytes, str]] = {}
        self.hits: list[str] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def add(self, path: str, announced: int, body: bytes, after: str = "keep") -> str:
        self.routes[path] = (announced, body, after)
        return self.base + path

    def _accept(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket):
        buf = b""
        with conn:
            while not self.stop.is_set():
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, buf = buf.split(b"\r\n\r\n", 1)
                path = head.split(b" ")[1].decode().split("?")[0]
                self.hits.append(path)
                announced, body, after = self.routes.get(path, (9, b"not found", "keep"))
                status = b"200 OK" if path in self.routes else b"404 Not Found"
                conn.sendall(
                    b"HTTP/1.1 %s\r\nContent-Type: application/pdf\r\nContent-Length: %d\r\n\r\n" % (status, announced)
                    + body
                )
                if after == "close":
                    return
                if after == "stall":
                    self.stop.wait(5)
                    return

    def close(self):
        self.stop.set()
        self.sock.close()


@pytest.fixture
def liar():
    server = LyingServer()
    yield server
    server.close()


def fetch_urls(work: Path, urls: list[str]):
    cfg = config(work, None, urls=urls, timeout_s=1.0, retries=1)
    return run_fetch(cfg)


def stored_pdfs(work: Path) -> list[Path]:
    return sorted((work / "papers").glob("*.pdf")) if (work / "papers").exists() else []


@pytest.mark.network
def test_content_length_larger_than_the_body(liar, work):
    pdf = make_pdf("announced more than sent")
    closed = liar.add("/closed.pdf", len(pdf) + 5000, pdf, after="close")
    stalled = liar.add("/stalled.pdf", len(pdf) + 5000, pdf, after="stall")
    s = fetch_urls(work, [closed, stalled])
    assert (s.out, s.failed) == (0, 2), s
    messages = {f["source"]: f["message"] for f in s.failures}
    assert f"truncated download ({len(pdf)} of {len(pdf) + 5000} bytes)" in messages[closed]
    assert "timed out" in messages[stalled]
    assert stored_pdfs(work) == [] and not list(work.rglob("*.tmp-*"))


@pytest.mark.network
def test_content_length_smaller_than_the_body(liar, work):
    short, good = make_pdf("announced less than sent"), make_pdf("an honest answer on the same connection")
    lying = liar.add("/short.pdf", len(short) - 400, short, after="keep")
    honest = liar.add("/good.pdf", len(good), good, after="keep")
    s = fetch_urls(work, [lying, honest])
    assert (s.out, s.failed) == (1, 1), s
    (failure,) = s.failures
    assert failure["source"] == lying and "incomplete PDF" in failure["message"]
    assert "wrong Content-Length" in failure["message"] and failure["error_class"] == "FetchError"
    (paper,) = papers(work)  # never the cut-off bytes
    assert paper.source == honest and check_stored(work, paper) == good
    assert stored_pdfs(work) == [work / paper.path]


# ---------------------------------------------------------------- disk full


class FullDisk:
    """File objects from os.fdopen that take `room` bytes, then fail with ENOSPC (like a full disk)."""

    def __init__(self, room: int, only: str | None = None):
        self.room, self.only, self.real = room, only, os.fdopen

    def __call__(self, fd, *args, **kw):
        f = self.real(fd, *args, **kw)
        name = os.readlink(f"/proc/self/fd/{fd}")
        if self.only and self.only not in name:
            return f
        room = self

        class Limited:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                f.close()

            def write(self, data):
                if len(data) > room.room:
                    f.write(data[: room.room])
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return f.write(data)

            def __getattr__(self, attr):
                return getattr(f, attr)

        return Limited()


@pytest.mark.parametrize("room", [0, 1, 4096])
def test_disk_full_keeps_the_previous_version(tmp_path, monkeypatch, room):
    target = tmp_path / "out" / "paper.json"
    atomic_write_bytes(target, b'{"version": 1}')
    monkeypatch.setattr(workdir.os, "fdopen", FullDisk(room))
    with pytest.raises(OSError) as info:
        atomic_write_bytes(target, b'{"version": 2, "pad": "' + b"x" * 10_000 + b'"}')
    assert info.value.errno == errno.ENOSPC
    assert str(target) in str(info.value) and "No space left on device" in str(info.value)
    assert target.read_bytes() == b'{"version": 1}'
    assert sorted(p.name for p in target.parent.iterdir()) == ["paper.json"], "temp file left behind"


def test_disk_full_during_parse_is_a_failure_row_naming_the_file(tmp_path, monkeypatch):
    work = tmp_path / "work"
    cfg = config(work, None, local=[str(BUNDLED)])
    cfg.parse.tables = False
    run_pipeline(cfg, ["fetch"])
    victim = sorted(p.stem for p in (work / "papers").glob("*.pdf"))[0]
    target = work / "parsed" / f"{victim}.json"
    atomic_write_bytes(target.with_name("old.json"), b"{}")  # an unrelated file in the same directory stays
    monkeypatch.setattr(workdir.os, "fdopen", FullDisk(1000, only=f"{victim}.json"))
    (s,) = run_pipeline(cfg, ["parse"])
    assert (s.out, s.failed) == (4, 1), s
    (row,) = s.failures
    assert row["paper_id"] == victim and row["error_class"] == "OSError"
    assert f"cannot write {target}: No space left on device" in row["message"]
    assert not target.exists() and not list(work.rglob("*.tmp-*"))
    monkeypatch.undo()
    (s,) = run_pipeline(cfg, ["parse"], retry_failed=True)
    assert (s.out, s.failed) == (1, 0) and target.exists()
    assert not list(work.glob("failures/parse/*.json"))

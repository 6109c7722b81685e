"""Partial downloads resume with Range requests: within a run (retry) and across runs (a failed or killed run
leaves the bytes it got under papers/.partial/), and start over when the file changed on the server."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.runner import run_pipeline
from tests.pipeline.test_fetch import check_stored, config, make_pdf, only_failure, papers


@dataclass
class Served:
    range: str | None
    if_range: str | None
    status: int
    sent: int


@dataclass
class RangeServer:
    """Serves one file at /paper.pdf with an ETag and byte ranges (RFC 9110 If-Range semantics); `cuts` lists how
    many body bytes each successive response sends before closing the connection (None: the whole rest)."""

    body: bytes
    etag: str = '"v1"'
    cuts: list[int | None] = field(default_factory=list)
    log: list[Served] = field(default_factory=list)

    def __post_init__(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                rng, if_range = self.headers.get("Range"), self.headers.get("If-Range")
                start = 0
                m = re.fullmatch(r"bytes=(\d+)-", rng or "")
                if m and (if_range is None or if_range == server.etag):
                    start = int(m.group(1))
                body = server.body[start:]
                status = 206 if start else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/pdf")
                self.send_header("ETag", server.etag)
                self.send_header("Content-Length", str(len(body)))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(server.body) - 1}/{len(server.body)}")
                self.end_headers()
                cut = server.cuts.pop(0) if server.cuts else None
                out = body if cut is None else body[:cut]
                try:
                    self.wfile.write(out)
                    self.wfile.flush()
                except OSError:
                    pass
                server.log.append(Served(rng, if_range, status, len(out)))
                if cut is not None:
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/paper.pdf"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def big_pdf() -> bytes:
    return make_pdf("resumable " * 200) + b"%" + b"x" * 50_000 + b"\n%%EOF\n"


@pytest.fixture
def server(big_pdf):
    s = RangeServer(big_pdf)
    yield s
    s.close()


def partial_files(work: Path) -> list[Path]:
    d = work / "papers" / ".partial"
    return sorted(d.iterdir()) if d.exists() else []


@pytest.mark.network
def test_cut_download_resumes_with_range_in_the_same_run(server, big_pdf, work):
    server.cuts = [20_000]
    (s,) = run_pipeline(config(work, urls=[server.url], retries=2), ["fetch"])
    assert (s.out, s.failed) == (1, 0)
    first, second = server.log
    assert (first.status, first.range, first.sent) == (200, None, 20_000)
    assert (second.status, second.range, second.if_range) == (206, "bytes=20000-", '"v1"')
    assert second.sent == len(big_pdf) - 20_000  # only the rest came over the wire
    (paper,) = papers(work)
    assert check_stored(work, paper) == big_pdf
    assert partial_files(work) == []


@pytest.mark.network
def test_failed_run_leaves_bytes_that_the_next_run_resumes(server, big_pdf, work):
    server.cuts = [30_000]
    (s,) = run_pipeline(config(work, urls=[server.url], retries=0), ["fetch"])
    assert "truncated download (30000 of" in only_failure(s)["message"]
    kept = [p for p in partial_files(work) if p.suffix == ".part"]
    assert len(kept) == 1 and kept[0].read_bytes() == big_pdf[:30_000]

    (s,) = run_pipeline(config(work, urls=[server.url], retries=0), ["fetch"], retry_failed=True)
    assert (s.out, s.failed) == (1, 0)
    assert server.log[-1].range == "bytes=30000-" and server.log[-1].sent == len(big_pdf) - 30_000
    (paper,) = papers(work)
    assert check_stored(work, paper) == big_pdf
    assert partial_files(work) == []


@pytest.mark.network
def test_file_changed_on_the_server_starts_over(server, big_pdf, work):
    server.cuts = [25_000]
    (s,) = run_pipeline(config(work, urls=[server.url], retries=0), ["fetch"])
    assert s.failed == 1
    new = make_pdf("a corrected version " * 100)
    server.body, server.etag = new, '"v2"'
    (s,) = run_pipeline(config(work, urls=[server.url], retries=0), ["fetch"], retry_failed=True)
    assert (s.out, s.failed) == (1, 0)
    last = server.log[-1]
    assert (last.range, last.if_range, last.status) == ("bytes=25000-", '"v1"', 200)  # validator no longer matches
    (paper,) = papers(work)
    assert check_stored(work, paper) == new
    assert partial_files(work) == []


@pytest.mark.network
def test_no_validator_means_no_resume(big_pdf, work):
    s = RangeServer(big_pdf, etag="", cuts=[10_000])
    try:
        (r,) = run_pipeline(config(work, urls=[s.url], retries=1), ["fetch"])
    finally:
        s.close()
    assert (r.out, r.failed) == (1, 0)
    assert [x.range for x in s.log] == [None, None]  # nothing to prove the bytes are the same file: start over
    assert partial_files(work) == []

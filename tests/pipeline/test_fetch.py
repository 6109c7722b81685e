"""Fetch stage against a real HTTP server on 127.0.0.1 serving answers in the real APIs' formats (no httpx mocks).

Fixtures: tests/fixtures/fetch/ (OpenAlex works, Unpaywall records, arXiv Atom feeds, a landing page, JATS, TEI);
`{base}` in them becomes the loopback server's URL.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import httpcore
import pymupdf
import pytest

from pipeline.config import FetchConfig, load_config
from pipeline.errors import FetchError, TooLargeError
from pipeline.fetch import apis as fetch_apis
from pipeline.fetch import http as fetch_http
from pipeline.fetch.http import HostRateLimiter, HttpClient, PublicOnlyBackend, host_allowed, is_public_ip
from pipeline.fetch.sniff import pdf_problem, xml_kind
from pipeline.runner import StageSummary, run_pipeline
from pipeline.workdir import WorkDir
from schemas import Paper
from tests.conftest import FIXTURES, open_pdf

FX = FIXTURES / "fetch"
MAILTO = "ci@example.org"
AA9882 = "10.1088_1361-6668_aa9882.pdf"


# ---------------------------------------------------------------- loopback server


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to sit silent before answering (a stalled server)
    truncate: int | None = None  # send only this many body bytes, then close (Content-Length stays full)
    chunked: bool = False  # no Content-Length: chunked transfer encoding


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float


class Loopback:
    """ThreadingHTTPServer on 127.0.0.1:0. Routes map a path to replies served in turn (the last one repeats) or
    to a function of the query; every request is recorded with its arrival time."""

    def __init__(self):
        self.routes: dict[str, list[Reply] | Callable[[dict], Reply]] = {}
        self.requests: list[Seen] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    # -- set up --
    def add(self, path: str, *replies: Reply) -> str:
        self.routes[path] = list(replies)
        return self.base + path

    def fixture(self, name: str) -> bytes:
        return (FX / name).read_text("utf-8").replace("{base}", self.base).encode("utf-8")

    def json(self, path: str, name: str) -> str:
        return self.add(path, Reply(body=self.fixture(name), headers={"Content-Type": "application/json"}))

    def pdf(self, path: str, data: bytes) -> str:
        return self.add(path, Reply(body=data, headers={"Content-Type": "application/pdf"}))

    def hits(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- serving --
    def _reply(self, path: str, query: dict) -> Reply:
        with self._lock:
            route = self.routes.get(path)
            if route is None:
                return Reply(404, b'{"error":"404 Not Found"}', {"Content-Type": "application/json"})
            if callable(route):
                return route(query)
            return route.pop(0) if len(route) > 1 else route[0]

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                server.requests.append(Seen(parts.path, query, dict(self.headers), time.monotonic()))
                reply = server._reply(parts.path, query)
                try:
                    if reply.delay:
                        server.stop.wait(reply.delay)
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    if reply.chunked:
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        for i in range(0, len(reply.body), 4096):
                            chunk = reply.body[i : i + 4096]
                            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        self.wfile.write(b"0\r\n\r\n")
                        return
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if reply.truncate is not None:
                        self.wfile.write(reply.body[: reply.truncate])
                        self.close_connection = True
                    else:
                        self.wfile.write(reply.body)
                except OSError:  # the client gave up (timeout) before we answered
                    self.close_connection = True

        return Handler


@pytest.fixture
def api():
    server = Loopback()
    yield server
    server.close()


# ---------------------------------------------------------------- helpers


def make_pdf(text: str) -> bytes:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), text)
    data = doc.tobytes()
    doc.close()
    return data


def fetch_options(api: Loopback | None = None, **over) -> dict:
    opts = dict(
        allow_private_addresses=True,
        allowed_hosts=["127.0.0.1"],
        rate_limit_per_host=1000.0,
        retries=2,
        backoff_s=0.05,
        max_backoff_s=2.0,
        timeout_s=2.0,
        mailto=MAILTO,
    )
    if api is not None:
        opts.update(
            openalex_url=f"{api.base}/openalex",
            unpaywall_url=f"{api.base}/unpaywall/v2",
            arxiv_api_url=f"{api.base}/arxiv/api/query",
        )
    opts.update(over)
    return opts


def config(work: Path, api: Loopback | None = None, **fetch):
    overrides = {f"fetch.{k}": v for k, v in fetch_options(api, **fetch).items()}
    return load_config(overrides={"work_dir": str(work), "runner.progress": False, **overrides})


def run_fetch(cfg) -> StageSummary:
    (summary,) = run_pipeline(cfg, ["fetch"])
    return summary


def papers(work: Path) -> list[Paper]:
    return WorkDir(work).papers()


def only_failure(summary: StageSummary) -> dict:
    assert summary.failed == 1, summary
    (failure,) = summary.failures
    return failure


def check_stored(work: Path, paper: Paper) -> bytes:
    data = (work / paper.path).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    assert paper.sha256 == sha and paper.paper_id == sha[:16] and paper.bytes == len(data)
    assert paper.path == f"papers/{paper.paper_id}.{'pdf' if paper.media_type == 'pdf' else 'xml'}"
    assert paper.fetched_at.tzinfo is not None
    return data


# ---------------------------------------------------------------- local files


def test_local_dir_pdfs_jats_tei_then_rerun_skips(tmp_path, work):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    small = make_pdf("a small test paper")
    real = open_pdf(AA9882).read_bytes()
    (src / "a.pdf").write_bytes(small)
    (src / "sub" / AA9882).write_bytes(real)
    (src / "article.nxml").write_bytes((FX / "jats_article.nxml").read_bytes())
    (src / "sub" / "doc.tei.xml").write_bytes((FX / "grobid_tei.xml").read_bytes())
    (src / "notes.txt").write_text("not a paper")
    (src / ".hidden.pdf").write_bytes(b"junk")
    (src / "sub" / "metadata.yaml").write_text(
        f"{AA9882}:\n  doi: 10.1088/1361-6668/AA9882\n  title: Radiation effects on iron-based superconductors\n"
        "  licence: CC-BY-3.0\n  licence_url: https://creativecommons.org/licenses/by/3.0/\n"
    )
    cfg = config(work, local=[str(src)])

    s = run_fetch(cfg)
    assert (s.papers_in, s.out, s.failed) == (4, 4, 0), s.failures
    got = {p.source: p for p in papers(work)}
    assert set(got) == {
        str(src / "a.pdf"),
        str(src / "sub" / AA9882),
        str(src / "article.nxml"),
        str(src / "sub" / "doc.tei.xml"),
    }
    for p in got.values():
        check_stored(work, p)
        assert p.source_kind == "local"
    assert got[str(src / "article.nxml")].media_type == "jats"
    assert got[str(src / "sub" / "doc.tei.xml")].media_type == "tei"
    bundled = got[str(src / "sub" / AA9882)]
    assert bundled.media_type == "pdf" and (work / bundled.path).read_bytes() == real
    assert (bundled.doi, bundled.licence) == ("10.1088/1361-6668/aa9882", "cc-by-3.0")
    assert got[str(src / "a.pdf")].licence is None and got[str(src / "a.pdf")].doi is None

    s2 = run_fetch(cfg)
    assert (s2.papers_in, s2.out, s2.skipped, s2.failed) == (4, 0, 4, 0)

    (src / "copy-of-a.pdf").write_bytes(small)  # the same bytes under a second name
    s3 = run_fetch(cfg)
    assert (s3.papers_in, s3.out, s3.skipped, s3.failed) == (5, 0, 5, 0)
    assert len(papers(work)) == 4


def test_same_file_under_two_names_is_one_paper(tmp_path, work):
    data = make_pdf("twice")
    (tmp_path / "x.pdf").write_bytes(data)
    (tmp_path / "y.pdf").write_bytes(data)
    s = run_fetch(config(work, local=[str(tmp_path / "*.pdf")]))
    assert (s.papers_in, s.out + s.skipped, s.failed) == (2, 2, 0)
    (paper,) = papers(work)
    assert check_stored(work, paper) == data


def test_local_bad_inputs_fail_with_clear_reasons(tmp_path, work, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative paths resolve against the current directory
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "paywall.pdf").write_bytes(b"\n<!DOCTYPE html>\n<html><body>Sign in</body></html>")
    (bad / "empty.pdf").write_bytes(b"")
    (bad / "page.xml").write_bytes(b"<!DOCTYPE html><html><body/></html>")
    (bad / "broken.xml").write_bytes(b'<?xml version="1.0"?>\n<article <front>')
    (bad / "bom.pdf").write_bytes(b"\xef\xbb\xbf \r\n" + make_pdf("bom first"))
    (bad / "notes.docx").write_bytes(b"PK\x03\x04")
    s = run_fetch(config(work, local=["bad", "bad/notes.docx", "missing.pdf", "nowhere/*.pdf"]))

    assert s.out == 1 and s.failed == 7
    fail = {Path(f["source"]).name: f for f in s.failures}
    assert fail["paywall.pdf"]["error_class"] == "BadInputError"
    assert fail["paywall.pdf"]["message"] == (
        f"{bad / 'paywall.pdf'}: not a PDF (starts with '<!DOCTYPE html'): looks like an HTML page"
    )
    assert fail["empty.pdf"]["message"].endswith("empty.pdf: empty file")
    assert "not JATS or TEI XML (root element <html>)" in fail["page.xml"]["message"]
    assert "not well-formed XML" in fail["broken.xml"]["message"]
    assert "unsupported file type '.docx'" in fail["notes.docx"]["message"]
    assert fail["missing.pdf"]["message"] == f"{tmp_path / 'missing.pdf'}: no such file or directory"
    assert "glob matched no PDF or XML files" in fail["*.pdf"]["message"]
    (paper,) = papers(work)
    assert paper.source == str(bad / "bom.pdf")


def test_sniffing():
    pdf = make_pdf("x")
    assert pdf_problem(pdf) is None
    assert pdf_problem(b"\xef\xbb\xbf\n  " + pdf) is None
    assert pdf_problem(b"") == "empty file"
    assert pdf_problem(b"PK\x03\x04rest") == "not a PDF (starts with 'PK..rest'): looks like a ZIP archive"
    assert xml_kind((FX / "jats_article.nxml").read_bytes()) == "jats"
    assert xml_kind((FX / "grobid_tei.xml").read_bytes()) == "tei"
    with pytest.raises(ValueError, match="refused for safety"):
        xml_kind(b'<!DOCTYPE a [<!ENTITY x "y">]><article>&x;</article>')


# ---------------------------------------------------------------- DOIs


@pytest.mark.network
def test_doi_resolves_through_openalex(api, work):
    real = open_pdf(AA9882).read_bytes()
    api.json("/openalex/works/https://doi.org/10.1088/1361-6668/aa9882", "openalex_work_aa9882.json")
    pdf_url = api.pdf("/iop/article/10.1088/1361-6668/aa9882/pdf", real)
    cfg = config(work, api, dois=["https://doi.org/10.1088/1361-6668/AA9882"])

    s = run_fetch(cfg)
    assert (s.out, s.failed) == (1, 0), s.failures
    (paper,) = papers(work)
    assert check_stored(work, paper) == real
    assert paper.doi == "10.1088/1361-6668/aa9882"
    assert paper.title == "Radiation effects on iron-based superconductors"
    assert (paper.licence, paper.source, paper.source_kind) == ("cc-by", pdf_url, "doi")
    (lookup,) = api.hits("/openalex/works/https://doi.org/10.1088/1361-6668/aa9882")
    assert lookup.query["mailto"] == [MAILTO]
    assert f"mailto:{MAILTO}" in lookup.headers["User-Agent"] and "matlit" in lookup.headers["User-Agent"]
    (download,) = api.hits("/iop/article/10.1088/1361-6668/aa9882/pdf")
    assert "application/pdf" in download.headers["Accept"]

    before = len(api.requests)
    s2 = run_fetch(cfg)
    assert (s2.skipped, s2.out) == (1, 0)
    assert len(api.requests) == before  # skipped from the work dir alone


@pytest.mark.network
def test_doi_falls_back_to_unpaywall(api, work):
    pdf = make_pdf("hybrid trapped field magnet lens")
    api.json("/openalex/works/https://doi.org/10.1088/1361-6668/aaae94", "openalex_work_aaae94.json")
    api.add(
        "/iop/article/10.1088/1361-6668/aaae94",
        Reply(body=api.fixture("landing_page.html"), headers={"Content-Type": "text/html; charset=utf-8"}),
    )
    api.json("/unpaywall/v2/10.1088/1361-6668/aaae94", "unpaywall_aaae94.json")
    pdf_url = api.pdf("/iop/article/10.1088/1361-6668/aaae94/pdf", pdf)

    s = run_fetch(config(work, api, dois=["10.1088/1361-6668/aaae94"]))
    assert (s.out, s.failed) == (1, 0), s.failures
    (paper,) = papers(work)
    assert check_stored(work, paper) == pdf
    assert (paper.source, paper.licence) == (pdf_url, "cc-by")
    assert paper.title == "A new concept of a hybrid trapped field magnet lens"
    order = [r.path for r in api.requests]
    assert order.index("/iop/article/10.1088/1361-6668/aaae94") < order.index("/unpaywall/v2/10.1088/1361-6668/aaae94")
    assert api.hits("/unpaywall/v2/10.1088/1361-6668/aaae94")[0].query["email"] == [MAILTO]


@pytest.mark.network
def test_doi_without_open_access_is_a_failure_row(api, work, tmp_path):
    api.json("/openalex/works/https://doi.org/10.5555/closed.2020.017", "openalex_work_closed.json")
    api.json("/unpaywall/v2/10.5555/closed.2020.017", "unpaywall_closed.json")
    doi_file = tmp_path / "dois.txt"
    doi_file.write_text("# DOIs to fetch\n\ndoi:10.5555/unknown.1\nnot-a-doi\n")
    s = run_fetch(config(work, api, dois=["10.5555/closed.2020.017"], doi_file=str(doi_file)))
    assert (s.out, s.failed) == (0, 3)
    msgs = sorted(f["message"] for f in s.failures)
    assert msgs[0].startswith("'not-a-doi': not a DOI")
    assert msgs[1].startswith("doi:10.5555/closed.2020.017: no open-access PDF (OpenAlex, Unpaywall)")
    assert msgs[2].startswith("doi:10.5555/unknown.1: no open-access PDF (OpenAlex, Unpaywall)")
    assert "OpenAlex: DOI not found; Unpaywall: DOI not found" in msgs[2]
    assert papers(work) == []


@pytest.mark.network
def test_local_copy_of_an_already_fetched_doi_is_skipped(api, work, tmp_path):
    """The same DOI from two sources (publisher PDF via OpenAlex, a local copy with other bytes) is one paper."""
    api.json("/openalex/works/https://doi.org/10.1088/1361-6668/aa9882", "openalex_work_aa9882.json")
    api.pdf("/iop/article/10.1088/1361-6668/aa9882/pdf", make_pdf("publisher copy"))
    local = tmp_path / "mine"
    local.mkdir()
    (local / "copy.pdf").write_bytes(make_pdf("my annotated copy"))
    (local / "metadata.yaml").write_text("copy.pdf:\n  doi: https://doi.org/10.1088/1361-6668/AA9882\n")

    s = run_fetch(config(work, api, dois=["10.1088/1361-6668/aa9882"]))
    assert s.out == 1
    s2 = run_fetch(config(work, api, dois=["10.1088/1361-6668/aa9882"], local=[str(local)]))
    assert (s2.papers_in, s2.skipped, s2.out) == (2, 2, 0)
    (paper,) = papers(work)
    assert paper.source_kind == "doi"


# ---------------------------------------------------------------- arXiv


def serve_arxiv_pdfs(api: Loopback) -> dict[str, bytes]:
    out = {}
    for aid in ("1903.06841v2", "2101.00001v1", "cond-mat/0603036v3"):
        out[aid] = make_pdf(f"arXiv {aid}")
        api.pdf(f"/arxiv/pdf/{aid}", out[aid])
    return out


@pytest.mark.network
def test_arxiv_query_then_dedup_by_arxiv_id_and_doi(api, work):
    api.add(
        "/arxiv/api/query",
        Reply(body=api.fixture("arxiv_query.atom"), headers={"Content-Type": "application/atom+xml; charset=utf-8"}),
    )
    pdfs = serve_arxiv_pdfs(api)
    arxiv = dict(arxiv_query="all:pnictide", arxiv_categories=["cond-mat.supr-con"], arxiv_max_results=3)

    s = run_fetch(config(work, api, **arxiv))
    assert (s.out, s.failed) == (3, 0), s.failures
    (query,) = api.hits("/arxiv/api/query")
    assert query.query["search_query"] == ["(cat:cond-mat.supr-con) AND (all:pnictide)"]
    assert (query.query["start"], query.query["max_results"]) == (["0"], ["3"])
    got = {p.arxiv_id: p for p in papers(work)}
    assert set(got) == set(pdfs)
    for aid, p in got.items():
        assert check_stored(work, p) == pdfs[aid]
        assert (p.source_kind, p.licence) == ("arxiv", "arxiv-nonexclusive")
    assert got["1903.06841v2"].title == "Upper critical field and anisotropy of a layered iron-pnictide superconductor"
    assert got["2101.00001v1"].doi == "10.5555/jap.2021.0007"

    # a DOI whose only open copy is the arXiv paper already fetched; a DOI an arXiv entry already carried
    api.json("/openalex/works/https://doi.org/10.5555/prb.2019.0042", "openalex_work_arxiv_only.json")
    cfg = config(work, api, dois=["10.5555/prb.2019.0042", "10.5555/JAP.2021.0007"], **arxiv)
    s2 = run_fetch(cfg)
    assert (s2.papers_in, s2.failed) == (5, 0)
    assert len(papers(work)) == 3
    assert WorkDir(work).load_paper(got["1903.06841v2"].paper_id).doi == "10.5555/prb.2019.0042"
    assert api.hits("/arxiv/pdf/1903.06841") == []  # recognised by arXiv id, not downloaded again
    assert api.hits("/openalex/works/https://doi.org/10.5555/jap.2021.0007") == []  # known DOI: not even looked up

    s3 = run_fetch(cfg)
    assert (s3.papers_in, s3.skipped, s3.out) == (5, 5, 0)


@pytest.mark.network
def test_arxiv_query_pages(api, work, monkeypatch):
    monkeypatch.setattr(fetch_apis, "ARXIV_PAGE", 2)
    feed = api.fixture("arxiv_query.atom").decode()
    entries = re.findall(r"<entry>.*?</entry>", feed, flags=re.S)
    head = feed[: feed.index("<entry>")]

    def page(query: dict) -> Reply:
        start, n = int(query["start"][0]), int(query["max_results"][0])
        return Reply(body=(head + "".join(entries[start : start + n]) + "</feed>").encode())

    api.routes["/arxiv/api/query"] = page
    serve_arxiv_pdfs(api)
    s = run_fetch(config(work, api, arxiv_query="all:pnictide", arxiv_max_results=3))
    assert (s.out, s.failed) == (3, 0), s.failures
    assert [r.query["start"] for r in api.hits("/arxiv/api/query")] == [["0"], ["2"]]
    assert api.hits("/arxiv/api/query")[0].query["search_query"] == ["all:pnictide"]


@pytest.mark.network
def test_arxiv_query_is_asked_once_per_run_whatever_the_tasks(api, work):
    api.add("/arxiv/api/query", Reply(body=api.fixture("arxiv_query.atom")))
    serve_arxiv_pdfs(api)
    cfg = config(work, api, arxiv_query="all:pnictide", arxiv_max_results=3)
    cfg.runner.tasks = 3  # three shards run one after the other in this process: each lists the sources
    s = run_fetch(cfg)
    assert (s.tasks, s.papers_in, s.out, s.failed) == (3, 3, 3, 0)
    assert len(api.hits("/arxiv/api/query")) == 1  # the hits are cached in the run's log dir


@pytest.mark.network
def test_arxiv_error_feed_is_a_failure_and_others_go_on(api, work):
    api.add("/arxiv/api/query", Reply(body=api.fixture("arxiv_error.atom")))
    url = api.pdf("/files/ok.pdf", make_pdf("ok"))
    s = run_fetch(config(work, api, arxiv_categories=["cond-mat.supr-con"], urls=[url]))
    assert (s.out, s.failed) == (1, 1)
    assert "arXiv API error: malformed search query" in only_failure(s)["message"]


# ---------------------------------------------------------------- faults


@pytest.mark.network
def test_429_waits_for_retry_after_then_succeeds(api, work):
    api.add(
        "/openalex/works/https://doi.org/10.1088/1361-6668/aa9882",
        Reply(429, b'{"error":"rate limited"}', {"Retry-After": "1", "Content-Type": "application/json"}),
        Reply(body=api.fixture("openalex_work_aa9882.json"), headers={"Content-Type": "application/json"}),
    )
    api.pdf("/iop/article/10.1088/1361-6668/aa9882/pdf", make_pdf("after waiting"))
    s = run_fetch(config(work, api, dois=["10.1088/1361-6668/aa9882"]))
    assert (s.out, s.failed) == (1, 0), s.failures
    first, second = api.hits("/openalex/works/https://doi.org/10.1088/1361-6668/aa9882")
    assert 0.95 <= second.at - first.at < 1.8


def test_retry_after_forms():
    now = datetime(2025, 1, 20, 12, 0, 0, tzinfo=timezone.utc)
    assert fetch_http.retry_after_s("3", now) == 3.0
    assert fetch_http.retry_after_s(format_datetime(now + timedelta(seconds=7), usegmt=True), now) == 7.0
    assert fetch_http.retry_after_s(format_datetime(now - timedelta(seconds=7), usegmt=True), now) == 0.0
    assert fetch_http.retry_after_s("soon", now) is None and fetch_http.retry_after_s(None) is None


@pytest.mark.network
def test_retry_after_beyond_max_backoff_gives_up(api):
    url = api.add("/f.pdf", Reply(503, headers={"Retry-After": "120"}))
    with HttpClient(FetchConfig(**fetch_options(max_backoff_s=5))) as client:
        with pytest.raises(FetchError, match=r"HTTP 503; server asked to retry after 120 s"):
            client.get(url)
    assert len(api.hits("/f.pdf")) == 1


@pytest.mark.network
def test_500_then_success_is_retried(api, work):
    pdf = make_pdf("second time lucky")
    url = api.add("/f.pdf", Reply(500), Reply(body=pdf))
    s = run_fetch(config(work, api, urls=[url]))
    assert (s.out, s.failed) == (1, 0)
    assert len(api.hits("/f.pdf")) == 2
    (paper,) = papers(work)
    assert (check_stored(work, paper), paper.source, paper.source_kind) == (pdf, url, "url")


@pytest.mark.network
def test_persistent_500_is_a_failure_row(api, work):
    url = api.add("/f.pdf", Reply(500))
    s = run_fetch(config(work, api, urls=[url]))
    failure = only_failure(s)
    assert failure["message"] == f"{url}: HTTP 500 (gave up after 3 attempts)"
    assert (failure["error_class"], failure["source"]) == ("FetchError", url)
    assert len(api.hits("/f.pdf")) == 3


@pytest.mark.network
def test_stalled_server_times_out_after_retries(api, work):
    url = api.add("/slow.pdf", Reply(body=make_pdf("late"), delay=5))
    t0 = time.monotonic()
    s = run_fetch(config(work, api, urls=[url], timeout_s=0.3, retries=1))
    assert time.monotonic() - t0 < 4
    assert only_failure(s)["message"] == f"{url}: timed out (read timeout 0.3 s) (gave up after 2 attempts)"
    assert len(api.hits("/slow.pdf")) == 2


@pytest.mark.network
def test_truncated_body_is_retried_then_fails(api, work):
    pdf = make_pdf("cut short")
    ok_url = api.add("/cut-once.pdf", Reply(body=pdf, truncate=100), Reply(body=pdf))
    bad_url = api.add("/cut.pdf", Reply(body=pdf, truncate=100))
    s = run_fetch(config(work, api, urls=[ok_url, bad_url]))
    assert (s.out, s.failed) == (1, 1)
    assert len(api.hits("/cut-once.pdf")) == 2 and len(api.hits("/cut.pdf")) == 3
    message = only_failure(s)["message"]
    assert message.startswith(f"{bad_url}: truncated download (") and f"of {len(pdf)} bytes" in message
    (paper,) = papers(work)
    assert check_stored(work, paper) == pdf


@pytest.mark.network
def test_html_instead_of_pdf(api, work):
    url = api.add("/paper.pdf", Reply(body=api.fixture("landing_page.html"), headers={"Content-Type": "text/html"}))
    s = run_fetch(config(work, api, urls=[url]))
    assert only_failure(s)["message"] == f"{url}: got HTML instead of a PDF (paywall or landing page?)"
    assert len(api.hits("/paper.pdf")) == 1  # not a transient fault: no retry


@pytest.mark.network
def test_body_over_max_bytes(api, work):
    big = make_pdf("big") + b"%" * 20_000
    declared = api.add("/declared.pdf", Reply(body=big))
    streamed = api.add("/streamed.pdf", Reply(body=big, chunked=True))
    with HttpClient(FetchConfig(**fetch_options(max_bytes=10_000))) as client:
        with pytest.raises(TooLargeError, match="Content-Length 2.* bytes is over fetch.max_bytes"):
            client.get(declared)
        with pytest.raises(TooLargeError, match="body is over fetch.max_bytes"):
            client.get(streamed)
    s = run_fetch(config(work, api, urls=[declared], max_bytes=10_000))
    assert only_failure(s)["error_class"] == "TooLargeError"
    assert len(api.hits("/declared.pdf")) == 2  # once per client above, once in the run: never retried


@pytest.mark.network
def test_host_not_in_allowlist_is_refused(api):
    url = api.add("/f.pdf", Reply(body=make_pdf("x")))
    with HttpClient(FetchConfig(**fetch_options(allowed_hosts=["api.openalex.org", "*.arxiv.org"]))) as client:
        with pytest.raises(FetchError, match=r"host '127.0.0.1' is not in fetch.allowed_hosts"):
            client.get(url)
        with pytest.raises(FetchError, match="only http and https"):
            client.get("file:///etc/passwd")
    assert api.requests == []


def test_host_patterns():
    allowed = ["arxiv.org", "*.arxiv.org", "api.openalex.org"]
    assert host_allowed("arxiv.org", allowed) and host_allowed("export.arxiv.org", allowed)
    assert host_allowed("API.OpenAlex.org.", allowed)
    assert not host_allowed("evilarxiv.org", allowed) and not host_allowed("arxiv.org.evil.com", allowed)
    assert not host_allowed("openalex.org", allowed)


@pytest.mark.network
def test_private_address_refused_without_a_request(api, work):
    api.json("/openalex/works/https://doi.org/10.1088/1361-6668/aa9882", "openalex_work_aa9882.json")
    s = run_fetch(config(work, api, dois=["10.1088/1361-6668/aa9882"], allow_private_addresses=False))
    message = only_failure(s)["message"]
    assert message.startswith("doi:10.1088/1361-6668/aa9882: no open-access PDF")
    assert "refusing to fetch from private address 127.0.0.1" in message
    assert api.requests == []


@pytest.mark.network
def test_private_address_refused_at_connect_time_too(api, monkeypatch):
    """If DNS changed between the check and the connection (rebinding), the connection itself is refused."""
    url = api.add("/f.pdf", Reply(body=make_pdf("x")))
    monkeypatch.setattr(fetch_http, "check_url", lambda url, cfg: None)
    with HttpClient(FetchConfig(**fetch_options(allow_private_addresses=False))) as client:
        with pytest.raises(FetchError, match="refusing to fetch from private address 127.0.0.1"):
            client.get(url)
    with pytest.raises(FetchError, match="private address"):
        PublicOnlyBackend(httpcore.SyncBackend()).connect_tcp("127.0.0.1", api.port)
    assert api.requests == []


def test_public_ip_classification():
    refused = (
        "127.0.0.1 10.1.2.3 172.16.0.1 192.168.1.1 169.254.169.254 100.64.0.1 0.0.0.0 224.0.0.1 240.0.0.1 "
        "::1 fe80::1 fd00::1 ::ffff:127.0.0.1 2002:7f00:1:: 64:ff9b::a00:1 ff02::1"
    ).split()
    allowed = "8.8.8.8 151.101.1.1 2606:4700::1111 64:ff9b::808:808".split()
    assert not any(is_public_ip(ipaddress.ip_address(a)) for a in refused)
    assert all(is_public_ip(ipaddress.ip_address(a)) for a in allowed)


@pytest.mark.network
def test_redirects_are_followed_and_checked(api):
    pdf = make_pdf("moved")
    api.pdf("/final.pdf", pdf)
    start = api.add("/r1", Reply(302, headers={"Location": "/r2"}))
    api.add("/r2", Reply(301, headers={"Location": f"{api.base}/final.pdf"}))
    offsite = api.add("/away", Reply(302, headers={"Location": f"http://localhost:{api.port}/final.pdf"}))
    loop = api.add("/loop", Reply(307, headers={"Location": "/loop"}))
    with HttpClient(FetchConfig(**fetch_options())) as client:
        got = client.get(start)
        assert (got.body, got.url) == (pdf, f"{api.base}/final.pdf")
        with pytest.raises(FetchError, match=r"host 'localhost' is not in fetch.allowed_hosts"):
            client.get(offsite)
        with pytest.raises(FetchError, match="more than 5 redirects"):
            client.get(loop)
    assert len(api.hits("/final.pdf")) == 1 and len(api.hits("/loop")) == 6


@pytest.mark.network
def test_rate_limit_per_host(api):
    limiter = HostRateLimiter()
    url = api.pdf("/f.pdf", make_pdf("x"))
    with HttpClient(FetchConfig(**fetch_options(rate_limit_per_host=10.0)), limiter=limiter) as client:
        for _ in range(4):
            client.get(url)
    times = [r.at for r in api.hits("/f.pdf")]
    assert times[-1] - times[0] >= 0.28  # 3 intervals of 1/10 s, give or take the server's clock
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.07
    t0 = time.monotonic()
    limiter.wait("other.example", 10.0)  # another host is not slowed down
    assert time.monotonic() - t0 < 0.05

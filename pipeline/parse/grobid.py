"""PDF -> GROBID server (processFulltextDocument, via grobid-client-python) -> TEI -> ParsedDocument ("tei@1").

The request asks for header consolidation, sentence segmentation and coordinates on p, s, head, figure, formula,
biblStruct and note, so blocks and sentences come back with page boxes. Errors say what the runner should do:
server down, busy (503) or timing out -> RetryableError; the server rejecting the PDF -> BadInputError.
"""

from __future__ import annotations

from pathlib import Path

from grobid_client.grobid_client import GrobidClient, ServerUnavailableException

from pipeline.config import ParseConfig
from pipeline.errors import BadInputError, RetryableError
from pipeline.parse.tei import parse_tei_bytes
from schemas.document import ParsedDocument

SERVICE = "processFulltextDocument"
COORDINATES = ["p", "s", "head", "figure", "formula", "biblStruct", "note"]


def parse_pdf_with_grobid(path: Path, paper_id: str, cfg: ParseConfig) -> ParsedDocument:
    """Send the PDF to the GROBID server at cfg.grobid_url and parse the TEI it returns."""
    tei = fetch_tei(Path(path), cfg)
    return parse_tei_bytes(tei, paper_id, f"GROBID TEI of {path}")


def fetch_tei(path: Path, cfg: ParseConfig) -> bytes:
    """The TEI bytes for one PDF; raises RetryableError/BadInputError with the server address in the message."""
    if not path.is_file():
        raise BadInputError(f"{path}: no such file")
    client = _client(cfg)
    _, status, text = client.process_pdf(
        SERVICE, str(path), consolidate_header=True, tei_coordinates=True, segment_sentences=True
    )
    return _check(status, text, path, cfg.grobid_url)


class _Client(GrobidClient):
    def _handle_server_busy_retry(self, file_path, retry_func, *args, **kwargs):
        """The stock client sleeps and retries a 503 forever; hand the 503 back so the runner's retry decides."""
        return (file_path, 503, "server busy")


def _client(cfg: ParseConfig) -> GrobidClient:
    """A GrobidClient bound to cfg.grobid_url, after /api/isalive said yes."""
    url = cfg.grobid_url.rstrip("/")
    try:
        client = _Client(grobid_server=url, coordinates=COORDINATES, timeout=cfg.grobid_timeout_s, check_server=False)
        alive, status = client.ping()
    except ServerUnavailableException as e:
        cause = str(e.__cause__ or e)
        reason = "connection refused" if "Connection refused" in cause else cause[:200]
        raise RetryableError(f"GROBID server not reachable at {url} ({reason})") from e
    if not alive:
        raise RetryableError(f"GROBID server at {url} is not alive (/api/isalive answered HTTP {status})")
    return client


def _check(status: int, text: str | None, path: Path, url: str) -> bytes:
    """Map the client's (status, text) to TEI bytes or an error."""
    text = text or ""
    if status == 200 and text.strip():
        return text.encode("utf-8")
    detail = " ".join(text.split())[:300]
    if status == 200 or status == 204:
        raise BadInputError(f"{path}: GROBID at {url} returned no TEI (HTTP {status}): it extracted nothing")
    if status == 408:
        raise RetryableError(f"{path}: GROBID at {url} timed out: {detail}")
    if status == 500 and detail.startswith(("Request failed", "Unexpected error")):
        # the client reports its own connection failures as status 500
        raise RetryableError(f"GROBID server not reachable at {url} while processing {path}: {detail}")
    if status in (502, 503, 504):
        raise RetryableError(f"{path}: GROBID at {url} unavailable (HTTP {status}): {detail}")
    raise BadInputError(f"{path}: GROBID at {url} could not process the PDF (HTTP {status}): {detail}")

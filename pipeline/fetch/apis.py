"""The scholarly APIs fetch asks: OpenAlex and Unpaywall (DOI -> open-access PDF URLs), the arXiv API (query -> entries).

Only response parsing and URL building live here; the HTTP client does the talking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from pipeline.config import FetchConfig
from pipeline.errors import FetchError
from pipeline.fetch.http import HttpClient, HttpStatusError

ARXIV_LICENCE = "arxiv-nonexclusive"  # arXiv's default distribution licence; the API does not say which applies
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/(.+?)(?:\.pdf)?/?$", re.I)
_ARXIV_VERSION = re.compile(r"v\d+$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)\s*", re.I)


def normalize_doi(raw: str) -> str | None:
    """Bare lower-case DOI ('10.1088/1361-6668/aa9882') from a DOI, 'doi:' form or doi.org URL; None if not one."""
    doi = _DOI_PREFIX.sub("", raw.strip()).strip().lower()
    return doi if _DOI.match(doi) else None


def arxiv_base_id(arxiv_id: str) -> str:
    """arXiv id without its version: '1903.06841v2' -> '1903.06841', 'cond-mat/0102536v1' -> 'cond-mat/0102536'."""
    return _ARXIV_VERSION.sub("", arxiv_id.strip())


def arxiv_id_from_url(url: str | None) -> str | None:
    m = _ARXIV_URL.search(url or "")
    return m.group(1) if m else None


def _licence(value) -> str | None:
    text = str(value or "").strip().lower()
    return text or None


@dataclass
class Candidate:
    """A URL that may serve the PDF of a DOI, with what the API said about it."""

    url: str
    licence: str | None = None
    arxiv_id: str | None = None


@dataclass
class Lookup:
    """What one API knows about a DOI."""

    title: str | None = None
    arxiv_id: str | None = None
    candidates: list[Candidate] = field(default_factory=list)


# ---------------------------------------------------------------- OpenAlex


def openalex_lookup(client: HttpClient, cfg: FetchConfig, doi: str) -> Lookup | None:
    """GET /works/https://doi.org/<doi>; None when OpenAlex does not know the DOI (404)."""
    url = f"{cfg.openalex_url.rstrip('/')}/works/https://doi.org/{quote(doi, safe='/;:()._-')}"
    try:
        work = client.get_json(url, params={"mailto": cfg.mailto} if cfg.mailto else None)
    except HttpStatusError as e:
        if e.status == 404:
            return None
        raise
    return read_openalex_work(work)


def read_openalex_work(work: dict) -> Lookup:
    """PDF candidates of an OpenAlex work, best first: best_oa_location.pdf_url, open_access.oa_url, then the
    pdf_url of the other open locations."""
    best = work.get("best_oa_location") or {}
    locations = [loc for loc in work.get("locations") or [] if isinstance(loc, dict)]
    out = Lookup(title=work.get("title") or work.get("display_name"))
    for loc in [best, *locations]:
        out.arxiv_id = out.arxiv_id or _openalex_arxiv_id(loc)

    def add(url: str | None, loc: dict) -> None:
        if url and all(c.url != url for c in out.candidates):
            out.candidates.append(Candidate(url, _licence(loc.get("license")), _openalex_arxiv_id(loc)))

    add(best.get("pdf_url"), best)
    oa_url = (work.get("open_access") or {}).get("oa_url")
    if oa_url:
        owner = next((loc for loc in locations if oa_url in (loc.get("pdf_url"), loc.get("landing_page_url"))), best)
        add(oa_url, owner)
    for loc in locations:
        if loc.get("is_oa", True):
            add(loc.get("pdf_url"), loc)
    return out


def _openalex_arxiv_id(loc: dict) -> str | None:
    for key in ("landing_page_url", "pdf_url"):
        found = arxiv_id_from_url(loc.get(key))
        if found:
            return found
    return None


# ---------------------------------------------------------------- Unpaywall


def unpaywall_lookup(client: HttpClient, cfg: FetchConfig, doi: str) -> Lookup | None:
    """GET <unpaywall>/<doi>?email=...; None when Unpaywall does not know the DOI (404)."""
    url = f"{cfg.unpaywall_url.rstrip('/')}/{quote(doi, safe='/;:()._-')}"
    try:
        record = client.get_json(url, params={"email": cfg.mailto})
    except HttpStatusError as e:
        if e.status == 404:
            return None
        raise
    return read_unpaywall_record(record)


def read_unpaywall_record(record: dict) -> Lookup:
    """PDF candidates of an Unpaywall record: best_oa_location.url_for_pdf, then the other oa_locations."""
    out = Lookup(title=record.get("title"))
    best = record.get("best_oa_location") or {}
    for loc in [best, *(record.get("oa_locations") or [])]:
        if not isinstance(loc, dict):
            continue
        url = loc.get("url_for_pdf")
        arxiv = arxiv_id_from_url(loc.get("url_for_landing_page")) or arxiv_id_from_url(url)
        out.arxiv_id = out.arxiv_id or arxiv
        if url and all(c.url != url for c in out.candidates):
            out.candidates.append(Candidate(url, _licence(loc.get("license")), arxiv))
    return out


# ---------------------------------------------------------------- arXiv

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ARXIV_PAGE = 500  # entries per API call (the API allows up to 2000)


@dataclass
class ArxivEntry:
    arxiv_id: str  # with version, as the API gives it
    title: str | None
    pdf_url: str
    doi: str | None = None


def arxiv_search_query(query: str | None, categories: list[str]) -> str | None:
    """Categories are OR-ed among themselves and AND-ed with the query:
    '(cat:a OR cat:b) AND (<query>)' = papers in any of the categories that match the query."""
    cats = " OR ".join(f"cat:{c.strip()}" for c in categories if c.strip())
    query = (query or "").strip()
    if cats and query:
        return f"({cats}) AND ({query})"
    return query or cats or None


def arxiv_search(client: HttpClient, cfg: FetchConfig) -> list[ArxivEntry]:
    """Run the configured arXiv query, page by page, up to arxiv_max_results entries."""
    q = arxiv_search_query(cfg.arxiv_query, cfg.arxiv_categories)
    if not q:
        return []
    entries: list[ArxivEntry] = []
    start = 0
    while start < cfg.arxiv_max_results:
        n = min(ARXIV_PAGE, cfg.arxiv_max_results - start)
        got = client.get(
            cfg.arxiv_api_url,
            params={"search_query": q, "start": start, "max_results": n},
            accept="application/atom+xml",
        )
        page, total = parse_arxiv_atom(got.body, got.url)
        entries += page
        start += n
        if not page or (total is not None and start >= total):
            break
    return entries


def parse_arxiv_atom(data: bytes, url: str = "arXiv API") -> tuple[list[ArxivEntry], int | None]:
    """Entries of an arXiv API Atom feed and its opensearch:totalResults. Raises FetchError on an error feed."""
    try:
        root = SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException) as e:
        raise FetchError(f"{url}: arXiv API answer is not a readable Atom feed ({e})") from None
    total_text = root.findtext(f"{OPENSEARCH}totalResults")
    total = int(total_text) if total_text and total_text.strip().isdigit() else None
    entries = []
    for e in root.findall(f"{ATOM}entry"):
        id_url = (e.findtext(f"{ATOM}id") or "").strip()
        if "/api/errors" in id_url:
            summary = " ".join((e.findtext(f"{ATOM}summary") or "unknown error").split())
            raise FetchError(f"{url}: arXiv API error: {summary}")
        arxiv_id = arxiv_id_from_url(id_url)
        if not arxiv_id:
            continue
        pdf = next((lk.get("href") for lk in e.findall(f"{ATOM}link") if lk.get("title") == "pdf"), None)
        title = " ".join((e.findtext(f"{ATOM}title") or "").split()) or None
        doi = normalize_doi(e.findtext(f"{ARXIV}doi") or "")
        entries.append(ArxivEntry(arxiv_id, title, pdf or f"https://arxiv.org/pdf/{arxiv_id}", doi))
    return entries, total

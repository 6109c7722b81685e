"""FetchStage: configured sources in, content-addressed papers out (work/papers/<paper_id>.pdf|.xml + .json).

Work items are sources, not papers: one item per local file, DOI, direct URL or arXiv query hit, its id the
first 16 hex digits of sha256('local:/abs/path' | 'doi:10.x/y' | 'url:https://...' | 'arxiv:1903.06841').
Failure rows (work/failures/fetch/<item>.json) name the file or URL.

Sources:
* local: directories (recursive), files, globs of .pdf / .xml / .nxml (JATS <article> or GROBID <TEI>, told
  apart by the root element only: full XML checks are parse's job); a `metadata.yaml` beside the files may give
  each file's doi, title, licence, licence_url, arxiv_id (as data/papers/metadata.yaml does);
* dois (+ doi_file): OpenAlex first (best_oa_location.pdf_url, open_access.oa_url, other locations' pdf_url),
  then Unpaywall (url_for_pdf) when OpenAlex has none or none of its PDFs could be fetched;
* urls: direct PDF URLs;
* arXiv: `(cat:a OR cat:b) AND (<arxiv_query>)`, up to arxiv_max_results entries; the hits are listed once
  per run and cached in the run's log dir, so every task of a run sees the same list.

A source is done when a fetched paper already has its DOI, arXiv id (any version), source URL or (for local
files) bytes; re-runs skip it. Within one run the index is per process: two tasks running at once may both
fetch the same DOI (identical bytes still land on one paper id). A source that turns out to resolve to an already-fetched paper is not written
twice: the existing paper gains the DOI / arXiv id it lacked, and the item counts as ok.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from pipeline.errors import BadInputError, FetchError, PaperError, TooLargeError
from pipeline.fetch.apis import ARXIV_LICENCE, arxiv_search, arxiv_search_query, openalex_lookup, unpaywall_lookup
from pipeline.fetch.http import ACCEPT_PDF, HttpClient
from pipeline.fetch.sniff import is_pdf, looks_like_html, pdf_looks_complete, pdf_problem, xml_kind
from pipeline.fetch.sources import (
    Source,
    arxiv_sources,
    doi_sources,
    local_sources,
    sidecar_metadata,
    url_sources,
)
from pipeline.fetch.store import PaperIndex, merge_ids, store_paper
from pipeline.runner import Stage
from pipeline.workdir import WorkDir, atomic_write_json


class FetchStage(Stage):
    name = "fetch"

    def __init__(self, cfg, run_id: str, retry_failed: bool = False):
        super().__init__(cfg, run_id, retry_failed=retry_failed)
        self._sources: dict[str, Source] | None = None
        self._index: PaperIndex | None = None
        self._client: HttpClient | None = None
        self._sidecars: dict[Path, dict] = {}
        self._last_url: dict[str, str] = {}  # item -> URL last requested for it (for failure rows)

    # ---------------------------------------------------------------- Stage interface

    def work_items(self, wd: WorkDir) -> list[str]:
        fc = self.cfg.fetch
        sources = local_sources(fc.local) + doi_sources(fc.dois, fc.doi_file) + url_sources(fc.urls)
        sources += self._arxiv_sources(wd)
        self._sources = {}
        for s in sources:
            self._sources.setdefault(s.item_id, s)
        self._index = None  # re-read from disk on first use
        return sorted(self._sources)

    def is_done(self, wd: WorkDir, item: str) -> bool:
        src = self._source(wd, item)
        if src is None or src.error:
            return False
        index = self._index_of(wd)
        if src.kind == "local":
            return self._local_done(index, Path(src.where))
        if src.kind == "url":
            return index.find(url=src.where) is not None
        return index.find(doi=src.doi, arxiv_id=src.arxiv_id) is not None

    def source_of(self, wd: WorkDir, item: str) -> str | None:
        src = (self._sources or {}).get(item)
        return self._last_url.get(item) or (src.where if src else None)

    def process(self, wd: WorkDir, item: str) -> None:
        src = self._source(wd, item)
        if src is None:
            raise FetchError(f"fetch item {item}: no such source in the current configuration")
        if src.error:
            raise (BadInputError if src.kind == "local" else FetchError)(src.error)
        handler = {
            "local": self._fetch_local,
            "doi": self._fetch_doi,
            "url": self._fetch_url,
            "arxiv": self._fetch_arxiv,
        }
        handler[src.kind](wd, item, src)

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        try:
            yield from super().run(data, rank, world_size)
        finally:
            if self._client is not None:
                self._client.close()
                self._client = None

    # ---------------------------------------------------------------- per kind

    def _fetch_local(self, wd: WorkDir, item: str, src: Source) -> None:
        path = Path(src.where)
        max_bytes = self.cfg.fetch.max_bytes
        try:
            size = path.stat().st_size
        except OSError as e:
            raise BadInputError(f"{path}: cannot read ({e.strerror})") from None
        if size == 0:
            raise BadInputError(f"{path}: empty file")
        if size > max_bytes:
            raise TooLargeError(f"{path}: {size} bytes is over fetch.max_bytes ({max_bytes} bytes)")
        data = path.read_bytes()
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            problem = pdf_problem(data)
            if problem:
                raise BadInputError(f"{path}: {problem}")
            media_type = "pdf"
        elif suffix in (".xml", ".nxml"):
            try:
                media_type = xml_kind(data)
            except ValueError as e:
                raise BadInputError(f"{path}: {e}") from None
        else:
            raise BadInputError(
                f"{path}: unsupported file type {suffix or '(no suffix)'!r} (expected .pdf, .xml, .nxml)"
            )
        meta = self._sidecar(path)
        store_paper(wd, self._index_of(wd), data, media_type, source=str(path), source_kind="local", **meta)

    def _fetch_url(self, wd: WorkDir, item: str, src: Source) -> None:
        data = self._download_pdf(item, src.where)
        store_paper(wd, self._index_of(wd), data, "pdf", source=src.where, source_kind="url")

    def _fetch_arxiv(self, wd: WorkDir, item: str, src: Source) -> None:
        data = self._download_pdf(item, src.where)
        store_paper(
            wd,
            self._index_of(wd),
            data,
            "pdf",
            source=src.where,
            source_kind="arxiv",
            doi=src.doi,
            arxiv_id=src.arxiv_id,
            title=src.title,
            licence=ARXIV_LICENCE,
        )

    def _fetch_doi(self, wd: WorkDir, item: str, src: Source) -> None:
        """OpenAlex, then Unpaywall; the first candidate URL that yields a PDF wins."""
        fc, index, doi = self.cfg.fetch, self._index_of(wd), src.doi
        notes: list[str] = []
        failed: list[PaperError] = []
        tried: set[str] = set()
        title = arxiv_id = None
        for service, lookup in (("OpenAlex", openalex_lookup), ("Unpaywall", unpaywall_lookup)):
            if service == "Unpaywall" and not fc.mailto:
                notes.append("Unpaywall: skipped (it needs fetch.mailto)")
                continue
            try:
                found = lookup(self._http(), fc, doi)
            except PaperError as e:
                notes.append(f"{service}: {e}")
                continue
            if found is None:
                notes.append(f"{service}: DOI not found")
                continue
            title, arxiv_id = title or found.title, arxiv_id or found.arxiv_id
            known = index.find(arxiv_id=arxiv_id)
            if known:  # the arXiv version is already fetched
                merge_ids(wd, index, known, doi=doi)
                return
            fresh = [c for c in found.candidates if c.url not in tried]
            if not fresh:
                notes.append(f"{service}: no open-access PDF")
            for cand in fresh:
                tried.add(cand.url)
                try:
                    data = self._download_pdf(item, cand.url)
                except PaperError as e:
                    failed.append(e)
                    continue
                store_paper(
                    wd,
                    index,
                    data,
                    "pdf",
                    source=cand.url,
                    source_kind="doi",
                    doi=doi,
                    title=title,
                    arxiv_id=cand.arxiv_id or arxiv_id,
                    licence=cand.licence or (ARXIV_LICENCE if cand.arxiv_id else None),
                )
                return
        detail = f" [{'; '.join(notes)}]" if notes else ""
        if failed:
            cls = TooLargeError if all(isinstance(e, TooLargeError) for e in failed) else FetchError
            raise cls(f"doi:{doi}: no PDF could be fetched ({'; '.join(map(str, failed))}){detail}")
        raise FetchError(f"doi:{doi}: no open-access PDF (OpenAlex, Unpaywall){detail}")

    # ---------------------------------------------------------------- helpers

    def _download_pdf(self, item: str, url: str) -> bytes:
        self._last_url[item] = url
        resume_dir = WorkDir(self.cfg.work_dir).papers_dir / ".partial"  # partial bodies, resumed by later tries
        got = self._http().get(url, accept=ACCEPT_PDF, resume_dir=resume_dir)
        where = url if got.url == url else f"{url} (redirected to {got.url})"
        if is_pdf(got.body):
            if not pdf_looks_complete(got.body):
                raise FetchError(
                    f"{where}: incomplete PDF ({len(got.body)} bytes, no %%EOF at the end): cut off in transit "
                    "or the server announced a wrong Content-Length; not stored"
                )
            return got.body
        if looks_like_html(got.body) or "html" in got.content_type.lower():
            raise FetchError(f"{where}: got HTML instead of a PDF (paywall or landing page?)")
        raise FetchError(f"{where}: {pdf_problem(got.body)}")

    def _arxiv_sources(self, wd: WorkDir) -> list[Source]:
        fc = self.cfg.fetch
        query = arxiv_search_query(fc.arxiv_query, fc.arxiv_categories)
        if not query:
            return []
        cache = wd.logs_dir(self.name, self.run_id) / "arxiv_sources.json"
        if cache.exists():
            try:
                return [Source(**s) for s in json.loads(cache.read_text("utf-8"))]
            except (OSError, ValueError, TypeError):
                pass
        try:
            sources = arxiv_sources(arxiv_search(self._http(), fc))
        except PaperError as e:
            return [Source(key=f"arxiv-query:{query}", kind="arxiv", where=fc.arxiv_api_url, error=str(e))]
        atomic_write_json(cache, [asdict(s) for s in sources])
        return sources

    def _local_done(self, index: PaperIndex, path: Path) -> bool:
        """Same bytes already fetched, or its metadata.yaml names a DOI / arXiv id already fetched."""
        if index.has_local_file(path):
            return True
        try:
            meta = self._sidecar(path)
        except PaperError:
            return False  # process() reports the broken metadata file
        return index.find(doi=meta.get("doi"), arxiv_id=meta.get("arxiv_id")) is not None

    def _sidecar(self, path: Path) -> dict:
        """This local file's entry in the metadata.yaml beside it ({} when none)."""
        if path.parent not in self._sidecars:
            self._sidecars[path.parent] = sidecar_metadata(path.parent)
        return self._sidecars[path.parent].get(path.name, {})

    def _source(self, wd: WorkDir, item: str) -> Source | None:
        if self._sources is None:
            self.work_items(wd)
        return self._sources.get(item)

    def _index_of(self, wd: WorkDir) -> PaperIndex:
        if self._index is None:
            self._index = PaperIndex.load(wd)
        return self._index

    def _http(self) -> HttpClient:
        if self._client is None:
            self._client = HttpClient(self.cfg.fetch)
        return self._client

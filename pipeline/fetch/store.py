"""Fetched papers on disk: the de-duplication index over work/papers/*.json and the content-addressed writer."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

from loguru import logger

from pipeline.fetch.apis import arxiv_base_id
from pipeline.workdir import WorkDir, atomic_write_bytes, atomic_write_model
from schemas import Paper
from schemas.document import paper_id_for, sha256_bytes


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class PaperIndex:
    """Papers already fetched, by sha256, DOI (case-insensitive), arXiv id (without version), source URL, and
    (local path, size) so that re-listing an unchanged local file needs no hashing."""

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}
        self._sizes: set[int] = set()

    @classmethod
    def load(cls, wd: WorkDir) -> PaperIndex:
        index = cls()
        if wd.papers_dir.exists():
            for p in sorted(wd.papers_dir.glob("*.json")):
                try:
                    index.add(Paper.model_validate_json(p.read_text("utf-8")))
                except (OSError, ValueError) as e:
                    logger.warning(f"fetch: ignoring unreadable paper record {p}: {e}")
        return index

    @staticmethod
    def _key(kind: str, value: str | None) -> str | None:
        if not value:
            return None
        if kind == "doi":
            value = value.lower()
        elif kind == "arxiv":
            value = arxiv_base_id(value).lower()
        return f"{kind}:{value}"

    def add(self, paper: Paper) -> None:
        keys = [
            self._key("sha", paper.sha256),
            self._key("doi", paper.doi),
            self._key("arxiv", paper.arxiv_id),
            self._key("local", f"{paper.source}:{paper.bytes}") if paper.source_kind == "local" else None,
            self._key("url", paper.source) if paper.source_kind != "local" else None,
        ]
        for k in keys:
            if k:
                self._keys.setdefault(k, paper.paper_id)
        self._sizes.add(paper.bytes)

    def find(
        self, *, sha256: str | None = None, doi: str | None = None, arxiv_id: str | None = None, url: str | None = None
    ) -> str | None:
        """paper_id of the first known paper matching any of the given identifiers."""
        for k in (self._key("sha", sha256), self._key("doi", doi), self._key("arxiv", arxiv_id), self._key("url", url)):
            if k and k in self._keys:
                return self._keys[k]
        return None

    def has_local_file(self, path: Path) -> bool:
        """Whether this file's bytes are already fetched (hashes it only when a paper of the same size exists)."""
        try:
            size = path.stat().st_size
        except OSError:
            return False
        if size not in self._sizes:
            return False
        if self._key("local", f"{path}:{size}") in self._keys:
            return True
        try:
            return self.find(sha256=file_sha256(path)) is not None
        except OSError:
            return False


def store_paper(wd: WorkDir, index: PaperIndex, data: bytes, media_type: str, **meta) -> Paper:
    """Write the bytes (papers/<id>.pdf|.xml) then the Paper record (papers/<id>.json, last), both atomically.

    Bytes already fetched under another source are not written again: the existing paper gains the DOI / arXiv
    id it lacked, and is returned.
    """
    sha = sha256_bytes(data)
    existing = index.find(sha256=sha)
    if existing:
        return merge_ids(wd, index, existing, doi=meta.get("doi"), arxiv_id=meta.get("arxiv_id"))
    paper_id = paper_id_for(sha)
    rel = f"papers/{paper_id}.{'pdf' if media_type == 'pdf' else 'xml'}"
    atomic_write_bytes(wd.root / rel, data)
    paper = Paper(
        paper_id=paper_id,
        sha256=sha,
        media_type=media_type,
        path=rel,
        bytes=len(data),
        fetched_at=datetime.now(timezone.utc),
        **meta,
    )
    atomic_write_model(wd.paper_json(paper_id), paper)
    index.add(paper)
    return paper


def merge_ids(
    wd: WorkDir, index: PaperIndex, paper_id: str, doi: str | None = None, arxiv_id: str | None = None
) -> Paper:
    """Fill a fetched paper's missing DOI / arXiv id (so later runs skip the other source too)."""
    paper = wd.load_paper(paper_id)
    update = {}
    if doi and not paper.doi:
        update["doi"] = doi
    if arxiv_id and not paper.arxiv_id:
        update["arxiv_id"] = arxiv_id
    if update:
        paper = paper.model_copy(update=update)
        atomic_write_model(wd.paper_json(paper_id), paper)
        logger.info(f"fetch: {paper_id} already fetched; recorded {update}")
    index.add(paper)
    return paper

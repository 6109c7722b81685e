"""The configured fetch sources, expanded into one `Source` per thing to fetch (the stage's work items).

A source that cannot even be listed (missing path, not a DOI, arXiv query failed) still becomes a Source, with
`error` set: processing it fails with that message, so it shows up as a failure row and the batch goes on.
"""

from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.errors import BadInputError, ConfigError
from pipeline.fetch.apis import ArxivEntry, arxiv_base_id, normalize_doi

LOCAL_SUFFIXES = (".pdf", ".xml", ".nxml")
SIDECAR = "metadata.yaml"
SIDECAR_FIELDS = ("doi", "arxiv_id", "title", "licence", "licence_url")


@dataclass
class Source:
    key: str  # canonical: 'local:/abs/path', 'doi:10.x/y', 'arxiv:1903.06841', 'url:https://...'
    kind: str  # 'local' | 'doi' | 'arxiv' | 'url'
    where: str  # the file or URL a person would look at
    doi: str | None = None
    arxiv_id: str | None = None  # as the source gives it (with version when known)
    title: str | None = None
    error: str | None = None  # full failure message when the source could not be listed

    @property
    def item_id(self) -> str:
        return hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- local files


def _absolute(spec: str) -> Path:
    p = Path(spec).expanduser()
    return p if p.is_absolute() else Path.cwd() / p


def _walk(root: Path) -> list[Path]:
    """PDF/XML files under `root`, recursively, sorted; hidden files and directories are skipped."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and name.lower().endswith(LOCAL_SUFFIXES):
                out.append(Path(dirpath) / name)
    return out


def local_sources(specs: list[str]) -> list[Source]:
    """Directories (recursive), files and globs; relative paths resolve against the current directory.

    A file named explicitly is listed whatever its suffix (processing says if it is unsupported); directories
    and globs contribute only .pdf/.xml/.nxml files.
    """
    out: list[Source] = []
    for spec in specs:
        path = _absolute(spec)
        if any(c in spec for c in "*?["):
            files = []
            for m in sorted(Path(p) for p in glob.glob(str(path), recursive=True)):
                if m.is_dir():
                    files += _walk(m)
                elif m.name.lower().endswith(LOCAL_SUFFIXES):
                    files.append(m)
            problem = None if files else "glob matched no PDF or XML files"
        elif path.is_dir():
            files = _walk(path)
            problem = None if files else "no PDF or XML files in this directory"
        elif path.exists():
            files, problem = [path], None
        else:
            files, problem = [], "no such file or directory"
        if problem:
            out.append(Source(key=f"local:{path}", kind="local", where=str(path), error=f"{path}: {problem}"))
        for f in files:
            real = str(f.resolve())
            out.append(Source(key=f"local:{real}", kind="local", where=real))
    return out


def sidecar_metadata(directory: Path) -> dict[str, dict]:
    """Per-file metadata from `metadata.yaml` beside local files: {file name: {doi, title, licence, ...}}."""
    path = directory / SIDECAR
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise BadInputError(f"{path}: cannot read the metadata file: {e}") from None
    if not isinstance(data, dict):
        raise BadInputError(f"{path}: expected a mapping of file name -> metadata")
    out = {}
    for name, meta in data.items():
        if not isinstance(meta, dict):
            continue
        fields = {k: str(meta[k]).strip() for k in SIDECAR_FIELDS if meta.get(k)}
        if "doi" in fields:
            doi = normalize_doi(fields["doi"])
            if doi is None:
                raise BadInputError(f"{path}: {name}: {fields['doi']!r} is not a DOI")
            fields["doi"] = doi
        if "licence" in fields:
            fields["licence"] = fields["licence"].lower()
        out[str(name)] = fields
    return out


# ---------------------------------------------------------------- DOIs, URLs, arXiv entries


def doi_sources(dois: list[str], doi_file: str | None) -> list[Source]:
    """DOIs from the config list and the DOI file (one per line; blank lines and '#' comments skipped)."""
    raw = list(dois)
    if doi_file:
        path = _absolute(doi_file)
        try:
            raw += path.read_text("utf-8").splitlines()
        except OSError as e:
            raise ConfigError(f"fetch.doi_file {path}: cannot read ({e.strerror})") from None
    out = []
    for line in raw:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        doi = normalize_doi(line)
        if doi:
            out.append(Source(key=f"doi:{doi}", kind="doi", where=f"https://doi.org/{doi}", doi=doi))
        else:
            out.append(Source(key=f"doi:{line}", kind="doi", where=line, error=f"{line!r}: not a DOI"))
    return out


def url_sources(urls: list[str]) -> list[Source]:
    return [Source(key=f"url:{u.strip()}", kind="url", where=u.strip()) for u in urls if u.strip()]


def arxiv_sources(entries: list[ArxivEntry]) -> list[Source]:
    return [
        Source(
            key=f"arxiv:{arxiv_base_id(e.arxiv_id)}",
            kind="arxiv",
            where=e.pdf_url,
            doi=e.doi,
            arxiv_id=e.arxiv_id,
            title=e.title,
        )
        for e in entries
    ]

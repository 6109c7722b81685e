"""Bibliographic metadata of a PDF from its first page and its info dictionary: DOI, arXiv id, journal, licence."""

from __future__ import annotations

import re

_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>\]]+)", re.I)
_DOI_MARKED = re.compile(r"(?:doi\s*[:.]?\s*|doi\.org/)(10\.\d{4,9}/[^\s\"<>\]]+)", re.I)
_ARXIV = re.compile(r"arxiv\s*:\s*(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?", re.I)
_JOURNAL = re.compile(r"^\s*([^,\d]{4,}?),?\s+(\d+)\s*\((\d{4})\)")
_CC_URL = re.compile(r"creativecommons\.org/licen[cs]es/([a-z-]+)/(\d\.\d)", re.I)
_CC_WORDS = re.compile(r"creative\s*commons\s*(attribution[a-z\s-]*?)\s*(\d\.\d)?\s*(?:international\s*)?licen[cs]e", re.I)
_CC_SHORT = re.compile(r"\bCC[\s-]BY((?:[\s-](?:NC|ND|SA))*)(?:[\s-](\d\.\d))?\b")


def clean_doi(doi: str) -> str:
    """Strip trailing punctuation a DOI picks up in running text."""
    doi = doi.rstrip(".,;:)'’”")
    if doi.count("(") < doi.count(")"):
        doi = doi.rstrip(")")
    return doi


def find_doi(texts: list[str], uris: list[str], info: dict) -> str | None:
    """DOI: a marked one ("doi:", doi.org) on page 1 first, then a link, then the info dict, then any on page 1."""
    for t in texts:
        m = _DOI_MARKED.search(t)
        if m:
            return clean_doi(m.group(1))
    for u in uris:
        m = _DOI_MARKED.search(u)
        if m:
            return clean_doi(m.group(1))
    for key in ("subject", "keywords", "title"):
        m = _DOI.search(info.get(key) or "")
        if m:
            return clean_doi(m.group(1))
    for t in texts:
        m = _DOI.search(t)
        if m:
            return clean_doi(m.group(1))
    return None


def find_arxiv(texts: list[str]) -> str | None:
    """arXiv identifier without version ("1903.06841") from a stamp like "arXiv:1903.06841v1 [cond-mat]"."""
    for t in texts:
        m = _ARXIV.search(t)
        if m:
            return m.group(1)
    return None


def find_licence(texts: list[str], uris: list[str]) -> str | None:
    """Creative Commons licence stated on page 1, as "cc-by-4.0" / "cc-by-nc-3.0" / "cc-by"."""
    for t in uris + texts:
        m = _CC_URL.search(t)
        if m:
            return f"cc-{m.group(1).lower()}-{m.group(2)}"
    for t in texts:
        m = _CC_WORDS.search(t)
        if m:
            words = m.group(1).lower().replace("-", "").replace(" ", "")
            mods = "".join(s for k, s in (("noncommercial", "-nc"), ("noderiv", "-nd"), ("sharealike", "-sa")) if k in words)
            return f"cc-by{mods}" + (f"-{m.group(2)}" if m.group(2) else "")
        m = _CC_SHORT.search(t)
        if m:
            mods = "".join("-" + x.lower() for x in re.findall(r"NC|ND|SA", m.group(1) or ""))
            return f"cc-by{mods}" + (f"-{m.group(2)}" if m.group(2) else "")
    return None


def journal_and_year(info: dict) -> tuple[str | None, int | None]:
    """Journal and year from an info-dict subject like "Solid State Communications, 251 (2017) 88-93. doi:..."."""
    m = _JOURNAL.match(info.get("subject") or "")
    if not m:
        return None, None
    return m.group(1).strip(), int(m.group(3))


def info_title(info: dict) -> str | None:
    """The info-dict title when it looks like a real title (not a file name or a tool's placeholder)."""
    t = (info.get("title") or "").strip()
    if len(t.split()) < 3 or re.search(r"\.(dvi|docx?|tex|pdf|indd)$|^microsoft word|^untitled", t, re.I):
        return None
    return t


def build_metadata(title: str | None, page1_texts: list[str], get_uris, info: dict) -> dict:
    """DocMetadata fields; `get_uris()` gives page-1 link URIs, fetched only when the text does not suffice."""
    journal, year = journal_and_year(info)
    doi = find_doi(page1_texts, [], info) if any(_DOI_MARKED.search(t) for t in page1_texts) else None
    licence = find_licence(page1_texts, [])
    if doi is None or licence is None:
        uris = get_uris()
        doi = doi or find_doi(page1_texts, uris, info)
        licence = licence or find_licence(page1_texts, uris)
    return {"title": title or info_title(info), "doi": doi, "arxiv_id": find_arxiv(page1_texts), "journal": journal,
            "year": year, "licence": licence}

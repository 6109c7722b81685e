"""Fetch stage: sources (local files, DOIs, arXiv queries) -> work/papers/<id>.<ext> + <id>.json.

    stage.py    FetchStage: expand sources into work items, fetch one, dedup, record failures
    sources.py  expand the configured sources; metadata.yaml sidecars for local files
    apis.py     OpenAlex, Unpaywall, arXiv API clients
    http.py     polite HTTP: per-host rate limit, retries/backoff + Retry-After, size caps, host allowlist, SSRF guard
    sniff.py    what the bytes are: PDF magic, HTML, JATS vs TEI
    store.py    dedup index over fetched papers, atomic writes (file first, Paper JSON last)
"""

from pipeline.fetch.stage import FetchStage

__all__ = ["FetchStage"]

"""Response cache around any backend: keyed by (model id, prompt hash, input hash, generation settings).

A re-run with the same model, prompt version and input makes no backend call. Model answers are cached, including
unusable ones (invalid/truncated JSON: the same request would give the same answer); transport failures
(finish_reason "error": timeouts, HTTP 500) are not, so a re-run retries them. The store is pluggable: the pipeline
passes a directory-backed store (pipeline/llm/cache.py, atomic writes under work/llm_cache/); tests may pass a dict.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Protocol

from extractors.llm.backends import ChatRequest, Completion


class ResponseStore(Protocol):
    def get(self, key: str) -> dict | None: ...

    def put(self, key: str, value: dict) -> None: ...


def cache_key(model_id: str, r: ChatRequest) -> str:
    """sha256 of model id, the request key ("<prompt hash>:<input hash>", or the messages when no key), the schema
    and the generation settings."""
    ident = r.key or hashlib.sha256(json.dumps(r.messages, ensure_ascii=False).encode()).hexdigest()
    schema = hashlib.sha256(json.dumps(r.schema, sort_keys=True).encode()).hexdigest()[:16] if r.schema else ""
    payload = json.dumps([model_id, ident, schema, r.max_tokens, r.temperature], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


class CachedBackend:
    def __init__(self, backend, store: ResponseStore):
        self.backend = backend
        self.store = store
        self.model_id = backend.model_id
        self.hits = 0
        self.misses = 0

    def generate(self, requests: list[ChatRequest]) -> list[Completion]:
        keys = [cache_key(self.model_id, r) for r in requests]
        out: list[Completion | None] = []
        todo: list[int] = []
        for i, k in enumerate(keys):
            hit = self.store.get(k)
            if hit is not None:
                self.hits += 1
                out.append(Completion(**{**hit, "cached": True}))
            else:
                out.append(None)
                todo.append(i)
        if todo:
            self.misses += len(todo)
            fresh = self.backend.generate([requests[i] for i in todo])
            for i, c in zip(todo, fresh, strict=True):
                out[i] = c
                if c.finish_reason != "error":
                    self.store.put(keys[i], {**asdict(c), "cached": False})
        return [c for c in out if c is not None]


class DictStore(dict):
    def put(self, key: str, value: dict) -> None:
        self[key] = value

"""OpenAI-compatible HTTP backend (`vllm serve`, llama.cpp server, hosted APIs): POST {base_url}/chat/completions.

JSON-schema response format (`response_format={"type": "json_schema", ...}`), a concurrency limit (threads), retries
with exponential backoff on timeouts, connection errors, 429 and 5xx, and a per-request timeout. Every failure ends
as a `Completion` with `error` set; nothing raises for one bad request.
"""

from __future__ import annotations

import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from extractors.llm.backends import BackendError, ChatRequest, Completion, check_json

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class OpenAIBackend:
    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        api_key_env: str | None = None,
        concurrency: int = 4,
        retries: int = 3,
        backoff_s: float = 0.5,
        max_backoff_s: float = 20.0,
        timeout_s: float = 120.0,
        extra_body: dict[str, Any] | None = None,
    ):
        if not base_url.startswith(("http://", "https://")):
            raise BackendError(f"openai backend: server URL must start with http:// or https://, got {base_url!r}")
        if api_key is None and api_key_env:
            api_key = os.environ.get(api_key_env)
            if api_key is None:
                raise BackendError(f"openai backend: environment variable {api_key_env} (llm.api_key_env) is not set")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.model_id = model
        self.api_key = api_key
        self.concurrency = max(1, concurrency)
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.timeout_s = timeout_s
        self.extra_body = extra_body or {}
        self.stats = {"requests": 0, "retries": 0, "errors": 0}

    def body(self, r: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": r.messages,
            "max_tokens": r.max_tokens,
            "temperature": r.temperature,
        }
        if r.schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": r.schema_name, "schema": r.schema, "strict": True},
            }
        body.update(self.extra_body)
        return body

    def generate(self, requests: list[ChatRequest]) -> list[Completion]:
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        with httpx.Client(headers=headers, timeout=self.timeout_s, limits=limits, trust_env=False) as client:
            with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
                return list(pool.map(lambda r: self._one(client, r), requests))

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        delay = min(self.max_backoff_s, self.backoff_s * 2**attempt) * (0.5 + random.random() / 2)
        if retry_after:
            try:
                delay = min(self.max_backoff_s, float(retry_after))
            except ValueError:
                pass
        time.sleep(delay)

    def _one(self, client, r: ChatRequest) -> Completion:
        import httpx

        url = f"{self.base_url}/chat/completions"
        last = "no attempt"
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats["retries"] += 1
            self.stats["requests"] += 1
            retry_after = None
            try:
                resp = client.post(url, json=self.body(r))
            except httpx.TimeoutException as e:
                last = f"timeout after {self.timeout_s:g}s ({type(e).__name__})"
            except httpx.TransportError as e:
                last = f"connection error: {type(e).__name__}: {e}"
            else:
                if resp.status_code == 200:
                    return self._parse(resp, r)
                last = f"HTTP {resp.status_code}: {resp.text[:200]}"
                if resp.status_code not in RETRY_STATUS:
                    break
                retry_after = resp.headers.get("retry-after")
            if attempt < self.retries:
                self._sleep(attempt, retry_after)
        self.stats["errors"] += 1
        return Completion(text="", finish_reason="error", error=f"{url}: {last} (after {attempt + 1} attempts)")

    def _parse(self, resp, r: ChatRequest) -> Completion:
        try:
            data = resp.json()
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
            finish = choice.get("finish_reason") or "stop"
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as e:
            self.stats["errors"] += 1
            return Completion(text="", finish_reason="error", error=f"malformed server response: {e!r}: {resp.text[:200]}")
        usage = data.get("usage") or {}
        c = Completion(
            text=text,
            finish_reason="length" if finish == "length" else "stop",
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        )
        return check_json(c) if r.schema is not None else c

"""LLM backends behind one small interface:

    backend.generate(requests: list[ChatRequest]) -> list[Completion]   # same order, one per request

A backend never raises for one bad request: a server error, timeout, invalid/empty/truncated output comes back as a
`Completion` with `error` set (and `finish_reason`), so the caller counts it and the batch goes on. Configuration
errors (a missing model file, vllm not installed) raise `BackendError` when the backend is built.

Backends: `transformers` (CPU/GPU, constrained decoding with llguidance), `vllm` (offline batch, structured
outputs), `openai` (any OpenAI-compatible /v1/chat/completions server, json_schema response format).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


class BackendError(RuntimeError):
    """A backend cannot be built or used at all (config/installation problem): abort, not per paper."""


@dataclass
class ChatRequest:
    messages: list[dict[str, str]]
    schema: dict[str, Any] | None = None  # JSON Schema the response must match (constrained decoding)
    schema_name: str = "response"
    max_tokens: int = 512
    temperature: float = 0.0
    key: str = ""  # caller's id for the request (cache key, logs)


@dataclass
class Completion:
    text: str
    finish_reason: str = "stop"  # stop | length | error
    error: str | None = None  # None = usable text; else why not (counted by the caller)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


@runtime_checkable
class Backend(Protocol):
    model_id: str

    def generate(self, requests: list[ChatRequest]) -> list[Completion]: ...


def check_json(c: Completion) -> Completion:
    """Turn decoded text into a classified completion: empty, truncated (finish=length) or invalid JSON -> error."""
    import json

    if c.error is not None:
        return c
    if not c.text.strip():
        c.error = "empty output"
    elif c.finish_reason == "length":
        c.error = f"truncated output ({c.completion_tokens} tokens, hit max_tokens)"
    else:
        try:
            json.loads(c.text)
        except json.JSONDecodeError as e:
            c.error = f"invalid JSON: {e.msg} at char {e.pos}"
    return c

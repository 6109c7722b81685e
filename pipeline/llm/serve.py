"""A minimal OpenAI-compatible chat-completions server backed by any matlit backend (`matlit llm serve`).

POST /v1/chat/completions (messages, max_tokens, temperature, response_format json_schema) and GET /v1/models.
It lets CPU machines serve the transformers backend to several pipeline workers, and it is the real server the HTTP
backend's tests talk to. Requests are served one at a time (one model, one lock).
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str


class Body(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str | None = None
    messages: list[Message]
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = 0.0
    response_format: dict[str, Any] | None = None


def make_app(backend):
    from fastapi import FastAPI, HTTPException

    from extractors.llm.backends import ChatRequest

    app = FastAPI(title="matlit LLM server")
    lock = threading.Lock()
    app.state.calls = 0

    @app.get("/v1/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": backend.model_id, "object": "model", "owned_by": "matlit"}]}

    @app.post("/v1/chat/completions")
    def chat(body: Body) -> dict:
        schema, name = None, "response"
        rf = body.response_format or {}
        if rf.get("type") == "json_schema":
            js = rf.get("json_schema") or {}
            schema, name = js.get("schema"), js.get("name", "response")
            if not isinstance(schema, dict):
                raise HTTPException(400, "response_format.json_schema.schema must be an object")
        elif rf and rf.get("type") not in ("text", None):
            raise HTTPException(400, f"unsupported response_format type {rf.get('type')!r}")
        req = ChatRequest(
            messages=[{"role": m.role, "content": m.content} for m in body.messages],
            schema=schema,
            schema_name=name,
            max_tokens=body.max_completion_tokens or body.max_tokens or 512,
            temperature=body.temperature or 0.0,
        )
        with lock:
            app.state.calls += 1
            c = backend.generate([req])[0]
        if c.finish_reason == "error":
            raise HTTPException(500, c.error or "generation failed")
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": backend.model_id,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": c.text}, "finish_reason": c.finish_reason}
            ],
            "usage": {
                "prompt_tokens": c.prompt_tokens,
                "completion_tokens": c.completion_tokens,
                "total_tokens": c.prompt_tokens + c.completion_tokens,
            },
        }

    return app


class BackgroundServer:
    """uvicorn in a thread on 127.0.0.1 (port 0 = any free port): `with BackgroundServer(app) as url: ...`."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        self.config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("LLM server did not start")
            time.sleep(0.02)
        sock = self.server.servers[0].sockets[0]
        host, port = sock.getsockname()[:2]
        return f"http://{host}:{port}/v1"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

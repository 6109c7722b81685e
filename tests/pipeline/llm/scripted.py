"""A real OpenAI-compatible HTTP server on 127.0.0.1 whose answers a test scripts: JSON content, HTTP errors,
slow responses, malformed bodies, or {"fn": body -> content}. It records every request and the peak number of requests in flight."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ScriptedServer:
    """`rules`: list of (substring of the last user message, action) checked in order; `default` otherwise.
    Actions: {"content": str, "finish": "stop"|"length"}, {"status": 500, "times": n} (then falls through to the
    next matching rule), {"sleep": s, ...}, {"body": "raw bytes text"}."""

    def __init__(self, rules=None, default=None):
        self.rules = rules or []
        self.default = default or {"content": '{"records":[]}'}
        self.requests: list[dict] = []
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()
        self._used: dict[int, int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(n))
                with outer._lock:
                    outer.requests.append(body)
                    outer.in_flight += 1
                    outer.peak = max(outer.peak, outer.in_flight)
                    action = outer._action(body)
                try:
                    if action.get("sleep"):
                        time.sleep(action["sleep"])
                    if "fn" in action:  # a test "model" that reads the request
                        action = {**action, "content": action["fn"](body)}
                    if "status" in action:
                        self._send(action["status"], b'{"error": "scripted failure"}')
                    elif "body" in action:
                        self._send(200, action["body"].encode())
                    else:
                        resp = {
                            "choices": [
                                {"message": {"role": "assistant", "content": action["content"]},
                                 "finish_reason": action.get("finish", "stop")}
                            ],
                            "usage": {"prompt_tokens": 10, "completion_tokens": 5},
                        }
                        self._send(200, json.dumps(resp).encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with outer._lock:
                        outer.in_flight -= 1

            def _send(self, status, data):
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _action(self, body) -> dict:
        last = body["messages"][-1]["content"]
        for i, (needle, action) in enumerate(self.rules):
            if needle in last:
                times = action.get("times")
                if times is not None:
                    if self._used.get(i, 0) >= times:
                        continue
                    self._used[i] = self._used.get(i, 0) + 1
                return action
        return self.default

    def __enter__(self) -> str:
        self.thread.start()
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

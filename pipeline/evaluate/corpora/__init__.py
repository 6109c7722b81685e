"""Gold corpus loaders: one module per corpus under shared/data/<name>/, all producing `gold.Corpus`.

The data is read in place (never copied into the repo); see each folder's README.md for format and licence.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.evaluate.corpora import bandgap_dong_cole, grobid_quantities, measeval, mulms, polyie, sofc_exp, supermat
from pipeline.evaluate.gold import Corpus

LOADERS = {m.NAME: m.load for m in (grobid_quantities, measeval, supermat, sofc_exp, bandgap_dong_cole, polyie, mulms)}
CORPORA = list(LOADERS)


def data_dir(shared_dir: Path | str | None = None) -> Path:
    """shared/data: from the argument (shared/ or shared/data), else $MATLIT_SHARED, else ../shared beside the repo."""
    if shared_dir is None:
        repo = Path(__file__).resolve().parents[3]
        shared_dir = Path(os.environ.get("MATLIT_SHARED", repo.parent / "shared"))
    p = Path(shared_dir)
    return p / "data" if (p / "data").is_dir() else p


def load_corpus(name: str, shared_dir: Path | str | None = None, limit: int | None = None) -> Corpus:
    if name not in LOADERS:
        raise ValueError(f"unknown corpus {name!r} (known: {', '.join(CORPORA)})")
    root = data_dir(shared_dir) / name
    if not root.is_dir():
        raise FileNotFoundError(f"gold corpus not found: {root}")
    return LOADERS[name](root).limited(limit)

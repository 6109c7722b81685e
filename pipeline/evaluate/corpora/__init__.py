"""Gold corpus loaders: one module per corpus under shared/data/<name>/, all producing `gold.Corpus`.

The data is read in place (never copied into the repo); see each folder's README.md for format and licence.
`table_gold` (and its held-out twin `table_heldout`) are the exception: PDF-table corpora whose gold lives in the repo
(tests/fixtures/table_gold, tests/fixtures/table_heldout) and whose loaders give a `table_gold.TableCorpus` (scored by
pipeline/evaluate/tables.py, not score.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.evaluate.corpora import (
    bandgap_dong_cole,
    grobid_quantities,
    measeval,
    mulms,
    polyie,
    sofc_exp,
    supermat,
    table_gold,
    table_heldout,
)
from pipeline.evaluate.gold import Corpus

LOADERS = {m.NAME: m.load for m in (grobid_quantities, measeval, supermat, sofc_exp, bandgap_dong_cole, polyie, mulms)}
CORPORA = list(LOADERS)  # text corpora: the default set of `matlit eval`
# PDF-table corpora (in-repo gold; PDFs from data/papers, shared/data/open_pdfs or shared/data/pdf_samples/pdf)
TABLE_CORPORA = [table_gold.NAME, table_heldout.NAME]
ALL_CORPORA = CORPORA + TABLE_CORPORA


def data_dir(shared_dir: Path | str | None = None) -> Path:
    """shared/data: from the argument (shared/ or shared/data), else $MATLIT_SHARED, else ../shared beside the repo."""
    if shared_dir is None:
        repo = Path(__file__).resolve().parents[3]
        shared_dir = Path(os.environ.get("MATLIT_SHARED", repo.parent / "shared"))
    p = Path(shared_dir)
    return p / "data" if (p / "data").is_dir() else p


def load_corpus(name: str, shared_dir: Path | str | None = None, limit: int | None = None) -> Corpus:
    """A text corpus from shared/data/<name>; for a table corpus a `TableCorpus` from the repo (shared not needed)."""
    if name == table_gold.NAME:
        return table_gold.load(table_gold.DATA_DIR).limited(limit)
    if name == table_heldout.NAME:
        return table_heldout.load(table_heldout.DATA_DIR).limited(limit)
    if name == "curated" or name.startswith("curated:"):  # curators' decisions (pipeline/review/gold.py)
        from pipeline.review.gold import load as load_curated

        return load_curated(name).limited(limit)
    if name not in LOADERS:
        raise ValueError(f"unknown corpus {name!r} (known: {', '.join(ALL_CORPORA)})")
    root = data_dir(shared_dir) / name
    if not root.is_dir():
        raise FileNotFoundError(f"gold corpus not found: {root}")
    return LOADERS[name](root).limited(limit)

"""table_heldout: hand-made gold for PDF tables the table extractor was never tuned on (tests/fixtures/table_heldout/).

Same format and scoring as table_gold (see its loader and tests/fixtures/table_gold/README.md); kept apart so that
the development set (table_gold, whose tables shaped the rules) and this held-out check are reported separately.
The PDFs are internal-use arXiv preprints in shared/data/pdf_samples/pdf (never copied into the repo); without
../shared each table is skipped with a note (`table_gold.find_pdf`).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.evaluate.corpora import table_gold
from pipeline.evaluate.corpora.table_gold import TableCorpus

NAME = "table_heldout"
KIND = table_gold.KIND
DATA_DIR = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "table_heldout"


def load(root: Path | str = DATA_DIR) -> TableCorpus:
    return table_gold.load(root, NAME)

"""Evaluation harness: score any extractor against the gold corpora in shared/data.

    result = run_eval(extract_fn, corpora=None, shared_dir=Path("../shared"), out_dir=Path("eval"), limit=None)

`extract_fn` takes (doc_id, text) pairs and returns Records whose evidence.source_id is the doc id and whose spans
index that text (the `matlit extract --text` contract); saved output of that command replays through
`predictions_extractor(load_predictions(path))`. Modules: corpora/ (one loader per corpus into gold.py's
structure), metrics.py (matching rules), score.py (per-task scoring), report.py (report.md, plots, scores.json).
The PDF-table corpus `table_gold` (gold in tests/fixtures/table_gold) is scored by tables.py: run_eval parses its
PDFs and runs the table extractor (`table_extract_fn`) instead of `extract_fn`.
"""

from pipeline.evaluate.corpora import ALL_CORPORA, CORPORA, TABLE_CORPORA, load_corpus
from pipeline.evaluate.gold import Corpus, GoldDoc, GoldLink, Mention, Span, Task
from pipeline.evaluate.metrics import DEFAULT_FILTERS, PRF, PropertyFilter
from pipeline.evaluate.run import (
    DEFAULT_GOALS,
    EvalResult,
    Goal,
    load_predictions,
    predictions_extractor,
    run_eval,
    write_inputs,
)

__all__ = [
    "ALL_CORPORA",
    "CORPORA",
    "DEFAULT_FILTERS",
    "DEFAULT_GOALS",
    "PRF",
    "Corpus",
    "EvalResult",
    "Goal",
    "GoldDoc",
    "GoldLink",
    "Mention",
    "PropertyFilter",
    "Span",
    "TABLE_CORPORA",
    "Task",
    "load_corpus",
    "load_predictions",
    "predictions_extractor",
    "run_eval",
    "write_inputs",
]

"""python -m pipeline.evaluate: write the corpora's texts for `matlit extract --text`, or score its output.

python -m pipeline.evaluate inputs IN.jsonl [--corpora a,b] [--limit N]
matlit extract --text IN.jsonl --out PRED.jsonl
python -m pipeline.evaluate score PRED.jsonl --out eval/ [--corpora a,b] [--limit N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.evaluate.corpora import CORPORA
from pipeline.evaluate.run import load_predictions, predictions_extractor, run_eval, write_inputs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pipeline.evaluate", description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["inputs", "score"])
    ap.add_argument("path", type=Path, help="inputs: the JSONL to write; score: the predictions JSONL")
    ap.add_argument("--out", type=Path, default=Path("eval"), help="report folder (score)")
    ap.add_argument("--corpora", default=",".join(CORPORA), help="comma-separated corpus names")
    ap.add_argument("--limit", type=int, default=None, help="first N docs of each corpus")
    ap.add_argument("--shared", type=Path, default=None, help="shared/ (default: $MATLIT_SHARED or ../shared)")
    a = ap.parse_args(argv)
    corpora = [c for c in a.corpora.split(",") if c]
    if a.command == "inputs":
        n = write_inputs(a.path, corpora, a.shared, a.limit)
        print(f"{n} texts -> {a.path}")
        return 0
    extract = predictions_extractor(load_predictions(a.path))
    result = run_eval(extract, corpora, a.shared, a.out, a.limit, name=a.path.name)
    for g in result.scores["goals"]:
        print(f"{g['goal']}: {g['f1'] if g['f1'] is not None else '-'} ({'met' if g['met'] else 'not met'})")
    print(f"report: {result.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`matlit eval` end to end on the dev gold corpora: the report, the plots, and floors under today's scores."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO, SHARED, shared_data

# today's dev scores minus a margin: a change that loses more than that is a regression (see README for the numbers)
FLOORS = {
    ("grobid_quantities", "quantity", "overlap"): 0.85,
    ("grobid_quantities", "quantity", "strict"): 0.80,
    ("measeval", "quantity", "overlap"): 0.84,
    ("supermat", "tc_link", "overlap"): 0.72,
    ("bandgap_dong_cole", "bandgap_record", "overlap"): 0.73,
    ("polyie", "value", "overlap"): 0.60,
}


def test_eval_scores_the_dev_corpora_and_writes_a_report(tmp_path):
    shared_data()  # skips when ../shared is absent
    out = tmp_path / "eval"
    cmd = [sys.executable, "-m", "pipeline.cli", "eval", "--out", str(out), "--shared", str(SHARED)]
    for c in sorted({k[0] for k in FLOORS}):
        cmd += ["--corpus", c]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "goal" in r.stdout
    scores = json.loads((out / "scores.json").read_text())
    for (corpus, task, level), floor in FLOORS.items():
        f1 = scores["corpora"][corpus]["tasks"][task]["levels"][level]["f1"]
        assert f1 >= floor, f"{corpus}/{task} {level} F1 {f1:.3f} < {floor}"
    report = (out / "report.md").read_text()
    assert all(c in report for c, _, _ in FLOORS)
    assert (out / "f1_by_task.png").stat().st_size > 1000

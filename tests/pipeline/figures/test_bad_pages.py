"""The open PDF with ~155,000 drawing operations on one page: the figures stage stays bounded and says why."""

from __future__ import annotations

import shutil

from pipeline.config import load_config
from pipeline.figures.stage import read_results
from pipeline.runner import run_pipeline
from pipeline.workdir import WorkDir
from tests.conftest import shared_data

DENSE = "10.1088_1361-6668_aac949.pdf"  # Fig. 3 on page 5: ~155k drawing ops


def test_dense_page_is_too_complex_and_bounded(tmp_path):
    src = shared_data("open_pdfs", DENSE)
    (tmp_path / "src").mkdir()
    shutil.copy(src, tmp_path / "src" / DENSE)
    cfg = load_config(None, {"work_dir": str(tmp_path / "work"), "fetch.local": [str(tmp_path / "src")],
                             "runner.progress": False, "parse.ocr": "never", "figures.raster": False,
                             "figures.ocr_glyphs": False})
    *_, figs = run_pipeline(cfg, ["fetch", "parse", "figures"])
    assert figs.failed == 0 and figs.out == 1
    wd = WorkDir(cfg.work_dir)
    (pid,) = wd.paper_ids()
    results = {r.label: r for r in read_results(wd.stage_output("figures", pid))}
    dense = results["Fig. 3"]
    assert dense.status == "too_complex" and not dense.series
    assert "drawing operations" in dense.reason and dense.seconds is None  # no wall-clock time in outputs
    assert figs.seconds < 60
    assert all(r.reason for r in results.values())

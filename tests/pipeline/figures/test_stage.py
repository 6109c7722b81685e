"""The figures stage: fetch -> parse -> figures on papers holding generated plots and on bad figures."""

from __future__ import annotations

import pymupdf
import pytest

from pipeline.config import load_config
from pipeline.figures.score import score_case
from pipeline.figures.stage import read_results
from pipeline.runner import run_pipeline, stage_classes
from pipeline.workdir import WorkDir
from tests.pipeline.figures.paper import BODY, moved_truth, paper_with_plot


def _cfg(root, **kw):
    over = {"work_dir": str(root / "work"), "fetch.local": [str(root / "src")], "runner.progress": False,
            "parse.ocr": "never", **kw}
    return load_config(None, over)


@pytest.fixture(scope="module")
def figures_work(tmp_path_factory, stage_plots):
    root = tmp_path_factory.mktemp("figstage")
    (root / "src").mkdir()
    places = {}
    for case in stage_plots[:3]:
        places[case.name] = (case, paper_with_plot(case.pdf, root / "src" / f"{case.name}.pdf"))
    # a photo-like figure: a noisy raster image with a caption
    import numpy as np

    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_textbox(pymupdf.Rect(60, 60, 535, 140), BODY, fontsize=10, fontname="helv")
    rng = np.random.default_rng(0)
    pix = pymupdf.Pixmap(pymupdf.csRGB, 200, 150, rng.integers(0, 255, 200 * 150 * 3, dtype=np.uint8).tobytes(), False)
    page.insert_image(pymupdf.Rect(80, 160, 480, 460), pixmap=pix)
    page.insert_textbox(pymupdf.Rect(60, 470, 535, 520), "Figure 1. SEM micrograph of the film surface.", fontsize=9,
                        fontname="helv")
    page.insert_textbox(pymupdf.Rect(60, 530, 535, 600), BODY, fontsize=10, fontname="helv")
    doc.save(root / "src" / "photo.pdf")
    cfg = _cfg(root, **{"figures.raster": False})
    summaries = run_pipeline(cfg, ["fetch", "parse", "figures"])
    return cfg, summaries, places


def test_stage_is_registered_between_parse_and_extract():
    names = list(stage_classes())
    assert names.index("parse") < names.index("figures") < names.index("extract")


def test_generated_plots_come_back_exact(figures_work):
    cfg, summaries, places = figures_work
    assert [s.failed for s in summaries] == [0, 0, 0]
    wd = WorkDir(cfg.work_dir)
    by_source = {wd.load_paper(pid).source.rsplit("/", 1)[-1][:-4]: pid for pid in wd.paper_ids()}
    for name, (case, place) in places.items():
        (res,) = read_results(wd.stage_output("figures", by_source[name]))
        assert res.status == "digitized", res.reason
        assert res.label == "Fig. 1" and res.page == 1
        s = score_case(res, moved_truth(case, place))
        assert s.passed(), (name, s)
        for ser in res.series:
            assert ser.paper_id == by_source[name] and ser.figure_id == res.figure_id and ser.method == "vector"
            assert ser.bbox is not None and ser.x.residual is not None


def test_photo_gets_a_reason_not_a_series(figures_work):
    cfg, _, _ = figures_work
    wd = WorkDir(cfg.work_dir)
    pid = next(p for p in wd.paper_ids() if wd.load_paper(p).source.endswith("photo.pdf"))
    (res,) = read_results(wd.stage_output("figures", pid))
    assert res.status in ("raster_only", "not_a_plot") and not res.series
    assert "raster" in res.reason


def test_rerun_skips_done_papers(figures_work):
    cfg, _, _ = figures_work
    (summary,) = run_pipeline(cfg, ["figures"])
    assert summary.skipped == 4 and summary.out == 0


def test_report_puts_crops_beside_replots(figures_work):
    from pipeline.figures.report import build_report

    cfg, _, _ = figures_work
    wd = WorkDir(cfg.work_dir)
    s = build_report(wd, progress=False)
    assert s.figures == 4 and s.vector_calibrated == 3 and s.series > 0
    html = (s.out / "index.html").read_text()
    assert html.count("_orig.png") == 4 and html.count("_replot.png") == 3
    png = next((s.out / "img").glob("*_replot.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "digitized" in (s.out / "report.md").read_text()


def test_reported_points_become_normalized_records(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    p = [0.0, 2.0, 4.0, 6.0, 8.0]
    tc = [39.2, 38.1, 36.5, 35.0, 33.2]
    ax.plot(p, tc, "o", color="tab:red")
    ax.plot([0, 8], [39.5, 33.0], "-", color="0.5")
    ax.set_xlabel("Pressure (GPa)")
    ax.set_ylabel("Tc (K)")
    fig.tight_layout()
    fig.savefig(tmp_path / "tc.pdf")
    plt.close(fig)
    (tmp_path / "src").mkdir()
    paper_with_plot(tmp_path / "tc.pdf", tmp_path / "src" / "tc_paper.pdf",
                    caption="Figure 1. Critical temperature of MgB2 under pressure. Symbols are the measured values, "
                    "the line is a linear fit.")
    cfg = _cfg(tmp_path, **{"figures.ocr_glyphs": False, "extract.extractors": ["text_rules"]})
    summaries = run_pipeline(cfg, ["fetch", "parse", "figures", "extract", "normalize"])
    assert all(s.failed == 0 for s in summaries)
    wd = WorkDir(cfg.work_dir)
    (pid,) = wd.paper_ids()
    recs = [r for r in wd.read_records("normalize", pid) if r.extractor == "figures.records"]
    assert len(recs) == 5
    got = sorted((r.conditions[0].quantity.values[0], r.quantity.values[0]) for r in recs)
    assert [v for pt in got for v in pt] == pytest.approx([v for pt in zip(p, tc, strict=True) for v in pt], abs=1e-3)
    assert {r.material.formula for r in recs} == {"MgB2"} and {r.property.id for r in recs} == {"critical_temperature"}
    assert all(r.quantity.unit == "K" and r.quantity.values_canonical for r in recs)

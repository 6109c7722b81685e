"""Raster plot digitizer: real matplotlib renders (known data) through OpenCV + rapidocr, scored against the truth."""

from __future__ import annotations

import io

import numpy as np
import pytest

from extractors.figures.raster import MAX_SIDE, digitize_raster
from extractors.figures.raster_axes import LabelBox, decade_exponent, fit_axis, parse_offset_label, parse_tick
from schemas.figure import FigureResult
from schemas.geometry import BBox
from tests.conftest import shared_data
from tests.extractors.figures.raster_scoring import TOL, case_image, score_case
from tests.fixtures.plots.generate import render_case

# cases of the seeded family (seed 0) covering linear, log-x, log-y, decade labels, ×10ⁿ offsets, error bars,
# legends inside and outside, grids and two sub-panels
QUICK = [0, 1, 2, 4, 5, 6, 10, 13]
MIN_OPEN_DIGITIZED = 25  # of 52 raster-only open-PDF figures: calibrated axes + series (31 measured)


def _render(fig, dpi=100) -> np.ndarray:
    import cv2

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    img = cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
    return np.ascontiguousarray(img)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _digitize(img, **kw) -> FigureResult:
    return digitize_raster(img, figure_id="fig1", paper_id="p1", page=1, **kw)


# ---- tick labels and the axis fit -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [("−2", -2.0), ("0.5", 0.5), ("100.2", 100.2), ("1,5", 1.5), ("10⁴", 1e4), ("2×10^3", 2000.0), ("4.0-", 4.0),
     ("|3", 3.0), ("1O", 10.0), ("abc", None), ("Jan", None), ("", None)],
)
def test_parse_tick_reads_ocr_text(text, value):
    got = parse_tick(text)
    assert got == pytest.approx(value) if value is not None else got is None


def test_decade_labels_read_on_the_baseline_are_powers_of_ten():
    assert [decade_exponent(t) for t in ("104", "10-3", "10⁻¹", "10°", "10", "7")] == [4, -3, -1, 0, None, None]
    # "104", "103", "102" on evenly spaced ticks would also fit a linear axis 102..104: the decade reading wins
    labels = [LabelBox(box=(0, 0, 1, 1), text=t, value=parse_tick(t), tick=p) for t, p in
              (("102", 10.0), ("103", 60.0), ("104", 110.0), ("10", -40.0))]
    fit, why = fit_axis(labels, 200.0)
    assert fit is not None, why
    assert fit.scale == "log" and fit.reinterpreted
    assert fit.value([10.0, 110.0, -40.0]) == pytest.approx([100.0, 1e4, 10.0])


def test_fit_rejects_ticks_that_fit_no_scale_and_drops_one_misread_label():
    def lab(vals, pos):
        return [LabelBox(box=(0, 0, 1, 1), text=str(v), value=v, tick=p) for v, p in zip(vals, pos, strict=True)]

    fit, why = fit_axis(lab([0, 1, 7, 3], [0, 10, 20, 30]), 40.0)
    assert fit is None and "fit no linear/log scale" in why
    fit, why = fit_axis(lab([0, 1, 2, 8, 4], [0, 10, 20, 30, 40]), 50.0)  # "3" misread as "8"
    assert fit is not None and fit.dropped == ["8"] and fit.residual < 1e-9
    fit, why = fit_axis(lab([0, 1], [0, 10]), 20.0)
    assert fit is None and "need 3" in why


def test_offset_labels():
    assert [parse_offset_label(t) for t in ("1e-5", "×10-5", "x10⁻⁵", "×10^6", "(a)", "10")] == [-5, -5, -5, 6, None, None]


# ---- generated plots with known data ------------------------------------------------------------------------------


def _run_case(tmp_path, idx):
    case = render_case(tmp_path, idx, 0, raster=True)
    img, rect = case_image(case.pdf)
    res = digitize_raster(img, figure_id=case.name, paper_id="gen", page=1, bbox=BBox.of(rect))
    return case, res, score_case(case, res)


def test_quick_subset_of_generated_raster_plots(tmp_path):
    scores = []
    for idx in QUICK:
        case, res, sc = _run_case(tmp_path, idx)
        scores.append(sc)
        if res.status == "digitized":
            for s in res.series:
                assert s.method == "raster" and s.extractor == "figures.raster"
                assert 0 < s.error_estimate < 0.05
                assert s.bbox is not None and s.points
                assert s.x.residual is not None and s.x.residual <= 0.01 and s.y.residual <= 0.01
    good = [s.name for s in scores if s.passed(TOL)]
    detail = {s.name: (s.status, round(s.median_error, 4), s.n_matched, s.n_truth) for s in scores if not s.passed(TOL)}
    assert len(good) >= 7, detail


def test_series_carry_calibrated_axes_labels_and_colours(tmp_path):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    x = np.linspace(0, 300, 30)
    ax.plot(x, 2 + x / 100, color="#d62728", label="LiFePO4")
    ax.plot(x, 5 - x / 150, "o", color="#1f77b4", ms=5, label="graphite")
    ax.set_xlabel("Temperature (K)")
    ax.legend(loc="lower left")
    img = _render(fig, dpi=150)
    plt.close(fig)
    res = _digitize(img)
    assert res.status == "digitized", res.reason
    by_label = {s.label: s for s in res.series}
    assert set(by_label) == {"LiFePO4", "graphite"}
    red, blue = by_label["LiFePO4"], by_label["graphite"]
    assert red.style.kind == "line" and blue.style.kind == "markers"
    assert len(blue.points) == 30
    pts = np.array(blue.points)
    assert np.abs(pts[:, 1] - (5 - pts[:, 0] / 150)).max() < 0.02 * 3.5
    r = np.array(red.points)
    inside = (r[:, 0] > 5) & (r[:, 0] < 295)
    assert np.median(np.abs(r[inside, 1] - (2 + r[inside, 0] / 100))) < 0.01 * 3
    assert red.x.scale == "linear" and red.x.lo < 0 < 300 < red.x.hi and red.x.n_ticks >= 4
    assert red.series_id != blue.series_id and red.series_id.startswith("s")


def test_known_text_spans_replace_ocr():
    """Tick labels given as text spans (pixel boxes from matplotlib's own layout): no OCR call at all."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4, 3))
    x = np.linspace(1, 9, 20)
    ax.plot(x, x**2, color="#2ca02c")
    fig.canvas.draw()
    h = fig.canvas.get_width_height()[1]
    spans = []
    for lab in ax.get_xticklabels() + ax.get_yticklabels():
        if lab.get_text() and lab.get_visible():
            e = lab.get_window_extent()
            spans.append((lab.get_text(), (e.x0, h - e.y1, e.x1, h - e.y0)))
    img = _render(fig, dpi=fig.dpi)
    plt.close(fig)

    def no_ocr(crops):
        raise AssertionError("OCR called although text spans were given")

    res = _digitize(img, text_spans=spans, ocr=no_ocr)
    assert res.status == "digitized", res.reason
    (s,) = res.series
    pts = np.array(s.points)
    inside = (pts[:, 0] > 1.2) & (pts[:, 0] < 8.8)
    assert np.median(np.abs(pts[inside, 1] - pts[inside, 0] ** 2)) < 0.01 * 80


# ---- bad input ----------------------------------------------------------------------------------------------------


def test_photo_is_not_a_plot():
    rng = np.random.default_rng(1)
    import cv2

    noise = rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)
    photo = cv2.GaussianBlur(noise, (0, 0), 3)  # textured like a micrograph, no plain background
    res = _digitize(photo)
    assert res.status == "not_a_plot" and "background" in res.reason and not res.series


def test_schematic_without_axes():
    import cv2

    img = np.full((400, 500, 3), 255, np.uint8)
    cv2.rectangle(img, (40, 60), (200, 160), (0, 0, 0), 2)
    cv2.rectangle(img, (300, 220), (460, 340), (0, 0, 200), 2)
    cv2.arrowedLine(img, (200, 110), (300, 280), (0, 0, 0), 2)
    cv2.putText(img, "YBCO", (70, 120), cv2.FONT_HERSHEY_SIMPLEX, 1, (0, 0, 0), 2)
    res = _digitize(img)
    assert res.status == "no_axes" and not res.series


def test_tiny_and_malformed_images():
    res = _digitize(np.full((20, 30, 3), 255, np.uint8))
    assert res.status == "not_a_plot" and "too small" in res.reason
    res = _digitize(np.zeros((10, 10, 10, 3), np.uint8))
    assert res.status == "error" and "shape" in res.reason


def test_category_ticks_are_non_numeric():
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(["Jan", "Feb", "Mar", "Apr", "May"], [3, 4, 2, 5, 4], color="#1f77b4", marker="o")
    img = _render(fig)
    plt.close(fig)
    res = _digitize(img)
    assert res.status == "non_numeric" and "x axis" in res.reason and not res.series


def test_uncalibrated_axes_give_no_series():
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1, 2, 3], [0, 1, 4, 9], color="#1f77b4")
    ax.set_yticks([0, 3, 6, 9])
    ax.set_yticklabels(["0", "1", "7", "2"])  # labels that no linear or log scale explains
    img = _render(fig, dpi=120)
    plt.close(fig)
    res = _digitize(img)
    assert res.status == "uncalibrated" and "y axis" in res.reason and not res.series


def test_huge_image_is_downscaled_and_still_read():
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 6))
    x = np.linspace(0, 10, 50)
    ax.plot(x, np.sin(x), color="#ff7f0e", lw=2)
    img = _render(fig, dpi=700)  # 5600 x 4200 px
    plt.close(fig)
    assert max(img.shape) > 2 * MAX_SIDE
    res = _digitize(img, bbox=BBox(x0=50, y0=100, x1=450, y1=400))
    assert res.status == "digitized", res.reason
    (s,) = res.series
    assert any(f.startswith("downscaled:") for f in s.flags)
    assert 50 < s.bbox.x0 < s.bbox.x1 < 450 and 100 < s.bbox.y0 < s.bbox.y1 < 400
    pts = np.array(s.points)
    inside = (pts[:, 0] > 0.2) & (pts[:, 0] < 9.8)
    assert np.median(np.abs(pts[inside, 1] - np.sin(pts[inside, 0]))) < 0.01 * 2.2
    assert res.seconds < 60


def test_grey_and_rgba_inputs():
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1, 2], [1, 3, 2], color="#1f77b4")
    img = _render(fig)
    plt.close(fig)
    rgba = np.dstack([img, np.full(img.shape[:2], 255, np.uint8)])
    assert _digitize(rgba).status == "digitized"
    res = _digitize(img.mean(axis=2).astype(np.uint8))  # grey: axes calibrate, but colour series cannot be told
    assert res.status in ("no_series", "digitized")


# ---- slow: the whole generated family and the real raster-only figures ------------------------------------------


@pytest.mark.slow
def test_generated_raster_plots_full_set(tmp_path):
    scores = [_run_case(tmp_path, idx)[2] for idx in range(100)]
    share = sum(s.passed(TOL) for s in scores) / len(scores)
    failed = {s.name: (s.status, round(s.median_error, 4), s.n_matched, s.n_truth) for s in scores if not s.passed(TOL)}
    assert share >= 0.8, (share, failed)


@pytest.mark.slow
def test_raster_only_figures_of_the_open_pdfs():
    """Every image >= 100 x 80 pt in the 7 raster-only open PDFs: no crash, bounded time, a status and reason each;
    series only on calibrated axes."""
    from collections import Counter

    from pipeline.bench_raster import open_pdf_regions

    folder = shared_data("open_pdfs")
    results = []
    for paper, page, bbox, arr in open_pdf_regions(folder):
        res = digitize_raster(arr, figure_id=f"p{page}", paper_id=paper, page=page, bbox=BBox.of(bbox))
        results.append(res)
        assert res.status != "error", (paper, page, res.reason)
        assert res.seconds < 30, (paper, page, res.seconds)
        assert res.status == "digitized" or res.reason
        for s in res.series:
            assert s.x.residual <= 0.01 and s.y.residual <= 0.01 and s.x.n_ticks >= 3 and s.y.n_ticks >= 3
            assert s.bbox is not None and bbox[0] - 1 <= s.bbox.x0 < s.bbox.x1 <= bbox[2] + 1
    statuses = Counter(r.status for r in results)
    assert len(results) >= 40, statuses
    assert statuses["digitized"] >= MIN_OPEN_DIGITIZED, statuses
    assert statuses["not_a_plot"] >= 3, statuses  # the photographs of bulk samples and set-ups


def test_component_pixels_match_nonzero_per_label():
    import cv2

    from extractors.figures.raster import _component_pixels

    rng = np.random.default_rng(0)
    mask = (rng.random((60, 90)) > 0.7).astype(np.uint8)
    n, lab, _, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    pixels = _component_pixels(lab, n)
    for i in range(n):
        ys, xs = pixels(i)
        ref_y, ref_x = np.nonzero(lab == i)
        assert ys.dtype == ref_y.dtype and np.array_equal(ys, ref_y) and np.array_equal(xs, ref_x)


def test_line_points_match_column_by_column_runs():
    """The vectorised run split gives the same points, bit for bit, as splitting each column's rows."""
    from extractors.figures.raster import _series_points
    from extractors.figures.raster_axes import Panel

    rng = np.random.default_rng(1)
    mask = np.zeros((80, 120), bool)
    for c in range(120):  # two wavy curves plus noise: long runs, gaps, single pixels
        for base in (20, 55):
            r = int(base + 8 * np.sin(c / 9))
            mask[r : r + 3, c] = True
    mask |= rng.random(mask.shape) > 0.985
    weight = (rng.random(mask.shape) * 200).astype(np.float32)
    p = Panel.__new__(Panel)
    p.x0, p.y0, p.x1, p.y1 = 0, 0, 120, 80
    kind, pts, _ = _series_points(mask, weight, p, 1.0)
    ref = []
    for c in np.flatnonzero(mask.any(axis=0)):
        rows = np.flatnonzero(mask[:, c])
        for r in np.split(rows, np.flatnonzero(np.diff(rows) > 2) + 1):
            w = weight[r, c]
            ref.append((float(c), float((r * w).sum() / max(w.sum(), 1e-6))))
    assert kind == "line" and pts == ref


def test_rapidocr_read_memo_gives_a_fresh_reading():
    """A crop with the same pixels as one read before takes the earlier reading, which equals a fresh one."""
    pytest.importorskip("rapidocr")
    import cv2

    from extractors.figures import raster

    img = np.full((40, 120, 3), 255, np.uint8)
    cv2.putText(img, "0.25", (8, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2)
    raster._READ.clear()
    fresh = raster.rapidocr_read([img])
    assert len(raster._READ) == 1
    again = raster.rapidocr_read([img.copy(), img[:, :119]])  # same pixels; then a different crop
    assert again[0] == fresh[0] and len(raster._READ) == 2
    raster._READ.clear()
    assert raster.rapidocr_read([img.copy()]) == fresh

"""Bad figures: photos, schematics, category and date axes, huge drawings, an exhausted time budget.
No crash, bounded time, and a figure-level status and reason instead of series."""

from __future__ import annotations

import time

import matplotlib
import pymupdf
import pytest

from extractors.figures.common import Shape, page_inputs
from extractors.figures.vector import digitize_vector

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _run(pdf, **kw):
    with pymupdf.open(pdf) as doc:
        page = doc[0]
        shapes, lines, n = page_inputs(page, tuple(page.rect))
        return digitize_vector(shapes, lines, tuple(page.rect), paper_id="bad", figure_id="f0", **kw)


def test_category_axis_is_non_numeric(tmp_path):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(["LiFePO4", "LiCoO2", "NMC811", "LTO"], [160, 140, 200, 170])
    ax.set_ylabel("Capacity (mAh/g)")
    fig.savefig(tmp_path / "bars.pdf")
    plt.close(fig)
    res = _run(tmp_path / "bars.pdf")
    assert res.status == "non_numeric" and not res.series
    assert "categor" in res.reason


def test_date_axis_is_non_numeric(tmp_path):
    import datetime as dt

    days = [dt.date(2024, 1, 1) + dt.timedelta(days=30 * i) for i in range(8)]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(days, [1, 3, 2, 5, 4, 6, 5, 7])
    ax.set_ylabel("Capacity retention (%)")
    fig.savefig(tmp_path / "dates.pdf")
    plt.close(fig)
    res = _run(tmp_path / "dates.pdf")
    assert res.status == "non_numeric" and not res.series


def test_schematic_without_axes(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=300)
    for i, label in enumerate(["substrate", "buffer", "YBCO film", "Ag cap"]):
        r = pymupdf.Rect(60, 220 - 45 * i, 340, 255 - 45 * i)
        page.draw_rect(r, color=(0, 0, 0), fill=(0.8, 0.85 - 0.1 * i, 1.0))
        page.insert_text((r.x0 + 10, r.y1 - 12), label, fontsize=10)
    page.draw_line((200, 20), (200, 50), color=(1, 0, 0), width=1.5)
    page.draw_circle((200, 30), 8, color=(0, 0, 1))
    doc.save(tmp_path / "schematic.pdf")
    res = _run(tmp_path / "schematic.pdf")
    assert res.status == "no_axes" and not res.series and "schematic" in res.reason


def test_photo_is_left_to_the_raster_path():
    res = digitize_vector([], [], (0, 0, 300, 200), n_images=1, image_area=60000.0)
    assert res.status == "raster_only" and not res.series


def _noise_shapes(n: int) -> list[Shape]:
    return [Shape(idx=i, stroke="#000000", fill=None, width=0.5, dashed=False, rect=(i % 300, i % 200, i % 300 + 1,
                  i % 200 + 1), segments=[(i % 300, i % 200, i % 300 + 1, i % 200 + 1)]) for i in range(n)]


def test_too_many_drawings_is_refused_fast():
    shapes = _noise_shapes(25_000)
    t0 = time.perf_counter()
    res = digitize_vector(shapes, [], (0, 0, 300, 200), max_drawings=20_000)
    assert res.status == "too_complex" and "25000" in res.reason
    assert time.perf_counter() - t0 < 1.0


def test_page_count_over_cap_is_not_read():
    res = digitize_vector([], [], (0, 0, 300, 200), n_page_drawings=155_000, max_drawings=20_000)
    assert res.status == "too_complex" and "155000" in res.reason


def test_time_budget_stops_a_slow_figure(quick_plots):
    case = quick_plots[0]
    res = _run(case.pdf, time_budget_s=1e-9)
    assert res.status == "too_complex" and "time budget" in res.reason and not res.series


def test_uncalibrated_axes_emit_no_series(tmp_path):
    """Tick labels that do not fit any scale (a misprinted label) -> uncalibrated, no series."""
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1, 2, 3], [0, 1, 4, 9], "o-")
    ax.set_xticks([0, 1, 2, 3])
    ax.set_xticklabels(["0", "1", "7", "3"])
    fig.savefig(tmp_path / "bad_ticks.pdf")
    plt.close(fig)
    res = _run(tmp_path / "bad_ticks.pdf")
    assert res.status == "uncalibrated" and not res.series
    assert "x axis" in res.reason


@pytest.mark.parametrize("bad", [[], [Shape(idx=0, stroke=None, fill=None, width=0, dashed=False, rect=(0, 0, 0, 0))]])
def test_empty_and_degenerate_inputs(bad):
    res = digitize_vector(bad, [], (0, 0, 10, 10))
    assert res.status in ("no_axes", "raster_only") and res.reason

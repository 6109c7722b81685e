"""Figure series: data read back from a plot, with the axis calibration it rests on.

A FigureResult is written per figure (work/figures/<paper>.jsonl); it holds the figure-level status and reason
(a photo, a schematic without axes, axes that did not calibrate...) and, only when the axes calibrated, one
FigureSeries per curve or marker set. Points are in data units of the axes (not page units). All field types are
Arrow-friendly (no unions other than Optional) so series shard through schemas.arrow like records do.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import Field

from schemas.base import Model
from schemas.geometry import BBox

FigureStatus = Literal[
    "digitized",  # axes calibrated, at least one series
    "no_series",  # axes calibrated, but nothing left once frames/grids/legends are removed
    "no_axes",  # no axis frame or tick labels found (schematic, diagram, photo with vectors)
    "not_a_plot",  # photo, micrograph, image without plot structure
    "uncalibrated",  # axes found but tick values do not fit a linear/log transform (residual not ~0)
    "non_numeric",  # tick labels are categories or dates
    "too_complex",  # drawing count or time budget exceeded
    "raster_only",  # no vector drawings; left to the raster digitizer
    "error",  # an exception inside the digitizer (message in reason)
]


class Axis(Model):
    """One calibrated axis: raw title, its vocabulary reading, and how page units map to data."""

    title: str | None = None  # raw axis title text, e.g. "Temperature (K)"
    property_id: str | None = None  # vocabulary id, e.g. "temperature"
    unit_raw: str | None = None  # "K", "mΩ cm"
    unit: str | None = None  # canonical unit of the property (pint spelling), when the raw unit converts
    scale: Literal["linear", "log"] = "linear"
    lo: float | None = None  # data range shown on the axis
    hi: float | None = None
    offset_exponent: int | None = None  # a "×10^n" offset label applied to the tick values
    n_ticks: int = 0  # tick labels used for the fit
    residual: float | None = None  # max |fit - tick| over tick labels, as a share of the axis range (0 = exact)
    side: Literal["bottom", "top", "left", "right"] = "bottom"


class SeriesStyle(Model):
    color: str | None = None  # "#rrggbb"
    kind: Literal["line", "markers", "line+markers", "bars"] = "line"
    marker: str | None = None  # "circle", "square", "triangle", "diamond", "cross", "path"
    line_width: float | None = None
    dashed: bool = False


def series_id_for(paper_id: str, figure_id: str, panel: str | None, index: int, method: str) -> str:
    """Deterministic id: same paper, figure, panel, order and method -> same id."""
    key = f"{paper_id}|{figure_id}|{panel or ''}|{index}|{method}"
    return "s" + hashlib.sha256(key.encode()).hexdigest()[:16]


class FigureSeries(Model):
    """One curve or marker set of one plot panel, in the axes' data units."""

    series_id: str
    paper_id: str
    figure_id: str
    panel: str | None = None  # "a", "b"... for sub-panels; None for a single-panel figure
    page: int | None = None
    bbox: BBox | None = None  # the panel's plot area on the page
    method: Literal["vector", "raster", "vlm"] = "vector"
    x: Axis = Field(default_factory=Axis)
    y: Axis = Field(default_factory=Axis)
    label: str | None = None  # legend text matched by style
    style: SeriesStyle = Field(default_factory=SeriesStyle)
    points: list[list[float]] = Field(default_factory=list)  # [[x, y], ...] in data units
    y_err: list[float] | None = None  # symmetric half-width per point, when error bars were read
    error_estimate: float | None = None  # expected point error as a share of the axis range (raster/vlm)
    extractor: str = "figures.vector"
    extractor_version: str = "1"
    flags: list[str] = Field(default_factory=list)


class FigureResult(Model):
    """What the digitizers made of one figure: status, reason and the series (empty unless calibrated)."""

    paper_id: str
    figure_id: str
    label: str | None = None  # "Fig. 2"
    page: int | None = None
    bbox: BBox | None = None
    method: Literal["vector", "raster", "vlm", "none"] = "vector"
    status: FigureStatus
    reason: str = ""
    n_panels: int = 0
    n_drawings: int = 0
    seconds: float | None = None
    series: list[FigureSeries] = Field(default_factory=list)
    extractor: str = "figures.vector"
    extractor_version: str = "1"

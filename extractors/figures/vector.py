"""Exact digitization of vector plots: axes, tick calibration, series, error bars, legends, axis titles.

`digitize_vector(shapes, lines, region, ...)` takes a figure region's vector shapes and text lines (see
extractors/figures/common.py; `page_inputs` builds them from a PyMuPDF page) and returns a FigureResult: one
FigureSeries per curve or marker set of every calibrated panel, in data units. A panel whose tick labels do not fit
a linear or log transform with residual ≈ 0 yields no series; the figure gets a status and a reason instead.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from extractors.figures.axes import CalAxis, Panel, calibrate, find_axes, make_panels
from extractors.figures.common import Box, Shape, TextLine
from extractors.figures.ticks import parse_offset, parse_tick
from schemas.figure import Axis, FigureResult, FigureSeries, SeriesStyle, series_id_for
from schemas.geometry import BBox

NAME = "figures.vector"
VERSION = "1"

MAX_DRAWINGS = 20_000  # shapes in one figure region; more -> too_complex
TIME_BUDGET_S = 10.0
MAX_RESIDUAL = 0.002  # tick fit residual (share of the axis range) accepted as "≈ 0"

_PANEL_LABEL = re.compile(r"^\(?([a-hA-H])\)?$")


@dataclass
class _Group:
    kind: str  # "markers" | "line"
    key: tuple
    shapes: list[Shape] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)  # page coordinates
    yerr: list[float | None] | None = None  # page half-lengths
    color: str | None = None
    width: float | None = None
    dashed: bool = False
    marker: str | None = None
    label: str | None = None
    first_idx: int = 0
    faced: bool = False  # markers found as edge + face: real markers even when only one is drawn
    bridge: bool = False  # one straight piece (two points): data only as a piece of a line broken at each marker


class _Budget:
    """CPU seconds of this thread, not wall time: a loaded machine must not turn a digitized figure into
    `too_complex` (the stage's output would then depend on what else ran, and a resumed run could differ)."""

    def __init__(self, seconds: float):
        self.t0 = time.thread_time()
        self.seconds = seconds

    def check(self, what: str) -> None:
        if time.thread_time() - self.t0 > self.seconds:
            raise _OverBudget(f"time budget of {self.seconds:g} CPU s exceeded while {what}")


class _OverBudget(Exception):
    pass


def digitize_vector(
    shapes: list[Shape],
    lines: list[TextLine],
    region: Box,
    *,
    paper_id: str = "",
    figure_id: str = "",
    label: str | None = None,
    page: int | None = None,
    caption: str | None = None,
    n_images: int = 0,
    image_area: float = 0.0,
    max_drawings: int = MAX_DRAWINGS,
    time_budget_s: float = TIME_BUDGET_S,
    max_residual: float = MAX_RESIDUAL,
    n_page_drawings: int | None = None,
    text_shapes: set[int] | None = None,
) -> FigureResult:
    """Digitize one figure region. Never raises for bad figures: the status and reason say what was found."""
    t0 = time.perf_counter()
    res = FigureResult(
        paper_id=paper_id, figure_id=figure_id, label=label, page=page, bbox=BBox.of(region), method="vector",
        status="no_axes", n_drawings=len(shapes), extractor=NAME, extractor_version=VERSION,
    )
    lines, text_shapes = _drop_giant_glyph_words(shapes, lines, text_shapes or set())
    try:
        _digitize(res, shapes, lines, region, n_images, image_area, max_drawings, time_budget_s, max_residual,
                  n_page_drawings, text_shapes)
    except _OverBudget as e:
        res.status, res.reason, res.series = "too_complex", str(e), []
    res.seconds = round(time.perf_counter() - t0, 4)
    return res


def _drop_giant_glyph_words(shapes: list[Shape], lines: list[TextLine], text_shapes: set[int]) -> tuple[list, set]:
    """A "word" several times taller than the figure's text is a cluster of markers that the glyph reader took for
    letters (a dense run of circles read as "7" or "vwwm"), and a "word" of marker symbols only (a lone marker read as
    "●"): the line is dropped and its shapes are not text."""
    if not text_shapes or not lines:
        return lines, text_shapes
    med = float(np.median([t.bbox[3] - t.bbox[1] for t in lines]))
    bad = [t for t in lines if (t.horizontal and t.bbox[3] - t.bbox[1] > 3.0 * med) or _marker_symbols(t.text)]
    bad.extend(_lone_marker_words(shapes, lines, text_shapes, bad))
    if not bad:
        return lines, text_shapes
    free = {s.idx for s in shapes if s.idx in text_shapes and any(
        t.bbox[0] - 0.5 <= s.rect[0] and s.rect[2] <= t.bbox[2] + 0.5 and t.bbox[1] - 0.5 <= s.rect[1]
        and s.rect[3] <= t.bbox[3] + 0.5 for t in bad)}
    return [t for t in lines if not any(t is b for b in bad)], text_shapes - free


_MARKER_LIKE = "Oo口xX"  # letters that a marker's outline is read as (circle, square, cross); a lone "0" only when
# stroked (text glyphs are filled, a "0" is mostly a tick label)


def _lone_marker_words(shapes: list[Shape], lines: list[TextLine], text_shapes: set[int], bad: list) -> list:
    """One-character "words" that look like a marker (an open circle read as "O", a square as "口", a symbol, or a
    misread as a letter outside Latin and Greek: "と", "à") whose shapes (a marker's face and edge) each repeat, same style, form and size, in two or more shapes that are
    not text: one marker of a marker set, not a letter."""
    free = [s for s in shapes if s.idx not in text_shapes]
    if len(free) < 2:
        return []
    by_form: dict[tuple, list[Shape]] = defaultdict(list)
    for s in free:
        by_form[(s.style_key(), s.signature())].append(s)
    texts = [s for s in shapes if s.idx in text_shapes]
    out = []
    for t in lines:
        ch = "".join(t.text.split())
        if any(t is b for b in bad) or len(ch) != 1 or (ch.isalnum() and ch not in _MARKER_LIKE + "0"
                                                          and (ord(ch) < 128 or 0x370 <= ord(ch) <= 0x3FF)):
            continue  # a Latin letter, a digit or a Greek letter is text; a kana or an accented letter is a misread
        inside = [s for s in texts if t.bbox[0] - 0.5 <= s.rect[0] and s.rect[2] <= t.bbox[2] + 0.5
                  and t.bbox[1] - 0.5 <= s.rect[1] and s.rect[3] <= t.bbox[3] + 0.5]
        if not 1 <= len(inside) <= 3:  # a marker may be drawn as a face and an edge
            continue
        if ch == "0" and any(s.stroke is None for s in inside):
            continue
        if all(sum(1 for s in by_form.get((g.style_key(), g.signature()), ())
                   if abs(s.w - g.w) <= 0.3 and abs(s.h - g.h) <= 0.3) >= 2 for g in inside):
            out.append(t)
    return out


def _marker_symbols(text: str) -> bool:
    """Text that is only marker symbols ("●", "■ ▲", "☆"): a lone data marker that the glyph reader took for a
    character (next to a tick label or on its own), never a word."""
    t = "".join(text.split())
    return bool(t) and all(0x25A0 <= ord(c) <= 0x25FF or 0x2605 <= ord(c) <= 0x2606 or c in "•∙⬤⬛⬜⬟⬢⬣⭐" for c in t)


def _digitize(res, shapes, lines, region, n_images, image_area, max_drawings, budget_s, max_residual, n_page,
              text_shapes: set[int]) -> None:
    budget = _Budget(budget_s)
    if n_page is not None and n_page > max_drawings and not shapes:
        res.status = "too_complex"
        res.reason = f"{n_page} drawing operations on the page (cap {max_drawings}); not read"
        res.n_drawings = n_page
        return
    if len(shapes) > max_drawings:
        res.status = "too_complex"
        res.reason = f"{len(shapes)} drawing operations in the figure (cap {max_drawings})"
        return
    region_area = max(1.0, (region[2] - region[0]) * (region[3] - region[1]))
    if not shapes:
        if n_images:
            res.status, res.reason = "raster_only", f"{n_images} raster image(s), no vector drawings"
        else:
            res.status, res.reason = "no_axes", "no vector drawings in the figure region"
        return
    x_axes, y_axes, offsets = find_axes(shapes, lines)
    budget.check("finding axes")
    panels = make_panels(x_axes, y_axes)
    if not panels:
        res.status, res.reason = _why_no_axes(shapes, lines, n_images, image_area / region_area)
        return
    for p in panels:
        for ax in (p.x, p.y, p.y2):
            if ax is not None:
                calibrate(ax, shapes, offsets, max_residual)
        budget.check("calibrating axes")
    _label_panels(panels, lines)
    res.n_panels = len(panels)
    good = [p for p in panels if p.calibrated]
    problems = [f"panel {p.label or i + 1}: {_problem(p)}" for i, p in enumerate(panels) if not p.calibrated]
    if not good:
        res.status = "uncalibrated"
        res.reason = "; ".join(problems)
        return
    axis_shapes = {i for p in panels for ax in (p.x, p.y, p.y2) if ax is not None for i in ax.line.shapes}
    axis_shapes |= text_shapes  # glyph outlines read as text
    n_series = 0
    notes: list[str] = []
    for pi, p in enumerate(panels):
        if not p.calibrated:
            continue
        groups = _series_groups(p, shapes, lines, axis_shapes, budget, text_shapes)
        xa, ya = _axis_info(p.x, lines, p, "x"), _axis_info(p.y, lines, p, "y")
        y2a = _axis_info(p.y2, lines, p, "y2") if p.y2 is not None and p.y2.fit and not p.y2.problem else None
        split = min(p.y.line.shapes, default=-1)
        unassigned = False
        right: set[int] = {id(g) for g in groups if g.first_idx > split}
        by_order = True
        if y2a is not None and not (right and len(right) < len(groups)):
            right = _right_by_arrows(groups, p.arrows)
            if right is None:
                right = _right_by_titles(groups, ya, y2a)
            by_order = False
            if right is None:
                y2a = None  # neither drawing order, arrows nor titles tell which series use the right axis
                unassigned = True
                notes.append(f"panel {pi + 1}: second y axis found but its series could not be told apart")
        panel_name = p.label or (str(pi + 1) if len(panels) > 1 else None)
        for g in groups:
            on_right = y2a is not None and id(g) in right
            yax = p.y2 if on_right else p.y
            pts = np.asarray(g.points, dtype=float)
            xs = p.x.fit.to_data(pts[:, 0])
            ys = yax.fit.to_data(pts[:, 1])
            ok = np.isfinite(xs) & np.isfinite(ys)
            if ok.sum() == 0:
                continue
            points = [[_r(x), _r(y)] for x, y, k in zip(xs, ys, ok, strict=True) if k]
            y_err = None
            if g.yerr is not None and any(e is not None for e in g.yerr):
                y_err = []
                for (_px, py), e, k in zip(g.points, g.yerr, ok, strict=True):
                    if not k:
                        continue
                    if e is None:
                        y_err.append(0.0)
                    else:
                        hi, lo = yax.fit.to_data([py - e, py + e])
                        y_err.append(_r(abs(float(hi) - float(lo)) / 2))
            flags = []
            if not p.x.used_ticks or not yax.used_ticks:
                flags.append("calibrated_from_label_centres")
            if on_right:
                flags.append("right_axis_by_drawing_order" if by_order else "right_axis_by_arrow_or_title")
            if unassigned:  # read on the left axis; a series drawn for the right one has wrong y values
                flags.append("second_y_axis_unassigned")
            res.series.append(FigureSeries(
                series_id=series_id_for(res.paper_id, res.figure_id, panel_name, n_series, "vector"),
                paper_id=res.paper_id, figure_id=res.figure_id, panel=panel_name, page=res.page,
                bbox=BBox.of(p.box), method="vector", x=xa, y=y2a if on_right else ya, label=g.label,
                style=SeriesStyle(color=g.color, kind=g.kind, marker=g.marker, line_width=g.width, dashed=g.dashed),
                points=points, y_err=y_err, error_estimate=0.0, extractor=NAME, extractor_version=VERSION,
                flags=flags,
            ))
            n_series += 1
    res.status = "digitized" if res.series else "no_series"
    reasons = [f"{len(good)} of {len(panels)} panel(s) calibrated, {len(res.series)} series"] + problems + notes
    res.reason = "; ".join(reasons)


def _name_key(text: str | None) -> str:
    """Letters and digits of a title or label, lower case, without a trailing unit in brackets."""
    if not text:
        return ""
    text = re.sub(r"\s*[(\[][^()\[\]]*[)\]]\s*$", "", text.strip())
    return "".join(c for c in text.lower() if c.isalnum())


def _right_by_titles(groups: list[_Group], ya: Axis, y2a: Axis) -> set[int] | None:
    """The series read on the right y axis, told by axis titles that repeat legend labels: the series whose label
    is one axis's title (units aside) belong to it, and when only one axis's title names series, the other series
    belong to the other axis. None when no label names an axis, or a label names both."""
    keys = {id(g): _name_key(g.label) for g in groups}
    lk, rk = _name_key(ya.title), _name_key(y2a.title)
    on_left = {i for i, k in keys.items() if len(k) >= 3 and lk and (k == lk or k in lk)}
    on_right = {i for i, k in keys.items() if len(k) >= 3 and rk and (k == rk or k in rk)}
    if on_left & on_right or not (on_left or on_right):
        return None
    if on_right:
        return on_right if not on_left or on_left | on_right == set(keys) else None
    right = set(keys) - on_left
    return right or None


def _right_by_arrows(groups: list[_Group], arrows: list[tuple]) -> set[int] | None:
    """The series read on the right y axis, told by level arrows drawn from a curve towards its axis: each arrow's
    tail clearly nearest one series (half the distance to the next), arrows pointing right name the right axis's
    series, the other series are the left axis's. None when no arrow points right, an arrow's series is unclear, or
    one series has arrows both ways."""
    if not groups or not arrows:
        return None
    right: set[int] = set()
    left: set[int] = set()
    for tail, tip in arrows:
        dx, dy = tip[0] - tail[0], tip[1] - tail[1]
        if abs(dy) > 0.3 * abs(dx):
            continue
        t = np.asarray([tail], dtype=float)
        d = sorted((float(_dist_to_polyline(t, np.asarray(g.points, dtype=float))[0]), id(g)) for g in groups)
        if len(d) > 1 and d[0][0] > 0.5 * d[1][0]:
            return None
        (right if dx > 0 else left).add(d[0][1])
    if not right or right & left or len(right) == len(groups):
        return None
    return right


def _r(v: float) -> float:
    return float(f"{float(v):.7g}")


def _problem(p: Panel) -> str:
    out = []
    for name, ax in (("x", p.x), ("y", p.y)):
        if ax.fit is None or ax.problem:
            out.append(f"{name} axis: {ax.problem or 'no fit'}")
    return ", ".join(out)


def _why_no_axes(shapes: list[Shape], lines: list[TextLine], n_images: int, image_share: float) -> tuple[str, str]:
    words = [t for t in lines if t.horizontal and parse_tick(t.text) is None and parse_offset(t.text) is None]
    nums = [t for t in lines if parse_tick(t.text) is not None]
    if n_images and image_share > 0.5:
        return "not_a_plot", f"raster image covers {image_share:.0%} of the figure and no vector axes were found"
    if len(words) >= 3 and _row_of_labels(words) and len(nums) < 2:
        return "non_numeric", "axis labels are not numbers (categories or dates)"
    if len(nums) >= 2 and len(words) >= 3 and _row_of_labels(words):
        return "non_numeric", "an axis carries non-numeric labels (categories or dates)"
    if len(nums) >= 2 and _labels_under_axis(shapes, words):
        return "non_numeric", "an axis carries non-numeric labels (categories or dates)"
    return "no_axes", f"no axis lines with numeric tick labels among {len(shapes)} drawings (schematic or diagram?)"


def _labels_under_axis(shapes: list[Shape], words: list[TextLine]) -> bool:
    """Non-numeric text right under a long horizontal line, spread along it: tick labels that are not numbers."""
    from extractors.figures.axes import straight_lines

    hs, _ = straight_lines(shapes)
    for t in words:
        for h in hs:
            if 0 <= t.bbox[1] - h.y0 <= 2 * t.size + 12 and t.bbox[2] - t.bbox[0] >= 0.4 * (h.x1 - h.x0) \
                    and h.x0 - 10 <= t.cx <= h.x1 + 10 and sum(c.isdigit() for c in t.text) >= 3:
                return True
    return False


def _row_of_labels(words: list[TextLine]) -> bool:
    """Three or more short labels on one baseline, evenly spread: the look of category or date ticks."""
    rows: dict[int, list[TextLine]] = defaultdict(list)
    for t in words:
        if len(t.plain) <= 14:
            rows[round(t.cy / 2)].append(t)
    return any(len(r) >= 3 for r in rows.values())


def _panel_tag(t: TextLine) -> str | None:
    """The panel letter a text line starts with: "(a)", "b", or "(c) ascending stage" (a bracketed letter as the
    first word of a longer line)."""
    txt = t.plain.strip()
    m = _PANEL_LABEL.match(txt)
    if m:
        return m.group(1).lower()
    first = txt.split(maxsplit=1)[0] if txt else ""
    m = re.match(r"^\(([a-hA-H])\)$", first)
    return m.group(1).lower() if m else None


def _label_panels(panels: list[Panel], lines: list[TextLine]) -> None:
    cands = [t for t in lines if t.horizontal and _panel_tag(t)]
    if len(panels) < 2 and not cands:
        return
    dist: dict[int, float] = {}
    for p in panels:
        x0, y0, x1, y1 = p.box
        best, best_d = None, None
        for t in cands:
            if t.cy > y0 + 0.35 * (y1 - y0) or t.cx > x0 + 0.5 * (x1 - x0) or t.cy < y0 - 0.3 * (y1 - y0) - 20:
                continue
            if t.cx < x0 - 0.35 * (x1 - x0) - 30:
                continue
            d = abs(t.cx - x0) + abs(t.cy - y0)
            if best_d is None or d < best_d:
                best, best_d = t, d
        if best is not None and (len(panels) > 1 or best.plain.strip().startswith("(")):
            p.label = _panel_tag(best)
            dist[id(p)] = best_d
    for p in panels:  # one letter names one panel: the nearest keeps it
        if p.label and any(q is not p and q.label == p.label and dist[id(q)] < dist[id(p)] for q in panels):
            p.label = None


# ---------------------------------------------------------------------------------------------- series


def _inside(x: float, y: float, box: Box, tol: float = 1.0) -> bool:
    return box[0] - tol <= x <= box[2] + tol and box[1] - tol <= y <= box[3] + tol


def _spanning_curve(s: Shape) -> bool:
    """A path as wide and tall as the plot area that is a curve, not a frame: 20+ segments, most of them oblique
    (a frame drawn with its ticks in one path is all horizontal and vertical pieces)."""
    if len(s.segments) < 20:
        return False
    oblique = sum(1 for x0, y0, x1, y1 in s.segments if abs(x1 - x0) > 0.05 and abs(y1 - y0) > 0.05)
    if oblique >= 0.5 * len(s.segments):
        return True
    # a dense time series (hundreds of points, mostly vertical steps between close x values) that runs far out of
    # the plot area and is drawn clipped: one connected polyline with a quarter or more of its vertices away from
    # its box edges (a frame's vertices lie on its edges or at the ends of its ticks)
    if len(s.segments) < 100 or not s.is_chain():
        return False
    v = np.asarray(s.vertices(), dtype=float)
    r = s.rect
    away = (v[:, 0] > r[0] + 6) & (v[:, 0] < r[2] - 6) & (v[:, 1] > r[1] + 6) & (v[:, 1] < r[3] - 6)
    return bool(away.mean() >= 0.25)


def _mostly_inside(s: Shape, box: Box) -> bool:
    """A long path running out of the plot area (drawn clipped to it) whose box centre lies outside: a third or
    more of its vertices inside the area."""
    if len(s.segments) < 4 or s.rect[2] < box[0] or s.rect[0] > box[2] or s.rect[3] < box[1] or s.rect[1] > box[3]:
        return False
    v = np.asarray(s.vertices(), dtype=float)
    ins = (v[:, 0] >= box[0] - 1) & (v[:, 0] <= box[2] + 1) & (v[:, 1] >= box[1] - 1) & (v[:, 1] <= box[3] + 1)
    return bool(ins.mean() >= 1 / 3)


def _is_white(c: str | None) -> bool:
    return c is not None and all(int(c[i: i + 2], 16) >= 0xF0 for i in (1, 3, 5))


def _legend(p: Panel, shapes: list[Shape], lines: list[TextLine], tick_lines: set[int],
            text_shapes: set[int] = frozenset()) -> tuple[dict, set[int]]:
    """Legend entries near the panel: label text -> sample shapes; and every shape that belongs to the legend."""
    x0, y0, x1, y1 = p.box
    w, h = x1 - x0, y1 - y0
    texts = [
        t for t in lines
        if t.horizontal and id(t) not in tick_lines and not _PANEL_LABEL.match(t.plain.strip())
        and x0 - 2 <= t.bbox[0] <= x1 + 0.8 * w and y0 - 0.2 * h <= t.cy <= y1
        and parse_offset(t.text) is None
    ]
    entries: dict[int, tuple[TextLine, list[Shape]]] = {}
    in_legend: set[int] = set()
    # per text, the shapes left of it on its row that are no larger than a legend sample; the geometric tests run
    # in numpy over all shapes, the style tests only on the few shapes that pass them
    r = np.array([s.rect for s in shapes], dtype=np.float64).reshape(-1, 4)
    sw, sh, scy = r[:, 2] - r[:, 0], r[:, 3] - r[:, 1], (r[:, 1] + r[:, 3]) / 2
    texts = _join_words(texts)
    for t in texts:
        near = ~(sw > 6 * t.size) & ~(sh > 1.5 * t.size) \
            & (np.abs(scy - t.cy) <= 0.45 * max(t.bbox[3] - t.bbox[1], 1.0)) \
            & (t.bbox[0] - 4.5 * t.size <= r[:, 0]) & (r[:, 2] <= t.bbox[0] + 0.5)
        samples = []
        for k in np.flatnonzero(near).tolist():
            s = shapes[k]
            if s.idx in text_shapes:  # the glyphs of a word before it, not a sample
                continue
            if _is_white(s.fill) and s.stroke is None:
                continue
            if len(s.segments) == 1 and _is_tick(s, p):
                continue
            samples.append(s)
        if samples:
            entries[id(t)] = (t, samples)
            in_legend.update(s.idx for s in samples)
    if entries:  # the legend frame: a box around the entries' texts
        ent_box = (
            min(min(t.bbox[0], *(s.rect[0] for s in ss)) for t, ss in entries.values()),
            min(t.bbox[1] for t, _ in entries.values()),
            max(t.bbox[2] for t, _ in entries.values()),
            max(t.bbox[3] for t, _ in entries.values()),
        )
        for s in shapes:
            r = s.rect
            if r[0] <= ent_box[0] + 1 and r[1] <= ent_box[1] + 1 and r[2] >= ent_box[2] - 1 and r[3] >= ent_box[3] - 1 \
                    and s.w < 0.9 * w + 200 and s.w <= (ent_box[2] - ent_box[0]) + 6 * 12 \
                    and s.h <= (ent_box[3] - ent_box[1]) + 4 * 12:
                in_legend.add(s.idx)
    return entries, in_legend


def _glyph_like(s: Shape) -> bool:
    """A letter drawn as a filled outline: no stroke, a dark fill, curved or many-sided, at most text-sized."""
    return s.stroke is None and s.fill is not None and not _is_white(s.fill) and s.w <= 14 and 1.5 <= s.h <= 14 \
        and (s.n_curves >= 3 or len(s.segments) >= 10)


def _unread_legend(p: Panel, shapes: list[Shape], skip: set[int]) -> set[int]:
    """Legend rows whose label was not read (glyph outlines OCR could not make out): a column of two or more
    sample + text rows inside the plot area. A text row is two or more glyph-like shapes of one fill, close together on
    one line, not all of one form (a run of data markers is); its sample is what lies just left of it on its row,
    no larger than a legend sample. The rows of a column start their text at one x, centre their samples at one x,
    and follow each other at under three text heights. Returns every shape of such a column (samples and text)."""
    x0, y0, x1, y1 = p.box
    glyphs = sorted((s for s in shapes if s.idx not in skip and _glyph_like(s) and _inside(s.cx, s.cy, p.box, 0.0)),
                    key=lambda s: (s.rect[0]))
    if len(glyphs) < 4:
        return set()
    rows: list[list[Shape]] = []
    for g in glyphs:  # a glyph joins the row it overlaps vertically (sub- and superscripts too), a word space apart
        row = next((r for r in rows if r[0].fill == g.fill and -0.5 <= g.rect[0] - max(o.rect[2] for o in r) <= 1.2 * r[0].h
                    and min(g.rect[3], r[0].rect[3]) - max(g.rect[1], r[0].rect[1]) >= 0.3 * min(g.h, r[0].h)), None)
        if row is None:
            rows.append([g])
        else:
            row.append(g)
    rows = [r for r in rows if len(r) >= 2 and len({g.signature() for g in r}) >= 2]
    if len(rows) < 2:
        return set()
    glyph_ids = {g.idx for g in glyphs}
    r_all = np.array([s.rect for s in shapes], dtype=np.float64).reshape(-1, 4)
    found: list[tuple[float, float, float, float, list[Shape]]] = []  # text x0, sample cx, cy, height, shapes
    for row in rows:
        tx0 = row[0].rect[0]
        h = max(g.h for g in row)
        cy = (min(g.rect[1] for g in row) + max(g.rect[3] for g in row)) / 2
        near = (r_all[:, 2] <= tx0 + 0.5) & (r_all[:, 2] >= tx0 - 2.5 * h) & (r_all[:, 0] >= tx0 - 7 * h) \
            & (np.abs((r_all[:, 1] + r_all[:, 3]) / 2 - cy) <= 0.45 * h) & (r_all[:, 3] - r_all[:, 1] <= 1.6 * h)
        sample = [shapes[k] for k in np.flatnonzero(near).tolist()
                  if shapes[k].idx not in glyph_ids and shapes[k].idx not in skip
                  and not (_is_white(shapes[k].fill) and shapes[k].stroke is None)]
        if not sample:
            continue
        while True:  # a sample in parts (a line piece with an open marker, then one with a filled marker)
            left = min(s.rect[0] for s in sample)
            more = (r_all[:, 2] <= left + 0.5) & (r_all[:, 2] >= left - 0.5 * h) & (r_all[:, 0] >= left - 4 * h) \
                & (np.abs((r_all[:, 1] + r_all[:, 3]) / 2 - cy) <= 0.45 * h) & (r_all[:, 3] - r_all[:, 1] <= 1.6 * h)
            add = [shapes[k] for k in np.flatnonzero(more).tolist() if shapes[k].idx not in skip
                   and shapes[k].idx not in glyph_ids and all(shapes[k] is not o for o in sample)]
            if not add:
                break
            sample += add
        scx = (min(s.rect[0] for s in sample) + max(s.rect[2] for s in sample)) / 2
        found.append((tx0, scx, cy, h, sample + row))
    out: set[int] = set()
    for a in found:
        column = sorted((b for b in found if abs(b[0] - a[0]) <= 2.0 and abs(b[1] - a[1]) <= 2.0), key=lambda b: b[2])
        if len(column) < 2:
            continue
        if all(c[2] - b[2] <= 3 * max(b[3], c[3]) for b, c in zip(column, column[1:])):  # noqa: B905
            out.update(s.idx for b in column for s in b[4])
    return out


def _text_frames(p: Panel, shapes: list[Shape], lines: list[TextLine], tick_lines: set[int]) -> list[Box]:
    """Drawn rectangles centred in the plot area, at most a third of it, that hold text (not tick labels): legend
    frames and text boxes. What lies within one is a legend sample or an annotation, never data."""
    x0, y0, x1, y1 = p.box
    bw, bh = x1 - x0, y1 - y0
    texts = [t for t in lines if id(t) not in tick_lines and not _PANEL_LABEL.match(t.plain.strip())]
    if not texts:
        return []
    out: list[Box] = []
    for s in shapes:
        r = s.rect
        if not (15.0 <= s.w <= 0.7 * bw and 8.0 <= s.h <= 0.7 * bh and s.w * s.h <= bw * bh / 3):
            continue
        if not _inside(s.cx, s.cy, p.box, 0.0):  # a legend may stick out of the plot area
            continue
        if not (_is_box(s) or _is_box_outline(s) or _frame_outline(s)):
            continue
        if any(r[0] <= t.bbox[0] and t.bbox[2] <= r[2] and r[1] <= t.bbox[1] and t.bbox[3] <= r[3] for t in texts):
            out.append(r)
    return out


def _insets(p: Panel, shapes: list[Shape], skip: list[Box] = ()) -> list[Box]:
    """Inset plots: a smaller axes frame inside the plot area (a drawn rectangle 15-80 % of the area's width and
    height) with its own ticks (two or more short strokes perpendicular to a horizontal side, and two or more to a
    vertical side). Returned as the region the inset takes: its white background when one holds it, else the frame
    grown by room for its tick labels. Nothing there is data of the panel (an inset's axes are rarely readable)."""
    x0, y0, x1, y1 = p.box
    bw, bh = x1 - x0, y1 - y0
    frames = [s for s in shapes if s.stroke is not None and 0.15 * bw <= s.w <= 0.8 * bw and 0.15 * bh <= s.h <= 0.8 * bh
              and _inside(s.cx, s.cy, p.box, 0.0) and (_is_box(s) or _is_box_outline(s))]
    if not frames:
        return []
    ticks = []
    for s in shapes:  # short upright or level strokes, not the panel's own ticks
        if len(s.segments) != 1 or s.stroke is None or _is_tick(s, p):
            continue
        a, b, c, d = s.segments[0]
        if abs(a - c) < 0.05 and 1.0 <= abs(d - b) <= 8.0 or abs(b - d) < 0.05 and 1.0 <= abs(c - a) <= 8.0:
            ticks.append((s.stroke, s.segments[0]))
    out: list[Box] = []
    for f in frames:
        r = f.rect
        if any(abs(r[0] - t[0]) < 0.5 and abs(r[1] - t[1]) < 0.5 and abs(r[2] - t[2]) < 0.5 and abs(r[3] - t[3]) < 0.5
               for t in skip):
            continue  # a legend frame (it holds text)
        on_h = on_v = 0
        tick_len = 0.0
        for colour, (a, b, c, d) in ticks:
            if colour != f.stroke:  # an inset's ticks are drawn like its frame (grid pieces are not)
                continue
            if abs(a - c) < 0.05 and r[0] - 0.5 <= a <= r[2] + 0.5 \
                    and any(min(b, d) - 0.6 <= yy <= max(b, d) + 0.6 for yy in (r[1], r[3])):
                on_h += 1
                tick_len = max(tick_len, abs(d - b))
            elif abs(b - d) < 0.05 and r[1] - 0.5 <= b <= r[3] + 0.5 \
                    and any(min(a, c) - 0.6 <= xx <= max(a, c) + 0.6 for xx in (r[0], r[2])):
                on_v += 1
                tick_len = max(tick_len, abs(c - a))
        if on_h < 2 or on_v < 2:
            continue
        backs = [s.rect for s in shapes if _is_white(s.fill) and s.rect[0] <= r[0] and s.rect[1] <= r[1]
                 and s.rect[2] >= r[2] and s.rect[3] >= r[3] and s.w < 0.9 * bw and s.h < 0.9 * bh]
        if backs:
            out.append(min(backs, key=lambda b: (b[2] - b[0]) * (b[3] - b[1])))
        else:
            gy = min(12.0, max(8.0, 4 * tick_len))
            out.append((r[0] - 2.5 * gy, r[1] - gy, r[2] + gy, r[3] + gy))
    return out


def _frame_outline(s: Shape) -> bool:
    """A frame drawn as a filled outline with a drop shadow or bevelled corners: a closed path of at most 24 sides
    whose every vertex lies near its box's edges (a curve drawn as an outline has vertices inside its box)."""
    if s.stroke is not None or not s.closed or not 4 <= len(s.segments) <= 24:
        return False
    r = s.rect
    tol = max(3.0, 0.08 * min(s.w, s.h))
    return all(min(x - r[0], r[2] - x, y - r[1], r[3] - y) <= tol for x, y in s.vertices())


def _is_box_outline(s: Shape) -> bool:
    """A closed axis-aligned rectangle drawn with all four sides' vertices (a filled frame of one subpath)."""
    v = s.vertices()
    if len(v) < 4 or not s.closed or len(s.segments) > 8:
        return False
    return all(abs(x0 - x1) < 0.05 or abs(y0 - y1) < 0.05 for x0, y0, x1, y1 in s.segments)


def _join_words(texts: list[TextLine]) -> list[TextLine]:
    """Words on one row with gaps under one text height joined into one line ("5.5" + "K" -> "5.5 K"): OCR'd
    glyph outlines come as words, and a legend label is the whole row after its sample."""
    out: list[TextLine] = []
    for t in sorted(texts, key=lambda t: (round(t.cy), t.bbox[0])):
        prev = next((o for o in reversed(out) if abs(o.cy - t.cy) <= 0.3 * max(o.size, t.size)
                     and -0.5 <= t.bbox[0] - o.bbox[2] <= 0.9 * max(o.size, t.size)), None)
        if prev is None:
            out.append(t)
            continue
        j = out.index(prev)
        out[j] = TextLine(prev.text + " " + t.text, (prev.bbox[0], min(prev.bbox[1], t.bbox[1]), t.bbox[2],
                                                      max(prev.bbox[3], t.bbox[3])), max(prev.size, t.size), prev.dir)
    return out


def _series_groups(p: Panel, shapes: list[Shape], lines: list[TextLine], axis_shapes: set[int], budget,
                   text_shapes: set[int] = frozenset()) -> list[_Group]:
    box = p.box
    bw, bh = box[2] - box[0], box[3] - box[1]
    tick_lines = {id(t) for ax in (p.x, p.y, p.y2) if ax is not None for t, _ in ax.labels}
    legend, in_legend = _legend(p, shapes, lines, tick_lines, text_shapes)
    in_legend = in_legend | _unread_legend(p, shapes, axis_shapes - text_shapes)
    frames = _text_frames(p, shapes, lines, tick_lines)
    frames += _insets(p, shapes, frames)
    cands: list[Shape] = []
    for s in shapes:
        if s.idx in axis_shapes or s.idx in in_legend or not s.segments:
            continue
        if frames and any(f[0] <= s.rect[0] and s.rect[2] <= f[2] and f[1] <= s.rect[1] and s.rect[3] <= f[3]
                          for f in frames):
            continue  # a legend's (or a text box's) frame and what it holds
        if s.stroke is None and (s.fill is None or _is_white(s.fill) or _encloses_nothing(s)):
            continue
        if _is_white(s.color) and s.stroke is not None and _is_white(s.stroke):
            continue
        if not _inside(s.cx, s.cy, box, 2.0) and not _mostly_inside(s, box):
            continue
        if s.w >= 0.95 * bw and s.h >= 0.95 * bh and not _spanning_curve(s):
            continue  # frame or background
        if _is_white(s.fill) and (s.w > 20 or s.h > 20):  # a legend or inset box, a text background
            continue
        if len(s.segments) == 1:
            x0, y0, x1, y1 = s.segments[0]
            if abs(y1 - y0) < 0.3 and abs(x1 - x0) >= 0.9 * bw or abs(x1 - x0) < 0.3 and abs(y1 - y0) >= 0.9 * bh:
                continue  # grid line
            if _is_tick(s, p):
                continue
        elif s.stroke is None and _is_tick(s, p):
            continue
        cands.append(s)
    budget.check("collecting series shapes")
    cands = _drop_text_glyphs(cands, lines)
    # a stroke converted to filled outlines piece by piece (the dashes of a dashed line, one capsule per segment of
    # a dense curve): the pieces chained into one line, before they could pass for markers
    groups: list[_Group] = []
    # a colour map (filled cells or contour bands in a dozen or more fill colours) holds no curves drawn as fills
    colour_map = len({s.fill for s in cands if s.stroke is None and s.fill is not None and not _is_white(s.fill)
                      and len(s.segments) >= 4}) >= COLOUR_MAP_FILLS
    if not colour_map:
        piece_groups, cands = _outline_piece_lines(cands, box)
        dots = _marker_dots(cands + [s for g in piece_groups for s in g.shapes],
                            max(2.0, min(15.0, 0.06 * min(bw, bh))))
        groups.extend(g for g in piece_groups if sum(id(s) in dots for s in g.shapes) < 0.8 * len(g.shapes))
    budget.check("chaining outline pieces")
    # markers: small closed or compact shapes repeated with the same style and form
    small = max(2.0, min(15.0, 0.06 * min(bw, bh)))
    marker_groups: dict[tuple, list[Shape]] = defaultdict(list)
    rest: list[Shape] = []
    for s in cands:
        if s.w <= small and s.h <= small and (s.w > 0.8 or s.h > 0.8) and (len(s.segments) >= 2 or s.n_curves):
            marker_groups[(s.style_key(), s.signature())].append(s)
        else:
            rest.append(s)
    for key, group in marker_groups.items():
        clusters = _size_clusters(group)
        clusters = _add_clipped_markers(clusters, box)
        for ss in clusters:
            if len(ss) < 2 or _dash_run(ss, bw, bh):
                rest.extend(ss)
                continue
            ss.sort(key=lambda s: (s.cx, s.cy))
            # a marker's colour is its face's when filled (a black edge around a coloured face is common)
            colour = ss[0].fill if ss[0].fill is not None and not _is_white(ss[0].fill) else ss[0].color
            full = max(ss, key=lambda s: (s.w, s.h))
            g = _Group("markers", key, ss, [_marker_centre(s, full, box) for s in ss], color=colour,
                       marker=_marker_name(full), first_idx=min(s.idx for s in ss))
            groups.append(g)
    _split_edges_by_face(groups, rest)
    _drop_shared_marker_positions(groups)
    groups = [g for g in groups if g.kind != "markers" or len(g.points) >= 2 or g.faced]
    # error bars: vertical single segments of a marker group's colour centred on its points
    bars = [s for s in rest if len(s.segments) == 1 and abs(s.segments[0][0] - s.segments[0][2]) < 0.05]
    caps = [s for s in rest if len(s.segments) == 1 and abs(s.segments[0][1] - s.segments[0][3]) < 0.05 and s.w < small]
    used: set[int] = set()
    for g in groups:
        _attach_error_bars(g, bars, caps, used)
    budget.check("reading error bars")
    # lines: chained segments; pieces of one style joined end to end
    lines_by_style: dict[tuple, list[Shape]] = defaultdict(list)
    for s in rest:
        if s.idx in used or s.stroke is None:
            continue
        lines_by_style[s.style_key()].append(s)
    bridges: list[_Group] = []
    for key, ss in lines_by_style.items():
        for chain, members in _chains(ss, box):
            if len(chain) == 2 and len(members) == 1:
                bridges.append(_Group("line", key, members, chain, color=members[0].stroke, width=members[0].width,
                                      dashed=members[0].dashed, first_idx=members[0].idx, bridge=True))
            if len(chain) < 3:
                continue
            groups.append(_Group("line", key, members, chain, color=members[0].stroke, width=members[0].width,
                                 dashed=members[0].dashed, first_idx=min(m.idx for m in members)))
        budget.check("joining line pieces")
    for s in rest:  # stroked lines converted to filled outlines: their centre line
        if colour_map or s.idx in used or s.stroke is not None or s.fill is None or _is_white(s.fill):
            continue
        if len(s.segments) < 6:  # one straight stroke as a thin quad: a piece of a line broken at the markers?
            geo = _piece_geometry(s) if 3 <= len(s.segments) <= 5 else None
            if geo is not None and geo[2] >= small and 0.05 <= geo[3] <= PIECE_MAX_WIDTH:
                centre, ax, length, thick = geo
                half = max(0.0, length - thick) / 2
                ends = [tuple(map(float, centre - ax * half)), tuple(map(float, centre + ax * half))]
                bridges.append(_Group("line", s.style_key(), [s], ends, color=s.fill, first_idx=s.idx, bridge=True))
            continue
        if max(s.w, s.h) < 2 * small:
            continue
        # each subpath on its own (one path can hold a curve's outline and its legend sample's); a small one is a
        # glyph, a tick or a marker
        for v in _subpaths(s):
            if len(v) < 6 or max(np.ptp(v[:, 0]), np.ptp(v[:, 1])) < 2 * small:
                continue
            pts = _outline_centre(s, box, v)
            if len(pts) >= 3:
                groups.append(_Group("line", s.style_key(), [s], pts, color=s.fill, first_idx=s.idx))
    groups = _join_lines(groups)
    groups = [g for g in _merge_line_markers(groups + bridges)
              if not g.bridge and not _on_frame(g, box) and not _in_text(g, lines) and not _legend_column(g) and not _guide_line(g)]
    groups, arrows = _drop_arrows(groups, cands, small)
    p.arrows = arrows
    _attach_labels(groups, legend)
    for g in groups:
        g.points = [(x, y) for x, y in g.points]
    groups.sort(key=lambda g: g.first_idx)
    return groups


def _drop_arrows(groups: list[_Group], cands: list[Shape], small: float) -> tuple[list[_Group], list[tuple]]:
    """Straight short lines with an arrowhead (a small filled shape of the line's colour at one end) are arrows, not
    data: dropped, and returned as (tail, head) page points (an arrow from a curve to an axis says which y axis the
    curve is read on)."""
    in_sets = {id(s) for g in groups if g.kind != "line" and len(g.points) >= 2 for s in g.shapes}
    heads = [s for s in cands if s.fill is not None and not _is_white(s.fill) and s.w <= small and s.h <= small
             and len(s.segments) >= 3 and id(s) not in in_sets]  # a marker of a data set is no arrowhead
    if not heads:
        return groups, []
    keep, arrows = [], []
    for g in groups:
        if g.kind != "line" or len(g.points) < 2:
            keep.append(g)
            continue
        pts = np.asarray(g.points, dtype=float)
        a, b = pts[0], pts[-1]
        chord = float(np.hypot(*(b - a)))
        if chord < 3.0 or chord > 80.0 or float(_dist_to_polyline(pts, np.stack([a, b])).max()) > 0.5:
            keep.append(g)
            continue
        head = None
        for end, other in ((b, a), (a, b)):
            for h in heads:
                if h.fill == g.color and h.rect[0] - 1.0 <= end[0] <= h.rect[2] + 1.0 \
                        and h.rect[1] - 1.0 <= end[1] <= h.rect[3] + 1.0:
                    head = (other, np.array([h.cx, h.cy]) if np.hypot(h.cx - other[0], h.cy - other[1]) > chord
                            else end)
                    break
            if head is not None:
                break
        if head is None:
            keep.append(g)
            continue
        arrows.append((tuple(map(float, head[0])), tuple(map(float, head[1]))))
    return keep, arrows


def _clipped_side(s: Shape, full: Shape, box: Box) -> tuple[bool, bool]:
    """(clipped in x, clipped in y): the shape is narrower (lower) than the full marker and ends on the plot frame,
    as a marker on the frame drawn clipped to the plot area."""
    cx = s.w < full.w - 0.3 and (abs(s.rect[0] - box[0]) <= 1.0 or abs(s.rect[2] - box[2]) <= 1.0)
    cy = s.h < full.h - 0.3 and (abs(s.rect[1] - box[1]) <= 1.0 or abs(s.rect[3] - box[3]) <= 1.0)
    return cx, cy


def _marker_centre(s: Shape, full: Shape, box: Box) -> tuple[float, float]:
    """A marker's centre; for one clipped by the plot frame, the centre of the whole marker (half the full size in
    from its edge away from the frame)."""
    cx, cy = _clipped_side(s, full, box)
    x, y = s.cx, s.cy
    if cx:
        x = s.rect[0] + full.w / 2 if abs(s.rect[2] - box[2]) <= 1.0 else s.rect[2] - full.w / 2
    if cy:
        y = s.rect[1] + full.h / 2 if abs(s.rect[3] - box[3]) <= 1.0 else s.rect[3] - full.h / 2
    return x, y


def _add_clipped_markers(clusters: list[list[Shape]], box: Box) -> list[list[Shape]]:
    """Shapes of a marker set's style and form that are smaller only because the plot frame clips them (a marker
    at the end of the axis range) join the set: without them a series loses its first or last point."""
    if len(clusters) < 2:
        return clusters
    main = max(clusters, key=len)
    if len(main) < 2:
        return clusters
    full = max(main, key=lambda s: (s.w, s.h))
    out = [main]
    for c in clusters:
        if c is main:
            continue
        left = []
        for s in c:
            cx, cy = _clipped_side(s, full, box)
            if (cx or cy) and s.w <= full.w + 0.3 and s.h <= full.h + 0.3 and (cx or abs(s.w - full.w) <= 0.3) \
                    and (cy or abs(s.h - full.h) <= 0.3):
                main.append(s)
            else:
                left.append(s)
        if left:
            out.append(left)
    return out


def _dash_run(ss: list[Shape], bw: float, bh: float) -> bool:
    """Two or three thin pieces, each at least twice as long as thick, in a row along their own direction: a few
    dashes of a dashed line (too few to chain, between two markers), not a set of markers."""
    if len(ss) > 3:
        return False
    ps = [_piece(s, bw, bh) for s in ss]
    if any(p is None or p[2] < 2 * p[3] for p in ps):
        return False
    ps.sort(key=lambda p: (p[0][0], p[0][1]))
    for a, b in zip(ps, ps[1:]):  # noqa: B905
        d = b[0] - a[0]
        n = float(np.hypot(*d))
        if n == 0 or abs(float(d @ a[1])) / n < 0.95 or abs(float(d @ b[1])) / n < 0.95:
            return False
    return True


def _size_clusters(ss: list[Shape], tol: float = 0.3) -> list[list[Shape]]:
    """Shapes of one form split where their sizes differ by more than `tol` points."""
    out: list[list[Shape]] = []
    for s in sorted(ss, key=lambda s: (s.w, s.h)):
        if out and abs(s.w - out[-1][0].w) <= tol and abs(s.h - out[-1][0].h) <= tol:
            out[-1].append(s)
        else:
            out.append([s])
    return out


def _split_edges_by_face(groups: list[_Group], rest: list[Shape]) -> None:
    """A set of marker edges (stroked outlines of one colour, a black edge is common) whose every marker has a face
    of its own form and size drawn as a lone filled shape in another colour: markers of a few points each (one
    point per colour is a point of its own) whose faces did not repeat enough to form a set. The edge set is
    replaced by one set per face colour, and the faces leave `rest`."""
    singles = [s for s in rest if s.fill is not None and not _is_white(s.fill) and s.stroke is None]
    if not singles:
        return
    cen = np.array([(s.cx, s.cy) for s in singles])
    for g in list(groups):
        if g.kind != "markers" or not g.shapes or any(s.fill is not None or s.stroke is None for s in g.shapes):
            continue
        faces = []
        for e in g.shapes:
            d = np.hypot(cen[:, 0] - e.cx, cen[:, 1] - e.cy)
            k = int(np.argmin(d))
            f = singles[k]
            if d[k] > 0.3 or abs(f.w - e.w) > 0.6 or abs(f.h - e.h) > 0.6 or f.signature()[:2] != e.signature()[:2] \
                    or f.fill == e.stroke:
                break
            faces.append(f)
        else:
            by_fill: dict[str, list[Shape]] = defaultdict(list)
            for f in faces:
                by_fill[f.fill].append(f)
            if len(by_fill) < 2 and len(faces) >= 2:  # one face colour repeating: the faces would have formed a set
                continue
            i = groups.index(g)
            groups[i: i + 1] = [
                _Group("markers", (ff[0].style_key(), ff[0].signature()), ff, [(f.cx, f.cy) for f in ff], color=fill,
                       marker=_marker_name(ff[0]), first_idx=min(f.idx for f in ff), faced=True)
                for fill, ff in by_fill.items()]
            gone = {id(f) for f in faces}
            rest[:] = [s for s in rest if id(s) not in gone]


def _drop_shared_marker_positions(groups: list[_Group]) -> None:
    """Two marker sets of one colour on the same positions: a marker drawn as two paths (a fill and its outline
    ring), where the outline form is shared by filled and open markers and so groups two series together. The
    shared positions belong to the smaller set; the larger one keeps only its own."""
    marks = [g for g in groups if g.kind == "markers"]
    for ia, a in enumerate(marks):
        for ib, b in enumerate(marks):
            if a is b or not b.points or not a.points:
                continue
            # a's markers are the edges of b's: a stroked outline set on a filled set of another colour
            edges = a.color != b.color and all(s.fill is None for s in a.shapes) \
                and all(s.stroke is None for s in b.shapes)
            # of two equal sets (the two strokes of "x" markers drawn as two paths) the later one goes
            if not edges and (a.color != b.color or len(a.points) < len(b.points)
                              or (len(a.points) == len(b.points) and ia < ib)):
                continue
            pa, pb = np.asarray(a.points, float), np.asarray(b.points, float)
            d = np.sqrt(((pa[:, None, :] - pb[None, :, :]) ** 2).sum(-1)).min(1)
            shared = d < 0.3
            if shared.sum() < max(2, 0.8 * min(len(pa), len(pb))):
                continue
            keep = ~shared
            a.shapes = [s for s, k in zip(a.shapes, keep, strict=True) if k]
            a.points = [pt for pt, k in zip(a.points, keep, strict=True) if k]


def _is_tick(s: Shape, p: Panel) -> bool:
    box = p.box
    if len(s.segments) != 1:  # a tick drawn as a filled thin bar
        if s.stroke is not None or min(s.w, s.h) > 1.2 or max(s.w, s.h) > 15:
            return False
        x0, y0, x1, y1 = (s.cx, s.rect[1], s.cx, s.rect[3]) if s.h > s.w else (s.rect[0], s.cy, s.rect[2], s.cy)
    else:
        x0, y0, x1, y1 = s.segments[0]
    if abs(x1 - x0) < 0.3 and abs(y1 - y0) <= 15:
        return any(min(y0, y1) - 1 <= yy <= max(y0, y1) + 1 for yy in (box[1], box[3]))
    if abs(y1 - y0) < 0.3 and abs(x1 - x0) <= 15:
        return any(min(x0, x1) - 1 <= xx <= max(x0, x1) + 1 for xx in (box[0], box[2]))
    return False


def _marker_dots(cands: list[Shape], small: float) -> set[int]:
    """The ids of dots (at most half a marker's size) wholly inside a marker-sized closed shape of their own colour:
    a part of that marker (a joint or centre dot drawn as its own path). A chain made of them is no line (the dots
    of a dense marker series touch)."""
    big = [s for s in cands if s.closed and s.w <= small and s.h <= small and max(s.w, s.h) >= 2.0]
    if not big:
        return set()
    by_colour: dict[str | None, np.ndarray] = {}
    for c in {s.color for s in big}:
        by_colour[c] = np.array([(*s.rect, s.w, s.h) for s in big if s.color == c], dtype=float)
    out: set[int] = set()
    for s in cands:
        r = by_colour.get(s.color)
        if r is not None and max(s.w, s.h) < 1.5:
            inside = (r[:, 0] <= s.rect[0]) & (s.rect[2] <= r[:, 2]) & (r[:, 1] <= s.rect[1]) & (s.rect[3] <= r[:, 3]) \
                & (2 * s.w <= r[:, 4]) & (2 * s.h <= r[:, 5])
            if inside.any():
                out.add(id(s))
    return out


def _drop_text_glyphs(cands: list[Shape], lines: list[TextLine] = ()) -> list[Shape]:
    """Leave out words drawn as glyph outlines (labels, annotations): three or more small filled shapes in a row
    with at least two different forms. Markers repeat one form, so they stay. A shape over 2.5 times as tall or as
    wide as the figure's text lines is no letter (the piece of a line between two markers, drawn as an outline) and
    joins no word."""
    from extractors.figures.glyphs import glyph_words

    drop: set[int] = set()
    pool = cands
    if lines:
        med = float(np.median([t.bbox[3] - t.bbox[1] for t in lines]))
        pool = [s for s in cands if max(s.w, s.h) <= 2.5 * med]
    for word in glyph_words(pool):
        ws, hs = [w.w for w in word], [w.h for w in word]
        row_h = max(w.rect[3] for w in word) - min(w.rect[1] for w in word)
        one_row = row_h <= 1.6 * max(hs) and len({w.fill for w in word}) == 1
        if len(word) >= 3 and one_row and (max(ws) - min(ws) > 0.5 or max(hs) - min(hs) > 0.5):
            drop.update(w.idx for w in word)
    return [s for s in cands if s.idx not in drop] if drop else cands


COLOUR_MAP_FILLS = 12  # distinct fill colours of filled shapes in a panel that make it a colour map
PIECE_MAX_WIDTH = 2.0  # thickest stroke (pt) whose filled outline pieces are chained into a line


def _piece_geometry(s: Shape) -> tuple[np.ndarray, np.ndarray, float, float] | None:
    """(centre, unit major axis, length, thickness) of a filled shape from its vertices' principal axes."""
    v = np.asarray(s.vertices(), dtype=float)
    if len(v) > 3 and np.abs(v[0] - v[-1]).max() <= 0.01:  # a closed path repeats its first vertex
        v = v[:-1]
    if len(v) < 3:
        return None
    d = v - v.mean(0)
    _, vec = np.linalg.eigh(d.T @ d)
    ax = vec[:, 1]
    nrm = np.array([-ax[1], ax[0]])
    pa, pn = d @ ax, d @ nrm
    centre = v.mean(0) + ax * (pa.max() + pa.min()) / 2 + nrm * (pn.max() + pn.min()) / 2
    return centre, ax, float(np.ptp(pa)), float(np.ptp(pn))


def _drop_crossed(ps: list[tuple], keep: list[Shape]) -> list[tuple]:
    """Pieces that cross another piece at its middle (the two strokes of an "x" or "+" marker, stroked or converted
    to thin filled bars) are markers, not dashes: they go back to `keep`."""
    if len(ps) < 2:
        return ps
    cen = np.array([p[1] for p in ps])
    axs = np.array([p[2] for p in ps])
    d = np.hypot(*(cen[:, None, :] - cen[None, :, :]).transpose(2, 0, 1))
    cos = np.abs(axs @ axs.T)
    lengths = np.array([p[3] for p in ps])
    same_len = np.abs(lengths[:, None] - lengths[None, :]) <= 0.2 * np.maximum(lengths[:, None], lengths[None, :])
    # both stroked, or both thin filled bars of one thickness (an "x" or "+" converted to outlines)
    stroked = np.array([p[0].stroke is not None for p in ps])
    thick = np.array([p[4] for p in ps])
    bar = stroked | ((lengths >= 2.5 * thick) & (lengths >= 2.0))  # not the short capsules of a dense curve
    same_kind = (stroked[:, None] & stroked[None, :]) | (
        ~stroked[:, None] & ~stroked[None, :] & bar[:, None] & bar[None, :]
        & (np.abs(thick[:, None] - thick[None, :]) <= 0.2 * np.maximum(thick[:, None], thick[None, :])))
    np.fill_diagonal(d, np.inf)
    crossed = ((d < 0.3) & (cos < 0.87) & same_len & same_kind).any(1)
    if not crossed.any():
        return ps
    keep.extend({id(p[0]): p[0] for p, c in zip(ps, crossed, strict=True) if c}.values())
    return [p for p, c in zip(ps, crossed, strict=True) if not c]


def _split_subpaths(s: Shape) -> list[Shape]:
    """The path's subpaths as shapes of its style (same drawing index)."""
    out: list[Shape] = []
    cur: list[tuple[float, float, float, float]] = []
    for seg in s.segments:
        if cur and (abs(cur[-1][2] - seg[0]) > 0.01 or abs(cur[-1][3] - seg[1]) > 0.01):
            out.append(cur)
            cur = []
        cur.append(seg)
    if cur:
        out.append(cur)
    shapes = []
    for segs in out:
        xs = [v for g in segs for v in (g[0], g[2])]
        ys = [v for g in segs for v in (g[1], g[3])]
        closed = abs(segs[0][0] - segs[-1][2]) <= 0.01 and abs(segs[0][1] - segs[-1][3]) <= 0.01
        shapes.append(Shape(s.idx, s.stroke, s.fill, s.width, s.dashed, (min(xs), min(ys), max(xs), max(ys)), segs, 0,
                            closed))
    return shapes


def _piece(s: Shape, bw: float, bh: float) -> tuple | None:
    """(centre, unit axis, length, thickness, end, end) of a shape that may be one piece of a broken-up line: a thin
    filled outline (its centre line's ends, round or square caps trimmed), or a short stroked open polyline of 2+
    segments (a dash along a curve; its first and last points)."""
    if max(s.w, s.h) > 0.3 * min(bw, bh):
        return None
    if s.stroke is None:
        if s.fill is None or _is_white(s.fill) or len(s.segments) < 3:
            return None
        geo = _piece_geometry(s)
        if geo is None or not 0.05 <= geo[3] <= PIECE_MAX_WIDTH:
            return None
        centre, ax, length, thick = geo
        half = max(0.0, length - thick) / 2
        return centre, ax, length, thick, centre - ax * half, centre + ax * half
    if s.fill is not None or _is_white(s.stroke) or s.closed or s.width > PIECE_MAX_WIDTH or max(s.w, s.h) > 15.0 \
            or not s.is_chain():
        return None
    if len(s.segments) == 1 and (s.w < 0.05 or s.h < 0.05):  # error bars, caps and ticks are level or upright
        return None
    v = np.asarray(s.vertices(), dtype=float)
    e0, e1 = v[0], v[-1]
    length = float(np.hypot(*(e1 - e0)))
    if length < 0.3 or np.abs(e0 - e1).max() <= 0.01:
        return None
    return (e0 + e1) / 2, (e1 - e0) / length, length, max(float(s.width), 0.1), e0, e1


def _outline_piece_lines(cands: list[Shape], box: Box) -> tuple[list[_Group], list[Shape]]:
    """Lines drawn piece by piece: thin filled shapes (a stroke converted to outlines, at most PIECE_MAX_WIDTH
    across) or short stroked polylines (`_piece`) of one colour that follow each other end to end, overlapping (one
    capsule per segment of a dense curve) or with short gaps along their direction (the dashes of a dashed line).
    Chains of 4+ pieces that span 8 % of the panel become one line (points: each piece's ends); the other shapes
    are returned as they were."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    by_colour: dict[tuple, list[tuple]] = defaultdict(list)
    keep: list[Shape] = []
    for s in cands:
        parts = [s]
        if s.stroke is None and len(s.segments) >= 6 and not s.is_chain():  # a dashed curve as one path of dashes
            parts = _split_subpaths(s)
        pieces = [_piece(q, bw, bh) for q in parts]
        if any(p is None for p in pieces) or (len(parts) > 1 and len(parts) < 4) \
                or (len(parts) > 1 and not all(p[2] >= 1.5 * p[3] for p in pieces)):  # dashes, not a path of markers
            keep.append(s)
            continue
        key = (s.fill, None) if s.stroke is None else (s.stroke, round(s.width, 2))
        by_colour[key].extend((s, *p) for p in pieces)
    groups: list[_Group] = []
    taken: set[int] = set()
    for (colour, _), ps in by_colour.items():
        ps = _drop_crossed(ps, keep)
        if len(ps) < 4:
            keep.extend(p[0] for p in ps)
            continue
        cen = np.array([p[1] for p in ps])
        axs = np.array([p[2] for p in ps])
        lengths = np.array([p[3] for p in ps])
        thick = np.array([p[4] for p in ps])
        ends = np.array([[p[5], p[6]] for p in ps])  # (n, 2, 2)
        half = np.hypot(*(ends[:, 1] - ends[:, 0]).T) / 2
        tol = float(min(8.0, max(2.5, 2.0 * np.median(lengths))))
        parent = list(range(len(ps)))
        find = _finder(parent)
        reach = tol + lengths.max() / 2 + 1.0
        cells: dict[tuple[int, int], list[int]] = defaultdict(list)
        for i, (x, y) in enumerate(cen):
            cells[(int(x // reach), int(y // reach))].append(i)
        adj: dict[int, list[int]] = defaultdict(list)
        gapped: set[tuple[int, int]] = set()  # links across a gap (dashes)
        for (cx, cy), members in cells.items():
            near = [j for dx in (-1, 0, 1) for dy in (-1, 0, 1) for j in cells.get((cx + dx, cy + dy), ())]
            for i in members:
                for j in near:
                    if j <= i:
                        continue
                    diff = ends[i][:, None, :] - ends[j][None, :, :]
                    dist = np.sqrt((diff ** 2).sum(-1))
                    a, b = np.unravel_index(int(np.argmin(dist)), dist.shape)
                    gap = float(dist[a, b]) - (thick[i] + thick[j]) / 2
                    if gap > tol:
                        continue
                    if gap > 0.6:  # a gap between dashes lies along the dashes (along one of them at a corner)
                        g = ends[j][b] - ends[i][a]
                        g = g / max(1e-9, float(np.hypot(*g)))
                        if all(lengths[k] >= 1.5 * thick[k] and abs(float(g @ axs[k])) < 0.8 for k in (i, j)):
                            continue
                    adj[i].append(j)
                    adj[j].append(i)
                    if gap > 0.6:
                        gapped.add((i, j))
                    parent[find(i)] = find(j)
        comps: dict[int, list[int]] = defaultdict(list)
        for i in range(len(ps)):
            comps[find(i)].append(i)
        for comp in comps.values():
            pts_c = cen[comp]
            if len(comp) < 4 or (np.ptp(pts_c[:, 0]) < 0.08 * bw and np.ptp(pts_c[:, 1]) < 0.08 * bh):
                keep.extend(ps[i][0] for i in comp)
                continue
            if any(id(ps[i][0]) in taken for i in comp):  # a path's dashes split over several chains: one is enough
                continue
            order = _walk(comp, adj, cen)
            pts: list[tuple[float, float]] = []
            for n, i in enumerate(order):
                e0, e1 = ends[i]
                if pts and np.hypot(*(e1 - pts[-1])) < np.hypot(*(e0 - pts[-1])):
                    e0, e1 = e1, e0
                elif not pts and len(order) > 1:  # the first piece: its far end leads to the next one
                    nx = cen[order[n + 1]]
                    if np.hypot(*(e0 - nx)) < np.hypot(*(e1 - nx)):
                        e0, e1 = e1, e0
                for e in (e0, e1) if half[i] > 0 else (cen[i],):
                    if not pts or np.hypot(e[0] - pts[-1][0], e[1] - pts[-1][1]) > 0.05:
                        pts.append((float(e[0]), float(e[1])))
            pts = [pt for pt in pts if _inside(pt[0], pt[1], box, 1.0)]
            if len(pts) < 3:
                keep.extend(ps[i][0] for i in comp)
                continue
            members = list({id(ps[i][0]): ps[i][0] for i in comp}.values())
            taken.update(id(m) for m in members)
            gaps = sum(1 for i, j in zip(order, order[1:]) if j in adj[i] and (min(i, j), max(i, j)) in gapped)  # noqa: B905
            groups.append(_Group("line", members[0].style_key(), members, pts, color=colour,
                                 width=round(float(np.median(thick[comp])), 2), dashed=gaps >= len(comp) // 2,
                                 first_idx=min(m.idx for m in members)))
    if not groups:
        return [], cands
    kept = {id(s) for s in keep if id(s) not in taken}
    return groups, [s for s in cands if id(s) in kept]


def _finder(parent: list[int]):
    """Union-find root lookup over `parent` (path halving)."""
    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    return find


def _walk(comp: list[int], adj: dict[int, list[int]], cen: np.ndarray) -> list[int]:
    """The pieces of one chain in drawing order along it: from the leftmost end piece, each time the nearest
    unvisited linked piece, or the nearest unvisited piece when none is linked (a branch's end). A spur of three
    pieces or fewer (5 % of a long chain) left at the end within the x range walked is dropped, not joined by a jump
    back along the curve (a tail beyond that range is still joined)."""
    comp_arr = np.asarray(comp)
    ends = [i for i in comp if len(adj.get(i, ())) <= 1] or comp
    cur = min(ends, key=lambda i: (cen[i][0], cen[i][1]))
    seen = {cur}
    order = [cur]
    while len(order) < len(comp):
        nxt = [j for j in adj.get(cur, ()) if j not in seen]
        if nxt:
            cur = min(nxt, key=lambda j: float(np.hypot(*(cen[j] - cen[cur]))))
        else:
            left = comp_arr[[i not in seen for i in comp]]
            if len(left) <= max(3, 0.05 * len(comp)):  # a short spur off a piece passed long ago: no jump back to it
                done = cen[order][:, 0]
                if ((cen[left][:, 0] >= done.min()) & (cen[left][:, 0] <= done.max())).all():
                    break
            d = np.hypot(*(cen[left] - cen[cur]).T)
            cur = int(left[int(np.argmin(d))])
        seen.add(cur)
        order.append(cur)
    return order


def _legend_column(g: _Group) -> bool:
    """A marker set of 3-8 points stacked in one column at an even spacing (the samples of a legend, or a column of
    glyphs), or of up to 8 points all on one spot (the parts of one symbol): not data."""
    if g.kind != "markers" or len(g.points) > 8 or (g.faced and len(g.points) < 3):
        return False
    pts = np.asarray(g.points, dtype=float)
    if np.ptp(pts[:, 0]) < 1.0 and np.ptp(pts[:, 1]) < 1.0:  # all on one spot: parts of one symbol (an arrowhead)
        return True
    if len(g.points) < 3:
        return False
    if np.ptp(pts[:, 0]) > 0.5:
        return False
    d = np.diff(np.sort(pts[:, 1]))
    return bool(d.min() > 0 and d.std() <= 0.1 * d.mean())


def _guide_line(g: _Group) -> bool:
    """A dashed or dotted upright straight line: a guide marking an x value (a transition, a crossing), not a
    series (a series is a function of x)."""
    if g.kind != "line" or not g.dashed or len(g.points) < 2:
        return False
    pts = np.asarray(g.points, dtype=float)
    return bool(np.ptp(pts[:, 0]) < 0.5 and np.ptp(pts[:, 1]) > 2.0)


def _in_text(g: _Group, lines: list[TextLine]) -> bool:
    """Half or more of a marker set's points (all of a short line's) inside text boxes: the glyph outlines of words
    (read by OCR or not) grouped as markers, not data."""
    if not lines or (g.kind != "markers" and len(g.points) > 6):
        return False
    tb = np.array([t.bbox for t in lines], dtype=float)
    h = tb[:, 3] - tb[:, 1]
    tb = tb[h <= 1.5 * float(np.median(h))]  # text-sized boxes only (not a run of markers read as a "word")
    pts = np.asarray(g.points, dtype=float)
    inside = ((pts[:, None, 0] >= tb[None, :, 0] - 0.5) & (pts[:, None, 0] <= tb[None, :, 2] + 0.5)
              & (pts[:, None, 1] >= tb[None, :, 1] - 0.5) & (pts[:, None, 1] <= tb[None, :, 3] + 0.5)).any(1)
    return bool(inside.mean() >= (0.5 if g.kind == "markers" else 1.0))


def _on_frame(g: _Group, box: Box, tol: float = 1.5) -> bool:
    """Every point on the plot frame: a frame piece or a tick row, not data. A coloured curve of many points that
    stays at the frame (a ratio that never leaves 1.000 on a plot whose top is 1.000) is data all the same."""
    if len(g.points) >= 20 and g.color is not None and len({g.color[1:3], g.color[3:5], g.color[5:7]}) > 1:
        return False
    return all(
        min(abs(x - box[0]), abs(x - box[2])) <= tol or min(abs(y - box[1]), abs(y - box[3])) <= tol for x, y in g.points
    )


def _encloses_nothing(s: Shape) -> bool:
    """A filled path that runs out and back along itself (a curved arrow's shaft written as a fill) encloses no area
    and paints nothing: under 0.02 pt of mean width over its length."""
    if len(s.segments) < 4:
        return False
    area = 0.0
    for v in _subpaths(s):
        area += abs(float(np.dot(v[:-1, 0], v[1:, 1]) - np.dot(v[1:, 0], v[:-1, 1]))) / 2
    length = sum(float(np.hypot(x1 - x0, y1 - y0)) for x0, y0, x1, y1 in s.segments)
    return length > 0 and area < 0.01 * length


def _subpaths(s: Shape) -> list[np.ndarray]:
    """The path's vertices split where a segment does not start at the previous one's end."""
    out: list[list[tuple[float, float]]] = []
    for x0, y0, x1, y1 in s.segments:
        if not out or abs(out[-1][-1][0] - x0) > 0.01 or abs(out[-1][-1][1] - y0) > 0.01:
            out.append([(x0, y0)])
        out[-1].append((x1, y1))
    return [np.asarray(v, dtype=float) for v in out]


def _outline_centre(s: Shape, box: Box, v: np.ndarray | None = None) -> list[tuple[float, float]]:
    """The centre line of a stroke drawn as a filled outline (`v`: its vertices, default the whole path's): the
    outline split at its leftmost and rightmost vertices into an upper and a lower side, averaged at the upper
    side's x positions."""
    v = np.asarray(s.vertices(), dtype=float) if v is None else v
    if len(v) < 6:
        return []
    i0, i1 = int(np.argmin(v[:, 0])), int(np.argmax(v[:, 0]))
    a, b = sorted((i0, i1))
    side1, side2 = v[a: b + 1], np.concatenate([v[b:], v[: a + 1]])
    if len(side1) < 2 or len(side2) < 2:
        return []
    o1, o2 = np.argsort(side1[:, 0]), np.argsort(side2[:, 0])
    x1, y1 = side1[o1, 0], side1[o1, 1]
    x2, y2 = side2[o2, 0], side2[o2, 1]
    ym = (y1 + np.interp(x1, x2, y2)) / 2
    width = float(np.median(np.abs(y1 - np.interp(x1, x2, y2))))
    if width > 4.0:  # steep stretches (oscillations) or a filled area: measure across the stroke instead
        proj = _nearest_on_polyline(side1, side2)
        across = np.hypot(*(side1 - proj).T)
        # a stroke is thin and about as wide everywhere; a filled band (colour map, shaded area) is not
        if float(np.median(across)) > 2.0 or float(np.percentile(across, 90)) > 3.0:
            return []
        mid = (side1 + proj) / 2  # in the outline's own order: the curve need not be a function of x
        return [(float(x), float(y)) for x, y in mid if _inside(x, y, box, 1.0)]
    return [(float(x), float(y)) for x, y in zip(x1, ym, strict=True) if _inside(x, y, box, 1.0)]


def _nearest_on_polyline(pts: np.ndarray, line: np.ndarray) -> np.ndarray:
    """For each point, the nearest point of the polyline."""
    out = np.empty_like(pts)
    a, ab = line[:-1], line[1:] - line[:-1]
    n2 = (ab ** 2).sum(-1)
    n2[n2 == 0] = 1e-18
    for k in range(0, len(pts), 256):  # bounded memory on long outlines
        p = pts[k: k + 256]
        u = np.clip((((p[:, None, :] - a[None]) * ab[None]).sum(-1)) / n2[None], 0, 1)
        proj = a[None] + u[..., None] * ab[None]
        d = ((p[:, None, :] - proj) ** 2).sum(-1)
        out[k: k + 256] = proj[np.arange(len(p)), d.argmin(1)]
    return out


def _marker_name(s: Shape) -> str:
    n = len(s.segments)
    if s.n_curves:
        return "circle"
    if n == 2 and not s.closed:
        return "cross"
    if s.closed and n == 4 and abs(s.w - s.h) < 0.2:
        return "diamond" if all(abs(x0 - x1) > 0.05 and abs(y0 - y1) > 0.05 for x0, y0, x1, y1 in s.segments) else "square"
    if s.closed and n == 3:
        return "triangle"
    return "path"


def _attach_error_bars(g: _Group, bars: list[Shape], caps: list[Shape], used: set[int]) -> None:
    cols = {g.color} | {s.stroke for s in g.shapes[:1] if s.stroke}  # the face's colour or the edge's
    mine = [b for b in bars if b.stroke in cols and b.idx not in used]
    if not mine:
        return
    xs = np.asarray([b.cx for b in mine])
    yerr: list[float | None] = []
    found = 0
    for px, py in g.points:
        k = np.nonzero(np.abs(xs - px) < 0.3)[0]
        best = None
        for j in k:
            b = mine[int(j)]
            if b.rect[1] - 0.5 <= py <= b.rect[3] + 0.5:
                best = b
                break
        if best is None:
            yerr.append(None)
            continue
        used.add(best.idx)
        found += 1
        yerr.append(max(py - best.rect[1], best.rect[3] - py))
        for c in caps:
            if c.stroke in cols and abs(c.cx - px) < 0.3 and (abs(c.cy - best.rect[1]) < 0.3 or abs(c.cy - best.rect[3]) < 0.3):
                used.add(c.idx)
    if found:
        g.yerr = yerr


def _chains(ss: list[Shape], box: Box) -> list[tuple[list[tuple[float, float]], list[Shape]]]:
    """Shapes of one style as polylines: multi-segment paths as they are, single segments joined end to end."""
    out = []
    singles: list[Shape] = []
    for s in sorted(ss, key=lambda s: s.idx):
        # a closed path is a marker when small, and a drawn symbol (a lens, a block of a schematic) when it closes
        # after six sides or fewer: a curve of data does not come back to where it started
        if len(s.segments) >= 2 and s.is_chain() and not (s.closed and (s.w < 20 and s.h < 20 or len(s.segments) <= 6)) \
                and not _is_box(s):
            pts = [pt for pt in s.vertices() if _inside(pt[0], pt[1], box, 1.0)]
            out.append((pts, [s]))
        elif len(s.segments) == 1:
            singles.append(s)
    if singles:
        ends: dict[tuple[float, float], list[int]] = defaultdict(list)
        for i, s in enumerate(singles):
            x0, y0, _, _ = s.segments[0]
            ends[(round(x0, 1), round(y0, 1))].append(i)
        seen: set[int] = set()
        for i, s in enumerate(singles):
            if i in seen:
                continue
            chain = [(s.segments[0][0], s.segments[0][1]), (s.segments[0][2], s.segments[0][3])]
            members = [s]
            seen.add(i)
            while True:
                nxt = [j for j in ends.get((round(chain[-1][0], 1), round(chain[-1][1], 1)), []) if j not in seen]
                if not nxt:
                    break
                j = nxt[0]
                seen.add(j)
                members.append(singles[j])
                chain.append((singles[j].segments[0][2], singles[j].segments[0][3]))
            if len(members) >= 2:
                out.append(([pt for pt in chain if _inside(pt[0], pt[1], box, 1.0)], members))
    return out


def _join_lines(groups: list[_Group], tol: float = 1.5) -> list[_Group]:
    """Lines of one style whose ends meet joined into one (a curve drawn as several paths, split where it turns
    or where a dashed curve's pieces stop linking)."""
    lines = [g for g in groups if g.kind == "line" and len(g.points) >= 2]
    gone: set[int] = set()
    changed = True
    while changed:
        changed = False
        for a in lines:
            if id(a) in gone:
                continue
            for b in lines:
                if a is b or id(b) in gone or a.color != b.color or a.dashed != b.dashed \
                        or abs((a.width or 0) - (b.width or 0)) > 0.1:
                    continue
                a0, a1, b0, b1 = a.points[0], a.points[-1], b.points[0], b.points[-1]
                t = 3 * tol if a.dashed else tol  # dashed: the gap between two dashes
                near = lambda p, q, t=t: abs(p[0] - q[0]) <= t and abs(p[1] - q[1]) <= t  # noqa: E731
                if near(a1, b0):
                    pts = a.points + b.points[1:]
                elif near(a1, b1):
                    pts = a.points + b.points[::-1][1:]
                elif near(a0, b1):
                    pts = b.points + a.points[1:]
                elif near(a0, b0):
                    pts = b.points[::-1] + a.points[1:]
                else:
                    continue
                a.points, a.shapes = pts, a.shapes + b.shapes
                a.first_idx = min(a.first_idx, b.first_idx)
                gone.add(id(b))
                changed = True
    return [g for g in groups if id(g) not in gone]


def _is_box(s: Shape) -> bool:
    """A closed axis-aligned rectangle (a drawn box: inset frame, schematic block, text frame), never a data curve."""
    v = s.vertices()
    if not 4 <= len(v) <= 5 or (len(v) == 5 and (abs(v[0][0] - v[-1][0]) > 0.01 or abs(v[0][1] - v[-1][1]) > 0.01)):
        return False
    if len(v) == 4 and not s.closed:
        return False
    return all(abs(x0 - x1) < 0.05 or abs(y0 - y1) < 0.05 for x0, y0, x1, y1 in s.segments)


def _merge_line_markers(groups: list[_Group]) -> list[_Group]:
    """A line and a marker set of the same colour drawn together are one series (points from the markers)."""
    lines = [g for g in groups if g.kind == "line"]
    marks = [g for g in groups if g.kind == "markers"]
    drop: set[int] = set()
    for m in marks:
        for ln in lines:
            if id(ln) in drop or ln.color != m.color or ln.bridge:
                continue
            if len(ln.points) > 4 * len(m.points):  # a dense curve: a fit through the markers, or the data with a
                continue  # marker every few points; either way both series say something the other does not
            if _reaches_beyond(np.asarray(ln.points, float), np.asarray(m.points, float)):
                continue  # a fit or a model curve running on past the data, not the line joining the markers
            hits = int((_dist_to_polyline(np.asarray(m.points, float), np.asarray(ln.points, float)) < 1.0).sum())
            if hits >= 0.8 * len(m.points):
                m.kind = "line+markers"
                m.width = ln.width
                m.first_idx = min(m.first_idx, ln.first_idx)
                drop.add(id(ln))
                break
    # a line broken at each marker (Origin draws the connecting line in pieces that stop at the markers, which then
    # chain as dashes or stay apart): every piece of the marker's colour lying on the polyline through the markers
    # (in x order) is that polyline, drawn
    for m in marks:
        if len(m.points) < 3:
            continue
        poly = np.asarray(sorted(m.points), dtype=float)
        on: list[_Group] = []
        for ln in lines:
            if id(ln) in drop or ln.color != m.color or len(ln.points) > 4 * len(m.points):
                continue
            lp = np.asarray(ln.points, dtype=float)
            if lp[:, 0].min() < poly[0, 0] - 1.0 or lp[:, 0].max() > poly[-1, 0] + 1.0:
                continue
            if (_dist_to_polyline(lp, poly) < 1.0).mean() >= 0.9:
                on.append(ln)
        if not on:
            continue
        # the pieces must draw most of the polyline (else the markers hold strays, e.g. legend samples)
        mids = (poly[1:] + poly[:-1]) / 2
        near = np.zeros(len(mids), dtype=bool)
        for ln in on:
            near |= _dist_to_polyline(mids, np.asarray(ln.points, dtype=float)) < 1.0
        # (a gap between two markers under 2.5 marker sizes may hold no piece: the markers all but touch)
        msize = max((max(s.w, s.h) for s in m.shapes), default=0.0)
        wide = np.hypot(*(poly[1:] - poly[:-1]).T) > 2.5 * msize
        if near.mean() < 0.8 and not (wide.any() and near[wide].mean() >= 0.8):
            continue
        for ln in on:
            m.kind = "line+markers"
            m.width = m.width or ln.width
            m.first_idx = min(m.first_idx, ln.first_idx)
            drop.add(id(ln))
    return [g for g in groups if id(g) not in drop]


def _reaches_beyond(line: np.ndarray, marks: np.ndarray) -> bool:
    """The line runs on past the markers, in x or in y, for more than half its own extent, and the markers are not
    its vertices (a line with a marker every few points is one series)."""
    d = np.sqrt(((marks[:, None, :] - line[None, :, :]) ** 2).sum(-1)).min(1)
    if (d < 0.3).mean() >= 0.8:
        return False
    for k in (0, 1):
        lo, hi = float(marks[:, k].min()), float(marks[:, k].max())
        span = float(np.ptp(line[:, k]))
        out = max(0.0, lo - float(line[:, k].min())) + max(0.0, float(line[:, k].max()) - hi)
        if span > 0 and out > max(2.0, 0.5 * span):
            return True
    return False


def _dist_to_polyline(pts: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Distance of each point to the polyline (its vertices when it has one)."""
    if len(line) == 0:
        return np.full(len(pts), np.inf)
    best = np.sqrt(((pts[:, None, :] - line[None, :, :]) ** 2).sum(-1)).min(1)
    if len(line) >= 2:
        best = np.minimum(best, np.sqrt(((pts - _nearest_on_polyline(pts, line)) ** 2).sum(-1)))
    return best


def _attach_labels(groups: list[_Group], legend: dict) -> None:
    for t, samples in legend.values():
        colours = {s.color for s in samples}
        sigs = {(s.style_key(), s.signature()) for s in samples}
        styles = {s.style_key() for s in samples}
        best = None
        for g in groups:
            if g.label is not None:
                continue
            if g.kind != "line" and g.key in sigs:
                best = g
                break
            if g.kind == "line" and g.key in styles:
                best = g
                break
        if best is None:
            best = next((g for g in groups if g.label is None and g.color in colours), None)
        if best is not None:
            best.label = t.plain.strip()


# ---------------------------------------------------------------------------------------------- titles


def _axis_info(ax: CalAxis, lines: list[TextLine], p: Panel, which: str) -> Axis:
    title = _title(ax, lines, p, which)
    prop, unit_raw, unit = read_title(title) if title else (None, None, None)
    vals = ax.fit.to_data([ax.line.lo, ax.line.hi]) if ax.fit else (None, None)
    lo, hi = (sorted(float(v) for v in vals) if ax.fit else (None, None))
    return Axis(
        title=title, property_id=prop, unit_raw=unit_raw, unit=unit, scale=ax.fit.scale if ax.fit else "linear",
        lo=_r(lo) if lo is not None else None, hi=_r(hi) if hi is not None else None, offset_exponent=ax.offset,
        n_ticks=ax.fit.n if ax.fit else 0, residual=_r(ax.fit.residual) if ax.fit else None,
        side=ax.side,
    )


def _title(ax: CalAxis, lines: list[TextLine], p: Panel, which: str) -> str | None:
    tick_ids = {id(t) for t, _ in ax.labels}
    x0, y0, x1, y1 = p.box
    if which == "x":
        below = max((t.bbox[3] for t, _ in ax.labels), default=y1)
        mid = max((t.cy for t, _ in ax.labels), default=y1)
        c = [t for t in lines if t.horizontal and id(t) not in tick_ids and t.cy >= mid + 0.5 * t.size
             and x0 - 5 <= t.cx <= x1 + 5 and t.bbox[1] - below <= 2.5 * t.size and parse_tick(t.text) is None]
        c.sort(key=lambda t: t.bbox[1])
    else:
        if which == "y":
            edge = min((t.bbox[0] for t, _ in ax.labels), default=x0)
            c = [t for t in lines if t.vertical and t.bbox[2] <= edge + 2 and edge - t.bbox[2] <= 3 * t.size
                 and y0 - 5 <= t.cy <= y1 + 5]
            c.sort(key=lambda t: -t.bbox[2])
        else:
            edge = max((t.bbox[2] for t, _ in ax.labels), default=x1)
            c = [t for t in lines if t.vertical and t.bbox[0] >= edge - 2 and t.bbox[0] - edge <= 3 * t.size
                 and y0 - 5 <= t.cy <= y1 + 5]
            c.sort(key=lambda t: t.bbox[0])
    return c[0].plain.strip() if c else None


_UNIT_RE = [
    re.compile(r"^(?P<name>.+?)\s*\((?P<unit>[^()]*(?:\([^()]*\)[^()]*)*)\)\s*$"),
    re.compile(r"^(?P<name>.+?)\s*\[(?P<unit>[^\]]*)\]\s*$"),
    re.compile(r"^(?P<name>.+?)\s+/\s+(?P<unit>.+)$"),
    re.compile(r"^(?P<name>.+?),\s*(?P<unit>[^,]+)$"),
]


_ARBITRARY = re.compile(r"^(a\.\s?u\.?|arb\.?\s*u(nits?|\.)?|arbitrary units?|norm\.?|normalized)$", re.I)


def read_title(title: str) -> tuple[str | None, str | None, str | None]:
    """(property or condition id, raw unit, canonical unit) of an axis title like "Temperature (K)", "ρ (mΩ cm)",
    "Capacity / mAh g−1"; parts that cannot be read are None."""
    from schemas.units import parse_unit, same_dimension
    from schemas.vocab import (
        disambiguate,
        find_condition_keywords,
        find_property_mentions,
        load_vocabulary,
        unit_fits_property,
    )

    name, unit_raw = title.strip(), None
    for rx in _UNIT_RE:
        m = rx.match(name)
        if m and _ARBITRARY.match(m.group("unit").strip()):
            name = m.group("name").strip()
            break
        if m and m.group("unit").strip() and parse_unit(m.group("unit").strip()) is not None:
            name, unit_raw = m.group("name").strip(), m.group("unit").strip()
            break
    vocab = load_vocabulary()
    prop_id = None
    canon = None
    groups = [[m.property_id, *m.candidates] for m in find_property_mentions(name, vocab)]
    if not groups and len(name) <= 8:  # a bare symbol: "ρ", "M", "Jc"
        groups = [[p.id for p in vocab.properties if name in p.symbols]]
    for cands in groups:
        ids = [c for c in dict.fromkeys(cands) if c]
        if unit_raw is not None:
            ids = [i for i in ids if vocab.get(i) and unit_fits_property(unit_raw, i, vocab)]
        pid = disambiguate(ids, unit_raw, name, vocab=vocab) if ids else None
        if pid:
            prop_id, canon = pid, vocab.property(pid).canonical_unit
            break
    if prop_id is None:
        for c in find_condition_keywords(name, vocab):
            cd = vocab.condition(c.condition_id)
            if unit_raw is None or cd.canonical_unit is None or same_dimension(unit_raw, cd.canonical_unit):
                prop_id, canon = cd.id, cd.canonical_unit
                break
    if unit_raw is None and prop_id is None:
        return None, None, None
    unit = canon if unit_raw is not None and canon is not None and same_dimension(unit_raw, canon) else None
    return prop_id, unit_raw, unit

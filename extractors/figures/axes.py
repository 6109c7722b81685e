"""Plot axes in vector drawings: axis lines with numeric tick labels, tick marks, panels and their calibration.

An x axis is a long horizontal line with a row of numeric labels just below it; a y axis a long vertical line with
a column of numeric labels just left (or, for a second y axis, right) of it. An x and a y axis meeting at a corner
make a panel. Each label is tied to the tick mark nearest it (tick marks sit exactly at the values; label boxes only
roughly), and the tick positions and values are fitted linear or log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from extractors.figures.common import Box, Shape, TextLine
from extractors.figures.ticks import AxisFit, Tick, fit_axis, parse_offset, parse_tick

MIN_AXIS_LEN = 25.0  # points


@dataclass
class Seg:
    x0: float
    y0: float
    x1: float
    y1: float
    shape: int  # Shape.idx
    color: str | None

    @property
    def length(self) -> float:
        return max(self.x1 - self.x0, self.y1 - self.y0)


@dataclass
class AxisLine:
    orient: str  # "h" | "v"
    pos: float  # y of a horizontal line, x of a vertical one
    lo: float  # extent along the line
    hi: float
    shapes: set[int] = field(default_factory=set)

    @property
    def length(self) -> float:
        return self.hi - self.lo


@dataclass
class CalAxis:
    line: AxisLine
    side: str  # "bottom" | "left" | "right"
    labels: list[tuple[TextLine, Tick]]
    ticks: list[float] = field(default_factory=list)  # tick mark positions along the axis
    fit: AxisFit | None = None
    offset: int | None = None
    offset_line: TextLine | None = None
    used_ticks: bool = False
    problem: str | None = None


@dataclass
class Panel:
    box: Box  # plot area (x0, y0, x1, y1)
    x: CalAxis
    y: CalAxis
    y2: CalAxis | None = None
    label: str | None = None  # "a", "b"
    arrows: list = field(default_factory=list)  # (tail, tip) page points of annotation arrows in the plot area

    @property
    def calibrated(self) -> bool:
        return self.x.fit is not None and self.y.fit is not None and self.x.problem is None and self.y.problem is None


_WHITES = {"#ffffff", "#fefefe", "#fdfdfd"}


def _subpath_boxes(s: Shape) -> list[tuple[float, float, float, float]]:
    """Bounding boxes of the path's subpaths (split where a segment does not start at the previous one's end)."""
    boxes: list[list[float]] = []
    last = None
    for x0, y0, x1, y1 in s.segments:
        if last is None or abs(last[0] - x0) > 0.01 or abs(last[1] - y0) > 0.01:
            boxes.append([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)])
        else:
            b = boxes[-1]
            b[0], b[1], b[2], b[3] = min(b[0], x0, x1), min(b[1], y0, y1), max(b[2], x0, x1), max(b[3], y0, y1)
        last = (x1, y1)
    return [tuple(b) for b in boxes]


def straight_lines(shapes: list[Shape], min_len: float = MIN_AXIS_LEN) -> tuple[list[Seg], list[Seg]]:
    """Long horizontal and vertical straight pieces: stroked segments and thin filled bars."""
    hs: list[Seg] = []
    vs: list[Seg] = []
    for s in shapes:
        if s.stroke is None and s.fill is not None:
            for x0, y0, x1, y1 in _subpath_boxes(s):  # thin filled bars (a stroke converted to a fill)
                if y1 - y0 <= 1.5 and x1 - x0 >= min_len:
                    hs.append(Seg(x0, (y0 + y1) / 2, x1, (y0 + y1) / 2, s.idx, s.fill))
                elif x1 - x0 <= 1.5 and y1 - y0 >= min_len:
                    vs.append(Seg((x0 + x1) / 2, y0, (x0 + x1) / 2, y1, s.idx, s.fill))
            if s.w >= min_len and s.h >= min_len and len(s.segments) <= 40 and s.fill not in _WHITES:
                # a frame drawn as a filled ring (outline of a stroked rectangle): its long level and upright edges
                for x0, y0, x1, y1 in s.segments:
                    if abs(y1 - y0) <= 0.1 and abs(x1 - x0) >= min_len:
                        hs.append(Seg(min(x0, x1), y0, max(x0, x1), y0, s.idx, s.fill))
                    elif abs(x1 - x0) <= 0.1 and abs(y1 - y0) >= min_len:
                        vs.append(Seg(x0, min(y0, y1), x0, max(y0, y1), s.idx, s.fill))
            continue
        if s.stroke is None:
            continue
        for x0, y0, x1, y1 in s.segments:
            if abs(y1 - y0) <= 0.5 and abs(x1 - x0) >= min_len:
                hs.append(Seg(min(x0, x1), (y0 + y1) / 2, max(x0, x1), (y0 + y1) / 2, s.idx, s.stroke))
            elif abs(x1 - x0) <= 0.5 and abs(y1 - y0) >= min_len:
                vs.append(Seg((x0 + x1) / 2, min(y0, y1), (x0 + x1) / 2, max(y0, y1), s.idx, s.stroke))
    return hs, vs


def merge_lines(segs: list[Seg], orient: str) -> list[AxisLine]:
    """Collinear overlapping (or touching) pieces joined into lines."""
    items = sorted(segs, key=lambda s: ((s.y0 if orient == "h" else s.x0), (s.x0 if orient == "h" else s.y0)))
    out: list[AxisLine] = []
    for s in items:
        pos = s.y0 if orient == "h" else s.x0
        lo, hi = (s.x0, s.x1) if orient == "h" else (s.y0, s.y1)
        for ln in out:
            if abs(ln.pos - pos) <= 0.6 and lo <= ln.hi + 1.0 and hi >= ln.lo - 1.0:
                ln.lo, ln.hi = min(ln.lo, lo), max(ln.hi, hi)
                ln.shapes.add(s.shape)
                break
        else:
            out.append(AxisLine(orient, pos, lo, hi, {s.shape}))
    return out


def _reach(size: float) -> float:
    return 2.0 * size + 12.0  # tick length + pad + label offset


def find_axes(shapes: list[Shape], lines: list[TextLine]) -> tuple[list[CalAxis], list[CalAxis], list[TextLine]]:
    """(x axes, y axes, offset labels): axis lines holding numeric labels, with tick marks, not yet fitted."""
    hs, vs = straight_lines(shapes)
    hlines, vlines = merge_lines(hs, "h"), merge_lines(vs, "v")
    offsets = [t for t in lines if t.horizontal and parse_offset(t.text) is not None]
    numeric = [(t, parse_tick(t.text)) for t in lines if t not in offsets]
    numeric = [(t, v) for t, v in numeric if v is not None and (t.horizontal or t.vertical)]
    used: set[int] = set()
    x_axes: list[CalAxis] = []
    by_line: dict[int, list] = {}
    for i, (t, _v) in enumerate(numeric):
        if not t.horizontal:
            continue
        best, best_d = None, None
        for j, ln in enumerate(hlines):
            d = t.bbox[1] - ln.pos
            if -0.25 * t.size <= d <= _reach(t.size) and ln.lo - t.size <= t.cx <= ln.hi + t.size:
                if best_d is None or d < best_d:
                    best, best_d = j, d
        if best is not None:
            by_line.setdefault(best, []).append(i)
    for j, idxs in by_line.items():
        labs = _one_row([numeric[i] for i in idxs], "h")
        if len({v.value for _, v in labs}) >= 2:
            used.update(id(t) for t, _ in labs)
            x_axes.append(CalAxis(hlines[j], "bottom", sorted(labs, key=lambda lv: lv[0].cx)))
    y_axes: list[CalAxis] = []
    for side in ("left", "right"):
        by_line = {}
        for i, (t, _v) in enumerate(numeric):
            if id(t) in used:
                continue
            best, best_d = None, None
            for j, ln in enumerate(vlines):
                d = (ln.pos - t.bbox[2]) if side == "left" else (t.bbox[0] - ln.pos)
                if -0.25 * t.size <= d <= _reach(t.size) and ln.lo - 0.5 * t.size <= t.cy <= ln.hi + 0.5 * t.size:
                    if best_d is None or d < best_d:
                        best, best_d = j, d
            if best is not None:
                by_line.setdefault(best, []).append(i)
        for j, idxs in by_line.items():
            labs = _one_row([numeric[i] for i in idxs], "v", side)
            if len({v.value for _, v in labs}) >= 2:
                used.update(id(t) for t, _ in labs)
                y_axes.append(CalAxis(vlines[j], side, sorted(labs, key=lambda lv: lv[0].cy)))
    return x_axes, y_axes, offsets


def _one_row(labs, orient: str, side: str = "left"):
    """Keep the labels of one row (x) or one right/left-aligned column (y): drop stray numbers nearby."""
    if len(labs) < 2:
        return labs
    if len(labs) == 2:  # two labels must line up (a row, or a column aligned on the axis side); else neither counts
        (a, _), (b, _) = labs
        if orient == "h":
            return labs if abs(a.cy - b.cy) <= 0.5 * max(a.size, b.size) else []
        ka, kb = (a.bbox[2], b.bbox[2]) if side == "left" else (a.bbox[0], b.bbox[0])
        return labs if abs(ka - kb) <= 0.5 * max(a.size, b.size) + 1.0 else []
    if orient == "h":
        med = float(np.median([t.cy for t, _ in labs]))
        return [(t, v) for t, v in labs if abs(t.cy - med) <= 0.5 * t.size]
    key = (lambda t: t.bbox[2]) if side == "left" else (lambda t: t.bbox[0])
    med = float(np.median([key(t) for t, _ in labs]))
    return [(t, v) for t, v in labs if abs(key(t) - med) <= 1.5 * t.size]


def tick_marks(shapes: list[Shape], ax: CalAxis) -> list[tuple[float, float]]:
    """(position, length) of short tick marks perpendicular to the axis line, touching or crossing it."""
    ln = ax.line
    out: dict[float, float] = {}
    # ticks are drawn in the axis line's colour; curves touching the axis in other colours are not ticks
    axis_colours = {s.color for s in shapes if s.idx in ln.shapes}
    for s in shapes:
        if axis_colours and s.color not in axis_colours:
            continue
        segs = s.segments
        if s.stroke is None and s.fill is not None:  # ticks drawn as thin filled bars, one or several per path
            segs = [((x0 + x1) / 2, y0, (x0 + x1) / 2, y1) if y1 - y0 > x1 - x0 else (x0, (y0 + y1) / 2, x1, (y0 + y1) / 2)
                    for x0, y0, x1, y1 in _subpath_boxes(s) if min(x1 - x0, y1 - y0) <= 1.2
                    and 1.0 <= max(x1 - x0, y1 - y0) <= 15]
        for x0, y0, x1, y1 in segs:
            if ln.orient == "h":
                if abs(x1 - x0) <= 0.3 and 1.0 <= abs(y1 - y0) <= 15 and ln.lo - 1 <= x0 <= ln.hi + 1:
                    if min(y0, y1) - 1.0 <= ln.pos <= max(y0, y1) + 1.0:
                        k = round((x0 + x1) / 2, 3)
                        out[k] = max(out.get(k, 0.0), abs(y1 - y0))
            elif abs(y1 - y0) <= 0.3 and 1.0 <= abs(x1 - x0) <= 15 and ln.lo - 1 <= y0 <= ln.hi + 1:
                if min(x0, x1) - 1.0 <= ln.pos <= max(x0, x1) + 1.0:
                    k = round((y0 + y1) / 2, 3)
                    out[k] = max(out.get(k, 0.0), abs(x1 - x0))
    merged: list[tuple[float, float]] = []  # a tick drawn as a thin outlined bar: its two long edges are one mark
    run: list[tuple[float, float]] = []
    for p, length in sorted(out.items()):
        if run and (p - run[0][0] > 0.8 or abs(length - run[0][1]) > 0.3):
            merged.append((sum(q for q, _ in run) / len(run), max(m for _, m in run)))
            run = []
        run.append((p, length))
    if run:
        merged.append((sum(q for q, _ in run) / len(run), max(m for _, m in run)))
    return merged


def _tie(ax: CalAxis, ticks: np.ndarray | None) -> tuple[list[float], list, int]:
    """Label positions (the tick mark each label sits at, else the label's centre) and values; how many were tied."""
    pos, vals = [], []
    n_tied = 0
    for t, v in ax.labels:
        c = t.cx if ax.line.orient == "h" else t.cy
        half = (t.bbox[2] - t.bbox[0] if ax.line.orient == "h" else t.bbox[3] - t.bbox[1]) / 2
        if ticks is not None and len(ticks):
            k = int(np.argmin(np.abs(ticks - c)))
            if abs(ticks[k] - c) <= 0.8 * half + 1.5:
                pos.append(float(ticks[k]))
                vals.append(v)
                n_tied += 1
                continue
        pos.append(c)
        vals.append(v)
    return pos, vals, n_tied


def _tick_sets(marks: list[tuple[float, float]]) -> list[list[float]]:
    """Candidate sets of major tick positions: the longest marks (labels sit at major ticks when minor ticks are
    drawn too), then each group of marks of one length (a data line touching the axis can pass for a tick mark, but
    real ticks share one length)."""
    if not marks:
        return []
    longest = max(length for _, length in marks)
    majors = [p for p, length in marks if length >= 0.75 * longest]
    out = [majors if len(majors) >= 2 else [p for p, _ in marks]]
    groups: list[list[tuple[float, float]]] = []
    for p, length in sorted(marks, key=lambda m: m[1]):
        if groups and length - groups[-1][-1][1] <= 0.3:
            groups[-1].append((p, length))
        else:
            groups.append([(p, length)])
    for g in groups:
        ps = sorted(p for p, _ in g)
        if len(ps) >= 2 and ps not in out:
            out.append(ps)
    return out


def _drop_one_label(pos: list[float], vals: list, max_residual: float) -> tuple[list[float], list]:
    """A misread or stray label (one of five or more) that alone spoils the fit: the fit without it, when that one
    is monotonic with a residual within `max_residual` and no other single label's removal also gives one."""
    ok = []
    for i in range(len(pos)):
        p, v = pos[:i] + pos[i + 1:], vals[:i] + vals[i + 1:]
        fit = fit_axis(p, v)
        if fit is None or fit.residual > max_residual:
            continue
        vv = np.asarray([v[j].value for j in np.argsort(p)])
        if np.all(np.diff(vv) > 0) or np.all(np.diff(vv) < 0):
            ok.append((p, v))
    return ok[0] if len(ok) == 1 else (pos, vals)


def calibrate(ax: CalAxis, shapes: list[Shape], offsets: list[TextLine], max_residual: float) -> None:
    """Tie labels to tick marks, apply an offset label, fit; sets ax.fit or ax.problem. Of the candidate tick sets
    (`_tick_sets`), the first that ties every label with a fit residual within `max_residual` is used; else the one
    tying the most labels with the smallest residual."""
    marks = tick_marks(shapes, ax)
    sets = _tick_sets(marks)
    best = None
    for k, cand in enumerate(sets or [None]):
        ticks = np.asarray(cand) if cand is not None else None
        pos, vals, n_tied = _tie(ax, ticks)
        fit = fit_axis(pos, vals) if len({round(p, 2) for p in pos}) == len(pos) else None
        res = fit.residual if fit is not None else np.inf
        score = (n_tied == len(pos) and res <= max_residual, n_tied, -res, -k)
        if best is None or score > best[0]:
            best = (score, cand, pos, vals, n_tied)
        if k == 0 and score[0]:
            break
    _, chosen, pos, vals, n_tied = best
    if not best[0][0] and n_tied == len(pos) and len(pos) >= 5:
        pos, vals = _drop_one_label(pos, vals, max_residual)
    ax.ticks = list(chosen) if chosen is not None else ax.ticks
    ax.used_ticks = n_tied == len(pos)
    if ax.used_ticks is False and n_tied >= 2:  # keep only the labels that have tick marks
        keep = [(p, v) for p, v, (t, _) in zip(pos, vals, ax.labels) if p != (t.cx if ax.line.orient == "h" else t.cy)]  # noqa: B905
        if len(keep) >= 2:
            pos, vals = [p for p, _ in keep], [v for _, v in keep]
            ax.used_ticks = True
    ax.offset, ax.offset_line = _offset_for(ax, offsets)
    if ax.offset is not None:
        vals = [Tick(v.value * 10.0**ax.offset, v.power) for v in vals]
    if len({round(p, 2) for p in pos}) != len(pos):
        ax.problem = "two tick labels at one tick position"
        return
    fit = fit_axis(pos, vals)
    if fit is None:
        ax.problem = "fewer than two distinct tick values"
        return
    if len(pos) == 2 and fit.scale == "linear":
        fit.residual = 0.0
        ax.problem = None
    ax.fit = fit
    if fit.residual > max_residual:
        ax.problem = f"tick fit residual {fit.residual:.2%} of the axis range (> {max_residual:.2%})"
    order = np.argsort(pos)
    vv = np.asarray([vals[i].value for i in order])
    if len(vv) >= 2 and not (np.all(np.diff(vv) > 0) or np.all(np.diff(vv) < 0)):
        ax.problem = "tick values are not monotonic along the axis"


def _offset_for(ax: CalAxis, offsets: list[TextLine]) -> tuple[int | None, TextLine | None]:
    ln = ax.line
    for t in offsets:
        s = t.size
        if ln.orient == "v" and ax.side == "left":
            ok = ln.lo - 3 * s <= t.cy <= ln.lo + 0.5 * s and ln.pos - 4 * s <= t.cx <= ln.pos + 6 * s
        elif ln.orient == "v":
            ok = ln.lo - 3 * s <= t.cy <= ln.lo + 0.5 * s and ln.pos - 4 * s <= t.cx <= ln.pos + 4 * s
        else:
            ok = ln.hi - 0.3 * ln.length <= t.cx <= ln.hi + 6 * s and ln.pos <= t.cy <= ln.pos + 5 * s
        if ok:
            return parse_offset(t.text), t
    return None, None


def make_panels(x_axes: list[CalAxis], y_axes: list[CalAxis]) -> list[Panel]:
    """Pair x axes with the y axes meeting them at the lower-left corner (and a right y axis at the lower right)."""
    panels: list[Panel] = []
    lefts = [a for a in y_axes if a.side == "left"]
    rights = [a for a in y_axes if a.side == "right"]
    taken: set[int] = set()
    for xa in sorted(x_axes, key=lambda a: (a.line.pos, a.line.lo)):
        h = xa.line
        best, best_d = None, None
        for i, ya in enumerate(lefts):
            v = ya.line
            if i in taken:
                continue
            dx = abs(v.pos - h.lo)
            dy = abs(v.hi - h.pos)
            if dx <= max(6.0, 0.1 * h.length) and dy <= max(6.0, 0.1 * v.length):
                d = dx + dy
                if best_d is None or d < best_d:
                    best, best_d = i, d
        if best is None:
            continue
        taken.add(best)
        ya = lefts[best]
        box = (min(h.lo, ya.line.pos), ya.line.lo, max(h.hi, ya.line.pos), max(h.pos, ya.line.hi))
        y2 = None
        for ra in rights:
            if abs(ra.line.pos - h.hi) <= max(6.0, 0.1 * h.length) and abs(ra.line.hi - h.pos) <= 6.0:
                y2 = ra
                box = (box[0], box[1], max(box[2], ra.line.pos), box[3])
        panels.append(Panel(box=box, x=xa, y=ya, y2=y2))
    return panels

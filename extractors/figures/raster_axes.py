"""Raster plot geometry: axis lines, panels, tick marks, tick-label boxes, tick values and the pixel<->data fit.

Pure numpy/OpenCV on an RGB uint8 image (rows top to bottom, columns left to right). Nothing here reads text:
`raster.py` recognises the label boxes found here (rapidocr, or text spans the caller already knows) and calls
`parse_tick` / `fit_axis` on the result. OpenCV and numpy are imported inside functions (extractors rule).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

DARK = 160  # grey level below which a pixel counts as ink for axes, ticks and labels
TEXT_DARK = 140  # grey level for text ink inside the plot (legend labels)


@dataclass(frozen=True)
class Line:
    """A long axis-parallel line: centre row (horizontal) or column (vertical), extent lo..hi, thickness."""

    pos: float
    lo: int
    hi: int
    t0: int  # first row/column of the stroke
    t1: int  # last row/column of the stroke


@dataclass
class Panel:
    """One plot area found from an L-shaped pair of axis lines (x axis at the bottom, y axis at the left)."""

    x0: int  # y-axis column (pixel)
    x1: int  # right end of the x axis
    y0: int  # top end of the y axis
    y1: int  # x-axis row
    xline: Line
    yline: Line
    right_frame: bool = False
    rline: Line | None = None  # the right frame line, when there is one (a second y axis may hang on it)
    top_frame: bool = False

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


@dataclass
class LabelBox:
    """A tick-label candidate: pixel box (x0, y0, x1, y1), inclusive-exclusive, and later its text."""

    box: tuple[int, int, int, int]
    text: str = ""
    score: float = 0.0
    value: float | None = None
    tick: float | None = None  # pixel position of the matched tick mark (column for x, row for y)

    @property
    def cx(self) -> float:
        return (self.box[0] + self.box[2] - 1) / 2

    @property
    def cy(self) -> float:
        return (self.box[1] + self.box[3] - 1) / 2

    @property
    def h(self) -> int:
        return self.box[3] - self.box[1]


@dataclass
class AxisFit:
    scale: str  # "linear" | "log"
    a: float  # value (or log10 value) = a + b * pixel
    b: float
    residual: float  # max |fit - tick| over the labels used, as a share of the axis range
    n: int
    dropped: list[str] = field(default_factory=list)
    reinterpreted: bool = False  # "104" read as 10^4
    offset_exponent: int | None = None  # a "×10^n" label above the axis, already applied to a and b

    def value(self, px):
        import numpy as np

        v = self.a + self.b * np.asarray(px, dtype=float)
        return np.power(10.0, v) if self.scale == "log" else v


def grey(rgb):
    import cv2

    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def long_lines(ink, horizontal: bool, min_len: int) -> list[Line]:
    """Runs of ink at least min_len long along rows (horizontal) or columns; adjacent rows merge into one stroke."""
    import cv2
    import numpy as np

    if min_len < 2:
        return []
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (min_len, 1) if horizontal else (1, min_len))
    opened = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
    if not horizontal:
        opened = opened.T
    lines: list[Line] = []
    rows = np.flatnonzero(opened.any(axis=1))
    if rows.size == 0:
        return lines
    # group consecutive rows, then split each group into column runs
    groups = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
    for g in groups:
        cols = opened[g[0] : g[-1] + 1].any(axis=0)
        idx = np.flatnonzero(cols)
        runs = np.split(idx, np.flatnonzero(np.diff(idx) > 2) + 1)
        for run in runs:
            if run.size == 0 or run[-1] - run[0] + 1 < min_len:
                continue
            sub = opened[g[0] : g[-1] + 1, run[0] : run[-1] + 1]
            weights = sub.sum(axis=1).astype(float)
            pos = float((np.arange(g[0], g[-1] + 1) * weights).sum() / max(weights.sum(), 1.0))
            lines.append(Line(pos=pos, lo=int(run[0]), hi=int(run[-1]), t0=int(g[0]), t1=int(g[-1])))
    return lines


def find_panels(ink, max_panels: int = 12) -> tuple[list[Panel], list[Line], list[Line]]:
    """Plot areas: every bottom-left corner where a long horizontal line starts where a long vertical one ends."""
    h, w = ink.shape
    hl = long_lines(ink, True, max(24, int(0.12 * w)))
    vl = long_lines(ink, False, max(24, int(0.12 * h)))
    tol = max(3, int(0.012 * max(h, w)))
    panels: list[Panel] = []
    for x in sorted(hl, key=lambda ln: -ln.pos):
        for y in sorted(vl, key=lambda ln: ln.pos):
            if abs(y.pos - x.lo) > tol + (y.t1 - y.t0) or abs(x.pos - y.hi) > tol + (x.t1 - x.t0):
                continue
            p = Panel(x0=int(round(y.pos)), x1=x.hi, y0=y.lo, y1=int(round(x.pos)), xline=x, yline=y)
            if p.width < 30 or p.height < 30:
                continue
            if any(abs(q.x0 - p.x0) <= tol and abs(q.y1 - p.y1) <= tol for q in panels):
                continue
            rights = [v for v in vl if abs(v.pos - p.x1) <= tol and v.lo <= p.y0 + tol and v.hi >= p.y1 - tol]
            p.right_frame = bool(rights)
            p.rline = rights[0] if rights else None
            p.top_frame = any(abs(t.pos - p.y0) <= tol and t.lo <= p.x0 + tol and t.hi >= p.x1 - tol for t in hl)
            panels.append(p)
    # drop panels nested inside a bigger one sharing its axes (gridline corners)
    keep = []
    for p in panels:
        inside = any(
            q is not p and q.x0 <= p.x0 + tol and q.x1 >= p.x1 - tol and q.y0 <= p.y0 + tol and q.y1 >= p.y1 - tol
            and (q.width * q.height > p.width * p.height)
            for q in panels
        )
        if not inside:
            keep.append(p)
    keep.sort(key=lambda p: (round(p.y0 / max(1, 0.25 * h)), p.x0))
    return keep[:max_panels], hl, vl


def tick_positions(ink, p: Panel, axis: str) -> tuple[list[float], int]:
    """Centres of tick marks on the x axis (columns) or y axis (rows), outward first, else inward.

    Returns the tick centres and the length of outward ticks (0 for inward ones), which the label search skips.
    """
    import numpy as np

    h, w = ink.shape
    if axis == "x":
        ln = p.xline
        thick = ln.t1 - ln.t0 + 1
        spans = [(ln.t1 + 1, min(h, ln.t1 + 4)), (max(0, ln.t0 - 3), ln.t0)]
        lo, hi = max(0, p.x0 - 2), min(w, p.x1 + 3)
    elif axis == "y":
        ln = p.yline
        thick = ln.t1 - ln.t0 + 1
        spans = [(max(0, ln.t0 - 3), ln.t0), (ln.t1 + 1, min(w, ln.t1 + 4))]
        lo, hi = max(0, p.y0 - 2), min(h, p.y1 + 3)
    else:  # "y2": the right frame, ticks outward to the right
        if p.rline is None:
            return [], 0
        ln = p.rline
        thick = ln.t1 - ln.t0 + 1
        spans = [(ln.t1 + 1, min(w, ln.t1 + 4)), (max(0, ln.t0 - 3), ln.t0)]
        lo, hi = max(0, p.y0 - 2), min(h, p.y1 + 3)
    for k, (a, b) in enumerate(spans):
        if b - a < 2:
            continue
        band = ink[a:b, lo:hi] if axis == "x" else ink[lo:hi, a:b].T
        hit = band.all(axis=0)
        idx = np.flatnonzero(hit)
        if idx.size == 0:
            continue
        runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
        ticks = [float(r.mean() + lo) for r in runs if r.size <= 2 * thick + 3]
        if len(ticks) >= 2:
            # tick length: consecutive ink from the axis outward at the tick centres
            length = 0
            lim = h if axis == "x" else w
            for t in ticks[:5]:
                for c in {int(math.floor(t)), int(math.ceil(t))}:
                    n = 0
                    while n < 60:
                        r = (ln.t1 + 1 + n) if a > ln.t1 else (ln.t0 - 1 - n)
                        if r < 0 or r >= lim or not (ink[r, c] if axis == "x" else ink[c, r]):
                            break
                        n += 1
                    length = max(length, n)
            return ticks, (length if k == 0 else 0)
    return [], 0


def _components(mask):
    import cv2

    n, _labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype("uint8"), connectivity=8)
    return [tuple(int(v) for v in stats[i]) for i in range(1, n)]  # x, y, w, h, area


def _merge_words(mask, char_h: float, reach: float):
    """Boxes of words: ink dilated sideways by `reach` character heights, then connected components."""
    import cv2

    k = max(2, int(round(reach * char_h)))
    kv = max(1, int(round(0.15 * char_h)))
    dil = cv2.dilate(mask.astype("uint8"), cv2.getStructuringElement(cv2.MORPH_RECT, (k, kv)))
    comps = _components(dil)
    return comps


def _trim_wide(clean, words, char_h: float, keep_right: bool):
    """y labels: a word much wider than the others took in a piece of the axis title; split it at its widest
    empty-column gap and keep the part next to the axis."""
    import numpy as np

    med = float(np.median([c[2] for c in words]))
    out = []
    for c in words:
        x, y, w, h, a = c
        if w > med + 1.0 * char_h:
            cols = clean[y : y + h, x : x + w].any(axis=0)
            idx = np.flatnonzero(cols)
            gaps = np.diff(idx)
            if gaps.size and gaps.max() > max(2, 0.6 * char_h):
                j = int(np.argmax(gaps))
                cut_l, cut_r = int(idx[j]), int(idx[j + 1])
                c = (x + cut_r, y, w - cut_r, h, a) if keep_right else (x, y, cut_l + 1, h, a)
                c = _tight(clean, c)
        out.append(c)
    return out


def _tight(clean, c):
    """A dilated word box shrunk to the ink it holds (so a crop shows no neighbouring tick mark)."""
    import numpy as np

    x, y, w, h, a = c
    sub = clean[y : y + h, x : x + w]
    rows, cols = np.flatnonzero(sub.any(axis=1)), np.flatnonzero(sub.any(axis=0))
    if rows.size == 0 or cols.size == 0:
        return c
    return (x + int(cols[0]), y + int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1), a)


def _cut_title(clean, char_h: float) -> None:
    """Blank the rotated y-axis title left of the tick labels, in place.

    Rows of a rotated title sit closer together than separate tick labels: after a small vertical dilation the
    title is one component taller than 2.5 character heights, while each label stays about one character high.
    """
    import cv2
    import numpy as np

    kv = max(2, int(round(0.4 * char_h)))
    dil = cv2.dilate(clean.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_RECT, (1, kv)))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(dil, connectivity=8)
    for i in range(1, n):
        if stats[i, 3] > 2.5 * char_h + kv and stats[i, 2] < 2.5 * char_h:
            clean[lab == i] = 0


def label_boxes(ink, p: Panel, axis: str, tick_len: int) -> list[LabelBox]:
    """Tick-label boxes next to an axis: the text line (x) or right-aligned column (y) nearest to the axis."""
    import numpy as np

    h, w = ink.shape
    if axis == "x":
        r0 = p.xline.t1 + 2 + tick_len
        r1 = min(h, p.xline.t1 + 1 + max(30, int(0.35 * p.height)))
        c0, c1 = max(0, p.x0 - int(0.08 * p.width)), min(w, p.x1 + int(0.08 * p.width))
    elif axis == "y":
        c1 = max(0, p.yline.t0 - tick_len - 1)
        c0 = max(0, p.yline.t0 - max(40, int(0.45 * p.width)))
        r0, r1 = max(0, p.y0 - int(0.06 * p.height)), min(h, p.y1 + int(0.06 * p.height))
    else:
        if p.rline is None:
            return []
        c0 = min(w, p.rline.t1 + tick_len + 2)
        c1 = min(w, p.rline.t1 + max(40, int(0.45 * p.width)))
        r0, r1 = max(0, p.y0 - int(0.06 * p.height)), min(h, p.y1 + int(0.06 * p.height))
    if r1 - r0 < 3 or c1 - c0 < 3:
        return []
    sub = ink[r0:r1, c0:c1].copy()
    comps = [c for c in _components(sub) if c[4] >= 2]
    # drop long strokes (another panel's frame or axis) and stray tick marks touching the near edge
    big = 0.3 * (p.height if axis == "x" else p.width)
    comps = [c for c in comps if c[2] < max(big, 8) and c[3] < max(0.3 * p.height, 8)]
    sw = c1 - c0
    # anything cut by the edge nearest the axis is a tick-mark remnant or the other axis's corner label (a y label
    # level with the x axis, the x axis's first label under the y axis), never a label of this axis
    if axis == "x":
        comps = [c for c in comps if c[1] > 0]
    elif axis == "y":
        comps = [c for c in comps if c[0] + c[2] < sw]
    else:
        comps = [c for c in comps if c[0] > 0]
    if not comps:
        return []
    heights = sorted(c[3] for c in comps if c[3] >= 4)
    if not heights:
        return []
    char_h = float(np.median(heights))
    clean = np.zeros_like(sub)
    for x, y, cw, chh, _ in comps:
        clean[y : y + chh, x : x + cw] |= sub[y : y + chh, x : x + cw]
    if axis != "x":
        _cut_title(clean, char_h)
    words = [c for c in _merge_words(clean, char_h, 1.2 if axis == "x" else 1.5) if c[3] >= 0.5 * char_h and c[3] <= 3 * char_h]
    if not words:
        return []
    words = [_tight(clean, c) for c in words]
    out: list[LabelBox] = []
    if axis == "x":
        top = min(c[1] for c in words)
        first = [c for c in words if c[1] <= top + 0.8 * char_h]
        for x, y, cw, chh, _ in sorted(first):
            out.append(LabelBox(box=(x + c0, y + r0, x + c0 + cw, y + r0 + chh)))
    elif axis == "y":
        right = max(c[0] + c[2] for c in words)
        col = [c for c in words if c[0] + c[2] >= right - 1.2 * char_h and c[2] < 10 * char_h]
        col = _trim_wide(clean, col, char_h, keep_right=True) if len(col) >= 3 else col
        for x, y, cw, chh, _ in sorted(col, key=lambda c: c[1]):
            out.append(LabelBox(box=(x + c0, y + r0, x + c0 + cw, y + r0 + chh)))
    else:
        left = min(c[0] for c in words)
        col = [c for c in words if c[0] <= left + 1.2 * char_h and c[2] < 10 * char_h]
        col = _trim_wide(clean, col, char_h, keep_right=False) if len(col) >= 3 else col
        for x, y, cw, chh, _ in sorted(col, key=lambda c: c[1]):
            out.append(LabelBox(box=(x + c0, y + r0, x + c0 + cw, y + r0 + chh)))
    return out[:40]


def _strip_noise(text: str) -> str:
    """OCR text of a tick label without spaces and the tick-mark / frame fragments read around it."""
    t = (text or "").replace(" ", "").strip(",|:;'_~\"")
    return t.rstrip(".-")


def parse_tick(text: str) -> float | None:
    """A tick label's number, read by the vector digitizer's parser (U+2212 minus, 10^n, 2×10^3, 1e-3, 0,5)."""
    from extractors.figures.ticks import parse_tick as _parse

    t = _strip_noise(text)
    t = re.sub(r"^10[°oº]$", "10⁰", t)
    t = re.sub(r"(?<=\d)[oO]|[oO](?=\d)", "0", t)
    if re.fullmatch(r"[-−]?\d+(?:\.\d+)?", t):  # plain numbers first: "100.2" is not 10^0.2
        return float(t.replace("−", "-"))
    tick = _parse(t)
    return tick.value if tick is not None else None


def decade_exponent(text: str) -> int | None:
    """'104' or '10-3' as OCR reads a 10^4 / 10^-3 label (superscript on the baseline): the exponent, else None."""
    from extractors.figures.ticks import parse_tick as _parse

    t = _strip_noise(text).replace("−", "-").replace("–", "-").replace("{", "").replace("}", "")
    t = re.sub(r"^10[°oOº]$", "100", t)
    m = re.fullmatch(r"10(-?\d{1,2})", t)
    if m:
        return int(m.group(1))
    tick = _parse(t)
    if tick is not None and tick.power and tick.value > 0:
        e = math.log10(tick.value)
        if abs(e - round(e)) < 1e-9:
            return int(round(e))
    return None


def _lsq(px, vals):
    import numpy as np

    A = np.vstack([np.ones_like(px), px]).T
    coef, *_ = np.linalg.lstsq(A, vals, rcond=None)
    return float(coef[0]), float(coef[1])


def _try_fit(px, vals, scale: str, length: float):
    import numpy as np

    px = np.asarray(px, float)
    v = np.asarray(vals, float)
    if scale == "log":
        if (v <= 0).any():
            return None
        v = np.log10(v)
    if np.ptp(px) <= 0 or np.ptp(v) <= 0:
        return None
    a, b = _lsq(px, v)
    if b == 0:
        return None
    span = abs(b * length)
    res = float(np.max(np.abs(a + b * px - v)) / span) if span > 0 else float("inf")
    return a, b, res


def _fill_decades(exps: list[int | None], texts: list[str], pos: list[float]) -> list[int] | None:
    """Exponents of a log axis's decade labels; one label read as bare "10"/"1" (superscript lost) is filled in
    from its neighbours when the others step evenly. None unless the labels are decades."""
    known = [(p, e) for p, e in zip(pos, exps, strict=True) if e is not None]
    unknown = [i for i, e in enumerate(exps) if e is None]
    if len(unknown) > 1 or len(known) < 2:
        return None
    if not unknown:
        return [int(e) for e in exps]  # type: ignore[arg-type]  # a repeated exponent is left to the fit to drop
    if len({e for _, e in known}) != len(known):
        return None
    i = unknown[0]
    if _strip_noise(texts[i]) not in ("10", "1"):
        return None
    (p0, e0), (p1, e1) = known[0], known[-1]
    if p1 == p0:
        return None
    step = (e1 - e0) / (p1 - p0)
    guess = e0 + step * (pos[i] - p0)
    if abs(guess - round(guess)) > 0.15:
        return None
    out = list(exps)
    out[i] = int(round(guess))
    return out if len(set(out)) == len(out) else None  # type: ignore[return-value]


def _restore_dots(texts: list[str]) -> list[float] | None:
    """Values with a decimal point OCR dropped ("35" among "4.0", "3.0"): the point put back where the others
    have it. None when no label lost its point."""
    clean = [_strip_noise(t).replace("−", "-") for t in texts]
    decs = [len(t.split(".")[1]) for t in clean if re.fullmatch(r"-?\d+\.\d+", t)]
    if not decs or len(decs) == len(clean):
        return None
    k = max(set(decs), key=decs.count)
    out = []
    for t in clean:
        if re.fullmatch(r"-?\d+\.\d+", t):
            out.append(float(t))
        elif re.fullmatch(r"-?\d+", t) and len(t.lstrip("-")) > k:
            out.append(float(t[:-k] + "." + t[-k:]))
        else:
            return None
    return out


def fit_axis(labels: list[LabelBox], length: float, tol: float = 0.01) -> tuple[AxisFit | None, str]:
    """Fit value = a + b*px (linear) or log10(value) = a + b*px over the numeric labels; (None, reason) on failure.

    The residual is the largest distance of a tick label from the fitted line, as a share of the axis range;
    a fit is accepted when it is below `tol`. With five or more labels, one misread label may be dropped.
    Labels like "104", "103" on a log axis (superscripts read on the baseline) are re-read as 10^4, 10^3.
    """

    pts = [
        (lb.tick, lb.value if lb.value is not None else math.nan, lb.text)
        for lb in labels
        if lb.tick is not None and (lb.value is not None or decade_exponent(lb.text) is not None)
    ]
    if len(pts) < 3:
        return None, f"{len(pts)} numeric tick labels (need 3)"
    best = None
    candidates = []
    texts = [s for _, _, s in pts]
    vals = [v for _, v, _ in pts]
    pos = [t for t, _, _ in pts]
    variants = [(vals, False)]
    decades = _fill_decades([decade_exponent(s) for s in texts], texts, pos)
    if decades is not None:
        variants.insert(0, ([10.0 ** e for e in decades], True))
    dotted = _restore_dots(texts)
    if dotted is not None:
        variants.append((dotted, False))
    if any(math.isnan(v) for v in vals):
        variants = variants[:1] if variants[0][1] else []
    for vv, reint in variants:
        for scale in ("linear", "log"):
            f = _try_fit(pos, vv, scale, length)
            if f:
                candidates.append((f[2], scale, f[0], f[1], [], reint))
            # one misread label may be dropped: of five or more, or of four decade labels (10^n, evenly spaced)
            if (len(pts) >= 5 or (reint and len(pts) >= 4)) and (not f or f[2] > tol):
                for i in range(len(pts)):
                    sub_p = pos[:i] + pos[i + 1 :]
                    sub_v = vv[:i] + vv[i + 1 :]
                    g = _try_fit(sub_p, sub_v, scale, length)
                    if g:
                        candidates.append((g[2], scale, g[0], g[1], [texts[i]], reint))
    if not candidates:
        return None, "tick values do not vary"
    # prefer fewer dropped labels, then the smaller residual
    ok = [c for c in candidates if c[0] <= tol]
    if ok:
        best = min(ok, key=lambda c: (len(c[4]), not c[5], c[0]))
        res, scale, a, b, dropped, reint = best
        n = len(pts) - len(dropped)
        return AxisFit(scale=scale, a=a, b=b, residual=float(res), n=n, dropped=dropped, reinterpreted=reint), ""
    best = min(candidates, key=lambda c: c[0])
    shown = ", ".join(texts[:8])
    return None, f"tick values [{shown}] fit no linear/log scale (residual {best[0]:.3f} of the axis range)"


def match_ticks(labels: list[LabelBox], ticks: list[float], axis: str) -> None:
    """Each label takes the nearest tick mark within half its size along the axis, else its own centre.

    Fewer marks than labels (less one) means the marks found are not the tick set (data touching the axis, an
    inset): then every label keeps its own centre.
    """
    if len(ticks) < max(2, len(labels) - 1):
        ticks = []
    for lb in labels:
        c = lb.cx if axis == "x" else lb.cy
        half = (lb.box[2] - lb.box[0]) / 2 if axis == "x" else (lb.box[3] - lb.box[1]) / 2  # y and y2: rows
        near = [t for t in ticks if abs(t - c) <= max(half, 3)]
        lb.tick = min(near, key=lambda t: abs(t - c)) if near else c


def offset_boxes(ink, p: Panel, char_h: float) -> list[LabelBox]:
    """Word boxes just above the top-left of a panel, where a "×10^n" / "1e-5" offset label sits."""
    h, w = ink.shape
    r0, r1 = max(0, int(p.y0 - 3 * char_h)), max(0, p.y0 - 1)
    c0, c1 = max(0, int(p.x0 - 2 * char_h)), min(w, int(p.x0 + 0.4 * p.width))
    if r1 - r0 < 3 or c1 - c0 < 3:
        return []
    sub = ink[r0:r1, c0:c1]
    words = [c for c in _merge_words(sub, char_h, 0.6) if 0.4 * char_h <= c[3] <= 2.5 * char_h]
    words.sort(key=lambda c: c[0])
    return [LabelBox(box=(x + c0, y + r0, x + c0 + cw, y + r0 + ch)) for x, y, cw, ch, _ in words[:4]]


def parse_offset_label(text: str) -> int | None:
    """Exponent of an offset label as OCR reads it: "1e-5", "×10-5", "x10⁻⁵", "×10^6"; None otherwise."""
    from extractors.figures.ticks import parse_offset

    t = (text or "").strip().replace(" ", "").replace("−", "-").replace("–", "-").rstrip(".,|")
    t = re.sub(r"^[xX×]", "×", t)
    e = parse_offset(t)
    if e is not None:
        return e
    t = t.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+"))  # "x10-⁴": mixed superscripts
    e = parse_offset(t)
    if e is not None:
        return e
    m = re.fullmatch(r"×10\^?(-?\d{1,2})", t)
    return int(m.group(1)) if m else None

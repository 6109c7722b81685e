"""Raster plot digitizer (CPU): a plot image in, FigureSeries in data units out, or a figure-level reason.

Steps, all on the RGB image (pixels, top-left origin):
  1. input checks: tiny images are refused, huge ones downscaled to MAX_SIDE; an image without a plain background
     (photo, micrograph) is `not_a_plot`;
  2. axes: long orthogonal ink lines (OpenCV morphology) meeting in a bottom-left corner make a panel (several
     panels -> a, b, ...); none -> `no_axes`;
  3. ticks: short ink runs just outside (else inside) each axis line; tick labels: the text line below the x axis
     and the right-aligned column left of the y axis, read with rapidocr (recognition only on each label box), or
     taken from `text_spans` when the caller already knows the text;
  4. calibration: value = a + b*pixel (linear) or log10(value) = a + b*pixel (log) fitted to the tick labels; the
     fit must pass within 1 % of the axis range of every label (one misread label of five or more may be dropped);
     otherwise the panel is `uncalibrated` (or `non_numeric` when the labels are not numbers) and yields no series;
  5. series: coloured pixels inside the plot area (black/grey axes, text and gridlines excluded; legend entries
     found by their text and masked) are clustered by their colour direction away from white, which antialiasing
     against a white background does not change; each cluster is a marker set (many similar small blobs ->
     centroids) or a curve (centre of each run per pixel column);
  6. each series carries `error_estimate` = one pixel plus the fit residual, as a share of the axis range.

Heavy libraries (numpy, OpenCV, rapidocr) are imported inside functions.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from typing import Callable, Sequence

from extractors.figures.raster_axes import (
    DARK,
    TEXT_DARK,
    AxisFit,
    LabelBox,
    Panel,
    _tight,
    decade_exponent,
    find_panels,
    fit_axis,
    grey,
    label_boxes,
    match_ticks,
    offset_boxes,
    parse_offset_label,
    parse_tick,
    tick_positions,
)
from schemas.figure import Axis, FigureResult, FigureSeries, SeriesStyle, series_id_for
from schemas.geometry import BBox

NAME = "figures.raster"
VERSION = "1"
MAX_SIDE = 2000  # longer images are downscaled to this many pixels on their long side
MIN_SIDE = 64  # shorter images are refused
FIT_TOL = 0.01  # max tick residual, share of the axis range
GREY_ANGLE = 0.1  # colour directions within this distance of grey are axes/text/gridlines, not series
MAX_SERIES = 10

TextSpans = Sequence[tuple[str, tuple[float, float, float, float]]]  # text, (x0, y0, x1, y1) in image pixels
Ocr = Callable[[list], list[tuple[str, float]]]

_ENGINE = None
_ENGINE_LOCK = threading.Lock()


def _engine():
    """The process-wide rapidocr engine (same settings as pipeline/parse/ocr.py), built on first use.

    One ONNX Runtime thread: the crops are small (48 px high), so a thread pool spends about half its CPU time
    spinning (measured: the same 428 tick-label crops took 11.0 CPU s with the default pool and 5.6 s with one
    thread, identical texts and scores), and the pipeline already runs one worker process per core.
    """
    global _ENGINE
    if _ENGINE is None:
        with _ENGINE_LOCK:
            if _ENGINE is None:
                from rapidocr import RapidOCR

                _ENGINE = RapidOCR(params={"Global.log_level": "error", "Global.text_score": 0.0,
                                           "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                                           "EngineConfig.onnxruntime.inter_op_num_threads": 1})
    return _ENGINE


_READ: OrderedDict = OrderedDict()  # crop fingerprint -> (text, score), least recently used first
_READ_MAX = 4096
_READ_LOCK = threading.Lock()


def _fingerprint(crop) -> tuple:
    """Shape, dtype and a 128-bit hash of the pixels."""
    import numpy as np

    a = np.ascontiguousarray(crop)
    return a.shape, a.dtype.str, hashlib.blake2b(a.tobytes(), digest_size=16).digest()


def rapidocr_read(crops: list) -> list[tuple[str, float]]:
    """Text and score of each crop (one text line each), recognition only: no detection pass over the figure.

    A crop with exactly the same pixels as one read before in this process (same shape, dtype and bytes: a word
    two overlapping figure regions both hold, a panel rendered twice) takes the earlier reading. Recognition is
    deterministic (one ONNX Runtime thread), so the text and score are the ones a fresh read would give, whatever
    was read before: the memo saves time and changes no result.
    """
    out = []
    eng = None
    for c in crops:
        key = _fingerprint(c)
        with _READ_LOCK:
            hit = _READ.get(key)
            if hit is not None:
                _READ.move_to_end(key)
        if hit is None:
            eng = eng or _engine()
            r = eng(c, use_det=False, use_cls=False, use_rec=True)
            txts = getattr(r, "txts", None) or ("",)
            scores = getattr(r, "scores", None) or (0.0,)
            hit = (str(txts[0]).strip(), float(scores[0]))
            with _READ_LOCK:
                _READ[key] = hit
                while len(_READ) > _READ_MAX:
                    _READ.popitem(last=False)
        out.append(hit)
    return out


def _to_rgb(image):
    """uint8 RGB from grey, RGB, RGBA (composited on white), float 0..1 or 16-bit arrays."""
    import numpy as np

    a = np.asarray(image)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise ValueError(f"expected an image array HxW, HxWx3 or HxWx4, got shape {a.shape}")
    if a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8)
    elif a.dtype.kind == "f":
        a = np.clip(np.nan_to_num(a) * (255.0 if a.max(initial=0) <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    elif a.dtype == bool:
        a = a.astype(np.uint8) * 255
    elif a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    elif a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    elif a.shape[2] == 4:
        alpha = a[:, :, 3:4].astype(np.float32) / 255.0
        a = (a[:, :, :3].astype(np.float32) * alpha + 255.0 * (1 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(a)


def _background_share(rgb) -> float:
    """Share of pixels in the most common coarse colour (a plot's paper colour; low for photos)."""
    import numpy as np

    small = rgb[:: max(1, rgb.shape[0] // 200), :: max(1, rgb.shape[1] // 200)]
    q = (small // 32).reshape(-1, 3).astype(np.int32)
    codes = q[:, 0] * 64 + q[:, 1] * 8 + q[:, 2]
    return float(np.bincount(codes, minlength=512).max() / max(1, codes.size))


def _crop(rgb, box, pad_frac: float = 0.35):
    """A padded, white-bordered crop of a text box, upscaled so the text is about 32 px high."""
    import cv2
    import numpy as np

    x0, y0, x1, y1 = (int(v) for v in box)
    h = max(1, y1 - y0)
    pad = max(2, int(pad_frac * h))
    H, W = rgb.shape[:2]
    e = max(1, int(round(0.12 * h)))  # antialiased glyph edges lighter than the ink threshold
    c = rgb[max(0, y0 - e) : min(H, y1 + e), max(0, x0 - e) : min(W, x1 + e)]  # no neighbouring tick mark
    c = cv2.copyMakeBorder(c, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    if h < 24:
        f = 32.0 / h
        c = cv2.resize(c, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(c)


def _read_labels(rgb, labels: list[LabelBox], spans: TextSpans | None, ocr: Ocr) -> None:
    """Fill text/score/value of label boxes from known text spans (when given) or OCR."""
    if spans is not None:
        for lb in labels:
            hits = [
                (t, b)
                for t, b in spans
                if lb.box[0] - 2 <= (b[0] + b[2]) / 2 <= lb.box[2] + 2 and lb.box[1] - 2 <= (b[1] + b[3]) / 2 <= lb.box[3] + 2
            ]
            if hits:
                lb.text = " ".join(t for t, _ in sorted(hits, key=lambda tb: tb[1][0]))
                lb.score = 1.0
    else:
        crops = [_crop(rgb, lb.box) for lb in labels]
        for lb, (text, score) in zip(labels, ocr(crops) if crops else [], strict=True):
            lb.text, lb.score = text, score
    for lb in labels:
        lb.value = parse_tick(lb.text) if lb.score >= 0.3 else None


def _span_labels(spans: TextSpans, p: Panel, axis: str) -> list[LabelBox]:
    """Tick-label boxes straight from known text spans: those just below the x axis / left of the y axis."""
    out = []
    for text, b in spans:
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        h = b[3] - b[1]
        if axis == "x" and p.x0 - 0.08 * p.width <= cx <= p.x1 + 0.08 * p.width and p.y1 < cy <= p.y1 + 3 * h + 6:
            out.append(LabelBox(box=tuple(int(round(v)) for v in b), text=text, score=1.0))
        if axis == "y" and p.y0 - 0.06 * p.height <= cy <= p.y1 + 0.06 * p.height and p.x0 - 0.45 * p.width <= b[2] < p.x0:
            out.append(LabelBox(box=tuple(int(round(v)) for v in b), text=text, score=1.0))
    if axis == "y" and out:
        right = max(lb.box[2] for lb in out)
        out = [lb for lb in out if lb.box[2] >= right - 1.2 * max(lb.h, 1)]
    for lb in out:
        lb.value = parse_tick(lb.text)
    return out


def _calibrate(rgb, ink, p: Panel, axis: str, spans: TextSpans | None, ocr: Ocr):
    """(fit, labels, reason) for one axis of a panel."""
    ticks, tick_len = tick_positions(ink, p, axis)
    if spans is not None:
        labels = _span_labels(spans, p, axis)
    else:
        labels = label_boxes(ink, p, axis, tick_len)
        _read_labels(rgb, labels, None, ocr)
    if not labels:
        return None, labels, "no_axes", f"{axis} axis: no tick labels found"
    match_ticks(labels, ticks, axis)
    numeric = [lb for lb in labels if lb.value is not None or decade_exponent(lb.text) is not None]
    if len(labels) >= 2 and len(numeric) < 2:
        shown = ", ".join(repr(lb.text) for lb in labels[:6])
        return None, labels, "non_numeric", f"{axis} axis: tick labels are not numbers ({shown})"
    length = p.width if axis == "x" else p.height
    fit, why = fit_axis(labels, float(length), FIT_TOL)
    if fit is None:
        return None, labels, "uncalibrated", f"{axis} axis: {why}"
    if axis == "y" and fit.scale == "linear":
        _apply_offset(rgb, ink, p, fit, labels, spans, ocr)
    return fit, labels, "", ""


def _apply_offset(rgb, ink, p: Panel, fit: AxisFit, labels: list[LabelBox], spans: TextSpans | None, ocr: Ocr) -> None:
    """Scale a linear y fit by a "×10^n" / "1e-n" offset label shown above the axis, when there is one."""
    import numpy as np

    char_h = float(np.median([lb.h for lb in labels])) if labels else 10.0
    boxes = offset_boxes(ink, p, char_h)
    if spans is not None:
        texts = [t for t, b in spans if any(bx.box[0] - 2 <= (b[0] + b[2]) / 2 <= bx.box[2] + 2 and
                                            bx.box[1] - 2 <= (b[1] + b[3]) / 2 <= bx.box[3] + 2 for bx in boxes)]
    else:
        texts = [t for t, sc in (ocr([_crop(rgb, b.box) for b in boxes]) if boxes else []) if sc >= 0.4]
    for t in texts:
        e = parse_offset_label(t)
        if e is not None:
            fit.a *= 10.0**e
            fit.b *= 10.0**e
            fit.offset_exponent = e
            return


def _unit_dirs(rgb_f):
    """Per pixel: strength |white - c| and the unit direction of (white - c) in RGB."""
    import numpy as np

    d = 255.0 - rgb_f
    norm = np.sqrt((d * d).sum(axis=-1))
    unit = d / np.maximum(norm, 1e-6)[..., None]
    return norm, unit


def _plane(unit):
    """2-D coordinates of colour directions in the plane orthogonal to grey (1,1,1)/sqrt(3)."""
    import numpy as np

    e1 = np.array([1.0, -1.0, 0.0]) / math.sqrt(2)
    e2 = np.array([1.0, 1.0, -2.0]) / math.sqrt(6)
    return np.stack([unit @ e1, unit @ e2], axis=-1)


def _peaks(uv, weight, min_mass: float, max_k: int):
    """Colour cluster centres: peaks of a weighted 2-D histogram of colour directions."""
    import cv2
    import numpy as np

    bins = 64
    lim = 0.85
    hist, _, _ = np.histogram2d(uv[:, 0], uv[:, 1], bins=bins, range=[[-lim, lim], [-lim, lim]], weights=weight)
    hist = cv2.GaussianBlur(hist.astype(np.float32), (5, 5), 1.0)
    mx = cv2.dilate(hist, np.ones((5, 5), np.uint8))
    cand = np.argwhere((hist >= mx) & (hist > 0))
    step = 2 * lim / bins
    centres = []
    for i, j in sorted(cand.tolist(), key=lambda ij: -hist[ij[0], ij[1]]):
        c = np.array([-lim + (i + 0.5) * step, -lim + (j + 0.5) * step])
        if any(np.linalg.norm(c - q) < 0.12 for q, _ in centres):
            continue
        mass = float(weight[np.linalg.norm(uv - c, axis=1) < 0.08].sum())
        if mass >= min_mass:
            centres.append((c, mass))
        if len(centres) >= max_k:
            break
    return [c for c, _ in centres]


def _legend_entries(rgb, ink_text, p: Panel, char_h: float, ocr: Ocr, spans: TextSpans | None):
    """Text lines inside the plot area (legend labels, annotations): (box, text) with boxes in image pixels."""
    import cv2
    import numpy as np

    m = 3
    y0, y1, x0, x1 = p.y0 + m, p.y1 - m, p.x0 + m, p.x1 - m
    if spans is not None:
        return [
            (tuple(int(round(v)) for v in b), t)
            for t, b in spans
            if x0 <= (b[0] + b[2]) / 2 <= x1 and y0 <= (b[1] + b[3]) / 2 <= y1
        ]
    sub = ink_text[y0:y1, x0:x1].astype(np.uint8)
    if sub.size == 0:
        return []
    n, lab, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
    keep_label = np.zeros(n, sub.dtype)
    for i in range(1, n):
        x, y, w, h, a = stats[i]
        if h <= 1.8 * char_h and w <= 3 * char_h and a >= 2:
            keep_label[i] = 1
    keep = keep_label[lab]
    k = max(2, int(round(1.2 * char_h)))
    dil = cv2.dilate(keep, cv2.getStructuringElement(cv2.MORPH_RECT, (k, max(1, int(0.2 * char_h)))))
    n2, _, st2, _ = cv2.connectedComponentsWithStats(dil, connectivity=8)
    boxes = []
    for i in range(1, n2):
        x, y, w, h, _a = st2[i]
        if 0.5 * char_h <= h <= 2.2 * char_h and w >= 0.5 * char_h:
            tx, ty, tw, th, _ = _tight(keep, (x, y, w, h, 0))
            boxes.append((tx + x0, ty + y0, tx + x0 + tw, ty + y0 + th))
    boxes = sorted(boxes, key=lambda b: (b[1], b[0]))[:12]
    if not boxes:
        return []
    read = ocr([_crop(rgb, b) for b in boxes])
    return [
        (b, t)
        for b, (t, s) in zip(boxes, read, strict=True)
        if s >= 0.5 and sum(ch.isascii() and ch.isalnum() for ch in t) >= 2  # not a lone tick mark read as "I"
    ]


def _series_points(mask, weight, p: Panel, thick: float):
    """(kind, points in pixels [(col, row)], marker size) for one colour cluster mask inside the plot area."""
    import cv2
    import numpy as np

    n, lab, stats, cents = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    comps = [i for i in range(1, n) if stats[i, 4] >= 3]
    if not comps:
        return None, [], None
    areas = np.array([stats[i, 4] for i in comps], float)
    dims = np.array([max(stats[i, 2], stats[i, 3]) for i in comps], float)
    aspect = np.array([max(stats[i, 2], stats[i, 3]) / max(1, min(stats[i, 2], stats[i, 3])) for i in comps])
    small = max(5.0, 0.06 * min(p.width, p.height))
    med_a = float(np.median(areas))
    uniform = float(np.mean((areas >= 0.4 * med_a) & (areas <= 2.5 * med_a)))
    if len(comps) >= 3 and float(np.median(dims)) <= small and float(np.median(aspect)) < 2.2 and uniform >= 0.6:
        pts = []
        pixels = _component_pixels(lab, n)
        for i in comps:
            if stats[i, 4] < 0.3 * med_a:
                continue
            ys, xs = pixels(i)
            w = weight[ys, xs]
            k = int(round(stats[i, 4] / med_a))
            if k >= 2 and len(xs) > 2 * k:  # overlapping markers: split the blob into k centres
                data = np.stack([xs, ys], 1).astype(np.float32)
                crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.1)
                cv2.setRNGSeed(0)
                _, lbl, centres = cv2.kmeans(data, min(k, 50), None, crit, 2, cv2.KMEANS_PP_CENTERS)
                pts.extend((float(cx), float(cy)) for cx, cy in centres)
                continue
            pts.append((float((xs * w).sum() / w.sum()), float((ys * w).sum() / w.sum())))
        return "markers", sorted(pts), float(np.median(dims))
    pts = []
    gap = max(2, int(round(2 * thick)))
    # runs of each column (rows more than `gap` apart start a new run), columns left to right: the same runs,
    # in the same order and with the same values, as splitting np.flatnonzero(mask[:, c]) column by column
    cs, rs = np.nonzero(mask.T)
    ws = weight[rs, cs]
    if len(cs):
        brk = np.flatnonzero((np.diff(cs) != 0) | (np.diff(rs) > gap)) + 1
        starts = [0, *brk.tolist()]
        ends = [*brk.tolist(), len(cs)]
        for a, b in zip(starts, ends, strict=True):
            r, w = rs[a:b], ws[a:b]
            pts.append((float(cs[a]), float((r * w).sum() / max(w.sum(), 1e-6))))
    return "line", pts, None


def _component_pixels(lab, n: int):
    """pixels(i) -> (ys, xs) of label i, as np.nonzero(lab == i) gives them (row-major), from one stable sort of the
    label image instead of one full-image comparison per component."""
    import numpy as np

    flat = lab.ravel()
    order = np.argsort(flat, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(flat, minlength=n))])
    W = lab.shape[1]

    def pixels(i: int):
        idx = order[bounds[i] : bounds[i + 1]]
        return idx // W, idx % W

    return pixels


def _hex(rgb_pixels) -> str:
    import numpy as np

    c = np.median(rgb_pixels, axis=0).astype(int)
    return "#{:02x}{:02x}{:02x}".format(*[int(v) for v in c])


def _axis_model(fit: AxisFit, p: Panel, axis: str) -> Axis:
    if axis == "x":
        lo, hi = fit.value([p.x0, p.x1])
    else:
        lo, hi = fit.value([p.y1, p.y0])
    side = {"x": "bottom", "y": "left", "y2": "right"}[axis]
    return Axis(
        scale=fit.scale,
        lo=float(lo),
        hi=float(hi),
        n_ticks=fit.n,
        offset_exponent=fit.offset_exponent,
        residual=round(fit.residual, 6),
        side=side,
    )


def _page_box(bbox: BBox | None, shape, box) -> BBox | None:
    """A pixel box of the (possibly downscaled) image mapped onto the figure's page bbox."""
    if bbox is None:
        return None
    h, w = shape[:2]
    sx, sy = bbox.width / w, bbox.height / h
    return BBox(
        x0=bbox.x0 + box[0] * sx, y0=bbox.y0 + box[1] * sy, x1=bbox.x0 + box[2] * sx, y1=bbox.y0 + box[3] * sy
    ).rounded()


def _panel_series(rgb, p: Panel, fx: AxisFit, fy: AxisFit, fy2: AxisFit | None, labels, ocr, spans,
                  memo: dict | None = None):
    """Series of one calibrated panel: colour clusters, then black/dark-grey ink that is not axes, text or legend.

    Black series go to the right-hand axis when one calibrated (the generator's and most papers' dual-axis style
    draw the second series in black), else to the left axis.
    """
    import cv2
    import numpy as np

    char_h = float(np.median([lb.h for lb in labels])) if labels else 10.0
    thick = max(1.0, (p.xline.t1 - p.xline.t0 + 1 + p.yline.t1 - p.yline.t0 + 1) / 2)
    m = int(math.ceil(thick)) + 1
    y0, y1, x0, x1 = p.y0 + m, p.y1 - m + 1, p.x0 + m, p.x1 - m + 1
    if p.right_frame:
        x1 -= m
    if p.top_frame:
        y0 += m
    if y1 - y0 < 10 or x1 - x0 < 10:
        return [], "plot area too small"
    area = rgb[y0:y1, x0:x1].astype(np.float32)
    norm, unit = _unit_dirs(area)
    uv = _plane(unit)
    sat = np.linalg.norm(uv, axis=-1)
    coloured = (norm > 35) & (sat > GREY_ANGLE)
    memo = {} if memo is None else memo  # per image: the grey levels and text ink, the same for every panel
    if "ink_text" not in memo:
        if "grey" not in memo:
            memo["grey"] = grey(rgb)
        memo["ink_text"] = (memo["grey"] < TEXT_DARK) & ~_coloured_full(rgb)
    g, ink_text = memo["grey"], memo["ink_text"]
    entries = _legend_entries(rgb, ink_text, p, char_h, ocr, spans)
    legend_boxes = []
    masked = np.zeros(coloured.shape, bool)
    for (bx0, by0, bx1, by1), text in entries:
        hh = by1 - by0
        # the sample sits left of the text (matplotlib, Origin) or right of it (gnuplot): mask the side it is on
        rows = slice(max(0, by0 - hh // 3), by1 + hh // 3)
        n_left = int(_coloured_full(rgb[rows, max(0, bx0 - int(4.6 * hh)) : max(0, bx0 - 1)]).sum())
        n_right = int(_coloured_full(rgb[rows, bx1 + 1 : bx1 + int(4.6 * hh)]).sum())
        reach_l, reach_r = (0.3, 4.6) if n_right > 2 * n_left else (4.6, 0.3)
        lb_box = (bx0 - int(reach_l * hh), by0 - int(0.4 * hh), bx1 + int(reach_r * hh), by1 + int(0.4 * hh))
        legend_boxes.append((lb_box, (bx0, by0, bx1, by1), text))
        masked[max(0, lb_box[1] - y0) : max(0, lb_box[3] - y0), max(0, lb_box[0] - x0) : max(0, lb_box[2] - x0)] = True
    for bx0, by0, bx1, by1 in _inner_boxes(g[y0:y1, x0:x1]):  # legend frames and insets drawn as rectangles
        masked[max(0, by0 - 2) : by1 + 3, max(0, bx0 - 2) : bx1 + 3] = True
    coloured &= ~masked
    min_mass = max(120.0, 0.15 * min(x1 - x0, y1 - y0) * 60)
    clusters = []  # (ys, xs, colour, label, black)
    if coloured.any():
        ys, xs = np.nonzero(coloured)
        w = norm[ys, xs]
        centres = _peaks(uv[ys, xs], w, max(min_mass, 0.01 * float(w.sum())), MAX_SERIES)
        if centres:
            C = np.array(centres)
            d = np.linalg.norm(uv[ys, xs][:, None, :] - C[None, :, :], axis=-1)
            k = d.argmin(axis=1)
            kd = d[np.arange(len(k)), k]
            for ci in range(len(centres)):
                sel = (k == ci) & (kd < 0.12)
                if sel.sum() < 5:
                    continue
                strongest = norm[ys[sel], xs[sel]]
                core = area[ys[sel], xs[sel]][strongest >= np.quantile(strongest, 0.8)]
                clusters.append((ys[sel], xs[sel], _hex(core), _legend_label(legend_boxes, rgb, C, ci), False))
    # black / dark grey series: dark neutral ink minus long straight lines (grids, frames), legend and text
    dark = (g[y0:y1, x0:x1] < 100) & (sat <= GREY_ANGLE) & ~masked
    if dark.any():
        d8 = dark.astype(np.uint8)
        for kern in ((max(15, int(0.3 * (x1 - x0))), 1), (1, max(15, int(0.3 * (y1 - y0))))):
            lines = cv2.morphologyEx(d8, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kern))
            d8 &= ~cv2.dilate(lines, np.ones((3, 3), np.uint8)).astype(bool)
        # ticks drawn inward and stray frame pixels: small blobs touching the plot border
        n, lab, st, _ = cv2.connectedComponentsWithStats(d8, connectivity=8)
        edge = max(3, int(0.03 * min(x1 - x0, y1 - y0)))
        for i in range(1, n):
            x, y, w_, h_, a = st[i]
            touches = x <= 1 or y <= 1 or x + w_ >= (x1 - x0) - 1 or y + h_ >= (y1 - y0) - 1
            if touches and max(w_, h_) <= edge + 2:
                d8[lab == i] = 0
        # black ink is mostly text and arrows in real figures: keep curve-sized pieces, or a set of similar markers
        n, lab, st, _ = cv2.connectedComponentsWithStats(d8, connectivity=8)
        big = [i for i in range(1, n) if max(st[i, 2], st[i, 3]) >= 2.5 * char_h]
        if big and sum(st[i, 4] for i in big) >= 0.5 * float(d8.sum()):
            d8 = np.isin(lab, big).astype(np.uint8)
        if float(norm[d8.astype(bool)].sum()) >= min_mass:
            dys, dxs = np.nonzero(d8)
            label = _legend_label_dark(legend_boxes, rgb)
            clusters.append((dys, dxs, "#000000", label, True))
    if not clusters:
        return [], "no curves or markers inside the axes once axes, text and legend are removed"
    out = []
    for cys, cxs, color, label, black in clusters[:MAX_SERIES]:
        mask = np.zeros(coloured.shape, bool)
        mask[cys, cxs] = True
        kind, pts, _msize = _series_points(mask, norm, p, thick)
        if not pts:
            continue
        px = np.array([q[0] for q in pts]) + x0
        py = np.array([q[1] for q in pts]) + y0
        ya = fy2 if (black and fy2 is not None) else fy
        dx, dy = fx.value(px), ya.value(py)
        err = max(1.0 / max(1, p.width) + fx.residual, 1.0 / max(1, p.height) + ya.residual)
        flags = []
        if fx.dropped or ya.dropped:
            flags.append("tick_label_dropped:" + "|".join(fx.dropped + ya.dropped))
        if fx.reinterpreted or ya.reinterpreted:
            flags.append("log_labels_reread")
        if ya is fy2:
            flags.append("axis:right")
        out.append(
            dict(
                kind=kind,
                points=[[float(a), float(b)] for a, b in zip(dx, dy, strict=True)],
                color=color,
                label=label,
                error=err,
                flags=flags,
                marker="circle" if kind == "markers" else None,
                right=ya is fy2,
            )
        )
    if not out:
        return [], "no series left after removing legend and text"
    return out, ""


def _inner_boxes(grey_area) -> list[tuple[int, int, int, int]]:
    """Rectangles drawn inside a plot area (a legend frame, an inset): two horizontal and two vertical straight
    lines closing a box smaller than the plot area. Pixel boxes relative to the area."""
    from extractors.figures.raster_axes import long_lines

    h, w = grey_area.shape
    ink = (grey_area < 215).astype("uint8")
    hl = [ln for ln in long_lines(ink, True, max(20, int(0.08 * w))) if ln.hi - ln.lo < 0.9 * w]
    vl = [ln for ln in long_lines(ink, False, max(20, int(0.08 * h))) if ln.hi - ln.lo < 0.9 * h]
    tol = max(3, int(0.01 * max(h, w)))
    boxes = []
    for top in hl:
        for bot in hl:
            if bot.pos <= top.pos + 10 or abs(bot.lo - top.lo) > tol or abs(bot.hi - top.hi) > tol:
                continue
            left = any(abs(v.pos - top.lo) <= tol and v.lo <= top.pos + tol and v.hi >= bot.pos - tol for v in vl)
            right = any(abs(v.pos - top.hi) <= tol and v.lo <= top.pos + tol and v.hi >= bot.pos - tol for v in vl)
            if left and right:
                boxes.append((min(top.lo, bot.lo), int(top.pos), max(top.hi, bot.hi), int(bot.pos)))
    return boxes[:8]


def _coloured_full(rgb):
    import numpy as np

    norm, unit = _unit_dirs(rgb.astype(np.float32))
    return (norm > 35) & (np.linalg.norm(_plane(unit), axis=-1) > GREY_ANGLE)


def _legend_label_dark(legend_boxes, rgb) -> str | None:
    """The legend text whose sample (left of the text) is black or dark grey ink."""
    import numpy as np

    best, best_n = None, 0
    for _lb_box, (bx0, by0, _bx1, by1), text in legend_boxes:
        hh = by1 - by0
        sx0, sx1 = max(0, bx0 - int(4.6 * hh)), max(0, bx0 - int(0.15 * hh))
        sample = rgb[max(0, by0 - hh // 3) : by1 + hh // 3, sx0:sx1].astype(np.float32)
        if sample.size == 0:
            continue
        norm, unit = _unit_dirs(sample)
        ok = (sample.mean(axis=-1) < 100) & (np.linalg.norm(_plane(unit), axis=-1) <= GREY_ANGLE)
        n = int(ok.sum())
        if n > best_n and n >= 3:
            best, best_n = text, n
    return best


def _legend_label(legend_boxes, rgb, C, ci: int) -> str | None:
    """The legend text whose sample (left of the text) has this cluster's colour."""
    import numpy as np

    best, best_n = None, 0
    for _lb_box, (bx0, by0, bx1, by1), text in legend_boxes:
        hh = by1 - by0
        rows = slice(max(0, by0 - hh // 3), by1 + hh // 3)
        left = rgb[rows, max(0, bx0 - int(4.6 * hh)) : max(0, bx0 - int(0.15 * hh))]
        right = rgb[rows, bx1 + int(0.15 * hh) : bx1 + int(4.6 * hh)]
        sample = np.concatenate([left.reshape(-1, 3), right.reshape(-1, 3)]).astype(np.float32)
        if sample.size == 0:
            continue
        norm, unit = _unit_dirs(sample)
        uv = _plane(unit)
        ok = (norm > 35) & (np.linalg.norm(uv, axis=-1) > GREY_ANGLE)
        if not ok.any():
            continue
        d = np.linalg.norm(uv[ok][:, None, :] - C[None, :, :], axis=-1)
        n = int(((d.argmin(axis=1) == ci) & (d.min(axis=1) < 0.12)).sum())
        if n > best_n and n >= 3:
            best, best_n = text, n
    return best


def digitize_raster(
    image,
    *,
    figure_id: str,
    paper_id: str,
    page: int | None = None,
    bbox: BBox | None = None,
    label: str | None = None,
    text_spans: TextSpans | None = None,
    ocr: Ocr | None = None,
) -> FigureResult:
    """Digitize a raster plot image (numpy array: grey, RGB or RGBA).

    `bbox` is where the image sits on the page (PDF points) and maps series boxes onto the page; `text_spans`
    (text, pixel box) replace OCR when the figure's text is known; `ocr` overrides the rapidocr reader
    (a callable taking a list of text-line crops and returning (text, score) per crop). Never raises on a bad
    image: the result's status and reason say what was wrong.
    """
    t0 = time.perf_counter()
    base = dict(paper_id=paper_id, figure_id=figure_id, label=label, page=page, bbox=bbox, method="raster")
    base.update(extractor=NAME, extractor_version=VERSION)
    try:
        res = _digitize(image, base, text_spans, ocr or rapidocr_read)
    except Exception as e:  # a bad figure must not stop the batch; the reason is kept on the figure
        res = FigureResult(**base, status="error", reason=f"{type(e).__name__}: {e}")
    res.seconds = round(time.perf_counter() - t0, 4)
    return res


def _digitize(image, base: dict, spans: TextSpans | None, ocr: Ocr) -> FigureResult:
    import cv2

    rgb = _to_rgb(image)
    h, w = rgb.shape[:2]
    if min(h, w) < MIN_SIDE:
        return FigureResult(**base, status="not_a_plot", reason=f"image too small ({w}x{h} px, need {MIN_SIDE})")
    flags_scale = 1.0
    if max(h, w) > MAX_SIDE:
        flags_scale = MAX_SIDE / max(h, w)
        rgb = cv2.resize(rgb, (max(1, int(w * flags_scale)), max(1, int(h * flags_scale))), interpolation=cv2.INTER_AREA)
        if spans is not None:
            spans = [(t, tuple(v * flags_scale for v in b)) for t, b in spans]
    bg = _background_share(rgb)
    if bg < 0.35:
        return FigureResult(
            **base, status="not_a_plot", reason=f"no plain background ({bg:.0%} of pixels share one colour): photo?"
        )
    memo = {"grey": grey(rgb)}
    ink = memo["grey"] < DARK
    panels, _, _ = find_panels(ink)
    if not panels:
        return FigureResult(**base, status="no_axes", reason="no pair of long orthogonal axis lines meeting in a corner")
    series: list[FigureSeries] = []
    reasons: list[str] = []
    statuses: list[str] = []
    multi = len(panels) > 1
    for i, p in enumerate(panels):
        name = chr(ord("a") + i) if multi else None
        fx, lx, st_x, why_x = _calibrate(rgb, ink, p, "x", spans, ocr)
        fy, ly, st_y, why_y = _calibrate(rgb, ink, p, "y", spans, ocr)
        if fx is None or fy is None:
            statuses.append(st_x or st_y)
            reasons.append(f"panel {name or 1}: " + "; ".join(r for r in (why_x, why_y) if r))
            continue
        fy2 = None
        if p.rline is not None and spans is None:
            fy2, _ly2, _st, _why = _calibrate(rgb, ink, p, "y2", spans, ocr)
        found, why = _panel_series(rgb, p, fx, fy, fy2, lx + ly, ocr, spans, memo)
        if not found:
            statuses.append("no_series")
            reasons.append(f"panel {name or 1}: {why}")
            continue
        xa, ya = _axis_model(fx, p, "x"), _axis_model(fy, p, "y")
        y2a = _axis_model(fy2, p, "y2") if fy2 is not None else None
        for s in found:
            idx = len(series)
            flags = list(s["flags"])
            if flags_scale != 1.0:
                flags.append(f"downscaled:{flags_scale:.3f}")
            series.append(
                FigureSeries(
                    series_id=series_id_for(base["paper_id"], base["figure_id"], name, idx, "raster"),
                    paper_id=base["paper_id"],
                    figure_id=base["figure_id"],
                    panel=name,
                    page=base["page"],
                    bbox=_page_box(base["bbox"], rgb.shape, (p.x0, p.y0, p.x1, p.y1)),
                    method="raster",
                    x=xa,
                    y=y2a if (s["right"] and y2a is not None) else ya,
                    label=s["label"],
                    style=SeriesStyle(color=s["color"], kind=s["kind"], marker=s["marker"]),
                    points=s["points"],
                    error_estimate=round(s["error"], 6),
                    extractor=NAME,
                    extractor_version=VERSION,
                    flags=flags,
                )
            )
    if series:
        status, reason = "digitized", "; ".join(reasons)
    else:
        order = ["uncalibrated", "non_numeric", "no_series", "no_axes"]
        status = next((s for s in order if s in statuses), "no_axes")
        reason = "; ".join(reasons)
    return FigureResult(**base, status=status, reason=reason, n_panels=len(panels), series=series)

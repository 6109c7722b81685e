"""Figures in PDF pages: raster images and clusters of vector drawings, tied to their "Fig. N" captions.

Figure finding is caption-driven: a page without a figure caption costs nothing. Graphics (images from
`get_image_info`, vector path boxes collected by the same TextPage as the text) are clustered by proximity on a
grid, each significant cluster goes to the nearest caption below it (or above it) with no body text between,
and the text lying in or next to the clustered graphics becomes figure text (tick labels, legends, axis titles).
Exact indices into `page.get_drawings()` are only computed for pages that hold a vector figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pymupdf

from pipeline.parse.layout import Frag

CAPTION_RE = re.compile(
    r"^(?P<kind>fig(?:ure)?s?\.?|table|tab\.)\s*(?P<num>S?\d+|[IVXL]+)(?P<sub>[a-z]?)(?P<rest>.*)$", re.I | re.S
)
_CAPTION_SEP = re.compile(r"^\s*([.:|\u2014\u2013]|$)")

MAX_INDEXED_PATHS = 1000  # pages with more drawing ops keep the figure's drawing box and count, not indices
_CELL = 5.0  # grid cell (points) for proximity clustering: marks in touching cells belong together


def caption_label(text: str, lead_bold: bool = False) -> tuple[str, str] | None:
    """("figure"|"table", "Fig. 3"|"Table 1") when `text` starts a caption, else None.

    The label must be followed by a separator (". : |"), stand alone ("Table 1" on its own line), or be bold;
    "Figure 1(b) shows ..." in running text is not a caption.
    """
    m = CAPTION_RE.match(text)
    if not m:
        return None
    if not (_CAPTION_SEP.match(m.group("rest")) or (lead_bold and m.group("rest")[:1] in (" ", ""))):
        return None
    num = m.group("num")
    if m.group("kind").lower().startswith("tab"):
        return "table", f"Table {num}"
    return "figure", f"Fig. {num}"


def caption_starts(frags: list[Frag]) -> list[tuple[Frag, str, str]]:
    """(fragment, kind, label) for fragments that open a caption: the first line of a PyMuPDF block, or a line
    standing apart on the same baseline as the previous one (two captions side by side in one block)."""
    out = []
    prev = None
    for f in frags:
        p, prev = prev, f
        if f.text[:1] not in "FfTt" or f.role != "body" or not f.horizontal:
            continue  # the cheap tests first: most lines are not even candidates
        if not (f.line_no == 0 or (p is not None and p.block == f.block and _apart(p, f))):
            continue
        lab = caption_label(f.text, f.lead_bold)
        if lab:
            out.append((f, lab[0], lab[1]))
    return out


def _apart(a: Frag, b: Frag) -> bool:
    same_line = min(a.y1, b.y1) - max(a.y0, b.y0) >= 0.5 * min(a.height, b.height)
    return same_line and b.x0 - a.x1 > 2 * max(a.size, b.size)


@dataclass(eq=False)
class Graphic:
    x0: float
    y0: float
    x1: float
    y1: float
    count: int = 1  # drawing ops in a vector cluster
    image: dict | None = None  # get_image_info() entry for a raster image

    @property
    def area(self) -> float:
        return max(0.0, self.x1 - self.x0) * max(0.0, self.y1 - self.y0)


@dataclass(eq=False)
class FigureRegion:
    """A figure found on a page: its caption fragment, graphics and the text inside it."""

    page: int
    label: str
    caption: Frag
    graphics: list[Graphic] = field(default_factory=list)
    text: list[Frag] = field(default_factory=list)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        boxes = [(g.x0, g.y0, g.x1, g.y1) for g in self.graphics] + [(f.x0, f.y0, f.x1, f.y1) for f in self.text]
        return _union(boxes)

    def vector_box(self) -> tuple[float, float, float, float] | None:
        boxes = [(g.x0, g.y0, g.x1, g.y1) for g in self.graphics if g.image is None]
        return _union(boxes) if boxes else None


def _union(boxes) -> tuple[float, float, float, float]:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def find_figures(
    page_no: int,
    frags: list[Frag],
    images: list[dict],
    vectors: list[tuple[float, float, float, float]],
    page_rect: tuple[float, float],
    avoid: list[tuple[float, float, float, float]],
    body_size: float,
    line_width: float,
    starts: list[tuple[Frag, str, str]] | None = None,
) -> list[FigureRegion]:
    """Figures of one page. Marks the fragments inside them with role "figure".

    `avoid` are table boxes (their rules are not figures); `line_width` is the usual width of a body text line;
    `starts` is caption_starts(frags) when the caller has it already.
    """
    if starts is None:
        starts = caption_starts(frags)
    captions = [(f, lab) for f, kind, lab in starts if kind == "figure"]
    if not captions:
        return []
    width, height = page_rect
    caption_frags = {id(f) for f, _ in captions}
    barriers = [f for f in frags if id(f) in caption_frags or _is_barrier(f, body_size, line_width)]
    vectors = _drop_text_covers(vectors, barriers)
    graphics = _images(images, width, height) + _vector_clusters(vectors, width, height)
    graphics = [g for g in graphics if not any(_overlap_share(g, t) > 0.5 for t in avoid)]
    if not graphics:
        return []
    for g in graphics:
        _trim_at_captions(g, captions)
    regions = {id(c): FigureRegion(page=page_no, label=lab, caption=c) for c, lab in captions}
    for g in sorted(graphics, key=lambda g: (g.y0, g.x0)):
        cap = _caption_for(g, captions, barriers)
        if cap is not None:
            regions[id(cap)].graphics.append(g)
    out = [r for r in regions.values() if r.graphics]
    for r in out:
        _collect_text(r, frags, caption_frags, barriers)
    return sorted(out, key=lambda r: (r.caption.y0, r.caption.x0))


def _drop_text_covers(vectors, barriers: list[Frag]):
    """Leave out big drawing boxes that lie over running text: page backgrounds and curves whose box is not
    clipped to their plot (MuPDF reports the unclipped path box). Returns an (n, 4) array."""
    v = _boxes_array(vectors)
    if not barriers or not len(v):
        return v
    centres = np.array([((f.x0 + f.x1) / 2, (f.y0 + f.y1) / 2) for f in barriers])
    cx, cy = centres[:, 0], centres[:, 1]
    keep = np.ones(len(v), dtype=bool)
    big = np.flatnonzero((v[:, 2] - v[:, 0]) * (v[:, 3] - v[:, 1]) > 5000)
    step = max(1, 1_000_000 // len(centres))  # big boxes x barrier centres, a bounded matrix at a time
    for i in range(0, len(big), step):
        k = big[i:i + step]
        b = v[k]
        inside = (cx > b[:, 0:1]) & (cx < b[:, 2:3]) & (cy > b[:, 1:2]) & (cy < b[:, 3:4])
        keep[k[inside.sum(axis=1) >= 2]] = False
    return v if keep.all() else v[keep]


def _boxes_array(boxes) -> np.ndarray:
    """(x0, y0, x1, y1) tuples as an (n, 4) float array (fromiter: a fraction of np.asarray's cost on tuples)."""
    if isinstance(boxes, np.ndarray):
        return boxes.reshape(-1, 4)
    return np.fromiter(chain.from_iterable(boxes), dtype=np.float64, count=4 * len(boxes)).reshape(-1, 4)


def _images(images: list[dict], width: float, height: float) -> list[Graphic]:
    out = []
    for im in images:
        x0, y0, x1, y1 = im["bbox"]
        x0, y0, x1, y1 = max(0.0, x0), max(0.0, y0), min(width, x1), min(height, y1)
        if x1 - x0 < 12 or y1 - y0 < 12 or (x1 - x0) * (y1 - y0) > 0.85 * width * height:
            continue
        out.append(Graphic(x0, y0, x1, y1, image=im))
    return out


def _vector_clusters(vectors, width: float, height: float) -> list[Graphic]:
    """Proximity clusters of drawing boxes; hairline rules, page backgrounds and specks are left out.

    Boxes are painted on a coarse occupancy grid (cells of _CELL points); 8-connected groups of painted cells are
    the clusters. Vectorised with numpy, linear in the number of drawing ops: a plot with 150k marks stays cheap.
    """
    v = np.asarray(vectors, dtype=np.float64).reshape(-1, 4)
    if not len(v):
        return []
    w, h = v[:, 2] - v[:, 0], v[:, 3] - v[:, 1]
    keep = (w * h <= 0.5 * width * height) & (v[:, 2] >= 0) & (v[:, 3] >= 0) & (v[:, 0] <= width) \
        & (v[:, 1] <= height) & ~((np.minimum(w, h) < 1.5) & (np.maximum(w, h) > 0.35 * width))
    v = v[keep]  # drops page backgrounds, separators, table and footnote rules
    if not len(v):
        return []
    nx, ny = int(width // _CELL) + 2, int(height // _CELL) + 2
    c = np.floor(v / _CELL).astype(np.int64)
    cx0, cy0 = np.clip(c[:, 0], 0, nx - 1), np.clip(c[:, 1], 0, ny - 1)
    cx1, cy1 = np.clip(c[:, 2], 0, nx - 1), np.clip(c[:, 3], 0, ny - 1)
    # 2-D difference array: paint every box at once (bincount: the scatter-add np.add.at does, much faster)
    size, stride = (ny + 1) * (nx + 1), nx + 1
    diff = (np.bincount(cy0 * stride + cx0, minlength=size) - np.bincount(cy0 * stride + cx1 + 1, minlength=size)
            - np.bincount((cy1 + 1) * stride + cx0, minlength=size)
            + np.bincount((cy1 + 1) * stride + cx1 + 1, minlength=size)).reshape(ny + 1, nx + 1)
    grid = diff.cumsum(0).cumsum(1)[:ny, :nx] > 0
    run_row, run_start, run_label = _label_runs(grid)
    key = run_row * (nx + 1) + run_start
    idx = np.searchsorted(key, cy0 * (nx + 1) + cx0, side="right") - 1
    labels = run_label[idx]
    n = int(labels.max()) + 1
    counts = np.bincount(labels, minlength=n)
    # per-label extent: sort by label, reduce each label's run (np.minimum.at / maximum.at, without their cost)
    order = np.argsort(labels, kind="stable")
    firsts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    present = counts > 0
    x0, y0 = np.full(n, np.inf), np.full(n, np.inf)
    x1, y1 = np.full(n, -np.inf), np.full(n, -np.inf)
    sv = v[order]
    x0[present] = np.minimum.reduceat(sv[:, 0], firsts[present])
    y0[present] = np.minimum.reduceat(sv[:, 1], firsts[present])
    x1[present] = np.maximum.reduceat(sv[:, 2], firsts[present])
    y1[present] = np.maximum.reduceat(sv[:, 3], firsts[present])
    return [Graphic(float(x0[k]), float(y0[k]), float(x1[k]), float(y1[k]), count=int(counts[k]))
            for k in range(n) if counts[k] and x1[k] - x0[k] >= 12 and y1[k] - y0[k] >= 12]


def _label_runs(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """8-connected components of a boolean grid, by horizontal runs: (run row, run start col, run label)."""
    padded = np.zeros((grid.shape[0], grid.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = grid
    d = np.diff(padded, axis=1)
    rows, starts = np.nonzero(d == 1)
    _, ends = np.nonzero(d == -1)  # exclusive ends, same row-major order as the starts
    rl, sl, el = rows.tolist(), starts.tolist(), ends.tolist()
    parent = list(range(len(rl)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    prev_lo = prev_hi = 0  # runs of the previous row: indices [prev_lo, prev_hi)
    i = 0
    while i < len(rl):
        j = i
        while j < len(rl) and rl[j] == rl[i]:
            j += 1
        if prev_hi > prev_lo and rl[prev_lo] == rl[i] - 1:
            k = prev_lo
            for r in range(i, j):
                while k < prev_hi and el[k] < sl[r]:  # that run ends left of this one, not even touching
                    k += 1
                m = k
                while m < prev_hi and sl[m] <= el[r]:
                    a, b = find(r), find(m)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
                    m += 1
        prev_lo, prev_hi = i, j
        i = j
    remap: dict[int, int] = {}
    labels = [remap.setdefault(find(i), len(remap)) for i in range(len(rl))]
    return rows, starts, np.asarray(labels, dtype=np.int64)


def _trim_at_captions(g: Graphic, captions) -> None:
    """A graphic whose box runs over a caption (clipped images report their full size) ends above it."""
    for c, _ in captions:
        if g.y0 + 10 < c.y0 < g.y1 and min(g.x1, c.x1) - max(g.x0, c.x0) > 0:
            g.y1 = c.y0 - 1


def _overlap_share(g: Graphic, box) -> float:
    w = min(g.x1, box[2]) - max(g.x0, box[0])
    h = min(g.y1, box[3]) - max(g.y0, box[1])
    return (w * h) / g.area if w > 0 and h > 0 and g.area > 0 else 0.0


_WORDS3 = re.compile(r"[^\W\d_]{3,}")


def _is_barrier(f: Frag, body_size: float, line_width: float) -> bool:
    """A line of running text: body-size font, real words, as wide as a text line."""
    if f.role != "body" or not f.horizontal or abs(f.size - body_size) > 0.6:
        return False
    return len(_WORDS3.findall(f.text)) >= 4 and f.width >= 0.6 * line_width


def _caption_for(g: Graphic, captions, barriers) -> Frag | None:
    """The caption a graphic belongs to: nearest below it (or, costlier, above it), nothing in between.

    Distance is vertical, plus a penalty when the graphic and the caption line barely overlap horizontally.
    """
    best, best_d = None, None
    for c, _ in captions:
        if min(g.x1, c.x1 + 40) - max(g.x0, c.x0 - 40) <= 0:
            continue
        if g.y1 <= c.y0 + 4:
            d = c.y0 - g.y1
            lo, hi = g.y1, c.y0
        elif g.y0 >= c.y1 - 4:
            d = g.y0 - c.y1 + 40
            lo, hi = c.y1, g.y0
        else:
            continue
        x0, x1 = max(g.x0, c.x0 - 40), min(g.x1, c.x1 + 40)
        if any(b is not c and b.y0 >= lo - 1 and b.y1 <= hi + 1 and b.x1 > x0 and b.x0 < x1 for b in barriers):
            continue
        shared = max(0.0, min(g.x1, c.x1) - max(g.x0, c.x0)) / max(1.0, min(g.x1 - g.x0, c.x1 - c.x0))
        d += 100 * (1 - min(1.0, shared))
        if best_d is None or d < best_d:
            best, best_d = c, d
    return best


def _collect_text(r: FigureRegion, frags: list[Frag], caption_frags: set[int], barriers: list[Frag]) -> None:
    """Fragments inside the region's graphics, or next to them (axis labels), become figure text."""
    barrier_ids = {id(b) for b in barriers}
    x0, y0, x1, y1 = r.bbox
    cap = r.caption
    above = y1 <= cap.y0 + 4  # the figure sits above its caption
    lo, hi = min(x0, cap.x0), max(x1, cap.x1)  # never grow sideways past the graphics or caption (gutters)
    taken: list[Frag] = []
    grow = True
    while grow:
        grow = False
        for f in frags:
            if f.role not in ("body", "margin") or id(f) in caption_frags or id(f) in barrier_ids or f in taken:
                continue
            cx, cy = (f.x0 + f.x1) / 2, (f.y0 + f.y1) / 2
            inside = x0 <= cx <= x1 and y0 <= cy <= y1
            pad = max(3.0, f.size)
            if not inside and (f.x0 < lo - pad or f.x1 > hi + pad):
                continue
            near = x0 - pad <= f.x1 and f.x0 <= x1 + pad and y0 - pad <= f.y1 and f.y0 <= y1 + pad
            if not inside and not near:
                continue
            if above and f.y1 > cap.y0 + 1 or not above and f.y0 < cap.y1 - 1:
                continue
            taken.append(f)
            x0, y0, x1, y1 = min(x0, f.x0), min(y0, f.y0), max(x1, f.x1), max(y1, f.y1)
            grow = True
    for f in taken:
        f.role = "figure"
    r.text = sorted(taken, key=lambda f: (f.y0, f.x0))


# --- schema data (plain dicts, validated once with the whole document) ---------------------------------------


def _r2(x: float) -> float:
    """x rounded to 2 decimals (half away from zero; several times faster than round(x, 2))."""
    return int(x * 100 + 0.5) / 100 if x >= 0 else -int(-x * 100 + 0.5) / 100


def box(b) -> dict:
    """A BBox as a dict, rounded to 2 decimals."""
    return {"x0": _r2(b[0]), "y0": _r2(b[1]), "x1": _r2(b[2]), "y1": _r2(b[3])}


def image_refs(r: FigureRegion, xrefs: dict[tuple[int, int], int]) -> list[dict]:
    """ImageRefs of a figure; `xrefs` maps (pixel width, height) to an xref when that is unambiguous."""
    out = []
    for g in r.graphics:
        if g.image is None:
            continue
        w, h = int(g.image.get("width", 0)), int(g.image.get("height", 0))
        out.append({"xref": xrefs.get((w, h), 0), "bbox": box((g.x0, g.y0, g.x1, g.y1)), "width": w, "height": h})
    return out


def figure_texts(r: FigureRegion) -> list[dict]:
    """Figure text as phrases: a fragment is cut where its words are further apart than a font size."""
    out = []
    for f in r.text:
        group: list = []
        for w in f.words:
            if group and w[2] - group[-1][4] > 0.8 * f.size:
                out.append(_phrase(f, group))
                group = []
            group.append(w)
        if group:
            out.append(_phrase(f, group))
    return out


def _phrase(f: Frag, words: list) -> dict:
    return {
        "text": f.text[words[0][0]:words[-1][1]],
        "bbox": box(_union([(w[2], w[3], w[4], w[5]) for w in words])),
        "size": round(f.size, 2),
        "dir": (round(f.dir[0], 3), round(f.dir[1], 3)),
    }


def drawing_refs(page: pymupdf.Page, page_no: int, regions: list[FigureRegion], n_vectors: int) -> tuple[list, bool]:
    """Per region, its DrawingRefs (one, or none without vector graphics): indices into page.get_drawings().

    Above MAX_INDEXED_PATHS ops on the page the indices are left empty (box and count only); the flag says so.
    """
    boxes = [r.vector_box() for r in regions]
    if not any(boxes):
        return [[] for _ in regions], False
    if n_vectors > MAX_INDEXED_PATHS:
        out = []
        for r, b in zip(regions, boxes, strict=True):
            n = sum(g.count for g in r.graphics if g.image is None)
            out.append([{"page": page_no, "indices": [], "bbox": box(b), "n_paths": n}] if b else [])
        return out, True
    rects = drawing_rects(page)
    r = _boxes_array(rects)
    cx, cy = (r[:, 0] + r[:, 2]) / 2, (r[:, 1] + r[:, 3]) / 2
    out = []
    for b in boxes:
        idx = [] if not b else np.flatnonzero(
            (b[0] - 1 <= cx) & (cx <= b[2] + 1) & (b[1] - 1 <= cy) & (cy <= b[3] + 1)).tolist()
        if idx:
            out.append([{"page": page_no, "indices": idx, "bbox": box(_union([rects[i] for i in idx])),
                         "n_paths": len(idx)}])
        else:
            out.append([])
    return out, False


def drawing_rects(page: pymupdf.Page) -> list:
    """[d["rect"] for d in page.get_cdrawings()], without keeping every drawing's path data until the end: the
    drawings come one by one through get_cdrawings' callback (which skips its list-mode merge), and the merge is
    replayed: a stroke ("s") with the same items as the fill ("f") kept just before it joins that fill (one "fs"
    drawing, the fill's rect). About a quarter less time on pages with thousands of paths; the same list."""
    rects: list = []
    last: list = [None, None]  # type and items of the last drawing kept

    def take(d: dict) -> bool:
        kind = d["type"]
        if kind == "s" and last[0] == "f" and last[1] == d["items"]:
            last[0] = "fs"
        else:
            rects.append(d["rect"])
            last[0], last[1] = kind, d["items"]
        return True

    page.get_cdrawings(callback=take)
    return rects

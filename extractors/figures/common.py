"""Plain inputs of the figure digitizers: text lines and vector shapes of one figure region.

Digitizers take these, not PDF objects, so they run on anything that can produce them; `page_inputs` builds them
from a PyMuPDF page (pipeline code opens the PDF and passes the page in). Coordinates are PDF points, top-left
origin, as PyMuPDF reports them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

Box = tuple[float, float, float, float]


@dataclass
class TextLine:
    """A line of text as PyMuPDF groups it; superscript spans are kept apart so "10" + "−1" reads 10^−1."""

    text: str  # spans joined, superscripts marked with "^" ("10^−1", "×10^6", "Capacity / mAh g^−1")
    bbox: Box
    size: float
    dir: tuple[float, float] = (1.0, 0.0)

    @property
    def plain(self) -> str:
        return self.text.replace("^", "")

    @property
    def cx(self) -> float:
        return (self.bbox[0] + self.bbox[2]) / 2

    @property
    def cy(self) -> float:
        return (self.bbox[1] + self.bbox[3]) / 2

    @property
    def horizontal(self) -> bool:
        return abs(self.dir[0]) > 0.9 and abs(self.dir[1]) < 0.1

    @property
    def vertical(self) -> bool:
        return abs(self.dir[1]) > 0.9 and abs(self.dir[0]) < 0.1


@dataclass
class Shape:
    """One vector path: its style and geometry. `segments` are straight pieces (curves by their chord ends)."""

    idx: int  # index in the page's drawing order
    stroke: str | None  # "#rrggbb" or None
    fill: str | None
    width: float
    dashed: bool
    rect: Box
    segments: list[tuple[float, float, float, float]] = field(default_factory=list)
    n_curves: int = 0
    closed: bool = False

    @property
    def w(self) -> float:
        return self.rect[2] - self.rect[0]

    @property
    def h(self) -> float:
        return self.rect[3] - self.rect[1]

    @property
    def cx(self) -> float:
        return (self.rect[0] + self.rect[2]) / 2

    @property
    def cy(self) -> float:
        return (self.rect[1] + self.rect[3]) / 2

    @property
    def color(self) -> str | None:
        return self.stroke or self.fill

    def style_key(self) -> tuple:
        return (self.stroke, self.fill, round(self.width, 2), self.dashed)

    def vertices(self) -> list[tuple[float, float]]:
        """The path as one chain of points when its segments connect end to end (else every segment's ends)."""
        out: list[tuple[float, float]] = []
        for x0, y0, x1, y1 in self.segments:
            if not out or abs(out[-1][0] - x0) > 0.01 or abs(out[-1][1] - y0) > 0.01:
                out.append((x0, y0))
            out.append((x1, y1))
        return out

    def is_chain(self) -> bool:
        segs = self.segments
        return all(abs(a[2] - b[0]) <= 0.01 and abs(a[3] - b[1]) <= 0.01 for a, b in zip(segs, segs[1:]))  # noqa: B905

    def signature(self) -> tuple:
        """Shape of the path relative to its box centre (for telling marker kinds apart)."""
        w, h = max(self.w, 1e-6), max(self.h, 1e-6)
        pts = sorted({(round(4 * (x - self.cx) / w), round(4 * (y - self.cy) / h))
                      for s in self.segments for x, y in (s[:2], s[2:])})
        return (len(self.segments), self.n_curves, tuple(pts[:12]))


def _hex(c) -> str | None:
    if c is None:
        return None
    if len(c) == 1:
        c = (c[0], c[0], c[0])
    if len(c) == 4:  # CMYK
        k = c[3]
        c = ((1 - c[0]) * (1 - k), (1 - c[1]) * (1 - k), (1 - c[2]) * (1 - k))
    return "#" + "".join(f"{max(0, min(255, round(float(v) * 255))):02x}" for v in c[:3])


def shape_from_cdrawing(idx: int, d: dict) -> Shape:
    """A Shape from one `page.get_cdrawings()` entry (plain tuples): the same Shape as the `page.get_drawings()` entry
    gives, which is this entry with its tuples wrapped in Point / Rect / Quad objects (rectangles normalized), without
    building those objects (tests/extractors/figures/test_vector.py checks them against each other)."""
    segs: list[tuple[float, float, float, float]] = []
    n_curves = 0
    for it in d.get("items", ()):
        op = it[0]
        if op == "l":
            a, b = it[1], it[2]
            segs.append((float(a[0]), float(a[1]), float(b[0]), float(b[1])))
        elif op == "c":
            n_curves += 1
            _bezier(segs, *((float(q[0]), float(q[1])) for q in it[1:5]))
        elif op == "re":
            x0, y0, x1, y1 = (float(v) for v in it[1])
            if x1 < x0:  # Rect.normalize()
                x0, x1 = x1, x0
            if y1 < y0:
                y0, y1 = y1, y0
            segs += [(x0, y0, x1, y0), (x1, y0, x1, y1), (x1, y1, x0, y1), (x0, y1, x0, y0)]
        elif op == "qu":
            ul, ur, ll, lr = ((float(q[0]), float(q[1])) for q in it[1])
            pts = [ul, ur, lr, ll, ul]
            segs += [(p[0], p[1], r[0], r[1]) for p, r in zip(pts, pts[1:])]  # noqa: B905
    r = d.get("rect")
    rect = (float(r[0]), float(r[1]), float(r[2]), float(r[3])) if r is not None else _seg_box(segs)
    return _shape(idx, d, segs, n_curves, rect)


def _bezier(segs: list, p0, p1, p2, p3) -> None:
    """Four chords along a cubic Bezier curve."""
    prev = p0
    for t in (0.25, 0.5, 0.75, 1.0):
        u = 1 - t
        pt = (u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
              u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1])
        segs.append((prev[0], prev[1], pt[0], pt[1]))
        prev = pt


def _shape(idx: int, d: dict, segs: list, n_curves: int, rect: Box) -> Shape:
    typ = d.get("type") or ""
    dashes = d.get("dashes") or ""
    dashed = bool(dashes) and not dashes.startswith("[] ") and dashes not in ("[]", "[] 0")
    return Shape(
        idx=idx,
        stroke=_hex(d.get("color")) if "s" in typ else None,
        fill=_hex(d.get("fill")) if "f" in typ else None,
        width=float(d.get("width") or 0.0) if "s" in typ else 0.0,
        dashed=dashed,
        rect=rect,
        segments=segs,
        n_curves=n_curves,
        closed=bool(d.get("closePath")) or op_closed(segs),
    )


def op_closed(segs) -> bool:
    return len(segs) >= 3 and abs(segs[0][0] - segs[-1][2]) < 0.01 and abs(segs[0][1] - segs[-1][3]) < 0.01


def _seg_box(segs) -> Box:
    if not segs:
        return (0.0, 0.0, 0.0, 0.0)
    xs = [v for s in segs for v in (s[0], s[2])]
    ys = [v for s in segs for v in (s[1], s[3])]
    return (min(xs), min(ys), max(xs), max(ys))


def lines_from_textdict(td: dict, clip: Box | None = None) -> list[TextLine]:
    """TextLines from `page.get_text("rawdict")` (or "dict"): spans of a line joined, raised smaller spans marked as
    superscripts, and a line split where a horizontal gap between characters shows separate labels run together
    ("10.0010.2510.50" -> three tick labels)."""
    out: list[TextLine] = []
    for b in td.get("blocks", ()):
        for ln in b.get("lines", ()):
            dir_ = tuple(float(v) for v in ln.get("dir", (1.0, 0.0)))
            spans = [dict(sp, text=_span_text(sp)) for sp in ln.get("spans", ())]
            spans = [sp for sp in spans if sp["text"].strip()]
            if not spans:
                continue
            size = max(float(sp["size"]) for sp in spans)
            base = next((sp for sp in spans if float(sp["size"]) >= size - 0.01), spans[0])
            for piece in _pieces(spans, size, dir_):
                bbox = _union([tuple(sp["bbox"]) for sp in piece])
                if clip is not None and not _inside_centre(bbox, clip):
                    continue
                text = ""
                for sp in piece:
                    t = sp["text"]
                    if float(sp["size"]) < 0.85 * size and _raised(sp, base, dir_):
                        text += "^" + t.strip()
                    else:
                        text += t
                out.append(TextLine(text=text.strip(), bbox=bbox, size=size, dir=(dir_[0], dir_[1])))
    return out


def _span_text(sp: dict) -> str:
    if "text" in sp:
        return sp["text"]
    return "".join(c.get("c", "") for c in sp.get("chars", ()))


def _pieces(spans: list[dict], size: float, dir_) -> list[list[dict]]:
    """Split a horizontal line's spans (and spans' characters) at gaps wider than a third of the font size."""
    if abs(dir_[0]) < 0.9 or not any("chars" in sp for sp in spans):
        return [spans]
    pieces: list[list[dict]] = [[]]
    last_x1 = None
    for sp in spans:
        chars = sp.get("chars") or []
        if not chars:
            pieces[-1].append(sp)
            continue
        cur: list[dict] = []
        for c in chars:
            x0, x1 = float(c["bbox"][0]), float(c["bbox"][2])
            if last_x1 is not None and x0 - last_x1 > 0.33 * size and (cur or pieces[-1]):
                if cur:
                    pieces[-1].append(_sub_span(sp, cur))
                    cur = []
                pieces.append([])
            cur.append(c)
            last_x1 = x1
        if cur:
            pieces[-1].append(_sub_span(sp, cur))
    return [p for p in pieces if p]


def _sub_span(sp: dict, chars: list[dict]) -> dict:
    inked = [c for c in chars if c.get("c", "").strip()] or chars
    bbox = _union([tuple(c["bbox"]) for c in inked])
    return dict(sp, text="".join(c["c"] for c in chars), bbox=bbox, chars=chars)


def _raised(s: dict, base: dict, dir_) -> bool:
    if abs(dir_[0]) < 0.9:  # rotated text: any smaller span counts as a superscript
        return True
    return float(s["origin"][1]) < float(base["origin"][1]) - 0.15 * float(s["size"])


def _union(boxes) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _inside_centre(b: Box, clip: Box) -> bool:
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    return clip[0] <= cx <= clip[2] and clip[1] <= cy <= clip[3]


def page_inputs(page, clip: Box, max_drawings: int | None = None) -> tuple[list[Shape], list[TextLine], int]:
    """(shapes, text lines, drawings on the page) of a PyMuPDF page inside `clip`.

    With `max_drawings` set and the page holding more drawing commands than that, no shapes are built (the
    count tells the caller why); `page.get_cdrawings()` counts them without building Python objects.
    """
    import pymupdf

    rect = pymupdf.Rect(*clip)
    drawings = page.get_cdrawings()  # what get_drawings() wraps in Point / Rect objects, read once
    n = len(drawings)
    shapes: list[Shape] = []
    if max_drawings is None or n <= max_drawings:
        for i, d in enumerate(drawings):
            r = d.get("rect")
            if r is not None and r[0] <= clip[2] and r[2] >= clip[0] and r[1] <= clip[3] and r[3] >= clip[1]:
                shapes.append(shape_from_cdrawing(i, d))
    lines = lines_from_textdict(page.get_text("rawdict", clip=rect), clip)
    return shapes, lines, n


def dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])

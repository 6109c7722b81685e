"""Text drawn as glyph outlines: many journals convert figure text to filled paths, so a vector plot has exact
axes, ticks and curves but no text layer. Small filled shapes are grouped into words (superscripts apart), each word
is rendered from the page and read by OCR, and the words come back as TextLines with their exact outline boxes.
Tick positions still come from the vector tick marks, so the fit stays exact when OCR reads the numbers right (a
misread label breaks the fit and the residual gate refuses the axis).
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

from extractors.figures.common import Box, Shape, TextLine

Render = Callable[[Box, float], object]  # (box in page points, zoom) -> RGB numpy array
Ocr = Callable[[list], list[tuple[str, float]]]

MAX_GLYPH = 16.0  # points: larger filled shapes are not glyphs
MAX_WORDS = 400
MAX_WORD_W = 300.0


def _glyph(s: Shape) -> bool:
    if s.fill is None or (s.stroke is not None and s.stroke != s.fill):
        return False
    if s.h > MAX_GLYPH or s.w > MAX_WORD_W or max(s.w, s.h) < 0.4:  # a glyph, or a whole word drawn as one path
        return False
    c = s.fill
    return all(int(c[i: i + 2], 16) < 0xE0 for i in (1, 3, 5)) or s.n_curves > 0


def _explode(s: Shape) -> list[Shape]:
    """A path holding several glyphs (a whole label drawn as one path) split into one pseudo-shape per glyph:
    subpaths, merged where their x ranges overlap (holes of 0, 6, 8 sit inside their outline)."""
    if s.w <= 1.5 * max(s.h, 1.0) or len(s.segments) < 6:
        return [s]
    subs: list[list[tuple]] = []
    for seg in s.segments:
        if subs and abs(subs[-1][-1][2] - seg[0]) <= 0.01 and abs(subs[-1][-1][3] - seg[1]) <= 0.01:
            subs[-1].append(seg)
        else:
            subs.append([seg])
    boxes = sorted(((min(min(a[0], a[2]) for a in sp), min(min(a[1], a[3]) for a in sp),
                     max(max(a[0], a[2]) for a in sp), max(max(a[1], a[3]) for a in sp), sp) for sp in subs),
                   key=lambda b: b[0])
    merged: list[list] = []
    for b in boxes:
        if merged and b[0] <= merged[-1][2] + 0.05:
            m = merged[-1]
            merged[-1] = [m[0], min(m[1], b[1]), max(m[2], b[2]), max(m[3], b[3]), m[4] + b[4]]
        else:
            merged.append(list(b))
    if len(merged) < 2:
        return [s]
    return [Shape(idx=s.idx, stroke=s.stroke, fill=s.fill, width=s.width, dashed=s.dashed, rect=(m[0], m[1], m[2], m[3]),
                  segments=m[4]) for m in merged]


def glyph_words(shapes: Sequence[Shape]) -> list[list[Shape]]:
    """Glyph shapes grouped into horizontal words: overlapping rows, gaps under a third of the glyph height.

    Two glyphs join when the gap between them is at most 0.45 of the taller one's height (at least 2 pt) and their
    rows overlap by 0.3 of the smaller height, or the smaller one's centre lies within the bigger one's rows (20 %
    margin); words are the connected groups. Candidate pairs come from a sorted sweep over x (only glyphs starting
    within reach of a glyph's right edge can join it) and are tested in numpy, a chunk of pairs at a time.
    """
    gl = sorted((g for s in shapes if _glyph(s) for g in _explode(s)), key=lambda s: s.rect[0])
    if not gl:
        return []
    edges = _word_edges(gl)
    parent = list(range(len(gl)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in edges:
        parent[find(i)] = find(j)
    groups: dict[int, list[Shape]] = {}
    for i, s in enumerate(gl):
        groups.setdefault(find(i), []).append(s)
    return sorted(groups.values(), key=lambda g: (min(s.rect[1] for s in g), min(s.rect[0] for s in g)))


_PAIR_CHUNK = 500_000  # candidate pairs tested at once (bounds memory on dense figures)


def _word_edges(gl: list[Shape]):
    """(i, j) index pairs of glyphs (sorted by left edge) that join into one word."""
    import numpy as np

    r = np.array([s.rect for s in gl], dtype=np.float64)
    x0, y0, x1, y1 = r[:, 0], r[:, 1], r[:, 2], r[:, 3]
    h = y1 - y0
    cy = (y0 + y1) / 2
    n = len(gl)
    reach = 0.45 * max(float(h.max()), 2.0) + 1.0  # no glyph starting further right of x1 can join (1 pt slack)
    if not np.isfinite(r).all() or reach >= 0.5 * MAX_WORD_W:
        return _word_edges_slow(gl)
    idx = np.arange(n)
    ends = np.maximum(np.searchsorted(x0, x1 + reach, side="right"), idx + 1)
    counts = ends - idx - 1
    out: list[tuple[int, int]] = []
    start = 0
    cum = np.cumsum(counts)
    while start < n:
        base = int(cum[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(cum, base + _PAIR_CHUNK, side="right")))
        stop = min(stop, n)
        c = counts[start:stop]
        total = int(c.sum())
        if total:
            ii = np.repeat(idx[start:stop], c)
            offs = np.arange(total) - np.repeat(np.cumsum(c) - c, c)
            jj = ii + 1 + offs
            ha, hb = h[ii], h[jj]
            hh = np.maximum(np.maximum(ha, hb), 2.0)
            near = ~(x0[jj] - x1[ii] > 0.45 * hh)
            overlap = np.minimum(y1[ii], y1[jj]) - np.maximum(y0[ii], y0[jj]) >= 0.3 * np.minimum(ha, hb)
            a_small = ha < hb
            sc = np.where(a_small, cy[ii], cy[jj])
            big = np.where(a_small, jj, ii)
            inside = (y0[big] - 0.2 * h[big] <= sc) & (sc <= y1[big] + 0.2 * h[big])
            ok = near & (overlap | inside)
            out.extend(zip(ii[ok].tolist(), jj[ok].tolist(), strict=True))
        start = stop
    return out


def _word_edges_slow(gl: list[Shape]) -> list[tuple[int, int]]:
    """The same pairs as `_word_edges` by a plain double loop (degenerate inputs: huge or non-finite boxes)."""
    out = []
    for i, a in enumerate(gl):
        for j in range(i + 1, len(gl)):
            b = gl[j]
            h = max(a.h, b.h, 2.0)
            if b.rect[0] - a.rect[2] > 0.45 * h:
                if b.rect[0] > a.rect[2] + MAX_WORD_W:
                    break
                continue
            lo, hi = max(a.rect[1], b.rect[1]), min(a.rect[3], b.rect[3])
            small = a if a.h < b.h else b
            big = b if small is a else a
            if hi - lo >= 0.3 * min(a.h, b.h) or big.rect[1] - 0.2 * big.h <= small.cy <= big.rect[3] + 0.2 * big.h:
                out.append((i, j))
    return out


def _box(g: list[Shape]) -> Box:
    return (min(s.rect[0] for s in g), min(s.rect[1] for s in g), max(s.rect[2] for s in g), max(s.rect[3] for s in g))


def _split_superscript(g: list[Shape]) -> tuple[list[Shape], list[Shape]]:
    """(base, superscript): trailing smaller glyphs sitting above the base line ("10" + "−3")."""
    H = max(s.h for s in g)
    base_bottom = max(s.rect[3] for s in g if s.h >= 0.8 * H)
    sup = [s for s in g if s.h < 0.8 * H and s.rect[3] < base_bottom - 0.3 * H]
    if not sup:
        return g, []
    x_sup = min(s.rect[0] for s in sup)
    base = _without(g, sup)
    if not base or max(s.rect[2] for s in base if s.h >= 0.8 * H) > x_sup + 0.5:
        return g, []
    base = [s for s in base if s.rect[0] < x_sup]
    sup = _without(g, base)
    return base, sup


def _without(items: list[Shape], drop: list[Shape]) -> list[Shape]:
    """`[s for s in items if s not in drop]` (list membership: identity or equal fields) without comparing every
    pair: equal shapes share their drawing index and box, so only shapes with the same (idx, rect) are compared."""
    if not all(v == v for s in drop for v in s.rect):  # NaN in a box: plain membership
        return [s for s in items if s not in drop]
    by_key: dict[tuple, list[Shape]] = {}
    for d in drop:
        by_key.setdefault((d.idx, d.rect), []).append(d)
    return [s for s in items if not any(s is d or s == d for d in by_key.get((s.idx, s.rect), ()))]


def _transpose(s: Shape) -> Shape:
    """The shape mirrored about the diagonal (x <-> y): text running up or down the page becomes a row."""
    r = s.rect
    return Shape(idx=s.idx, stroke=s.stroke, fill=s.fill, width=s.width, dashed=s.dashed, rect=(r[1], r[0], r[3], r[2]),
                 segments=[(a[1], a[0], a[3], a[2]) for a in s.segments], n_curves=s.n_curves, closed=s.closed)


def vertical_words(shapes: Sequence[Shape]) -> list[list[Shape]]:
    """Glyph shapes grouped into words that run up or down the page (rotated axis titles): the row rule of
    `glyph_words` applied with x and y swapped. The shapes come back in page coordinates."""
    back: dict[int, Shape] = {}
    tshapes = []
    for s in shapes:
        t = _transpose(s)
        back[id(t)] = s
        tshapes.append(t)
    # pieces of an exploded path are new shapes: mirrored back
    return [[back.get(id(t)) or _transpose(t) for t in g] for g in glyph_words(tshapes)]


MARKER_REPEAT = 0.6  # share of a group's shapes that are one repeated shape, for a run of markers
MARKER_MIN = 3


def marker_run(g: list[Shape], text_h: float | None = None, vertical: bool = False) -> bool:
    """True when a glyph "word" is a run of data markers, not text: most of its shapes are one shape repeated
    (same path up to translation, same size and fill) and those copies overlap along the line, sit at different
    heights, or are many; or the group is much taller than its glyphs (rows of text do not stack) or than the
    figure's text. Identical glyphs in a word ("1000") sit on one baseline side by side and stay a word."""
    if len(g) < 2:
        return False
    ys = (lambda s: (s.rect[0], s.rect[2])) if vertical else (lambda s: (s.rect[1], s.rect[3]))
    xs = (lambda s: (s.rect[1], s.rect[3])) if vertical else (lambda s: (s.rect[0], s.rect[2]))
    lo, hi = min(ys(s)[0] for s in g), max(ys(s)[1] for s in g)
    tall = max(ys(s)[1] - ys(s)[0] for s in g)
    if hi - lo > 2.2 * max(tall, 0.5) or (text_h and hi - lo > 3.0 * text_h):
        return True
    sizes: dict[tuple, int] = {}  # a repeated shape needs a repeated fill and size first (signatures cost more)
    for s in g:
        k = (s.fill, round(s.w, 1), round(s.h, 1))
        sizes[k] = sizes.get(k, 0) + 1
    most = max(sizes.values())
    if most < MARKER_MIN or most < MARKER_REPEAT * len(g):
        return False
    groups: dict[tuple, list[Shape]] = {}
    for s in g:
        groups.setdefault((s.fill, round(s.w, 1), round(s.h, 1), s.signature()), []).append(s)
    rep = max(groups.values(), key=len)
    if len(rep) < MARKER_MIN or len(rep) < MARKER_REPEAT * len(g):
        return False
    if len(rep) >= 6:
        return True
    size = max(ys(rep[0])[1] - ys(rep[0])[0], 0.1)
    if max(ys(s)[0] for s in rep) - min(ys(s)[0] for s in rep) > 0.15 * size:
        return True
    along = sorted(xs(s) for s in rep)
    width = max(along[0][1] - along[0][0], 0.1)
    return any(b[0] < a[1] - 0.2 * width for a, b in zip(along, along[1:], strict=False))


def ocr_glyph_lines(shapes: Sequence[Shape], render: Render, ocr: Ocr | None = None, zoom: float = 4.0,
                    min_score: float = 0.5, glyphs: dict | None = None) -> tuple[list[TextLine], set[int]]:
    """(text lines read from glyph outlines, indices of the shapes that became text).

    `glyphs`: outline -> character learnt from numbers read before (see `GlyphFont`); pass one dict for all the
    figures of a document so a font's digits are read once. Words of more glyphs are read first; a number whose every
    glyph is known is spelt from them without OCR.
    """
    if ocr is None:
        from extractors.figures.raster import rapidocr_read as ocr  # noqa: N811 - the project's OCR reader
    from extractors.figures.axes import straight_lines

    hs, vs = straight_lines(list(shapes))
    long_ids = {seg.shape for seg in hs + vs}

    def touches(s: Shape) -> bool:  # tick marks drawn as filled bars touch an axis line; glyphs never do
        for seg in hs:
            if seg.x0 - 0.3 <= s.cx <= seg.x1 + 0.3 and s.rect[1] - 0.3 <= seg.y0 <= s.rect[3] + 0.3:
                return True
        for seg in vs:
            if seg.y0 - 0.3 <= s.cy <= seg.y1 + 0.3 and s.rect[0] - 0.3 <= seg.x0 <= s.rect[2] + 0.3:
                return True
        return False

    def near_axis(b: Box) -> bool:  # tick labels and axis titles lie just outside an axis line
        reach = 3.0 * (b[3] - b[1]) + 10.0
        for seg in hs:
            if seg.x0 - reach <= (b[0] + b[2]) / 2 <= seg.x1 + reach and -1.0 <= b[1] - seg.y0 <= reach:
                return True
        for seg in vs:
            if seg.y0 - reach <= (b[1] + b[3]) / 2 <= seg.y1 + reach and -1.0 <= seg.x0 - b[2] <= reach + 20:
                return True
            if seg.y0 - reach <= (b[1] + b[3]) / 2 <= seg.y1 + reach and -1.0 <= b[0] - seg.x0 <= reach:
                return True
        return False

    def beside_y_axis(b: Box) -> bool:  # a rotated axis title runs along a vertical axis, left or right of it
        reach = 6.0 * (b[2] - b[0]) + 20.0
        return any(seg.y0 - 5 <= (b[1] + b[3]) / 2 <= seg.y1 + 5 and (-1.0 <= seg.x0 - b[2] <= reach
                                                                      or -1.0 <= b[0] - seg.x0 <= reach) for seg in vs)

    cand = [s for s in shapes if s.idx not in long_ids and not touches(s)]
    words = [g for g in glyph_words(cand) if near_axis(_box(g))]
    text_h = _median([_box(g)[3] - _box(g)[1] for g in words if len(g) >= 2])
    words = [g for g in words if not marker_run(g, text_h) and not _speck(g, text_h)][:MAX_WORDS]
    # rotated words: a tall narrow column of three or more glyphs beside a y axis, not crossing a horizontal word
    rotated = []
    if vs:
        for v in _column_lines([v for v in vertical_words(cand) if not marker_run(v, None, True)]):
            b = _box(v)
            if len(v) < 3 or b[3] - b[1] < 2.5 * (b[2] - b[0]) or not beside_y_axis(b):
                continue
            inside = [k for k, g in enumerate(words) if _within(_box(g), b)]
            if any(_overlap(_box(g), b) for k, g in enumerate(words) if k not in inside):
                continue  # crosses a horizontal word
            if any(len(words[k]) >= 2 and _box(words[k])[2] - _box(words[k])[0] > _box(words[k])[3] - _box(words[k])[1]
                   for k in inside):
                continue  # holds a horizontal word (a column of tick labels)
            rotated.append(v)
            drop = set(inside)
            words = [g for k, g in enumerate(words) if k not in drop]

    def crop(piece: list[Shape], rotated: bool = False):
        b = _box(piece)
        pad = max(0.6, 0.25 * (b[2] - b[0] if rotated else b[3] - b[1]))
        return render((b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad), zoom)

    parts = [(g, *_split_superscript(g)) for g in words]
    parts = [(g, base, sup) if base else (g, g, []) for g, base, sup in parts]  # no base left: read it whole
    if not parts and not rotated:
        return [], set()
    out: list[TextLine] = []
    used: set[int] = set()
    # one OCR batch: the bases, then each rotated line both ways round (up the page, down the page)
    import numpy as np

    font = GlyphFont(glyphs)
    read_base = font.read([base for _, base, _ in parts], crop, ocr)
    turned = [np.ascontiguousarray(np.rot90(np.asarray(crop(v, True)), k)) for v in rotated for k in (-1, 1)]
    reads = ocr(turned) if turned else []
    for n, v in enumerate(rotated):  # the surer reading wins
        (t_up, s_up), (t_dn, s_dn) = reads[2 * n], reads[2 * n + 1]
        up = bool(t_up) and (s_up >= s_dn or not t_dn)
        text, score = (t_up, s_up) if up else (t_dn, s_dn)
        if sum(c.isalnum() for c in text) < 2 or score < min_score:  # "M", "_": a column of marks
            continue
        out.append(TextLine(text=_fix_digits(text), bbox=_box(v), size=max(4.0, max(s.w for s in v) / 0.72),
                            dir=(0.0, -1.0) if up else (0.0, 1.0)))
        used.update(s.idx for s in v)
    # a superscript is read only when its base was (an unread base drops the whole word)
    with_sup = [k for k, (_, _, sup) in enumerate(parts) if sup and read_base[k][0] and read_base[k][1] >= min_score]
    read_sup = dict(zip(with_sup, font.read([parts[k][2] for k in with_sup], crop, ocr), strict=True))
    for k, (g, base, sup) in enumerate(parts):
        t_base, s_base = read_base[k]
        t_sup, s_sup = read_sup.get(k, ("", 1.0))
        if not t_base or s_base < min_score:
            continue
        text = t_base + ("^" + t_sup if sup and t_sup and s_sup >= min_score else "")
        bb = _box(g)
        H = max(s.h for s in base) if base else bb[3] - bb[1]
        out.append(TextLine(text=_fix_digits(text), bbox=bb, size=max(4.0, H / 0.72)))
        used.update(s.idx for s in g)
    return out, used


NUMBER = re.compile(r"[-−–—+]?[0-9]+(?:[.,][0-9]+)?")
LEARN_SCORE = 0.9


class GlyphFont:
    """What OCR read before, keyed by exact glyph outlines (fill colour, size and path points relative to the glyph's
    box, to 0.05 pt: a font repeats them for every copy of a glyph at one size), so a document's repeated words are
    read once. A word whose outlines were read before with a score of at least LEARN_SCORE (and some letter or digit:
    a marker read as "▲" is no word) takes that reading. A word of n glyphs read surely as n characters that spell a
    number ("0.25", "−10") teaches each glyph its character; a number whose glyphs are all known is spelt from them
    (score: the lowest of its glyphs'), so "1.5" is not OCR'd after "0.5" and "10". An outline taught two characters
    is dropped."""

    def __init__(self, known: dict | None = None):
        self.known = {} if known is None else known
        self._keys: dict[int, tuple] = {}  # id of a shape -> its key (the shapes outlive this reader)

    @staticmethod
    def outline(s: Shape) -> tuple:
        x0, y0 = s.rect[0], s.rect[1]
        return (s.fill, round(20 * s.w), round(20 * s.h),
                tuple(round(20 * (v - (y0 if k % 2 else x0))) for seg in s.segments for k, v in enumerate(seg)))

    def key(self, s: Shape) -> tuple:
        k = self._keys.get(id(s))
        if k is None:
            k = self._keys[id(s)] = (s, self.outline(s))
        return k[1]

    def spell(self, word: list[Shape]) -> tuple[str, float] | None:
        keys = [self.key(s) for s in word]
        seen = self.known.get(("word", *keys))
        if seen is not None:
            return seen
        got = [self.known.get(k) for k in keys]
        if not got or any(g is None for g in got):
            return None
        text = "".join(g[0] for g in got)
        return (text, min(g[1] for g in got)) if NUMBER.fullmatch(text) else None

    def learn(self, word: list[Shape], text: str, score: float) -> None:
        if score < LEARN_SCORE or not any(c.isalnum() for c in text):  # a marker read as "▲": not text
            return
        keys = [self.key(s) for s in word]
        self.known[("word", *keys)] = (text, score)
        text = text.strip().replace(" ", "")
        if len(text) != len(word) or not NUMBER.fullmatch(text):
            return
        for k, ch in zip(keys, text, strict=True):
            had = self.known.get(k, (ch, score))
            self.known[k] = None if had is None or had[0] != ch else (ch, min(had[1], score))

    def read(self, words: list[list[Shape]], crop: Callable, ocr: Ocr) -> list[tuple[str, float]]:
        """(text, score) of each word: longest words first, each spelt from known glyphs or else OCR'd (and learnt
        from)."""
        out: list[tuple[str, float] | None] = [None] * len(words)
        for k in sorted(range(len(words)), key=lambda k: -len(words[k])):
            got = self.spell(words[k])
            if got is None:
                got = ocr([crop(words[k])])[0]
                self.learn(words[k], got[0], got[1])
            out[k] = got
        return out  # type: ignore[return-value]


def _column_lines(words: list[list[Shape]]) -> list[list[Shape]]:
    """Rotated words of one line joined: the same column (x ranges overlapping by half the narrower) and a gap along
    it under 0.8 of the column width (a word space)."""
    lines = sorted(((_box(g), g) for g in words), key=lambda bg: bg[0][1])
    out: list[list[Shape]] = []
    boxes: list[Box] = []  # box of each line in `out` (kept as lines grow: the box of the joined shapes)
    for b, g in lines:
        for n, o in enumerate(out):
            a = boxes[n]
            w = min(a[2] - a[0], b[2] - b[0])
            if (min(a[2], b[2]) - max(a[0], b[0]) >= 0.5 * w and b[1] - a[3] <= 0.8 * max(a[2] - a[0], b[2] - b[0])
                    and b[1] >= a[1]):
                o.extend(g)
                boxes[n] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                break
        else:
            out.append(list(g))
            boxes.append(b)
    return out


def _speck(g: list[Shape], text_h: float | None) -> bool:
    """A lone shape under half the text height each way (a dot, a dash, a small marker): no label to read."""
    return len(g) == 1 and text_h is not None and max(g[0].w, g[0].h) < 0.5 * text_h


def _median(v: list[float]) -> float | None:
    return sorted(v)[len(v) // 2] if v else None


def _within(a: Box, b: Box, tol: float = 0.5) -> bool:
    return b[0] - tol <= a[0] and a[2] <= b[2] + tol and b[1] - tol <= a[1] and a[3] <= b[3] + tol


def _overlap(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _fix_digits(text: str) -> str:
    """OCR confusions in number-looking words: O->0, l/I->1, S->5 only when the rest is numeric."""
    t = text.strip().replace(" ", "")
    core = t.replace("^", "")
    if sum(c.isdigit() for c in core) >= max(1, len(core) // 2):
        t = t.translate(str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "S": "5", "—": "−", "–": "−"}))
    return t

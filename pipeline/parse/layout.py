"""Page layout for the PDF parser: text fragments, visual rows, reading order and paragraphs.

A *fragment* is one PyMuPDF text line (normalised text, word boxes, dominant font); a *row* is a visual line
made of the fragments that share a baseline; a *leaf* is a single-column run of rows in reading order. Words
come from `TextPage.extractWORDS()` on the same TextPage as `extractDICT()`, so their boxes are exact and no
second interpretation of the page is needed.

Coordinates are PDF points, top-left origin, in the unrotated page space PyMuPDF's text extraction reports.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

import pymupdf

TEXT_FLAGS = (
    pymupdf.TEXT_PRESERVE_WHITESPACE
    | pymupdf.TEXT_MEDIABOX_CLIP
    | pymupdf.TEXT_USE_CID_FOR_UNKNOWN_UNICODE
    | pymupdf.TEXT_COLLECT_VECTORS
)  # no PRESERVE_LIGATURES (MuPDF expands them, each char with its own box), no image data

# --- text normalisation ---------------------------------------------------------------------------------------

_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t\uf020\uf0a0"
_DROP = "\u200b\u200c\u200d\u2060\ufeff"
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "ft",
              "\ufb06": "st"}
# Adobe Symbol font codes that MuPDF leaves in the private use area (U+F0xx) when a font has no Unicode map
_SYMBOL_PUA = dict(zip(
    range(0xF041, 0xF05B), "ΑΒΧΔΕΦΓΗΙϑΚΛΜΝΟΠΘΡΣΤΥςΩΞΨΖ", strict=True)) | dict(zip(
    range(0xF061, 0xF07B), "αβχδεφγηιϕκλμνοπθρστυϖωξψζ", strict=True)) | {
    0xF02B: "+", 0xF02D: "\u2212", 0xF03C: "<", 0xF03D: "=", 0xF03E: ">", 0xF0A2: "′", 0xF0A3: "≤", 0xF0A5: "∞",
    0xF0AC: "←", 0xF0AD: "↑", 0xF0AE: "→", 0xF0AF: "↓", 0xF0B0: "°", 0xF0B1: "±", 0xF0B2: "″", 0xF0B3: "≥",
    0xF0B4: "×", 0xF0B5: "∝", 0xF0B6: "∂", 0xF0B7: "•", 0xF0B8: "÷", 0xF0B9: "≠", 0xF0BA: "≡", 0xF0BB: "≈",
    0xF0C4: "⊗", 0xF0C5: "⊕", 0xF0CE: "∈", 0xF0D6: "√", 0xF0D7: "⋅", 0xF0E5: "∑", 0xF0F2: "∫",
}
_CHAR_MAP: dict[str, str] = {c: " " for c in _SPACES} | {c: "" for c in _DROP} | _LIGATURES
_CHAR_MAP |= {chr(k): v for k, v in _SYMBOL_PUA.items()}
_CHAR_MAP |= {chr(c): " " for c in range(32) if chr(c) not in _CHAR_MAP}
# TeX sets accents as separate spacing glyphs before the letter: "L¨ohneysen" -> "Löhneysen"
_ACCENTS = {"\u00a8": "\u0308", "\u00b4": "\u0301", "\u02c6": "\u0302", "\u02dc": "\u0303", "\u00b8": "\u0327",
            "\u02c7": "\u030c", "\u02d8": "\u0306", "\u02da": "\u030a", "\u00af": "\u0304", "\u02d9": "\u0307",
            "\u02dd": "\u030b"}
_NEEDS_WORK = re.compile("[" + re.escape("".join(_CHAR_MAP) + "".join(_ACCENTS)) + "\u00ad]|  |^ | $")
HYPHENS = "-\u2010\u00ad"


def normalize(raw: str) -> tuple[str, list[int]]:
    """Normalise one line of text; returns the text and, for each raw char, its offset in the result.

    Odd spaces become one space, zero-width chars go, ligatures expand, Symbol-font codes map to Unicode,
    soft hyphens count as hyphens at the line end and vanish elsewhere, TeX spacing accents join their letter
    ("L¨ohneysen" -> "Löhneysen"). U+2212 and sub/superscript digits stay.
    """
    out: list[str] = []
    pos: list[int] = []
    n = 0
    last = len(raw.rstrip()) - 1
    accent = ""
    for i, ch in enumerate(raw):
        rep = _CHAR_MAP.get(ch, ch)
        if ch == "\u00ad":
            rep = "-" if i == last else ""
        elif ch in _ACCENTS and i < last and raw[i + 1].isalpha():
            accent, rep = _ACCENTS[ch], ""
        elif accent:
            rep, accent = unicodedata.normalize("NFC", rep + accent), ""
        if rep == " " and (n == 0 or out[-1] == " "):
            rep = ""
        pos.append(n)
        if rep:
            out.append(rep)
            n += len(rep)
    text = "".join(out)
    if text.endswith(" "):
        text = text[:-1]
    return text, pos


# --- fragments --------------------------------------------------------------------------------------------------

_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi|[-,.+_]b$|[-,.]bd|cmbx|\.b\b", re.I)
_MATH_FONT = re.compile(r"symbol|math|cmmi|cmsy|cmex|msam|msbm|stix|euclid|mt ?extra", re.I)
_ITALIC_FONT = re.compile(r"italic|-ita|oblique|cmti|\.i$", re.I)


@dataclass(slots=True, eq=False)
class Frag:
    """One PyMuPDF text line: normalised text, word spans + boxes, dominant font."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    words: list[tuple[int, int, float, float, float, float]]
    size: float
    bold: bool
    lead_bold: bool  # the first span is bold (caption labels)
    font: str
    math: bool  # set in a math font (or a short italic variable)
    block: int  # PyMuPDF text block number on the page (-1: OCR)
    line_no: int  # line number inside that block
    dir: tuple[float, float] = (1.0, 0.0)
    role: str = "body"  # body | header | margin | figure | table
    ocr: bool = False

    @property
    def horizontal(self) -> bool:
        return self.dir[0] > 0.99

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(slots=True)
class PageText:
    """What one page read gives: fragments, graphics boxes and the size of its text layer."""

    frags: list[Frag]
    vectors: list[tuple[float, float, float, float]]
    images: list[dict]  # get_image_info() of the page, fetched only where a figure caption asks for it
    n_chars: int
    has_images: bool | None = None  # the page places raster images; None: not looked up yet (only some pages need it)


_BLOCK_LINE = itemgetter(5, 6)  # (block number, line number) of an extractWORDS item


def read_page(page: pymupdf.Page, page_no: int) -> PageText:
    """Fragments and vector boxes of one page, from a single TextPage (whether it has images, and which, is
    looked up later where needed: pages with few chars, pages with a figure caption)."""
    tp = page.get_textpage(flags=TEXT_FLAGS)
    data = tp.extractDICT()
    words_by_line: dict[tuple[int, int], list] = {}
    for key, group in groupby(tp.extractWORDS(), key=_BLOCK_LINE):  # words come line by line
        have = words_by_line.get(key)
        if have is None:
            words_by_line[key] = list(group)
        else:
            have.extend(group)
    frags: list[Frag] = []
    vectors: list[tuple[float, float, float, float]] = []
    n_chars = 0
    tb = -1
    for block in data["blocks"]:
        btype = block["type"]
        if btype == 3:
            if block.get("alpha", 255):
                vectors.append(block["bbox"])
            continue
        if btype != 0:
            continue
        tb += 1
        for ln, line in enumerate(block["lines"]):
            frag = _make_frag(line, page_no, tb, ln, words_by_line.get((tb, ln), ()))
            if frag is not None:
                n_chars += len(frag.text)
                frags.append(frag)
    return PageText(frags=frags, vectors=vectors, images=[], n_chars=n_chars)


_FONT_BOLD: dict[str, bool] = {}
_SIZE1: dict[float, float] = {}  # font size -> round(size, 1): a few distinct sizes, millions of spans
_FONT_STYLE: dict[str, tuple[bool, bool]] = {}


def _font_is_bold(font: str) -> bool:
    v = _FONT_BOLD.get(font)
    if v is None:
        v = _FONT_BOLD[font] = bool(_BOLD_NAME.search(font))
    return v


def _font_style(font: str) -> tuple[bool, bool]:
    """(math font, italic font) of a font name, looked up once per name."""
    v = _FONT_STYLE.get(font)
    if v is None:
        v = _FONT_STYLE[font] = (bool(_MATH_FONT.search(font)), bool(_ITALIC_FONT.search(font)))
    return v


def _make_frag(line: dict, page_no: int, block: int, line_no: int, words) -> Frag | None:
    spans = line["spans"]
    raw = "".join([s["text"] for s in spans])
    if not raw or raw.isspace():
        return None
    sizes: dict[float, int] = {}
    fonts: dict[str, int] = {}
    n_bold = total = 0
    lead_bold = None
    bold_fonts = _FONT_BOLD
    size1 = _SIZE1
    for s in spans:
        t = s["text"]
        if not t or t.isspace():  # not t.strip(), without the copy
            continue
        k = len(t)
        font = s["font"]
        bold = bool(s["flags"] & 16) or bold_fonts.get(font)
        if bold is None:
            bold = _font_is_bold(font)
        if lead_bold is None:
            lead_bold = bold
        size = size1.get(s["size"])
        if size is None:
            size = round(s["size"], 1)
            if len(size1) < 50_000:  # bounded: a hostile file may have a new size per span
                size1[s["size"]] = size
        sizes[size] = sizes.get(size, 0) + k
        fonts[font] = fonts.get(font, 0) + k
        total += k
        if bold:
            n_bold += k
    font = max(fonts, key=fonts.__getitem__)
    if _NEEDS_WORK.search(raw):
        text, pos = normalize(raw)
    else:
        text, pos = raw, None
    if not text:
        return None
    x0, y0, x1, y1 = bbox = line["bbox"]
    math, italic = _font_style(font)
    return Frag(page_no, x0, y0, x1, y1, text, _word_spans(raw, text, pos, words, bbox, spans),
                max(sizes, key=sizes.__getitem__), n_bold * 2 > total, bool(lead_bold), font,
                math or (len(text) <= 3 and italic), block, line_no, tuple(line["dir"]))


def _word_spans(raw: str, text: str, pos: list[int] | None, words, bbox, spans) -> list:
    """Char spans of the words of `text` with their boxes (from extractWORDS; proportional where unknown)."""
    out: list[tuple[int, int, float, float, float, float]] = []
    cursor = 0
    for w in words:
        wt = w[4]
        i = raw.find(wt, cursor)
        if i < 0:
            return _proportional_words(text, bbox)
        cursor = i + len(wt)
        if pos is None:
            out.append((i, i + len(wt), w[0], w[1], w[2], w[3]))
            continue
        for a, b in _raw_pieces(raw, i, i + len(wt)):  # an odd space inside a PDF word splits it
            s, e = pos[a], pos[b - 1] + len(_CHAR_MAP.get(raw[b - 1], raw[b - 1]))
            if e <= s or not text[s:e].strip():
                continue
            x0, x1 = (w[0], w[2]) if (a, b) == (i, i + len(wt)) else _raw_x(spans, a, b, w)
            out.append((s, e, x0, w[1], x1, w[3]))
    if not out:
        return _proportional_words(text, bbox)
    return out


def _raw_pieces(raw: str, a: int, b: int) -> list[tuple[int, int]]:
    """Runs of raw[a:b] that stay non-blank after normalisation."""
    out, start = [], None
    for k in range(a, b):
        blank = _CHAR_MAP.get(raw[k], raw[k]).strip() == ""
        if blank and start is not None:
            out.append((start, k))
            start = None
        elif not blank and start is None:
            start = k
    if start is not None:
        out.append((start, b))
    return out


def _raw_x(spans, a: int, b: int, w) -> tuple[float, float]:
    """x-extent of raw chars [a, b) from the boxes of the spans holding them (proportional inside a span)."""
    xs = []
    n = 0
    for sp in spans:
        t = sp["text"]
        lo, hi = n, n + len(t)
        n = hi
        if hi <= a or lo >= b or not t:
            continue
        x0, _, x1, _ = sp["bbox"]
        step = (x1 - x0) / len(t)
        xs.append(x0 + (max(a, lo) - lo) * step)
        xs.append(x0 + (min(b, hi) - lo) * step)
    if not xs:
        return w[0], w[2]
    return max(w[0], min(xs)), min(w[2], max(xs))


def _proportional_words(text: str, bbox) -> list:
    x0, y0, x1, y1 = bbox
    step = (x1 - x0) / max(1, len(text))
    return [(m.start(), m.end(), x0 + m.start() * step, y0, x0 + m.end() * step, y1) for m in re.finditer(r"\S+", text)]


def frags_from_ocr(lines, page_no: int) -> list[Frag]:
    """Fragments from OCR lines (text, bbox in points, score); word boxes by char share of the line box."""
    out: list[Frag] = []
    for i, line in enumerate(lines):
        text, pos = normalize(line.text)
        if not text:
            continue
        x0, y0, x1, y1 = (float(v) for v in line.bbox)
        out.append(Frag(
            page=page_no, x0=x0, y0=y0, x1=x1, y1=y1, text=text, words=_proportional_words(text, (x0, y0, x1, y1)),
            size=round(max(1.0, (y1 - y0) / 1.2), 1), bold=False, lead_bold=False, font="ocr", math=False,
            block=-1 - i, line_no=0, ocr=True,
        ))
    return out


# --- running headers and footers ------------------------------------------------------------------------------

_PAGE_NUMBER = re.compile(r"^\W*(page\s*)?(\d{1,4}|[ivxlc]{1,6})(\s*(of|/)\s*\d{1,4})?\W*$", re.I)
MARGIN_SHARE = 0.1  # top and bottom tenth of the page


def mark_running_text(pages: list[list[Frag]], heights: list[float]) -> None:
    """Mark running headers/footers and page numbers (role "header").

    A fragment in the top or bottom margin is running text when the same text, digits normalised, appears in the
    margin of at least a quarter of the pages (two at least); a lone number there is a page number.
    """
    def key(f: Frag) -> str:
        return re.sub(r"\d+", "#", f.text.lower())

    seen: dict[str, set[int]] = {}
    margins: list[list[Frag]] = []
    for i, frags in enumerate(pages):
        h = heights[i]
        mf = [f for f in frags if f.y1 <= h * MARGIN_SHARE or f.y0 >= h * (1 - MARGIN_SHARE)]
        margins.append(mf)
        for f in mf:
            seen.setdefault(key(f), set()).add(i)
    need = max(2, -(-len(pages) // 4))
    for mf in margins:
        for f in mf:
            if len(seen[key(f)]) >= need or _PAGE_NUMBER.match(f.text):
                f.role = "header"


# --- rows -----------------------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class Row:
    """A visual line: fragments on one baseline, in x order."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    words: list[tuple[int, int, float, float, float, float]]
    size: float
    bold: bool
    font: str
    frags: list[Frag]

    @property
    def ocr(self) -> bool:
        return self.frags[0].ocr

    @property
    def lead(self) -> Frag:
        return self.frags[0]

    @property
    def width(self) -> float:
        return self.x1 - self.x0


_NO_SPACE_BEFORE = tuple(",.;:)]}")
_NO_SPACE_AFTER = tuple("([{")


def build_rows(frags: list[Frag]) -> list[Row]:
    """Group horizontal fragments that share a baseline into rows.

    Fragments of the same PyMuPDF block join across gaps up to 3 font sizes; fragments of different blocks only
    when nearly touching (a column gutter is wider than that).
    """
    rows: list[list[Frag]] = []
    for f in sorted(frags, key=lambda f: (round((f.y0 + f.y1) / 2), f.x0)):
        hits = [k for k in range(max(0, len(rows) - 6), len(rows)) if _same_row(rows[k], f)]
        if not hits:
            rows.append([f])
            continue
        target = rows[hits[0]]
        for k in reversed(hits[1:]):  # the fragment bridges groups (pieces of a stacked fraction): join them
            target.extend(rows.pop(k))
        target.append(f)
    return [_make_row(sorted(g, key=lambda f: f.x0)) for g in rows]


def _same_row(group: list[Frag], f: Frag) -> bool:
    fy0, fy1 = f.y0, f.y1
    for g in group:
        if not (g.y1 < fy0 or g.y0 > fy1):
            break
    else:
        return False  # no fragment of the group meets f's vertical extent
    fh = fy1 - fy0
    for g in group:
        gy0, gy1 = g.y0, g.y1
        h = min(gy1 - gy0, fh)
        overlap = min(gy1, fy1) - max(gy0, fy0)
        if overlap < 0.5 * h:
            continue
        gap = max(f.x0 - g.x1, g.x0 - f.x1)
        size = max(g.size, f.size)
        limit = 3.0 * size if g.block == f.block else 0.6 * size
        if gap <= limit:
            return True
    return False


def _make_row(frags: list[Frag]) -> Row:
    if len(frags) == 1:  # most rows: the general case below reduces to the fragment's own values
        f = frags[0]
        return Row(f.page, f.x0, f.y0, f.x1, f.y1, f.text, list(f.words), f.size, f.bold and len(f.text) > 0,
                   f.font, frags)
    text, words = _interleave(frags)
    sizes: dict[float, int] = {}  # char-weighted; the first of equal counts wins, as Counter.most_common(1)
    total = n_bold = 0
    for f in frags:
        k = len(f.text)
        sizes[f.size] = sizes.get(f.size, 0) + k
        total += k
        if f.bold:
            n_bold += k
    main = max(frags, key=lambda f: len(f.text))
    return Row(frags[0].page, min([f.x0 for f in frags]), min([f.y0 for f in frags]), max([f.x1 for f in frags]),
               max([f.y1 for f in frags]), text, words, max(sizes, key=sizes.__getitem__), n_bold * 2 > total,
               main.font, frags)


def _interleave(frags: list[Frag]) -> tuple[str, list]:
    """Row text from the words of several fragments in x order ("( )" + "1" -> "(1)", "J" + "c" -> "Jc")."""
    items = sorted(((w[2], k, j) for k, f in enumerate(frags) for j, w in enumerate(f.words)), key=lambda t: t[:2])
    parts: list[str] = []
    words: list = []
    n = 0
    prev = None  # (frag index, word index, right edge, size, text)
    for x0, k, j in items:
        f = frags[k]
        s, e, a, b, c, d = f.words[j]
        wt = f.text[s:e]
        if prev is not None:
            pk, pj, px1, psize, pt = prev
            if pk == k and pj == j - 1:
                space = True  # neighbours inside one fragment were space-separated
            else:
                space = x0 - px1 > 0.15 * max(psize, f.size) and not wt.startswith(_NO_SPACE_BEFORE) \
                    and not pt.endswith(_NO_SPACE_AFTER)
            if space:
                parts.append(" ")
                n += 1
        parts.append(wt)
        words.append((n, n + len(wt), a, b, c, d))
        n += len(wt)
        prev = (k, j, c, f.size, wt)
    return "".join(parts), words


# --- reading order --------------------------------------------------------------------------------------------


def order_rows(rows: list[Row], min_gutter: float, pitch: float, dominant: float | None = None) -> list[list[Row]]:
    """Rows in reading order, as leaves: single-column runs of rows, top to bottom.

    A variant of recursive XY-cut: the region is cut into horizontal slabs at empty y-gaps; consecutive slabs that
    share an empty vertical strip (a gutter) form a multi-column run, read column by column; slabs crossed by a
    full-width element (title, abstract, wide figure caption) are read in their vertical place. A run ends where
    the page's dominant gutter resumes after a different one (a keywords box beside the abstract), and at a wide
    gap where the font size changes (a reference list set below the text in both columns).
    """
    if len(rows) <= 1:
        return [rows] if rows else []
    slabs = _slabs(rows)
    # Per slab the union of its rows' x-extents: its holes are the slab's gaps, and a grown run's union is merged
    # from its slabs' instead of re-sweeping all its rows at every step. Exact only without inverted extents
    # (x1 < x0: the sweep reads those differently); otherwise everything is computed from the rows.
    unions = [_union([(r.x0, r.x1) for r in slab]) for slab in slabs] \
        if all(r.x0 <= r.x1 for r in rows) else None
    bottoms = [max([r.y1 for r in slab]) for slab in slabs]
    if dominant is None:
        dominant = _dominant_gutter(slabs, min_gutter, unions and [_holes(u, min_gutter) for u in unions])
    leaves: list[list[Row]] = []
    pending: list[Row] = []  # consecutive slabs without a gutter: one single-column leaf
    i = 0
    while i < len(slabs):
        union, bottom = (unions[i] if unions else None), bottoms[i]
        cut, ok, gap = _vertical_cut(slabs[i], min_gutter, union and _holes(union, min_gutter))
        best, end = (cut if ok else None), i + 1
        j = i + 1
        while j < len(slabs):  # grow the run while no row blocks the gutter
            grown = None  # the rows of slabs i..j, built only where needed
            if unions:
                union = _union(union + unions[j])
                holes = _holes(union, min_gutter)
                if holes:
                    grown = [r for s in slabs[i:j + 1] for r in s]
                    cut, ok, gap = _vertical_cut(grown, min_gutter, holes)
                else:
                    cut = None
                one_side = cut is None and dominant > 0 and (union[-1][1] < dominant or union[0][0] > dominant)
            else:
                grown = [r for s in slabs[i:j + 1] for r in s]
                cut, ok, gap = _vertical_cut(grown, min_gutter)
                one_side = cut is None and _one_side(grown, dominant)
            if one_side:
                cut, ok, gap = dominant, False, (dominant, dominant)  # one column so far: the other may follow
            if cut is None or _switches(gap, slabs[j], dominant, min_gutter, unions and _holes(unions[j], min_gutter)) \
                    or _breaks_run(slabs[i:j], slabs[j], pitch, min([r.y0 for r in slabs[j]]) - bottom):
                break
            bottom = max(bottom, bottoms[j])
            j += 1
            if ok:
                best, end = cut, j
        if best is None:
            pending.extend(slabs[i])
            i += 1
            continue
        if pending:
            leaves.append(_same_lines(sorted(pending, key=_yx)))
            pending = []
        run = [r for s in slabs[i:end] for r in s]
        leaves.extend(order_rows([r for r in run if (r.x0 + r.x1) / 2 < best], min_gutter, pitch, -1.0))
        leaves.extend(order_rows([r for r in run if (r.x0 + r.x1) / 2 >= best], min_gutter, pitch, -1.0))
        i = end
    if pending:
        leaves.append(_same_lines(sorted(pending, key=_yx)))
    return leaves


def _gaps(rows: list[Row], min_gutter: float) -> list[tuple[float, float]]:
    """Empty x-intervals wider than min_gutter between the rows' spans."""
    spans = sorted([(r.x0, r.x1) for r in rows])
    out = []
    reach = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - reach > min_gutter:
            out.append((reach, x0))
        reach = max(reach, x1)
    return out


def _union(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The x-intervals (x0, x1) as a sorted list of disjoint intervals (touching ones merged): its holes wider
    than min_gutter are _gaps of the same spans, and the union of two sets is _union of their unions. An
    inverted interval (x1 < x0) is kept as a point at x0 and as reaching x1, as the sweep in _gaps reads it."""
    spans = sorted(spans)
    out = []
    start, reach = spans[0]
    for x0, x1 in spans[1:]:
        if x0 > reach:
            out.append((start, reach))
            start = x0
        reach = max(reach, x1)
    out.append((start, reach))
    return out


def _holes(union: list[tuple[float, float]], min_gutter: float) -> list[tuple[float, float]]:
    """The empty x-intervals wider than min_gutter between the intervals of a _union."""
    return [(a[1], b[0]) for a, b in zip(union, union[1:], strict=False) if b[0] - a[1] > min_gutter]


def _dominant_gutter(slabs: list[list[Row]], min_gutter: float, gaps: list | None = None) -> float:
    """The x that is empty in the most slabs with text on both sides (the page's main column gutter), or -1.
    `gaps`: each slab's _gaps, when known."""
    diff: Counter = Counter()
    for k, slab in enumerate(slabs):
        for a, b in _gaps(slab, min_gutter) if gaps is None else gaps[k]:
            diff[int(a) + 1] += 1
            diff[int(b)] -= 1
    best, best_x, level = 0, -1.0, 0
    for x in sorted(diff):
        level += diff[x]
        if level > best:
            best, best_x = level, x + 0.5
    return best_x if best >= 3 else -1.0


def _one_side(rows: list[Row], dominant: float) -> bool:
    """All rows lie on one side of the page's dominant gutter."""
    return dominant > 0 and (all(r.x1 < dominant for r in rows) or all(r.x0 > dominant for r in rows))


def _switches(gap: tuple[float, float], slab: list[Row], dominant: float, min_gutter: float,
              slab_gaps: list | None = None) -> bool:
    """The run's gutter misses the dominant one, but this slab has text on both sides of the dominant one."""
    if dominant < 0 or gap[0] < dominant < gap[1]:
        return False
    return any(a < dominant < b for a, b in (_gaps(slab, min_gutter) if slab_gaps is None else slab_gaps))


def _main_size(rows: list[Row]) -> float:
    sizes: dict[float, int] = {}
    for r in rows:
        sizes[r.size] = sizes.get(r.size, 0) + len(r.text)
    return max(sizes, key=sizes.__getitem__)


def _breaks_run(run: list[list[Row]], slab: list[Row], pitch: float, gap: float) -> bool:
    """A wide empty band across all columns followed by another font size: a new section of the page.
    `run`: the run's slabs; `gap`: the slab's top minus the run's bottom."""
    return gap > 2.5 * pitch and abs(_main_size(slab) - _main_size([r for s in run for r in s])) >= 0.8


def _beside(p: Row, r: Row) -> bool:
    """Two rows share a line: they overlap vertically by half the smaller height."""
    return min(p.y1, r.y1) - max(p.y0, r.y0) >= 0.5 * min(p.y1 - p.y0, r.y1 - r.y0)


def _same_lines(rows: list[Row]) -> list[Row]:
    """Merge rows of one leaf that sit on the same line (side by side after no gutter was found)."""
    out: list[Row] = []
    for r in rows:
        p = out[-1] if out else None
        if p is not None and _beside(p, r) and (abs(p.size - r.size) <= 0.8 or abs(p.y1 - r.y1) <= 0.25 * r.size
                                                or max(r.x0 - p.x1, p.x0 - r.x1) <= 0.6 * max(p.size, r.size)):
            out[-1] = _make_row(sorted(p.frags + r.frags, key=lambda f: f.x0))
        else:
            out.append(r)
    return out


def _yx(r: Row) -> tuple[float, float]:
    return (round(r.y0, 1), r.x0)


def _slabs(rows: list[Row]) -> list[list[Row]]:
    """Split rows into horizontal slabs at y-gaps no row crosses."""
    srt = sorted(rows, key=lambda r: r.y0)
    out: list[list[Row]] = []
    bottom = None
    for r in srt:
        if bottom is None or r.y0 > bottom - 0.5:
            out.append([r])
            bottom = r.y1
        else:
            out[-1].append(r)
            bottom = max(bottom, r.y1)
    return out


def _vertical_cut(rows: list[Row], min_gutter: float, gaps: list | None = None,
                  ) -> tuple[float | None, bool, tuple[float, float]]:
    """The widest empty vertical strip through `rows`: its x (None when there is none), whether it has at least
    two rows on each side standing side by side, and the strip itself. `gaps`: _gaps(rows), when known."""
    gaps = sorted(_gaps(rows, min_gutter) if gaps is None else gaps, key=lambda g: g[0] - g[1])
    if not gaps:
        return None, False, (0.0, 0.0)
    for a, b in gaps:
        cut = (a + b) / 2
        left = [r for r in rows if r.x1 <= cut]
        right = [r for r in rows if r.x1 > cut]
        if len(left) >= 2 and len(right) >= 2 and _side_by_side(left, right):
            return cut, True, (a, b)
    a, b = gaps[0]
    return (a + b) / 2, False, (a, b)


def _side_by_side(left: list[Row], right: list[Row]) -> bool:
    """Two groups of rows share at least half of the shorter one's height (columns, not a staircase)."""
    l0, l1 = min([r.y0 for r in left]), max([r.y1 for r in left])
    r0, r1 = min([r.y0 for r in right]), max([r.y1 for r in right])
    return min(l1, r1) - max(l0, r0) >= 0.5 * min(l1 - l0, r1 - r0)


def count_columns(leaves: list[list[Row]], page_width: float) -> int:
    """How many substantial leaves (3 rows, a fifth of the page wide) sit side by side at most."""
    boxes = [(min(r.x0 for r in lf), max(r.x1 for r in lf), min(r.y0 for r in lf), max(r.y1 for r in lf))
             for lf in leaves if len(lf) >= 3]
    big = [b for b in boxes if b[1] - b[0] >= 0.2 * page_width]
    best = 1
    for a in big:
        n = 1 + sum(1 for b in big if b is not a and (b[2] < a[3] and a[2] < b[3]) and (b[0] >= a[1] or a[0] >= b[1]))
        best = max(best, n)
    return min(best, 4)


# --- paragraphs -----------------------------------------------------------------------------------------------

_CAPTION_START = re.compile(r"^(fig(ure)?s?\.?|table|tab\.|scheme|plate)\s*[A-Z]?\d+[a-z]?\b|^table\s+[IVXL]+\b", re.I)
_END_PUNCT = tuple(".!?:")
_BULLETS = "•●▪◦■□"
_EQ_NUMBER = re.compile(r"\(\s*\d{1,3}[a-z]?\s*\)$")


def leaf_edges(leaf: list[Row]) -> tuple[float, float]:
    """Left and right edge of a leaf's text: the most common row starts and ends."""
    xs = Counter(round(r.x0) for r in leaf)
    ends = Counter(round(r.x1) for r in leaf)
    return float(xs.most_common(1)[0][0]), float(ends.most_common(1)[0][0])


def split_paragraphs(leaf: list[Row], pitch: float, body_size: float) -> list[list[Row]]:
    """Cut a leaf into paragraph-like groups of rows: gaps, size/weight changes, indents, short last lines."""
    if not leaf:
        return []
    left, right = leaf_edges(leaf)
    groups: list[list[Row]] = [[leaf[0]]]
    asides: list[list[Row]] = []  # rows standing beside the flow (a logo's text next to the title)
    for cur in leaf[1:]:
        prev = groups[-1][-1]
        if _beside(prev, cur):
            asides.append([cur])
            continue
        if _breaks(prev, cur, left, right, pitch, body_size):
            groups.extend(asides)
            asides = []
            groups.append([cur])
        else:
            groups[-1].append(cur)
    return groups + asides


def _breaks(prev: Row, cur: Row, left: float, right: float, pitch: float, body_size: float) -> bool:
    size = max(prev.size, cur.size)
    step = pitch * size / body_size if body_size else size * 1.2
    if cur.y1 - prev.y1 > 1.45 * step and cur.y0 - prev.y1 > 0.25 * size:
        return True
    if abs(cur.size - prev.size) > 0.8 and cur.y0 > prev.y1 - 1:
        return True
    if cur.bold != prev.bold and (len(cur.text) < 90 or len(prev.text) < 90) and cur.y0 > prev.y1 - 1:
        return True
    if _CAPTION_START.match(cur.text):
        return True
    if cur.text[:1] in _BULLETS:
        return True
    indent = 0.6 * size
    cur_in, prev_in = cur.x0 - left, prev.x0 - left
    if cur_in > indent and abs(prev_in) <= indent:
        return True  # first-line indent or a displayed line (equation)
    if cur_in < -indent and prev_in >= -indent:
        return True  # hanging indent: a new item starts left of the running lines
    if prev_in >= 3 * size and cur_in < prev_in - 3 * size \
            and (prev.x1 < right - 2 * size or _EQ_NUMBER.search(prev.text)):
        return True  # back to the margin after a displayed line (not a long first-line indent)
    if prev.x1 < right - 2.5 * size and prev.text.rstrip().endswith(_END_PUNCT) and abs(cur_in) <= indent:
        return True  # short last line
    return False


def body_stats(rows: list[Row]) -> tuple[float, float, str]:
    """Body font size, baseline pitch and body font of a document, from its rows."""
    sizes: Counter = Counter()
    fonts: Counter = Counter()
    for r in rows:
        sizes[round(r.size * 2) / 2] += len(r.text)
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    steps: Counter = Counter()
    ordered = sorted(rows, key=lambda r: (r.page, round(r.x0 / 50), r.y0))
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a.page == b.page and abs(a.size - body) < 0.6 and abs(b.size - body) < 0.6 and abs(a.x0 - b.x0) < 30:
            d = b.y1 - a.y1
            if 0.8 * body < d < 3.0 * body:  # up to double-spaced manuscripts
                steps[round(d, 1)] += 1
    for r in rows:
        if abs(r.size - body) < 0.6:
            fonts[r.font] += len(r.text)
    pitch = steps.most_common(1)[0][0] if steps else 1.2 * body
    return body, pitch, fonts.most_common(1)[0][0] if fonts else ""


# --- joining rows into block text -----------------------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def vocabulary(rows: list[Row]) -> tuple[set[str], set[str]]:
    """Lower-cased words and hyphenated compounds seen inside rows (not at a row end)."""
    ends = tuple(HYPHENS)
    # one lower() and one regex pass over all rows: a newline stops both a word match and the context of a
    # final sigma, so this equals lower-casing and matching each row on its own
    found = set(_WORD_RE.findall("\n".join([r.text[:-1] if r.text.endswith(ends) else r.text for r in rows]).lower()))
    compounds = {w for w in found if "-" in w}
    words = found - compounds
    for w in compounds:
        words.update(w.split("-"))
    return words, compounds


_TAIL = re.compile(r"([^\W\d_]+)[" + HYPHENS + r"]$")
_HEAD = re.compile(r"^([^\W\d_]+)")


def dehyphenate(prev: str, nxt: str, vocab: tuple[set[str], set[str]]) -> bool:
    """Whether the hyphen ending `prev` is a line-break hyphen to drop before `nxt` ("super-" + "conductor")."""
    t = _TAIL.search(prev)
    h = _HEAD.match(nxt)
    if not t or not h:
        return False
    a, b = t.group(1), h.group(1)
    if not b[0].islower() or (len(a) > 1 and a.isupper()):
        return False
    words, compounds = vocab
    joined = (a + b).lower()
    if f"{a}-{b}".lower() in compounds:
        return False
    if joined in words:
        return True
    return not (a.lower() in words and b.lower() in words and len(a) > 2 and len(b) > 2)


_JOINERS = tuple(HYPHENS + "\u2013\u2014/")  # a row ending in these (no space before) runs on without a space


def join_rows(rows: list[Row], vocab) -> tuple[str, list[tuple[int, int, Row, list]]]:
    """Block text from rows, and for each row its span in that text with its words re-based.

    Rows join with a space; a line-end hyphen is dropped when it splits a word, kept (without space) when it
    joins a compound ("zero-" + "field-cooled").
    """
    text, spans = join_spans(rows, vocab)
    return text, [(start, end, r, row_words(r, start, end, trimmed)) for start, end, r, trimmed in spans]


def join_spans(rows: list[Row], vocab) -> tuple[str, list[tuple[int, int, Row, bool]]]:
    """join_rows without re-basing the words: per row its span and whether its line-end hyphen was dropped
    (row_words gives the words)."""
    parts: list[str] = []
    spans: list[tuple[int, int, Row, bool]] = []
    n = 0
    for i, r in enumerate(rows):
        if i:
            prev_text = parts[-1]
            if prev_text.endswith(_JOINERS) and len(prev_text) > 1 and prev_text[-2] != " ":
                if prev_text[-1] in HYPHENS and dehyphenate(prev_text, r.text, vocab):
                    parts[-1] = prev_text[:-1]
                    n -= 1
                    s0, _, pr, _ = spans[-1]
                    spans[-1] = (s0, n, pr, True)
            else:
                parts.append(" ")
                n += 1
        parts.append(r.text)
        spans.append((n, n + len(r.text), r, False))
        n += len(r.text)
    return "".join(parts), spans


def row_words(r: Row, start: int, end: int, trimmed: bool) -> list:
    """A row's words re-based to its span [start, end) in the block text; cut at `end` where `trimmed`."""
    words = [(s + start, e + start, a, b, c, d) for s, e, a, b, c, d in r.words]
    return _trim_words(words, end) if trimmed else words


def _trim_words(words: list, end: int) -> list:
    out = []
    for w in words:
        if w[0] >= end:
            continue
        out.append((w[0], min(w[1], end), *w[2:]))
    return out

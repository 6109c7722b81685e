"""Tables of a PDF page: PyMuPDF find_tables() -> schemas.Table with cells, spans, header rows and boxes.

Detection is PyMuPDF's default: "lines" strategy, gated by the pymupdf-layout analyser's table boxes (the
analyser proposes boxes for tables that have no vertical rules). Measured on the 15 CC-BY papers of
shared/data/open_pdfs (17 captioned tables on 15 pages): the default hits exactly the 15 caption pages plus one
two-column reference page (dropped by the prose rule below); strategy="text" hits the same pages but turns the
55-row table into a 119 x 14 grid; horizontal "lines" + vertical "text" loses rows (24 -> 3). Without layout
gating (use_layout=False) "lines" finds none of the booktabs tables and "text" reports a table on every page.

PyMuPDF gives the grid (table box, column and row boundaries, merged cells); the text of each cell is rebuilt
here from the page's characters, so that sub/superscripts stay on their line ("MgB2", "cm−2"; a raised exponent
after "10" becomes Unicode superscripts, "10⁷", so it cannot be read as 107) and body rows
that PyMuPDF merged (booktabs tables have no rule between rows) are split again along their text lines.

Header rows, first rule that matches wins: a full-width horizontal rule inside the table (booktabs midrule);
leading bold rows above non-bold rows; leading non-numeric rows above numeric rows; PyMuPDF's own header.
Wrapped header lines (several header rows without spans and without a rule between them) become one row.

False positives, dropped: fewer than 2 rows or 2 columns; half or more of the non-empty cells are prose
(> 12 words or > 80 characters) or half or more of the text lines have 7+ words (a two-column text page read
as a table); half or more of the box covered by raster images (a figure). Kept but flagged: "long_cells" (a
quarter or more prose), "sparse" (less than 40 % of the grid filled), "figure_like" (many vector paths
inside), "no_layout" (layout gating skipped: page with too many vector paths), "rows_split" (merged rows were
split along text lines), "external_header_ignored" (PyMuPDF saw a header above the box; not used).
"""

from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass, field

import pymupdf

from schemas import BBox, Cell, Table

# pymupdf 2.0 + pymupdf-layout: with accurate glyph boxes, find_tables() breaks decimals ("3.2" -> "32\n.").
pymupdf.table.FLAGS &= ~pymupdf.TEXT_ACCURATE_BBOXES

log = logging.getLogger(__name__)

MAX_LAYOUT_PATHS = 50_000  # get_layout() takes minutes on a page with ~150k vector paths
PROSE_WORDS = 12
PROSE_CHARS = 80
PROSE_LINE_WORDS = 7  # a text line of a two-column page has 7-12 words; table lines rarely do
MAX_FIGURE_PATHS = 400
_TOL = 1.0  # points: boundaries closer than this are the same
_TEXT_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP
_BOLD_FONT = re.compile(r"bold|black|heavy|demi|semibold|[.\-,+_]B[a-z]?$|-Bd", re.IGNORECASE)
_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\uf020\uf0a0\t]")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
_NUMBER_START = re.compile(r"^[~∼≈<>≤≥±+\-−–(]*\s*\.?\d")
_PLACEHOLDER = {"—", "–", "-", "−", "...", "…", "n/a", "na", "nd", "n.d.", "/"}


# ---------------------------------------------------------------- text cleaning


def clean_cell_text(s: str) -> str:
    """Normalise a cell's text: one line, single spaces, odd spaces unified, ligatures expanded; U+2212 and
    sub/superscripts kept as the PDF gives them ("cm−2"). (A raised exponent right after "10" was already written
    as Unicode superscripts by the line builder: "10⁷", "3.5 × 10⁻²"; one the PDF does not raise stays "× 109".)

    Lines are joined with a space, except inside a number ("3." + "2", "10," + "000") and after a hyphen
    ending a line ("rough-" + "ness" -> "rough-ness": the hyphen is kept, it may be part of a compound).
    """
    s = _INVISIBLE.sub("", _SPACES.sub(" ", s or "")).translate(_LIGATURES)
    lines = [re.sub(r" +", " ", ln).strip() for ln in s.replace("\r", "\n").split("\n")]
    out = ""
    for ln in lines:
        if not ln:
            continue
        out = _join_lines(out, ln) if out else ln
    return out.strip()


def _join_lines(left: str, right: str) -> str:
    """Join two lines of a cell with a space unless that would split a number or a hyphenated word."""
    if re.search(r"\d[.,]$", left) and right[0].isdigit():
        return left + right
    if left[-1].isdigit() and re.match(r"^[.,]\d", right):
        return left + right
    if re.search(r"[A-Za-z]-$", left) and right[0].isalpha():
        return left + right
    return left + " " + right


def is_numeric(text: str) -> bool:
    """A cell that reads as a number or a quantity ("3.5 × 109", "114 ± 11", "4.2–15 K", "3.8%")."""
    t = text.strip()
    if not t or not _NUMBER_START.match(t):
        return False
    chars = [c for c in t if not c.isspace()]
    digits = sum(c.isdigit() for c in chars)
    return digits / len(chars) >= 0.4


def _is_placeholder(text: str) -> bool:
    return text.strip().lower() in _PLACEHOLDER


def _is_prose(text: str) -> bool:
    return len(text.split()) > PROSE_WORDS or len(text) > PROSE_CHARS


# ---------------------------------------------------------------- page characters -> pieces and lines


@dataclass(eq=False)
class _Piece:
    """Consecutive characters of one span that fall into one cell."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    base: float  # baseline y
    bold: bool
    script: bool = False  # superscript flag set by MuPDF


_POWER_BASE = re.compile(r"(?:^|[\s×x·(])10⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]{0,2}$")  # "10", or "10⁻" / "10¹" going on
_EXPONENT = re.compile(r"[−-]?\d{1,3}|[−-]")
_SUPERSCRIPT = str.maketrans("0123456789−-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻")


@dataclass(eq=False)
class _Line:
    """A text line of a cell: main pieces plus the sub/superscripts attached to them."""

    pieces: list[_Piece] = field(default_factory=list)
    y0: float = 0.0  # vertical extent of the main (full-size) pieces
    y1: float = 0.0

    @property
    def text(self) -> str:
        ps = sorted(self.pieces, key=lambda p: p.x0)
        out = ""
        prev = None
        size = max(p.size for p in ps)
        for p in ps:
            gap = p.x0 - prev.x1 if prev else 0.0
            if self._raised(p, size) and _POWER_BASE.search(out) and _EXPONENT.fullmatch(p.text.strip()) and not (
                out.endswith(tuple("⁰¹²³⁴⁵⁶⁷⁸⁹")) and p.text.strip()[:1] in "−-"
            ):
                # "10" + raised "7": a power of ten, which flattened would read as 107
                out += p.text.strip().translate(_SUPERSCRIPT)
                prev = p
                continue
            if prev and gap > 0.2 * size and not out.endswith(" ") and not p.text.startswith(" "):
                out += " "
            out += p.text
            prev = p
        return out

    def _raised(self, p: _Piece, size: float) -> bool:
        if p.script:
            return True
        height = self.y1 - self.y0
        return p.size < 0.9 * size and height > 0 and (p.y0 + p.y1) / 2 < self.mid - 0.15 * height

    @property
    def bold(self) -> bool:
        return all(p.bold for p in self.pieces if p.text.strip())

    @property
    def x0(self) -> float:
        return min(p.x0 for p in self.pieces)

    @property
    def x1(self) -> float:
        return max(p.x1 for p in self.pieces)

    @property
    def mid(self) -> float:
        return (self.y0 + self.y1) / 2


def _span_bold(span: dict) -> bool:
    return bool(span["flags"] & pymupdf.TEXT_FONT_BOLD) or bool(_BOLD_FONT.search(span.get("font", "")))


def _page_chars(page: pymupdf.Page, clip: pymupdf.Rect) -> list[tuple[dict, list[dict]]]:
    """(span, chars) of the text whose centre lies in clip; clip and char boxes in the page's visual space."""
    m = page.rotation_matrix  # get_text() speaks unrotated coordinates, find_tables() visual ones
    out = []
    d = page.get_text("rawdict", flags=_TEXT_FLAGS, clip=clip * page.derotation_matrix)
    for block in d["blocks"]:
        for line in block.get("lines", []):
            direction = pymupdf.Point(line["dir"]) * m - pymupdf.Point(0, 0) * m
            if abs(direction.y) > 0.1:  # rotated text (axis titles) is no table cell text
                continue
            for span in line["spans"]:
                chars = span["chars"] if not page.rotation else [_visual_char(c, m) for c in span["chars"]]
                chars = [c for c in chars if _centre_in(c["bbox"], clip)]
                if chars:
                    out.append((span, chars))
    return out


def _visual_char(ch: dict, m: pymupdf.Matrix) -> dict:
    return {**ch, "bbox": tuple(pymupdf.Rect(ch["bbox"]) * m), "origin": tuple(pymupdf.Point(ch["origin"]) * m)}


def _centre_in(b, r) -> bool:
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    return r.x0 <= cx <= r.x1 and r.y0 <= cy <= r.y1


def _make_lines(pieces: list[_Piece]) -> list[_Line]:
    """Group a cell's pieces into lines; smaller-font or superscript pieces join the line they overlap."""
    pieces = [p for p in pieces if p.text.strip()]
    if not pieces:
        return []
    main_size = _dominant_size(pieces)
    mains = [p for p in pieces if p.size >= 0.85 * main_size and not p.script]
    smalls = [p for p in pieces if p not in mains]
    lines: list[_Line] = []
    for p in sorted(mains, key=lambda p: p.base):
        line = next((ln for ln in lines if abs(ln.pieces[0].base - p.base) <= 0.3 * p.size), None)
        if line is None:
            line = _Line(y0=p.y0, y1=p.y1)
            lines.append(line)
        line.pieces.append(p)
        line.y0, line.y1 = min(line.y0, p.y0), max(line.y1, p.y1)
    for p in smalls:
        line = _host_line(lines, p)
        if line is None:
            line = _Line(y0=p.y0, y1=p.y1)
            lines.append(line)
        line.pieces.append(p)
    return sorted(lines, key=lambda ln: (ln.mid, ln.x0))


def _dominant_size(pieces: list[_Piece]) -> float:
    """The font size carrying most characters (a big '*' or symbol must not turn the digits into scripts)."""
    count: dict[float, int] = {}
    for p in pieces:
        if not p.script:
            key = round(p.size, 1)
            count[key] = count.get(key, 0) + len(p.text.strip())
    if not count:
        return max(p.size for p in pieces)
    return max(count, key=lambda k: (count[k], k))


def _host_line(lines: list[_Line], p: _Piece) -> _Line | None:
    """The line a sub/superscript piece belongs to: the one whose extent (with some slack) holds its centre."""
    cy = (p.y0 + p.y1) / 2
    best, dist = None, None
    for ln in lines:
        slack = 0.35 * (ln.y1 - ln.y0)
        if ln.y0 - slack <= cy <= ln.y1 + slack:
            d = abs(cy - ln.mid)
            if dist is None or d < dist:
                best, dist = ln, d
    return best


def _lines_text(lines: list[_Line]) -> str:
    return clean_cell_text("\n".join(ln.text for ln in lines))


# ---------------------------------------------------------------- grid


@dataclass(eq=False)
class _GCell:
    row: int
    col: int
    row_span: int
    col_span: int
    x0: float
    y0: float
    x1: float
    y1: float
    pieces: list[_Piece] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)

    @property
    def text(self) -> str:
        return _lines_text(self.lines)

    @property
    def bold(self) -> bool:
        return bool(self.lines) and all(ln.bold for ln in self.lines)


@dataclass(eq=False)
class _Grid:
    cells: list[_GCell]
    n_rows: int
    n_cols: int

    def row(self, r: int) -> list[_GCell]:
        return sorted((c for c in self.cells if c.row == r), key=lambda c: c.col)

    def row_y(self, r: int) -> tuple[float, float]:
        cs = [c for c in self.cells if c.row == r and c.row_span == 1] or [c for c in self.cells if c.row == r]
        return min(c.y0 for c in cs), max(c.y1 for c in cs)


def _edges(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _TOL:
            out.append(v)
    return out


def _index(edges: list[float], v: float) -> int:
    i = bisect.bisect_left(edges, v - _TOL)
    return min(i, len(edges) - 1)


def _grid_from(tab) -> _Grid | None:
    """Cells with row/col spans from PyMuPDF's cell boxes (None slots are covered by a spanning cell)."""
    boxes = [c for row in tab.rows for c in row.cells if c is not None]
    if not boxes:
        return None
    xs = _edges([b[0] for b in boxes] + [b[2] for b in boxes])
    ys = _edges([b[1] for b in boxes] + [b[3] for b in boxes])
    cells, seen = [], set()
    for b in boxes:
        r0, r1 = _index(ys, b[1]), _index(ys, b[3])
        c0, c1 = _index(xs, b[0]), _index(xs, b[2])
        if r1 <= r0 or c1 <= c0 or (r0, c0) in seen:
            continue
        seen.add((r0, c0))
        cells.append(_GCell(r0, c0, r1 - r0, c1 - c0, b[0], b[1], b[2], b[3]))
    return _Grid(cells, len(ys) - 1, len(xs) - 1)


def _fill(grid: _Grid, chars: list[tuple[dict, list[dict]]]) -> None:
    """Put each character into the cell holding its centre, as pieces (runs of one span in one cell)."""
    for span, span_chars in chars:
        bold, script = _span_bold(span), bool(span["flags"] & pymupdf.TEXT_FONT_SUPERSCRIPT)
        run: list[dict] = []
        owner = None
        for ch in span_chars:
            cell = _cell_at(grid, ch["bbox"])
            if cell is not owner and run:
                _add_piece(owner, run, span, bold, script)
                run = []
            owner = cell
            run.append(ch)
        if run:
            _add_piece(owner, run, span, bold, script)
    for c in grid.cells:
        c.lines = _make_lines(c.pieces)


def _cell_at(grid: _Grid, b) -> _GCell | None:
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    for c in grid.cells:
        if c.x0 <= cx <= c.x1 and c.y0 <= cy <= c.y1:
            return c
    return None


def _add_piece(cell: _GCell | None, run: list[dict], span: dict, bold: bool, script: bool) -> None:
    if cell is None:
        return
    text = "".join(ch["c"] for ch in run)
    bb = [ch["bbox"] for ch in run if ch["c"].strip()] or [ch["bbox"] for ch in run]
    cell.pieces.append(
        _Piece(
            text=text,
            x0=min(b[0] for b in bb),
            y0=min(b[1] for b in bb),
            x1=max(b[2] for b in bb),
            y1=max(b[3] for b in bb),
            size=span["size"],
            base=run[0]["origin"][1],
            bold=bold,
            script=script,
        )
    )


def _drop_empty_lines(grid: _Grid) -> None:
    """Remove columns and rows that hold no text of their own (layout grids add thin ones at rules)."""
    for axis in ("col", "row"):
        k = 0
        while k < (grid.n_cols if axis == "col" else grid.n_rows):
            if _empty_line(grid, axis, k) and (grid.n_cols if axis == "col" else grid.n_rows) > 1:
                _remove_line(grid, axis, k)
            else:
                k += 1


def _span(c: _GCell, axis: str) -> tuple[int, int]:
    return (c.col, c.col_span) if axis == "col" else (c.row, c.row_span)


def _empty_line(grid: _Grid, axis: str, k: int) -> bool:
    own = [c for c in grid.cells if _span(c, axis) == (k, 1)]
    return all(not c.lines for c in own)


def _remove_line(grid: _Grid, axis: str, k: int) -> None:
    """Delete column/row k: its own (empty) cells go, their extent goes to the neighbour before (or after)."""
    gone = [c for c in grid.cells if _span(c, axis) == (k, 1)]
    grid.cells = [c for c in grid.cells if _span(c, axis) != (k, 1)]
    for c in grid.cells:
        start, n = _span(c, axis)
        if start <= k < start + n:
            n -= 1
        elif start > k:
            start -= 1
        if axis == "col":
            c.col, c.col_span = start, n
        else:
            c.row, c.row_span = start, n
    for g in gone:
        _widen_neighbour(grid, g, axis, k)
    if axis == "col":
        grid.n_cols -= 1
    else:
        grid.n_rows -= 1


def _widen_neighbour(grid: _Grid, g: _GCell, axis: str, k: int) -> None:
    if axis == "col":
        same = [c for c in grid.cells if c.row <= g.row < c.row + c.row_span]
        left = [c for c in same if c.col + c.col_span == k]
        right = [c for c in same if c.col == k]
        for c in left:
            c.x1 = max(c.x1, g.x1)
        for c in right if not left else []:
            c.x0 = min(c.x0, g.x0)
    else:
        same = [c for c in grid.cells if c.col <= g.col < c.col + c.col_span]
        above = [c for c in same if c.row + c.row_span == k]
        below = [c for c in same if c.row == k]
        for c in above:
            c.y1 = max(c.y1, g.y1)
        for c in below if not above else []:
            c.y0 = min(c.y0, g.y0)


# ---------------------------------------------------------------- splitting merged body rows


def _row_bands(cells: list[_GCell]) -> list[list[tuple[_GCell, _Line]]] | None:
    """Cluster the text lines of one row into bands; None unless at least two bands span two or more cells."""
    items = sorted(((c, ln) for c in cells for ln in c.lines), key=lambda it: it[1].mid)
    bands: list[list[tuple[_GCell, _Line]]] = []
    ranges: list[list[float]] = []
    for c, ln in items:
        if ranges and _overlap(ranges[-1], (ln.y0, ln.y1)) >= 0.5:
            bands[-1].append((c, ln))
            ranges[-1] = [min(ranges[-1][0], ln.y0), max(ranges[-1][1], ln.y1)]
        else:
            bands.append([(c, ln)])
            ranges.append([ln.y0, ln.y1])
    anchors = [i for i, b in enumerate(bands) if len({id(c) for c, _ in b}) >= 2]
    if len(anchors) < 2:
        return None
    out: list[list[tuple[_GCell, _Line]]] = [list(bands[i]) for i in anchors]
    mids = [sum(ranges[i]) / 2 for i in anchors]
    for i, b in enumerate(bands):
        if i in anchors:
            continue
        mid = sum(ranges[i]) / 2
        k = min(range(len(mids)), key=lambda j: abs(mids[j] - mid))
        out[k].extend(b)
    return out


def _overlap(a, b) -> float:
    """Vertical overlap of two ranges as a share of the shorter one."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    short = min(a[1] - a[0], b[1] - b[0])
    return inter / short if short > 0 else 0.0


def _split_rows(grid: _Grid, first_body_row: int) -> bool:
    """Split body rows whose cells hold several aligned text lines (rows PyMuPDF merged); True if any split."""
    split_any = False
    r = max(first_body_row, 0)
    while r < grid.n_rows:
        cells = [c for c in grid.cells if c.row <= r < c.row + c.row_span]
        bands = None if any(c.row_span != 1 for c in cells) else _row_bands(cells)
        if bands is None:
            r += 1
            continue
        _apply_split(grid, r, cells, bands)
        split_any = True
        r += len(bands)
    return split_any


def _apply_split(grid: _Grid, r: int, cells: list[_GCell], bands) -> None:
    k = len(bands)
    for c in grid.cells:
        if c.row > r:
            c.row += k - 1
    y_top, y_bottom = min(c.y0 for c in cells), max(c.y1 for c in cells)
    extents = [(min(ln.y0 for _, ln in b), max(ln.y1 for _, ln in b)) for b in bands]
    cuts = [y_top] + [(extents[i][1] + extents[i + 1][0]) / 2 for i in range(k - 1)] + [y_bottom]
    new = []
    for c in cells:
        for i, band in enumerate(bands):
            lines = sorted((ln for owner, ln in band if owner is c), key=lambda ln: ln.mid)
            new.append(_GCell(r + i, c.col, 1, c.col_span, c.x0, cuts[i], c.x1, cuts[i + 1], lines=lines))
    grid.cells = [c for c in grid.cells if c not in cells] + new
    grid.n_rows += k - 1


# ---------------------------------------------------------------- header rows


def _rules(paths: list[tuple], box: pymupdf.Rect) -> list[float]:
    """y of horizontal rules inside the table box (not at its top or bottom) spanning 60 % of its width."""
    ys = []
    for x0, y0, x1, y1 in paths:
        if y1 - y0 > 2 or x1 - x0 < 0.6 * box.width:
            continue
        y = (y0 + y1) / 2
        if box.y0 + 2 < y < box.y1 - 2 and x0 < box.x1 and x1 > box.x0:
            ys.append(y)
    return _edges(ys)


def _header_by_rules(grid: _Grid, rules: list[float]) -> int:
    """Rows above the first inner rule, unless rules separate most rows (a ruled grid says nothing)."""
    if not rules or grid.n_rows < 2 or len(rules) >= max(2, 0.6 * (grid.n_rows - 1)):
        return 0
    y = rules[0]
    h = sum(1 for r in range(grid.n_rows) if sum(grid.row_y(r)) / 2 < y)
    return h if 0 < h < grid.n_rows else 0


def _header_by_bold(grid: _Grid) -> int:
    flags = []
    for r in range(grid.n_rows):
        cells = [c for c in grid.row(r) if c.lines]
        flags.append(bool(cells) and all(c.bold for c in cells))
    h = 0
    while h < len(flags) and flags[h]:
        h += 1
    return h if 0 < h < grid.n_rows else 0


def _row_numeric(cells: list[_GCell]) -> bool:
    texts = [c.text for c in cells if c.col > 0 or len(cells) == 1]
    texts = [t for t in texts if t and not _is_placeholder(t)]
    return bool(texts) and sum(is_numeric(t) for t in texts) >= 0.5 * len(texts)


def _header_by_numbers(grid: _Grid) -> int:
    numeric = [_row_numeric(grid.row(r)) for r in range(grid.n_rows)]
    if True not in numeric:
        return 0
    h = numeric.index(True)
    body = numeric[h:]
    return h if 0 < h < grid.n_rows and sum(body) >= 0.5 * len(body) else 0


def _header_by_pymupdf(grid: _Grid, tab) -> int:
    try:
        header = tab.header
    except Exception:  # PyMuPDF's header heuristics read the page; never let them sink a table
        return 0
    if header is None or header.external:
        return 0
    y = header.bbox[3]
    h = sum(1 for r in range(grid.n_rows) if sum(grid.row_y(r)) / 2 < y)
    return h if h < grid.n_rows else 0


def _merge_header_rows(grid: _Grid, h: int, rules: list[float]) -> int:
    """Wrapped header lines split over rows (no spans, no rule between) become one header row."""
    if h < 2:
        return h
    head = [c for c in grid.cells if c.row < h]
    if any(c.row_span != 1 or c.col_span != 1 for c in head):
        return h
    y0, y1 = grid.row_y(0)[0], grid.row_y(h - 1)[1]
    if any(y0 < y < y1 for y in rules):
        return h
    merged = []
    for col in range(grid.n_cols):
        cs = sorted((c for c in head if c.col == col), key=lambda c: c.row)
        if not cs:
            continue
        lines = [ln for c in cs for ln in c.lines]
        merged.append(_GCell(0, col, 1, 1, min(c.x0 for c in cs), y0, max(c.x1 for c in cs), y1, lines=lines))
    for c in grid.cells:
        if c.row >= h:
            c.row -= h - 1
    grid.cells = merged + [c for c in grid.cells if c.row > 0 and c not in head]
    grid.n_rows -= h - 1
    return 1


def _header_rows(grid: _Grid, tab, rules: list[float]) -> int:
    for h in (_header_by_rules(grid, rules), _header_by_bold(grid), _header_by_numbers(grid)):
        if h:
            return h
    return _header_by_pymupdf(grid, tab)


# ---------------------------------------------------------------- checks


def _verdict(grid: _Grid, box: pymupdf.Rect, images: list[pymupdf.Rect], n_paths: int) -> tuple[bool, list[str]]:
    """(keep, flags) for a candidate table; see the module docstring for the rules."""
    texts = [c.text for c in grid.cells]
    filled = [t for t in texts if t]
    if grid.n_rows < 2 or grid.n_cols < 2 or len(filled) < 2:
        return False, []
    lines = [ln.text for c in grid.cells for ln in c.lines]
    long_lines = sum(len(t.split()) >= PROSE_LINE_WORDS for t in lines) / max(1, len(lines))
    prose = max(long_lines, sum(_is_prose(t) for t in filled) / len(filled))
    if prose >= 0.5:
        return False, []
    covered = sum((box & r).get_area() for r in images if box.intersects(r))
    if box.get_area() > 0 and covered >= 0.5 * box.get_area():
        return False, []
    flags = []
    if prose >= 0.25:
        flags.append("long_cells")
    slots = sum(c.row_span * c.col_span for c in grid.cells if c.text)
    if slots < 0.4 * grid.n_rows * grid.n_cols:
        flags.append("sparse")
    if n_paths > MAX_FIGURE_PATHS:
        flags.append("figure_like")
    return True, flags


def _paths_in(paths: list[tuple], box: pymupdf.Rect) -> int:
    a, b, c, d = box.x0 - 1, box.y0 - 1, box.x1 + 1, box.y1 + 1
    return sum(1 for x0, y0, x1, y1 in paths if x0 >= a and y0 >= b and x1 <= c and y1 <= d)


def _image_boxes(page: pymupdf.Page) -> list[pymupdf.Rect]:
    out = []
    for info in page.get_image_info():
        r = pymupdf.Rect(info["bbox"]) * page.rotation_matrix
        if r.width > 20 and r.height > 20:
            out.append(r)
    return out


# ---------------------------------------------------------------- entry point


_LAYOUT_ONE_THREAD = False


def _layout_one_thread() -> None:
    """Rebuild the pymupdf-layout analyser's ONNX sessions with one intra-op thread, once per process.

    pymupdf-layout builds its sessions (layout GNN, image features, table grid) when `pymupdf` is imported, with
    ONNX Runtime's default pool: one thread per core. The inputs are one page's boxes and small images, so the
    pool mostly spins, and the pipeline already runs one worker process per core. Measured on the 15 table
    pages of shared/data/open_pdfs: find_tables() 14.9 -> 11.7 CPU s with one thread, identical tables (thread
    count does not change the kernels' arithmetic). Same model files and options otherwise (CPU memory arena
    off, as pymupdf-layout's make_session). Anything unexpected leaves the analyser as it is.
    """
    global _LAYOUT_ONE_THREAD
    if _LAYOUT_ONE_THREAD:
        return
    _LAYOUT_ONE_THREAD = True
    try:
        import onnxruntime as ort

        fn = getattr(pymupdf, "_get_layout", None)
        model = next((c.cell_contents for c in (getattr(fn, "__closure__", None) or ())), None)
        model = getattr(model, "_model", model)
        if model is None:
            return
        for owner in (model, getattr(model, "feature_extractor", None), getattr(model, "table_grid_extractor", None)):
            for name, sess in list(vars(owner).items()) if owner is not None else ():
                if not isinstance(sess, ort.InferenceSession) or not isinstance(sess._model_path, str):
                    continue
                if sess.get_session_options().intra_op_num_threads == 1:
                    continue
                so = ort.SessionOptions()
                so.enable_cpu_mem_arena = False
                so.intra_op_num_threads = 1
                so.inter_op_num_threads = 1
                setattr(owner, name, ort.InferenceSession(sess._model_path, sess_options=so,
                                                          providers=sess.get_providers()))
    except Exception as e:  # noqa: BLE001 - an optimisation only: the default sessions still work
        log.debug("layout sessions left multi-threaded: %s", e)


def _detect(page: pymupdf.Page, n_paths: int, drawings: list[dict] | None = None) -> list:
    """PyMuPDF's tables on the page (default "lines" strategy, layout-gated unless the page is too heavy).

    drawings: the page's get_drawings(), handed to find_tables() (paths=) so that it does not extract and copy
    them again (on a page with a large vector plot that is a second of CPU). find_tables() edits them in place.
    """
    use_layout = n_paths <= MAX_LAYOUT_PATHS
    if use_layout:
        _layout_one_thread()
    found = page.find_tables(use_layout=use_layout, paths=drawings)
    if found is None:  # find_tables() reports its own exceptions and returns None
        log.warning("page %d: find_tables() failed", page.number + 1)
        return []
    return list(found.tables)


def _page_box(x0: float, y0: float, x1: float, y1: float, inv: pymupdf.Matrix) -> BBox:
    """A visual-space box in the page's unrotated coordinates (as get_text() reports them), 2 decimals."""
    return BBox.of(pymupdf.Rect(x0, y0, x1, y1) * inv).rounded()


def _to_table(grid: _Grid, box: pymupdf.Rect, page_no: int, header_rows: int, flags: list[str], inv) -> Table:
    cells = []
    for c in sorted(grid.cells, key=lambda c: (c.row, c.col)):
        cells.append(
            Cell(
                row=c.row,
                col=c.col,
                row_span=c.row_span,
                col_span=c.col_span,
                text=c.text,
                is_header=c.row < header_rows,
                bbox=_page_box(c.x0, c.y0, c.x1, c.y1, inv),
            )
        )
    return Table(
        id="",
        page=page_no,
        bbox=_page_box(*box, inv),
        n_rows=grid.n_rows,
        n_cols=grid.n_cols,
        header_rows=header_rows,
        cells=cells,
        source="pymupdf",
        flags=flags,
    )


def _visual_paths(drawings: list[dict], m: pymupdf.Matrix | None) -> list[tuple]:
    if m is None:
        return [tuple(d["rect"]) for d in drawings]
    return [tuple(pymupdf.Rect(d["rect"]) * m) for d in drawings]


@dataclass(eq=False)
class _PageInfo:
    """What every table of a page needs: vector paths and images (visual space), flags, back-transform."""

    paths: list[tuple]  # (x0, y0, x1, y1) of each vector path
    images: list[pymupdf.Rect]
    inv: pymupdf.Matrix
    flags: list[str]


def _build(page: pymupdf.Page, tab, page_no: int, info: _PageInfo) -> Table | None:
    grid = _grid_from(tab)
    if grid is None:
        return None
    box = pymupdf.Rect(tab.bbox)
    _fill(grid, _page_chars(page, box))
    _drop_empty_lines(grid)
    rules = _rules(info.paths, box)
    flags = list(info.flags)
    head = _header_by_rules(grid, rules) or _header_by_pymupdf(grid, tab)
    if _split_rows(grid, head):
        flags.append("rows_split")
    header_rows = _merge_header_rows(grid, _header_rows(grid, tab, rules), rules)
    keep, more = _verdict(grid, box, info.images, _paths_in(info.paths, box))
    if not keep:
        return None
    if getattr(getattr(tab, "header", None), "external", False):
        flags.append("external_header_ignored")
    return _to_table(grid, box, page_no, header_rows, flags + more, info.inv)


def find_tables(page: pymupdf.Page, page_no: int, first_index: int) -> list[Table]:
    """Tables on one page, ids t{first_index}, t{first_index+1}, ... in PyMuPDF's order; page_no is 1-based.

    Boxes are in the page's unrotated coordinates, like get_text() (the same as the visual ones unless the
    page has a /Rotate).
    """
    # find_tables() extracts the drawings of an unrotated page itself (get_drawings()); hand it ours instead.
    # A rotated page it turns upright first, so there it keeps extracting its own.
    rotated = bool(page.rotation)
    drawings = page.get_cdrawings() if rotated else page.get_drawings()
    paths = _visual_paths(drawings, page.rotation_matrix if rotated else None)  # before find_tables() edits them
    candidates = _detect(page, len(drawings), None if rotated else drawings)
    del drawings
    if not candidates:
        return []
    info = _PageInfo(
        paths=paths,
        images=_image_boxes(page),
        inv=page.derotation_matrix,
        flags=[] if len(paths) <= MAX_LAYOUT_PATHS else ["no_layout"],
    )
    out: list[Table] = []
    with _SharedTextbox(page):
        for tab in candidates:
            table = _build(page, tab, page_no, info)
            if table is not None:
                table.id = f"t{first_index + len(out)}"
                out.append(table)
    return out


class _SharedTextbox:
    """While open, page.get_textbox() reads one shared TextPage instead of building a whole-page one per call.

    PyMuPDF's table header rule (Table.header) names the cells of a header it finds above the table with one
    page.get_textbox() per column, and each of those builds a TextPage of the whole page: on a page with a large
    vector plot, 0.06 CPU s apiece. The shared TextPage is built the same way (default flags, and again whenever the
    global glyph-height / quad-correction toggles that the header rule sets differ), so the text is the same.
    """

    def __init__(self, page: pymupdf.Page) -> None:
        self.page = page
        self.tp = None
        self.state: tuple[bool, bool] | None = None

    def __enter__(self) -> _SharedTextbox:
        try:
            self.page.get_textbox = self
        except Exception:  # noqa: BLE001 - an optimisation only
            pass
        return self

    def __exit__(self, *exc) -> None:
        if self.page.__dict__.get("get_textbox") is self:
            del self.page.get_textbox

    def __call__(self, rect, textpage=None) -> str:
        if textpage is not None:
            return pymupdf.Page.get_textbox(self.page, rect, textpage=textpage)
        state = (bool(pymupdf.TOOLS.set_small_glyph_heights()), bool(pymupdf.TOOLS.unset_quad_corrections()))
        if self.tp is None or state != self.state:
            self.tp, self.state = self.page.get_textpage(), state
        return self.tp.extractTextbox(rect)

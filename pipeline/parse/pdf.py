"""PyMuPDF parser: a PDF file -> ParsedDocument.

    open      bad input -> BadInputError / TooLargeError naming the file and the reason
    read      per page one TextPage: fragments with exact word boxes and vector boxes (layout.read_page), or OCR
    clean     running headers/footers, page numbers, rotated margin stamps (arXiv) leave the body
    regions   tables (pipeline.parse.tables) and figures (figures.py): their text leaves the body
    order     rows, reading order per page (XY-cut variant), paragraphs per single-column leaf
    classify  title, abstract, headings + section paths, captions, equations, footnotes, references
    stitch    paragraphs across column/page breaks, one block per reference, captions <-> figures/tables
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from pipeline.config import ParseConfig
from pipeline.errors import BadInputError, TooLargeError
from pipeline.parse.figures import (
    CAPTION_RE,
    FigureRegion,
    box,
    caption_label,
    caption_starts,
    drawing_refs,
    figure_texts,
    find_figures,
    image_refs,
)
from pipeline.parse.layout import (
    Frag,
    PageText,
    Row,
    body_stats,
    build_rows,
    count_columns,
    frags_from_ocr,
    join_spans,
    leaf_edges,
    mark_running_text,
    order_rows,
    read_page,
    row_words,
    split_paragraphs,
    vocabulary,
)
from pipeline.parse.nogc import paused_gc
from pipeline.parse.pdf_meta import build_metadata, info_title
from schemas import Page, ParsedDocument, Table

PARSER = "pymupdf@1"


def parse_pdf(path: Path, paper_id: str, cfg: ParseConfig) -> ParsedDocument:
    """Parse one PDF into a ParsedDocument (sentences are added by the parse stage afterwards)."""
    path = Path(path)
    doc, warnings = open_document(path, cfg.max_pages)
    try:
        with paused_gc():
            return _Parser(doc, path, paper_id, cfg, warnings).run()
    finally:
        doc.close()


def open_document(path: Path, max_pages: int) -> tuple[pymupdf.Document, list[str]]:
    """Open a PDF or raise BadInputError / TooLargeError with the reason; warnings for repaired files."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except OSError as e:
        raise BadInputError(f"{path}: cannot read the file ({e.strerror or e})") from e
    if b"%PDF-" not in head:
        raise BadInputError(f"{path}: not a PDF (no %PDF header)")
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as e:  # MuPDF raises FileDataError and friends
        raise BadInputError(f"{path}: cannot be opened as a PDF, damaged or truncated ({e})") from e
    if doc.needs_pass and not doc.authenticate(""):
        doc.close()
        raise BadInputError(f"{path}: encrypted PDF (password required)")
    n = doc.page_count
    repaired = doc.is_repaired
    if n == 0:
        doc.close()
        raise BadInputError(f"{path}: PDF has zero pages" + (" (damaged or truncated)" if repaired else ""))
    if n > max_pages:
        doc.close()
        raise TooLargeError(f"{path}: {n} pages > max_pages ({max_pages})")
    warnings = []
    if repaired:
        warnings.append("damaged PDF (truncated or broken cross-reference table) repaired by MuPDF; content may miss")
    return doc, warnings


# --- blocks under construction --------------------------------------------------------------------------------


@dataclass(eq=False)
class _Block:
    rows: list[Row]
    leaf: int  # global number of the single-column leaf the block started in
    kind: str = "paragraph"
    label: str | None = None
    section: list[str] = field(default_factory=list)
    level: int = 0  # headings

    @property
    def page(self) -> int:
        return self.rows[0].page

    @property
    def text(self) -> str:
        return " ".join(r.text for r in self.rows)

    @property
    def first(self) -> Row:
        return self.rows[0]

    @property
    def last(self) -> Row:
        return self.rows[-1]

    @property
    def size(self) -> float:
        sizes: Counter = Counter()
        for r in self.rows:
            sizes[r.size] += len(r.text)
        return sizes.most_common(1)[0][0]

    @property
    def bold(self) -> bool:
        return sum(len(r.text) for r in self.rows if r.bold) * 2 > sum(len(r.text) for r in self.rows)

    @property
    def font(self) -> str:
        fonts: Counter = Counter()
        for r in self.rows:
            fonts[r.font] += len(r.text)
        return fonts.most_common(1)[0][0]

    @property
    def x0(self) -> float:
        return min(r.x0 for r in self.rows)

    @property
    def y0(self) -> float:
        return self.rows[0].y0


_NUMBERED = re.compile(r"^(?P<num>(?:\d{1,2}\.)*\d{1,2}\.?|[IVX]{1,5}\.|[A-H]\.)\s+(?P<title>\S.*)$", re.S)
_KEYWORDS = (
    r"abstract|summary|introduction|background|methods?|materials and methods|experimental(?: details| section"
    r"| methods| procedures?)?|results(?: and discussions?)?|discussions?|conclusions?(?: and outlook)?"
    r"|summary and conclusions?|acknowledge?ments?|references?|bibliography|literature cited|references and notes"
    r"|appendix(?: [a-z0-9]+)?|appendices|supplementary (?:material|information|data)|data availability(?: statement)?"
    r"|author contributions?|conflicts? of interest|competing interests?|declaration of competing interest|funding"
)
_KEYWORD = re.compile(rf"^(?:{_KEYWORDS})$", re.I)
_REFS = re.compile(r"^(?:references?|bibliography|literature cited|references and notes|cited literature)$", re.I)
_ABSTRACT = re.compile(r"^(abstract|summary)$", re.I)
_RUN_IN_ABSTRACT = re.compile(r"^(abstract|summary)\s*[.:\u2014\u2013-]\s*\S", re.I)
_KEYWORDS_LINE = re.compile(r"^(key\s*words?|index terms|pacs|pacs numbers|msc|jel)\b", re.I)
_EQNUM = re.compile(r"\(\s*(\d{1,3}[a-z]?|[A-Z]\d{1,2}|\d{1,2}\.\d{1,3})\s*\)$")
_MATH = set("=+−×·/^_<>≤≥≈∝∑∫∂√∞→←±|∣()[]{}⎛⎝⎞⎠⎡⎣⎢⎤⎦⎥⎜⎟⟨⟩∇ΔαβγδεζηθικλμνξπρστυφχψωϕϵΓΘΛΞΠΣΦΨΩ∈⊂⊗⊕′″∗*~")
_FUNCS = {"exp", "sin", "cos", "tan", "log", "max", "min", "tanh", "sinh", "cosh", "lim", "det", "sgn", "erf"}
_WORDS3 = re.compile(r"[^\W\d_]{3,}")
_REF_NUM = re.compile(r"^\s*\[(\d{1,4})\]|^\s*(\d{1,4})\.\s+\S|^\s*(\d{1,4})\s+[A-Z\u00C0-\u024F]")
_LIST_REF = re.compile(r"^\s*\[\d{1,4}\]\s*\S|^\s*\d{1,3}\.\s+[A-Z\u00C0-\u024F][^\s.]{0,20}\.?\s")
_CITATION = re.compile(r"\bet\.? al\b|\(\d{4}\)|,\s*\d{2,}|^\d{1,3}\.\s+[A-Z]\.\s*[A-Z]")
_SPACED = re.compile(r"^(?:\S ){2,}\S$")
_END = tuple(".!?:")


def _collapse_spaced(text: str) -> str:
    """ "A B S T R A C T" -> "ABSTRACT" (letter-spaced headings)."""
    return text.replace(" ", "") if _SPACED.match(text) else text


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


class _Parser:
    def __init__(self, doc: pymupdf.Document, path: Path, paper_id: str, cfg: ParseConfig, warnings: list[str]):
        self.doc = doc
        self.path = path
        self.paper_id = paper_id
        self.cfg = cfg
        self.warnings = warnings
        self.pages: list[Page] = []
        self.texts: list[PageText] = []
        self.tables: list[Table] = []
        self.regions: list[FigureRegion] = []
        self.body_size = 10.0
        self.body_font = ""
        self.pitch = 12.0
        self.leaf_of_row: dict[int, int] = {}  # id(row) -> leaf number
        self.row_of_frag: dict[int, int] = {}  # id(fragment) -> id(row)
        self.vocab: tuple[set[str], set[str]] = (set(), set())  # words and compounds seen, for dehyphenation

    # -- pipeline --

    def run(self) -> ParsedDocument:
        self._read_pages()
        mark_running_text([t.frags for t in self.texts], [p.height for p in self.pages])
        for t in self.texts:
            for f in t.frags:
                if f.role == "body" and not f.horizontal:
                    f.role = "margin"  # rotated stamps (arXiv id) and side notes; figures may claim them back
        self.body_size, line_width = _size_stats(self.texts)
        self._find_regions(line_width)
        page_rows = [build_rows([f for f in t.frags if f.role == "body" and f.horizontal]) for t in self.texts]
        all_rows = [r for rows in page_rows for r in rows]
        for r in all_rows:
            for f in r.frags:
                self.row_of_frag[id(f)] = id(r)
        if all_rows:
            _, self.pitch, self.body_font = body_stats(all_rows)
        self.vocab = vocabulary(all_rows)
        blocks = self._paragraphs(page_rows)
        blocks = self._classify(blocks)
        out_blocks, block_of_row = self._emit_blocks(blocks)
        figures = self._emit_figures(block_of_row, out_blocks)
        self._link_tables(out_blocks)
        return ParsedDocument.model_validate({
            "paper_id": self.paper_id,
            "parser": PARSER,
            "metadata": self._metadata(blocks),
            "pages": self.pages,
            "blocks": out_blocks,
            "tables": self.tables,
            "figures": figures,
            "warnings": self.warnings,
        })

    # -- reading --

    def _read_pages(self) -> None:
        cfg = self.cfg
        readable = 0
        for i in range(self.doc.page_count):
            page_no = i + 1
            pymupdf.TOOLS.reset_mupdf_warnings()
            try:
                page = self.doc.load_page(i)
                rect = page.rect
                rotation = page.rotation
                w, h = (rect.height, rect.width) if rotation in (90, 270) else (rect.width, rect.height)
                pt = read_page(page, page_no)
            except Exception as e:  # a damaged page: keep going with the others
                self.warnings.append(f"page {page_no}: cannot be read ({e})")
                self.pages.append(Page(number=page_no, width=0.0, height=0.0, has_text_layer=False))
                self.texts.append(PageText(frags=[], vectors=[], images=[], n_chars=0))
                continue
            readable += 1
            trouble = _mupdf_trouble()
            if trouble:  # MuPDF skipped part of the page (broken or too deeply nested objects): say so
                self.warnings.append(f"page {page_no}: MuPDF could not read all of it ({trouble}); content may miss")
            model = Page(number=page_no, width=round(w, 2), height=round(h, 2), rotation=rotation,
                         has_text_layer=pt.n_chars >= cfg.ocr_min_chars)
            few = pt.n_chars < cfg.ocr_min_chars
            marked = few and (bool(pt.vectors) or self._has_images(i, pt))
            if cfg.ocr == "always" or (cfg.ocr == "auto" and marked):
                self._ocr(page, page_no, pt, model)
            elif marked:
                self.warnings.append(f"page {page_no}: no text layer; OCR disabled (ocr: never)")
            if cfg.tables and not model.ocr and _has_caption(pt.frags, "table"):
                from pipeline.parse.tables import find_tables

                self.tables.extend(find_tables(page, page_no, len(self.tables)))
            self.pages.append(model)
            self.texts.append(pt)
        if not readable:
            raise BadInputError(f"{self.path}: damaged PDF: no page could be read")
        if not any(t.n_chars or t.frags for t in self.texts):
            self.warnings.append("no text found on any page (blank, image-only without OCR, or unreadable content)")

    def _has_images(self, i: int, pt: PageText) -> bool:
        """Whether page i places raster images, looked up once and only for the pages that ask."""
        if pt.has_images is None:
            pt.has_images = bool(self.doc.load_page(i).get_images())
        return pt.has_images

    def _ocr(self, page: pymupdf.Page, page_no: int, pt: PageText, model: Page) -> None:
        from pipeline.parse.ocr import ocr_page

        try:
            lines = ocr_page(page, self.cfg.ocr_dpi)
        except Exception as e:  # OCR trouble on one page must not sink the paper
            self.warnings.append(f"page {page_no}: OCR failed ({type(e).__name__}: {e})")
            return
        pt.frags = frags_from_ocr(lines, page_no)
        pt.vectors, pt.has_images = [], False
        model.ocr = True
        self.warnings.append(f"page {page_no}: no text layer; OCR used" if not model.has_text_layer
                             else f"page {page_no}: OCR used (ocr: always)")

    # -- tables and figures --

    def _find_regions(self, line_width: float) -> None:
        for i, t in enumerate(self.texts):
            page_no = i + 1
            boxes = [tb.bbox.as_tuple() for tb in self.tables if tb.page == page_no and tb.bbox is not None]
            for f in t.frags if boxes else ():
                cx, cy = (f.x0 + f.x1) / 2, (f.y0 + f.y1) / 2
                if any(b[0] - 2 <= cx <= b[2] + 2 and b[1] - 2 <= cy <= b[3] + 2 for b in boxes):
                    f.role = "table"
            if self.pages[i].ocr:
                continue
            starts = caption_starts(t.frags)
            if not any(k == "figure" for _, k, _ in starts):
                continue
            if self._has_images(i, t):
                t.images = self.doc.load_page(i).get_image_info()
            size = (self.pages[i].width, self.pages[i].height)
            self.regions.extend(
                find_figures(page_no, t.frags, t.images, t.vectors, size, boxes, self.body_size, line_width, starts)
            )

    # -- paragraphs --

    def _paragraphs(self, page_rows: list[list[Row]]) -> list[_Block]:
        blocks: list[_Block] = []
        leaf_no = 0
        gutter = max(6.0, 0.7 * self.body_size)
        for i, rows in enumerate(page_rows):
            leaves = order_rows(rows, gutter, self.pitch)
            self.pages[i].columns = count_columns(leaves, self.pages[i].width)
            for leaf in leaves:
                for r in leaf:
                    self.leaf_of_row[id(r)] = leaf_no
                for group in split_paragraphs(leaf, self.pitch, self.body_size):
                    blocks.append(_Block(rows=group, leaf=leaf_no))
                leaf_no += 1
        return blocks

    # -- classification --

    def _classify(self, blocks: list[_Block]) -> list[_Block]:
        blocks = self._captions(blocks)
        title = self._title(blocks)
        if title is not None:
            title.kind = "title"
            blocks = self._whole_title(blocks, title)
            blocks = [b for b in blocks if not (b.page == 1 and b is not title and b.last.y1 <= title.y0 + 1
                                               and b.kind == "paragraph")]  # masthead above the title
        self._headings_and_references(blocks)
        self._equations(blocks)
        self._footnotes(blocks)
        self._abstract(blocks)
        blocks = self._stitch(blocks)
        blocks = self._split_references(blocks)
        self._sections(blocks)
        return blocks

    def _captions(self, blocks: list[_Block]) -> list[_Block]:
        out: list[_Block] = []
        for b in blocks:
            prev = out[-1] if out else None
            if prev is not None and prev.kind == "caption" and len(prev.rows) == 1 and _label_only(prev.text) \
                    and b.page == prev.page and b.first.y0 - prev.last.y1 < 3 * self.body_size:
                prev.rows.extend(b.rows)  # Elsevier: "Table 1" alone on a line above the caption text
                continue
            if prev is not None and prev.kind == "caption" and self._continues_caption(prev, b):
                prev.rows.extend(b.rows)
                continue
            lab = caption_label(b.first.text, b.first.lead.lead_bold)
            if lab:
                b.kind, b.label = "caption", lab[1]
            out.append(b)
        return out

    def _continues_caption(self, cap: _Block, b: _Block) -> bool:
        """The next lines of a caption that layout cut off (same page and size, right below, mid-sentence)."""
        if b.page != cap.page or abs(b.size - cap.size) > 0.3 or b.kind != "paragraph":
            return False
        if min(b.first.x1, cap.last.x1) - max(b.first.x0, cap.last.x0) <= 0:
            return False
        if not 0 <= b.first.y0 - cap.last.y1 < 0.8 * b.size or caption_label(b.first.text, b.first.lead.lead_bold):
            return False
        return _starts_lower_or_digit(b.first.text) or not cap.last.text.rstrip().endswith(_END)

    def _title(self, blocks: list[_Block]) -> _Block | None:
        if not self.pages:
            return None
        first = [b for b in blocks if b.page == 1 and b.y0 < 0.55 * self.pages[0].height and b.kind == "paragraph"]
        meta = info_title(self.doc.metadata or {})
        if meta:
            key = _alnum(meta)
            for b in first:
                bk = _alnum(b.text)
                if len(bk) >= 10 and (bk == key or (bk in key and len(bk) >= 0.6 * len(key))
                                      or (key in bk and len(key) >= 0.8 * len(bk))):
                    return b
        cands = [b for b in first if len(b.text.split()) >= 2 and len(b.rows) <= 4]
        if not cands:
            return None
        best = max(cands, key=lambda b: (round(b.size), -b.y0))
        return best if best.size >= self.body_size + 1.5 else None

    def _whole_title(self, blocks: list[_Block], title: _Block) -> list[_Block]:
        """Absorb the title's own continuation lines that layout split off (same size and font, just below)."""
        out = []
        for b in blocks:
            if b is not title and b.page == 1 and b.kind == "paragraph" and abs(b.size - title.size) < 0.3 \
                    and b.font == title.font and 0 <= b.y0 - title.last.y1 < 1.2 * title.size \
                    and b.x0 < title.x0 + 2 * title.size:
                title.rows.extend(b.rows)
                continue
            out.append(b)
        return out

    def _heading_level(self, b: _Block, numbering_roman: bool) -> int | None:
        """Heading level of a block, or None when it is not a heading."""
        if len(b.rows) > 3 or b.kind != "paragraph":
            return None
        text = b.text.strip()
        if len(text) > 160 or len(text) < 2 or text.endswith((",", ";")):
            return None
        plain = _collapse_spaced(text)
        words = text.split()
        caps = plain.isupper() and sum(c.isalpha() for c in plain) >= 4
        big = b.size >= self.body_size + 0.9
        styled = b.bold or big or caps or b.font != self.body_font
        m = _NUMBERED.match(text)
        if m and styled and len(words) <= 18 and _starts_upper(m.group("title")) and not m.group("title").endswith(".") \
                and not _CITATION.search(text) and text.count(",") < 2:
            num = m.group("num").rstrip(".")
            if re.fullmatch(r"[IVX]+", num):
                return 1
            if re.fullmatch(r"[A-H]", num):
                return 2 if numbering_roman else 1
            return num.count(".") + 1 + (2 if numbering_roman else 0)
        if _KEYWORD.match(plain.rstrip(".: ")) and (styled or len(b.rows) == 1):
            return 1
        if (b.bold or big) and len(words) <= 12 and len(b.rows) <= 2 and text[:1].isupper() \
                and not text.endswith(".") and b.size >= self.body_size - 1.2:
            return 0  # unnumbered heading: level decided from context
        return None

    def _headings_and_references(self, blocks: list[_Block]) -> None:
        roman = any(re.match(r"^[IVX]{1,5}\.\s+\S", b.text) and self._heading_level(b, False) is not None
                    for b in blocks if b.kind == "paragraph")
        in_refs = False
        seen_heading = False
        for b in blocks:
            if b.kind not in ("paragraph",):
                continue
            level = self._heading_level(b, roman)
            if level == 0 and not seen_heading:
                level = None  # bold lines of the front matter (authors) are not headings
            plain = _collapse_spaced(b.text.strip()).rstrip(".: ")
            plain_nonum = re.sub(r"^(?:\d+\.?|[IVX]+\.)\s*", "", plain)
            if in_refs:
                if level is not None and _KEYWORD.match(plain_nonum) and not _REFS.match(plain_nonum):
                    in_refs = False  # e.g. an appendix after the references
                else:
                    b.kind = "reference"
                    continue
            if level is None:
                continue
            b.kind, b.level = "heading", level
            seen_heading = True
            if _REFS.match(plain_nonum):
                in_refs = True
        if not in_refs and not any(b.kind == "reference" for b in blocks):
            self._trailing_references(blocks)

    def _trailing_references(self, blocks: list[_Block]) -> None:
        """References without a heading (REVTeX): the trailing run of blocks made of "[12] ..." entries."""
        start = None
        for i in range(len(blocks) - 1, -1, -1):
            b = blocks[i]
            if b.kind == "caption":
                continue
            if b.kind != "paragraph":
                break
            numbered = sum(1 for r in b.rows if _LIST_REF.match(r.text))
            if numbered and numbered >= 0.2 * len(b.rows):
                start = i
            elif start is None or not (_starts_lower_or_digit(b.first.text) or self._small_like(b, blocks[start])):
                break
        if start is None:
            return
        run = [b for b in blocks[start:] if b.kind == "paragraph"]
        if sum(1 for b in run for r in b.rows if _LIST_REF.match(r.text)) >= 3:
            for b in run:
                b.kind = "reference"

    def _small_like(self, b: _Block, ref: _Block) -> bool:
        """Same small print as a reference block (an entry's tail carried over to the next column)."""
        return abs(b.size - ref.size) < 0.3 and b.size < self.body_size - 0.5

    def _equations(self, blocks: list[_Block]) -> None:
        rows_of: dict[int, list[Row]] = {}
        for b in blocks:
            rows_of.setdefault(b.leaf, []).extend(b.rows)
        lefts = {leaf: leaf_edges(rows)[0] for leaf, rows in rows_of.items()}
        for b in blocks:
            if b.kind != "paragraph":
                continue
            label = _equation_label(b, lefts[b.leaf])
            if label is not None:
                b.kind = "equation"
                b.label = label or None

    def _footnotes(self, blocks: list[_Block]) -> None:
        """Small-font paragraphs at the bottom of a column, below all body-size text of that column."""
        by_leaf: dict[int, list[_Block]] = {}
        for b in blocks:
            by_leaf.setdefault(b.leaf, []).append(b)
        for leaf in by_leaf.values():
            for b in reversed(leaf):
                h = self.pages[b.page - 1].height
                if b.kind not in ("paragraph", "footnote") or b.size > self.body_size - 0.8 or b.y0 < 0.5 * h:
                    break
                b.kind = "footnote"

    def _abstract(self, blocks: list[_Block]) -> None:
        """The "Abstract" section, or on page 1 the long paragraph between the author block and the first heading."""
        for i, b in enumerate(blocks):
            if b.page > 2:
                break
            plain = _collapse_spaced(b.text.strip()).rstrip(".: ")
            if b.kind == "heading" and _ABSTRACT.match(plain):
                self._mark_abstract(blocks, i + 1)
                return
            if b.kind == "paragraph" and _RUN_IN_ABSTRACT.match(b.text):
                self._mark_abstract(blocks, i)
                return
        for b in blocks:
            if b.page > 1 or b.kind == "heading":
                return
            if b.kind == "paragraph" and len(b.text.split()) >= 60 and not _KEYWORDS_LINE.match(b.text):
                b.kind = "abstract"
                return

    def _mark_abstract(self, blocks: list[_Block], start: int) -> None:
        size = None
        for b in blocks[start:]:
            if b.kind in ("caption", "footnote"):
                continue
            if b.kind != "paragraph" or _KEYWORDS_LINE.match(b.text) or (size is not None and abs(b.size - size) > 0.6):
                return
            b.kind = "abstract"
            size = b.size

    # -- stitching --

    def _stitch(self, blocks: list[_Block]) -> list[_Block]:
        """Join a paragraph cut by a column or page break with its continuation."""
        out: list[_Block] = []
        last_para: _Block | None = None  # the paragraph a continuation may join; captions and notes may sit between
        for b in blocks:
            if b.kind in ("caption", "footnote") and last_para is not None:
                out.append(b)
                continue
            if b.kind in ("paragraph", "abstract") and last_para is not None and last_para.kind == b.kind \
                    and self.leaf_of_row[id(b.first)] != self.leaf_of_row[id(last_para.last)] \
                    and self._continues(last_para, b):
                last_para.rows.extend(b.rows)
                continue
            out.append(b)
            last_para = b if b.kind in ("paragraph", "abstract") else None
        return out

    def _continues(self, a: _Block, b: _Block) -> bool:
        end = a.last.text.rstrip()
        if not end or not b.first.text:
            return False
        if abs(a.size - b.size) > 0.6:
            return False
        first = b.first.text.lstrip()[:1]
        if end.endswith(tuple("-\u2010")) or first.islower():
            return True
        return not end.endswith(_END) and not end.endswith((".)", '."', ".”")) and not first.isdigit()

    def _split_references(self, blocks: list[_Block]) -> list[_Block]:
        """One block per reference entry: entries start with "[N]"/"N." or at the left edge of a hanging indent."""
        out: list[_Block] = []
        i = 0
        while i < len(blocks):
            if blocks[i].kind != "reference":
                out.append(blocks[i])
                i += 1
                continue
            j = i
            while j < len(blocks) and blocks[j].kind in ("reference", "footnote", "caption"):
                j += 1
            run = blocks[i:j]
            refs = [b for b in run if b.kind == "reference"]
            out.extend(_entries(refs))
            out.extend(b for b in run if b.kind != "reference")
            i = j
        return out

    def _sections(self, blocks: list[_Block]) -> None:
        stack: list[tuple[int, str]] = []
        numbered = any(_NUMBERED.match(b.text) for b in blocks if b.kind == "heading")
        for b in blocks:
            if b.kind == "heading":
                level = b.level
                if level == 0:
                    level = (stack[-1][0] + 1) if (numbered and stack and _NUMBERED.match(stack[-1][1])) else 1
                    b.level = level
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, b.text.strip()))
            if b.kind == "abstract" and not stack:
                b.section = ["Abstract"]
                continue
            if b.kind == "title":
                continue
            b.section = [t for _, t in stack]

    # -- output --

    def _emit_blocks(self, blocks: list[_Block]) -> tuple[list[dict], dict[int, str]]:
        """Blocks as schema dicts (validated once with the document), and id(row) -> block id."""
        out: list[dict] = []
        block_of_row: dict[int, str] = {}
        for n, b in enumerate(blocks):
            bid = f"b{n}"
            text, spans = join_spans(b.rows, self.vocab) if b.kind != "equation" else _join_plain(b.rows)
            origin = "ocr" if b.rows[0].ocr else "pdf"
            lines: list[dict] = []
            prov: list[list] = []
            region = None
            for start, end, row, trimmed in spans:
                block_of_row[id(row)] = bid
                if trimmed:
                    words = [{"start": s, "end": e, "bbox": _box4(a, b, c, d)}
                             for s, e, a, b, c, d in row_words(row, start, end, True) if e > s]
                else:  # re-based on the fly: row.words are relative to the row text
                    words = [{"start": s + start, "end": e + start, "bbox": _box4(a, b, c, d)}
                             for s, e, a, b, c, d in row.words if e > s]
                lines.append({"start": start, "end": end, "page": row.page,
                              "bbox": box((row.x0, row.y0, row.x1, row.y1)), "words": words})
                leaf = self.leaf_of_row.get(id(row), -1)
                if leaf != region:
                    prov.append([row.page, [row.x0, row.y0, row.x1, row.y1], start, end])
                    region = leaf
                else:
                    p = prov[-1]
                    p[1] = [min(p[1][0], row.x0), min(p[1][1], row.y0), max(p[1][2], row.x1), max(p[1][3], row.y1)]
                    p[3] = end
            out.append({
                "id": bid, "kind": b.kind, "text": text, "section": b.section,
                "prov": [{"page": p[0], "bbox": box(p[1]), "span": {"start": p[2], "end": p[3]}, "item_id": bid,
                          "origin": origin} for p in prov],
                "lines": lines, "font_size": round(b.size, 2), "bold": b.bold, "label": b.label,
                "ocr": origin == "ocr",
            })
        return out, block_of_row

    def _emit_figures(self, block_of_row: dict[int, str], blocks: list[dict]) -> list[dict]:
        if not self.cfg.figures:
            return []
        text_of = {b["id"]: b["text"] for b in blocks}
        by_page: dict[int, list[FigureRegion]] = {}
        for r in self.regions:
            by_page.setdefault(r.page, []).append(r)
        figures: list[dict] = []
        for page_no in sorted(by_page):
            regions = by_page[page_no]
            page = self.doc.load_page(page_no - 1)
            n_ops = len(self.texts[page_no - 1].vectors)
            refs, capped = drawing_refs(page, page_no, regions, n_ops)
            if capped:
                self.warnings.append(f"page {page_no}: {n_ops} drawing ops; figure drawing indices omitted "
                                     "(box and path count kept)")
            xrefs = _image_xrefs(page) if any(g.image for r in regions for g in r.graphics) else {}
            for r, drawings in zip(regions, refs, strict=True):
                cap_id = block_of_row.get(self.row_of_frag.get(id(r.caption), -1))
                figures.append({
                    "id": f"f{len(figures)}", "page": page_no, "bbox": box(r.bbox), "label": r.label,
                    "caption_id": cap_id, "caption": text_of.get(cap_id), "images": image_refs(r, xrefs),
                    "drawings": drawings, "text": figure_texts(r),
                })
        return figures

    def _link_tables(self, blocks: list[dict]) -> None:
        """Tie each table to its "Table N" caption (nearest on the page) and the small-print notes below it."""
        if not self.tables:
            return
        captions = [b for b in blocks if b["kind"] == "caption" and (b["label"] or "").startswith("Table")]
        used: set[str] = set()
        for t in self.tables:
            if t.bbox is None:
                continue
            best, best_d = None, None
            for c in captions:
                cb = c["prov"][0]["bbox"]
                if c["id"] in used or c["prov"][0]["page"] != t.page:
                    continue
                if min(cb["x1"], t.bbox.x1) - max(cb["x0"], t.bbox.x0) <= 0:
                    continue
                if cb["y1"] <= t.bbox.y0 + 5:
                    d = t.bbox.y0 - cb["y1"]  # caption above the table
                elif cb["y0"] >= t.bbox.y1 - 5:
                    d = cb["y0"] - t.bbox.y1 + 20  # below: possible, less usual
                else:
                    continue
                if best_d is None or d < best_d:
                    best, best_d = c, d
            if best is not None:
                used.add(best["id"])
                t.caption_id, t.caption, t.label = best["id"], best["text"], best["label"]
            t.footnote_ids = self._table_notes(t, blocks)

    def _table_notes(self, t: Table, blocks: list[dict]) -> list[str]:
        """Small-print blocks right below a table: its notes (kind footnote)."""
        out: list[str] = []
        bottom = t.bbox.y1
        for b in blocks:
            if not b["prov"] or b["prov"][0]["page"] != t.page or b["kind"] in ("caption", "heading", "title"):
                continue
            bb = b["prov"][0]["bbox"]
            if bb["y0"] < bottom - 2 or bb["y0"] - bottom > 2.5 * self.body_size:
                continue
            if min(bb["x1"], t.bbox.x1) - max(bb["x0"], t.bbox.x0) <= 0 or b["font_size"] > self.body_size - 0.5:
                continue
            b["kind"] = "footnote"
            out.append(b["id"])
            bottom = bb["y1"]
        return out

    def _metadata(self, blocks: list[_Block]):
        title = next((join_spans(b.rows, self.vocab)[0] for b in blocks if b.kind == "title"), None)
        texts = []
        if self.texts:
            frags = sorted(self.texts[0].frags, key=lambda f: (f.role != "margin", f.y0, f.x0))
            texts = [" ".join(f.text for f in frags)]
        return build_metadata(title, texts, lambda: _page_uris(self.doc), self.doc.metadata or {})


# --- helpers ----------------------------------------------------------------------------------------------------


def _box4(x0: float, y0: float, x1: float, y1: float) -> dict:
    """box((x0, y0, x1, y1)) for the many word boxes: the same rounding (figures._r2) inlined."""
    return {"x0": int(x0 * 100 + 0.5) / 100 if x0 >= 0 else -int(-x0 * 100 + 0.5) / 100,
            "y0": int(y0 * 100 + 0.5) / 100 if y0 >= 0 else -int(-y0 * 100 + 0.5) / 100,
            "x1": int(x1 * 100 + 0.5) / 100 if x1 >= 0 else -int(-x1 * 100 + 0.5) / 100,
            "y1": int(y1 * 100 + 0.5) / 100 if y1 >= 0 else -int(-y1 * 100 + 0.5) / 100}


def _join_plain(rows: list[Row]) -> tuple[str, list]:
    """Rows joined with single spaces (equations: no dehyphenation), spans as join_spans gives them."""
    parts, spans, n = [], [], 0
    for i, r in enumerate(rows):
        if i:
            parts.append(" ")
            n += 1
        spans.append((n, n + len(r.text), r, False))
        parts.append(r.text)
        n += len(r.text)
    return "".join(parts), spans


def _starts_upper(text: str) -> bool:
    """First letter or digit is upper case (or a digit): skips quotes and brackets."""
    for c in text:
        if c.isalnum():
            return c.isupper() or c.isdigit()
    return False


def _starts_lower_or_digit(text: str) -> bool:
    c = text.lstrip()[:1]
    return c.islower() or c.isdigit()


def _label_only(text: str) -> bool:
    m = CAPTION_RE.match(text.strip())
    return bool(m) and not m.group("rest").strip(" .:")


def _has_caption(frags: list[Frag], kind: str) -> bool:
    return any(k == kind for _, k, _ in caption_starts(frags))


def _size_stats(texts: list[PageText]) -> tuple[float, float]:
    """Body font size (char-weighted mode) and the usual width of a full body line."""
    sizes: Counter = Counter()
    for t in texts:
        for f in t.frags:
            if f.role == "body" and f.horizontal:
                sizes[round(f.size * 2) / 2] += len(f.text)
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    widths: Counter = Counter()
    for t in texts:
        for f in t.frags:
            if f.role == "body" and abs(f.size - body) < 0.6 and len(f.text) >= 40:
                widths[round(f.width / 5) * 5] += 1
    return body, float(widths.most_common(1)[0][0]) if widths else 200.0


def _equation_label(b: _Block, left: float) -> str | None:
    """"(3)" / "" when the block is a display equation, None otherwise."""
    text = b.text
    if len(text) > 400:
        return None
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return None
    n = len(chars)
    mathy = sum(c in _MATH for c in chars) + sum(len(f.text) for r in b.rows for f in r.frags if f.math)
    words = [w for w in _WORDS3.findall(text) if w.lower() not in _FUNCS]
    indented = b.x0 - left >= 1.5 * b.size
    for r in b.rows:
        m = _EQNUM.search(r.text)
        if m and len(words) <= 6 and (mathy >= 0.2 * n or indented):
            return f"({m.group(1)})"
    if mathy >= 0.5 * n and len(words) <= 2 and indented:
        return ""
    return None


def _ref_number(text: str) -> tuple[int, int] | None:
    """(style, number) of a row that starts like a numbered reference: 0 "[12]", 1 "12.", 2 "12 Author"."""
    m = _REF_NUM.match(text)
    if not m:
        return None
    for style, g in enumerate(m.groups()):
        if g:
            return style, int(g)
    return None


def _entries(refs: list[_Block]) -> list[_Block]:
    """Reference blocks re-cut into one block per entry."""
    rows = [(r, b.leaf) for b in refs for r in b.rows]
    if not rows:
        return []
    styles = Counter(n[0] for r, _ in rows if (n := _ref_number(r.text)))
    style = styles.most_common(1)[0][0] if styles and styles.most_common(1)[0][1] >= max(2, len(refs) // 3) else None
    lefts: dict[int, float] = {}
    for b in refs:
        lefts.setdefault(b.leaf, min(r.x0 for x in refs if x.leaf == b.leaf for r in x.rows))
    hanging = style is None and _hanging(rows, lefts)
    firsts = {id(b.rows[0]) for b in refs}
    out: list[_Block] = []
    last = 0
    for r, leaf in rows:
        num = _ref_number(r.text)
        if style is not None:
            starts = num is not None and num[0] == style and (style == 0 or num[1] == last + 1 or not out)
        elif hanging:
            starts = r.x0 - lefts[leaf] < 2
        else:
            starts = id(r) in firsts
        if starts or not out:
            if num is not None and style is not None and num[0] == style:
                last = num[1]
            label = f"[{num[1]}]" if starts and num is not None and num[0] == style else None
            out.append(_Block(rows=[r], leaf=leaf, kind="reference", label=label))
        else:
            out[-1].rows.append(r)
    return out


def _hanging(rows, lefts) -> bool:
    at_left = sum(1 for r, leaf in rows if r.x0 - lefts[leaf] < 2)
    return 0 < at_left < 0.7 * len(rows)


def _mupdf_trouble() -> str | None:
    """The first error MuPDF reported since the last reset (it logs and goes on instead of raising)."""
    for line in pymupdf.TOOLS.mupdf_warnings().splitlines():
        if "error" in line or "cannot" in line:
            return line.strip()
    return None


def _page_uris(doc: pymupdf.Document) -> list[str]:
    """URI links of page 1 (without resolving internal destinations, which is slow)."""
    out = []
    page = doc.load_page(0)  # keep the page alive while walking its links
    link = page.first_link
    while link is not None:
        if link.uri:
            out.append(link.uri)
        link = link.next
    return out


def _image_xrefs(page: pymupdf.Page) -> dict[tuple[int, int], int]:
    """(pixel width, height) -> xref for the page's images, where that pair is unique."""
    seen: Counter = Counter()
    xref_of: dict[tuple[int, int], int] = {}
    for item in page.get_images(full=True):
        key = (int(item[2]), int(item[3]))
        seen[key] += 1
        xref_of[key] = int(item[0])
    return {k: v for k, v in xref_of.items() if seen[k] == 1}

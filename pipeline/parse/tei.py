"""GROBID TEI -> ParsedDocument ("tei@1").

Metadata from `teiHeader` (title, DOI, arXiv id, authors, journal, year, licence), pages from `facsimile/surface`,
blocks in document order: title, abstract, body divisions (`head` -> heading, numbered by its `n`), paragraphs,
formulas (equation), figures (caption block + Figure), `figure[@type="table"]` (caption block + Table, table notes as
footnotes), `note[@place="foot"]` (footnote), back divisions (acknowledgement, annex, ...) and one reference block per
`listBibl/biblStruct` (the raw reference string when GROBID kept it, else one composed from the fields).

Sections: GROBID writes divisions flat; nesting comes from the head numbers ("2.1." sits under "2."). An unnumbered
head after numbered ones is taken as a subsection of the last numbered head; with no numbering at all every head is
top level. Section path entries and heading texts are "2.1 Title" when numbered (label "2.1").

GROBID repeats text in some papers (a section head, or a whole paragraph, again after a page break): a numbered
head seen before and a paragraph identical to an earlier one (NFKC, whitespace-insensitive, 40+ chars) are dropped
with a warning.

Coordinates (`coords="page,x,y,w,h;..."`, PDF points, top-left origin) become one Prov per box, origin "tei", span
= the element's char span in the block text. A paragraph with `<s>` children that carry coords gets the sentence
boxes (spans of each `<s>`), otherwise its own boxes; elements without coords get no prov. Tables from GROBID have
no explicit header: the first row is taken as header when it is not all numbers (flag "header_guessed").
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from lxml import etree

from pipeline.errors import BadInputError
from pipeline.parse.jats import (
    SOFT,
    DocBuilder,
    child,
    children,
    clean_label,
    entity_text,
    grid_cells,
    heading_text,
    is_element,
    join_sentences,
    licence_from_url,
    norm,
    parse_xml,
    read_xml,
    resolve_soft,
    span_value,
)
from schemas.document import Block, BlockKind, Figure, Page, ParsedDocument, Table
from schemas.geometry import BBox, CharSpan, Prov

PARSER = "tei@1"
MARK_START, MARK_END = "\x01", "\x02"  # around <s> while flattening, removed once spans are known
MIN_DEDUP_CHARS = 40
NUMERIC_CELL = re.compile(r"[\s\d.,;:±%()\[\]+\-−–/×x*]*")


def parse_tei(path: Path, paper_id: str) -> ParsedDocument:
    """Parse a GROBID TEI file."""
    return tei_document(read_xml(path), paper_id, str(path))


def parse_tei_bytes(data: bytes, paper_id: str, name: str) -> ParsedDocument:
    """Parse GROBID TEI held in memory (e.g. a server response); `name` is used in error messages."""
    return tei_document(parse_xml(data, name), paper_id, name)


def tei_document(root: etree._Element, paper_id: str, name: str) -> ParsedDocument:
    tei = root if root.tag == "TEI" else next(root.iter("TEI"), None)
    if tei is None:
        raise BadInputError(f"{name}: not a TEI document (root element <{root.tag}>, no <TEI>)")
    return _Tei(paper_id).run(tei)


# -- coordinates ------------------------------------------------------------------------------------------------


def parse_coords(raw: str | None, span: CharSpan | None = None) -> list[Prov]:
    """'page,x,y,w,h;page,x,y,w,h' -> one Prov per box (x0=x, y0=y, x1=x+w, y1=y+h); malformed boxes skipped."""
    out = []
    for part in (raw or "").split(";"):
        fields = part.strip().split(",")
        if len(fields) < 5:
            continue
        try:
            page = int(float(fields[0]))
            x, y, w, h = (float(f) for f in fields[1:5])
        except ValueError:
            continue
        if page < 1 or w < 0 or h < 0:
            continue
        out.append(Prov(page=page, bbox=BBox(x0=x, y0=y, x1=x + w, y1=y + h), span=span, origin="tei"))
    return out


def _region(provs: list[Prov]) -> tuple[int | None, BBox | None]:
    """Page and union box of the boxes on the first page they mention."""
    if not provs:
        return None, None
    page = provs[0].page
    return page, BBox.union_all([p.bbox for p in provs if p.page == page and p.bbox is not None])


# -- text -------------------------------------------------------------------------------------------------------

SKIP = {"graphic", "figure", "table", "note", "label"}
SPACED = {"lb", "cell", "row", "item", "head", "p", "figDesc"}


def tei_text(el: etree._Element, marks: bool = False) -> str:
    """Flattened text of a TEI element; with marks, each <s> is wrapped in MARK_START/MARK_END."""
    parts = [el.text or ""]
    for ch in el:
        parts.append(_tei_el(ch, marks))
        parts.append(ch.tail or "")
    return "".join(parts)


def _tei_el(el: etree._Element, marks: bool) -> str:
    if isinstance(el, etree._Entity):
        return entity_text(el)
    if not is_element(el):
        return ""
    tag = el.tag
    if tag in SKIP:
        return ""
    if tag == "s":
        inner = tei_text(el, marks)
        return SOFT + (MARK_START + inner + MARK_END if marks else inner) + SOFT
    if tag in SPACED:
        return SOFT + tei_text(el, marks) + SOFT
    return tei_text(el, marks)


def text_with_spans(el: etree._Element) -> tuple[str, list[tuple[int, int]]]:
    """Normalised text of a paragraph (as norm() gives it) and the char spans of its <s> children, in order."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    start: int | None = None
    awaiting = pending_space = False
    for ch in resolve_soft(tei_text(el, marks=True)):
        if ch == MARK_START:
            awaiting = True
        elif ch == MARK_END:
            spans.append((len(out) if start is None else start, len(out)))
            start, awaiting = None, False
        elif ch.isspace():
            pending_space = True
        else:
            if pending_space and out:
                out.append(" ")
            pending_space = False
            if awaiting:
                start, awaiting = len(out), False
            out.append(ch)
    return "".join(out), spans


def _dedup_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


# -- document ---------------------------------------------------------------------------------------------------


class _Tei:
    def __init__(self, paper_id: str):
        self.b = DocBuilder(paper_id, PARSER)
        self.stack: list[tuple[int, bool, str]] = []  # (depth, numbered, heading text)
        self.seen_heads: set[tuple[str, str]] = set()
        self.seen_paragraphs: set[str] = set()
        self.dropped = {"heading": 0, "paragraph": 0, "other note": 0}

    def run(self, tei: etree._Element) -> ParsedDocument:
        header = child(tei, "teiHeader")
        self._metadata(header)
        self._pages(child(tei, "facsimile"))
        if self.b.doc.metadata.title:
            self.b.block(BlockKind.title, self.b.doc.metadata.title, [])
        self._abstract(child(child(header, "profileDesc"), "abstract"))
        text = child(tei, "text")
        body = child(text, "body")
        if body is not None:
            self._walk(body)
        back = child(text, "back")
        if back is not None:
            self._back(back)
        for what, n in self.dropped.items():
            if n:
                self.b.warn(f"tei: dropped {n} repeated {what}{'s' if n > 1 else ''}")
        return self.b.doc

    # -- header --
    def _metadata(self, header) -> None:
        md = self.b.doc.metadata
        file_desc = child(header, "fileDesc")
        source = child(child(file_desc, "sourceDesc"), "biblStruct")
        analytic = child(source, "analytic")
        monogr = child(source, "monogr")
        md.title = _main_title(child(file_desc, "titleStmt")) or _main_title(analytic) or None
        for idno in children(source, "idno") + children(analytic, "idno") + children(monogr, "idno"):
            kind = (idno.get("type") or "").lower()
            value = norm(idno.text)
            if kind == "doi" and value and not md.doi:
                md.doi = value
            elif kind == "arxiv" and value and not md.arxiv_id:
                md.arxiv_id = re.sub(r"^arxiv:\s*", "", value, flags=re.I)
        md.authors = [a for a in (_person(p) for p in _author_names(analytic)) if a]
        md.journal = _main_title(monogr, level="j") or None
        md.year = _year(child(file_desc, "publicationStmt"), monogr)
        md.licence = _licence(child(child(file_desc, "publicationStmt"), "availability"))

    def _pages(self, facsimile) -> None:
        for surface in children(facsimile, "surface"):
            try:
                n = int(surface.get("n"))
                w = float(surface.get("lrx")) - float(surface.get("ulx") or 0)
                h = float(surface.get("lry")) - float(surface.get("uly") or 0)
            except (TypeError, ValueError):
                continue
            if n >= 1:
                self.b.doc.pages.append(Page(number=n, width=w, height=h))

    def _abstract(self, abstract) -> None:
        if abstract is None:
            return
        for el in abstract.iter("p"):
            div = el.getparent()
            head = _text(child(div, "head")) if div is not None and div.tag == "div" else ""
            self._paragraph(el, ["Abstract"] + ([head] if head else []), BlockKind.abstract)

    # -- body / back --
    def _walk(self, el) -> None:
        for ch in el:
            if is_element(ch):
                self._node(ch)

    def _node(self, el) -> None:
        tag = el.tag
        path = [h for _, _, h in self.stack]
        if tag == "div":
            self._div(el)
        elif tag == "head":
            return  # handled by _div
        elif tag == "p":
            self._paragraph(el, path, BlockKind.paragraph)
        elif tag == "formula":
            self.b.block(
                BlockKind.equation,
                tei_text(el),
                path,
                label=norm(_text(child(el, "label"))) or None,
                prov=parse_coords(el.get("coords")),
            )
        elif tag == "figure" and el.get("type") == "table":
            self._table(el, self._float_path(el, path))
        elif tag == "figure":
            self._figure(el, self._float_path(el, path))
        elif tag == "note":
            path = self._float_path(el, path)
            if el.get("place") == "foot":
                self.b.block(
                    BlockKind.footnote, tei_text(el), path, label=el.get("n"), prov=parse_coords(el.get("coords"))
                )
            else:
                self.dropped["other note"] += 1
        elif tag == "list":
            for item in children(el, "item"):
                self._paragraph(item, path, BlockKind.paragraph)
        elif tag == "listBibl":
            self._refs(el)
        elif tag in ("div", "back", "body"):
            self._walk(el)

    @staticmethod
    def _float_path(el, path: list[str]) -> list[str]:
        """GROBID gathers figures, tables and footnotes at the end of <body>: there their section is unknown."""
        parent = el.getparent()
        return [] if parent is not None and parent.tag == "body" else path

    def _div(self, div) -> None:
        if div.get("type") == "references":
            for lb in div.iter("listBibl"):
                self._refs(lb)
            return
        head = child(div, "head")
        if head is not None:
            self._heading(head)
        self._walk(div)

    def _heading(self, head) -> None:
        title = _text(head)
        label = clean_label(head.get("n"))
        if not title and not label:
            return
        text = heading_text(label, title)
        depth = self._depth(label)
        self.stack = [e for e in self.stack if e[0] < depth] + [(depth, label is not None, text)]
        path = [h for _, _, h in self.stack]
        key = (label or "", _dedup_key(title))
        repeated = key in self.seen_heads if label else self._last_heading() == text
        self.seen_heads.add(key)
        if repeated:
            self.dropped["heading"] += 1
            return
        self.b.block(BlockKind.heading, text, path, label=label, prov=parse_coords(head.get("coords")))

    def _depth(self, label: str | None) -> int:
        if label:
            return len([p for p in re.split(r"[.\s]+", label) if p])
        numbered = [d for d, numbered, _ in self.stack if numbered]
        return numbered[-1] + 1 if numbered else 1

    def _last_heading(self) -> str | None:
        for blk in reversed(self.b.doc.blocks):
            if blk.kind == BlockKind.heading:
                return blk.text
        return None

    def _paragraph(self, el, path: list[str], kind: BlockKind) -> Block | None:
        text, spans = text_with_spans(el)
        if not text:
            return None
        key = _dedup_key(text)
        if len(key) >= MIN_DEDUP_CHARS and kind == BlockKind.paragraph:
            if key in self.seen_paragraphs:
                self.dropped["paragraph"] += 1
                return None
            self.seen_paragraphs.add(key)
        sentences = children(el, "s")
        prov = []
        if sentences and len(sentences) == len(spans):
            for s, (a, b) in zip(sentences, spans, strict=True):
                prov.extend(parse_coords(s.get("coords"), CharSpan(start=a, end=b)))
        if not prov:
            prov = parse_coords(el.get("coords"), CharSpan(start=0, end=len(text)))
        return self.b.block(kind, text, path, prov=prov)

    def _back(self, back) -> None:
        for el in back:
            if not is_element(el):
                continue
            self.stack = []
            if el.tag == "div":
                self._div(el)
            elif el.tag == "listBibl":
                self._refs(el)

    # -- floats --
    def _figure(self, el, path: list[str]) -> None:
        label = _float_label(el, "Figure")
        caption = norm(tei_text(child(el, "figDesc"))) if child(el, "figDesc") is not None else ""
        own = parse_coords(el.get("coords"))
        block = self.b.block(
            BlockKind.caption,
            caption,
            path,
            label=label,
            prov=own,
        )
        boxes = own + [p for g in el.iter("graphic") for p in parse_coords(g.get("coords"))]
        page, bbox = _region(boxes)
        self.b.doc.figures.append(
            Figure(
                id=self.b.figure_id(),
                page=page,
                bbox=bbox,
                label=label,
                caption=caption or None,
                caption_id=block.id if block else None,
                source="tei",
            )
        )

    def _table(self, el, path: list[str]) -> None:
        label = _float_label(el, "Table")
        caption = norm(tei_text(child(el, "figDesc"))) if child(el, "figDesc") is not None else ""
        own = parse_coords(el.get("coords"))
        tid = self.b.table_id()
        block = self.b.block(
            BlockKind.caption,
            caption,
            path,
            label=label,
            prov=own,
        )
        page, bbox = _region(own)
        table = Table(
            id=tid,
            page=page,
            bbox=bbox,
            label=label,
            caption=caption or None,
            caption_id=block.id if block else None,
            source="tei",
        )
        grid = child(el, "table")
        rows = [
            [
                (norm(tei_text(c)), span_value(c.get("rows")), span_value(c.get("cols")), False)
                for c in children(r, "cell")
            ]
            for r in children(grid, "row")
        ]
        rows = [r for r in rows if r]
        if rows:
            table.cells, table.n_rows, table.n_cols, flags = grid_cells(rows)
            table.flags.extend(flags)
            _guess_header(table)
        else:
            table.flags.append("no_cells")
        self.b.doc.tables.append(table)
        for note in children(el, "note"):
            fn = self.b.block(BlockKind.footnote, tei_text(note), path, prov=parse_coords(note.get("coords")))
            if fn is not None:
                table.footnote_ids.append(fn.id)

    def _refs(self, list_bibl) -> None:
        path = ["References"]
        for bibl in list_bibl.iter("biblStruct"):
            text = _bibl_text(bibl)
            self.b.block(BlockKind.reference, text, path, prov=parse_coords(bibl.get("coords")))


# -- helpers ----------------------------------------------------------------------------------------------------


def _text(el) -> str:
    return norm(tei_text(el)) if el is not None else ""


def _main_title(el, level: str | None = None) -> str:
    titles = [t for t in children(el, "title") if level is None or t.get("level") == level]
    main = [t for t in titles if t.get("type") == "main"] or titles
    return _text(main[0]) if main else ""


def _author_names(analytic) -> list:
    out = []
    for author in children(analytic, "author"):
        name = child(author, "persName")
        if name is not None:
            out.append(name)
    return out


def _person(pers, surname_first: bool = False) -> str:
    forenames = " ".join(_text(f) for f in children(pers, "forename"))
    surname = _text(child(pers, "surname"))
    if not surname and not forenames:
        return _text(pers)
    return norm(f"{surname} {forenames}" if surname_first else f"{forenames} {surname}")


def _year(publication_stmt, monogr) -> int | None:
    dates = children(publication_stmt, "date") + children(child(monogr, "imprint"), "date")
    for d in dates:
        m = re.search(r"\b(1[89]\d\d|2\d\d\d)\b", d.get("when") or _text(d))
        if m:
            return int(m.group(1))
    return None


def _licence(availability) -> str | None:
    if availability is None:
        return None
    for lic in availability.iter("licence"):
        value = lic.get("target") or _text(lic)
        if value:
            return licence_from_url(value)
    text = _text(availability)
    m = re.search(r"creativecommons\.org/\S+", text)
    return licence_from_url(m.group()) if m else None


def _float_label(el, kind: str) -> str | None:
    """'Fig. 2' from head 'Fig. 2 M' + label '2'; 'Table 1' from head 'Table 1 :'; 'Figure 3' from label only."""
    head = _text(child(el, "head")).rstrip(" :.")
    label = _text(child(el, "label"))
    if head and label:
        m = re.match(rf"(.*?\b{re.escape(label)})(?![\w.])", head)
        if m:
            return m.group(1)
    if head:
        return head
    return f"{kind} {label}" if label else None


def _guess_header(table: Table) -> None:
    """GROBID marks no header: call the first row the header when there are more rows and it is not all numbers."""
    first = [c for c in table.cells if c.row == 0]
    texts = [c.text for c in first if c.text]
    if table.n_rows < 2 or not texts or all(NUMERIC_CELL.fullmatch(t) for t in texts):
        table.flags.append("no_header")
        return
    for c in first:
        c.is_header = True
    table.header_rows = 1
    table.flags.append("header_guessed")


def _bibl_text(bibl) -> str:
    """The raw reference string GROBID kept, else 'Authors. Title. Venue vol(issue), pages (year). doi:...'."""
    raw = next((n for n in children(bibl, "note") if n.get("type") == "raw_reference"), None)
    if raw is not None and _text(raw):
        return _text(raw)
    analytic, monogr = child(bibl, "analytic"), child(bibl, "monogr")
    authors = _author_names(analytic) or _author_names(monogr)
    names = ", ".join(n for n in (_person(p, surname_first=True) for p in authors) if n)
    title, venue = (_main_title(analytic), _main_title(monogr)) if analytic is not None else (_main_title(monogr), "")
    imprint = child(monogr, "imprint")
    scope = {s.get("unit"): s for s in children(imprint, "biblScope")}
    details = venue
    if "volume" in scope:
        details += f" {_text(scope['volume'])}"
    if "issue" in scope:
        details += f"({_text(scope['issue'])})"
    page = scope.get("page")
    if page is not None:
        pages = _text(page) or "–".join(v for v in (page.get("from"), page.get("to")) if v)
        details += f", {pages}" if details else pages
    year = _year(None, monogr)
    if year:
        details += f" ({year})"
    dois = [norm(i.text) for i in bibl.iter("idno") if (i.get("type") or "").lower() == "doi" and norm(i.text)]
    return join_sentences([names, title, details.strip(" ,")] + [f"doi:{d}" for d in dois[:1]])

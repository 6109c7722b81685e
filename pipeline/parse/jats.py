"""JATS XML (PMC style) -> ParsedDocument ("jats@1").

Metadata from `front/article-meta`; blocks in document order: title, abstract paragraphs, body sections (heading
blocks carry the section path, numbered by `sec/label`), paragraphs, display formulas, figure and table captions,
table footnotes, back matter (acknowledgements, appendices, footnotes) and one reference block per `ref-list/ref`.
Inline markup is flattened to text ("MgB<sub>2</sub>" -> "MgB2"); superscript citation numbers become "[12]"
so they never glue to a formula. A `p` is split around display formulas and lists it contains (text, equation,
text); figures, tables and footnotes inside a `p` are emitted after it. JATS has no layout: blocks carry no prov
and tables/figures no page.

Section paths: a heading block's `section` is the path it opens (itself included); other blocks carry the path of
the headings above them. A path entry is the heading as printed, "2.1 Synthesis" when the section is numbered.

The XML helpers here (safe parsing, text flattening, table grids, the block builder) are shared with tei.py.
"""

from __future__ import annotations

import html.entities
import re
from pathlib import Path

from lxml import etree

from pipeline.errors import BadInputError
from schemas.document import Block, BlockKind, Cell, DocMetadata, Figure, ParsedDocument, Table
from schemas.geometry import CharSpan, Prov

PARSER = "jats@1"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"

# -- safe XML ---------------------------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes, name: str) -> etree._Element:
    """Parse untrusted XML: no DTD loading, no entity expansion, no network; namespaces stripped from tags.

    Documents that declare entities in an internal DTD subset are refused (billion laughs, external entities).
    Raises BadInputError naming `name` and the line/column of a syntax error."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as e:
        line, col = e.position if e.position else (e.lineno, 0)
        raise BadInputError(f"{name}: malformed XML at line {line}, column {col}: {e.msg}") from e
    except ValueError as e:  # e.g. a str with an encoding declaration
        raise BadInputError(f"{name}: not parseable as XML: {e}") from e
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and list(dtd.iterentities()):
        raise BadInputError(f"{name}: XML declares entities in its DTD (refused: entity expansion is unsafe)")
    strip_namespaces(root)
    return root


def read_xml(path: Path) -> etree._Element:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise BadInputError(f"{path}: cannot read: {e}") from e
    return parse_xml(data, str(path))


def strip_namespaces(root: etree._Element) -> None:
    """Element tags to local names (attributes keep theirs: xlink:href stays '{...xlink}href')."""
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = etree.QName(el).localname
    etree.cleanup_namespaces(root)


SOFT = "\x00"  # a space the flattener inserts between elements; dropped next to punctuation
_SOFT_BEFORE = re.compile(SOFT + r"+(?=\s*[,;:.!?)\]}])")
_SOFT_AFTER = re.compile(r"(?<=[(\[{])\s*" + SOFT + "+")


def resolve_soft(s: str) -> str:
    """Soft spaces to spaces, except before ,;:.!?)]} and after ([{."""
    if SOFT in s:
        s = _SOFT_AFTER.sub("", _SOFT_BEFORE.sub("", s)).replace(SOFT, " ")
    return s


def norm(s: str | None) -> str:
    """Resolve soft spaces, collapse whitespace runs to one space and strip."""
    return " ".join(resolve_soft(s or "").split())


def is_element(node) -> bool:
    return isinstance(node.tag, str)


# -- licences ---------------------------------------------------------------------------------------------------

_CC = re.compile(r"creativecommons\.org/licen[cs]es/([a-z-]+)/(\d(?:\.\d)?)", re.I)
_CC0 = re.compile(r"creativecommons\.org/publicdomain/zero/(\d\.\d)", re.I)


def licence_from_url(url: str | None) -> str | None:
    """'http://creativecommons.org/licenses/by/4.0/' -> 'cc-by-4.0'; CC0 -> 'cc0-1.0'; other values unchanged."""
    if not url or not url.strip():
        return None
    url = url.strip()
    if m := _CC.search(url):
        return f"cc-{m.group(1).lower()}-{m.group(2)}"
    if m := _CC0.search(url):
        return f"cc0-{m.group(1)}"
    return url


# -- tables -----------------------------------------------------------------------------------------------------


def span_value(raw: str | None) -> int:
    """A rowspan/colspan attribute as an int >= 0 (0 = to the end, as in HTML); junk -> 1."""
    try:
        v = int(str(raw).strip())
    except (TypeError, ValueError):
        return 1
    return v if v >= 0 else 1


def grid_cells(rows: list[list[tuple[str, int, int, bool]]]) -> tuple[list[Cell], int, int, list[str]]:
    """Place (text, rowspan, colspan, is_header) cells row by row on a grid, skipping slots that a rowspan from
    above occupies. Returns cells, n_rows, n_cols and flags ("span_clipped" when a rowspan ran past the table)."""
    occupied: set[tuple[int, int]] = set()
    cells: list[Cell] = []
    flags: list[str] = []
    n = len(rows)
    for r, row in enumerate(rows):
        c = 0
        for text, rs, cs, header in row:
            while (r, c) in occupied:
                c += 1
            rs = n - r if rs == 0 else rs
            cs = max(cs, 1)
            if rs > n - r:
                rs = n - r
                if "span_clipped" not in flags:
                    flags.append("span_clipped")
            for dr in range(rs):
                for dc in range(cs):
                    occupied.add((r + dr, c + dc))
            cells.append(Cell(row=r, col=c, row_span=rs, col_span=cs, text=text, is_header=header))
            c += cs
    n_cols = max((c for _, c in occupied), default=-1) + 1
    return cells, n, n_cols, flags


# -- document builder -------------------------------------------------------------------------------------------


class DocBuilder:
    """Collects blocks, tables and figures with ids "b0"..., "t0"..., "f0"... in document order."""

    def __init__(self, paper_id: str, parser: str):
        self.doc = ParsedDocument(paper_id=paper_id, parser=parser, metadata=DocMetadata())

    def block(
        self,
        kind: BlockKind,
        text: str,
        section: list[str],
        label: str | None = None,
        prov: list[Prov] | None = None,
    ) -> Block | None:
        """Add a block (text normalised); empty text adds nothing and returns None."""
        text = norm(text)
        if not text:
            return None
        b = Block(id=f"b{len(self.doc.blocks)}", kind=kind, text=text, section=list(section), label=label or None)
        if prov:
            whole = CharSpan(start=0, end=len(text))
            b.prov = [p.model_copy(update={"item_id": b.id, "span": p.span or whole}) for p in prov]
        self.doc.blocks.append(b)
        return b

    def table_id(self) -> str:
        return f"t{len(self.doc.tables)}"

    def figure_id(self) -> str:
        return f"f{len(self.doc.figures)}"

    def warn(self, msg: str) -> None:
        if msg not in self.doc.warnings:
            self.doc.warnings.append(msg)


def heading_text(label: str | None, title: str) -> str:
    """'2.1' + 'Synthesis' -> '2.1 Synthesis'."""
    return norm(f"{label or ''} {title}")


def clean_label(raw: str | None) -> str | None:
    """'2.1.' -> '2.1'; empty -> None."""
    s = norm(raw).rstrip(".").strip()
    return s or None


# -- inline text ------------------------------------------------------------------------------------------------

# in the text flow: a paragraph is split around them
FLOW_BLOCKS = set(
    "disp-formula disp-formula-group list def-list disp-quote boxed-text statement preformat code array".split()
)
FLOATS = {"fig", "fig-group", "table-wrap", "table-wrap-group", "fn", "supplementary-material", "media"}
SKIP_INLINE = {"inline-graphic", "graphic", "alt-text", "object-id", "long-desc", "media", "supplementary-material"}
FOOTNOTE_MARKS = {"*", "**", "†", "‡", "§", "¶", "#", "||", "‖"}
SPACED = {"p", "list-item", "title", "caption", "def", "term", "label", "td", "th", "tr", "fn", "break"}


def inline_text(el: etree._Element) -> str:
    """Text of an element with inline markup flattened (not normalised)."""
    parts = [el.text or ""]
    for ch in el:
        parts.append(_inline_el(ch))
        parts.append(ch.tail or "")
    return "".join(parts)


def entity_text(ent: etree._Entity) -> str:
    """An entity reference left unresolved (its DTD is never loaded): HTML names like &nbsp; &mdash; by a fixed
    table, anything else as a space."""
    return html.entities.html5.get(f"{ent.name};", " ")


def _inline_el(el: etree._Element) -> str:
    """The text one child node contributes (its tail excluded)."""
    if isinstance(el, etree._Entity):
        return entity_text(el)
    if not is_element(el):
        return ""
    tag = el.tag
    if tag in SKIP_INLINE:
        return ""
    if tag == "alternatives":
        return _alternatives(el)
    if tag == "math":
        return math_text(el)
    if tag == "sup" and _is_citation_sup(el):
        return SOFT + "[" + norm(inline_text(el)) + "]"
    if tag == "xref" and el.get("ref-type") in ("fn", "table-fn"):
        return SOFT + inline_text(el)  # a footnote mark must not glue to a number: "0.05 a", not "0.05a"
    if tag == "sup" and norm(inline_text(el)) in FOOTNOTE_MARKS:
        return SOFT + inline_text(el)
    if tag == "name":
        return SOFT + _person_name(el) + SOFT
    if tag in SPACED:
        return SOFT + inline_text(el) + SOFT
    return inline_text(el)


def math_text(el: etree._Element) -> str:
    """MathML flattened: the token texts joined ("E=mc2"); annotations (TeX copies) left out."""
    out = []
    for node in el.iter():
        if not is_element(node) or node.tag in ("annotation", "annotation-xml"):
            continue
        if node.text and node.text.strip() and not _inside_annotation(node):
            out.append(node.text.strip())
    return "".join(out)


def _inside_annotation(node) -> bool:
    p = node.getparent()
    while p is not None:
        if p.tag in ("annotation", "annotation-xml"):
            return True
        p = p.getparent()
    return False


def _alternatives(el: etree._Element) -> str:
    """One rendering of an <alternatives>: MathML, else TeX, else the first textual child."""
    for tag in ("math", "tex-math"):
        for ch in el:
            if is_element(ch) and ch.tag == tag:
                return math_text(ch) if tag == "math" else (ch.text or "")
    for ch in el:
        if is_element(ch) and ch.tag not in SKIP_INLINE:
            return _inline_el(ch)
    return ""


def _is_citation_sup(sup: etree._Element) -> bool:
    """<sup><xref ref-type="bibr">12</xref>,<xref ...>13</xref></sup>: only bibliography xrefs and separators."""
    kids = [ch for ch in sup if is_element(ch)]
    if not kids or any(k.tag != "xref" or k.get("ref-type") != "bibr" for k in kids):
        return False
    loose = (sup.text or "") + "".join(k.tail or "" for k in kids)
    return re.fullmatch(r"[\s,;–\-−]*", loose) is not None


def child(el: etree._Element | None, *tags: str) -> etree._Element | None:
    """The first child element with one of the tags (in the order of the tags), or None.

    (Never write `child(a) or child(b)`: an lxml element without children is falsy.)"""
    if el is None:
        return None
    for tag in tags:
        for ch in el:
            if is_element(ch) and ch.tag == tag:
                return ch
    return None


def children(el: etree._Element | None, tag: str) -> list[etree._Element]:
    if el is None:
        return []
    return [ch for ch in el if is_element(ch) and ch.tag == tag]


def text_of(el: etree._Element | None) -> str:
    return norm(inline_text(el)) if el is not None else ""


# -- JATS -------------------------------------------------------------------------------------------------------


def parse_jats(path: Path, paper_id: str) -> ParsedDocument:
    """Parse a JATS (PMC) article file."""
    root = read_xml(path)
    article = root if root.tag == "article" else next(root.iter("article"), None)
    if article is None:
        raise BadInputError(f"{path}: not a JATS article (root element <{root.tag}>, no <article>)")
    return _Jats(paper_id).run(article)


class _Jats:
    def __init__(self, paper_id: str):
        self.b = DocBuilder(paper_id, PARSER)

    def run(self, article: etree._Element) -> ParsedDocument:
        front = child(article, "front")
        meta = child(front, "article-meta")
        self._metadata(front, meta)
        self._front_blocks(meta)
        for part in article:
            if not is_element(part):
                continue
            if part.tag in ("body", "back", "floats-group"):
                self._walk(part, [])
            elif part.tag == "sub-article":
                self.b.warn(f"sub-article skipped ({part.get('article-type') or 'untyped'})")
        return self.b.doc

    # -- front --
    def _metadata(self, front, meta) -> None:
        md = self.b.doc.metadata
        if meta is None:
            self.b.warn("no article-meta: metadata left empty")
            return
        md.title = text_of(child(child(meta, "title-group"), "article-title")) or None
        for aid in children(meta, "article-id"):
            kind = (aid.get("pub-id-type") or "").lower()
            if kind == "doi" and not md.doi:
                md.doi = norm(aid.text) or None
            elif kind == "arxiv" and not md.arxiv_id:
                md.arxiv_id = norm(aid.text) or None
        md.authors = _authors(meta)
        journal_meta = child(front, "journal-meta")
        jt = child(child(journal_meta, "journal-title-group"), "journal-title")
        if jt is None:
            jt = child(journal_meta, "journal-title")
        md.journal = text_of(jt) or None
        md.year = _year(meta)
        md.licence = _licence(child(meta, "permissions"))

    def _front_blocks(self, meta) -> None:
        if meta is None:
            return
        title = child(child(meta, "title-group"), "article-title")
        if title is not None:
            self.b.block(BlockKind.title, text_of(title), [])
        for abstract in children(meta, "abstract"):
            if abstract.get("abstract-type") in ("graphical", "teaser", "toc"):
                continue
            name = text_of(child(abstract, "title")) or "Abstract"
            self._abstract(abstract, [name])

    def _abstract(self, el, section: list[str]) -> None:
        for ch in el:
            if not is_element(ch):
                continue
            if ch.tag == "p":
                self.b.block(BlockKind.abstract, inline_text(ch), section)
            elif ch.tag == "sec":
                title = heading_text(clean_label(text_of(child(ch, "label"))), text_of(child(ch, "title")))
                self._abstract(ch, section + [title] if title else section)

    # -- body / back --
    def _walk(self, el, section: list[str]) -> None:
        for ch in el:
            if is_element(ch):
                self._node(ch, section)

    def _node(self, el, section: list[str]) -> None:
        tag = el.tag
        if tag in ("sec", "app", "ack", "glossary"):
            self._sec(el, section)
        elif tag == "p":
            self._p(el, section)
        elif tag == "disp-formula":
            self._formula(el, section)
        elif tag == "fig":
            self._fig(el, section)
        elif tag == "table-wrap":
            self._table(el, section)
        elif tag in ("list", "def-list"):
            self._list(el, section)
        elif tag == "fn":
            self._fn(el, section)
        elif tag == "ref-list":
            self._refs(el, section)
        elif tag in ("preformat", "code"):
            self.b.block(BlockKind.paragraph, inline_text(el), section)
        elif tag in ("title", "label", "sec-meta", "graphic", "media", "supplementary-material", "object-id"):
            return
        else:  # containers: app-group, fn-group, notes, boxed-text, disp-quote, fig-group, table-wrap-group...
            self._walk(el, section)

    def _sec(self, el, section: list[str]) -> None:
        label = clean_label(text_of(child(el, "label")))
        title = text_of(child(el, "title"))
        if not title and el.tag == "ack":
            title = "Acknowledgements"
        path = section
        if title or label:
            head = heading_text(label, title)
            path = section + [head]
            self.b.block(BlockKind.heading, head, path, label=label)
        self._walk(el, path)

    def _p(self, el, section: list[str]) -> None:
        """A paragraph, split around flow blocks; floats inside it are emitted after it."""
        buf = [el.text or ""]
        floats = []
        for ch in el:
            if is_element(ch) and ch.tag in FLOW_BLOCKS:
                self.b.block(BlockKind.paragraph, "".join(buf), section)
                buf = []
                self._node(ch, section)
            elif is_element(ch) and ch.tag in FLOATS:
                floats.append(ch)
            else:
                buf.append(_inline_el(ch))
            buf.append(ch.tail or "")
        self.b.block(BlockKind.paragraph, "".join(buf), section)
        for f in floats:
            self._node(f, section)

    def _formula(self, el, section: list[str]) -> None:
        label = text_of(child(el, "label")) or None
        parts = [el.text or ""]
        for ch in el:
            if not (is_element(ch) and ch.tag == "label"):
                parts.append(_inline_el(ch))
            parts.append(ch.tail or "")
        self.b.block(BlockKind.equation, "".join(parts), section, label=label)

    def _list(self, el, section: list[str]) -> None:
        for item in el:
            if not is_element(item):
                continue
            if item.tag == "list-item":
                label = text_of(child(item, "label"))
                parts = [inline_text(p) for p in item if is_element(p) and p.tag not in ("label", "list")]
                self.b.block(BlockKind.paragraph, " ".join([label] + parts), section)
                for sub in children(item, "list"):
                    self._list(sub, section)
            elif item.tag == "def-item":
                term, definition = text_of(child(item, "term")), text_of(child(item, "def"))
                self.b.block(BlockKind.paragraph, f"{term}: {definition}" if term else definition, section)

    def _fn(self, el, section: list[str]) -> Block | None:
        label = text_of(child(el, "label")) or el.get("symbol") or None
        text = " ".join(inline_text(ch) for ch in el if is_element(ch) and ch.tag != "label") or inline_text(el)
        return self.b.block(BlockKind.footnote, text, section, label=label)

    def _caption(self, el) -> str:
        cap = child(el, "caption")
        if cap is None:
            return ""
        return norm(" ".join(inline_text(ch) for ch in cap if is_element(ch)))

    def _fig(self, el, section: list[str]) -> None:
        label = text_of(child(el, "label")) or None
        caption = self._caption(el)
        fid = self.b.figure_id()
        block = self.b.block(BlockKind.caption, caption, section, label=label)
        self.b.doc.figures.append(
            Figure(id=fid, label=label, caption=caption or None, caption_id=block.id if block else None, source="jats")
        )

    def _table(self, el, section: list[str]) -> None:
        label = text_of(child(el, "label")) or None
        caption = self._caption(el)
        tid = self.b.table_id()
        cap = self.b.block(BlockKind.caption, caption, section, label=label)
        table = Table(id=tid, label=label, caption=caption or None, caption_id=cap.id if cap else None, source="jats")
        grid = next((t for t in el.iter("table")), None)
        if grid is None:
            table.flags.append("no_cells")
        else:
            rows, header_rows = _table_rows(grid)
            table.cells, table.n_rows, table.n_cols, flags = grid_cells(rows)
            table.header_rows = header_rows
            table.flags.extend(flags)
        self.b.doc.tables.append(table)
        for foot in el.iter("table-wrap-foot"):
            for ch in foot:
                if not is_element(ch):
                    continue
                if ch.tag == "fn-group":
                    notes = [self._fn(fn, section) for fn in children(ch, "fn")]
                elif ch.tag == "fn":
                    notes = [self._fn(ch, section)]
                elif ch.tag in ("p", "attrib"):
                    notes = [self.b.block(BlockKind.footnote, inline_text(ch), section)]
                else:
                    notes = []
                table.footnote_ids.extend(n.id for n in notes if n is not None)

    def _refs(self, el, section: list[str]) -> None:
        title = text_of(child(el, "title"))
        path = section
        if title:
            path = section + [title]
            self.b.block(BlockKind.heading, title, path)
        for ref in el:
            if not is_element(ref):
                continue
            if ref.tag == "ref":
                self.b.block(BlockKind.reference, _ref_text(ref), path, label=_ref_label(ref))
            elif ref.tag == "ref-list":
                self._refs(ref, path)


# -- front helpers ----------------------------------------------------------------------------------------------


def _authors(meta) -> list[str]:
    out = []
    for group in children(meta, "contrib-group"):
        for contrib in children(group, "contrib"):
            if (contrib.get("contrib-type") or "author") != "author":
                continue
            name = _person(contrib)
            if name:
                out.append(name)
    return out


def _person(el) -> str:
    name = child(el, "name", "string-name", "name-alternatives")
    if name is not None and name.tag == "name-alternatives":
        name = child(name, "name", "string-name")
    if name is not None and name.tag == "name":
        return norm(f"{text_of(child(name, 'given-names'))} {text_of(child(name, 'surname'))}")
    if name is not None:
        return text_of(name)
    return text_of(child(el, "collab"))


_DATE_PRIORITY = ["epub", "ppub", "pub", "electronic", "print", "epub-ppub", "collection"]


def _year(meta) -> int | None:
    dates = []
    for d in children(meta, "pub-date"):
        kind = d.get("pub-type") or d.get("date-type") or ""
        y = re.search(r"\d{4}", text_of(child(d, "year")) or (d.get("iso-8601-date") or ""))
        if y:
            rank = _DATE_PRIORITY.index(kind) if kind in _DATE_PRIORITY else len(_DATE_PRIORITY)
            dates.append((rank, int(y.group())))
    return min(dates)[1] if dates else None


def _licence(permissions) -> str | None:
    if permissions is None:
        return None
    for lic in permissions.iter("license"):
        for cand in [lic.get(XLINK_HREF)] + [r.text for r in lic.iter("license_ref")]:
            if cand and cand.strip():
                return licence_from_url(cand)
        for link in lic.iter("ext-link", "uri"):
            href = link.get(XLINK_HREF) or link.text
            if href and "creativecommons.org" in href:
                return licence_from_url(href)
        if lic.get("license-type"):
            return lic.get("license-type")
    for ref in permissions.iter("license_ref"):  # ali:license_ref outside <license>
        if ref.text and ref.text.strip():
            return licence_from_url(ref.text)
    return None


# -- references -------------------------------------------------------------------------------------------------


def _ref_label(ref) -> str | None:
    label = clean_label(text_of(child(ref, "label")))
    if label and re.fullmatch(r"\d+", label):
        return f"[{label}]"
    return label


def _ref_text(ref) -> str:
    for tag in ("mixed-citation", "citation", "nlm-citation", "element-citation"):
        cit = child(ref, tag)
        if cit is None:
            cit = child(child(ref, "citation-alternatives"), tag)
        if cit is None:
            continue
        if tag in ("mixed-citation", "citation"):
            return inline_text(cit)
        return _element_citation(cit)
    return " ".join(inline_text(ch) for ch in ref if is_element(ch) and ch.tag != "label")


def _element_citation(cit) -> str:
    """Unpunctuated element-citation -> 'A Smith, B Jones. Title. Journal. 2020. 12. 1-9'."""
    parts = []
    for ch in cit:
        if not is_element(ch):
            continue
        if ch.tag == "person-group":
            names = [_person_name(n) for n in ch if is_element(n)]
            parts.append(", ".join(n for n in names if n))
        elif ch.tag in ("name", "string-name"):
            parts.append(_person_name(ch))
        elif ch.tag == "lpage" and parts:
            parts[-1] = f"{parts[-1]}–{text_of(ch)}"
        else:
            parts.append(text_of(ch))
    return join_sentences(parts)


def join_sentences(parts: list[str]) -> str:
    """Join fields with '. ', not doubling a period a field already ends with."""
    out = ""
    for p in (norm(p) for p in parts):
        if p:
            out = f"{out} {p}" if not out or out.endswith(".") else f"{out}. {p}"
    return out


def _person_name(el) -> str:
    if el.tag == "name":
        return norm(f"{text_of(child(el, 'surname'))} {text_of(child(el, 'given-names'))}")
    return text_of(el)


# -- tables -----------------------------------------------------------------------------------------------------


def _table_rows(table) -> tuple[list[list[tuple[str, int, int, bool]]], int]:
    """Rows of (text, rowspan, colspan, is_header) from thead/tbody/tfoot (or bare tr), and the header row count:
    thead rows, else the leading rows made only of th cells."""
    rows: list[list[tuple[str, int, int, bool]]] = []
    thead_rows = 0
    for part in table:
        if not is_element(part):
            continue
        trs = children(part, "tr") if part.tag in ("thead", "tbody", "tfoot") else [part] if part.tag == "tr" else []
        for tr in trs:
            head = part.tag == "thead"
            cells = [
                (text_of(c), span_value(c.get("rowspan")), span_value(c.get("colspan")), head or c.tag == "th")
                for c in tr
                if is_element(c) and c.tag in ("td", "th")
            ]
            rows.append(cells)
            thead_rows += head
    header_rows = thead_rows
    if not header_rows:
        for row in rows:
            if not row or not all(h for *_, h in row):
                break
            header_rows += 1
    return rows, header_rows

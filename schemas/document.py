"""Papers and parsed documents: what fetch and parse write, what extractors read.

A ParsedDocument is the same whatever the source (PDF via PyMuPDF, JATS XML, GROBID TEI); fields a source
cannot fill stay empty. Every item that came from a page carries its provenance.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import Enum
from typing import Literal

from pydantic import Field

from schemas.base import Model
from schemas.geometry import BBox, CharSpan, Prov
from schemas.version import SCHEMA_VERSION


def paper_id_for(sha256_hex: str) -> str:
    """Content-addressed paper id: the first 16 hex digits of the file's sha256."""
    return sha256_hex[:16]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Paper(Model):
    """One fetched paper: its identity, where it came from, and what we may do with it."""

    paper_id: str
    sha256: str
    media_type: Literal["pdf", "jats", "tei"]
    path: str  # file inside the work dir (relative to it)
    bytes: int = Field(ge=0)
    doi: str | None = None
    arxiv_id: str | None = None
    title: str | None = None
    source: str  # URL or local path it was fetched from
    source_kind: Literal["local", "doi", "arxiv", "url"] = "local"
    licence: str | None = None  # e.g. "cc-by", "cc-by-4.0"; None = unknown
    licence_url: str | None = None
    fetched_at: datetime


class BlockKind(str, Enum):
    title = "title"
    heading = "heading"
    paragraph = "paragraph"
    caption = "caption"
    footnote = "footnote"
    equation = "equation"
    reference = "reference"
    abstract = "abstract"


class Word(Model):
    """A word of a line: its char span in the block text and its box."""

    start: int
    end: int
    bbox: BBox


class Line(Model):
    """A visual line of a block: its char span in the block text, page and box, and its words."""

    start: int
    end: int
    page: int
    bbox: BBox
    words: list[Word] = Field(default_factory=list)


class Block(Model):
    """A paragraph-like unit of text in reading order."""

    id: str
    kind: BlockKind
    text: str
    section: list[str] = Field(default_factory=list)  # heading path, outermost first
    prov: list[Prov] = Field(default_factory=list)  # one per page region the block covers
    lines: list[Line] = Field(default_factory=list)
    font_size: float | None = None
    bold: bool = False
    label: str | None = None  # "Fig. 2", "Table 1", "[12]", "(3)"
    ocr: bool = False


class Sentence(Model):
    id: str
    block_id: str
    span: CharSpan  # into the block's text
    text: str
    prov: list[Prov] = Field(default_factory=list)  # one box per line fragment


class Cell(Model):
    row: int = Field(ge=0)
    col: int = Field(ge=0)
    row_span: int = Field(default=1, ge=1)
    col_span: int = Field(default=1, ge=1)
    text: str
    is_header: bool = False
    bbox: BBox | None = None


class Table(Model):
    id: str
    page: int | None = None  # None for sources without layout (JATS)
    bbox: BBox | None = None
    label: str | None = None  # "Table 1"
    caption_id: str | None = None  # block id of the caption
    caption: str | None = None
    footnote_ids: list[str] = Field(default_factory=list)
    n_rows: int = 0
    n_cols: int = 0
    header_rows: int = 0
    cells: list[Cell] = Field(default_factory=list)
    source: Literal["pymupdf", "jats", "tei"] = "pymupdf"
    flags: list[str] = Field(default_factory=list)


class ImageRef(Model):
    """A raster image placed on a page (xref into the PDF; 0 when inline)."""

    xref: int = 0
    bbox: BBox
    width: int = 0  # pixels
    height: int = 0


class DrawingRef(Model):
    """A group of vector drawing commands: indices into page.get_drawings() for this page, and their extent."""

    page: int
    indices: list[int] = Field(default_factory=list)
    bbox: BBox
    n_paths: int = 0


class FigureText(Model):
    """Text inside a figure region (tick labels, legends, axis titles), kept out of the body text."""

    text: str
    bbox: BBox
    size: float | None = None
    dir: tuple[float, float] = (1.0, 0.0)  # writing direction (rotated axis titles: (0, -1))


class Figure(Model):
    id: str
    page: int | None = None
    bbox: BBox | None = None
    label: str | None = None  # "Fig. 2"
    caption_id: str | None = None
    caption: str | None = None
    images: list[ImageRef] = Field(default_factory=list)
    drawings: list[DrawingRef] = Field(default_factory=list)
    text: list[FigureText] = Field(default_factory=list)
    source: Literal["pymupdf", "jats", "tei"] = "pymupdf"


class Page(Model):
    number: int = Field(ge=1)
    width: float
    height: float
    rotation: int = 0
    has_text_layer: bool = True
    ocr: bool = False
    columns: int = 1


class DocMetadata(Model):
    title: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    authors: list[str] = Field(default_factory=list)
    journal: str | None = None
    year: int | None = None
    licence: str | None = None


class ParsedDocument(Model):
    schema_version: str = SCHEMA_VERSION
    paper_id: str
    parser: str  # "pymupdf@1", "jats@1", "tei@1"
    metadata: DocMetadata = Field(default_factory=DocMetadata)
    pages: list[Page] = Field(default_factory=list)
    blocks: list[Block] = Field(default_factory=list)
    sentences: list[Sentence] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)  # degraded-but-marked: "page 3: no text layer, OCR used"

    # -- navigation helpers (pure functions of the data) --
    def block(self, block_id: str) -> Block:
        for b in self.blocks:
            if b.id == block_id:
                return b
        raise KeyError(block_id)

    def body_blocks(self) -> list[Block]:
        """Blocks extractors should read: everything but references."""
        return [b for b in self.blocks if b.kind != BlockKind.reference]

    def sentences_of(self, block_id: str) -> list[Sentence]:
        return [s for s in self.sentences if s.block_id == block_id]

    def boxes_for(self, block: Block, start: int, end: int) -> list[Prov]:
        """Map a char span of a block to page boxes: one Prov per line fragment, built from word boxes."""
        out: list[Prov] = []
        for line in block.lines:
            if line.end <= start or line.start >= end:
                continue
            words = [w for w in line.words if w.end > start and w.start < end]
            box = BBox.union_all([w.bbox for w in words]) if words else line.bbox
            out.append(
                Prov(
                    page=line.page,
                    bbox=box,
                    span=CharSpan(start=max(start, line.start), end=min(end, line.end)),
                    item_id=block.id,
                    origin="ocr" if block.ocr else "pdf",
                )
            )
        if not out:
            # no line geometry (JATS/TEI): the block regions whose span overlaps, or all of them when spans are unknown
            for p in block.prov:
                if p.span is None or (p.span.start < end and p.span.end > start):
                    lo, hi = (max(start, p.span.start), min(end, p.span.end)) if p.span else (start, end)
                    out.append(Prov(page=p.page, bbox=p.bbox, span=CharSpan(start=lo, end=hi), item_id=block.id, origin=p.origin))
        return out

    def text(self, include_references: bool = False) -> str:
        parts = [b.text for b in self.blocks if include_references or b.kind != BlockKind.reference]
        return "\n\n".join(parts)

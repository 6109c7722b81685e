"""A parsed paper as one training text, with anchors that map record evidence into it.

Layout of the text (blocks in reading order, references left out):

    # <title>                         the title block
    ## <section heading>              each heading block (section markers)
    <paragraph / abstract / caption / footnote / equation text>    verbatim, blocks separated by a blank line
    [Table 1] <caption>               a table right after its caption block (else after the last block):
    cell | cell | cell                one line per row, cells joined by " | "

Anchors: a list of (source_id, start, end): `text[start:end]` is exactly the text of the item `source_id` names —
a block ("b12"), a table cell ("t0:r1c2", the id the tables extractor gives record evidence), a table ("t0") or a
figure ("f2", at its caption). A record's span into its evidence item (e.g. `quantity_span`, `char_start`) therefore
maps into the paper text as `anchor.start + span.start`. Item text is never altered (only whitespace is added around
it), so spans stay valid.
"""

from __future__ import annotations

import hashlib
import re

import pyarrow as pa

from schemas import BlockKind, ParsedDocument, Table

TEXT_VERSION = 1  # bump when paper_text changes what it produces (invalidates the shard stage's per-paper cache)

ANCHOR_TYPE = pa.struct([("source_id", pa.string()), ("start", pa.int64()), ("end", pa.int64())])

TEXT_SCHEMA = pa.schema(
    [
        pa.field("paper_id", pa.string(), nullable=False),
        pa.field("split", pa.string(), nullable=False),
        pa.field("licence", pa.string()),
        pa.field("licence_url", pa.string()),
        pa.field("doi", pa.string()),
        pa.field("title", pa.string()),
        pa.field("parser", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("n_chars", pa.int64(), nullable=False),
        pa.field("content_sha256", pa.string(), nullable=False),
        pa.field("anchors", pa.list_(ANCHOR_TYPE), nullable=False),
    ]
)


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.n = 0
        self.anchors: list[dict] = []

    def add(self, s: str, source_id: str | None = None) -> None:
        if source_id is not None:
            self.anchors.append({"source_id": source_id, "start": self.n, "end": self.n + len(s)})
        self.parts.append(s)
        self.n += len(s)

    def text(self) -> str:
        return "".join(self.parts)


def _add_table(b: _Builder, table: Table) -> None:
    start = b.n
    head = f"[{table.label or 'Table'}]"
    b.add(head + (" " if table.caption and not table.caption_id else ""))
    if table.caption and not table.caption_id:
        b.add(table.caption)
    b.add("\n")
    rows: dict[int, list] = {}
    for c in table.cells:
        rows.setdefault(c.row, []).append(c)
    for r in sorted(rows):
        for i, c in enumerate(sorted(rows[r], key=lambda c: c.col)):
            if i:
                b.add(" | ")
            b.add(c.text, f"{table.id}:r{c.row}c{c.col}")
        b.add("\n")
    b.anchors.append({"source_id": table.id, "start": start, "end": b.n})


def paper_text(doc: ParsedDocument) -> tuple[str, list[dict]]:
    """The paper's training text and its anchors (see the module docstring)."""
    b = _Builder()
    tables_after: dict[str, list[Table]] = {}
    loose: list[Table] = []
    caption_ids = {blk.id for blk in doc.blocks}
    for t in doc.tables:
        if t.caption_id and t.caption_id in caption_ids:
            tables_after.setdefault(t.caption_id, []).append(t)
        else:
            loose.append(t)
    figure_at = {f.caption_id: f.id for f in doc.figures if f.caption_id}
    first = True
    for blk in doc.blocks:
        if blk.kind == BlockKind.reference:
            continue
        if not first:
            b.add("\n\n")
        first = False
        if blk.kind == BlockKind.title:
            b.add("# ")
        elif blk.kind == BlockKind.heading:
            b.add("## ")
        start = b.n
        b.add(blk.text, blk.id)
        if blk.id in figure_at:
            b.anchors.append({"source_id": figure_at[blk.id], "start": start, "end": b.n})
        for t in tables_after.get(blk.id, []):
            b.add("\n")
            _add_table(b, t)
    for t in loose:
        b.add("\n\n")
        _add_table(b, t)
    return b.text(), b.anchors


_WS = re.compile(r"\s+")


def normalized_text(text: str) -> str:
    """What dedup compares: lower case, whitespace collapsed, section/table markup kept (it is the same for copies)."""
    return _WS.sub(" ", text).strip().lower()


def content_hash(text: str) -> str:
    return hashlib.sha256(normalized_text(text).encode("utf-8")).hexdigest()

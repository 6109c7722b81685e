"""The extractor interface: a ParsedDocument in, candidate Records out. No disk, no ranks, no config files.

An extractor has a `name`, a `version` (bumped whenever its output can change: records carry
`extractor@version`), and `extract(doc) -> Iterator[Record]`. Heavy libraries are imported inside methods.
"""

from __future__ import annotations

from typing import Iterator, Protocol, runtime_checkable

from schemas import ParsedDocument, Record


@runtime_checkable
class Extractor(Protocol):
    name: str
    version: str

    def extract(self, doc: ParsedDocument) -> Iterator[Record]: ...

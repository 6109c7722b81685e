"""Geometry and provenance: where on which page a piece of text came from.

Coordinates are PDF points (1/72 inch) with a top-left origin, as PyMuPDF reports them.
Pages are numbered from 1, as a person reads them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.base import Model


class BBox(Model):
    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def of(cls, rect) -> "BBox":
        """From any (x0, y0, x1, y1) sequence or object with those attributes (e.g. a pymupdf.Rect)."""
        if hasattr(rect, "x0"):
            return cls(x0=float(rect.x0), y0=float(rect.y0), x1=float(rect.x1), y1=float(rect.y1))
        x0, y0, x1, y1 = rect
        return cls(x0=float(x0), y0=float(y0), x1=float(x1), y1=float(y1))

    def rounded(self, nd: int = 2) -> "BBox":
        return BBox(x0=round(self.x0, nd), y0=round(self.y0, nd), x1=round(self.x1, nd), y1=round(self.y1, nd))

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def width(self) -> float:
        return max(0.0, self.x1 - self.x0)

    @property
    def height(self) -> float:
        return max(0.0, self.y1 - self.y0)

    @property
    def area(self) -> float:
        return self.width * self.height

    def union(self, other: "BBox") -> "BBox":
        return BBox(
            x0=min(self.x0, other.x0), y0=min(self.y0, other.y0), x1=max(self.x1, other.x1), y1=max(self.y1, other.y1)
        )

    def intersection_area(self, other: "BBox") -> float:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return w * h if w > 0 and h > 0 else 0.0

    def overlap_ratio(self, other: "BBox") -> float:
        """Share of *this* box's area covered by `other` (0..1)."""
        a = self.area
        return self.intersection_area(other) / a if a > 0 else 0.0

    @staticmethod
    def union_all(boxes: list["BBox"]) -> "BBox | None":
        out = None
        for b in boxes:
            out = b if out is None else out.union(b)
        return out


class CharSpan(Model):
    """Half-open character interval [start, end) into the text of the item named by Prov.item_id."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Prov(Model):
    """Provenance of one region: page, box on the page, and char span into an item's text.

    `item_id` names the item the span indexes (a block, sentence, table cell, figure); `origin` tells how the
    text was obtained: from the PDF text layer, OCR of a rendered page, JATS XML or GROBID TEI.
    """

    page: int = Field(ge=1)
    bbox: BBox | None = None
    span: CharSpan | None = None
    item_id: str | None = None
    origin: Literal["pdf", "ocr", "jats", "tei"] = "pdf"

"""matlit schemas: the types that flow between stages, one source of truth.

This package imports no other project code (enforced by import-linter).
"""

from schemas.document import (
    Block,
    BlockKind,
    Cell,
    DocMetadata,
    DrawingRef,
    Figure,
    FigureText,
    ImageRef,
    Line,
    Page,
    Paper,
    ParsedDocument,
    Sentence,
    Table,
    Word,
)
from schemas.figure import Axis, FigureResult, FigureSeries, SeriesStyle
from schemas.geometry import BBox, CharSpan, Prov
from schemas.record import (
    Condition,
    Evidence,
    Failure,
    Material,
    PropertyRef,
    Quantity,
    Record,
    ReviewDecision,
)
from schemas.version import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "BBox",
    "CharSpan",
    "Prov",
    "Block",
    "BlockKind",
    "Cell",
    "DocMetadata",
    "Figure",
    "FigureText",
    "ImageRef",
    "DrawingRef",
    "Line",
    "Page",
    "Paper",
    "ParsedDocument",
    "Sentence",
    "Table",
    "Word",
    "Condition",
    "Evidence",
    "Material",
    "PropertyRef",
    "Quantity",
    "Record",
    "ReviewDecision",
    "Failure",
    "Axis",
    "FigureResult",
    "FigureSeries",
    "SeriesStyle",
]

"""table_gold: hand-made gold for real PDF tables (tests/fixtures/table_gold/, one JSON file per table).

Unlike the text corpora this one is PDF-based: each table names its PDF (`paper_file`), page and label, and lists
every value cell as (material, property, values, unit, conditions). The PDFs are not in the fixture folder: they
are found in data/papers/ (bundled) or shared/data/open_pdfs/ (see `find_pdf`). Format and conventions:
tests/fixtures/table_gold/README.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

NAME = "table_gold"
KIND = "pdf_tables"
REPO = Path(__file__).resolve().parents[3]
DATA_DIR = REPO / "tests" / "fixtures" / "table_gold"
BUNDLED = REPO / "data" / "papers"

CELL_KEYS = (
    "paper_file",
    "doi",
    "page",
    "table_label",
    "row",
    "col",
    "material",
    "property_id",
    "property_raw",
    "values",
    "unit",
    "conditions",
)


@dataclass(frozen=True)
class GoldCell:
    row: int  # 1-based printed body row (header rows excluded)
    col: int  # 1-based printed column (the row-label column is 1)
    material: str
    property_id: str | None
    property_raw: str
    values: tuple[float, ...]
    unit: str  # as printed ("" for a dimensionless column)
    unit_pint: str  # the pint form of `unit`
    conditions: tuple[str, ...] = ()
    uncertainty: float | None = None

    @property
    def property_key(self) -> str:
        return self.property_id or self.property_raw


@dataclass
class GoldTable:
    key: str  # file stem, e.g. "aaae94_table1"
    paper_file: str
    doi: str
    page: int  # 1-based
    label: str  # "Table 1"
    caption: str
    citation: str
    licence: str
    cells: list[GoldCell] = field(default_factory=list)


@dataclass
class TableCorpus:
    name: str
    root: Path
    tables: list[GoldTable]
    kind: str = KIND

    @property
    def docs(self) -> list[GoldTable]:  # what `limit` counts and the report's "docs" column shows
        return self.tables

    @property
    def stats(self) -> dict:
        return {
            "tables": len(self.tables),
            "papers": len({t.paper_file for t in self.tables}),
            "value_cells": sum(len(t.cells) for t in self.tables),
            "note": f"PDF tables, hand-annotated (tests/fixtures/{self.root.name})",
        }

    def limited(self, limit: int | None) -> "TableCorpus":
        return self if limit is None else TableCorpus(self.name, self.root, self.tables[:limit])


class GoldFormatError(ValueError):
    pass


def _cell(path: Path, table: dict, c: dict) -> GoldCell:
    missing = [k for k in CELL_KEYS if k not in c]
    if missing:
        raise GoldFormatError(f"{path.name}: cell {c.get('row')},{c.get('col')} lacks {', '.join(missing)}")
    for k in ("paper_file", "doi", "page", "table_label"):
        if c[k] != table[k]:
            raise GoldFormatError(f"{path.name}: cell r{c['row']}c{c['col']} {k}={c[k]!r} differs from the table's")
    vals = c["values"]
    if not (isinstance(vals, list) and vals and all(isinstance(v, (int, float)) for v in vals)):
        raise GoldFormatError(f"{path.name}: cell r{c['row']}c{c['col']}: values must be a non-empty list of numbers")
    if not (isinstance(c["row"], int) and c["row"] >= 1 and isinstance(c["col"], int) and c["col"] >= 1):
        raise GoldFormatError(f"{path.name}: row/col must be 1-based integers")
    if not str(c["material"]).strip() or not str(c["property_raw"]).strip():
        raise GoldFormatError(f"{path.name}: cell r{c['row']}c{c['col']}: empty material or property_raw")
    return GoldCell(
        row=c["row"],
        col=c["col"],
        material=c["material"],
        property_id=c["property_id"],
        property_raw=c["property_raw"],
        values=tuple(float(v) for v in vals),
        unit=c["unit"],
        unit_pint=c.get("unit_pint", c["unit"]),
        conditions=tuple(c["conditions"]),
        uncertainty=c.get("uncertainty"),
    )


def load_table(path: Path) -> GoldTable:
    d = json.loads(Path(path).read_text(encoding="utf-8"))
    for k in ("paper_file", "doi", "page", "table_label", "cells"):
        if k not in d:
            raise GoldFormatError(f"{path.name}: missing {k!r}")
    t = GoldTable(
        key=Path(path).stem,
        paper_file=d["paper_file"],
        doi=d["doi"],
        page=int(d["page"]),
        label=d["table_label"],
        caption=d.get("caption", ""),
        citation=d.get("citation", ""),
        licence=d.get("licence", ""),
        cells=[_cell(Path(path), d, c) for c in d["cells"]],
    )
    seen = set()
    for c in t.cells:
        if (c.row, c.col) in seen:
            raise GoldFormatError(f"{path.name}: duplicate cell r{c.row}c{c.col}")
        seen.add((c.row, c.col))
    return t


def load(root: Path | str = DATA_DIR, name: str = NAME) -> TableCorpus:
    root = Path(root)
    tables = [load_table(p) for p in sorted(root.glob("*.json"))]
    return TableCorpus(name, root, tables)


# where PDFs are looked for under shared/data, in order (open_pdfs: CC BY papers; pdf_samples/pdf: internal-use
# arXiv preprints of the table_heldout corpus, never copied into the repo)
SHARED_PDF_DIRS = ("open_pdfs", "pdf_samples/pdf")


def find_pdf(paper_file: str, shared_data: Path | None) -> Path | None:
    """data/papers/<file> when bundled, else <shared/data>/open_pdfs/<file>, else <shared/data>/pdf_samples/pdf/<file>;
    None when none exists."""
    candidates = [BUNDLED / paper_file]
    if shared_data is not None:
        candidates += [Path(shared_data) / d / paper_file for d in SHARED_PDF_DIRS]
    return next((p for p in candidates if p.is_file()), None)

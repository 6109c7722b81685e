"""Table extractor: parsed tables -> (material, property, value, unit, conditions, method) records, one per value cell.

For every table of the document:
  1. the cell grid is expanded (a spanning cell fills every slot it covers); header rows are the rows flagged
     `is_header` (or `table.header_rows`), else the leading rows without a number;
  2. orientation: materials in rows (a column whose cells name materials: formulas or known names via
     `DocumentMaterials`, or a label column headed "Compound", "Sample", "Fluid type", "HTS tape", "Conductor"
     ...: its cells are the rows' subjects even when they are no formulas), or transposed (the first column holds
     property names and the header row materials); a transposed table is read through a transposed grid, while
     record ids and provenance keep the cells' real row/col;
  3. each value column's header = the texts of the header slots above it, top to bottom (multi-row and spanning
     headers combine); its property (vocabulary mention resolved with the unit), unit (`X (unit)`, `X [unit]`,
     `X/unit`, `X, unit`, a unit-only header row, a power-of-ten factor "Jd (10^10 A m−2)", else the caption's
     "values in K") and, when it names no property but a condition (`T (K)`, `Bapp (T)`, or a condition the
     caption names: "to the given fluence" over `φn t (10^21 m−2)`), it becomes a condition column whose value is a
     condition of the row's other records; conditions written in a header, cue or not ("Ic (A/cm-w) 77 K, self
     field", a sub-header "5 K" under a spanning "Jc"), are conditions of the column's records;
     only headers that name a process or measurement parameter (T, Temperature, Time, f, "Annealing temperature",
     "Centrifuge speed") become T/time/pressure/frequency condition columns: a symbol with a subscript or a
     difference (T0, TA, Tonset, ΔTc) or a qualified result ("Onset temperature") is a value column whose records
     keep the raw header and no id; a caption or footnote defining the header symbol by name ("the critical
     temperature, Tc, ...", "Tc (critical temperature)") decides its property over cue words, and a name outside
     the vocabulary leaves it without id; a bare symbol over a column without unit ("γ" over critical exponents)
     keeps its id only on values whose own unit fits the property (else flag `property_dimension_mismatch`);
  4. each cell: missing markers (–, —, n.a., N/A, ...) give no record; footnote markers (a, *, †, ‡, superscript
     letters) are split off and the footnote's text (blocks in `table.footnote_ids`, matched by marker) adds
     conditions and a method; the value is read by `find_quantities` on the cell text, with the header unit
     appended when the cell has none (a unitless column is read with a placeholder unit that is then dropped);
  5. caption and footnote context: conditions introduced by a cue ("at 300 K", "under 1 GPa"; "T =" but not
     "b =", a lattice parameter) and methods ("calculated with PBE", "measured by XRD") apply to every record of
     the table; several cued values of one kind are a list and give none. Wyckoff site labels "4(c)" are no values.

Spans: `quantity.span` indexes the value cell's text (the evidence item `"{table.id}:r{row}c{col}"`).
`material.span` indexes the text of the material's own cell and `property.span` the text of the column's combined
header; neither is the evidence cell, so both are named in flags: `material:r1c0` (the material cell),
`header:r0c2` (each header cell used), `condition:r1c0` (a condition column cell). Conditions read from the caption,
footnotes or another cell have `span=None`. The snippet is "caption | row header | column header | cell text".
Record ids: `Record.make_id(paper_id, "tables", source_id, quantity.span.start, cell.text)`; the start is 0 for a
plain value cell and tells apart the rare cells holding two values. Flags: `from_table` always; `unit_from_header`,
`unit_from_caption`, `unit_from_cell` or `no_unit`; `header_scale:1e+10`; `material_from_caption`,
`material_from_header`, `row_label:r1c0` (a sample label that names no material), `material_label`, `no_material`;
`no_property`; `property_dimension_mismatch`; `model_row` (a theory/model row label: material with no
name); `footnote:a`; `transposed`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterator

from schemas import CharSpan, Condition, Evidence, Material, ParsedDocument, PropertyRef, Prov, Quantity, Record
from schemas.document import Cell, Table

NAME = "tables"
VERSION = "1"

MISSING = {"", "-", "–", "—", "−", "n.a.", "n.a", "na", "n/a", "nd", "n.d.", "n.d", "…", "...", "/", "×", "?", "none"}
MATERIAL_HEADER = re.compile(
    r"^(?:compounds?|materials?|samples?|specimens?|films?|systems?|compositions?|catalysts?|wires?|"
    r"tapes?|crystals?|formula|phases?|alloys?|electrodes?|names?)\b",
    re.I,
)
# A whole header naming what the rows are, a noun with an optional qualifier before and "type/name/ID" after:
# "Fluid type", "HTS tape", "Conductor", "Host material", "Electrolyte", "Sample no.", "Type". Words for what the
# subject is made with or measured in (substrate, dopant, solvent, gas, precursor) are not subjects.
SUBJECT_HEADER = re.compile(
    r"^(?:(?:[^\W\d_][\w-]*\s+)?(?:conductors?|superconductors?|semiconductors?|fluids?|liquids?|"
    r"coatings?|layers?|membranes?|fib(?:er|re)s?|powders?|glass(?:es)?|"
    r"polymers?|composites?|devices?|absorbers?|adsorbents?|sorbents?|electrolytes?|metals?|ceramics?|magnets?|"
    r"bulks?|(?:hetero|nano)?structures?|nanoparticles?|particles?|oxides?|"
    r"cathodes?|anodes?|batteries|battery|cells?|stacks?|strands?|cables?|coils?|rods?|pellets?|solutions?|"
    r"mixtures?|blends?|molecules?|complex(?:es)?|solids?|minerals?|compounds?|materials?|samples?|"
    r"specimens?|films?|systems?|compositions?|catalysts?|wires?|tapes?|crystals?|phases?|alloys?|electrodes?)"
    r"(?:\s+(?:type|name|id|no\.?|#|code|label|designation|class|kind))?|type|kind|name|id)$",
    re.I,
)
FOOTNOTE_TAIL = re.compile(r"(?:(?<=[\d)%])(?P<letter>[a-h])|\s*(?P<sym>[*†‡§¶]+|[ᵃᵇᶜᵈᵉᶠ]))\s*$")
FOOTNOTE_LEAD = re.compile(r"^\s*\(?(?P<m>[a-h]|[*†‡§¶]+|[ᵃᵇᶜᵈᵉᶠ])\)?(?:[\s.:)]+|(?=[A-Z]))")
SUPERSCRIPT_LETTERS = str.maketrans("ᵃᵇᶜᵈᵉᶠ", "abcdef")
REFERENCE = re.compile(r"\s*\[\s*\d+(?:\s*[,–-]\s*\d+)*\s*\]")
PAREN_UNIT = re.compile(r"^(?P<label>.*?)\s*[(\[](?P<unit>[^()\[\]]+)[)\]]\s*$")
MID_PAREN_UNIT = re.compile(r"^(?P<label>.*?)\s*[(\[](?P<unit>[^()\[\]]+)[)\]],?\s+(?P<rest>.+)$")
SLASH_UNIT = re.compile(r"^(?P<label>.*[A-Za-zα-ωΑ-Ω\d*)])\s*/\s*(?P<unit>[^/]+)$")
COMMA_UNIT = re.compile(r"^(?P<label>.+?),\s*(?P<unit>[^,]+)$")
SCALE = re.compile(
    r"^(?:[×x]\s*)?10\s*(?:\^\s*)?(?P<exp>[−-]?\d{1,2}|[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})(?:\s+|(?=[A-Za-zμΩ%°]))(?P<rest>.*)$"
)
FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
CAPTION_UNIT = re.compile(
    r"\b(?:(?:values?|data|numbers?|all)\s+(?:are\s+)?(?:given\s+|expressed\s+|reported\s+|listed\s+)?in|"
    r"in\s+units\s+of|units?\s*:)\s+(?P<unit>[^\s.,;)]+(?:\s[^\s.,;)]+)?)",
    re.I,
)
CONDITION_CUE = re.compile(
    r"(?:\b(?:at|under|in|with|@|below|above|measured\s+at|obtained\s+at)(?:\s+(?:a|an|the))?"
    r"(?:\s+[\w\-−]+){0,3}?(?:\s+of)?|(?-i:[TPHB])\s*=|temperatures?)\s*[~≈∼(]?\s*$",
    re.I,
)
CONDITION_COLUMNS = {"temperature", "pressure", "magnetic_field"}
PARAMETER_CONDITIONS = {"temperature", "pressure", "time", "frequency"}
RESULT_LIKE_CONDITIONS = {"magnetic_field", "current_density", "voltage"}  # as often a table's results
CONDITION_SYMBOLS = {"t", "temp", "temperature", "p", "pressure", "b", "h", "field", "μ0h"}
# Headers that name a process or measurement parameter on their own ("T (K)", "Time (h)", "f (Hz)")...
PARAMETER_LABELS = {
    "t",
    "temp",
    "temp.",
    "temperature",
    "p",
    "pressure",
    "f",
    "ν",
    "ω",
    "freq",
    "freq.",
    "frequency",
    "time",
    "duration",
    "period",
    "speed",
    "rpm",
}
# ... or with a process/measurement word ("Annealing temperature", "Centrifuge speed", "Measurement frequency");
# other qualified temperatures and times are results ("Onset temperature", "Relaxation time", T0, Tmax, ΔTc)
PROCESS_WORD = re.compile(
    r"\b(?:anneal|sinter|grow|growth|calcin|deposit|substrate|reaction|synthes|test|operat|process|treat|"
    r"ag(?:e|ei)ng|hold|dwell|soak|mill|sonicat|centrifug|irradiat|exposure|fir(?:e|ing)|dry|drying|cur(?:e|ing)|"
    r"pyroly|carboni[sz]|heat|cool|quench|hydrothermal|stir|rotat|immers|etch|oxidation|storage|cycl|measur|"
    r"record|scan|sweep|ramp|excitation|applied|bath|furnace|precursor|evaporat|sputter|spin)",
    re.I,
)
# a symbol with a subscript or a difference names a characteristic value, not a parameter (T0, TA, Tonset, ΔTc)
CHARACTERISTIC_SYMBOL = re.compile(r"[Δ∆δ]\s*\S.*|[A-Za-zΑ-Ωα-ω][_^]?[\w′'*,]{1,8}")
# a row label naming a theory or model, not a material: kept as the row's label, typed neither formula nor name
MODEL_LABEL = re.compile(
    r"\b(?:theory|theoretical|model|mean[- ]?field|ising|heisenberg|onsager|renormali[sz]ation|calculated|"
    r"calculation|simulated|simulation|prediction|predicted)\b|(?<![\w.])[dn]\s*=\s*\d+\s*,\s*[dn]\s*=",
    re.I,
)
# Wyckoff site labels ("4(c)"): an integer with a bracketed letter is no value (an uncertainty is digits)
SITE_LABEL = re.compile(r"\d{1,3}\s*\([a-z]\)")
# a caption or footnote defining a header symbol by name: "the critical temperature, Tc,", "Tc, the critical
# temperature", "critical temperature (Tc)", "Tc (critical temperature)", "Tc is the critical temperature"
NAME_TAIL = re.compile(r"$|\s+(?:by|in|of|at|for|from|on|under|with|along|after|before)\b")
DEFINITION_NAME = r"(?P<name>[A-Za-z][\w\-]*(?:\s+[A-Za-z][\w\-]*){0,8})"
# Conditions named by a word, not a number, in a column header ("Ic (A) 77 K, self field", "ρ at RT")
KEYWORD_CONDITIONS = re.compile(
    r"(?P<field>\b(?:self|zero)[- ]?(?:magnetic[- ])?field\b)|(?P<temp>\broom[- ]temperature\b|\bRT\b)|"
    r"(?P<pressure>\b(?:ambient|atmospheric)[- ]pressure\b)",
    re.I,
)
KEYWORD_CONDITION_IDS = {"field": "magnetic_field", "temp": "temperature", "pressure": "pressure"}
HEADER_LEFTOVER = re.compile(r"\b(?:at|under|in|with|and|measured|obtained)\b|[@,;]", re.I)
PLACEHOLDER_UNIT = "m"
BARE_UNITS = {"%", "K", "eV", "meV", "nm", "μm", "GPa", "MPa", "T", "mT", "V", "mA", "A", "Ω", "S", "Hz"}
FLAT_POWER = re.compile(r"([×x]\s?10)([−-]?\d{1,2})(?![\d.,])")
TO_SUPERSCRIPT = str.maketrans("0123456789−-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻")
WORD = re.compile(r"[A-Za-z]{3,}")


@dataclass
class Column:
    """What a column's header says."""

    text: str = ""  # combined header text
    header_cells: list[str] = field(default_factory=list)  # "r0c2"
    label: str = ""
    unit_raw: str | None = None
    unit: str | None = None
    unit_source: str | None = None  # header | caption
    scale: float = 1.0
    property_raw: str = ""
    property_id: str | None = None
    property_span: CharSpan | None = None
    condition_id: str | None = None
    marker: str | None = None  # footnote marker on the header: applies to the whole column
    conditions: list[Condition] = field(default_factory=list)  # "Jc (MA cm−2) at 4.2 K"
    material: Material | None = None  # "SiO2 thickness (nm)": a material named in the header
    property_unchecked: bool = False  # id from a bare symbol without a unit: kept only where the value's unit fits
    property_guessed: bool = False  # id from an ambiguous symbol ("η", "Tc"): checked against the table's domain
    text_column: bool = False  # most cells are words with a number ("3 MeV protons"): no values


@dataclass
class Context:
    """What the caption and footnotes say about the whole table."""

    caption: str = ""
    conditions: list[Condition] = field(default_factory=list)
    method: str | None = None
    material: Material | None = None
    footnotes: dict[str, str] = field(default_factory=dict)  # marker -> footnote text


@dataclass
class View:
    """A table as a grid of slots (spans expanded); `transposed` swaps rows and columns."""

    table: Table
    grid: dict[tuple[int, int], Cell]
    n_rows: int
    n_cols: int
    header_rows: int
    transposed: bool = False
    _first: dict[int, tuple[int, int]] = field(default_factory=dict)

    def first_slot(self, cell: Cell) -> tuple[int, int]:
        """The top-left slot of a (spanning) cell: where it is read."""
        if not self._first:
            for slot in sorted(self.grid):
                self._first.setdefault(id(self.grid[slot]), slot)
        return self._first[id(cell)]

    def cell(self, r: int, c: int) -> Cell | None:
        return self.grid.get((r, c))

    def text(self, r: int, c: int) -> str:
        cell = self.cell(r, c)
        return cell.text.strip() if cell is not None else ""


class TableExtractor:
    name = NAME
    version = VERSION

    def extract(self, doc: ParsedDocument) -> Iterator[Record]:
        from extractors.materials import DocumentMaterials

        materials = DocumentMaterials()
        for b in doc.blocks:
            materials.learn(b.text)
        for table in doc.tables:
            if table.cells:
                yield from self._table(doc, table, materials)

    # ------------------------------------------------------------------ one table

    def _table(self, doc: ParsedDocument, table: Table, materials) -> Iterator[Record]:
        view = _view(table)
        if view.n_rows < 2 or view.n_cols < 1:
            return
        ctx = _context(doc, table, materials)
        if _looks_transposed(view, materials):
            view = _transpose(view)
        mat_col = _material_column(view, materials)
        columns = [_column(view, c, ctx) for c in range(view.n_cols)]
        for c, col in enumerate(columns):
            col.text_column = _text_column(view, c) or _index_column(view, c, col)
            col.material = _one_material(col.text, materials)
        _parameter_columns(columns, mat_col, ctx.caption)
        _off_domain_guesses(columns, mat_col, ctx.caption)
        last_material: tuple[Material, str] | None = None
        for r in range(view.header_rows, view.n_rows):
            row_mat = _row_material(view, r, mat_col, materials)
            if row_mat is None and mat_col is not None and not view.text(r, mat_col):
                row_mat = last_material  # an empty label cell continues the row above
            if row_mat is not None:
                last_material = row_mat
            row_conditions = _row_conditions(view, r, columns, mat_col)
            for c in range(view.n_cols):
                if c == mat_col or columns[c].condition_id or columns[c].text_column:
                    continue
                yield from self._cell(doc, view, r, c, columns[c], ctx, row_mat, row_conditions, mat_col)

    def _cell(self, doc, view: View, r: int, c: int, col: Column, ctx: Context, row_mat, row_conditions, mat_col):
        cell = view.cell(r, c)
        if cell is None or view.first_slot(cell) != (r, c):
            return  # empty slot, or a spanning cell already read at its first slot
        value_text, marker = split_marker(cell.text)
        lead = len(cell.text) - len(cell.text.lstrip())  # spans index the cell text as stored
        for q, flags in _cell_quantities(value_text, col):
            if lead and q.span is not None:
                q = q.model_copy(update={"span": CharSpan(start=q.span.start + lead, end=q.span.end + lead)})
            yield self._record(doc, view, cell, q, flags, col, ctx, row_mat, row_conditions, marker, r, mat_col)

    def _record(self, doc, view, cell, q, qflags, col, ctx, row_mat, row_conditions, marker, r, mat_col) -> Record:
        table = view.table
        source_id = f"{table.id}:r{cell.row}c{cell.col}"
        conditions = _merge_conditions(
            _merge_conditions(ctx.conditions, col.conditions), [c for c, _ in row_conditions]
        )
        marker = marker or col.marker
        method = ctx.method
        flags = ["from_table", *qflags, *(f"header:{h}" for h in col.header_cells)]
        if view.transposed:
            flags.append("transposed")
        if marker:
            note = ctx.footnotes.get(marker)
            flags.append(f"footnote:{marker}")
            if note:
                conditions = _merge_conditions(conditions, _text_conditions(note))
                method = _method(note) or method
        material, mat_flags = _record_material(row_mat, col, ctx)
        flags += mat_flags
        flags += [f"condition:{where}" for _, where in row_conditions]
        property_id = col.property_id
        if property_id and col.property_unchecked and not _unit_fits(q, property_id):
            property_id = None  # "γ" over bare numbers is no Sommerfeld coefficient (a critical exponent)
            flags.append("property_dimension_mismatch")
        if property_id is None:
            flags.append("no_property")
        row_header = view.text(r, mat_col) if mat_col is not None else view.text(r, 0)
        snippet = " | ".join([ctx.caption, row_header, col.text, cell.text.strip()])
        return Record(
            record_id=Record.make_id(doc.paper_id, NAME, source_id, q.span.start if q.span else 0, cell.text),
            paper_id=doc.paper_id,
            material=material,
            property=PropertyRef(raw=col.property_raw or col.label, id=property_id, span=col.property_span),
            quantity=q,
            conditions=conditions,
            method=method,
            evidence=Evidence(source_id=source_id, source_kind="table", prov=_prov(table, cell), snippet=snippet),
            extractor=NAME,
            extractor_version=VERSION,
            flags=list(dict.fromkeys(flags)),
        )


# ---------------------------------------------------------------------------------------------------- grid


def _view(table: Table) -> View:
    grid: dict[tuple[int, int], Cell] = {}
    for cell in table.cells:
        for r in range(cell.row, cell.row + cell.row_span):
            for c in range(cell.col, cell.col + cell.col_span):
                grid.setdefault((r, c), cell)
    n_rows = max([table.n_rows] + [r + 1 for r, _ in grid])
    n_cols = max([table.n_cols] + [c + 1 for _, c in grid])
    view = View(table, grid, n_rows, n_cols, 0)
    view.header_rows = _header_rows(view)
    return view


def _header_rows(view: View) -> int:
    """Rows flagged as headers (cells or table.header_rows), else the leading rows with no number in them."""
    flagged = 0
    for r in range(view.n_rows):
        cells = [view.cell(r, c) for c in range(view.n_cols)]
        if any(c is not None and c.is_header for c in cells):
            flagged = r + 1
        else:
            break
    n = max(flagged, view.table.header_rows)
    if n:
        return min(n, view.n_rows - 1)
    for r in range(min(3, view.n_rows - 1)):
        texts = [view.text(r, c) for c in range(view.n_cols)]
        if any(_numeric(t) for t in texts[1:]) or not any(texts):
            break
        n = r + 1
    return n


def _numeric(text: str) -> bool:
    t = split_marker(text)[0].strip()
    return bool(re.match(r"^[<>≤≥~∼≈±+−-]?\s*\(?\d", t)) and not re.search(r"[A-Za-z]{3,}", t)


def _transpose(view: View) -> View:
    grid = {(c, r): cell for (r, c), cell in view.grid.items()}
    return View(view.table, grid, view.n_cols, view.n_rows, 1, transposed=True)


def _looks_transposed(view: View, materials) -> bool:
    """Properties in rows: the first column holds property names (or labels with units) and the header row does
    not (it names materials, samples or runs)."""
    body = range(view.header_rows or 1, view.n_rows)
    names = [view.text(r, 0) for r in body if view.text(r, 0)]
    heads = [view.text(0, c) for c in range(1, view.n_cols) if view.text(0, c)]
    if len(names) < 2 or not heads or view.header_rows > 1:
        return False
    row_props = sum(_names_property(t) for t in names)
    head_props = sum(_names_property(t) for t in heads)
    head_mats = sum(bool(_materials_in(t, materials)) for t in heads)
    return row_props * 2 >= len(names) and head_props * 2 < len(heads) and (head_mats or row_props > head_props)


def _names_property(text: str) -> bool:
    """A label that names a property: a vocabulary mention, or words with a unit ("Static levitation force (N)")."""
    from schemas.vocab import find_property_mentions

    if _numeric(text):
        return False
    label, unit = _split_unit([text])
    return bool(unit and re.search(r"[A-Za-z]", label)) or bool(find_property_mentions(_label_of(text)))


# ---------------------------------------------------------------------------------------------------- headers


def _column(view: View, c: int, ctx: Context) -> Column:
    parts, used = [], []
    for r in range(view.header_rows):
        cell = view.cell(r, c)
        if cell is None:
            continue
        text = cell.text.strip()
        if text and (not parts or parts[-1] != text):
            parts.append(text)
            used.append(f"r{cell.row}c{cell.col}")
    col = Column(text=" ".join(parts), header_cells=list(dict.fromkeys(used)))
    _read_header(col, parts, ctx)
    return col


def _read_header(col: Column, parts: list[str], ctx: Context) -> None:
    from schemas.units import normalize_unit_text

    marked = [split_marker(p) for p in parts]
    col.marker = next((m for _, m in marked if m), None)
    label, unit_raw = _split_unit([p for p, _ in marked])
    label = REFERENCE.sub("", split_marker(label)[0]).strip()
    col.conditions, rest = _header_conditions(label)
    col.label = rest or label
    scale, unit_raw = _scale(unit_raw) if unit_raw else (1.0, None)
    col.scale = scale
    if unit_raw:
        col.unit_raw, col.unit_source = unit_raw, "header"
    elif ctx.caption and (cap := _caption_unit(ctx.caption)):
        col.unit_raw, col.unit_source = cap, "caption"
    col.unit = normalize_unit_text(col.unit_raw) if col.unit_raw else None
    _header_property(col, ctx)


def _split_unit(parts: list[str]) -> tuple[str, str | None]:
    """(label, unit text) from the header texts of one column, top to bottom: a unit-only part ("(eV)", "eV"),
    else the first part written "X (unit)", "X [unit]", "X/unit" or "X, unit" (a spanning "Trapped field (T)" above
    "Top" gives "Trapped field Top", "T")."""
    from schemas.units import parse_unit

    for i, part in enumerate(parts):
        p = part.strip()
        inner = p[1:-1] if p[:1] in "([" and p[-1:] in ")]" else p
        if len(parts) > 1 and _unit_ok(inner) and not _has_property(p):
            return " ".join(parts[:i] + parts[i + 1 :]), inner.strip()
    for i, part in enumerate(parts):
        for pattern in (PAREN_UNIT, SLASH_UNIT, COMMA_UNIT, MID_PAREN_UNIT):
            m = pattern.match(part.strip())
            if m and m.group("label").strip() and _unit_ok(m.group("unit")):
                label = " ".join([m.group("label"), *m.groupdict().get("rest", "").split()])
                return " ".join(parts[:i] + [label] + parts[i + 1 :]), m.group("unit").strip()
    text = " ".join(parts)
    words = text.split()
    if len(words) > 1 and words[-1] in BARE_UNITS and parse_unit(words[-1]) is not None:
        return " ".join(words[:-1]), words[-1]
    return text, None


def _unit_ok(text: str) -> bool:
    from schemas.units import parse_unit

    t = text.strip()
    if not t or len(t) > 30:
        return False
    m = SCALE.match(t)
    if m and m.group("rest"):
        t = m.group("rest")
    return parse_unit(t) is not None or t in {"%", "at.%", "wt%", "wt.%", "a.u.", "arb. units"}


def _has_property(text: str) -> bool:
    from schemas.vocab import find_property_mentions

    return bool(find_property_mentions(text))


def _scale(unit_raw: str) -> tuple[float, str]:
    """ "10^10 A m−2" / "10¹⁰ A m−2" / "1010 Am−2" (a flattened superscript) -> (1e10, "A m−2")."""
    m = SCALE.match(unit_raw.strip())
    if not m or not m.group("rest").strip():
        return 1.0, unit_raw
    return 10.0 ** int(m.group("exp").translate(FROM_SUPERSCRIPT).replace("−", "-")), m.group("rest").strip()


def _caption_unit(caption: str) -> str | None:
    from schemas.units import parse_unit

    m = CAPTION_UNIT.search(caption)
    if not m:
        return None
    for cand in (m.group("unit"), m.group("unit").split()[0]):
        if parse_unit(cand) is not None:
            return cand
    return None


def _label_of(text: str) -> str:
    """A header or row label without its unit, references and footnote markers."""
    label, _ = _split_unit([text])
    return REFERENCE.sub("", split_marker(label)[0]).strip()


def _header_property(col: Column, ctx: Context) -> None:
    from schemas.vocab import condition_for_unit, find_condition_keywords, find_property_mentions, resolve_mention

    label = col.label
    bare = re.sub(r"(?<=[A-Za-z])[\d*]+$|\*?\(0\)$", "", label)
    joined = re.sub(r"(?<=[a-z])-\s?(?=[a-z]{2,})", "", label)  # "rough-ness": a word broken across lines
    tries = [label, bare, joined, col.text]
    if re.fullmatch(
        r"\S{2,8}", label
    ):  # a header that is a symbol stands as "peff =" would in text (one letter: too vague)
        tries.append(f"{label} =")
    defined = _symbol_definition(label, [ctx.caption, *ctx.footnotes.values()])
    if defined is not None:  # the caption names the symbol: its name decides, not the symbol's cue words
        tries = [defined] if find_property_mentions(defined) else []
    for text in dict.fromkeys(tries):
        for m in find_property_mentions(text):
            if defined is not None and not NAME_TAIL.match(defined[m.end :]):
                continue  # the defining name's head must be the property ("trapped field by TFM", not "onset
                # temperature of the rounding effects")
            pid = resolve_mention(m, col.unit or "", ctx.caption)
            if pid is None and not col.unit and "/" not in label:
                pid = m.property_id  # no unit anywhere: the header's property, unchecked (flag unit_missing)
                # a bare symbol says too little: the id stays only on values whose unit fits (_record)
                col.property_unchecked = m.via == "symbol" and defined is None
            if pid:
                col.property_raw, col.property_id = label, pid
                col.property_guessed = m.ambiguous and m.via == "symbol" and defined is None
                start = col.text.find(m.raw)
                if start >= 0:
                    col.property_span = CharSpan(start=start, end=start + len(m.raw))
                return
    cond = condition_for_unit(col.unit) if col.unit else None
    named = {k.condition_id for k in find_condition_keywords(col.text)}
    if cond in CONDITION_COLUMNS and (cond in named or label.lower() in CONDITION_SYMBOLS):
        # "Temperature (K)", "Measurement temperature": a condition; "Onset temperature (K)": a result
        if label.lower() in CONDITION_SYMBOLS or cond not in PARAMETER_CONDITIONS or _names_parameter(label):
            col.condition_id = cond
    col.property_raw = label


def _parameter_columns(columns: list[Column], mat_col: int | None, caption: str = "") -> None:
    """In a table whose other columns name vocabulary properties, a column that names none but carries the unit of
    a typical process or measurement parameter (`Annealing time (h)`, `Centrifuge speed (rpm)`, `f (Hz)`,
    `Sintering temperature (°C)`) holds the row's parameter: its values become conditions of the row's records, not
    records of an unknown property. Fields and current densities are left alone: in superconductor tables they are
    as often results (trapped field, Jd) as parameters. Other conditions count when the caption names them:
    "... after neutron irradiation to the given fluence" makes `φn t (10^21 m−2)` the row's fluence."""
    from schemas.vocab import condition_for_unit, find_condition_keywords

    if not any(col.property_id for c, col in enumerate(columns) if c != mat_col):
        return
    named = {k.condition_id for k in find_condition_keywords(caption)} - RESULT_LIKE_CONDITIONS if caption else set()
    for c, col in enumerate(columns):
        if c == mat_col or col.property_id or col.condition_id or col.text_column or not col.unit:
            continue
        cond = condition_for_unit(col.unit)
        if cond in PARAMETER_CONDITIONS and _names_parameter(col.label):
            col.condition_id = cond
        elif cond and cond in named and cond not in PARAMETER_CONDITIONS:  # T, t, P, f: by the header only
            col.condition_id = cond


def _off_domain_guesses(columns: list[Column], mat_col: int | None, caption: str) -> None:
    """An ambiguous symbol whose guess belongs to another field than every other identified column of the table, with
    none of its cue words in the caption, keeps no id: "η (%)" beside penetration depth, coherence length and Jd is a
    pinning efficiency, not a solar cell's power conversion efficiency."""
    from schemas.vocab import fold, load_vocabulary

    v = load_vocabulary()
    low = fold(caption).lower()
    known = [(c, v.get(col.property_id)) for c, col in enumerate(columns) if c != mat_col and col.property_id]
    for c, prop in known:
        col = columns[c]
        if not col.property_guessed or prop is None or any(cue in low for cue in prop.cues):
            continue
        others = [p.category for k, p in known if k != c and p is not None]
        if len(others) >= 2 and prop.category not in others:
            col.property_id, col.property_span = None, None


def _names_parameter(label: str) -> bool:
    """A header naming a process or measurement parameter: "T", "Time", "f", "Annealing time", "Sintering
    temperature", "Centrifuge speed"; not a characteristic value (T0, TA, Tonset, ΔTc, "Onset temperature")."""
    low = " ".join(label.lower().split())
    if low in PARAMETER_LABELS:
        return True
    if CHARACTERISTIC_SYMBOL.fullmatch(label.strip()) or re.match(r"\s*[Δ∆δ]", label):
        return False
    return bool(PROCESS_WORD.search(label))


def _symbol_definition(label: str, texts: list[str]) -> str | None:
    """The name a caption or footnote gives the header symbol `label` ("The critical temperature, Tc, ..." ->
    "critical temperature"), or None. Only short symbols are looked for (Tc, ΔTc, Bc, η), not header phrases."""
    sym = label.strip()
    if not sym or len(sym) > 10 or " " in sym or not CHARACTERISTIC_SYMBOL.fullmatch(sym) and len(sym) > 1:
        return None
    # a subscript may be printed apart ("T c", "T_c"); Δ has two code points
    body = r"\s?_?".join(re.escape(ch) if ch not in "Δ∆" else "[Δ∆]" for ch in sym)
    s = rf"(?<![\w]){body}(?![\w′'])"
    patterns = (
        rf"{DEFINITION_NAME}\s*,\s*{s}\s*(?:[,.;:)]|and\b|$)",  # the critical temperature, Tc,
        rf"{DEFINITION_NAME}\s*\(\s*{s}\s*\)",  # the critical temperature (Tc)
        rf"{s}\s*,\s*(?:the|a|an)\s+{DEFINITION_NAME}",  # Tc, the critical temperature
        rf"{s}\s*\(\s*(?:the\s+)?{DEFINITION_NAME}\s*\)",  # Tc (critical temperature)
        rf"{s}\s+(?:is|denotes|stands\s+for)\s+(?:the\s+)?{DEFINITION_NAME}",  # Tc is the critical temperature
    )
    for text in texts:
        if not text:
            continue
        for pat in patterns:
            m = re.search(pat, text)
            if m:
                name = m.group("name")
                # the name starts after the last conjunction or verb, without its article: "... Tc, and the onset
                # temperature of the rounding effects, Tonset" -> "onset temperature of the rounding effects"
                name = re.split(r"\b(?:and|with|are|is|were|was|as)\s+", name, flags=re.I)[-1]
                name = re.sub(r"^(?:(?:table|tab\.)\s*\S*\s*)?(?:(?:the|a|an)\s+)?", "", name, flags=re.I).strip()
                if len(name) >= 3 and re.search(r"[a-z]{3,}", name):
                    return name
    return None


def _unit_fits(q: Quantity, property_id: str) -> bool:
    from schemas.vocab import unit_fits_property

    return unit_fits_property(q.unit or "", property_id)


# ---------------------------------------------------------------------------------------------------- materials


def _materials_in(text: str, materials) -> list:
    return [m for m in materials.find(REFERENCE.sub(" ", text)) if m.formula or m.name]


def _material_column(view: View, materials) -> int | None:
    """The column naming the rows' materials: most cells with a material mention, or a "Compound"/"Sample" header."""
    body = range(view.header_rows, view.n_rows)
    best, best_score = None, 0.0
    for c in range(min(view.n_cols, 3)):
        texts = [view.text(r, c) for r in body if view.text(r, c)]
        head = " ".join(view.text(r, c) for r in range(view.header_rows))
        named = bool(MATERIAL_HEADER.match(head.strip()) or SUBJECT_HEADER.match(" ".join(head.split())))
        if not texts or (sum(_numeric(t) for t in texts) * 2 > len(texts) and not named):
            continue
        score = sum(bool(_materials_in(t, materials)) for t in texts) / len(texts) + (0.5 if named else 0.0)
        if score > best_score:
            best, best_score = c, score
    if best_score < 0.5 and view.n_cols > 1:
        texts = [view.text(r, 0) for r in body if view.text(r, 0)]
        if texts and not any(_numeric(t) for t in texts):
            return 0  # a text label column (sample names) in the first position
    return best if best_score >= 0.5 else None


def _row_material(view: View, r: int, mat_col: int | None, materials) -> tuple[Material, str] | None:
    if mat_col is None:
        return None
    cell = view.cell(r, mat_col)
    if cell is None or not cell.text.strip() or cell.text.strip() in MISSING:
        return None
    text = cell.text
    where = f"r{cell.row}c{cell.col}"
    found = _materials_in(text, materials)
    if not found:
        raw = " ".join(REFERENCE.sub(" ", text).split())
        start = text.find(raw)
        span = CharSpan(start=start, end=start + len(raw)) if start >= 0 else None
        if MODEL_LABEL.search(raw):  # "(Theory) Mean-field", "d = 3, n = 1": a model, no substance name
            return Material(raw=raw, span=span), where
        return Material(raw=raw, name=raw, span=span), where
    m = found[0]
    info = materials.resolve(m.raw)
    formula = m.formula or (info.formula if info else None)
    reduced = m.reduced_formula or (info.reduced_formula if info else None)
    name = m.name or (info.name if info else None)
    mat = Material(
        raw=m.raw, formula=formula, reduced_formula=reduced, name=name, span=CharSpan(start=m.start, end=m.end)
    )
    return mat, where


def _record_material(row_mat, col: Column, ctx: Context) -> tuple[Material | None, list[str]]:
    """The row's material; a row label that names no material gives way to the column header's or the caption's."""
    model = row_mat is not None and not row_mat[0].formula and not row_mat[0].name  # a theory/model row label
    label_only = row_mat is not None and not row_mat[0].formula and row_mat[0].name in (row_mat[0].raw, None)
    if row_mat is not None and not (label_only and (col.material or ctx.material)):
        return row_mat[0], [f"material:{row_mat[1]}"] + (["model_row"] if model else [])
    flags = [f"row_label:{row_mat[1]}"] if row_mat is not None else []
    if col.material is not None:
        return col.material, flags + ["material_from_header"]
    if ctx.material is not None:
        return ctx.material, flags + ["material_from_caption"]
    if row_mat is not None:
        return row_mat[0], [f"material:{row_mat[1]}", "material_label"]
    return None, ["no_material"]


# ---------------------------------------------------------------------------------------------------- cells


def split_marker(text: str) -> tuple[str, str | None]:
    """ "5.1a" -> ("5.1", "a"); "6 × 10−16*" -> ("6 × 10−16", "*"); "12 nm" -> ("12 nm", None)."""
    t = text.strip()
    m = FOOTNOTE_TAIL.search(t)
    if not m or m.start() == 0:
        return t, None
    marker = (m.group("letter") or m.group("sym")).translate(SUPERSCRIPT_LETTERS)
    return t[: m.start()].rstrip(), marker


def _cell_quantities(text: str, col: Column) -> list[tuple[Quantity, list[str]]]:
    """The values of a cell: its own unit if it has one, else the header's, else unitless."""
    from extractors.quantities import find_quantities, to_quantity

    t = superscript_powers(text.strip())
    if t.lower() in MISSING or not re.search(r"\d", t) or SITE_LABEL.fullmatch(t):
        return []
    own = [q for q in find_quantities(t) if q.unit]
    if own and not col.unit:
        return [(_fix(to_quantity(q), q, t, col, keep_unit=True), ["unit_from_cell"]) for q in own]
    unit_raw = col.unit_raw or PLACEHOLDER_UNIT
    probe = f"{t} {unit_raw}"
    found = [q for q in find_quantities(probe) if q.start < len(t)]
    out = []
    for q in found:
        if _residual_words(t, q):
            continue
        if own and any(o.start == q.start for o in own) and col.unit and own[0].unit != col.unit:
            out.append((_fix(to_quantity(own[0]), own[0], t, col, keep_unit=True), ["unit_from_cell"]))
            continue
        flags = [f"unit_from_{col.unit_source}"] if col.unit_raw else ["no_unit"]
        if col.scale != 1.0:
            flags.append(f"header_scale:{col.scale:g}")
        out.append((_fix(to_quantity(q), q, t, col, keep_unit=bool(col.unit_raw)), flags))
    return out


def superscript_powers(text: str) -> str:
    """ "3.5 × 109" (10^9 with its superscript flattened by the PDF) -> "3.5 × 10⁹": same length, spans stay valid."""
    return FLAT_POWER.sub(lambda m: m.group(1) + m.group(2).translate(TO_SUPERSCRIPT), text)


def _text_column(view: View, c: int) -> bool:
    texts = [split_marker(view.text(r, c))[0] for r in range(view.header_rows, view.n_rows)]
    texts = [t for t in texts if t and t.lower() not in MISSING]
    wordy = sum(any(not _is_unit_word(w) for w in re.findall(r"[A-Za-z]{2,}", t)) for t in texts)
    return bool(texts) and wordy * 2 > len(texts)


def _index_column(view: View, c: int, col: Column) -> bool:
    """A unitless first column counting the rows (1, 2, 3 ...) is a row index, not a value."""
    if c != 0 or col.unit_raw:
        return False
    texts = [view.text(r, c) for r in range(view.header_rows, view.n_rows)]
    return texts == [str(i + 1) for i in range(len(texts))] or texts == [str(i) for i in range(len(texts))]


def _residual_words(text: str, q) -> bool:
    """A cell that is text with a number in it ("3 MeV protons", "4.2 K only") is no value cell."""
    rest = text[: q.start] + " " + text[min(q.end, len(text)) :]
    return any(not _is_unit_word(w) for w in WORD.findall(rest))


def _is_unit_word(word: str) -> bool:
    from schemas.units import parse_unit

    return parse_unit(word) is not None


def _fix(quantity: Quantity, q, text: str, col: Column, keep_unit: bool) -> Quantity:
    """Span and raw into the cell text; the header unit (or none); the header's power-of-ten factor applied."""
    end = min(q.end, len(text))
    update: dict = {"span": CharSpan(start=q.start, end=end), "raw": text[q.start : end]}
    from_header = keep_unit and not (q.unit_end is not None and q.unit_end <= len(text))
    if not keep_unit:
        update.update(unit_raw=None, unit=None)
    elif from_header:
        update.update(unit_raw=col.unit_raw, unit=col.unit)
    if col.scale != 1.0 and from_header:
        update["values"] = [v * col.scale for v in quantity.values]
        if quantity.uncertainty is not None:
            update["uncertainty"] = quantity.uncertainty * col.scale
    return quantity.model_copy(update=update)


def _row_conditions(view: View, r: int, columns: list[Column], mat_col) -> list[tuple[Condition, str]]:
    """Values of the row's condition columns (T (K) = 20) as conditions of the row's other records."""
    out = []
    for c, col in enumerate(columns):
        if not col.condition_id or c == mat_col:
            continue
        cell = view.cell(r, c)
        if cell is None:
            continue
        for q, _ in _cell_quantities(split_marker(cell.text)[0], col):
            raw = f"{q.raw} {col.unit_raw or ''}".strip() if q.unit_raw and q.unit_raw not in q.raw else q.raw
            if col.scale != 1.0 and q.raw != raw:  # "3.6" under "φn t (10²¹ m−2)": "3.6 × 10²¹ m−2"
                power = str(round(math.log10(col.scale))).translate(TO_SUPERSCRIPT)
                raw = f"{q.raw} × 10{power} {col.unit_raw}"
            cond = Condition(raw=raw, property_id=col.condition_id, quantity=q.model_copy(update={"span": None}))
            out.append((cond, f"r{cell.row}c{cell.col}"))
    return out


def _merge_conditions(base: list[Condition], more: list[Condition]) -> list[Condition]:
    """The more specific conditions replace the general ones of the same kind."""
    kinds = {c.property_id for c in more}
    return [c for c in base if c.property_id not in kinds] + list(more)


# ---------------------------------------------------------------------------------------------------- context


def _context(doc: ParsedDocument, table: Table, materials) -> Context:
    caption = (table.caption or "").strip()
    notes = [_block_text(doc, fid) for fid in table.footnote_ids]
    notes = [n for n in notes if n]
    ctx = Context(caption=caption, footnotes=_footnotes(notes))
    general = [caption] + [n for n in notes if not FOOTNOTE_LEAD.match(n)]
    for text in general:
        ctx.conditions = _merge_conditions(ctx.conditions, _text_conditions(text))
        ctx.method = ctx.method or _method(text)
    corner = _corner(table)
    ctx.material = _one_material(caption, materials) or _one_material(corner, materials)
    return ctx


def _corner(table: Table) -> str:
    """The top-left cell's text ("GdBCO bulk superconductors" above a column of property names)."""
    return next((c.text for c in table.cells if c.row == 0 and c.col == 0), "")


def _one_material(text: str, materials) -> Material | None:
    """The material a text names, when it names exactly one (span None: it is not the evidence cell's text)."""
    found = {m.formula or m.name: m for m in _materials_in(text, materials)}
    if len(found) != 1:
        return None
    m = next(iter(found.values()))
    return Material(raw=m.raw, formula=m.formula, reduced_formula=m.reduced_formula, name=m.name)


def _block_text(doc: ParsedDocument, block_id: str) -> str:
    try:
        return doc.block(block_id).text.strip()
    except KeyError:
        return ""


def _footnotes(notes: list[str]) -> dict[str, str]:
    """Footnote texts by their leading marker: "a Measured at 10 K", "* Calculated", "(b) from XRD", "ᵃ ..."."""
    out: dict[str, str] = {}
    lead = FOOTNOTE_LEAD
    for note in notes:
        for part in re.split(r"(?<=[.;])\s+(?=\(?(?:[a-h]|[*†‡§¶]+|[ᵃᵇᶜᵈᵉᶠ])\)?\s)", note):
            m = lead.match(part)
            if m:
                out.setdefault(m.group("m").translate(SUPERSCRIPT_LETTERS), part[m.end() :].strip())
    return out


def _text_conditions(text: str) -> list[Condition]:
    """Conditions stated in a caption or footnote: a quantity with a condition's unit after a cue ("at 300 K")."""
    from extractors.quantities import find_quantities, to_quantity
    from schemas.vocab import condition_for_unit

    out = []
    for q in find_quantities(text):
        cond = condition_for_unit(q.unit) if q.unit else None
        if cond and CONDITION_CUE.search(text[max(0, q.start - 40) : q.start]):
            out.append(Condition(raw=q.raw, property_id=cond, quantity=to_quantity(q)))
    # one condition of a kind: several values of a kind are a list or range ("at 5, 10 and 20 K"), no condition
    kinds = [k for k, _ in {(c.property_id, c.raw) for c in out}]
    return list({c.property_id: c for c in out if kinds.count(c.property_id) == 1}.values())


def _header_conditions(label: str) -> tuple[list[Condition], str]:
    """Conditions a column header states next to its property, cue or not: "Ic (A/cm-w) 77 K, self field",
    "Jc 5 K" (a sub-header "5 K" under a spanning "Jc"), "Jc (MA cm−2) at 4.2 K", "ρ at RT". Returns them and the
    label without them ("Ic"); the label is returned unchanged when nothing but conditions would remain."""
    from extractors.quantities import find_quantities, to_quantity
    from schemas.vocab import condition_for_unit, find_property_mentions, resolve_mention

    mentions = find_property_mentions(label)
    found = []
    for q in find_quantities(label):
        cond = condition_for_unit(q.unit) if q.unit else None
        # a quantity the header's own property could take is no condition ("Thickness 100 nm")
        if cond and not any(resolve_mention(m, q.unit) for m in mentions):
            found.append((cond, q))
    kinds = [cond for cond, _ in found]
    # one condition of a kind: two temperatures are a ratio or a range ("R(300 K)/R(20 K)", "ΔT 10-300 K")
    found = [(cond, q) for cond, q in found if kinds.count(cond) == 1]
    out = [Condition(raw=q.raw, property_id=cond, quantity=to_quantity(q)) for cond, q in found]
    cut = [(q.start, q.end) for _, q in found]
    for m in KEYWORD_CONDITIONS.finditer(label):
        if not any(a <= m.start() < b for a, b in cut):
            out.append(Condition(raw=m.group(0), property_id=KEYWORD_CONDITION_IDS[m.lastgroup]))
            cut.append((m.start(), m.end()))
    if not out:
        return [], label
    rest = label
    for a, b in sorted(cut, reverse=True):
        rest = rest[:a] + " " + rest[b:]
    rest = re.sub(r"\(\s*\)|\[\s*\]", " ", HEADER_LEFTOVER.sub(" ", rest))
    rest = " ".join(rest.split()).strip(" ,;:=@([")
    return out, (rest if re.search(r"[^\W\d_]", rest) else label)


def _method(text: str) -> str | None:
    from schemas.vocab import find_method_mentions

    found = find_method_mentions(text)
    return found[0].raw if found else None


def _prov(table: Table, cell: Cell) -> list[Prov]:
    if table.page is None:
        return []  # JATS/TEI tables have no page; the source_id still names the cell
    origin = {"jats": "jats", "tei": "tei"}.get(table.source, "pdf")
    return [Prov(page=table.page, bbox=cell.bbox, item_id=table.id, origin=origin)]


__all__ = ["TableExtractor", "split_marker"]

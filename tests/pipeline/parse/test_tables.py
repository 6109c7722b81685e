"""Tables from real PDF pages: grid, spans, header rows, cell text, boxes, false positives, the decimal bug."""

from __future__ import annotations

import functools
import re
import unicodedata

import pymupdf
import pytest

from pipeline.parse import tables
from pipeline.parse.tables import clean_cell_text, find_tables, is_numeric
from schemas import Table
from tests.conftest import BUNDLED, open_pdf, shared_data

AE94 = "10.1088_1361-6668_aaae94.pdf"  # Tables 1-3: Jc(B) fit parameters, trapped fields (pages 3, 4, 8)
A9882 = "10.1088_1361-6668_aa9882.pdf"  # Tables 1-3 (pages 5, 8, 11); Table 1 is a 55-row table
AC87E = "10.1088_1361-6668_aac87e.pdf"  # Tables 1-2 (pages 5, 7)
SSC = "10.1016_j.ssc.2016.12.016.pdf"  # Table 1 (page 3), Elsevier layout, bold header
A831 = "10.1088_1361-6668_aaa831.pdf"  # shared only: Table 1 with a header spanning two columns
ADF2 = "10.1088_1361-6668_aaadf2.pdf"  # shared only: no tables; PyMuPDF takes its reference page for one

# (file, page) of every captioned table in the bundled papers
BUNDLED_TABLES = [
    (AE94, 3),
    (AE94, 4),
    (AE94, 8),
    (A9882, 5),
    (A9882, 8),
    (A9882, 11),
    (AC87E, 5),
    (AC87E, 7),
    (SSC, 3),
]


@functools.cache
def _doc(name: str) -> pymupdf.Document:
    return pymupdf.open(open_pdf(name))


@functools.cache
def _tables(name: str, page_no: int) -> tuple[Table, ...]:
    return tuple(find_tables(_doc(name)[page_no - 1], page_no, 0))


def _one(name: str, page_no: int, index: int = 0) -> Table:
    found = _tables(name, page_no)
    assert len(found) > index, f"{name} p{page_no}: {len(found)} tables"
    return found[index]


def _text(t: Table, row: int, col: int) -> str:
    for c in t.cells:
        if c.row <= row < c.row + c.row_span and c.col <= col < c.col + c.col_span:
            return c.text
    raise KeyError((row, col))


def _col(t: Table, header: str) -> int:
    for c in t.cells:
        if c.is_header and c.text == header:
            return c.col
    raise KeyError(f"no header {header!r} in {[c.text for c in t.cells if c.is_header]}")


def _row(t: Table, label: str, col: int = 0) -> int:
    for c in t.cells:
        if not c.is_header and c.col == col and c.text == label:
            return c.row
    raise KeyError(label)


def _under(t: Table, header: str, label: str) -> str:
    """Text of the body cell in the column headed `header` and the row whose first cell reads `label`."""
    return _text(t, _row(t, label), _col(t, header))


def _ruled_table_pdf() -> pymupdf.Page:
    """A page with a fully ruled 3 x 3 table whose cells hold decimals, written by PyMuPDF."""
    doc = pymupdf.open()
    page = doc.new_page()
    xs, ys = [72, 200, 300, 400], [100, 120, 140, 160]
    rows = [["Sample", "Tc (K)", "Jc"], ["A", "3.2", "0.75"], ["B", "12.45", "1.5"]]
    for y in ys:
        page.draw_line((xs[0], y), (xs[-1], y))
    for x in xs:
        page.draw_line((x, ys[0]), (x, ys[-1]))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            page.insert_text((xs[c] + 4, ys[r] + 14), text, fontsize=10)
    return pymupdf.open("pdf", doc.tobytes())[0]


def _chars(s: str) -> list[str]:
    return sorted(clean_cell_text(unicodedata.normalize("NFKC", s)).replace(" ", ""))


# ---------------------------------------------------------------- the decimal bug (pymupdf 2.0 + pymupdf-layout)


def test_accurate_bboxes_flag_cleared_at_import():
    assert not pymupdf.table.FLAGS & pymupdf.TEXT_ACCURATE_BBOXES


def test_pymupdf_extract_keeps_decimals_in_built_table():
    """Fails without the FLAGS fix: PyMuPDF then reads "3.2" as "32\\n."."""
    found = _ruled_table_pdf().find_tables().tables
    assert len(found) == 1
    cells = [c for row in found[0].extract() for c in row if c]
    assert {"3.2", "0.75", "12.45", "1.5"} <= set(cells), cells


def test_pymupdf_extract_keeps_decimals_in_real_table():
    """Table 2 of aaae94 (B0 = 1.1 T, alpha = 1.5): broken into "11\\n." and "15\\n." without the fix."""
    found = _doc(AE94)[3].find_tables().tables
    body = found[0].extract()[1]
    assert "1.1" in body and "1.5" in body, body


def test_find_tables_built_table():
    page = _ruled_table_pdf()
    (t,) = find_tables(page, 1, 0)
    assert (t.n_rows, t.n_cols, t.header_rows) == (3, 3, 1)
    assert [c.text for c in t.cells if c.is_header] == ["Sample", "Tc (K)", "Jc"]
    assert _under(t, "Tc (K)", "A") == "3.2"
    assert _under(t, "Tc (K)", "B") == "12.45"
    assert _under(t, "Jc", "A") == "0.75"


# ---------------------------------------------------------------- values under their headers


def test_aaae94_table1_jc_fit_parameters():
    t = _one(AE94, 3)
    assert (t.id, t.page, t.n_rows, t.n_cols, t.header_rows) == ("t0", 3, 3, 6, 1)
    assert [c.text for c in t.cells if c.is_header] == [
        "T (K)",
        "Jc1 (A m−2)",
        "BL (T)",
        "Jc2 (A m−2)",
        "Bmax (T)",
        "α",
    ]
    assert _under(t, "BL (T)", "40") == "0.9"
    assert _under(t, "BL (T)", "20") == "1.5"
    assert _under(t, "Jc1 (A m−2)", "20") == "9.0 × 109"  # 9.0 × 10^9: the exponent as the PDF gives it
    assert _under(t, "α", "20") == "0.5"
    assert "rows_split" in t.flags  # the two body rows share one PyMuPDF row (no rule between them)


def test_aaae94_table2_mgb2_parameters():
    t = _one(AE94, 4)
    assert (t.n_rows, t.n_cols) == (2, 4)
    assert _under(t, "Jc0 (A m−2)", "20") == "4.3 × 109"
    assert _under(t, "B0 (T)", "20") == "1.1"


def test_aaae94_table3_subscripts_stay_attached():
    t = _one(AE94, 8)
    assert (t.n_rows, t.n_cols, t.header_rows) == (5, 6, 1)
    assert _under(t, "Bc (T)", "‘case-1’ (MgB2 cylinder)") == "4.73"
    assert _under(t, "Bc/Bapp", "‘case-2’ (GdBaCuO cylinder)") == "1.70"
    assert "Bapp (T)" in [c.text for c in t.cells if c.is_header]


def test_aa9882_table2_rows_split_and_formulae():
    t = _one(A9882, 8)
    assert (t.n_rows, t.n_cols, t.header_rows) == (6, 7, 1)
    assert "rows_split" in t.flags
    assert _text(t, 1, 0) == "Ba(Fe0.94Co0.06)2As2 [92–97]"
    assert _under(t, "λ (nm)", "FeSe0.5Te0.5 [2, 106–108]") == "560"
    assert _under(t, "Gi", "NdFeAsO1–xFx [102–105]") == "3.5 × 10⁻²"
    assert "Jd (10¹⁰ Am−2)" in [c.text for c in t.cells if c.is_header]  # raised exponent kept raised


def test_aa9882_table1_long_table_with_minus_signs():
    t = _one(A9882, 5)
    assert (t.n_rows, t.n_cols, t.header_rows) == (56, 7, 1)
    assert _under(t, "Tc0 (K)", "KFe2As2 [69]") == "4"
    assert _under(t, "DTc (K)", "FeSe [22]") == "−0.4"  # U+2212 kept ("Δ" is a "D" in this PDF's font)
    assert _text(t, 42, 5) == "8 × 10⁻¹⁷ *"  # a big '*' does not swallow the line into superscripts
    assert _under(t, "Particles", "Ca8.5La1.5(Pt3As8)(Fe2As2)5 [78]") == "Protons"


def test_aac87e_tables():
    t1, t2 = _one(AC87E, 5), _one(AC87E, 7)
    assert (t1.id, t2.id) == ("t0", "t0")
    assert _under(t1, "T range", "trans/real") == "4.2 K only"
    assert _under(t1, "Imax", "trans/real") == "1 kA"
    assert (t2.n_rows, t2.n_cols) == (5, 6)
    assert _under(t2, "p", "real wire") == "0.45"
    assert _under(t2, "Bc2*(0) (T)", "23.7/1.1") == "42.1"


def test_ssc_table1_bold_wrapped_header():
    t = _one(SSC, 3)
    assert (t.n_rows, t.n_cols, t.header_rows) == (5, 6, 1)  # three header lines merged into one header row
    heads = [c.text for c in t.cells if c.is_header]
    assert heads == [
        "",
        "Centrifuge speed (rpm)",
        "Average lateral size (nm)",
        "Average thickness (nm)",
        "Surface area (m2g−1)",
        "O/C ratio",
    ]
    assert _under(t, "Surface area (m2g−1)", "Sample#3") == "317 ± 32"
    assert _under(t, "Centrifuge speed (rpm)", "Sample#3") == "10,000"
    assert _under(t, "Average lateral size (nm)", "Sample#4") == "75"


def test_spanning_header_becomes_col_span():
    t = _one(A831, 5)
    span = next(c for c in t.cells if c.text == "Maximum trapped field (T)")
    assert (span.row, span.col, span.col_span, span.is_header) == (0, 1, 2, True)
    assert t.header_rows == 2
    assert [_text(t, 1, 1), _text(t, 1, 2)] == ["Top", "Base"]
    r = _row(t, "21")
    assert [_text(t, r, 1), _text(t, r, 2)] == ["0.39 ± 0.04", "0.30 ± 0.03"]


# ---------------------------------------------------------------- geometry and structure


@pytest.mark.parametrize(("name", "page_no"), BUNDLED_TABLES)
def test_cells_tile_the_grid_inside_the_table_box(name, page_no):
    for t in _tables(name, page_no):
        box = pymupdf.Rect(t.bbox.as_tuple())
        assert t.bbox == t.bbox.rounded()
        slots = {}
        for c in t.cells:
            assert pymupdf.Rect(c.bbox.as_tuple()) in box + (-0.5, -0.5, 0.5, 0.5), (c, t.bbox)
            assert c.is_header == (c.row < t.header_rows)
            for r in range(c.row, c.row + c.row_span):
                for k in range(c.col, c.col + c.col_span):
                    assert (r, k) not in slots
                    slots[(r, k)] = c
        assert set(slots) == {(r, k) for r in range(t.n_rows) for k in range(t.n_cols)}


@pytest.mark.parametrize(("name", "page_no"), BUNDLED_TABLES)
def test_text_under_a_cell_box_is_the_cell_text(name, page_no):
    page = _doc(name)[page_no - 1]
    words = page.get_text("words")
    for t in _tables(name, page_no):
        for c in t.cells:
            box = pymupdf.Rect(c.bbox.as_tuple())
            inside = [w[4] for w in words if pymupdf.Rect(w[:4]).get_area() and _centre(w) in box]
            assert _chars(" ".join(inside)) == _chars(c.text), (c.row, c.col, c.text, inside)


def _centre(w) -> pymupdf.Point:
    return pymupdf.Point((w[0] + w[2]) / 2, (w[1] + w[3]) / 2)


def test_ids_follow_first_index_and_are_deterministic():
    page = _doc(AE94)[2]
    a = find_tables(page, 3, 7)
    b = find_tables(page, 3, 7)
    assert [t.id for t in a] == ["t7"]
    assert [t.model_dump() for t in a] == [t.model_dump() for t in b]


def test_two_tables_on_one_page_get_consecutive_ids():
    page = pymupdf.open(open_pdf("10.1088_1361-6668_aaa82a.pdf"))[4]
    found = find_tables(page, 5, 2)
    assert [t.id for t in found] == ["t2", "t3"]
    assert _under(found[0], "Test 3", "Static levitation force (N)") == "73.6"
    assert _under(found[1], "Average value", "Reduction rate") == "4.2%"


def test_rotated_page_gives_same_cells_in_get_text_coordinates():
    """A landscape table page stored sideways with /Rotate 90: same texts, boxes in unrotated coordinates."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.show_pdf_page(page.rect, _doc(AE94), 7, rotate=90)
    page.set_rotation(90)
    page = pymupdf.open("pdf", doc.tobytes())[0]
    (t,) = find_tables(page, 1, 0)
    flat = _one(AE94, 8)
    assert (t.n_rows, t.n_cols, t.header_rows) == (flat.n_rows, flat.n_cols, flat.header_rows)
    assert [c.text for c in t.cells] == [c.text for c in flat.cells]
    words = page.get_text("words")
    cell = next(c for c in t.cells if c.text == "4.73")
    inside = [w[4] for w in words if _centre(w) in pymupdf.Rect(cell.bbox.as_tuple())]
    assert inside == ["4.73"]


# ---------------------------------------------------------------- false positives and strategy


def test_no_tables_on_pages_without_tables():
    doc = _doc("10.1088_1361-6668_aabf32.pdf")  # no tables; pages of text and vector plots
    assert [t for page in doc for t in find_tables(page, page.number + 1, 0)] == []
    assert find_tables(_doc(AE94)[1], 2, 0) == []  # text and a figure
    assert find_tables(_doc(SSC)[0], 1, 0) == []  # title page


def test_two_column_reference_page_rejected():
    page = pymupdf.open(open_pdf(ADF2))[7]
    assert len(page.find_tables().tables) == 1  # PyMuPDF's candidate: the whole two-column page
    assert find_tables(page, 8, 0) == []


def test_too_many_paths_skips_layout_and_says_so(monkeypatch):
    monkeypatch.setattr(tables, "MAX_LAYOUT_PATHS", 0)
    (t,) = find_tables(_ruled_table_pdf(), 1, 0)  # found by its rules alone
    assert "no_layout" in t.flags
    assert _under(t, "Tc (K)", "B") == "12.45"


def _caption_pages(doc: pymupdf.Document) -> dict[int, int]:
    """{table number: page} from "Table N." caption blocks."""
    out: dict[int, int] = {}
    for page in doc:
        for b in page.get_text("blocks"):
            m = re.match(r"\s*Table\s+(\d+)\.?\s", b[4])
            if m and len(b[4]) > 12:
                out.setdefault(int(m.group(1)), page.number + 1)
    return out


def _check_tables_match_captions(name: str) -> int:
    doc = _doc(name)
    found = [t for page in doc for t in _tables(name, page.number + 1)]
    caps = _caption_pages(doc)
    assert len(found) == len(caps), (name, [(t.page, t.n_rows, t.n_cols) for t in found], caps)
    assert sorted(t.page for t in found) == sorted(caps.values())
    return len(found)


@pytest.mark.parametrize("name", sorted(p.name for p in BUNDLED.glob("*.pdf")))
def test_bundled_tables_match_captions(name):
    _check_tables_match_captions(name)


@pytest.mark.slow
def test_open_pdfs_tables_match_captions():
    """All 15 CC-BY papers: the 17 captioned tables found on their pages, nothing else (~2 min)."""
    names = sorted(p.name for p in shared_data("open_pdfs").glob("*.pdf"))
    assert sum(_check_tables_match_captions(name) for name in names) == 17


def test_text_strategy_without_layout_would_flood_text_pages():
    """Why the default: with layout gating off, strategy="text" reports tables on plain text pages."""
    page = _doc(AE94)[1]
    assert len(page.find_tables(strategy="text", use_layout=False).tables) >= 1
    assert find_tables(page, 2, 0) == []


# ---------------------------------------------------------------- text helpers


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("3.\n2", "3.2"),
        ("1\n.5", "1.5"),
        ("10,\n000", "10,000"),
        ("40\n20", "40 20"),
        ("Average\nlateral\nsize (nm)", "Average lateral size (nm)"),
        ("rms rough-\nness for", "rms rough-ness for"),
        ("3.5\uf0a0×\uf0a0109", "3.5 × 109"),
        ("  cm\u22122\u2009 ", "cm−2"),
        ("\u2212\u20090.4", "− 0.4"),
        ("ﬁeld\u00ad", "field"),
        ("", ""),
    ],
)
def test_clean_cell_text(raw, clean):
    assert clean_cell_text(raw) == clean


@pytest.mark.parametrize(
    ("text", "numeric"),
    [
        ("0.45", True),
        ("−3.6 × 10−24", True),
        ("114 ± 11", True),
        ("4.2–15 K", True),
        ("3.8%", True),
        ("∼24", True),
        ("10,000", True),
        ("Sample#1", False),
        ("3 MeV protons", False),
        ("Test 1", False),
        ("T (K)", False),
        ("—", False),
    ],
)
def test_is_numeric(text, numeric):
    assert is_numeric(text) is numeric


def test_layout_sessions_run_on_one_thread():
    """find_tables() rebuilds the pymupdf-layout ONNX sessions with one intra-op thread (CPU time, same tables)."""
    import onnxruntime as ort

    fn = getattr(pymupdf, "_get_layout", None)
    model = next((c.cell_contents for c in (getattr(fn, "__closure__", None) or ())), None)
    model = getattr(model, "_model", model)
    if model is None:
        pytest.skip("pymupdf-layout not active")
    tables._layout_one_thread()
    owners = [model, getattr(model, "feature_extractor", None), getattr(model, "table_grid_extractor", None)]
    sessions = [v for o in owners if o is not None for v in vars(o).values() if isinstance(v, ort.InferenceSession)]
    assert sessions
    assert all(s.get_session_options().intra_op_num_threads == 1 for s in sessions)

"""JATS (PMC) parser: a hand-written PMC-style article (SOFC-Exp ships PDF text, not JATS), hostile XML."""

from __future__ import annotations

import pytest

from pipeline.errors import BadInputError
from pipeline.parse.jats import licence_from_url, parse_jats
from pipeline.parse.sentences import add_sentences
from schemas.document import BlockKind
from tests.conftest import FIXTURES

ARTICLE = FIXTURES / "jats" / "pmc_sofc_cathode.xml"


@pytest.fixture(scope="module")
def doc():
    return parse_jats(ARTICLE, "jats0001")


def _kind(doc, kind):
    return [b for b in doc.blocks if b.kind == kind]


def _block_with(doc, start):
    return next(b for b in doc.blocks if b.text.startswith(start))


def test_metadata(doc):
    md = doc.metadata
    assert doc.parser == "jats@1" and doc.paper_id == "jats0001"
    assert md.title == "Oxygen Reduction Kinetics of Ba0.5Sr0.5Co0.8Fe0.2O3−δ Cathodes on Gd-Doped Ceria"
    assert md.doi == "10.3390/ma99990001"
    assert md.authors == ["Anna K. Müller", "Hiroshi Tanaka"]  # the editor is not an author
    assert md.journal == "Materials"
    assert md.year == 2021  # epub preferred over the collection date
    assert md.licence == "cc-by-4.0"


def test_ids_are_sequential_in_document_order(doc):
    assert [b.id for b in doc.blocks] == [f"b{i}" for i in range(len(doc.blocks))]
    assert [t.id for t in doc.tables] == ["t0"] and [f.id for f in doc.figures] == ["f0"]
    assert doc.blocks[0].kind == BlockKind.title and doc.blocks[0].text == doc.metadata.title
    assert doc.blocks[1].kind == BlockKind.abstract
    assert doc.blocks[-1].kind == BlockKind.reference


def test_sections_and_headings(doc):
    heads = [(b.text, b.label, b.section) for b in _kind(doc, BlockKind.heading)]
    assert heads[:4] == [
        ("Introduction", None, ["Introduction"]),
        ("2 Materials and Methods", "2", ["2 Materials and Methods"]),
        ("2.1 Sample Preparation", "2.1", ["2 Materials and Methods", "2.1 Sample Preparation"]),
        ("2.2 Impedance Analysis", "2.2", ["2 Materials and Methods", "2.2 Impedance Analysis"]),
    ]
    assert ("Acknowledgments", None, ["Acknowledgments"]) in heads
    para = _block_with(doc, "Powders were calcined")
    assert para.section == ["2 Materials and Methods", "2.1 Sample Preparation"]
    assert _block_with(doc, "Thin-film").section == ["Abstract"]


def test_inline_markup_is_flattened(doc):
    intro = _block_with(doc, "Solid oxide fuel cells")
    assert "electricity [1,2]." in intro.text
    assert "10−6 mol cm−2 s−1 [3]." in intro.text  # superscript citation bracketed, not glued to "s−1"
    assert "The superconductor MgB2 is" in intro.text
    assert "such as BSCF reach" in intro.text  # <italic>
    assert "(see Ref. [4])" in intro.text
    assert (
        _block_with(doc, "The diffusion coefficient").text == "The diffusion coefficient is D=10−8 cm2 s−1 at 700 °C."
    )


def test_paragraph_is_split_around_display_formula(doc):
    before = _block_with(doc, "The area-specific resistance was computed as")
    i = doc.blocks.index(before)
    eq, after = doc.blocks[i + 1], doc.blocks[i + 2]
    assert before.text == "The area-specific resistance was computed as"
    assert eq.kind == BlockKind.equation and eq.label == "(1)" and eq.text.startswith("Rp=")
    assert after.kind == BlockKind.paragraph and after.text == "where A is the electrode area."
    second = [b for b in _kind(doc, BlockKind.equation) if b.label == "(2)"]
    assert [b.text for b in second] == ["k=k0"]  # one rendering of <alternatives>, not MathML + TeX


def test_lists(doc):
    assert _block_with(doc, "(i)").text == "(i) dry air;"
    assert _block_with(doc, "(ii)").text == "(ii) humidified air with 3% H2O."


def test_figure(doc):
    (fig,) = doc.figures
    assert fig.label == "Figure 1" and fig.source == "jats" and fig.page is None and fig.bbox is None
    cap = doc.block(fig.caption_id)
    assert cap.kind == BlockKind.caption and cap.label == "Figure 1"
    assert cap.text == fig.caption
    assert cap.text.startswith("Cross-section of the BSCF/GDC cell. (a) SEM image after annealing at 950 °C.")


def test_table_grid_with_rowspan_and_colspan(doc):
    (t,) = doc.tables
    assert t.label == "Table 1" and t.source == "jats" and t.page is None
    assert t.caption == "Polarization resistance Rp of BSCF on GDC." == doc.block(t.caption_id).text
    assert (t.n_rows, t.n_cols, t.header_rows) == (5, 4, 2)
    cells = {(c.row, c.col): c for c in t.cells}
    assert (cells[0, 0].text, cells[0, 0].row_span, cells[0, 0].col_span) == ("Sample", 2, 1)
    assert (cells[0, 1].text, cells[0, 1].col_span) == ("Rp (Ω cm2)", 2)
    assert (cells[0, 3].text, cells[0, 3].row_span) == ("Ea (eV)", 2)
    assert cells[1, 1].text == "600 °C" and cells[1, 2].text == "700 °C"  # placed right of the rowspan
    assert (cells[2, 0].text, cells[2, 0].row_span) == ("BSCF a", 2)  # footnote mark kept apart
    assert [cells[3, c].text for c in (1, 2, 3)] == ["0.06", "0.013", "1.18"]  # shifted past BSCF's rowspan
    assert (cells[4, 1].text, cells[4, 1].col_span, cells[4, 3].text) == ("n.d.", 2, "1.45")
    assert all(c.is_header == (c.row < 2) for c in t.cells)
    covered = [(c.row + dr, c.col + dc) for c in t.cells for dr in range(c.row_span) for dc in range(c.col_span)]
    assert sorted(covered) == [(r, c) for r in range(5) for c in range(4)]  # each slot exactly once
    (fn,) = [doc.block(i) for i in t.footnote_ids]
    assert fn.kind == BlockKind.footnote and fn.label == "a" and fn.text == "Two films of the same batch."


def test_references(doc):
    refs = _kind(doc, BlockKind.reference)
    assert [r.label for r in refs] == ["[1]", "[2]", "[3]", "[4]"]
    assert refs[0].text.startswith("Minh N.Q. Ceramic fuel cells. J. Am. Ceram. Soc. 1993. 76. 563–588")
    assert refs[1].text.startswith("Shao Z., Haile S.M.") and "Nature 2004; 431: 170–173." in refs[1].text
    assert all(r.section == ["References"] for r in refs)
    assert not any(b.kind == BlockKind.reference for b in doc.body_blocks())


def test_back_matter_footnote(doc):
    assert any(b.text == "The authors declare no conflict of interest." for b in _kind(doc, BlockKind.footnote))


def test_no_layout(doc):
    assert all(b.prov == [] and b.lines == [] for b in doc.blocks)
    assert doc.pages == [] and doc.warnings == []


def test_sentences_on_jats(doc):
    d = doc.model_copy(deep=True)
    add_sentences(d)
    texts = [s.text for s in d.sentences if s.block_id == _block_with(d, "Solid oxide").id]
    assert texts[2] == "The superconductor MgB2 is not relevant here, e.g., at 39 K."
    assert texts[3] == "Fig. 1 shows the cell (see Ref. [4])."


def test_licence_from_url():
    assert licence_from_url("http://creativecommons.org/licenses/by-nc-nd/3.0/") == "cc-by-nc-nd-3.0"
    assert licence_from_url("https://creativecommons.org/publicdomain/zero/1.0/") == "cc0-1.0"
    assert licence_from_url("https://example.org/terms") == "https://example.org/terms"
    assert licence_from_url("  ") is None


# -- hostile and broken input -----------------------------------------------------------------------------------


def test_malformed_xml_names_file_and_position(tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_text(
        '<?xml version="1.0"?>\n<article>\n  <body>\n    <p>unclosed <italic>text</p>\n  </body>\n</article>\n'
    )
    with pytest.raises(BadInputError) as e:
        parse_jats(bad, "x")
    msg = str(e.value)
    assert "broken.xml" in msg and "line 4" in msg and "column" in msg


def test_truncated_and_empty_files(tmp_path):
    cut = tmp_path / "cut.xml"
    cut.write_bytes(ARTICLE.read_bytes()[:3000])
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    for path in (cut, empty):
        with pytest.raises(BadInputError, match=path.name):
            parse_jats(path, "x")


def test_not_an_article(tmp_path):
    other = tmp_path / "other.xml"
    other.write_text("<html><body><p>hi</p></body></html>")
    with pytest.raises(BadInputError, match="not a JATS article"):
        parse_jats(other, "x")


LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE article [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<article><body><sec><title>T</title><p>&lol9;</p></sec></body></article>
"""


def test_billion_laughs_is_refused_fast(tmp_path):
    bomb = tmp_path / "laughs.xml"
    bomb.write_text(LAUGHS)
    with pytest.raises(BadInputError, match="laughs.xml"):
        parse_jats(bomb, "x")
    # no time assertion here: speed is measured by `make bench` (timed tests are flaky on shared CPUs)


def test_small_internal_entity_is_refused(tmp_path):
    f = tmp_path / "entity.xml"
    f.write_text(
        '<?xml version="1.0"?><!DOCTYPE article [<!ENTITY e "hello">]><article><body><p>&e;</p></body></article>'
    )
    with pytest.raises(BadInputError, match="entities"):
        parse_jats(f, "x")


def test_external_entity_is_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    f = tmp_path / "xxe.xml"
    f.write_text(
        f'<?xml version="1.0"?><!DOCTYPE article [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        "<article><body><p>leak: &xxe;</p></body></article>"
    )
    with pytest.raises(BadInputError) as e:
        parse_jats(f, "x")
    assert "TOP-SECRET" not in str(e.value)


def test_parse_stage_on_a_jats_paper(work):
    """Through ParseStage's parse_paper: dispatch by media type, sentences added, JSON round trip."""
    import shutil
    from datetime import datetime, timezone

    from pipeline.config import Config
    from pipeline.parse.stage import parse_paper
    from pipeline.workdir import WorkDir, atomic_write_model
    from schemas.document import Paper, ParsedDocument, paper_id_for, sha256_bytes

    data = ARTICLE.read_bytes()
    sha = sha256_bytes(data)
    pid = paper_id_for(sha)
    wd = WorkDir(work)
    wd.papers_dir.mkdir(parents=True)
    shutil.copy(ARTICLE, wd.papers_dir / f"{pid}.xml")
    paper = Paper(
        paper_id=pid,
        sha256=sha,
        media_type="jats",
        path=f"papers/{pid}.xml",
        bytes=len(data),
        doi="10.9/other",
        source=str(ARTICLE),
        fetched_at=datetime.now(timezone.utc),
    )
    atomic_write_model(wd.paper_json(pid), paper)
    doc = parse_paper(wd, pid, Config())
    assert doc.metadata.doi == "10.3390/ma99990001"  # the file's own DOI wins over fetch metadata
    assert doc.sentences and all(s.text == doc.block(s.block_id).text[s.span.start : s.span.end] for s in doc.sentences)
    assert ParsedDocument.model_validate_json(doc.model_dump_json()) == doc


def test_named_entities_with_an_external_dtd_are_not_lost(tmp_path):
    """The DTD is never loaded, so &nbsp; stays unresolved in the tree: rendered from a fixed HTML table."""
    f = tmp_path / "entities.xml"
    f.write_text(
        '<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.2//EN" '
        '"JATS-archivearticle1.dtd"><article><body><p>Tc&nbsp;=&nbsp;39&thinsp;K&mdash;high &unknown;end</p>'
        "</body></article>"
    )
    (block,) = parse_jats(f, "x").blocks
    assert block.text == "Tc = 39 K—high end"  # (unicode spaces normalised like all whitespace)

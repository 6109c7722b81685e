"""GROBID TEI parser on the real TEI files in ../shared/data/grobid_tei (three with their PDFs), a hand-written
sentence-segmented TEI, and the GROBID client against a closed port and a loopback HTTP server."""

from __future__ import annotations

import http.server
import socket
import threading
import unicodedata
from pathlib import Path

import pytest
from lxml import etree

from pipeline.config import ParseConfig
from pipeline.errors import BadInputError, RetryableError
from pipeline.parse.grobid import COORDINATES, parse_pdf_with_grobid
from pipeline.parse.sentences import add_sentences
from pipeline.parse.tei import parse_coords, parse_tei, parse_tei_bytes
from schemas.document import BlockKind
from tests.conftest import FIXTURES, shared_data

TEI_NS = {"t": "http://www.tei-c.org/ns/1.0"}
WITH_COORDS = "0046d83a-edd6-4631-b57c-755cdcce8b7f"
SEGMENTED = FIXTURES / "tei" / "segmented_sentences.tei.xml"


def tei_dir() -> Path:
    return shared_data("grobid_tei")


def all_teis() -> list[str]:
    return [
        "0046d83a-edd6-4631-b57c-755cdcce8b7f.tei.xml",
        "10.1038_s41477-023-01501-1.grobid.tei.xml",
        "10.1038_s41586-023-05895-y.grobid.tei.xml",
        "10.1038_s41598-023-32039-z.grobid.tei.xml",
        "10.1371_journal.pone.0218311.grobid.tei.xml",
        "10.7554_elife.78558.grobid.tei.xml",
        "2020.acl-main.207.tei.xml",
        "2021.naacl-main.224.grobid.tei.xml",
        "N18-3011.tei.xml",
        "ijms-24-05988.grobid.tei.xml",
    ]


def fold(s: str) -> str:
    """Lowercase, accents and whitespace folded (PDF text and TEI differ in both)."""
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return " ".join(s.lower().split())


@pytest.fixture(scope="module")
def parsed() -> dict[str, object]:
    root = tei_dir()
    return {name: parse_tei(root / name, name.split(".tei")[0]) for name in all_teis()}


# -- the real TEI files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", all_teis())
def test_counts_match_the_tei(parsed, name):
    """Figures, tables, references and footnotes: as many as the TEI has elements for; ids in order."""
    doc = parsed[name]
    xml = etree.parse(str(tei_dir() / name))
    n_fig = len(xml.xpath("//t:text//t:figure[not(@type='table')]", namespaces=TEI_NS))
    n_tab = len(xml.xpath("//t:text//t:figure[@type='table']", namespaces=TEI_NS))
    n_ref = len(xml.xpath("//t:back//t:div[@type='references']//t:biblStruct", namespaces=TEI_NS))
    n_foot = len(xml.xpath("//t:text//t:note[@place='foot']", namespaces=TEI_NS))
    assert doc.parser == "tei@1"
    assert len(doc.figures) == n_fig and len(doc.tables) == n_tab
    assert len([b for b in doc.blocks if b.kind == BlockKind.reference]) == n_ref > 0
    table_notes = {i for t in doc.tables for i in t.footnote_ids}
    assert len([b for b in doc.blocks if b.kind == BlockKind.footnote and b.id not in table_notes]) == n_foot
    assert [b.id for b in doc.blocks] == [f"b{i}" for i in range(len(doc.blocks))]
    assert [t.id for t in doc.tables] == [f"t{i}" for i in range(n_tab)]
    assert all(f.source == "tei" for f in doc.figures) and all(t.source == "tei" for t in doc.tables)
    for item in doc.figures + doc.tables:
        if item.caption_id:
            assert doc.block(item.caption_id).kind == BlockKind.caption
    assert not any(b.kind == BlockKind.reference for b in doc.body_blocks())


@pytest.mark.parametrize("name", all_teis())
def test_header_matches_the_tei(parsed, name):
    doc = parsed[name]
    xml = etree.parse(str(tei_dir() / name))
    title = xml.xpath("string(//t:teiHeader//t:titleStmt/t:title)", namespaces=TEI_NS).strip()
    dois = xml.xpath("//t:teiHeader//t:sourceDesc//t:idno[@type='DOI']/text()", namespaces=TEI_NS)
    assert doc.metadata.title == (" ".join(title.split()) or None)
    assert doc.metadata.doi == (dois[0].strip() if dois else None)
    if doc.metadata.title:
        assert doc.blocks[0].kind == BlockKind.title and doc.blocks[0].text == doc.metadata.title
    assert doc.metadata.authors and all(a.strip() == a and a for a in doc.metadata.authors)


@pytest.mark.parametrize("name", all_teis())
def test_sentences_and_json_round_trip(parsed, name):
    from schemas.document import ParsedDocument

    doc = parsed[name].model_copy(deep=True)
    add_sentences(doc)
    assert len(doc.sentences) > 100
    for s in doc.sentences:
        assert s.text == doc.block(s.block_id).text[s.span.start : s.span.end]
        assert all(s.span.start <= p.span.start <= p.span.end <= s.span.end for p in s.prov)
    assert ParsedDocument.model_validate_json(doc.model_dump_json()) == doc


def test_known_values(parsed):
    md = parsed["0046d83a-edd6-4631-b57c-755cdcce8b7f.tei.xml"].metadata
    assert md.doi == "10.1186/s12984-016-0129-6" and md.year == 2016
    assert md.journal == "Journal of NeuroEngineering and Rehabilitation"
    assert md.authors[0] == "Cristiano De Marchis"
    assert parsed["2020.acl-main.207.tei.xml"].metadata.title.startswith("SPECTER: Document-level Representation")
    assert parsed["ijms-24-05988.grobid.tei.xml"].metadata.doi == "10.3390/ijms24065988"


def test_nature_plants_header_failure_does_not_crash(parsed):
    """GROBID took "nature plants Article" for the title: kept as is, and the body still parses."""
    doc = parsed["10.1038_s41477-023-01501-1.grobid.tei.xml"]
    assert doc.metadata.title == "nature plants Article"
    assert len([b for b in doc.blocks if b.kind == BlockKind.paragraph]) > 30
    add_sentences(doc)
    assert len(doc.sentences) > 200


def test_numbered_sections_nest_and_repeats_are_dropped(parsed):
    doc = parsed["ijms-24-05988.grobid.tei.xml"]
    heads = [b for b in doc.blocks if b.kind == BlockKind.heading]
    labels = [h.label for h in heads if h.label]
    assert len(labels) == len(set(labels)), "GROBID's repeated heads appear once"
    sub = next(h for h in heads if h.label == "2.1.1")
    assert sub.text == "2.1.1 Quantification and Characterization of Total Fatty Acids"
    assert sub.section == [
        "2 Results",
        "2.1 Characterization of Lipid Profiles of Different Leukemic Cell Lines",
        "2.1.1 Quantification and Characterization of Total Fatty Acids",
    ]
    paragraphs = [" ".join(b.text.split()) for b in doc.blocks if b.kind == BlockKind.paragraph]
    assert len(paragraphs) == len(set(paragraphs))
    assert any("repeated heading" in w for w in doc.warnings) and any("repeated paragraph" in w for w in doc.warnings)
    first = next(b for b in doc.blocks if b.text.startswith("The overall quantification"))
    assert first.section[-1].startswith("2.1.1 ")


def test_unnumbered_head_under_numbered(parsed):
    doc = parsed["2020.acl-main.207.tei.xml"]
    head = next(b for b in doc.blocks if b.kind == BlockKind.heading and b.text == "Document Representation")
    assert head.label is None and head.section[-2].startswith("2.2 ") and len(head.section) == 3


def test_tables(parsed):
    doc = parsed["2021.naacl-main.224.grobid.tei.xml"]
    with_cells = [t for t in doc.tables if t.cells]
    assert with_cells
    for t in with_cells:
        assert t.n_rows >= 1 and t.n_cols >= 1
        covered = [(c.row, c.col + dc) for c in t.cells for dc in range(c.col_span)]
        assert len(covered) == len(set(covered)) and max(r for r, _ in covered) < t.n_rows
        assert ("header_guessed" in t.flags) == (t.header_rows == 1)
    t6 = next(t for t in doc.tables if t.label == "Table 6")
    assert [c.text for c in t6.cells if c.row == 0] == ["Premise", "Dev", "α1", "α2", "α3"]
    assert all(c.is_header for c in t6.cells if c.row == 0) and "header_guessed" in t6.flags
    spanning = next(c for c in t6.cells if c.row == 1 and c.col == 1)
    assert (spanning.col_span, spanning.text) == (4, "77.61 75.06 69.02 64.61")
    empty = [t for t in parsed["2020.acl-main.207.tei.xml"].tables if "no_cells" in t.flags]
    assert empty and all(t.cells == [] for t in empty)


# -- coordinates against the PDF --------------------------------------------------------------------------------


def test_pages_from_facsimile_match_the_pdf(parsed):
    import pymupdf

    doc = parsed[f"{WITH_COORDS}.tei.xml"]
    pdf = pymupdf.open(tei_dir() / f"{WITH_COORDS}.pdf")
    assert len(doc.pages) == len(pdf)
    for page, pdf_page in zip(doc.pages, pdf, strict=True):
        assert abs(page.width - pdf_page.rect.width) < 1 and abs(page.height - pdf_page.rect.height) < 1


def test_boxes_cover_the_text_the_tei_says(parsed):
    """Reference, formula and caption boxes: the PDF text inside the first box starts what the TEI says."""
    import pymupdf

    doc = parsed[f"{WITH_COORDS}.tei.xml"]
    pdf = pymupdf.open(tei_dir() / f"{WITH_COORDS}.pdf")

    pages = [pdf[i] for i in range(len(pdf))]
    textpages = [p.get_textpage() for p in pages]

    def box_text(prov) -> str:
        assert 1 <= prov.page <= len(pdf) and prov.origin == "tei"
        page, rect = pages[prov.page - 1], pymupdf.Rect(prov.bbox.as_tuple())
        assert page.rect.contains(rect)
        return fold(page.get_textbox(rect, textpage=textpages[prov.page - 1]))

    words = [p.get_text("words", textpage=tp) for p, tp in zip(pages, textpages, strict=True)]

    def words_in(prov) -> str:  # what get_textbox gives, from one word list per page (get_textbox is slow)
        r = prov.bbox
        inside = [
            w for w in words[prov.page - 1] if r.x0 <= (w[0] + w[2]) / 2 <= r.x1 and r.y0 <= (w[1] + w[3]) / 2 <= r.y1
        ]
        return fold(" ".join(w[4] for w in inside))

    refs = [b for b in doc.blocks if b.kind == BlockKind.reference]
    assert len(refs) == 49 and all(b.prov for b in refs)
    for b in refs:
        surname = fold(b.text.split(",")[0].split()[0])
        assert surname in words_in(b.prov[0]), b.text
    assert fold(refs[0].text.split(",")[0].split()[0]) in box_text(refs[0].prov[0])
    equations = [b for b in doc.blocks if b.kind == BlockKind.equation]
    assert len(equations) == 2
    assert fold(equations[0].text)[:4] in box_text(equations[0].prov[0])  # "fext"
    captions = [b for b in doc.blocks if b.kind == BlockKind.caption]
    assert len(captions) == 4
    for b in captions:
        assert fold(b.text)[:25] in box_text(b.prov[0]) + " " + box_text(b.prov[-1]), b.text
    # a paragraph without coords has no prov, and its start is on a page of the PDF
    para = next(b for b in doc.blocks if b.kind == BlockKind.paragraph)
    assert para.prov == []
    assert fold(para.text[:60]) in fold(pdf[0].get_text())


def test_figure_region_from_coords(parsed):
    doc = parsed[f"{WITH_COORDS}.tei.xml"]
    fig = doc.figures[0]
    assert fig.label == "Fig. 2" and fig.page == 5
    assert (fig.bbox.x0, fig.bbox.y0) == (62.70, 289.74)
    assert fig.bbox.x1 == pytest.approx(62.70 + 469.58) and fig.bbox.y1 == pytest.approx(300.01 + 7.06)


@pytest.mark.parametrize("stem", ["N18-3011", "2020.acl-main.207", WITH_COORDS])
def test_title_is_on_the_first_pdf_page(parsed, stem):
    import pymupdf

    name = next(n for n in all_teis() if n.startswith(stem))
    pdf = pymupdf.open(tei_dir() / f"{stem}.pdf")
    assert fold(parsed[name].metadata.title) in fold(pdf[0].get_text())


def test_parse_coords():
    provs = parse_coords("5,62.70,289.74,469.58,7.36;5,62.70,300.01,329.14,7.06; junk;0,1,2,3,4;6,1,2,x,4")
    assert [p.page for p in provs] == [5, 5]
    assert provs[0].bbox.as_tuple() == pytest.approx((62.70, 289.74, 62.70 + 469.58, 289.74 + 7.36))
    assert all(p.origin == "tei" for p in provs)
    assert parse_coords(None) == [] and parse_coords("") == []


# -- a TEI with <s> coordinates (hand-written, GROBID's segmentSentences shape) ----------------------------------


def test_sentence_coords_become_sentence_boxes():
    doc = parse_tei(SEGMENTED, "seg")
    md = doc.metadata
    assert (md.doi, md.arxiv_id, md.year, md.licence) == ("10.1234/jem.2019.007", "1905.00001v2", 2019, "cc-by-4.0")
    assert md.authors == ["Jane Q Doe", "Kenji Sato"] and md.journal == "Journal of Example Materials"
    para = next(b for b in doc.blocks if b.text.startswith("The critical temperature"))
    assert para.text == "The critical temperature of MgB2 is 39 K [1]. Its gap is 7.1 meV."
    assert [(p.span.start, p.span.end) for p in para.prov] == [(0, 45), (0, 45), (46, 65)]  # per <s>, not per <p>
    add_sentences(doc)
    s0, s1 = doc.sentences_of(para.id)
    assert s0.text == "The critical temperature of MgB2 is 39 K [1]." and s1.text == "Its gap is 7.1 meV."
    assert [p.bbox.y0 for p in s0.prov] == [320.0, 332.0]  # two line boxes of the first <s>
    assert [(p.bbox.x0, p.bbox.y0) for p in s1.prov] == [(196.0, 332.0)]
    plain = next(b for b in doc.blocks if b.text.startswith("Twelve samples"))
    assert [(p.page, p.span.start, p.span.end) for p in plain.prov] == [(1, 0, len(plain.text))]  # <p> coords
    nocoords = next(b for b in doc.blocks if b.text.startswith("Films were grown"))
    assert nocoords.prov == [] and nocoords.text == "Films were grown at 550 °C. No coordinates here."


def test_segmented_structure():
    doc = parse_tei(SEGMENTED, "seg")
    heads = [(b.text, b.section) for b in doc.blocks if b.kind == BlockKind.heading]
    assert heads == [
        ("1 Introduction", ["1 Introduction"]),
        ("2 Methods", ["2 Methods"]),
        ("2.1 Growth", ["2 Methods", "2.1 Growth"]),
        ("Samples", ["2 Methods", "2.1 Growth", "Samples"]),
    ]
    assert doc.warnings == ["tei: dropped 1 repeated heading"]
    after = next(b for b in doc.blocks if b.text.startswith("A repeated head"))
    assert after.section == ["2 Methods", "2.1 Growth"]
    eq = next(b for b in doc.blocks if b.kind == BlockKind.equation)
    assert (eq.text, eq.label, eq.prov[0].page) == ("Tc = 39 K", "(1)", 1)
    (t,) = doc.tables
    assert (t.label, t.caption, t.page, t.n_rows, t.n_cols, t.header_rows) == (
        "Table 1",
        "Film properties.",
        2,
        3,
        3,
        1,
    )
    assert [c.text for c in t.cells if c.is_header] == ["Film", "Tc (K)", "Gap (meV)"]
    assert [doc.block(i).text for i in t.footnote_ids] == ["Measured at 0 T."]
    (fig,) = doc.figures
    assert fig.label == "Fig. 1" and fig.page == 2 and fig.bbox.y1 == 300.0
    foot = next(b for b in doc.blocks if b.kind == BlockKind.footnote and b.label == "1")
    assert foot.text == "Now at Example University." and foot.prov[0].page == 2
    refs = [b for b in doc.blocks if b.kind == BlockKind.reference]
    assert refs[0].text == (
        "Nagamatsu Jun, Akimitsu Jun. Superconductivity at 39 K in magnesium diboride. "
        "Nature 410, 63–64 (2001). doi:10.1038/35065039"
    )
    assert refs[1].text == "Doe J. A raw one. Phys. Rev. B 65, 1 (2002)."  # GROBID's raw string when kept
    assert [p.page for p in refs[0].prov] == [2] and refs[1].prov == []


def test_malformed_and_foreign_tei(tmp_path):
    bad = tmp_path / "bad.tei.xml"
    bad.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>open</body></text></TEI>')
    with pytest.raises(BadInputError, match=r"bad\.tei\.xml: malformed XML at line 1"):
        parse_tei(bad, "x")
    with pytest.raises(BadInputError, match="not a TEI document"):
        parse_tei_bytes(b"<article/>", "x", "response")


# -- GROBID client ----------------------------------------------------------------------------------------------


@pytest.fixture
def no_proxy(monkeypatch):
    for var in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_server(no_proxy, tmp_path):
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(RetryableError, match=f"GROBID server not reachable at {url}"):
        parse_pdf_with_grobid(pdf, "x", ParseConfig(grobid_url=url, grobid_timeout_s=5))


class FakeGrobid:
    """A loopback HTTP server answering /api/isalive and /api/processFulltextDocument like GROBID does."""

    def __init__(self, status: int = 200, body: bytes = b"", alive: int = 200):
        self.status, self.body, self.alive = status, body, alive
        self.requests: list[tuple[str, bytes]] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, ctype: str):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                fake.requests.append((self.path, b""))
                if self.path.startswith("/api/isalive"):
                    self._send(fake.alive, b"true", "text/plain")
                else:
                    self._send(404, b"", "text/plain")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.requests.append((self.path, body))
                if self.path == "/api/processFulltextDocument":
                    self._send(fake.status, fake.body, "application/xml")
                else:
                    self._send(404, b"", "text/plain")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.network
def test_client_round_trip_with_a_real_tei(no_proxy):
    root = tei_dir()
    pdf = root / f"{WITH_COORDS}.pdf"
    tei = (root / f"{WITH_COORDS}.tei.xml").read_bytes()
    with FakeGrobid(body=tei) as server:
        doc = parse_pdf_with_grobid(pdf, "p1", ParseConfig(grobid_url=server.url + "/", grobid_timeout_s=10))
    assert doc.parser == "tei@1" and doc.paper_id == "p1"
    assert doc.metadata.doi == "10.1186/s12984-016-0129-6" and len(doc.figures) == 4
    assert any(b.prov for b in doc.blocks if b.kind == BlockKind.reference)
    assert doc.blocks == parse_tei(root / f"{WITH_COORDS}.tei.xml", "p1").blocks  # same text, "±" and "°" intact
    paths = [p for p, _ in server.requests]
    assert paths[0] == "/api/isalive" and paths[-1] == "/api/processFulltextDocument"
    body = server.requests[-1][1]
    assert pdf.read_bytes()[:2000] in body  # the PDF itself was posted
    assert b'name="consolidateHeader"\r\n\r\n1' in body and b'name="segmentSentences"\r\n\r\n1' in body
    sent = [
        part.split(b"\r\n\r\n", 1)[1].split(b"\r\n", 1)[0].decode()
        for part in body.split(b"--")
        if b'name="teiCoordinates"' in part
    ]
    assert sent == COORDINATES and {"p", "s", "head", "figure", "formula", "biblStruct"} <= set(sent)


@pytest.mark.network
@pytest.mark.parametrize(
    "status,body,alive,error,match",
    [
        (503, b"", 200, RetryableError, "busy|unavailable"),
        (500, b"[BAD_INPUT_DATA] PDF to XML conversion failed", 200, BadInputError, "BAD_INPUT_DATA"),
        (204, b"", 200, BadInputError, "no TEI"),
        (200, b"<TEI><text>cut", 200, BadInputError, "malformed XML"),
        (200, b"", 500, RetryableError, "not alive"),
    ],
)
def test_client_errors(no_proxy, tmp_path, status, body, alive, error, match):
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with FakeGrobid(status=status, body=body, alive=alive) as server:
        with pytest.raises(error, match=match):
            parse_pdf_with_grobid(pdf, "x", ParseConfig(grobid_url=server.url, grobid_timeout_s=5))
    assert len(server.requests) <= 2  # a 503 is not retried in a loop


def test_missing_pdf(tmp_path):
    with pytest.raises(BadInputError, match="no such file"):
        parse_pdf_with_grobid(tmp_path / "none.pdf", "x", ParseConfig(grobid_url="http://127.0.0.1:9"))

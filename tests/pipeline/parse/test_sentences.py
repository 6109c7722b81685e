"""Sentence splitting: hand cases for every rule, spans/ids/prov on ParsedDocument, real corpus sentences."""

from __future__ import annotations

import csv
import re

import pytest

from pipeline.parse.sentences import add_sentences, split
from schemas.document import Block, BlockKind, Line, ParsedDocument, Word
from schemas.geometry import BBox, CharSpan, Prov
from tests.conftest import shared_data


def sents(text: str) -> list[str]:
    return [text[a:b] for a, b in split(text)]


# -- rules ------------------------------------------------------------------------------------------------------

NO_SPLIT = [
    "As shown in Fig. 3 the gap opens.",
    "As shown in Figs. 3 and 4 the gap opens.",
    "Using Eq. 2 we obtain the rate.",
    "Using Eqs. 2 and 3 we obtain the rate.",
    "This was shown in Ref. 12 for thin films.",
    "This was shown in Refs. 12 and 14 for thin films.",
    "Smith et al. (2019) measured the gap.",
    "Smith et al. [12] measured the gap.",
    "Oxides, e.g. ZnO, were used.",
    "Oxides, i.e. ZnO and TiO2, were used.",
    "The films were ca. 200 nm thick.",
    "The films were approx. 200 nm thick.",
    "Tc vs. P is plotted.",
    "The trend agrees, cf. Table 2 for details.",
    "Sample No. 5 was annealed.",
    "Values are listed in Tab. 1 for all films.",
    "The method is explained in Sec. 2 of the supplement.",
    "The gaps are 1.1 and 3.4 eV at resp. 300 K and 4 K.",
    "The data of J. Smith were reused.",
    "The data of J. R. Smith were reused.",
    "The gap is 3.2 eV at room temperature.",
    "YBa2Cu3O7−δ becomes superconducting at 92 K in zero field.",
    "The capacity reached 150 mA h g−1 after 100 cycles.",
    "The La2−xSrxCuO4 films (x = 0.15) were measured.",
    "Two phases form [12, 13] above 900 °C.",
    "The sample (annealed at 700 °C. See the methods) was cooled.",
    "The concentration was 0.4–0.6 wt. % in all samples.",
    "The mean value is approx. the same for all samples.",
]


@pytest.mark.parametrize("text", NO_SPLIT)
def test_no_split(text):
    assert sents(text) == [text]


SPLIT = [
    ("The gap is 3.2 eV. The films are transparent.", ["The gap is 3.2 eV.", "The films are transparent."]),
    ("Tc is reached at 77 K. Next, the field was applied.", ["Tc is reached at 77 K.", "Next, the field was applied."]),
    ("It was held at 615 ± 15 °C. Measurements followed.", ["It was held at 615 ± 15 °C.", "Measurements followed."]),
    ("The anneal took 2 h. Once cooled, it was cut.", ["The anneal took 2 h.", "Once cooled, it was cut."]),
    ("The capacity is 150 mA h g−1. 25 cells were built.", ["The capacity is 150 mA h g−1.", "25 cells were built."]),
    ("We doped it with vitamin C. The color changed.", ["We doped it with vitamin C.", "The color changed."]),
    ("Is it metallic? No, it is not!", ["Is it metallic?", "No, it is not!"]),
    ("It was reported.12,13 The films grow fast.", ["It was reported.12,13", "The films grow fast."]),
    ("It was reported [12, 13]. The films grow fast.", ["It was reported [12, 13].", "The films grow fast."]),
    ("It was reported. [12] The films grow fast.", ["It was reported. [12]", "The films grow fast."]),
    ("It is “metallic.” Then it turns insulating.", ["It is “metallic.”", "Then it turns insulating."]),
    ("The cell is shown (see Fig. 2). It is small.", ["The cell is shown (see Fig. 2).", "It is small."]),
    ("Smith et al. The next study used films.", ["Smith et al.", "The next study used films."]),
    ("The gap is 2.9 eV. (In the bulk it is wider.)", ["The gap is 2.9 eV.", "(In the bulk it is wider.)"]),
]


@pytest.mark.parametrize("text,expected", SPLIT)
def test_split(text, expected):
    assert sents(text) == expected


def test_label_only_sentence_is_merged_into_the_next():
    text = "Fig. 2. XRD patterns of the films. (a) As grown."
    assert sents(text) == ["Fig. 2. XRD patterns of the films.", "(a) As grown."]


def test_spans_are_trimmed_and_cover_the_text():
    text = "  The gap is 3.2 eV.   The films are thin.\n"
    spans = split(text)
    assert spans == [(2, 20), (23, 42)]
    assert all(not text[a].isspace() and not text[b - 1].isspace() for a, b in spans)


def test_empty_text():
    assert split("") == [] and split("   \n ") == []


# -- documents --------------------------------------------------------------------------------------------------


def _doc(*blocks: Block) -> ParsedDocument:
    return ParsedDocument(paper_id="p1", parser="test", blocks=list(blocks))


def test_sentence_spans_ids_and_text_agree():
    doc = _doc(
        Block(id="b0", kind=BlockKind.title, text="Superconductivity at 39 K in MgB2. A study"),
        Block(id="b1", kind=BlockKind.heading, text="2.1. Synthesis. Results"),
        Block(id="b2", kind=BlockKind.paragraph, text=" MgB2 becomes superconducting at 39 K. See Fig. 1 for data. "),
        Block(id="b3", kind=BlockKind.reference, text="[1] J. Nagamatsu et al. Nature 410. 63 (2001)."),
        Block(id="b4", kind=BlockKind.equation, text="E = mc2. F = ma."),
        Block(id="b5", kind=BlockKind.caption, text="Fig. 1. Resistivity of MgB2. The drop is sharp."),
        Block(id="b6", kind=BlockKind.abstract, text="We report Tc = 39 K. It is high."),
        Block(id="b7", kind=BlockKind.footnote, text="Present address: Tokyo. Second line."),
    )
    add_sentences(doc)
    by_block: dict[str, list] = {}
    for s in doc.sentences:
        block = doc.block(s.block_id)
        assert s.text == block.text[s.span.start : s.span.end]
        assert s.text == s.text.strip() and s.text
        by_block.setdefault(s.block_id, []).append(s)
    for block_id, ss in by_block.items():
        assert [s.id for s in ss] == [f"{block_id}.s{k}" for k in range(len(ss))]
        assert all(a.span.end <= b.span.start for a, b in zip(ss, ss[1:], strict=False))
    assert "b3" not in by_block and "b4" not in by_block  # references and equations get no sentences
    assert [s.text for s in by_block["b0"]] == ["Superconductivity at 39 K in MgB2. A study"]  # one, unsplit
    assert [s.text for s in by_block["b1"]] == ["2.1. Synthesis. Results"]
    assert [s.text for s in by_block["b2"]] == ["MgB2 becomes superconducting at 39 K.", "See Fig. 1 for data."]
    assert [s.text for s in by_block["b5"]] == ["Fig. 1. Resistivity of MgB2.", "The drop is sharp."]
    assert len(by_block["b6"]) == 2 and len(by_block["b7"]) == 2


def test_add_sentences_is_deterministic_and_replaces():
    doc = _doc(Block(id="b0", kind=BlockKind.paragraph, text="One is 1.5 eV. Two is 2 K. Three."))
    add_sentences(doc)
    first = [s.model_dump() for s in doc.sentences]
    add_sentences(doc)
    assert [s.model_dump() for s in doc.sentences] == first
    assert len(first) == 3


def _word_block() -> Block:
    """Two lines on page 2; every word has its own box."""
    text = "The gap is 3.2 eV. The films are thin and clear."
    lines = [(0, 23, 100.0), (24, len(text), 112.0)]  # "…eV. The" | "films are thin and clear."
    out = []
    for start, end, y in lines:
        words = []
        for m in re.finditer(r"\S+", text[start:end]):
            a, b = start + m.start(), start + m.end()
            words.append(Word(start=a, end=b, bbox=BBox(x0=10.0 + 5 * a, y0=y, x1=10.0 + 5 * b, y1=y + 10)))
        box = BBox.union_all([w.bbox for w in words])
        out.append(Line(start=start, end=end, page=2, bbox=box, words=words))
    return Block(id="b0", kind=BlockKind.paragraph, text=text, lines=out)


def test_prov_is_the_union_of_exactly_the_sentence_words():
    block = _word_block()
    doc = _doc(block)
    add_sentences(doc)
    assert [s.text for s in doc.sentences] == ["The gap is 3.2 eV.", "The films are thin and clear."]
    second = doc.sentences[1]
    assert len(second.prov) == 2  # its first word ends line 1, the rest is line 2
    for prov, line in zip(second.prov, block.lines, strict=True):
        inside = [w for w in line.words if w.start >= second.span.start and w.end <= second.span.end]
        assert inside, "each line fragment has words of the sentence"
        assert prov.page == 2
        assert prov.bbox == BBox.union_all([w.bbox for w in inside])
        assert prov.item_id == "b0"
    first = doc.sentences[0]
    words = [w for w in block.lines[0].words if w.end <= first.span.end]
    assert len(first.prov) == 1 and first.prov[0].bbox == BBox.union_all([w.bbox for w in words])


def test_prov_from_block_boxes_with_spans():
    """Without lines (TEI), a sentence gets the block boxes whose span overlaps it, clipped to it."""
    text = "First sentence here. Second one there."
    provs = [
        Prov(page=3, bbox=BBox(x0=0, y0=0, x1=10, y1=10), span=CharSpan(start=0, end=20), origin="tei"),
        Prov(page=3, bbox=BBox(x0=0, y0=20, x1=10, y1=30), span=CharSpan(start=21, end=len(text)), origin="tei"),
    ]
    doc = _doc(Block(id="b0", kind=BlockKind.paragraph, text=text, prov=provs))
    add_sentences(doc)
    s0, s1 = doc.sentences
    assert [p.bbox.y0 for p in s0.prov] == [0] and [p.bbox.y0 for p in s1.prov] == [20]
    assert s1.prov[0].span == CharSpan(start=21, end=len(text)) and s1.prov[0].origin == "tei"


def test_block_without_layout_has_no_prov():
    doc = _doc(Block(id="b0", kind=BlockKind.paragraph, text="A JATS block. No boxes."))
    add_sentences(doc)
    assert len(doc.sentences) == 2 and all(s.prov == [] for s in doc.sentences)


# -- real sentences ---------------------------------------------------------------------------------------------


def test_bandgap_gold_sentences_stay_whole_and_pairs_split():
    path = shared_data("bandgap_dong_cole", "gold_records.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    gold = sorted({r["sentence"].strip() for r in rows if r["sentence"].strip()})
    assert len(gold) > 100
    whole = [s for s in gold if len(split(s)) != 1]
    assert whole == []
    ok = 0
    for a, b in zip(gold, gold[1:], strict=False):
        text = f"{a} {b}"
        ok += split(text) == [(0, len(a)), (len(a) + 1, len(text))]
    assert ok / (len(gold) - 1) >= 0.97


CLEAN_LINE = re.compile(r"[A-Z][^\n]{30,400}[a-z0-9)\]%]\.")


def test_sofc_exp_sentences():
    """SOFC-Exp texts hold one (gold) sentence per line. Well-formed lines stay whole; two joined lines split back.

    The gold is noisy (PDF text: headings glued to lines, unsplit superscript citations), hence the rates."""
    root = shared_data("sofc_exp")
    single = single_ok = pairs = pairs_ok = 0
    for path in sorted(root.glob("*/texts/*.txt")):
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").split("\n")]
        clean = [ln if CLEAN_LINE.fullmatch(ln) else None for ln in lines]
        for a, b in zip(clean, clean[1:], strict=False):
            if a:
                single += 1
                single_ok += len(split(a)) == 1
            if a and b:
                pairs += 1
                text = f"{a} {b}"
                pairs_ok += split(text) == [(0, len(a)), (len(a) + 1, len(text))]
    assert single > 3000 and pairs > 3000
    assert single_ok / single >= 0.94
    assert pairs_ok / pairs >= 0.90


def test_measeval_quantities_are_never_cut():
    root = shared_data("measeval")
    n = cut = 0
    for tsv in sorted(root.glob("*/tsv/*.tsv")):
        text = (tsv.parent.parent / "text" / f"{tsv.stem}.txt").read_text(encoding="utf-8")
        starts = [a for a, _ in split(text)]
        for row in csv.DictReader(tsv.open(encoding="utf-8"), delimiter="\t"):
            if row["annotType"] != "Quantity":
                continue
            a, b = int(row["startOffset"]), int(row["endOffset"])
            n += 1
            cut += any(a < s < b for s in starts)
    assert n > 1000 and cut == 0


def test_supermat_values_and_materials_are_never_cut():
    path = shared_data("supermat", "relations_training.csv")
    n = cut = 0
    for row in csv.DictReader(path.open(encoding="utf-8")):
        text = row["text"]
        starts = [a for a, _ in split(text)]
        for key in ("material", "tcValue", "pressure"):
            value = row[key]
            i = text.find(value) if value else -1
            if i < 0:
                continue
            n += 1
            cut += any(i < s < i + len(value) for s in starts)
    assert n > 1500 and cut == 0

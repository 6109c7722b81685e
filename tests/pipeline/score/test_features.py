"""Features and curator flags on real sentences run through text_rules + normalize."""

from __future__ import annotations

import pytest

from pipeline.score.features import FEATURES, Context, quantity_window, record_features
from tests.pipeline.score.conftest import one_record


@pytest.mark.parametrize(
    "text, feature, words",
    [
        ("The band gap of GaN was predicted to be 3.2 eV.", "hedged", "hedged wording"),
        ("The band gap of ZnO is not 2.1 eV.", "negated", "negation near the value"),
        ("The band gap of ZnO was previously reported to be 3.37 eV [12].", "cited", "cites earlier work"),
        ("Using the PBE functional, the calculated band gap of ZnO is 0.73 eV.", "gga_band_gap", "usually underestimated"),
    ],
)
def test_text_cues_on_real_sentences(text, feature, words):
    rec = one_record("doc", text)
    x, why = record_features(rec)
    assert x[feature] == 1.0
    assert any(words in w for w in why), why


def test_a_plain_measurement_has_no_warning_cues():
    rec = one_record("doc", "We measured a band gap of 3.37 eV for ZnO.")
    x, why = record_features(rec)
    assert set(x) == set(FEATURES)
    assert x["hedged"] == x["negated"] == x["cited"] == x["computed"] == 0.0
    assert x["experimental_cue"] == 1.0 and x["band_gap_property"] == 1.0
    assert why == []


def test_cue_outside_the_quantity_window_does_not_count():
    filler = "x" * 200
    rec = one_record("doc", f"It was predicted long ago {filler}; we find a band gap of 3.1 eV in GaN.")
    assert "predicted" not in quantity_window(rec)
    assert record_features(rec)[0]["hedged"] == 0.0


def test_record_without_material_or_property_is_flagged():
    from pipeline.extract import extract_texts
    from pipeline.normalize import normalize_records

    recs = normalize_records(extract_texts([("doc", "Helmholtzstrasse 11, 89081 Ulm, Germany.")], ["text_rules"]))
    assert recs, "text_rules keeps unlinked numbers for recall"
    x, why = record_features(recs[0])
    assert x["no_property"] == 1.0
    assert "property not recognised" in why


def test_section_ocr_and_corroboration_from_context():
    from schemas import Block, BlockKind, CharSpan, Page, ParsedDocument, Prov

    rec = one_record("b1", "We measured a band gap of 3.37 eV for ZnO.")
    doc = ParsedDocument(
        paper_id="p",
        parser="test",
        pages=[Page(number=1, width=600, height=800, ocr=True)],
        blocks=[Block(id="b1", kind=BlockKind.paragraph, text="...", section=["1. Introduction"])],
    )
    prov = [Prov(page=1, span=CharSpan(start=0, end=10), item_id="b1", origin="ocr")]
    rec = rec.model_copy(
        update={
            "evidence": rec.evidence.model_copy(update={"prov": prov}),
            "flags": [*rec.flags, "corroborated_by:tables", "same_fact:abc"],
        }
    )
    x, why = record_features(rec, Context.for_document(doc))
    assert x["section_background"] == 1.0 and x["ocr"] == 1.0 and x["corroborated"] == 1.0
    assert any("Introduction" in w for w in why)
    assert "read by OCR" in why and "also found by tables" in why


@pytest.mark.parametrize(
    "text, raw, feature",
    [
        ("Two samples of ZnO were annealed at 400 °C.", "Two", "value_word"),
        ("A mixture of QP (495 mg, 0.45 mmol) and zinc acetate in chloroform was heated.", "0.45 mmol", "amount_unit"),
        # the extractor no longer reads volume/pages as quantities; a value in a cited title is still a reference
        ("[14] O. Lundberg et al., A band gap of 1.15 eV in CIGS films, Thin Solid Films 480 (2005) 520–525.", "1.15 eV",
         "bibliography"),
        # a count read next to a property ("28 Recently" is a citation marker text_rules no longer emits)
        ("The PCE of the P3HT devices exceeded 10%, with 28 cells tested.", "28", "integer_no_unit"),
        # a gas is the material only when nothing else is named (text_rules); the score still marks it
        ("The band gap measured in H2 was 3.1 eV.", "3.1 eV", "auxiliary_material"),
    ],
)
def test_cues_of_values_that_are_not_property_values(text, raw, feature):
    from tests.pipeline.score.conftest import records_from

    rec = next(r for r in records_from("doc", text) if r.quantity.raw == raw)
    assert record_features(rec)[0][feature] == 1.0


def test_a_plain_measurement_has_none_of_those_cues():
    x, _ = record_features(one_record("doc", "We measured a band gap of 3.37 eV for ZnO."))
    assert x["value_word"] == x["integer_no_unit"] == x["amount_unit"] == x["bibliography"] == 0.0
    assert x["auxiliary_material"] == 0.0


def test_table_cells_carry_no_sentence_geometry():
    """A table record's snippet is the caption: distances and crowding there say nothing about the cell."""
    from tests.pipeline.score.conftest import records_from

    text = "Table 1. Thickness of the SiO2 and Ta2O5 films at 8 points, 2 runs, 3 days: 138 nm, 1.2 nm and 141 nm."
    rec = next(r for r in records_from("doc", text) if "138" in r.quantity.raw)
    text_x, _ = record_features(rec)
    cell = rec.model_copy(update={"evidence": rec.evidence.model_copy(update={"source_kind": "table", "source_id": "t1:r1c2"})})
    x, why = record_features(cell)
    assert x["from_table"] == 1.0
    assert x["material_far"] == x["property_far"] == x["many_numbers"] == 0.0
    assert not any("crowded" in w for w in why)
    assert text_x["many_numbers"] > 0

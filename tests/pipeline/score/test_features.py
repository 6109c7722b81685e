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

"""The rule-based text extractor on real-shaped sentences: values, units, properties, materials, conditions."""

from __future__ import annotations

import pytest

from pipeline.extract import extract_texts, text_document
from pipeline.normalize import normalize_records

CASES = [
    # sentence, (material raw, property id, value, canonical unit, canonical value), condition ids
    ("The band gap of anatase TiO2 is 3.2 eV at room temperature.", ("anatase TiO2", "band_gap", 3.2, "eV", 3.2), {"temperature"}),
    ("MgB2 shows a Tc of 39 K under a pressure of 1.5 GPa.", ("MgB2", "critical_temperature", 39.0, "K", 39.0), {"pressure"}),
    (
        "Lithium iron phosphate (LFP) delivers a specific capacity of 160 mAh g−1 at 0.1 A g−1.",
        ("LFP", "specific_capacity", 160.0, "mA*h/g", 160.0),
        {"current_density"},
    ),
    ("The thermal conductivity of Bi2Te3 is 1.5 W m−1 K−1 at 300 K.", ("Bi2Te3", "thermal_conductivity", 1.5, None, 1.5), {"temperature"}),
]


@pytest.mark.parametrize("sentence,expected,conds", CASES, ids=[c[0][:30] for c in CASES])
def test_sentence_to_record(sentence, expected, conds):
    recs = normalize_records(extract_texts([("d", sentence)]))
    mat, prop, value, unit, canonical = expected
    hits = [r for r in recs if r.property.id == prop]
    assert len(hits) == 1, [(r.property.id, r.quantity.raw) for r in recs]
    r = hits[0]
    assert r.material is not None and r.material.raw == mat
    assert r.quantity.values[0] == pytest.approx(value)
    assert r.quantity.values_canonical[0] == pytest.approx(canonical)
    if unit:
        assert r.quantity.unit == unit
    assert {c.property_id for c in r.conditions} >= conds
    # spans index the input text exactly
    q = r.quantity.span
    assert sentence[q.start : q.end] == r.quantity.raw
    m = r.material.span
    assert sentence[m.start : m.end] == r.material.raw
    if mat == "LFP":  # the acronym resolves to the document's own definition
        assert r.material.formula == "LiFePO4"
    assert r.extractor == "text_rules" and r.extractor_version and r.evidence.source_id == "d"


def test_celsius_converts_and_formula_normalizes():
    (r,) = [
        r
        for r in normalize_records(extract_texts([("d", "The melting point of LiFePO4 is 300 °C.")]))
        if r.property.id == "melting_point"
    ]
    assert r.quantity.values_canonical[0] == pytest.approx(573.15)
    assert r.material.formula == "LiFePO4" and r.material.reduced_formula == "LiFePO4"


def test_respectively_pairs_materials_with_values():
    s = "The Tc of MgB2 and Nb3Sn are 39 K and 18 K, respectively."
    recs = [r for r in extract_texts([("d", s)]) if r.property.id == "critical_temperature"]
    pairs = {(r.material.raw, r.quantity.values[0]) for r in recs}
    assert pairs == {("MgB2", 39.0), ("Nb3Sn", 18.0)}


def test_material_from_paragraph_context_is_flagged():
    s = "We grew YBa2Cu3O7 films by PLD. Their critical current density is 3 MA cm−2 at 77 K."
    (r,) = [r for r in extract_texts([("d", s)]) if r.property.id == "critical_current_density"]
    assert r.material.raw == "YBa2Cu3O7" and "material_from_context" in r.flags
    assert r.method  # PLD is a method


def test_unit_that_does_not_fit_the_property_is_flagged_not_converted():
    from schemas import CharSpan, Evidence, PropertyRef, Quantity, Record

    rec = Record(
        record_id="x",
        paper_id="p",
        property=PropertyRef(raw="band gap", id="band_gap"),
        quantity=Quantity(raw="3.2 K", values=[3.2], unit_raw="K", unit="K", span=CharSpan(start=0, end=5)),
        evidence=Evidence(source_id="d"),
        extractor="test",
        extractor_version="1",
    )
    (n,) = normalize_records([rec])
    assert "unit_dimension_mismatch" in n.flags and n.quantity.values_canonical == []


def test_references_are_skipped():
    from schemas import Block, BlockKind

    doc = text_document("d", "The band gap of ZnO is 3.3 eV.")
    doc.blocks.append(Block(id="r0", kind=BlockKind.reference, text="[1] A. Smith, ZnO band gap 3.4 eV, Phys. Rev. B 1 (2000) 1."))
    from extractors.text_rules import TextRulesExtractor

    recs = list(TextRulesExtractor().extract(doc))
    assert recs and all(r.evidence.source_id == "d" for r in recs)


def test_record_ids_are_stable():
    s = "The band gap of ZnO is 3.3 eV."
    a = [r.record_id for r in extract_texts([("d", s)])]
    b = [r.record_id for r in extract_texts([("d", s)])]
    assert a == b and len(set(a)) == len(a)


@pytest.mark.parametrize(
    "text",
    ["", " ", "\x00\x01\x02 garbage \ufffd", "ﬁ​ ５ ｅＶ  3.2 eV", "1" * 20000, "− " * 5000, "x" * 100000],
    ids=["empty", "space", "binary", "unicode", "digits", "minus", "letters"],
)
def test_bad_text_does_not_crash(text):
    recs = extract_texts([("d", text)])
    for r in recs:
        if r.quantity.span:
            assert text[r.quantity.span.start : r.quantity.span.end] == r.quantity.raw


def test_converted_values_carry_no_float_noise():
    recs = normalize_records(extract_texts([("d", "The average grain size of Nb3Sn is 20 μm.")]))
    (r,) = [r for r in recs if r.property.id == "grain_size"]
    assert r.quantity.values_canonical == [20000.0] and r.quantity.unit == "nm"


def test_value_stated_for_a_following_material():
    s = "Oxygen vacancies raise the maximum Tc of 51 K for NdFeAsO compared with LaFeAsO."
    (r,) = [r for r in extract_texts([("d", s)]) if r.property.id == "critical_temperature"]
    assert r.material.raw == "NdFeAsO"


def _tc_pairs(text: str) -> set:
    recs = [r for r in extract_texts([("d", text)]) if r.property.id == "critical_temperature"]
    return {(r.material.raw if r.material else None, r.quantity.values[0]) for r in recs}


def test_composition_variable_names_the_sample():
    s = "We grew BaFe2(As1−xPx)2 crystals. In the x = 0.25 sample, Tc reaches 30 K."
    (r,) = [r for r in extract_texts([("d", s)]) if r.property.id == "critical_temperature"]
    assert r.material.raw == "x = 0.25"
    assert r.material.formula == "BaFe2(As0.75P0.25)2"
    assert s[r.material.span.start : r.material.span.end] == "x = 0.25"


def test_composition_variable_after_the_value():
    s = "We grew Bi2Sr2−xLaxCuO6 crystals. The Tc (84 K) for the x = 0 sample is lower than the Tc (87 K) for x = 0.1."
    assert _tc_pairs(s) >= {("x = 0", 84.0), ("x = 0.1", 87.0)}


def test_variable_without_a_variable_formula_is_no_material():
    s = "The fit gives n = 1.99 and a Tc of 42.6 K for MgB2."
    assert ("MgB2", 42.6) in _tc_pairs(s)
    recs = extract_texts([("d", s)])
    assert not any(r.material and r.material.raw.startswith("n =") for r in recs)


def test_respectively_with_a_citation_inside_the_list():
    s = "The Tc of Sr2ScFePO3 and Sr2VFeAsO3 are 17 K (6) and 37.2 K, respectively."
    assert _tc_pairs(s) == {("Sr2ScFePO3", 17.0), ("Sr2VFeAsO3", 37.2)}


def test_respectively_in_a_sentence_glued_to_the_next():
    s = "Two osmates, RbOs2O6 and KOs2O6, show Tc of 6.3 K and 9.6 K, respectively.On the other hand, CsOs2O6 is new."
    assert _tc_pairs(s) == {("RbOs2O6", 6.3), ("KOs2O6", 9.6)}


def test_respectively_with_the_materials_after_the_values():
    s = "The conductivity reaches 43.5 S cm−1 and 51.6 S cm−1 for LaCoO3 and LaFeO3, respectively."
    recs = [r for r in extract_texts([("d", s)]) if r.quantity.unit_raw and "S" in r.quantity.unit_raw]
    assert {(r.material.raw, r.quantity.values[0]) for r in recs} == {("LaCoO3", 43.5), ("LaFeO3", 51.6)}


@pytest.mark.parametrize(
    "sentence,material",
    [
        ("YBCO crystals were grown in yttria stabilized zirconia crucibles and reach a Tc of 93 K.", "YBCO"),
        ("Single crystals of PCCO were annealed in argon to achieve a Tc of 22.5 K.", "PCCO"),
        ("The Nb film was grown on MgO substrates and shows a Tc of 9.1 K.", "Nb"),
    ],
    ids=["crucible", "gas", "substrate"],
)
def test_gas_crucible_and_substrate_are_not_the_material(sentence, material):
    assert {m for m, _ in _tc_pairs(sentence)} == {material}


def test_substrate_is_the_material_when_nothing_else_is_named():
    s = "A cell on a conventional Ni-YSZ substrate achieved a power density of 588 mW cm−2 at 500 °C."
    recs = [r for r in extract_texts([("d", s)]) if r.quantity.values and r.quantity.values[0] == 588]
    assert recs and recs[0].material is not None and recs[0].material.raw == "Ni-YSZ"


@pytest.mark.parametrize(
    "sentence",
    [
        "MgB2 has a Tc of 39 K with a transition width of about 0.3 K.",
        "MgB2 has a Tc of 39 K and ∆Tc = 0.3 K.",
        "For MgB2 the Tc of 39 K is determined with an accuracy of ±1 K.",
        "Doping MgB2 raises the Tc of 39 K by 2 K.",
        "The pseudogap of MgB2 above its Tc of 39 K appears at T* ≈ 280 K.",
        "The Tc of MgB2 is 39 K; the resistivity was measured between 2 K and 300 K.",
    ],
    ids=["width", "delta", "accuracy", "increment", "other-symbol", "measuring-range"],
)
def test_widths_increments_and_other_temperatures_are_not_tc(sentence):
    assert _tc_pairs(sentence) == {("MgB2", 39.0)}


def test_relative_increase_keeps_its_property():
    s = "The fatigue life of the steel is increased by about 10–15% under a magnetic field."
    (r,) = [r for r in extract_texts([("d", s)]) if r.quantity.raw == "10–15%"]
    assert r.property.id is not None


def test_band_gap_width_and_range_are_band_gaps():
    s = "Indium sulfide (In2S3) with a band gap width of 2 eV is tuned between 2.4 eV and 1.8 eV."
    recs = [r for r in extract_texts([("d", s)]) if r.property.id == "band_gap"]
    assert {r.quantity.raw for r in recs} >= {"2 eV"}


@pytest.mark.parametrize(
    "text",
    [
        "[12] A. Smith, B. Jones, J. Power Sources 327 (2016) 557–564.",
        "Corros. Sci. 2017, 11, 76–82. [CrossRef] 22. Atrens, A.; Hoffelner, W.",
        "Phys. Rev. B 43, 1993 (1991). 70 A. Pimpinelli and J. Villain, Physics of Crystal Growth.",
    ],
    ids=["volume-year-pages", "crossref", "year-then-number"],
)
def test_bibliography_numbers_are_no_quantities(text):
    assert extract_texts([("d", text)]) == []


def test_a_cited_measurement_keeps_its_value():
    s = "Hill et al. (2009) quote a band gap of 3.2 eV for ZnO."
    assert [r.quantity.raw for r in extract_texts([("d", s)])] == ["3.2 eV"]


@pytest.mark.parametrize(
    "sentence,raws",
    [
        ("Phenylboronic acid (10 mg, 1.6 μmol) and Pd(PPh3)4 (1.8 mg) were added.", {"10 mg", "1.6 μmol", "1.8 mg"}),
        ("Then 5 mmol of CuCl was dissolved in water (65 mL).", {"5 mmol", "65 mL"}),
    ],
    ids=["parenthesised", "of-reagent"],
)
def test_recipe_amounts_are_quantities_without_a_property(sentence, raws):
    recs = [r for r in extract_texts([("d", sentence)]) if r.quantity.raw in raws]
    assert {r.quantity.raw for r in recs} == raws
    assert all(r.property.id is None and "recipe_amount" in r.flags for r in recs)


def test_a_measured_mass_keeps_its_property():
    s = "The areal mass loading of the LiFePO4 electrode is 2 mg cm−2."
    assert not any("recipe_amount" in r.flags for r in extract_texts([("d", s)]))


def test_a_constituent_element_loses_to_the_compound():
    s = "The Tc of La1.85Sr0.15CuO4 with 2 % Zn substituted for Cu in the CuO2 planes is reduced to 16 K."
    assert _tc_pairs(s) == {("La1.85Sr0.15CuO4", 16.0)}


def test_an_element_superconductor_keeps_its_value():
    assert _tc_pairs("Elemental Nb shows a Tc of 9.2 K.") == {("Nb", 9.2)}


@pytest.mark.parametrize(
    "sentence,pairs",
    [
        # a temperature symbol's value without "=" ("T c 43 K": Tc is also technetium's symbol)
        ("The optimally doped Sr0.9La0.1CuO2 with T c 43 K shows a large gap.", {("Sr0.9La0.1CuO2", 43.0)}),
        # a composition list pairs one sample per value, "respectively" split by a line-end hyphen
        (
            "The measured T c 's are 30, 37.7 and 20.3 K for x = 0.10, 0.15 and 0.24, re- spectively.",
            {("x = 0.10", 30.0), ("0.15", 37.7), ("0.24", 20.3)},
        ),
        ("Their onset T c 's are 28 K and 9 K for the x = 0.11 and 0.05 samples, respectively.", {("x = 0.11", 28.0), ("0.05", 9.0)}),
        # the sample named after the value, without a variable formula in the paragraph
        ("The superconducting T c = 22 K at x = 1/8 is anomalously low.", {("x = 1/8", 22.0)}),
        ("The optimally doped sample, with a maximum T c of 93 K (y=0.93), is in the ortho-I phase.", {("y=0.93", 93.0)}),
    ],
)
def test_tc_pairs_with_samples_and_lists(sentence, pairs):
    assert _tc_pairs(sentence) == pairs


def test_a_lone_element_does_not_replace_the_compound_in_context():
    text = (
        "We studied La1.85Sr0.15CuO4 single crystals. Some Zn resides in the planes. "
        "The superconducting transition temperature is 38 K."
    )
    recs = normalize_records(extract_texts([("d", text)]))
    hits = [r for r in recs if r.property.id == "critical_temperature"]
    assert [r.material.raw for r in hits] == ["La1.85Sr0.15CuO4"]


@pytest.mark.parametrize(
    "sentence", ["62 In topography a fine phase separation is seen.", "15,16 Regarding such copolymers, little is known."]
)
def test_a_reference_marker_opening_a_sentence_is_no_quantity(sentence):
    assert not normalize_records(extract_texts([("d", sentence)]))


@pytest.mark.parametrize(
    "sentence,pairs",
    [
        ("Superconductivity found in LiFeAs at 18 K, and later in NaFeAs at 12 K, seems puzzling.", {("LiFeAs", 18.0), ("NaFeAs", 12.0)}),
        ("On cooling RbOs2O6, the resistivity sharply drops below 6.5 K due to superconductivity.", {("RbOs2O6", 6.5)}),
        # a measurement temperature stays a condition: of another value, or above any Tc, or said to be measured
        ("The upper critical field of the superconducting MgB2 film is 5 T at 2 K.", set()),
        ("The resistivity of the superconducting MgB2 samples at 300 K is large.", set()),
        ("The spectra of the superconducting MgB2 samples were measured at 10 K.", set()),
    ],
)
def test_a_temperature_in_a_sentence_about_superconductivity_is_its_tc(sentence, pairs):
    assert _tc_pairs(sentence) == pairs


def test_a_transition_width_is_no_tc():
    assert _tc_pairs("The Tc of MgB2 is 39 K. The width defined by 10% and 90% of the resistivity is 0.9 K.") == {("MgB2", 39.0)}


def test_a_function_argument_is_no_tc():
    assert _tc_pairs("Figure 3 plots the Tc of our BSLCO crystals against S(290K).") == set()


def test_values_joined_by_and_are_no_condition_cue():
    s = "The transition temperature T c is 17 K in LYSCO and 27 K in LSCO, respectively."
    assert _tc_pairs(s) == {("LYSCO", 17.0), ("LSCO", 27.0)}


def test_a_band_width_keeps_its_value():
    recs = normalize_records(extract_texts([("d", "The forbidden band width of ZnO is 3.3 eV.")]))
    assert [(r.property.id, r.quantity.values[0]) for r in recs] == [("band_gap", 3.3)]


@pytest.mark.parametrize(
    "sentence,pairs",
    [
        (
            "Lower T c (onset) ∼ 40 K and 12 K were observed for RuSr2EuCu2O8 and RuSr2SmCu2O8, respectively.",
            {("RuSr2EuCu2O8", 40.0), ("RuSr2SmCu2O8", 12.0)},
        ),
        ("The T c transition is seen at 11 K and 16 K, respectively, for x = 0.80 and 1.00 samples.", {("x = 0.80", 11.0), ("1.00", 16.0)}),
    ],
)
def test_respectively_with_a_verb_or_the_materials_after_it(sentence, pairs):
    assert _tc_pairs(sentence) == pairs


def test_the_sc_abbreviation_decides_an_ambiguous_tc_symbol():
    # (both subjects of the list take the value)
    assert _tc_pairs("The Nb-2122 and Ta-2122 materials are SC with T C 28-30 K.") == {("Nb-2122", 28.0), ("Ta-2122", 28.0)}
    recs = normalize_records(extract_texts([("d", "The ferromagnetic SC film has T C 28 K.")]))
    assert [r.property.id for r in recs] == ["curie_temperature"]  # a cue of its own keeps the other sense


def test_a_tc_symbol_in_parentheses_before_its_value():
    assert _tc_pairs("Bulk superconductivity with transition temperature (T c ) 30K was achieved in Sr2CuO3.") != set()


def _tc_links(sentence: str) -> list[tuple[str, str | None]]:
    recs = extract_texts([("d", sentence)])
    return [(r.quantity.raw, r.material.raw if r.material else None) for r in recs if r.property.id == "critical_temperature"]


def test_one_value_for_a_list_of_materials():
    links = _tc_links("We find a T c of 43 K in both Sr 0.9 Gd 0.1 CuO 2 and Sr 0.9 La 0.1 CuO 2.")
    assert links == [("43 K", "Sr 0.9 Gd 0.1 CuO 2"), ("43 K", "Sr 0.9 La 0.1 CuO 2")]
    # a second value of its own ends the list
    links = _tc_links("The T c is 43 K for MgB2 and 39 K for NbSe2.")
    assert ("43 K", "NbSe2") not in links


def test_phrase_after_property_of_must_name_a_material():
    # a value, another property, a step of the measurement: no material
    for s in (
        "As our lowest measured temperature of 1.8 K is only slightly lower than the transition (2.8 K), we stop.",
        "The jump at T c of the specific heat measured on the powder with T c = 84 K is large.",
        "The critical temperature T c defined as the midpoint temperature of the transition is 3.3 K.",
    ):
        assert all(m is None for _, m in _tc_links(s)), s


def test_impurity_flux_and_standard_are_not_the_sample():
    text = (
        "The sample has a large moment, most likely due to impurities such as Fe 2 O 3 and/or Fe. "
        "The superconducting transition is at T c = 35 K."
    )
    assert all(m != "Fe 2 O 3" for _, m in _tc_links(text))
    text = "Crystals were grown from a precursor dissolved in liquid KCl. We obtained T c = 7 K."
    assert all(m != "KCl" for _, m in _tc_links(text))


def test_a_qualified_transition_temperature_or_another_symbol_is_no_tc():
    recs = extract_texts(
        [("d", "Sr2VFeAsO3 samples exhibit magnetic transition temperatures of the V ranging from 25 to 308 K.")]
    )
    assert [r.property.id for r in recs if r.quantity.raw == "25 to 308 K"] == ["phase_transition_temperature"]
    links = _tc_links("Bi2212 has a Tc of 90 K. The value of T* is found to be of the order of 190 K.")
    assert links == [("90 K", "Bi2212")]


def test_temperatures_of_the_measurement_are_no_tc():
    links = _tc_links(
        "Above T c = 17.5 K, the magnetoresistivity of La2CuO4 tends to saturate at low temperatures (18 K) "
        "and is quadratic at high temperatures (71 K)."
    )
    assert links == [("17.5 K", "La2CuO4")]
    links = _tc_links("We measured the penetration depth in Pr1.855Ce0.145CuO4−y films for 1.6 K ≤ T ≤ Tc ∼ 24 K.")
    assert [v for v, _ in links] == ["24 K"]


def test_material_in_quotes_after_the_value():
    links = _tc_links(
        'LaFeAsO0.95F0.05 has a low Tc. On the other hand, the maximum T c of 43 K in "over-doped" LaFeAsO 0.86 F 0.14 is high.'
    )
    assert links == [("43 K", "LaFeAsO 0.86 F 0.14")]


def test_respectively_with_the_materials_in_the_sentence_before():
    s = "Now we have three superconductors; CsOs2O6, RbOs2O6 and KOs2O6. The Tc changes as 3.2 K, 6.3 K and 9.6 K, respectively."
    assert _tc_pairs(s) == {("CsOs2O6", 3.2), ("RbOs2O6", 6.3), ("KOs2O6", 9.6)}


def test_value_stated_for_a_material_after_a_condition():
    s = "The maximum Tc of LaFeAsO0.95F0.05 is 29 K, lower than the maximum Tc of 43 K under high pressure in LaFeAsO0.89F0.11."
    assert ("LaFeAsO0.89F0.11", 43.0) in _tc_pairs(s)


def test_the_document_decides_an_ambiguous_tc_symbol():
    # the sentence's only cue ("magnetization") points to a Curie temperature; the paper is about superconductors
    text = (
        "Superconductivity in MgB2 was studied. The superconducting transition is sharp and the superconductor shows "
        "a Meissner effect. The Tc was determined by dc-magnetization, yielding Tc = 39 K."
    )
    assert ("MgB2", 39.0) in _tc_pairs(text)
    magnet = (
        "Ferromagnetic order sets in at a ferromagnetic transition. The ferromagnet has a Curie point near room "
        "temperature. The magnetization gives Tc = 290 K for La0.7Sr0.3MnO3."
    )
    recs = [r for r in extract_texts([("d", magnet)]) if r.quantity.values and r.quantity.values[0] == 290.0]
    assert recs and recs[0].property.id == "curie_temperature"


def test_a_qualifier_in_parentheses_stays_with_its_term():
    s = "The resistivity is 2 mΩ cm and the T c (zero) of MgB2 is at 37 K."
    assert ("MgB2", 37.0) in _tc_pairs(s)


def test_the_property_claims_a_value_when_the_others_are_bare_counts():
    s = "Below 17 K, one LiFeAs crystal shows its Tc."
    assert ("LiFeAs", 17.0) in _tc_pairs(s)


def test_a_magnetization_measurement_does_not_make_tc_a_curie_temperature():
    # magnetization and susceptibility are how a superconducting Tc is measured; only ferromagnetic cues decide Curie
    s = "Magnetization measurements on the paramagnetic sample of MgB2 give T c = 39 K."
    assert ("MgB2", 39.0) in _tc_pairs(s)


@pytest.mark.parametrize(
    "sentence, pair",
    [
        ("In Rb2Cr3As3 superconductivity emerges below 4.8 K with a transition width ∆Tc = 0.44 K.", ("Rb2Cr3As3", 4.8)),
        ("For Nd1.85Ce0.15CuO4 the superconducting transition appears at 24 K at 0 T.", ("Nd1.85Ce0.15CuO4", 24.0)),
        ("The Tc of RbOs2O6 is 6.3 K, and zero resistivity is attained below 6.1 K.", ("RbOs2O6", 6.1)),
        ("The HgBa2CuO4 compound is super- conducting at 21 K under 2 GPa.", ("HgBa2CuO4", 21.0)),
        ("Its valence lies between those of the 1 K superconductor Cd2Re2O7 and of Cd2Os2O7.", ("Cd2Re2O7", 1.0)),
    ],
    ids=["emerges", "appears", "zero-resistivity", "is-superconducting", "K-superconductor"],
)
def test_a_superconducting_onset_cue_makes_the_temperature_a_tc(sentence, pair):
    assert pair in _tc_pairs(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The MgB2 samples were annealed at 950 °C; their Tc is 39 K.",
        "MgB2 with a Tc of 39 K was sintered, the Tc of the precursor being 1500 K.",
    ],
    ids=["celsius", "above-400K"],
)
def test_processing_temperatures_are_not_tc(sentence):
    assert _tc_pairs(sentence) == {("MgB2", 39.0)}


def test_tc_without_a_material_takes_the_compound_of_the_next_sentence():
    s = (
        "The entropy balance determines the bulk transition temperature T c = 1.50 K. "
        "This suggests that SnSb is fully gapped."
    )
    assert _tc_pairs(s) == {("SnSb", 1.5)}

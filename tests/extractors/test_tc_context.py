"""Which material a Tc stated without one takes from the paragraph (text_rules context)."""

from __future__ import annotations

from pipeline.extract import extract_texts

TC_IDS = {"critical_temperature", "tc_onset", "tc_zero"}


def _tc(text: str) -> dict[float, str | None]:
    recs = [r for r in extract_texts([("d", text)], ["text_rules"]) if r.property.id in TC_IDS]
    return {r.quantity.values[0]: (r.material.raw if r.material else None) for r in recs}


def test_a_compound_named_for_comparison_does_not_become_the_context():
    text = (
        "Here we describe the new superconductor Nb2PdS5 . Its layered structure is similar to that of the known "
        "compound Ta2NiSe5 . Specific heat data show bulk superconductivity with T c = 6.6 K."
    )
    assert _tc(text)[6.6] == "Nb2PdS5"


def test_unlike_marks_a_comparison():
    text = "We grew crystals of CaKFe4As4 . Unlike BaFe2As2 , no structural transition is seen. The Tc is 35 K."
    assert _tc(text)[35.0] == "CaKFe4As4"


def test_the_compound_the_paragraph_names_most_often_wins_over_a_later_one():
    text = (
        "The resistivity of Mo3Sb7 is metallic. Mo3Sb7 shows no anomaly at low field, while a kink appears for Nb3Sn. "
        "The critical temperature T c is 2.1 K."
    )
    assert _tc(text)[2.1] == "Mo3Sb7"


def test_a_single_compound_of_the_previous_sentence_is_still_the_context():
    text = "Single crystals of LiFeAs were grown from flux. The onset T c is 17 K."
    assert _tc(text)[17.0] == "LiFeAs"


def test_a_listed_composition_pairs_with_values_respectively_in_the_next_sentence():
    text = (
        "The films with y = 0.25 and 0.50 are metallic down to T c . They show zero resistance at T c of about "
        "7 K and 11 K, respectively."
    )
    tc = _tc(text)
    assert tc[7.0] == "y = 0.25" and tc[11.0] == "0.50"


def test_a_material_in_parentheses_right_after_the_value_is_its_own():
    text = "In this series of Ca(Fe1−yNiy)2As2 samples, T c rises from 5 K (y = 0.02) to 19 K (y = 0.06)."
    tc = _tc(text)
    assert tc[19.0] == "y = 0.06"


def test_a_composition_the_value_is_reached_at_names_the_sample():
    text = "For Sr(Fe1−xCox)2As2 , the onset T c goes through a maximum of 19.5 K at x = 0.12 ."
    assert _tc(text)[19.5] == "x = 0.12"


def test_an_aside_in_parentheses_does_not_hide_the_material_the_value_is_stated_for():
    text = (
        "After oxygen annealing, La2CuO4 shows a Tc of 38 K (taken at the midpoint of the resistive transition) "
        "for the Sr2CuO3 sample."
    )
    assert _tc(text)[38.0] == "Sr2CuO3"


def test_superconducting_transition_cues_without_a_verb():
    cases = {
        "All the ScPd3 crystals showed a superconduct- ing transition at around 3.4 K.": 3.4,
        "Susceptibility of Nb0.5Ti0.5N shows a dia- magnetic drop below 13 K.": 13.0,
        "For annealed Li2Pd3B the resistivity drops sharply to zero at 7.2 K.": 7.2,
        "The salt κ-(ET)2I3 becomes SC at 3.6 K under ambient pressure.": 3.6,
        "We found bulk SC at 5.3 K in Ta4Pd3Te16 crystals.": 5.3,
        "Soon after the report of 12 K superconductivity in Y2C3 , doping studies began.": 12.0,
    }
    for sentence, value in cases.items():
        assert value in _tc(sentence), sentence


def test_a_temperature_after_a_measurement_verb_is_not_a_tc():
    assert not _tc("The resistivity of Mo2N films was measured at 300 K after superconductivity was checked.")


def _tc_all(text: str) -> set[tuple[str, float]]:
    recs = [r for r in extract_texts([("d", text)], ["text_rules"]) if r.property.id in TC_IDS]
    return {(r.material.raw, r.quantity.values[0]) for r in recs if r.material}


def test_a_list_of_subjects_shares_its_one_value():
    pairs = _tc_all("Both Mo3Al2C and W3Al2C samples are superconducting with a T c of 8 K.")
    assert {("Mo3Al2C", 8.0), ("W3Al2C", 8.0)} <= pairs


def test_a_material_named_for_contrast_does_not_share_the_value():
    pairs = _tc_all("Unlike Mo3Al2C , W3Al2C samples are superconducting with a T c of 8 K.")
    assert ("W3Al2C", 8.0) in pairs and ("Mo3Al2C", 8.0) not in pairs


def test_a_percentage_before_the_material_the_value_is_stated_for():
    pairs = _tc_all("The onset T c is 92 K for YBCO and T c 61 K for 2% Zn-YBCO .")
    assert ("Zn-YBCO", 61.0) in pairs or ("2% Zn-YBCO", 61.0) in pairs
    assert ("YBCO", 61.0) not in pairs


def test_a_value_compared_with_is_a_value_of_its_own_material():
    pairs = _tc_all("However, the measured T c of 21 K is rather low as compared with 39 K for MgB2 or 23 K for Nb3Ge .")
    assert ("MgB2", 39.0) in pairs


def test_superconductivity_in_a_material_near_a_temperature():
    assert _tc("Superconductivity in the layered compound NbSe 2 near 7 K has long been known.") == {7.0: "NbSe 2"}

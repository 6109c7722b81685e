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

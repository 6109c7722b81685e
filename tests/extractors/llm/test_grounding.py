import pytest

from extractors.llm.grounding import Aligner, fold, ground_record
from schemas.llm_response import response_model

TEXT = "The ﬁlm of LiFePO4 has Eg = 3.2 eV at −5 °C, a 13.25 µm grain and 3.21 K onset; Ba0.5Sr0.5TiO3 (2.1–2.4 eV)."


def span_text(needle, **kw):
    s = Aligner(TEXT).find(needle, **kw)
    return None if s is None else TEXT[s[0] : s[1]]


@pytest.mark.parametrize(
    "needle, expected",
    [
        ("3.2", "3.2"),
        ("3.2 eV", "3.2 eV"),
        ("3.2eV", "3.2 eV"),  # spaces do not matter
        ("-5 °C", "−5 °C"),  # unicode minus
        ("-5°C", "−5 °C"),
        ("film", "ﬁlm"),  # ligature
        ("13.25 μm", "13.25 µm"),  # Greek mu vs micro sign
        ("2.1-2.4", "2.1–2.4"),  # en dash
        ("3.21", "3.21"),
    ],
)
def test_tolerant_alignment(needle, expected):
    assert span_text(needle) == expected


@pytest.mark.parametrize("needle", ["3.25", "13.2", "1.25", "2.1-2.5", "5 °F", "LiFePO5", "32"])
def test_digits_are_exact(needle):
    assert span_text(needle) is None


def test_case_fallback_only_when_asked():
    assert span_text("lifepo4") is None
    assert span_text("lifepo4", case_insensitive=True) == "LiFePO4"
    assert fold("ﬁ − µ") == "fi-μ"


def _rec(**kw):
    base = {"material": "LiFePO4", "property_text": "Eg", "property": "band_gap", "value": "3.2", "unit": "eV",
            "conditions": ["at −5 °C"], "method": "", "evidence": "Eg = 3.2 eV"}
    model = response_model("llm_records")
    return model.model_validate({"records": [{**base, **kw}]}).records[0]


def test_ground_record_spans_and_missing_fields():
    g = ground_record(TEXT, _rec())
    assert g.ok and TEXT[g.value[0] : g.value[1]] == "3.2" and TEXT[g.unit[0] : g.unit[1]] == "eV"
    assert TEXT[g.material[0] : g.material[1]] == "LiFePO4" and g.conditions[0] is not None
    assert ground_record(TEXT, _rec(value="3.3")).missing == ["value"]  # a number not in the text
    assert ground_record(TEXT, _rec(unit="meV")).missing == ["unit"]
    assert ground_record(TEXT, _rec(material="GaN")).missing == ["material"]
    assert ground_record(TEXT, _rec(material="", unit="")).ok  # "none" needs no span


def test_value_prefers_the_occurrence_in_the_evidence_quote():
    text = "Sample A: 3.2 eV. Sample B has a band gap of 3.2 eV too."
    rec = _rec(material="", value="3.2", evidence="band gap of 3.2 eV")
    g = ground_record(text, rec)
    assert g.value[0] == text.index("of 3.2") + 3

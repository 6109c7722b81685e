"""extractors.quantities: reference numerals, locants and bibliography numbers that are no quantities; intervals of a
variable between two bounds, suspended hyphens, article durations, flattened powers with an ASCII hyphen."""

from __future__ import annotations

import pytest

from extractors.quantities import find_quantities


def _raws(text: str) -> list[str]:
    return [m.raw for m in find_quantities(text)]


def _one(text: str):
    found = find_quantities(text)
    assert len(found) == 1, [m.raw for m in found]
    return found[0]


@pytest.mark.parametrize(
    "text",
    [
        "The clamping ring 7 is pressed against the flange.",  # a noun that ends in -ing
        "The valve seat rests on a compression spring 4.",
        "The rotor sits in a bearing 12.",
        "In this view, 3 is a housing, 5 is a cover and 6 is a screw.",  # numerals that name parts
        "In the drawing, 14 is a cooling duct.",
        "The ASTM Class 5 alloy was chosen.",  # a class label
        "The amine 2-(dimethylamino)ethanol was added.",  # a locant
        "as reported [Acta Mater., 58, 1117 (2010)] for steels",  # volume and page of a reference
    ],
)
def test_labels_numerals_locants_and_volumes_are_no_quantities(text):
    assert _raws(text) == []


@pytest.mark.parametrize(
    "text,raw",
    [
        ("the heating 5 samples", "5"),  # a participle before a count still counts
        ("where n = 2 is the number of layers", "2"),  # a value after "=" is no numeral
        ("we grew 4 crystals", "4"),
    ],
)
def test_counts_and_values_stay(text, raw):
    assert _raws(text) == [raw]


@pytest.mark.parametrize(
    "text,raw,values,unit",
    [
        ("single phase for 0.05 ≤ x ≤ 0.25 in the series", "0.05 ≤ x ≤ 0.25", (0.05, 0.25), None),
        ("metallic at 150 K < T < 250 K only", "150 K < T < 250 K", (150.0, 250.0), "K"),
        ("with 0 < δ < 0.12, the films", "0 < δ < 0.12", (0.0, 0.12), None),
    ],
)
def test_a_variable_between_two_bounds_is_one_interval(text, raw, values, unit):
    q = _one(text)
    assert (q.raw, q.kind, q.values, q.unit) == (raw, "interval", values, unit)


def test_bounds_in_the_wrong_order_are_no_interval():
    assert [m.kind for m in find_quantities("for 0.6 < x < 0.2 here")] != ["interval"]


@pytest.mark.parametrize(
    "text,raw,kind,values,unit",
    [
        ("coated with 2- to 4-nm-thick layers", "2- to 4-nm", "interval", (2.0, 4.0), "nm"),
        ("the 20-to 30-year-old furnaces", "20-to 30-year", "interval", (20.0, 30.0), "year"),
        ("milled into 50- and 100-µm particles", "50- and 100-µm", "list", (50.0, 100.0), "µm"),
    ],
)
def test_a_suspended_hyphen_joins_both_numbers(text, raw, kind, values, unit):
    q = _one(text)
    assert (q.raw, q.kind, q.values) == (raw, kind, values)
    assert q.unit_raw == unit


@pytest.mark.parametrize(
    "text,raw,value,unit",
    [
        ("The gel was aged for a week before drying.", "a week", 1.0, "week"),
        ("refluxed at 80 °C for an hour", "an hour", 1.0, "hour"),
        ("stored within half a day of synthesis", "half a day", 0.5, "day"),
    ],
)
def test_a_duration_written_with_the_article(text, raw, value, unit):
    q = find_quantities(text)[-1]
    assert (q.raw, q.values, q.unit) == (raw, (value,), unit)


@pytest.mark.parametrize("text", ["twice a day", "a year later", "in a second step", "for a week-long campaign"])
def test_article_words_without_a_duration(text):
    assert _raws(text) == []


@pytest.mark.parametrize(
    "text,raw,value,unit",
    [
        ("sputtered at a base pressure of 10 -5 Pa and", "10 -5 Pa", 1e-5, "Pa"),
        ("a leak rate of 3 × 10 -6 mbar here", "3 × 10 -6 mbar", 3e-6, "mbar"),
    ],
)
def test_a_flattened_power_with_an_ascii_hyphen(text, raw, value, unit):
    q = _one(text)
    assert q.raw == raw and q.unit == unit and q.values[0] == pytest.approx(value)


def test_an_ascii_hyphen_without_a_unit_is_no_power():
    assert "10 -4" not in _raws("the 10 -4 samples")


def test_a_symbol_font_minus_is_a_range_dash():
    q = _one("doped with Sn (y = 0.1\uf02d0.4) by")
    assert (q.kind, q.values) == ("interval", (0.1, 0.4))


@pytest.mark.parametrize(
    "text,raw,value,unit",
    [
        ("the onset T c $ 7:2 K of the film", "7:2 K", 7.2, "K"),  # a broken font's decimal point
        ("a pressure of 2:45 GPa was reached", "2:45 GPa", 2.45, "GPa"),
        ("with lattice parameter a 0:4125 nm here", "0:4125 nm", 0.4125, "nm"),
    ],
)
def test_a_colon_read_for_a_decimal_point_before_a_physical_unit(text, raw, value, unit):
    q = _one(text)
    assert (q.raw, q.values, q.unit) == (raw, (value,), unit)


@pytest.mark.parametrize(
    "text",
    [
        "mixed in a 1:2 ratio",  # a ratio
        "a 1:1 mixture of ethanol and water",
        "dissolved 1:3 molar in water",  # a molar ratio, no decimal
        "stirred from 10:30 h on",  # a clock time
        "the phase Sr 0:6 K 0:4 Fe 2 As 2 was",  # a garbled formula: an index follows the 'unit'
        "from T c down to 0:2 T c here",  # a fraction of T c
    ],
)
def test_ratios_times_and_formulas_keep_their_colon(text):
    assert not any(":" in m.raw and m.kind == "value" and m.unit for m in find_quantities(text))


@pytest.mark.parametrize(
    "text,raw,bound,value",
    [
        ("wobei der Anteil kleiner als 1,5 ist.", "1,5", "lt", 1.5),  # a bound reads a bare decimal comma
        ("le rapport est inférieur à 3,2.", "3,2", "lt", 3.2),
        ("der Gehalt beträgt mindestens 0,2%.", "0,2%", "ge", 0.2),
        ("was significant (p < 0,01).", "0,01", "lt", 0.01),
    ],
)
def test_german_and_french_bounds_and_a_bare_decimal_comma_after_a_bound(text, raw, bound, value):
    q = _one(text)
    assert (q.raw, q.bound, q.values) == (raw, bound, (value,))


@pytest.mark.parametrize("text", ["as cited in refs. 12,14.", "the ligand > 2,6- dimethylphenyl"])
def test_a_bare_decimal_comma_without_a_bound_stays_unread(text):
    assert _raws(text) == []

"""extractors.quantities: text as PDF extraction leaves it (flattened superscripts, glued signs, typos), ranges
written with two units or by magnitude, and spelled-out percentage bases."""

from __future__ import annotations

import pytest

from extractors.quantities import find_quantities


def _one(text: str):
    found = find_quantities(text)
    assert len(found) == 1, [m.raw for m in found]
    return found[0]


@pytest.mark.parametrize(
    "text,raw,value,unit",
    [
        ("a density n = 1.5 × 1018 cm−3 was", "1.5 × 1018 cm−3", 1.5e18, "cm**-3"),
        ("miss the orbit by 2.7 × 10 4 km at", "2.7 × 10 4 km", 2.7e4, "km"),
        ("a fluence of 10 −7 grains here", "10 −7", 1e-7, None),
        ("sensitized with 1 x 108 cells", "1 x 108", 1e8, None),
        ("a flux of 2 · 10 10 A/m 2 so", "2 · 10 10 A/m 2", 2e10, "A*m**-2"),
        ("out to 10 6 km from", "10 6 km", 1e6, "km"),
    ],
)
def test_flattened_powers_of_ten(text, raw, value, unit):
    q = _one(text)
    assert (q.raw, q.unit) == (raw, unit)
    assert q.values[0] == pytest.approx(value)


@pytest.mark.parametrize("text", ["a 2 × 100 nm flake", "a 2 × 105 × 3 nm box", "a 10 15 and 20"])
def test_dimensions_and_small_spaced_numbers_are_no_powers(text):
    assert all(v < 1000 for q in find_quantities(text) for v in q.values)


@pytest.mark.parametrize(
    "text,raw,unit",
    [
        ("with 80.5 and 76.2%HR max", "80.5 and 76.2%", "percent"),
        ("a 5%P-85 solution", "5%", "percent"),
        ("a viscosity of 100mPa.s at", "100mPa.s", "mPa*s"),
        ("annealed at 700 o C for", "700 o C", "degC"),
        ("a strength of 196.44 Mpa and", "196.44 Mpa", "MPa"),
        ("a FWHM of 250 arcsec.", "250 arcsec", "arcsec"),
        ("weighs 80 tonnes.", "80 tonnes", "tonnes"),
        ("contains 0.2% by weight of C", "0.2% by weight", "wt_percent"),
        ("and 5 % by volume of Ar", "5 % by volume", "vol_percent"),
    ],
)
def test_units_as_papers_and_pdf_text_write_them(text, raw, unit):
    q = _one(text)
    assert (q.raw, q.unit) == (raw, unit)


def test_an_interval_with_a_unit_on_each_end_is_read_in_the_last_unit():
    q = _one("stirred for 30 minutes to 20 hours at")
    assert (q.raw, q.kind, q.values) == ("30 minutes to 20 hours", "interval", (0.5, 20.0))


def test_negative_ranges_written_by_magnitude():
    q = _one("a bias of -16 V to -31 V was")
    assert (q.kind, q.values) == ("interval", (-31.0, -16.0))


def test_a_change_from_one_value_to_another_is_still_two_values():
    assert [q.raw for q in find_quantities("reduced from −5 V to −10 V")] == ["−5 V", "−10 V"]
    assert [q.raw for q in find_quantities("fell from 300 K to 200 K")] == ["300 K", "200 K"]


@pytest.mark.parametrize(
    "text",
    [
        "the 75 As NMR spectra",
        "shows 1 H NMR spectra",
        "from 13 C NMR",
        "to form the (Nd, Dy) 2 Fe 14 B shell",
        "the relaxation rate 1/T 1 T grows",
        "Figures 4(a) and 5(b) show",
    ],
)
def test_isotopes_flattened_subscripts_and_panels_are_no_quantities(text):
    assert [q.raw for q in find_quantities(text) if q.unit is None] == []


def test_a_count_after_a_bracket_without_a_symbol_is_kept():
    assert [q.raw for q in find_quantities("loading was (a) 1.3 (b) 2.4, and (c) 2.2 mg cm−2")][:2] == ["1.3", "2.4"]


@pytest.mark.parametrize(
    "text,values",
    [
        ("indices ranging from -0.75 to -0.95.", (-0.95, -0.75)),
        ("distances ranged from 3.8 to 2.5 AU", (2.5, 3.8)),
        ("the voltage varies from 2 V to 5 V", (2.0, 5.0)),
    ],
)
def test_a_range_verb_makes_from_to_an_interval(text, values):
    q = _one(text)
    assert (q.kind, q.values) == ("interval", values)


def test_uncertainty_in_brackets():
    q = _one("a K D value of 113 (± 1) nM was")
    assert (q.raw, q.values, q.uncertainty, q.unit) == ("113 (± 1) nM", (113.0,), 1.0, "nM")


def test_a_flattened_power_before_a_counted_noun():
    (q,) = find_quantities("simulations of 10 9 particles")
    assert (q.raw, q.values) == ("10 9", (1e9,))


def test_a_lost_space_after_a_unit_is_no_glued_factor():
    assert [q.raw for q in find_quantities("from 3 K to 300 K.A sample")] == ["3 K to 300 K"]


def test_two_values_each_with_its_unit_are_two_mentions():
    assert [q.raw for q in find_quantities("at 1.3 mm and 3 mm depth")] == ["1.3 mm", "3 mm"]
    assert [q.raw for q in find_quantities("yields of 45% or 50% were")] == ["45%", "50%"]


def test_a_shared_unit_or_a_respectively_keeps_the_list():
    assert [q.kind for q in find_quantities("at 1.2 and 1.5 eV")] == ["list"]
    assert [q.kind for q in find_quantities("at 4.5 kg, 6 kg and 13 kg")] == ["list"]
    assert [q.kind for q in find_quantities("Tc is 11 K and 16 K, respectively, for A and B")] == ["list"]


def test_between_is_an_interval_in_either_order():
    q = _one("tuned between 2.4 eV and 1.8 eV as")
    assert (q.kind, q.values) == ("interval", (1.8, 2.4))


@pytest.mark.parametrize(
    "text,raw,unit",
    [
        ("buffer (pH 7.5) containing", "pH 7.5", None),
        ("up to 60'C as", "60'C", "degC"),
        ("is 2 atg for", "2 atg", "atg"),
    ],
)
def test_ph_in_brackets_ocr_degrees_and_gauge_atmospheres(text, raw, unit):
    q = _one(text)
    assert (q.raw, q.unit) == (raw, unit)


@pytest.mark.parametrize(
    "text,raw,values,unit",
    [
        ("at 25 and 30 kilometers per hour here", "25 and 30 kilometers per hour", (25.0, 30.0), "kilometers*hour**-1"),
        ("dissolved 5 mg per mL of", "5 mg per mL", (5.0,), "mg*mL**-1"),
        ("a 20-40 fold increase", "20-40 fold", (20.0, 40.0), None),
        ("about 4 billion years ago", "4 billion years", (4e9,), "years"),
        ("watched by 10 to 15 million people", "10 to 15 million", (1e7, 1.5e7), None),
    ],
)
def test_per_fold_and_scale_words(text, raw, values, unit):
    q = _one(text)
    assert (q.raw, q.values, q.unit) == (raw, values, unit)


@pytest.mark.parametrize(
    "text,raw,unit",
    [
        ("revenue of € 668 million in", "€ 668 million", "EUR"),
        ("costs US$ 5 per kg", "US$ 5", "USD"),
        ("from € 10 to 15 million", "€ 10 to 15 million", "EUR"),
    ],
)
def test_a_currency_before_the_number_is_its_unit(text, raw, unit):
    q = _one(text)
    assert (q.raw, q.unit) == (raw, unit)


def test_an_alloy_composition_written_out():
    text = "steel: C 0.23 Si 0.05 Mn 0.30 Ni 3.56 Cr 1.66 Mo 0.40 V 0.12 P 0.009 S 0.012 Fe balance"
    qs = find_quantities(text)
    assert [q.raw for q in qs] == ["0.23", "0.05", "0.30", "3.56", "1.66", "0.40", "0.12", "0.009", "0.012"]
    assert all(q.unit is None for q in qs)  # "V 0.12", "S 0.012": vanadium and sulphur, no volts or siemens
    ranges = find_quantities(
        "ranges: C 0.2 - 0.23 Si 0.03 - 0.16 Mn 0.01 - 0.5 Ni 3.42 - 3.68 Mo 0.3 - 0.39 V 0.09 - 0.16"
    )
    assert [q.kind for q in ranges] == ["interval"] * 6


@pytest.mark.parametrize("text", ["the Y 0.8 Ca 0.2 Ba 2 Cu 3 O 7 sample", "a La 1.85 Sr 0.15 CuO 4 film"])
def test_a_flattened_formula_is_no_composition(text):
    assert find_quantities(text) == []


@pytest.mark.parametrize("text", ["the T c $ 37À38 K here", "(T c $ 4:5 K), and", "T$5 x"])
def test_a_lone_dollar_before_a_space_is_no_currency(text):
    assert all(q.unit != "USD" for q in find_quantities(text))

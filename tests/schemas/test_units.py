"""schemas.units: paper spellings -> pint, conversions, and the one registry."""

import math

import pytest

from schemas.units import (
    UnitError,
    UnitMismatch,
    convert,
    dimensionality,
    normalize_unit_text,
    parse_unit,
    registry,
    same_dimension,
)

NORMALIZED = [
    ("°C", "degC"),
    ("◦C", "degC"),  # PDF text layers often carry U+25E6 for the degree sign
    ("ºC", "degC"),  # masculine ordinal, which NFKC would turn into "o"
    ("℃", "degC"),
    ("degrees Celsius", "degC"),
    ("K−1", "K**-1"),
    ("K-1", "K**-1"),
    ("K^-1", "K**-1"),
    ("K⁻¹", "K**-1"),
    ("mA h g−1", "mA*h*g**-1"),
    ("mA h g⁻¹", "mA*h*g**-1"),
    ("mAh/g", "mAh*g**-1"),
    ("mAh g-1", "mAh*g**-1"),
    ("cm2 V−1 s−1", "cm**2*V**-1*s**-1"),
    ("cm^2/Vs", "cm**2*V**-1*s**-1"),  # after "/", every factor is in the denominator: cm²/(V s)
    ("cm2/V s", "cm**2*V**-1*s**-1"),
    ("J mol−1 K−1", "J*mol**-1*K**-1"),
    ("J/(mol·K)", "J*mol**-1*K**-1"),
    ("W/m·K", "W*m**-1*K**-1"),
    ("W m−1 K−1", "W*m**-1*K**-1"),
    ("μW cm−1 K−2", "uW*cm**-1*K**-2"),
    ("µm", "um"),  # U+00B5 micro sign
    ("μm", "um"),  # U+03BC Greek mu
    ("μΩ cm", "uohm*cm"),
    ("μΩcm", "uohm*cm"),
    ("Ω", "ohm"),
    ("Ω cm", "ohm*cm"),  # U+2126 ohm sign
    ("Ohm cm", "Ohm*cm"),
    ("Å", "angstrom"),
    ("Å", "angstrom"),  # U+212B angstrom sign
    ("%", "percent"),
    ("wt%", "wt_percent"),
    ("wt.%", "wt_percent"),
    ("wt. %", "wt_percent"),
    ("at.%", "at_percent"),
    ("at. %", "at_percent"),
    ("mol%", "mol_percent"),
    ("vol%", "vol_percent"),
    ("emu g−1", "emu*g**-1"),
    ("μB/f.u.", "mu_B*formula_unit**-1"),
    ("µB", "mu_B"),
    ("S cm−1", "S*cm**-1"),
    ("A cm−2", "A*cm**-2"),
    ("MA cm−2", "MA*cm**-2"),
    ("mAcm-2", "mA*cm**-2"),  # glued symbols are split; the exponent stays on the last one
    ("MPa m1/2", "MPa*m**0.5"),
    ("m²/g", "m**2*g**-1"),
    ("S cm −1", "S*cm**-1"),  # superscript set apart by PDF extraction
    ("cycles", "cycle_count"),
    ("a.u.", "arbitrary_unit"),
    ("C-rate", "C_rate"),
    ("A/cm-w", "A*cm_w**-1"),  # per cm of tape width (coated conductors)
    ("A/cm-width", "A*cm_w**-1"),
    ("A mm-w−1", "A*mm_w**-1"),
    ("mA*h*g**-1", "mA*h*g**-1"),  # idempotent
]


@pytest.mark.parametrize("raw, expected", NORMALIZED)
def test_normalize_unit_text(raw, expected):
    assert normalize_unit_text(raw) == expected
    assert parse_unit(raw) is not None


# (paper spelling, an SI spelling of the same dimension): documents the ambiguous single letters.
SAME_DIMENSION_AS = [
    ("kA/m", "A/m"),
    ("T", "kg/(A*s**2)"),  # tesla, not temperature
    ("mT", "tesla"),
    ("Oe", "A/m"),  # an H-field in SI (pint's Gaussian oersted is replaced in units.txt)
    ("kOe", "A/m"),
    ("G", "tesla"),  # gauss: a B-field
    ("K", "kelvin"),
    ("h", "second"),  # hour
    ("s", "second"),
    ("S", "A/V"),  # siemens
    ("C", "A*s"),  # coulomb; "°C" is Celsius
    ("M", "mol/m**3"),  # molar
    ("g", "kg"),
    ("eV", "J"),
    ("meV", "J"),
    ("GPa", "Pa"),
    ("kbar", "Pa"),
    ("mbar", "Pa"),
    ("Torr", "Pa"),
    ("mTorr", "Pa"),
    ("nm", "m"),
    ("mV", "V"),
    ("Wh kg−1", "J/kg"),
    ("m2 g−1", "m**2/kg"),
    ("cm3 g−1", "m**3/kg"),
    ("mg cm−2", "kg/m**2"),
    ("min", "s"),
    ("Hz", "1/s"),
    ("kHz", "1/s"),
    ("ppm", "dimensionless"),
    ("wt%", "dimensionless"),
    ("emu", "A*m**2"),
    ("μB", "A*m**2"),
    ("μB/f.u.", "A*m**2"),
    ("MGOe", "J/m**3"),
    ("°C/min", "K/s"),
    ("C-rate", "1/s"),
]


@pytest.mark.parametrize("raw, si", SAME_DIMENSION_AS)
def test_dimensionality(raw, si):
    assert dimensionality(raw) is not None
    assert parse_unit(raw).dimensionality == registry().parse_units(si).dimensionality
    assert same_dimension(raw, si)


def test_dimensionality_text():
    assert dimensionality("nm") == "[length]"
    assert dimensionality("%") == "dimensionless"
    assert dimensionality("not a unit") is None


@pytest.mark.parametrize(
    "raw", ["", "   ", "and", "the", "in text", "xyz", "10^3", "The", "Au", "m1/0", "(((", None, 5]
)
def test_parse_unit_is_none_for_garbage(raw):
    assert parse_unit(raw) is None


@pytest.mark.parametrize("raw", ["K**", "°°", "%%%", "^^", "/", "m/", "1/", "**-1", "(m", "m)", "a.u.u.", "10−3 K"])
def test_parse_unit_never_raises(raw):
    parse_unit(raw)
    normalize_unit_text(raw)
    dimensionality(raw)


def test_parse_unit_is_none_for_words_but_not_for_inches():
    # parse_unit reads pint's symbols faithfully ("in" is inch); deciding that "in" after a number is a word
    # is the extractor's job (extractors.quantities never takes English words as units).
    assert parse_unit("and") is None
    assert parse_unit("The") is None
    assert parse_unit("in") is not None


CONVERSIONS = [
    ([1270.0], "mA h g−1", "mAh/g", [1270.0]),
    ([300.0], "°C", "K", [573.15]),
    ([-5.0], "°C", "K", [268.15]),
    ([1.2e-3], "S cm−1", "S/m", [0.12]),
    ([1.0], "μΩ cm", "ohm*m", [1e-8]),
    ([5.0], "kOe", "A/m", [5e3 * 1e3 / (4 * math.pi)]),
    ([1.0], "G", "T", [1e-4]),
    ([10.0], "emu g−1", "A*m**2/kg", [10.0]),
    ([1.0], "emu/cm3", "A/m", [1e3]),
    ([5.0], "wt%", "dimensionless", [0.05]),
    ([45.0], "%", "dimensionless", [0.45]),
    ([2.0], "MPa m1/2", "Pa*m**0.5", [2e6]),
    ([1.0], "MGOe", "kJ/m**3", [7.957747154594767]),
    ([1.0], "eV", "meV", [1000.0]),
    ([1.0], "Torr", "Pa", [133.32236842105263]),
    ([10.0], "°C/min", "K/min", [10.0]),  # a rate: the Celsius offset does not apply
    ([1.0], "cm2 V−1 s−1", "m**2/(V*s)", [1e-4]),
    ([450.0], "A/cm-w", "A/cm", [450.0]),  # a width is a length
    ([45.0], "A/mm-w", "A/cm", [450.0]),
]


@pytest.mark.parametrize("values, unit, target, expected", CONVERSIONS)
def test_convert(values, unit, target, expected):
    assert convert(values, unit, target) == pytest.approx(expected, rel=1e-9)


def test_magnetic_context_converts_h_to_b():
    assert convert([5.0], "kOe", "T", context="magnetic") == pytest.approx([0.5], rel=1e-6)
    assert convert([0.5], "T", "kOe", context="magnetic") == pytest.approx([5.0], rel=1e-6)


@pytest.mark.parametrize(
    "unit, target",
    [("K", "eV"), ("kOe", "T"), ("mAh/g", "mAh"), ("wt%", "K"), ("S cm−1", "ohm*m"), ("GPa", "eV")],
)
def test_dimension_mismatch_raises(unit, target):
    assert not same_dimension(unit, target)
    with pytest.raises(UnitMismatch):
        convert([1.0], unit, target)


def test_unreadable_unit_raises_unit_error():
    with pytest.raises(UnitError):
        convert([1.0], "furlongs per fortnight and", "m/s")
    assert issubclass(UnitMismatch, UnitError) and issubclass(UnitError, ValueError)


def test_same_dimension():
    assert same_dimension("mAh/g", "mA h g−1")
    assert same_dimension("°C", "K")
    assert same_dimension("wt%", "%")  # both dimensionless; the names keep the basis apart
    assert not same_dimension("nonsense", "K")


def test_composition_units_keep_their_basis():
    assert normalize_unit_text("wt%") != normalize_unit_text("at%") != normalize_unit_text("%")


def test_registry_is_a_singleton_and_pints_application_registry():
    import pint

    assert registry() is registry()
    assert pint.get_application_registry().get() is registry()


def test_converting_many_values_is_fast():
    values = [float(i) for i in range(100_000)]
    convert(values[:1], "°C", "K")  # warm the caches
    out = convert(values, "°C", "K")
    # no time assertion here: speed is measured by `make bench` (timed tests are flaky on shared CPUs)
    assert out[0] == pytest.approx(273.15) and out[-1] == pytest.approx(99_999 + 273.15)


def test_bohr_magneton_per_atom_of_an_element():
    """μB per U atom (a count, like per f.u.), not per enzyme unit; μB/T keeps its tesla."""
    from schemas.units import parse_unit

    for u in ("μB/U", "μB/Fe atom", "μB per Mn", "μB/ion", "μB/atom"):
        assert str(parse_unit(u)) == "bohr_magneton / formula_unit", u
    assert str(parse_unit("μB/T")) == "bohr_magneton / tesla"

"""Tick labels to numbers and the axis fit: minus signs, powers of ten, offsets, linear vs log, residuals."""

import numpy as np
import pytest

from extractors.figures.ticks import Tick, fit_axis, parse_offset, parse_tick


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.5", 0.5), ("\u22122", -2.0), ("\u22120.25", -0.25), ("1,000", 1000.0), ("0,5", 0.5), ("100", 100.0),
     ("10^\u22121", 0.1), ("10^3", 1000.0), ("2\u00d710^3", 2000.0), ("1e-3", 1e-3), ("10\u207b\u00b3", 1e-3),
     ("$10^{2}$", 100.0), ("5%", 5.0)],
)
def test_numbers(text, value):
    t = parse_tick(text)
    assert t is not None and t.value == pytest.approx(value)


@pytest.mark.parametrize("text", ["Jan", "2019-05", "LiFePO4", "A", "x", "", "10 K", "Mon"])
def test_not_numbers(text):
    assert parse_tick(text) is None


def test_offsets():
    assert parse_offset("\u00d710^6") == 6
    assert parse_offset("\u00d710^\u22125") == -5
    assert parse_offset("1e\u22124") == -4
    assert parse_offset("x10-3") == -3
    assert parse_offset("10") is None and parse_offset("3") is None


def test_linear_fit_is_exact_and_inverts():
    p = [10.0, 60.0, 110.0, 160.0]
    fit = fit_axis(p, [Tick(v, False) for v in (0, 100, 200, 300)])
    assert fit.scale == "linear" and fit.residual < 1e-9
    assert fit.to_data([35.0])[0] == pytest.approx(50.0)
    assert fit.to_page([250.0])[0] == pytest.approx(135.0)


def test_log_detected_from_powers_and_from_spacing():
    p = [200.0, 150.0, 100.0]
    assert fit_axis(p, [Tick(v, True) for v in (1, 10, 100)]).scale == "log"
    fit = fit_axis(p, [Tick(v, False) for v in (1, 10, 100)])
    assert fit.scale == "log" and fit.residual < 1e-9
    assert fit.to_data([125.0])[0] == pytest.approx(np.sqrt(1000))


def test_bad_ticks_leave_a_residual():
    fit = fit_axis([0.0, 10.0, 20.0, 30.0], [Tick(v, False) for v in (0, 1, 2, 5)])
    assert fit.residual > 0.05
    assert fit_axis([1.0, 2.0], [Tick(3.0, False), Tick(3.0, False)]) is None

"""Tick labels to numbers, ×10ⁿ offset labels, and the page<->data fit of one axis (linear or log)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-", "\u2010": "-", "\u00d7": "x", "\u22c5": "x",
                        "\u00b7": "x", "\u2009": "", "\u202f": "", " ": ""})
_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_PLAIN = re.compile(rf"^({_NUM})(?:[eE]({_NUM}))?%?$")
_POWER = re.compile(rf"^(?:({_NUM})[x*])?10\^\{{?({_NUM})\}}?$")  # 10^-1, 2x10^3
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+$")
_OFFSET_POWER = re.compile(rf"^[x*]10\^?\{{?({_NUM})\}}?$")  # "×10^6" standing alone
_OFFSET_E = re.compile(rf"^1[eE]({_NUM})$")  # "1e-5"


def _clean(text: str) -> str:
    t = text.translate(_MINUS)
    if any(c in t for c in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"):
        i = next(i for i, c in enumerate(t) if c in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
        t = t[:i] + "^" + t[i:].translate(_SUP)
    return t.strip("$")


@dataclass(frozen=True)
class Tick:
    value: float
    power: bool  # written as a power of ten (10^n): evidence of a log axis


def parse_tick(text: str) -> Tick | None:
    """The number a tick label shows: "0.5", "−2", "1,000", "0,5", "10^−1", "2×10^3", "1e-3"; None otherwise."""
    t = _clean(text)
    if not t:
        return None
    m = _POWER.match(t)
    if m:
        mant = float(m.group(1)) if m.group(1) else 1.0
        return Tick(mant * 10 ** float(m.group(2)), power=m.group(1) is None)
    if _THOUSANDS.match(t):
        return Tick(float(t.replace(",", "")), power=False)
    if re.match(r"^[-+]?\d+,\d+$", t):  # decimal comma
        t = t.replace(",", ".")
    m = _PLAIN.match(t)
    if m:
        v = float(m.group(1)) * (10 ** float(m.group(2)) if m.group(2) else 1.0)
        return Tick(v, power=False) if math.isfinite(v) else None
    return None


def parse_offset(text: str) -> int | None:
    """The exponent of a stand-alone multiplier label ("×10^6", "×10^−5", "1e−5", "x10-3"), else None."""
    t = _clean(text)
    m = _OFFSET_POWER.match(t) or _OFFSET_E.match(t)
    if m:
        try:
            v = float(m.group(1))
        except ValueError:
            return None
        return int(v) if v.is_integer() else None
    m = re.match(r"^[x*]10([-+]\d+)$", t)
    return int(m.group(1)) if m else None


@dataclass
class AxisFit:
    """data = a*p + b (linear) or 10**(a*p + b) (log), p in page points along the axis."""

    scale: str
    a: float
    b: float
    residual: float  # max |fit - tick| over the ticks as a share of the tick span (in log10 for log axes)
    n: int

    def to_data(self, p):
        v = self.a * np.asarray(p, dtype=float) + self.b
        return np.power(10.0, v) if self.scale == "log" else v

    def to_page(self, v):
        v = np.asarray(v, dtype=float)
        if self.scale == "log":
            v = np.log10(v)
        return (v - self.b) / self.a


def _fit(p: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    a, b = np.polyfit(p, v, 1)
    span = float(v.max() - v.min())
    res = float(np.max(np.abs(a * p + b - v)) / span) if span > 0 else math.inf
    return float(a), float(b), res


def fit_axis(positions: list[float], ticks: list[Tick]) -> AxisFit | None:
    """Fit page positions to tick values; a log axis when values are powers of ten or a log fit is much better.

    None when fewer than two distinct values (or positions) are given.
    """
    p = np.asarray(positions, dtype=float)
    v = np.asarray([t.value for t in ticks], dtype=float)
    if len(set(v.tolist())) < 2 or len(set(np.round(p, 3).tolist())) < 2:
        return None
    lin = _fit(p, v)
    positive = bool(np.all(v > 0))
    all_power = positive and all(t.power for t in ticks)
    if positive:
        lv = np.log10(v)
        log = _fit(p, lv)
        decades = np.abs(lv - np.round(lv)) < 1e-9
        two_decades = len(v) == 2 and bool(np.all(decades)) and float(np.ptp(lv)) >= 1  # "1" and "10" alone
        if all_power or two_decades or (len(v) >= 3 and log[2] < 0.2 * lin[2] and lin[2] > 1e-3):
            return AxisFit("log", log[0], log[1], log[2], len(v))
    return AxisFit("linear", lin[0], lin[1], lin[2], len(v))

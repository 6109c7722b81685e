"""Records as training text: special tokens, canonical values preferred, bounds, intervals, conditions."""

from __future__ import annotations

from pipeline.shard.serialize import SPECIAL_TOKENS, record_to_text
from schemas import Condition, Evidence, Material, PropertyRef, Quantity, Record


def _rec(material="LiFePO4", prop="band_gap", q=None, conditions=(), method=None) -> Record:
    return Record(
        record_id="r", paper_id="p",
        material=Material(raw=material, formula=material) if material else None,
        property=PropertyRef(raw="band gap", id=prop),
        quantity=q or Quantity(raw="3.7 eV", values=[3.7], unit_raw="eV", unit="eV", values_canonical=[3.7]),
        conditions=list(conditions), method=method,
        evidence=Evidence(source_id="b1"), extractor="x", extractor_version="1",
    )


def test_issue_example():
    t = Quantity(raw="300 K", values=[300.0], unit_raw="K", unit="K", values_canonical=[300.0])
    rec = _rec(conditions=[Condition(raw="at 300 K", property_id="temperature", quantity=t)])
    assert record_to_text(rec) == "<mat> LiFePO4 <prop> band_gap <val> 3.7 <unit> eV <cond> T=300 K"


def test_canonical_unit_preferred_and_raw_fallback():
    q = Quantity(raw="20 mS/cm", values=[20.0], unit_raw="mS/cm", unit="S/m", values_canonical=[2.0])
    assert record_to_text(_rec(prop="ionic_conductivity", q=q)).endswith("<val> 2 <unit> S/m")
    q = Quantity(raw="20 furlongs", values=[20.0], unit_raw="furlongs")
    assert record_to_text(_rec(q=q)).endswith("<val> 20 <unit> furlongs")


def test_interval_bound_uncertainty_list_and_method():
    q = Quantity(raw="3.5-3.9 eV", kind="interval", values=[3.5, 3.9], unit="eV", values_canonical=[3.5, 3.9])
    assert "<val> 3.5 - 3.9 <unit> eV" in record_to_text(_rec(q=q))
    q = Quantity(raw="< 5 K", kind="bound", bound="lt", values=[5.0], unit="K", values_canonical=[5.0])
    assert "<val> < 5 <unit> K" in record_to_text(_rec(q=q))
    q = Quantity(raw="3.7 ± 0.1 eV", values=[3.7], uncertainty=0.1, unit="eV", values_canonical=[3.7],
                 uncertainty_canonical=0.1)
    assert "<val> 3.7 ± 0.1 <unit> eV" in record_to_text(_rec(q=q))
    q = Quantity(raw="1, 2 and 3.6e21", kind="list", values=[1, 2, 3.6e21])
    assert "<val> 1, 2, 3.6e+21" in record_to_text(_rec(q=q, method="DFT"))
    assert record_to_text(_rec(method="DFT")).endswith("<method> DFT")


def test_missing_parts_left_out_and_no_token_injection():
    q = Quantity(raw="12", values=[12.0], unit="dimensionless", values_canonical=[12.0])
    assert record_to_text(_rec(material=None, prop=None, q=q)) == "<prop> band gap <val> 12"
    text = record_to_text(_rec(material="X<mat>Y\nZ"))
    assert text.startswith("<mat> XmatY Z <prop>")
    assert all(text.count(t) <= 1 for t in SPECIAL_TOKENS)

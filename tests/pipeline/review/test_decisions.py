"""apply_decision / latest_decisions: the contract the shard stage and `matlit review export` rely on."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from pipeline.config import load_config
from pipeline.review.decisions import apply_decision, apply_decisions, latest_decisions
from pipeline.review.store import decisions, get_engine, write_conn
from schemas import Evidence, Material, PropertyRef, Prov, Quantity, Record, ReviewDecision
from schemas.geometry import BBox, CharSpan

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)


def mgb2() -> Record:
    """The record text_rules reads from 'MgB2 (Tc = 39 K)' on page 1 of a bundled paper."""
    prov = Prov(page=1, bbox=BBox(x0=47.85, y0=438.37, x1=430.4, y1=449.44), span=CharSpan(start=870, end=971),
                item_id="b6")
    return Record(
        record_id="24ddc97ccd683ec7a45e",
        paper_id="bd7989b743ea161c",
        material=Material(raw="MgB2", formula="MgB2", reduced_formula="MgB2", span=CharSpan(start=951, end=955)),
        property=PropertyRef(raw="Tc", id="critical_temperature"),
        quantity=Quantity(raw="39 K", values=[39.0], unit_raw="K", unit="K", values_canonical=[39.0]),
        evidence=Evidence(source_id="b6", prov=[prov], snippet="e.g. MgB2 (Tc = 39 K) and GdBaCuO (Tc = 92 K)"),
        extractor="text_rules",
        extractor_version="1",
    )


def dec(action, patch=None, reason=None, rid="24ddc97ccd683ec7a45e") -> ReviewDecision:
    return ReviewDecision(record_id=rid, action=action, reason=reason, patch=patch or {}, curator="ann", decided_at=NOW)


def test_accept_keeps_record_and_marks_it():
    r = mgb2()
    out = apply_decision(r, dec("accept"))
    assert out.model_dump(exclude={"flags"}) == r.model_dump(exclude={"flags"})
    assert "review:accepted" in out.flags


def test_edit_value_and_unit_renormalizes_and_keeps_provenance():
    r = mgb2()
    out = apply_decision(r, dec("edit", {"quantity.values": "[-234.0]", "quantity.unit_raw": json.dumps("°C")}))
    assert out.quantity.values == [-234.0]
    assert out.quantity.unit == "K"
    assert out.quantity.values_canonical == pytest.approx([39.15])
    assert out.evidence == r.evidence and out.record_id == r.record_id and out.extractor == "text_rules"
    assert {"review:edited", "edited:quantity.values", "edited:quantity.unit_raw"} <= set(out.flags)
    assert r.quantity.values == [39.0]  # the input is not mutated


def test_edit_material_and_property():
    out = apply_decision(mgb2(), dec("edit", {"material.raw": '"GdBaCuO"', "property.id": '"critical_temperature"',
                                              "quantity.values": "[92]"}))
    assert out.material.raw == "GdBaCuO" and out.material.span == mgb2().material.span
    assert out.quantity.values_canonical == [92.0]


def test_edit_to_wrong_dimension_flags_it():
    out = apply_decision(mgb2(), dec("edit", {"quantity.unit_raw": '"GPa"'}))
    assert "unit_dimension_mismatch" in out.flags and out.quantity.values_canonical == []


def test_bad_patches_name_record_and_path():
    with pytest.raises(ValueError, match=r"24ddc97ccd683ec7a45e.*'quantity\.nonsense'"):
        apply_decision(mgb2(), dec("edit", {"quantity.nonsense": "1"}))
    with pytest.raises(ValueError, match="not JSON-encoded"):
        apply_decision(mgb2(), dec("edit", {"quantity.values": "[39"}))
    with pytest.raises(ValueError, match="does not validate"):
        apply_decision(mgb2(), dec("edit", {"quantity.values": '"high"'}))


def test_reject_drop_or_mark():
    r = mgb2()
    ds = {r.record_id: dec("reject", reason="wrong_value")}
    assert apply_decisions([r], ds, rejected="drop") == []
    [marked] = apply_decisions([r], ds, rejected="mark")
    assert {"review:rejected", "review:reason:wrong_value"} <= set(marked.flags)


def test_latest_decisions_from_sqlite(tmp_path):
    cfg = load_config(overrides={"work_dir": tmp_path / "work"})
    assert latest_decisions(cfg) == {}  # no DB yet
    assert not (tmp_path / "work" / "review").exists()
    eng = get_engine(f"sqlite:///{tmp_path / 'work' / 'review' / 'review.sqlite'}")
    with write_conn(eng) as c, c.begin():
        for i, (action, patch) in enumerate([("accept", {}), ("edit", {"quantity.values": "[40]"})]):
            c.execute(decisions.insert().values(record_id="r1", action=action, patch_json=json.dumps(patch),
                                                curator="ann", decided_at=NOW + timedelta(seconds=i), version=i + 1))
        c.execute(decisions.insert().values(record_id="r2", action="reject", reason="duplicate", patch_json="{}",
                                            curator="bob", decided_at=NOW, version=1))
    got = latest_decisions(cfg)
    assert set(got) == {"r1", "r2"}
    assert got["r1"].action == "edit" and got["r1"].patch == {"quantity.values": "[40]"}
    assert got["r2"].reason == "duplicate" and got["r2"].decided_at.tzinfo is not None
    with pytest.raises(Exception, match="append-only"):
        with write_conn(eng) as c, c.begin():
            c.exec_driver_sql("DELETE FROM decisions")

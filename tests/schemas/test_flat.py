"""The flat record schema is derived from Record: every field of Record has a column, rows fit the schema."""

from __future__ import annotations

import pyarrow as pa
import pytest

from schemas import CharSpan, Condition, Evidence, Material, PropertyRef, Prov, Quantity, Record
from schemas.arrow import arrow_type
from schemas.flat import DERIVED_COLUMNS, RECORD_COLUMNS, flat_record_schema, flatten, record_leaf_paths
from schemas.geometry import BBox


def _record(**kw) -> Record:
    base = dict(
        record_id="r1",
        paper_id="p1",
        material=Material(raw="LiFePO4", formula="LiFePO4", reduced_formula="LiFePO4", span=CharSpan(start=4, end=11)),
        property=PropertyRef(raw="band gap", id="band_gap", span=CharSpan(start=16, end=24)),
        quantity=Quantity(raw="3.7 eV", values=[3.7], unit_raw="eV", unit="eV", values_canonical=[3.7],
                          span=CharSpan(start=28, end=34)),
        conditions=[Condition(raw="at 300 K", property_id="temperature",
                              quantity=Quantity(raw="300 K", values=[300.0], unit_raw="K", unit="K", values_canonical=[300.0]))],
        evidence=Evidence(source_id="b7", prov=[
            Prov(page=3, bbox=BBox(x0=10, y0=20, x1=200, y1=30), span=CharSpan(start=0, end=40), item_id="b7"),
            Prov(page=3, bbox=BBox(x0=10, y0=31, x1=100, y1=41), span=CharSpan(start=41, end=60), item_id="b7")],
            snippet="The LiFePO4 band gap is 3.7 eV at 300 K."),
        extractor="text_rules",
        extractor_version="1",
        score=0.8,
        flags=["x"],
    )
    base.update(kw)
    return Record(**base)


def test_every_record_field_has_a_column():
    paths = set(RECORD_COLUMNS.values())
    leaves = record_leaf_paths()
    assert "quantity.values_canonical" in leaves and "evidence.prov[].bbox.x0" in leaves
    missing = [leaf for leaf in leaves if not any(leaf == p or leaf.startswith(p + ".") or leaf.startswith(p + "[].")
                                                   for p in paths)]
    assert missing == []
    assert not set(RECORD_COLUMNS) & set(DERIVED_COLUMNS)


def test_types_follow_the_model():
    s = flat_record_schema()
    assert s.field("values").type == pa.list_(pa.float64())
    assert s.field("conditions").type == arrow_type(Record.model_fields["conditions"].annotation)
    assert s.field("material_raw").nullable and not s.field("quantity_raw").nullable  # material is optional
    assert s.field("score").type == pa.float64() and s.field("kind").type == pa.string()
    assert s.metadata[b"schema_version"]


def test_flatten_fills_derived_columns_and_fits_schema():
    row = flatten(_record(), review_status="edited", record_text="<mat> LiFePO4", split="train")
    assert row["value_num"] == 3.7 and row["page"] == 3 and row["bbox"] == [10.0, 20.0, 200.0, 30.0]
    assert (row["char_start"], row["char_end"]) == (0, 60)
    assert row["conditions"][0]["quantity"]["values_canonical"] == [300.0]
    t = pa.Table.from_pylist([row, flatten(_record(material=None, conditions=[]))], schema=flat_record_schema())
    assert t.num_rows == 2 and t["material_raw"].to_pylist() == ["LiFePO4", None]
    assert t["review_status"].to_pylist() == ["edited", "none"]


def test_flatten_without_canonical_values_or_prov():
    rec = _record(quantity=Quantity(raw="5", values=[5.0], span=CharSpan(start=1, end=2)),
                  evidence=Evidence(source_id="t0:r1c1", source_kind="table"))
    row = flatten(rec)
    assert row["value_num"] is None and row["page"] is None and row["bbox"] is None
    assert (row["char_start"], row["char_end"]) == (1, 2)


def test_flatten_refuses_unknown_extras():
    with pytest.raises(KeyError, match="not a derived column"):
        flatten(_record(), colour="red")
    with pytest.raises(ValueError, match="review_status"):
        flatten(_record(), review_status="maybe")

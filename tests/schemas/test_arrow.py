"""The Arrow schema and the JSON Schema come from the same models and agree field by field."""

from datetime import datetime, timezone

import pyarrow as pa
import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from schemas import (
    SCHEMA_VERSION,
    BBox,
    CharSpan,
    Condition,
    Evidence,
    Failure,
    Material,
    Paper,
    ParsedDocument,
    PropertyRef,
    Prov,
    Quantity,
    Record,
    ReviewDecision,
)
from schemas.arrow import arrow_schema, from_table, json_schema, to_table

MODELS = [Record, ReviewDecision, Paper, Failure, ParsedDocument]


def _record() -> Record:
    prov = Prov(page=3, bbox=BBox(x0=56.7, y0=100.2, x1=290.1, y1=110.9), span=CharSpan(start=4, end=20), item_id="b12.s1")
    q = Quantity(raw="3.2 ± 0.1 eV", values=[3.2], uncertainty=0.1, unit_raw="eV", unit="eV", values_canonical=[3.2])
    return Record(
        record_id=Record.make_id("abc", "text_rules", "b12.s1", 4, "3.2 ± 0.1 eV"),
        paper_id="abc",
        material=Material(raw="anatase TiO2", formula="TiO2", reduced_formula="TiO2"),
        property=PropertyRef(raw="band gap", id="band_gap"),
        quantity=q,
        conditions=[Condition(raw="at 300 K", property_id="temperature", quantity=Quantity(raw="300 K", values=[300.0], unit_raw="K"))],
        method="UV-vis",
        evidence=Evidence(source_id="b12.s1", prov=[prov], snippet="The band gap of anatase TiO2 is 3.2 ± 0.1 eV"),
        extractor="text_rules",
        extractor_version="1",
        score=0.9,
        flags=["unit_ok"],
    )


def _arrow_kind(t: pa.DataType) -> str:
    if pa.types.is_struct(t):
        return "object"
    if pa.types.is_list(t):
        return "array"
    if pa.types.is_map(t):
        return "object"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t):
        return "number"
    if pa.types.is_timestamp(t):
        return "string"
    return "string"


def _json_kind(prop: dict, defs: dict) -> tuple[str, bool]:
    """(json type, nullable) of a JSON-schema property, following $ref and anyOf-with-null."""
    nullable = False
    if "anyOf" in prop:
        opts = [o for o in prop["anyOf"] if o.get("type") != "null"]
        nullable = len(opts) < len(prop["anyOf"])
        prop = opts[0]
    if "$ref" in prop:
        prop = defs[prop["$ref"].split("/")[-1]]
    if "enum" in prop or "const" in prop:
        return "string", nullable
    return prop.get("type", "object"), nullable


def _compare(model_schema: dict, arrow_struct_fields, defs: dict, path: str):
    props = model_schema["properties"]
    names = [f.name for f in arrow_struct_fields]
    assert names == list(props), f"{path}: field names differ: {names} vs {list(props)}"
    required = set(model_schema.get("required", []))
    for f in arrow_struct_fields:
        jkind, jnull = _json_kind(props[f.name], defs)
        assert _arrow_kind(f.type) == jkind, f"{path}.{f.name}: arrow {f.type} vs json {jkind}"
        if jnull:
            assert f.nullable, f"{path}.{f.name}: JSON allows null but Arrow field is not nullable"
        if f.nullable and not jnull:
            pytest.fail(f"{path}.{f.name}: Arrow nullable but JSON does not allow null")
        if f.name not in required:
            # optional in JSON means a default exists; the Arrow column is still always written
            pass
        sub = props[f.name]
        sub = next((o for o in sub.get("anyOf", [sub]) if o.get("type") != "null"), sub)
        if "$ref" in sub and pa.types.is_struct(f.type):
            _compare(defs[sub["$ref"].split("/")[-1]], list(f.type), defs, f"{path}.{f.name}")
        if pa.types.is_list(f.type) and pa.types.is_struct(f.type.value_type):
            item = sub["items"]
            if "$ref" in item:
                _compare(defs[item["$ref"].split("/")[-1]], list(f.type.value_type), defs, f"{path}.{f.name}[]")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_arrow_and_json_schema_agree(model):
    js = json_schema(model)
    schema = arrow_schema(model)
    assert schema.metadata[b"schema_version"].decode() == SCHEMA_VERSION
    _compare(js, list(schema), js.get("$defs", {}), model.__name__)


def test_record_round_trips_through_arrow_and_validates_against_json_schema():
    rec = _record()
    table = to_table([rec, rec.model_copy(update={"material": None, "score": None})], Record)
    assert table.schema.equals(arrow_schema(Record), check_metadata=False)
    back = from_table(table, Record)
    assert back[0] == rec
    assert back[1].material is None
    Draft202012Validator(json_schema(Record)).validate(rec.model_dump(mode="json"))


def test_review_decision_patch_is_a_map_column():
    d = ReviewDecision(record_id="r1", action="edit", patch={"quantity.values": "[3.3]"}, curator="ana", decided_at=datetime(2026, 1, 2, tzinfo=timezone.utc))
    t = to_table([d], ReviewDecision)
    assert pa.types.is_map(t.schema.field("patch").type)
    assert from_table(t, ReviewDecision)[0] == d


def test_unknown_fields_are_rejected():
    with pytest.raises(ValidationError, match="extra"):
        Prov(page=1, pg=2)
    with pytest.raises(ValidationError):
        Prov(page=0)  # pages count from 1


def test_record_ids_are_deterministic_and_distinct():
    a = Record.make_id("p", "text_rules", "b1.s0", 10, "3.2 eV")
    assert a == Record.make_id("p", "text_rules", "b1.s0", 10, "3.2 eV")
    assert a != Record.make_id("p", "text_rules", "b1.s0", 11, "3.2 eV")
    assert a != Record.make_id("p", "tables", "b1.s0", 10, "3.2 eV")


def test_parsed_document_boxes_for_uses_word_boxes():
    from schemas import Block, BlockKind, Line, Word

    text = "Tc is 92 K. Next sentence"
    words, x = [], 10.0
    pos = 0
    for w in text.split(" "):
        start = text.index(w, pos)
        words.append(Word(start=start, end=start + len(w), bbox=BBox(x0=x, y0=10, x1=x + 5 * len(w), y1=20)))
        x += 5 * len(w) + 3
        pos = start + len(w)
    block = Block(id="b0", kind=BlockKind.paragraph, text=text, lines=[Line(start=0, end=len(text), page=2, bbox=BBox(x0=10, y0=10, x1=x, y1=20), words=words)])
    doc = ParsedDocument(paper_id="p", parser="test", blocks=[block])
    (p,) = doc.boxes_for(block, 0, 11)
    assert p.page == 2 and p.span == CharSpan(start=0, end=11)
    assert p.bbox.x0 == 10 and p.bbox.x1 == words[3].bbox.x1  # "Tc is 92 K." ends at the 4th word

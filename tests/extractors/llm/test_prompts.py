import json

import pytest
from pydantic import ValidationError

from extractors.llm.prompts import PromptError, dump_response, list_prompts, load_prompt
from schemas.llm_response import response_json_schema, response_model


def test_every_prompt_file_loads_and_renders():
    names = list_prompts()
    assert {"extract_paragraph", "extract_table", "verify_record", "figure_caption"} <= set(names)
    for name in names:
        p = load_prompt(name)
        assert p.prompt_id == f"{name}@{p.version}"
        assert len(p.prompt_hash) == 12
        assert p.spec.examples, f"{name}: few-shot examples are required"


def test_render_messages_and_hashes():
    p = load_prompt("extract_paragraph")
    r = p.render(text="GaN has a band gap of 3.4 eV.")
    roles = [m["role"] for m in r.messages]
    assert roles[0] == "system" and roles[-1] == "user"
    assert roles[1:-1] == ["user", "assistant"] * len(p.spec.examples)
    assert r.messages[-1]["content"].endswith("GaN has a band gap of 3.4 eV.")
    # examples are shown in the compact form constrained decoding produces, and they validate
    p.validate_response(r.messages[2]["content"])
    assert r.prompt_hash == p.prompt_hash
    assert p.render(text="GaN has a band gap of 3.4 eV.").input_hash == r.input_hash
    assert p.render(text="GaN has a band gap of 3.5 eV.").input_hash != r.input_hash
    assert len(p.render(few_shot=False, text="x").messages) == 2


def test_strict_undefined_names_prompt_and_variable():
    with pytest.raises(PromptError, match=r"extract_table@1.*'caption' is undefined"):
        load_prompt("extract_table").render(cells="r0c0: x")


def test_hash_changes_with_any_template_edit(tmp_path):
    src = load_prompt("verify_record").path.read_text("utf-8")
    (tmp_path / "verify_record.yaml").write_text(src, "utf-8")
    h1 = load_prompt("verify_record", tmp_path).prompt_hash
    assert h1 == load_prompt("verify_record").prompt_hash
    (tmp_path / "verify_record.yaml").write_text(src.replace("Be strict", "Be very strict"), "utf-8")
    assert load_prompt("verify_record", tmp_path).prompt_hash != h1


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda s: s.replace("id: verify_record", "id: other_name"), "must equal the file name"),
        (lambda s: s.replace("response_schema: llm_verification", "response_schema: nope"), "unknown response schema"),
        (lambda s: s.replace('unit_correct: "yes"}', 'unit_correct: "maybe"}', 1), "example 0: output does not match"),
        (lambda s: s + "\n  - : [\n", "not valid YAML"),
    ],
)
def test_bad_prompt_files_fail_clearly(tmp_path, mutate, message):
    src = load_prompt("verify_record").path.read_text("utf-8")
    (tmp_path / "verify_record.yaml").write_text(mutate(src), "utf-8")
    with pytest.raises(PromptError, match=message) as e:
        load_prompt("verify_record", tmp_path)
    assert "verify_record.yaml" in str(e.value)


def test_missing_prompt_lists_available(tmp_path):
    (tmp_path / "a.yaml").write_text("x: 1")
    with pytest.raises(PromptError, match=r"not found.*available: a"):
        load_prompt("nope", tmp_path)


def test_response_schema_enums_and_caps():
    s = response_json_schema("llm_records")
    assert "$defs" not in json.dumps(s)
    item = s["properties"]["records"]["items"]
    assert "band_gap" in item["properties"]["property"]["enum"] and "other" in item["properties"]["property"]["enum"]
    assert item["additionalProperties"] is False and item["properties"]["value"]["maxLength"] <= 40
    model = response_model("llm_records")
    ok = {"material": "GaN", "property_text": "band gap", "property": "band_gap", "value": "3.4", "unit": "eV",
          "conditions": [], "method": "", "evidence": "band gap of 3.4 eV"}
    model.model_validate_json(dump_response({"records": [ok]}))
    with pytest.raises(ValidationError):
        model.model_validate({"records": [{**ok, "property": "made_up_property"}]})
    with pytest.raises(ValidationError):
        model.model_validate({"records": [{**ok, "value": ""}]})

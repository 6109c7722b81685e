"""`matlit finetune` pieces with a tiny random Llama: instruction data, LoRA steps, save + reload, generation."""

from __future__ import annotations

import json

import pytest

from pipeline.finetune.lora import (
    Instruction,
    encode,
    gold_instructions,
    load_adapter,
    review_instructions,
    train_lora,
    validate_targets,
)
from tests.conftest import shared_data

pytest.importorskip("peft")

TEXTS = {
    "The band gap of GaN is 3.4 eV at 300 K.": [("GaN", "band gap", "band_gap", "3.4", "eV")],
    "LiFePO4 delivers a capacity of 160 mAh g-1.": [("LiFePO4", "capacity", "specific_capacity", "160", "mAh g-1")],
    "YBa2Cu3O7 has Tc = 92 K.": [("YBa2Cu3O7", "Tc", "critical_temperature", "92", "K")],
}


def _items() -> list[Instruction]:
    out = []
    for i, (text, recs) in enumerate(TEXTS.items()):
        records = [
            {"material": m, "property_text": pt, "property": pid, "value": v, "unit": u, "conditions": [],
             "method": "", "evidence": text[:-1]}
            for m, pt, pid, v, u in recs
        ]
        out.append(Instruction(f"t{i}", "toy", text, {"records": records}))
    return out


@pytest.fixture(scope="module")
def prompt():
    from extractors.llm.prompts import load_prompt

    return load_prompt("extract_paragraph")


@pytest.fixture(scope="module")
def trained(tmp_path_factory, prompt):
    from tests.extractors.llm.tiny import tiny_model

    model, tok = tiny_model("llama")
    items, bad = validate_targets(prompt, _items())
    assert bad == 0
    out = tmp_path_factory.mktemp("lora") / "adapter"
    res = train_lora(model, tok, items, out, prompt=prompt, steps=30, batch_size=3, lr=3e-2, lora_r=4, lora_alpha=8,
                     lora_dropout=0.0, max_length=2048, threads=1, progress=False,
                     sources={"toy": {"examples": len(items)}})
    return res, tok


def test_loss_decreases_and_adapter_is_saved_with_manifest(trained, prompt):
    res, _ = trained
    m = json.loads((res.out_dir / "manifest.json").read_text())
    assert m["train"]["loss_last"] < m["train"]["loss_first"]
    assert m["prompt"] == {"id": prompt.prompt_id, "hash": prompt.prompt_hash, "few_shot": False}
    assert m["data"]["examples_used"] == 3 and len(m["data"]["hash"]) == 16
    assert (res.out_dir / "adapter_config.json").is_file() and (res.out_dir / "adapter_model.safetensors").is_file()


def test_reloaded_adapter_gives_the_same_logits_and_generates_valid_json(trained, prompt):
    import torch

    from extractors.llm.backends import ChatRequest
    from extractors.llm.backends.hf import TransformersBackend
    from schemas.llm_response import response_json_schema
    from tests.extractors.llm.tiny import tiny_model

    res, tok = trained
    base, _ = tiny_model("llama")  # same seed: the same base weights
    reloaded = load_adapter(res.out_dir, base)
    ids = torch.tensor([tok("The band gap of GaN is 3.4 eV")["input_ids"]])
    with torch.no_grad():
        a = res.model(input_ids=ids).logits
        b = reloaded(input_ids=ids).logits
    assert torch.allclose(a, b, atol=1e-5)
    backend = TransformersBackend(model=reloaded, tokenizer=tok, model_id="tiny+lora")
    msgs = prompt.render(few_shot=False, text=list(TEXTS)[0]).messages
    [c] = backend.generate([ChatRequest(messages=msgs, schema=response_json_schema("llm_records"), max_tokens=200)])
    assert c.text.startswith('{"records":[') and c.completion_tokens > 5  # the tiny model may run out of tokens
    if c.finish_reason == "stop":
        prompt.validate_response(c.text)  # constrained decoding: schema-valid when it finished


def test_prompt_tokens_are_not_trained(prompt):
    from tests.extractors.llm.tiny import tiny_tokenizer

    tok = tiny_tokenizer()
    [w], too_long = encode(tok, prompt, _items()[:1], max_length=4096, few_shot=False)
    assert too_long == 0
    n_prompt = sum(1 for x in w["labels"] if x == -100)
    answer = tok.decode([x for x in w["labels"] if x != -100])
    assert answer.startswith('{"records":[{"material":"GaN"') and n_prompt > 50
    _, too_long = encode(tok, prompt, _items(), max_length=60, few_shot=False)
    assert too_long == 3  # skipped whole, never truncated


def test_review_export_lines_become_grounded_instructions(tmp_path):
    text = "The band gap of GaN is 3.4 eV. Its Tc is unknown."
    lines = [
        {"id": "r1", "task": "extract_record", "input": {"text": text}, "label": "accept",
         "output": {"material": "GaN", "property": "band_gap", "values": [3.4], "unit_raw": "eV",
                    "spans": {"material": [16, 19], "property": [4, 12], "quantity": [23, 29]}}},
        {"id": "r2", "task": "extract_record", "input": {"text": text}, "label": "edit",
         "output": {"material": "GaN", "property": "band_gap", "values": [3.5], "unit_raw": "eV", "spans": None}},
    ]
    p = tmp_path / "finetune.jsonl"
    p.write_text("".join(json.dumps(x) + "\n" for x in lines))
    items, st = review_instructions(p)
    assert st["records"] == 1 and st["records_not_in_text"] == 1  # 3.5 is not in the text: not taught
    [it] = items
    assert it.target["records"][0] | {} == {
        "material": "GaN", "property_text": "band gap", "property": "band_gap", "value": "3.4", "unit": "eV",
        "conditions": [], "method": "", "evidence": it.target["records"][0]["evidence"],
    }
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"input": 1}\n')
    with pytest.raises(Exception, match="bad.jsonl:1: not a review export line"):
        review_instructions(bad)


def test_gold_instructions_from_the_dev_corpus_validate(prompt):
    shared_data("bandgap_dong_cole")
    items, stats = gold_instructions(["bandgap_dong_cole"], split="train")
    assert stats["bandgap_dong_cole"]["examples"] > 50
    ok, bad = validate_targets(prompt, items)
    assert bad == 0 and len(ok) == len(items)
    for it in items:
        for r in it.target["records"]:
            assert r["value"] in it.text and r["material"] in it.text and r["property"] == "band_gap"
    held, _ = gold_instructions(["bandgap_dong_cole"], split="heldout")
    assert not {i.id.split("@")[0] for i in held} & {i.id.split("@")[0] for i in items}

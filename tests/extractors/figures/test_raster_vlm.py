"""Vision-language backend for plots on CPU: a tiny randomly initialised LLaVA built from a config (no download),
constrained by llguidance to the figure-series schema; the vLLM path's pure parts without vLLM."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from extractors.figures.vlm import (
    TransformersVLM,
    VLLMVision,
    digitize_vlm,
    png_data_url,
    result_from_response,
    vllm_conversation,
    vllm_engine_kwargs,
    vllm_sampling_kwargs,
)
from extractors.llm.backends import BackendError, Completion
from extractors.llm.prompts import load_prompt
from schemas.llm_response import response_json_schema, response_model
from tests.extractors.llm.tiny import tiny_tokenizer

CHAT = (
    "{% for m in messages %}<|{{ m['role'] }}|>{% if m['content'] is string %}{{ m['content'] }}{% else %}"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}<image>{% else %}{{ c['text'] }}{% endif %}{% endfor %}"
    "{% endif %}<|end|>{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def tiny_vlm(seed: int = 0):
    """LLaVA: a 1-layer CLIP vision tower (32 px, 8 px patches) + a 2-layer Llama, random weights."""
    import torch
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
        LlavaProcessor,
    )

    tok = copy.deepcopy(tiny_tokenizer())
    tok.add_special_tokens({"additional_special_tokens": ["<image>"]})
    image_id = tok.convert_tokens_to_ids("<image>")
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                              image_size=32, patch_size=8, projection_dim=32)
    text = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=4096,
                       eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, bos_token_id=None)
    cfg = LlavaConfig(vision_config=vision, text_config=text, image_token_index=image_id,
                      vision_feature_select_strategy="default", vision_feature_layer=-1)
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(cfg).eval()
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    improc = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    proc = LlavaProcessor(image_processor=improc, tokenizer=tok, patch_size=8, vision_feature_select_strategy="default",
                          num_additional_image_tokens=1, chat_template=CHAT, image_token="<image>")
    return model, proc


def _plot() -> np.ndarray:
    img = np.full((120, 160, 3), 255, np.uint8)
    img[100, 20:150] = 0
    img[10:101, 20] = 0
    rr = np.arange(30, 140)
    img[100 - (rr - 30) // 2, rr] = (31, 119, 180)
    return img


def test_prompt_and_schema_come_from_the_figure_models():
    p = load_prompt("figure_series")
    assert p.prompt_id == "figure_series@1" and p.schema_name == "llm_figure_series"
    schema = response_json_schema("llm_figure_series")
    series = schema["properties"]["series"]["items"]
    assert schema["properties"]["x_scale"]["enum"] == ["linear", "log"]  # Axis.scale
    assert series["properties"]["kind"]["enum"] == ["line", "markers", "line+markers", "bars"]  # SeriesStyle.kind
    num = series["properties"]["points"]["items"]["properties"]["x"]
    assert num["maxLength"] == 16 and "pattern" in num  # bounded: decoding always terminates
    assert "Caption: Fig. 4" in p.render(caption="Fig. 4. R(T)").messages[-1]["content"]


def test_tiny_vlm_output_is_schema_valid_under_constrained_decoding():
    model, proc = tiny_vlm()
    backend = TransformersVLM(model=model, processor=proc, model_id="tiny-llava", max_tokens=400)
    results = digitize_vlm([_plot()], backend, paper_id="p1", figure_ids=["f1"], pages=[2],
                           captions=["Fig. 1. Resistance of MgB2."])
    assert len(results) == 1
    for res in results:
        # random weights read nothing sensible, but the grammar keeps the answer inside the schema
        assert res.method == "vlm" and res.status in ("digitized", "no_series"), res.reason
        for s in res.series:
            assert s.method == "vlm" and s.extractor == "figures.vlm" and s.points
            assert any(f.startswith("prompt:figure_series@1#") for f in s.flags) and "model:tiny-llava" in s.flags
    # the raw completion itself validates against the pydantic model (no decoder slip)
    prompt = load_prompt("figure_series")
    c = backend.generate([_plot()], [prompt.render(caption="").messages], prompt.response_schema)[0]
    assert c.ok, c.error
    obj = response_model("llm_figure_series").model_validate_json(c.text)
    assert obj.x_scale in ("linear", "log") and len(obj.series) <= 6


def test_responses_become_series_or_a_reason():
    good = json.dumps({"x_title": "T (K)", "y_title": "R (Ω)", "x_scale": "linear", "y_scale": "log",
                       "series": [{"label": "MgB2", "kind": "markers", "points": [{"x": "10", "y": "1.5e-3"},
                                                                                   {"x": "20", "y": "0.2"}]}]})
    kw = dict(paper_id="p", figure_id="f", page=1, bbox=None, label="Fig. 1", prompt_id="figure_series@1",
              prompt_hash="abc", model_id="m")
    res = result_from_response(Completion(text=good), **kw)
    assert res.status == "digitized"
    (s,) = res.series
    assert s.points == [[10.0, 0.0015], [20.0, 0.2]] and s.y.scale == "log" and s.x.title == "T (K)"
    assert s.label == "MgB2" and s.style.kind == "markers"
    res = result_from_response(Completion(text="", error="truncated output (400 tokens, hit max_tokens)"), **kw)
    assert res.status == "error" and "truncated" in res.reason and not res.series
    bad = good.replace('"linear"', '"weird"')
    res = result_from_response(Completion(text=bad), **kw)
    assert res.status == "error" and "schema" in res.reason


def test_vllm_multimodal_request_without_vllm():
    img = _plot()
    schema = response_json_schema("llm_figure_series")
    msgs = load_prompt("figure_series").render(caption="").messages
    conv = vllm_conversation(img, msgs)
    part = conv[-1]["content"][0]
    assert part["type"] == "image_url" and part["image_url"]["url"].startswith("data:image/png;base64,")
    assert conv[-1]["content"][1]["type"] == "text" and conv[0] == msgs[0]
    assert png_data_url(img) == part["image_url"]["url"]
    kw = vllm_sampling_kwargs(schema)
    assert kw["structured_outputs"] == {"json": schema, "disable_any_whitespace": True} and kw["temperature"] == 0
    eng = vllm_engine_kwargs("/models/Qwen2.5-VL-7B-Instruct", max_model_len=16384)
    assert eng["model"] == "/models/Qwen2.5-VL-7B-Instruct" and eng["limit_mm_per_prompt"] == {"image": 1}
    try:
        import vllm  # noqa: F401
    except ImportError:
        with pytest.raises(BackendError, match="vllm is not installed"):
            VLLMVision("/models/none")

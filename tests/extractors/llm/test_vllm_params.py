"""vLLM request/engine building without vLLM (it is installed only on GPU machines)."""

import importlib.util

import pytest

from extractors.llm.backends import BackendError, ChatRequest
from extractors.llm.backends.vllm import VLLMBackend, engine_kwargs, sampling_kwargs
from extractors.llm.prompts import load_prompt


def test_sampling_params_use_structured_outputs_not_guided():
    p = load_prompt("extract_paragraph")
    req = ChatRequest(messages=p.render(text="x").messages, schema=p.response_schema, max_tokens=300, temperature=0.0)
    kw = sampling_kwargs(req)
    assert kw["structured_outputs"]["json"] == p.response_schema
    assert kw["structured_outputs"]["disable_any_whitespace"] is True
    assert kw["max_tokens"] == 300 and kw["temperature"] == 0.0
    assert not any(k.startswith("guided") for k in kw)  # removed in vLLM 0.12
    assert "structured_outputs" not in sampling_kwargs(ChatRequest(messages=[]))


def test_engine_kwargs_from_config():
    kw = engine_kwargs("m", tensor_parallel_size=4, max_model_len=4096, enable_prefix_caching=False, load_format="dummy")
    assert kw["tensor_parallel_size"] == 4 and kw["max_model_len"] == 4096
    assert kw["enable_prefix_caching"] is False and kw["load_format"] == "dummy"
    assert "structured_outputs_config" not in kw
    assert engine_kwargs("m", structured_outputs_backend="guidance")["structured_outputs_config"] == {"backend": "guidance"}
    assert "max_model_len" not in engine_kwargs("m", max_model_len=None)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm installed here")
def test_missing_vllm_is_a_clear_error():
    with pytest.raises(BackendError, match=r"vllm is not installed.*matlit\[gpu\]"):
        VLLMBackend("m")


def test_kwargs_match_the_installed_vllm_api():
    """Where vLLM is importable (the `gpu` extra; on CPU: its wheel unpacked on PYTHONPATH, import only), every
    engine and sampling argument we build is one the real API accepts, with no GPU needed."""
    pytest.importorskip("vllm")
    import dataclasses
    import inspect

    from vllm import LLM, SamplingParams
    from vllm.config.structured_outputs import StructuredOutputsConfig
    from vllm.engine.arg_utils import EngineArgs
    from vllm.sampling_params import StructuredOutputsParams

    from extractors.figures.vlm import vllm_engine_kwargs, vllm_sampling_kwargs
    from extractors.llm.backends.vllm import _sampling_params

    p = load_prompt("extract_paragraph")
    sp = _sampling_params(ChatRequest(messages=p.render(text="x").messages, schema=p.response_schema, max_tokens=64))
    assert isinstance(sp, SamplingParams) and isinstance(sp.structured_outputs, StructuredOutputsParams)
    assert sp.structured_outputs.json == p.response_schema and sp.structured_outputs.disable_any_whitespace
    assert sp.max_tokens == 64 and sp.temperature == 0.0
    vkw = vllm_sampling_kwargs({"type": "object"})
    assert SamplingParams(**{**vkw, "structured_outputs": StructuredOutputsParams(**vkw["structured_outputs"])})

    fields = {f.name for f in dataclasses.fields(EngineArgs)}
    init = set(inspect.signature(LLM.__init__).parameters)
    kw = vllm_engine_kwargs("m", tensor_parallel_size=2, max_model_len=4096, load_format="dummy",
                            structured_outputs_backend="guidance")
    assert set(kw) <= fields | init, set(kw) - fields - init
    soc = StructuredOutputsConfig(**kw["structured_outputs_config"])  # the dict form LLM() converts
    assert soc.backend == "guidance"
    chat = inspect.signature(LLM.chat).parameters
    assert {"messages", "sampling_params", "use_tqdm"} <= set(chat)

"""transformers backend with llguidance constrained decoding, on tiny random models built from a config."""

import json

import pytest

from extractors.llm.backends import BackendError, ChatRequest
from extractors.llm.backends.hf import TransformersBackend
from extractors.llm.prompts import load_prompt
from tests.extractors.llm.tiny import tiny_model


@pytest.fixture(scope="module", params=["llama", "gpt2"])
def backend(request):
    model, tok = tiny_model(request.param)
    return TransformersBackend(model=model, tokenizer=tok, model_id=f"tiny-{request.param}", batch_size=2)


def _req(prompt_name, max_tokens, temperature=0.0, **vars):
    p = load_prompt(prompt_name)
    r = p.render(few_shot=False, **vars)  # short prompts: the machine is shared
    return p, ChatRequest(messages=r.messages, schema=p.response_schema, max_tokens=max_tokens, temperature=temperature)


def test_random_model_output_parses_and_validates(backend):
    p, req = _req("verify_record", 120, text="GaN: 3.4 eV.", material="GaN", property="band gap", value="3.4", unit="eV")
    out = backend.generate([req, req, req])  # batch of 2 + 1
    assert len(out) == 3
    for c in out:
        assert c.ok, c.error
        assert " " not in c.text  # no free whitespace under the grammar
        p.validate_response(c.text)


@pytest.mark.slow
def test_records_schema_under_sampling_is_valid_or_counted_as_truncated(backend):
    p, req = _req("extract_paragraph", 150, temperature=1.0, text="The band gap of GaN is 3.4 eV at 300 K.")
    for c in backend.generate([req, req]):
        if c.ok:
            parsed = p.validate_response(c.text)  # lengths and enums hold even for a random model
            assert len(parsed.records) <= 16
        else:
            assert c.finish_reason == "length" and c.error.startswith("truncated output")
            assert c.completion_tokens == 150


def test_truncation_is_reported_not_raised(backend):
    _, req = _req("extract_paragraph", 5, text="The band gap of GaN is 3.4 eV.")
    (c,) = backend.generate([req])
    assert c.finish_reason == "length" and c.error.startswith("truncated output") and c.completion_tokens == 5


def test_without_schema_it_is_plain_generation(backend):
    (c,) = backend.generate([ChatRequest(messages=[{"role": "user", "content": "hi"}], max_tokens=8)])
    assert c.ok and c.completion_tokens <= 8


def test_missing_model_fails_clearly(tmp_path):
    with pytest.raises(BackendError, match="model path not found"):
        TransformersBackend(tmp_path / "nope")
    with pytest.raises(BackendError, match="GGUF file not found"):
        TransformersBackend(tmp_path, gguf_file="x.gguf")


def test_schema_as_grammar_has_no_whitespace_rule():
    from extractors.llm.backends.hf import grammar_for

    g = json.loads(grammar_for(load_prompt("verify_record").response_schema))
    assert g  # compiles to an llguidance grammar object

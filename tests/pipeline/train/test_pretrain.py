"""`matlit pretrain` on CPU: a tiny model, loss goes down, checkpoint + resume continues with the same data order."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import TrainConfig

TINY = {
    "model_type": "llama",
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "tie_word_embeddings": True,
}


def _cfg(**kw):
    base = dict(model=TINY, seq_len=64, batch_size=4, lr=3e-3, warmup_steps=4, threads=1, progress=False,
                save_every=10, eval_batches=2, shuffle_buffer=16)
    return TrainConfig(**{**base, **kw})


def _log(out):
    return [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]


def test_loss_goes_down_and_resume_continues_with_the_same_data(trained, tmp_path):
    from pipeline.train.pretrain import latest_checkpoint, pretrain

    full = pretrain(_cfg(max_steps=40), trained.shards, trained.tokenizer, tmp_path / "full")
    losses = full.losses
    assert len(losses) == 40 and full.step == 40 and full.device == "cpu" and full.precision == "fp32"
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.5, losses
    assert full.eval_loss is not None and full.eval_loss < losses[0]

    out = tmp_path / "resumed"
    first = pretrain(_cfg(max_steps=40, stop_at=20), trained.shards, trained.tokenizer, out)  # interrupted
    assert first.step == 20 and latest_checkpoint(out).name == "step-00000020"
    second = pretrain(_cfg(max_steps=40), trained.shards, trained.tokenizer, out)
    assert second.start_step == 20 and second.step == 40
    a, b = _log(tmp_path / "full"), _log(out)
    assert [r["step"] for r in b] == list(range(1, 41))
    assert [r["batch_sha256"] for r in a] == [r["batch_sha256"] for r in b]  # identical data order
    assert [r["loss"] for r in a] == pytest.approx([r["loss"] for r in b], abs=1e-4)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["start_step"] == 20 and summary["dataset_state"]["consumed"] == {"0": 160}


def test_final_model_and_tokenizer_load_and_generate(trained, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from pipeline.train.pretrain import pretrain

    pretrain(_cfg(max_steps=3, model={**TINY, "model_type": "gpt2", "n_embd": 32, "n_layer": 1, "n_head": 2}),
             trained.shards, trained.tokenizer, tmp_path)
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "final")
    tok = AutoTokenizer.from_pretrained(tmp_path / "final")
    assert model.config.model_type == "gpt2" and model.config.vocab_size == len(tok)
    ids = tok("<mat> LiFePO4 <prop>", return_tensors="pt").input_ids
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=4, do_sample=False, pad_token_id=tok.pad_token_id)
    assert out.shape[1] == ids.shape[1] + 4


def test_cli_pretrain_and_bad_inputs(trained, tmp_path):
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(json.dumps({"train": {"model": TINY, "seq_len": 64, "batch_size": 4, "threads": 1, "eval_batches": 1}}))
    args = ["pretrain", "-c", str(cfg), "--work-dir", str(tmp_path), "--shards", str(trained.shards),
            "--tokenizer", str(trained.tokenizer), "--max-steps", "4", "--no-progress"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "steps 0 -> 4 on cpu (fp32) x 1" in res.output
    # the GPU code path (bf16 autocast) runs on CPU too
    res = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "bf16"), "--precision", "bf16", "--max-steps", "2"])
    assert res.exit_code == 0, res.output
    assert "steps 0 -> 2 on cpu (bf16) x 1" in res.output
    assert (tmp_path / "pretrain" / "final" / "model.safetensors").is_file()
    # a model config transformers cannot build: a clear error, exit 2
    cfg.write_text(json.dumps({"train": {"model": {"model_type": "no-such-model"}}}))
    res = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "bad")])
    assert res.exit_code == 2 and "train.model" in res.output
    # no tokenizer trained yet
    res = CliRunner().invoke(app, ["pretrain", "--work-dir", str(tmp_path / "empty"), "--shards", str(trained.shards)])
    assert res.exit_code == 2 and "tokenizer" in res.output

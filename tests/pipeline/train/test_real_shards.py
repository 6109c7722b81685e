"""The train path on the shard stage's real output: bundled papers -> matlit run (..., shard) -> tokenizer ->
streaming dataset -> a few pretraining steps."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import TrainConfig, load_config
from pipeline.runner import run_pipeline
from tests.conftest import BUNDLED

pytestmark = pytest.mark.slow


def test_tokenizer_dataset_and_pretrain_on_the_shard_stage_output(tmp_path):
    work = tmp_path / "work"
    cfg = load_config(
        None,
        {"work_dir": work, "fetch.local": [str(BUNDLED / "10.1016_j.ssc.2016.12.016.pdf")], "runner.progress": False},
    )
    summaries = run_pipeline(cfg, ["fetch", "parse", "extract", "normalize", "shard"])
    assert all(s.failed == 0 for s in summaries)
    assert (work / "shards" / "manifest.json").is_file()

    res = CliRunner().invoke(app, ["tokenizer", "train", "--work-dir", str(work), "--vocab-size", "2000"])
    assert res.exit_code == 0, res.output
    from pipeline.train.dataset import ShardStream, StreamOptions
    from pipeline.train.pretrain import pretrain
    from pipeline.train.tokenizer import load_tokenizer

    tok = load_tokenizer(work / "tokenizer")
    ds = ShardStream(work / "shards", work / "tokenizer", StreamOptions(seq_len=64, record_fraction=0.5, epochs=1))
    samples = [s["input_ids"].tolist() for s in ds]
    text = tok.decode([t for s in samples for t in s], skip_special_tokens=False)
    assert "<mat>" in text and "<eos>" in text and len(samples) > 20

    r = pretrain(
        TrainConfig(max_steps=6, seq_len=64, batch_size=4, threads=1, progress=False, eval_batches=0,
                    model={"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                           "num_attention_heads": 2, "num_key_value_heads": 1}),
        work / "shards", work / "tokenizer", work / "pretrain",
    )
    assert r.step == 6 and all(x == x for x in r.losses)

    # a shard truncated after writing: the dataset refuses to start, naming it
    victim = sorted((work / "shards" / "records").glob("*.parquet"))[0]
    victim.write_bytes(victim.read_bytes()[:100])
    from pipeline.train.shards import ShardsError

    with pytest.raises(ShardsError, match=f"records/{victim.name} is truncated"):
        ShardStream(work / "shards", work / "tokenizer", StreamOptions())

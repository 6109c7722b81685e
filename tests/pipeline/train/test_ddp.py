"""`matlit pretrain` under torchrun with 2 processes on CPU (gloo DDP): each rank streams its own part of the shards,
and an interrupted run resumes with the same per-rank data and losses as an uninterrupted one."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(trained, out: Path, *extra: str) -> str:
    cfg = out.parent / "ddp.yaml"
    cfg.write_text(json.dumps({"train": {
        "model": {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                  "num_attention_heads": 2, "num_key_value_heads": 1},
        "seq_len": 64, "batch_size": 4, "threads": 1, "eval_batches": 0, "save_every": 3, "max_steps": 6}}))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(_port()), "-m", "pipeline.cli", "pretrain", "-c", str(cfg), "--shards",
           str(trained.shards), "--tokenizer", str(trained.tokenizer), "--out", str(out), "--no-progress", *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def _log(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]


def test_ddp_two_ranks_resume_exactly(trained, tmp_path):
    full_out = _torchrun(trained, tmp_path / "full")
    assert full_out.count("pretrain: steps 0 -> 6 on cpu (fp32) x 2") == 1  # rank 0 reports, once
    full = _log(tmp_path / "full")
    assert [r["step"] for r in full] == list(range(1, 7))
    for r in full:
        a, b = r["batch_sha256"].split("+")
        assert a != b  # the ranks train on different data
        assert r["tokens"] == 2 * 4 * 64
    _torchrun(trained, tmp_path / "resumed", "--stop-at", "3")
    assert [r["step"] for r in _log(tmp_path / "resumed")] == [1, 2, 3]
    out = _torchrun(trained, tmp_path / "resumed")
    assert "steps 3 -> 6" in out
    resumed = _log(tmp_path / "resumed")
    assert [r["batch_sha256"] for r in resumed] == [r["batch_sha256"] for r in full]
    assert [r["loss"] for r in resumed] == pytest.approx([r["loss"] for r in full], abs=1e-4)
    state = json.loads((tmp_path / "resumed" / "checkpoints" / "step-00000006" / "dataset.json").read_text())
    assert state["world_size"] == 2 and [s["consumed"] for s in state["ranks"]] == [{"0": 24}, {"0": 24}]

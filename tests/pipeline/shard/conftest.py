"""A real work dir for the shard tests: two bundled CC-BY papers run through fetch -> parse -> extract -> normalize
once per session; each test gets its own copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.runner import run_pipeline
from tests.conftest import BUNDLED

PAPERS = ["10.1016_j.ssc.2016.12.016.pdf", "10.1088_1361-6668_aabf32.pdf"]


@pytest.fixture(scope="session")
def source_work(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("shard-src") / "work"
    cfg = load_config(
        None,
        {
            "work_dir": work,
            "fetch.local": [str(BUNDLED / p) for p in PAPERS],
            "runner.progress": False,
        },
    )
    summaries = run_pipeline(cfg, ["fetch", "parse", "extract", "normalize"])
    assert all(s.failed == 0 for s in summaries), [s.failures for s in summaries]
    assert len(list((work / "records").glob("*.jsonl"))) == 2
    from pipeline.runner import new_run_id
    from pipeline.shard.stage import ShardStage
    from pipeline.workdir import WorkDir

    ShardStage(cfg, new_run_id()).prepare(WorkDir(work))  # fills shard/cache (per-paper text info), copied below
    return work


@pytest.fixture
def work_copy(source_work, tmp_path) -> Path:
    """A private copy of the session work dir (inputs only) that a test may change."""
    dst = tmp_path / "work"
    for sub in ("papers", "parsed", "records", "mentions", "shard/cache"):
        shutil.copytree(source_work / sub, dst / sub)
    return dst


def shard_cfg(work: Path, **overrides):
    """The config a test shards with: progress off, one task, plus dotted overrides ("shard.num_shards": 2)."""
    return load_config(None, {"work_dir": work, "runner.progress": False, **overrides})

"""Cluster path (issue 8 item 6): parse and shard under datatrove's Ray executor on a local Ray runtime (2 CPUs)
produce byte-identical outputs to the local executor."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.runner import run_pipeline
from pipeline.shard.manifest import load_manifest, verify_manifest
from tests.pipeline.shard.conftest import shard_cfg

pytestmark = pytest.mark.slow


def _files(root: Path, pattern: str) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.glob(pattern))}


def test_ray_executor_matches_local(source_work, tmp_path):
    ray = pytest.importorskip("ray")
    dirs = {}
    for name in ("local", "ray"):
        d = tmp_path / name / "work"
        for sub in ("papers", "records"):  # parse runs again here; shard reads its parsed docs and the records
            shutil.copytree(source_work / sub, d / sub)
        dirs[name] = d
    opts = {"runner.tasks": 2, "shard.num_shards": 2, "shard.validation_fraction": 0.5}
    local = run_pipeline(shard_cfg(dirs["local"], **opts, **{"runner.workers": 2}), ["parse", "shard"])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        remote = run_pipeline(
            shard_cfg(dirs["ray"], **opts, **{"runner.executor": "ray", "runner.workers": 2}), ["parse", "shard"]
        )
    finally:
        ray.shutdown()
    assert [(s.stage, s.failed) for s in local] == [("parse", 0), ("shard", 0)]
    assert [(s.stage, s.out, s.failed) for s in remote] == [(s.stage, s.out, s.failed) for s in local]
    assert _files(dirs["ray"], "parsed/*.json") == _files(dirs["local"], "parsed/*.json")
    assert len(_files(dirs["local"], "parsed/*.json")) == 2
    shards_local = _files(dirs["local"] / "shards", "*/*.parquet")
    assert shards_local and _files(dirs["ray"] / "shards", "*/*.parquet") == shards_local
    verify_manifest(dirs["ray"] / "shards")
    strip = lambda m: {k: v for k, v in m.items() if k not in ("config", "code_version")}  # noqa: E731 - HEAD may move
    assert strip(load_manifest(dirs["ray"] / "shards")) == strip(load_manifest(dirs["local"] / "shards"))

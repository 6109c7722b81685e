"""Disk full in the middle of a shard write: a clear error naming the shard file, the previous shard intact, no
temp file left, and the next run (with room again) completes the set with a manifest that verifies."""

from __future__ import annotations

import pytest

import pipeline.workdir as workdir
from pipeline.config import load_config
from pipeline.runner import run_pipeline
from pipeline.shard.manifest import verify_manifest
from tests.conftest import BUNDLED
from tests.reliability.test_faults import FullDisk

PAPER = "10.1016_j.ssc.2016.12.016.pdf"


def cfg_for(work, **over):
    return load_config(
        None,
        {"work_dir": work, "fetch.local": [str(BUNDLED / PAPER)], "runner.progress": False,
         "parse.tables": False, "figures.raster": False, "figures.ocr_glyphs": False, **over},
    )


def test_disk_full_during_a_shard_write(tmp_path, monkeypatch):
    work = tmp_path / "work"
    summaries = run_pipeline(cfg_for(work), ["fetch", "parse", "figures", "extract", "normalize", "score", "shard"])
    assert all(s.failed == 0 for s in summaries), [s.failures for s in summaries]
    shards = work / "shards"
    (old,) = sorted((shards / "records").glob("*.parquet"))
    before = old.read_bytes()
    verify_manifest(shards)

    # a new build (another compression level rewrites every shard) on a disk that fills up in the records shard
    monkeypatch.setattr(workdir.os, "fdopen", FullDisk(4096, only="records-"))
    (s,) = run_pipeline(cfg_for(work, **{"shard.compression_level": 9}), ["shard"])
    assert s.failed >= 1, s
    row = next(f for f in s.failures if f["error_class"] == "OSError")
    assert str(old) in row["message"] and "No space left on device" in row["message"], row
    assert old.read_bytes() == before, "the previous records shard was damaged"
    assert not list(work.rglob("*.tmp-*")), "temp file left behind"
    assert not (shards / "manifest.json").exists(), "a manifest over a half-rebuilt set: consumers would train on it"
    with pytest.raises(Exception, match="manifest"):
        verify_manifest(shards)

    # room again: the re-run writes the new set and a manifest that verifies
    monkeypatch.undo()
    (s,) = run_pipeline(cfg_for(work, **{"shard.compression_level": 9}), ["shard"], retry_failed=True)
    assert s.failed == 0, s.failures
    manifest = verify_manifest(shards)
    assert manifest["config"]["compression_level"] == 9
    assert old.exists() and old.read_bytes() != before

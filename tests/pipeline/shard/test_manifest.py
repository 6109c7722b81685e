"""verify_manifest: a shard deleted, truncated or altered after writing is named; a good set passes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pipeline.shard.manifest import ShardManifestError, load_manifest, shard_paths, verify_manifest


def _write_set(root: Path) -> None:
    shards = []
    for i, payload in enumerate([b"PAR1 first shard bytes PAR1", b"PAR1 second shard PAR1"]):
        rel = f"records/records-train-{i:05d}.parquet"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(payload)
        shards.append(
            {"table": "records", "split": "train", "path": rel, "rows": 1, "bytes": len(payload),
             "sha256": hashlib.sha256(payload).hexdigest(), "papers": []}
        )
    (root / "manifest.json").write_text(json.dumps({"format": "matlit-shards", "format_version": 1, "shards": shards}))


def test_good_set_passes(tmp_path):
    _write_set(tmp_path)
    m = verify_manifest(tmp_path)
    assert len(m["shards"]) == 2
    assert [p.name for p in shard_paths(tmp_path, "records", "train")] == [
        "records-train-00000.parquet", "records-train-00001.parquet"]


def test_missing_manifest(tmp_path):
    with pytest.raises(ShardManifestError, match="no manifest"):
        load_manifest(tmp_path)


def test_deleted_shard_named(tmp_path):
    _write_set(tmp_path)
    (tmp_path / "records/records-train-00001.parquet").unlink()
    with pytest.raises(ShardManifestError, match=r"records/records-train-00001.parquet is missing"):
        verify_manifest(tmp_path)


def test_truncated_shard_named(tmp_path):
    _write_set(tmp_path)
    p = tmp_path / "records/records-train-00000.parquet"
    p.write_bytes(p.read_bytes()[:5])
    with pytest.raises(ShardManifestError, match=r"records-train-00000.parquet is truncated.*5 bytes on disk"):
        verify_manifest(tmp_path)


def test_altered_shard_named(tmp_path):
    _write_set(tmp_path)
    p = tmp_path / "records/records-train-00000.parquet"
    b = bytearray(p.read_bytes())
    b[6] ^= 0xFF
    p.write_bytes(bytes(b))
    with pytest.raises(ShardManifestError, match=r"records-train-00000.parquet is altered"):
        verify_manifest(tmp_path)
    verify_manifest(tmp_path, check_hash=False)  # size-only check passes


def test_path_escaping_refused(tmp_path):
    _write_set(tmp_path)
    m = json.loads((tmp_path / "manifest.json").read_text())
    m["shards"][0]["path"] = "../outside.parquet"
    (tmp_path / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ShardManifestError, match="outside"):
        verify_manifest(tmp_path)

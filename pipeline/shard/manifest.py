"""The shard manifest: what `matlit shard` wrote, and the check every consumer runs before reading shards.

`<shards_dir>/manifest.json` is written LAST (after every shard file is in place, atomically), so its presence
means the shard set is complete. Consumers (the streaming dataset, `matlit shard verify`) call
`verify_manifest(shards_dir)` first: it raises `ShardManifestError` naming the first missing, truncated or altered
shard instead of letting a job train on partial data.

Format (JSON object; keys are stable, new keys may be added):

    {
      "format": "matlit-shards",
      "format_version": 1,
      "schema_version": "1.0",            # schemas.SCHEMA_VERSION of the records the shards hold
      "code_version": "v0.1-12-gabc123",  # `git describe --always --dirty` of the code, else the package version
      "config": {...},                    # the resolved ShardConfig (shard section of the config) that wrote them
      "tables": {                         # per table: totals over its shards
        "records":       {"rows": 912, "shards": 2, "bytes": 81234, "papers": 5},
        "mentions":      {"rows": 640, "shards": 2, "bytes": 40112, "papers": 5},   # quantity mentions, records' schema
        "text":          {"rows": 5,   "shards": 2, "bytes": 90321, "papers": 5},
        "figure_series": {"rows": 0,   "shards": 0, "bytes": 0,     "papers": 0}
      },
      "splits": {"train": {"records": 850, "mentions": 600, "text": 4}, "validation": {"records": 62, "mentions": 40, "text": 1}},
      "shards": [                         # every shard file, sorted by path; paths relative to shards_dir
        {"table": "records", "split": "train", "path": "records/records-train-00000.parquet",
         "rows": 850, "bytes": 75000, "sha256": "<hex>", "papers": ["<paper_id>", ...]},
        ...
      ],
      "duplicates": [                     # papers dropped by document dedup before sharding
        {"paper_id": "...", "duplicate_of": "...", "kind": "exact" | "near", "similarity": 0.93}
      ],
      "excluded": [                       # papers kept out of text/ by the licence allowlist
        {"paper_id": "...", "licence": "cc-by-nc-4.0", "reason": "licence not in shard.licence_allowlist"}
      ],
      "failures": [                       # papers refused at write time (bad record rows); others were sharded
        {"paper_id": "...", "error_class": "...", "message": "..."}
      ]
    }

Shard files are Parquet (zstd). Every row of every table carries `paper_id` and `split` ("train" | "validation");
a paper's rows all go to one split and one shard per table (assignment by a hash of the paper id).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST_NAME = "manifest.json"
FORMAT = "matlit-shards"
FORMAT_VERSION = 1


class ShardManifestError(Exception):
    """The shard set is incomplete or altered: the message names the manifest or the shard and the reason."""


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def load_manifest(shards_dir: str | Path) -> dict:
    """Read and sanity-check `<shards_dir>/manifest.json` (no shard files are touched)."""
    path = Path(shards_dir) / MANIFEST_NAME
    if not path.is_file():
        raise ShardManifestError(f"{path}: no manifest (shards not written, or the shard run did not finish)")
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ShardManifestError(f"{path}: unreadable manifest: {e}") from e
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ShardManifestError(f"{path}: not a matlit shard manifest (format != {FORMAT!r})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ShardManifestError(
            f"{path}: manifest format_version {manifest.get('format_version')!r}, this code reads {FORMAT_VERSION}"
        )
    if not isinstance(manifest.get("shards"), list):
        raise ShardManifestError(f"{path}: manifest has no 'shards' list")
    return manifest


def shard_paths(shards_dir: str | Path, table: str | None = None, split: str | None = None) -> list[Path]:
    """Absolute paths of the shards of a table (and split) listed in the manifest, in manifest order."""
    root = Path(shards_dir)
    m = load_manifest(root)
    return [
        root / s["path"]
        for s in m["shards"]
        if (table is None or s["table"] == table) and (split is None or s["split"] == split)
    ]


def verify_manifest(shards_dir: str | Path, check_hash: bool = True) -> dict:
    """Check every shard the manifest lists: present, the recorded size, and (by default) the recorded sha256.

    Returns the manifest. Raises ShardManifestError naming the shard: "missing", "truncated or grown" (size
    differs) or "altered" (same size, different sha256). Also refuses shard paths that escape shards_dir.
    """
    root = Path(shards_dir).resolve()
    m = load_manifest(root)
    for s in m["shards"]:
        rel = s.get("path")
        if not isinstance(rel, str) or not rel:
            raise ShardManifestError(f"{root / MANIFEST_NAME}: shard entry without a path: {s!r}")
        p = (root / rel).resolve()
        if root not in p.parents:
            raise ShardManifestError(f"{root / MANIFEST_NAME}: shard path {rel!r} is outside {root}")
        if not p.is_file():
            raise ShardManifestError(f"shard {rel} is missing (listed in {root / MANIFEST_NAME})")
        size = p.stat().st_size
        if size != s.get("bytes"):
            raise ShardManifestError(
                f"shard {rel} is truncated or grown: {size} bytes on disk, manifest says {s.get('bytes')}"
            )
        if check_hash:
            digest = sha256_file(p)
            if digest != s.get("sha256"):
                raise ShardManifestError(
                    f"shard {rel} is altered: sha256 {digest[:16]}... on disk, manifest says {str(s.get('sha256'))[:16]}..."
                )
    return m

"""Reading the shard set for training: the manifest check first, then shard lists and text columns.

The shard stage (pipeline/shard) owns the format; this module only consumes it:
- `text/` shards: one row per paper, column `text` (body text in reading order, tables as text, captions);
- `records/` shards: one row per record, column `record_text` ("<mat> LiFePO4 <prop> band_gap <val> 3.7 ...").
Every row carries `paper_id` and `split`; the manifest lists every shard with its table and split.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import MatlitError
from pipeline.shard.manifest import ShardManifestError, verify_manifest

# table -> the column that holds its training text
TEXT_COLUMNS = {"text": "text", "records": "record_text"}


class ShardsError(MatlitError):
    """The shard set cannot be used for training (manifest check failed, no rows for the split, bad column)."""


@dataclass(frozen=True)
class ShardFile:
    table: str
    split: str | None
    path: Path
    rows: int
    sha256: str


def verified_shards(shards_dir: str | Path, tables=("text", "records"), split: str | None = None) -> list[ShardFile]:
    """Verify the manifest (every shard present, right size and sha256) and list the shards of `tables`/`split`.

    Raises ShardsError naming the missing/truncated/altered shard: no training on a partial shard set.
    """
    root = Path(shards_dir)
    try:
        manifest = verify_manifest(root)
    except ShardManifestError as e:
        raise ShardsError(f"refusing to read shards in {root}: {e}") from e
    out = []
    for s in manifest["shards"]:
        if s.get("table") not in tables:
            continue
        if split is not None and s.get("split") not in (split, None):
            continue
        out.append(ShardFile(s["table"], s.get("split"), root / s["path"], int(s.get("rows", 0)), s.get("sha256", "")))
    return sorted(out, key=lambda f: (f.table, str(f.path)))


def read_texts(f: ShardFile, split: str | None = None, row_group: int | None = None) -> list[str]:
    """The training-text column of one shard (or one row group), rows of `split` only, empty strings dropped."""
    import pyarrow.parquet as pq

    col = TEXT_COLUMNS[f.table]
    pf = pq.ParquetFile(f.path)
    names = pf.schema_arrow.names
    if col not in names:
        raise ShardsError(f"shard {f.path}: no column {col!r} (columns: {', '.join(names)})")
    cols = [col, "split"] if (split is not None and "split" in names) else [col]
    t = pf.read_row_group(row_group, columns=cols) if row_group is not None else pf.read(columns=cols)
    texts = t.column(col).to_pylist()
    if len(cols) == 2:
        texts = [x for x, sp in zip(texts, t.column("split").to_pylist(), strict=True) if sp == split]
    return [x for x in texts if x]


def row_groups(f: ShardFile) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(f.path).num_row_groups


def iter_texts(shards_dir: str | Path, tables=("text", "records"), split: str | None = None) -> Iterator[str]:
    """Every training text of the verified shard set, shard by shard in manifest order."""
    for f in verified_shards(shards_dir, tables, split):
        yield from read_texts(f, split)

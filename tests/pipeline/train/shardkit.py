"""Build small shard sets in the shard stage's layout (Parquet + manifest.json written last) for the train tests.

The texts are real: tests/fixtures/train/corpus.jsonl holds the parsed text (first 12,000 characters) and the first
60 record texts of the five bundled CC-BY papers, produced by `matlit run` + pipeline.shard.serialize.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.shard.manifest import FORMAT, FORMAT_VERSION, MANIFEST_NAME, sha256_file

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "train" / "corpus.jsonl"


def load_corpus() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text("utf-8").splitlines() if line.strip()]


def write_shards(root: Path, docs: list[dict] | None = None, validation: tuple[str, ...] = (), row_group_size: int = 16,
                 shards_per_table: int = 2, copies: int = 1) -> Path:
    """Write text/ and records/ shards of `docs` under root/shards; papers in `validation` go to that split.
    `copies` repeats each paper (with a suffixed id) to make a bigger set."""
    docs = docs if docs is not None else load_corpus()
    docs = [dict(d, paper_id=f"{d['paper_id']}-{c}" if copies > 1 else d["paper_id"]) for c in range(copies) for d in docs]
    shards_dir = root / "shards"
    entries = []
    for table in ("text", "records"):
        for split in ("train", "validation"):
            mine = [d for d in docs if (d["paper_id"].split("-")[0] in validation) == (split == "validation")]
            for k in range(shards_per_table):
                part = [d for i, d in enumerate(mine) if i % shards_per_table == k]
                if not part:
                    continue
                if table == "text":
                    rows = {"paper_id": [d["paper_id"] for d in part], "split": [split] * len(part),
                            "licence": [d["licence"] for d in part], "text": [d["text"] for d in part]}
                else:
                    rows = {"paper_id": [], "record_id": [], "split": [], "record_text": [], "value_num": []}
                    for d in part:
                        for j, r in enumerate(d["records"]):
                            rows["paper_id"].append(d["paper_id"])
                            rows["record_id"].append(f"{d['paper_id']}:{j}")
                            rows["split"].append(split)
                            rows["record_text"].append(r)
                            rows["value_num"].append(float(j))
                rel = f"{table}/{table}-{split}-{k:05d}.parquet"
                path = shards_dir / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(pa.table(rows), path, row_group_size=row_group_size, compression="zstd")
                entries.append({"table": table, "split": split, "path": rel, "rows": len(rows["paper_id"]),
                                "bytes": path.stat().st_size, "sha256": sha256_file(path),
                                "papers": sorted({d["paper_id"] for d in part})})
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "schema_version": "1.0", "code_version": "test",
                "config": {}, "tables": {}, "splits": {}, "shards": sorted(entries, key=lambda e: e["path"]),
                "duplicates": [], "excluded": [], "failures": []}
    (shards_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2))
    return shards_dir

"""Shard write throughput for `make bench` (pipeline/bench.py runs `measure_shard` in its own subprocess).

Input: the bundled papers parsed (no tables) and run through text_rules + normalize, their records copied under
`copies` synthetic paper ids into a temp work dir (so the run is big enough to time; each copy gets new ids,
jittered values and shuffled snippet words, so compression sees realistic content). Measured:

* matlit shard: the whole shard stage (plan, read JSONL, validate, flatten, record text, Parquet zstd, manifest)
  on the records table, in CPU seconds of this process (local executor, one task, run in-process);
* baseline: a bare `pyarrow.parquet.write_table` of the same final table with the same zstd settings.

Reported: output MB/s and rows/s of each, and their ratio (same run, same machine).
"""

from __future__ import annotations

import hashlib
import random
import tempfile
import time
from pathlib import Path


def _records(pdfs: list[str]) -> list:
    from pipeline.config import ParseConfig
    from pipeline.extract import build_extractors, extract_document
    from pipeline.normalize import normalize_records
    from pipeline.parse.pdf import parse_pdf
    from pipeline.parse.sentences import add_sentences

    extractors = build_extractors(["text_rules"])
    out = []
    for i, path in enumerate(pdfs):
        doc = parse_pdf(Path(path), f"{i:016x}", ParseConfig(tables=False, ocr="never"))
        add_sentences(doc)
        out.extend(normalize_records(extract_document(doc, extractors)))
    return out


def _variant(r, pid: str, rnd):
    """A copy of a record for another paper: new id, values jittered, snippet words shuffled (so zstd sees
    realistic, not repeated, content)."""
    words = r.evidence.snippet.split()
    rnd.shuffle(words)
    q = r.quantity
    f = 1 + rnd.uniform(-0.2, 0.2)
    q = q.model_copy(update={"values": [v * f for v in q.values], "values_canonical": [v * f for v in q.values_canonical]})
    return r.model_copy(update={
        "paper_id": pid,
        "record_id": hashlib.sha256(f"{pid}{r.record_id}".encode()).hexdigest()[:20],
        "quantity": q,
        "evidence": r.evidence.model_copy(update={"snippet": " ".join(words)}),
    })


def measure_shard(pdfs: list[str], copies: int = 60) -> dict:
    import io

    import pyarrow.parquet as pq

    from pipeline.config import load_config
    from pipeline.runner import new_run_id, run_stage
    from pipeline.shard.stage import ShardStage
    from pipeline.workdir import WorkDir

    base = _records(pdfs)
    with tempfile.TemporaryDirectory(prefix="matlit-bench-shard-") as tmp:
        work = Path(tmp) / "work"
        wd = WorkDir(work)
        rows = 0
        in_bytes = 0
        for c in range(copies):
            pid = hashlib.sha256(f"bench-{c}".encode()).hexdigest()[:16]
            recs = [_variant(r, pid, random.Random(f"{c}-{k}")) for k, r in enumerate(base)]
            wd.write_records("normalize", pid, recs)
            rows += len(recs)
            in_bytes += wd.stage_output("normalize", pid).stat().st_size
        cfg = load_config(None, {"work_dir": work, "runner.progress": False, "shard.tables": ["records"],
                                 "shard.validation_fraction": 0.0, "shard.target_rows": 20_000})
        stage = ShardStage(cfg, new_run_id())
        t0 = time.process_time()
        run_stage(stage, cfg)
        stage_s = time.process_time() - t0
        paths = sorted((work / "shards" / "records").glob("*.parquet"))
        out_bytes = sum(p.stat().st_size for p in paths)
        table = pq.read_table(paths)
        assert table.num_rows == rows, (table.num_rows, rows)
        sc = cfg.shard
        parts = [pq.read_table(p) for p in paths]
        t0 = time.process_time()
        for part in parts:  # same shards, same settings
            buf = io.BytesIO()
            pq.write_table(part, buf, compression="zstd", compression_level=sc.compression_level,
                           row_group_size=sc.row_group_rows, write_statistics=True)
        bare_s = time.process_time() - t0
    mb = out_bytes / 2**20
    return {
        "kind": "shard",
        "rows": rows,
        "papers": copies,
        "input_mb": round(in_bytes / 2**20, 2),
        "output_mb": round(mb, 2),
        "shards": len(paths),
        "stage_s": round(stage_s, 3),
        "stage_mb_per_s": round(mb / stage_s, 2),
        "stage_rows_per_s": round(rows / stage_s),
        "bare_write_s": round(bare_s, 3),
        "bare_mb_per_s": round(mb / bare_s, 2),
        "bare_rows_per_s": round(rows / bare_s),
        "ratio": round(bare_s / stage_s, 3),
    }

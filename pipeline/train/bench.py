"""Dataloader throughput for `make bench` (pipeline/bench.py runs `measure_dataloader` in its own subprocess).

Input: the bundled papers through the real stages (fetch, parse without tables, extract, normalize, shard) into a
temp work dir, and a tokenizer trained on those shards. Measured over the same shard files, `epochs` passes each,
in CPU seconds of this process (tokenizers' threads included):

* dataloader: ShardStream (manifest check, row groups, text + record_text mixed, shuffle buffer, packing into
  seq_len windows, tensors) through a torch DataLoader (batch 8, in-process);
* baseline: bare `pyarrow.parquet.read_table` of the text/record_text columns + `Tokenizer.encode_batch`.

Reported: tokens/s of each and their ratio (goal: dataloader >= 0.5 x the bare read + tokenize).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path


def _prepare(pdfs: list[str], root: Path) -> tuple[Path, Path]:
    from pipeline.config import load_config
    from pipeline.runner import run_pipeline
    from pipeline.train.shards import iter_texts
    from pipeline.train.tokenizer import save_hf, train_tokenizers

    work = root / "work"
    cfg = load_config(
        None,
        {"work_dir": work, "fetch.local": list(pdfs), "parse.tables": False, "parse.ocr": "never", "runner.progress": False},
    )
    run_pipeline(cfg, ["fetch", "parse", "extract", "normalize", "shard"])
    shards = work / "shards"
    toks = train_tokenizers(list(iter_texts(shards, split="train")), vocab_size=4000)
    save_hf(toks.chem, work / "tokenizer")
    return shards, work / "tokenizer"


def measure_dataloader(pdfs: list[str], epochs: int = 20, seq_len: int = 512, batch_size: int = 8) -> dict:
    import pyarrow.parquet as pq

    from pipeline.train.dataset import ShardStream, StreamOptions
    from pipeline.train.shards import TEXT_COLUMNS, verified_shards
    from pipeline.train.tokenizer import load_tokenizer

    with tempfile.TemporaryDirectory(prefix="matlit-bench-dl-") as tmp:
        shards, tok_dir = _prepare(pdfs, Path(tmp))
        files = verified_shards(shards, split="train")
        tok = load_tokenizer(tok_dir)
        tok.encode_batch(["warm up"])
        # baseline: bare read + tokenize of the same columns
        t0 = time.process_time()
        bare_tokens = 0
        for _ in range(epochs):
            for f in files:
                col = TEXT_COLUMNS[f.table]
                texts = [x for x in pq.read_table(f.path, columns=[col]).column(col).to_pylist() if x]
                bare_tokens += sum(len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False))
        bare_s = time.process_time() - t0
        # the dataloader over the same shards and epochs
        opts = StreamOptions(seq_len=seq_len, record_fraction=0.3, shuffle_buffer=256, epochs=epochs)
        t0 = time.process_time()
        ds = ShardStream(shards, tok_dir, opts)
        dl_tokens = 0
        for b in ds.loader(batch_size):
            dl_tokens += b["input_ids"].numel()
        dl_s = time.process_time() - t0
        rows = sum(f.rows for f in files)
    return {
        "kind": "dataloader",
        "shards": len(files),
        "rows": rows,
        "epochs": epochs,
        "seq_len": seq_len,
        "bare_tokens": bare_tokens,
        "bare_s": round(bare_s, 3),
        "bare_tokens_per_s": round(bare_tokens / bare_s),
        "dataloader_tokens": dl_tokens,
        "dataloader_s": round(dl_s, 3),
        "dataloader_tokens_per_s": round(dl_tokens / dl_s),
        "ratio": round((dl_tokens / dl_s) / (bare_tokens / bare_s), 3),
    }


if __name__ == "__main__":  # pragma: no cover
    import glob
    import json
    import sys

    pdfs = sys.argv[1:] or sorted(glob.glob(str(Path(__file__).resolve().parents[2] / "data" / "papers" / "*.pdf")))
    print(json.dumps(measure_dataloader(pdfs)))

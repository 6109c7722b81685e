"""A resumable streaming torch dataset over the shards: text and record text, tokenized and packed.

    ds = ShardStream(work / "shards", work / "tokenizer", StreamOptions(seq_len=128, record_fraction=0.3))
    loader = ds.loader(batch_size=8, num_workers=2)
    for batch in loader:
        loss = model(input_ids=batch["input_ids"], labels=batch["input_ids"]).loss
        ...
        ds.mark_consumed(batch)           # after the step: this batch is trained on
    torch.save(ds.state_dict(), ...)      # exact resume: ShardStream(...).load_state_dict(state)

- The manifest is verified when the dataset is built (every shard present, right size and sha256): a missing or
  truncated shard stops it before any training (ShardsError names the shard).
- Work units are (shard, row group). Each epoch shuffles them with (seed, epoch) and deals them to the
  rank x DataLoader-worker streams (unit i -> stream i % (world_size * num_workers)); with fewer units than
  streams, rows are dealt instead. Every stream is a deterministic function of (shards, options, epoch, stream).
- Within a stream: documents from `text` (column `text`) and `records` (column `record_text`) are mixed, each
  next document drawn from records with probability `record_fraction`; a seeded shuffle buffer of documents; token
  ids packed into `seq_len` windows with `<eos>` after every document.
- Resume: `state_dict()` holds the samples consumed per stream and which stream serves the next batch; a fresh
  dataset replays each stream deterministically and skips what was consumed, and the DataLoader's workers take
  the streams in the same rotation as before, so the batches after resume equal those of an uninterrupted run.
  The cost of resuming is re-reading and re-tokenizing the consumed part (no positional seek).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from torch.utils.data import IterableDataset

from pipeline.train.shards import ShardFile, ShardsError, read_texts, row_groups, verified_shards
from pipeline.train.tokenizer import EOS, load_tokenizer

STATE_VERSION = 1


@dataclass(frozen=True)
class StreamOptions:
    seq_len: int = 128
    split: str = "train"
    record_fraction: float = 0.3  # probability the next document is a record text (0: text only, 1: records only)
    shuffle_buffer: int = 256  # documents; 0 or 1 = no shuffling within a stream
    seed: int = 0
    epochs: int | None = None  # None: repeat for ever (pretraining stops at max_steps)


class ShardStream(IterableDataset):
    """The torch IterableDataset over the shards (see the module docstring)."""

    def __init__(
        self,
        shards_dir: str | Path,
        tokenizer: str | Path,
        options: StreamOptions | None = None,
        rank: int | None = None,
        world_size: int | None = None,
    ):
        self.opts = options or StreamOptions()
        if self.opts.seq_len < 2:
            raise ShardsError(f"seq_len must be >= 2, got {self.opts.seq_len}")
        if not 0.0 <= self.opts.record_fraction <= 1.0:
            raise ShardsError(f"record_fraction must be in [0, 1], got {self.opts.record_fraction}")
        if rank is None or world_size is None:
            rank, world_size = _dist_rank_world()
        if not 0 <= rank < world_size:
            raise ShardsError(f"rank {rank} is not in [0, {world_size})")
        self.rank, self.world_size = rank, world_size
        self.shards_dir = Path(shards_dir)
        self.tokenizer_path = Path(tokenizer)
        tables = [t for t, w in (("text", 1 - self.opts.record_fraction), ("records", self.opts.record_fraction)) if w > 0]
        # the manifest check: refuse to start on a missing / truncated / altered shard
        files = verified_shards(self.shards_dir, tuple(tables), self.opts.split)
        self.units: dict[str, list[tuple[ShardFile, int]]] = {t: [] for t in tables}
        for f in files:
            self.units[f.table].extend((f, rg) for rg in range(row_groups(f)))
        if not any(self.units.values()):
            raise ShardsError(f"{self.shards_dir}: no {'/'.join(tables)} shards for split {self.opts.split!r}")
        tok = load_tokenizer(self.tokenizer_path)
        self.eos_id = tok.token_to_id(EOS)
        if self.eos_id is None:
            raise ShardsError(f"tokenizer {self.tokenizer_path} has no {EOS} token")
        tok_file = self.tokenizer_path / "tokenizer.json" if self.tokenizer_path.is_dir() else self.tokenizer_path
        self.fingerprint = hashlib.sha256(
            json.dumps(
                {
                    "shards": sorted(f.sha256 for f in files),
                    "options": asdict(self.opts),
                    "tokenizer": hashlib.sha256(tok_file.read_bytes()).hexdigest(),
                    "rank": rank,
                    "world_size": world_size,
                },
                sort_keys=True,
            ).encode()
        ).hexdigest()[:16]
        self._tok = None
        self._num_workers = 0
        self._consumed: dict[int, int] = {}
        self._next_role = 0
        self._skip: dict[int, int] = {}
        self._role_offset = 0
        self._saved_workers: int | None = None

    # --- the loader and resume state ---------------------------------------------------------------------------

    def loader(self, batch_size: int, num_workers: int = 0, **kwargs):
        """A DataLoader over this dataset (in order; batches are built inside each worker)."""
        from torch.utils.data import DataLoader

        if self._saved_workers is not None and self._saved_workers != max(num_workers, 1):
            raise ShardsError(
                f"resume state was saved with {self._saved_workers} DataLoader worker(s); "
                f"resume with the same number (got {num_workers})"
            )
        self._num_workers = num_workers
        return DataLoader(self, batch_size=batch_size, num_workers=num_workers, in_order=True, **kwargs)

    def mark_consumed(self, batch) -> None:
        """Count a batch as trained on (call once per batch, after the step)."""
        roles = batch["stream"].tolist()
        for r in roles:
            self._consumed[r] = self._consumed.get(r, 0) + 1
        self._next_role = (roles[-1] + 1) % max(self._num_workers, 1)

    def state_dict(self) -> dict:
        return {
            "version": STATE_VERSION,
            "fingerprint": self.fingerprint,
            "num_workers": max(self._num_workers, 1),
            "consumed": {str(k): v for k, v in sorted(self._consumed.items())},
            "next_stream": self._next_role,
        }

    def load_state_dict(self, state: dict) -> None:
        if state.get("version") != STATE_VERSION:
            raise ShardsError(f"dataset state version {state.get('version')!r}, this code reads {STATE_VERSION}")
        if state.get("fingerprint") != self.fingerprint:
            raise ShardsError(
                "dataset state was saved for different shards, tokenizer, options or rank/world size "
                f"(fingerprint {state.get('fingerprint')} != {self.fingerprint}); cannot resume exactly"
            )
        self._consumed = {int(k): int(v) for k, v in state["consumed"].items()}
        self._skip = dict(self._consumed)
        self._next_role = self._role_offset = int(state["next_stream"])
        self._saved_workers = int(state["num_workers"])

    # --- iteration ---------------------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[dict]:
        import torch
        from torch.utils.data import get_worker_info

        info = get_worker_info()
        nw, wid = (info.num_workers, info.id) if info is not None else (1, 0)
        if self._saved_workers is not None and self._saved_workers != nw:
            raise ShardsError(f"resume state was saved with {self._saved_workers} worker stream(s), now {nw}")
        role = (wid + self._role_offset) % nw
        stream, n_streams = self.rank * nw + role, self.world_size * nw
        skip = self._skip.get(role, 0)
        for i, ids in enumerate(self._samples(stream, n_streams)):
            if i < skip:
                continue
            yield {"input_ids": torch.tensor(ids, dtype=torch.long), "stream": role}

    def _tokenizer(self):
        if self._tok is None:
            self._tok = load_tokenizer(self.tokenizer_path)
        return self._tok

    def _samples(self, stream: int, n_streams: int) -> Iterator[list[int]]:
        L = self.opts.seq_len
        buf: list[int] = []
        epoch = 0
        while self.opts.epochs is None or epoch < self.opts.epochs:
            n_docs = 0
            for ids in self.documents(stream, n_streams, epoch):
                n_docs += 1
                buf.extend(ids)
                buf.append(self.eos_id)
                if len(buf) >= L:
                    k = len(buf) // L
                    for j in range(k):
                        yield buf[j * L : (j + 1) * L]
                    buf = buf[k * L :]
            if n_docs == 0:
                raise ShardsError(
                    f"stream {stream} of {n_streams} (rank {self.rank}) got no documents from {self.shards_dir} "
                    f"split {self.opts.split!r}: fewer rows than rank x worker streams"
                )
            epoch += 1

    def documents(self, stream: int, n_streams: int, epoch: int) -> Iterator[list[int]]:
        """Token ids of this stream's documents for one epoch: mixed, shuffled (no eos)."""
        import numpy as np

        mix = np.random.default_rng([self.opts.seed, epoch, stream, 1])
        shuf = np.random.default_rng([self.opts.seed, epoch, stream, 2])
        sources = {t: self._table_docs(t, stream, n_streams, epoch) for t in self.units}
        p_rec = self.opts.record_fraction

        def mixed():
            live = dict(sources)
            while live:
                if len(live) == 2:
                    t = "records" if mix.random() < p_rec else "text"
                else:
                    t = next(iter(live))
                try:
                    yield next(live[t])
                except StopIteration:
                    del live[t]

        size = self.opts.shuffle_buffer
        if size <= 1:
            yield from mixed()
            return
        pool: list[list[int]] = []
        for doc in mixed():
            if len(pool) < size:
                pool.append(doc)
                continue
            j = int(shuf.integers(size))
            yield pool[j]
            pool[j] = doc
        for j in shuf.permutation(len(pool)):
            yield pool[int(j)]

    def _table_docs(self, table: str, stream: int, n_streams: int, epoch: int) -> Iterator[list[int]]:
        import numpy as np

        units = self.units[table]
        order = np.random.default_rng([self.opts.seed, epoch, 0]).permutation(len(units))
        by_rows = len(units) < n_streams
        tok = self._tokenizer()
        row = 0
        for i, u in enumerate(order):
            if not by_rows and i % n_streams != stream:
                continue
            f, rg = units[int(u)]
            texts = read_texts(f, self.opts.split, rg)
            if by_rows:
                keep = [t for k, t in enumerate(texts) if (row + k) % n_streams == stream]
                row += len(texts)
                texts = keep
            if not texts:
                continue
            for enc in tok.encode_batch(texts, add_special_tokens=False):
                yield enc.ids


def _dist_rank_world() -> tuple[int, int]:
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
    except ImportError:  # pragma: no cover
        pass
    return 0, 1

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
- Resume: `state_dict()` holds, per stream, its position after the last consumed batch (epoch, source cursors,
  the mix and shuffle RNG states, the shuffle pool and the packer's pending documents as (table, row group, row)
  references) and which stream serves the next batch. A fresh dataset restores each stream there, re-reading only
  the referenced row groups (cost independent of how far training got), and the DataLoader's workers take the
  streams in the same rotation as before, so the batches after resume equal those of an uninterrupted run.
  Resume needs the same shards, tokenizer, options, rank/world size and number of DataLoader workers.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from torch.utils.data import IterableDataset

from pipeline.train.shards import ShardFile, ShardsError, read_texts, row_groups, verified_shards
from pipeline.train.tokenizer import EOS, load_tokenizer

STATE_VERSION = 2


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
        self._batch_size: int | None = None
        self._consumed: dict[int, int] = {}
        self._next_role = 0
        self._saved: dict[int, str] = {}  # stream role -> its position (JSON) after the last consumed batch
        self._resume: dict[int, str] = {}
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
        self._batch_size = batch_size
        return DataLoader(self, batch_size=batch_size, num_workers=num_workers, in_order=True, **kwargs)

    def mark_consumed(self, batch) -> None:
        """Count a batch as trained on (call once per batch, after the step)."""
        roles = batch["stream"].tolist()
        for r in roles:
            self._consumed[r] = self._consumed.get(r, 0) + 1
        self._saved[roles[-1]] = batch["position"][-1]
        self._next_role = (roles[-1] + 1) % max(self._num_workers, 1)

    def state_dict(self) -> dict:
        return {
            "version": STATE_VERSION,
            "fingerprint": self.fingerprint,
            "num_workers": max(self._num_workers, 1),
            "consumed": {str(k): v for k, v in sorted(self._consumed.items())},
            "positions": {str(k): v for k, v in sorted(self._saved.items())},
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
        self._saved = {int(k): v for k, v in state["positions"].items()}
        self._resume = dict(self._saved)
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
        st = _Stream(self, self.rank * nw + role, self.world_size * nw)
        if role in self._resume:
            if not self._resume[role]:
                return  # the stream had ended (finite epochs): its last, partial batch was consumed
            st.restore(json.loads(self._resume[role]))
        every = self._batch_size or 1
        n = 0
        while True:
            ids = st.next_sample()
            if ids is None:
                return
            n += 1
            # the position after a batch's last sample is what resume needs: snapshot only there
            pos = json.dumps(st.snapshot()) if n % every == 0 else ""
            yield {"input_ids": torch.tensor(ids, dtype=torch.long), "stream": role, "position": pos}

    def _tokenizer(self):
        if self._tok is None:
            self._tok = load_tokenizer(self.tokenizer_path)
        return self._tok

    def documents(self, stream: int, n_streams: int, epoch: int) -> Iterator[list[int]]:
        """Token ids of one stream's documents for one epoch: mixed, shuffled (no eos)."""
        st = _Stream(self, stream, n_streams)
        st.start_epoch(epoch)
        while (d := st.next_shuffled()) is not None:
            yield d[1]


class _Source:
    """One table's documents for one stream and epoch: units in the epoch's order, dealt to this stream."""

    def __init__(self, st: _Stream, table: str, epoch: int):
        import numpy as np

        self.st, self.table = st, table
        units = st.ds.units[table]
        self.order = [int(u) for u in np.random.default_rng([st.ds.opts.seed, epoch, 0]).permutation(len(units))]
        self.by_rows = len(units) < st.n_streams
        self.pos = 0  # position in order of the current / next unit
        self.row = 0  # by_rows: rows of the units before the current one
        self.k = 0  # documents of the current unit already taken
        self.cur: tuple | None = None  # (unit id, rows, row indices dealt to this stream, their token ids)

    def _load(self) -> bool:
        st = self.st
        while self.pos < len(self.order):
            if self.by_rows or self.pos % st.n_streams == st.stream:
                uid = self.order[self.pos]
                f, rg = st.ds.units[self.table][uid]
                texts = read_texts(f, st.ds.opts.split, rg)
                if self.by_rows:
                    mine = [j for j in range(len(texts)) if (self.row + j) % st.n_streams == st.stream]
                else:
                    mine = list(range(len(texts)))
                enc = st.ds._tokenizer().encode_batch([texts[j] for j in mine], add_special_tokens=False)
                self.cur = (uid, len(texts), mine, [e.ids for e in enc])
                return True
            self.pos += 1
        return False

    def next_doc(self):
        while True:
            if self.cur is None and not self._load():
                return None
            uid, n_rows, mine, ids = self.cur
            if self.k < len(mine):
                self.k += 1
                return (self.table, uid, mine[self.k - 1]), ids[self.k - 1]
            self.row += n_rows
            self.pos += 1
            self.k = 0
            self.cur = None

    def snapshot(self) -> dict:
        return {"pos": self.pos, "row": self.row, "k": self.k, "loaded": self.cur is not None}

    def restore(self, s: dict) -> None:
        self.pos, self.row, self.k = s["pos"], s["row"], s["k"]
        self.cur = None
        if s["loaded"]:
            self._load()


class _Stream:
    """One rank x worker stream as an explicit state machine: sources -> mix -> shuffle pool -> packer.

    `snapshot()` after any sample is a small JSON-able position (source cursors, RNG states, the pool and the
    packer's pending documents as (table, unit, row) references); `restore()` rebuilds the stream there by
    re-reading only the referenced row groups, so resuming costs the same however far training got."""

    def __init__(self, ds: ShardStream, stream: int, n_streams: int):
        self.ds, self.stream, self.n_streams = ds, stream, n_streams
        self.L = ds.opts.seq_len
        self.eos = ds.eos_id
        self._texts: dict[tuple[str, int], list[str]] = {}
        self.epoch = 0
        self.segs: deque = deque()  # [ref, ids, offset]: pending documents, each followed by eos
        self.buffered = 0
        self.start_epoch(0)

    def resolve(self, ref) -> list[int]:
        """Token ids of a referenced document (restore only; row groups cached for the restore)."""
        table, uid, j = ref
        key = (table, uid)
        if key not in self._texts:
            f, rg = self.ds.units[table][uid]
            self._texts[key] = read_texts(f, self.ds.opts.split, rg)
        return self.ds._tokenizer().encode(self._texts[key][j], add_special_tokens=False).ids

    def start_epoch(self, epoch: int) -> None:
        import numpy as np

        opts = self.ds.opts
        self.epoch = epoch
        self.n_docs = 0
        self.sources = {t: _Source(self, t, epoch) for t in self.ds.units}
        self.live = list(self.sources)
        self.mix = np.random.default_rng([opts.seed, epoch, self.stream, 1])
        self.shuf = np.random.default_rng([opts.seed, epoch, self.stream, 2])
        self.pool: list = []
        self.draining = False

    def next_mixed(self):
        p_rec = self.ds.opts.record_fraction
        while self.live:
            if len(self.live) == 2:
                t = "records" if self.mix.random() < p_rec else "text"
            else:
                t = self.live[0]
            d = self.sources[t].next_doc()
            if d is not None:
                return d
            self.live.remove(t)
        return None

    def next_shuffled(self):
        size = self.ds.opts.shuffle_buffer
        if size <= 1:
            return self.next_mixed()
        while not self.draining:
            d = self.next_mixed()
            if d is None:
                self.draining = True
                self.pool = [self.pool[int(j)] for j in self.shuf.permutation(len(self.pool))]
                break
            if len(self.pool) < size:
                self.pool.append(d)
                continue
            j = int(self.shuf.integers(size))
            out, self.pool[j] = self.pool[j], d
            return out
        return self.pool.pop(0) if self.pool else None

    def next_sample(self) -> list[int] | None:
        epochs = self.ds.opts.epochs
        while self.buffered < self.L:
            d = self.next_shuffled()
            if d is None:
                if self.n_docs == 0:
                    raise ShardsError(
                        f"stream {self.stream} of {self.n_streams} (rank {self.ds.rank}) got no documents from "
                        f"{self.ds.shards_dir} split {self.ds.opts.split!r}: fewer rows than rank x worker streams"
                    )
                if epochs is not None and self.epoch + 1 >= epochs:
                    return None  # the last partial window is dropped
                self.start_epoch(self.epoch + 1)
                continue
            self.n_docs += 1
            self.segs.append([d[0], d[1], 0])
            self.buffered += len(d[1]) + 1
        out: list[int] = []
        while len(out) < self.L:
            seg = self.segs[0]
            ref, ids, off = seg
            need = self.L - len(out)
            left = len(ids) - off  # tokens before this document's eos
            if left + 1 <= need:
                out.extend(ids[off:])
                out.append(self.eos)
                self.segs.popleft()
            else:
                out.extend(ids[off : off + need])
                seg[2] += need
        self.buffered -= self.L
        return out

    # position
    def snapshot(self) -> dict:
        return {
            "epoch": self.epoch,
            "n_docs": self.n_docs,
            "sources": {t: s.snapshot() for t, s in self.sources.items()},
            "live": list(self.live),
            "mix": self.mix.bit_generator.state,
            "shuf": self.shuf.bit_generator.state,
            "draining": self.draining,
            "pool": [list(ref) for ref, _ in self.pool],
            "segs": [[*ref, off] for ref, _, off in self.segs],
        }

    def restore(self, s: dict) -> None:
        self.start_epoch(s["epoch"])
        self.n_docs = s["n_docs"]
        for t, src in s["sources"].items():
            self.sources[t].restore(src)
        self.live = list(s["live"])
        self.mix.bit_generator.state = s["mix"]
        self.shuf.bit_generator.state = s["shuf"]
        self.draining = s["draining"]
        self.pool = [(tuple(r), self.resolve(tuple(r))) for r in s["pool"]]
        self.segs = deque()
        self.buffered = 0
        for table, uid, j, off in s["segs"]:
            ids = self.resolve((table, uid, j))
            self.segs.append([(table, uid, j), ids, off])
            self.buffered += len(ids) - off + 1
        self._texts.clear()


def _dist_rank_world() -> tuple[int, int]:
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
    except ImportError:  # pragma: no cover
        pass
    return 0, 1

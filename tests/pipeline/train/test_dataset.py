"""The streaming shard dataset: manifest check, packing, mixing, seeded shuffling, rank/worker split, exact resume."""

from __future__ import annotations

import json

import pytest

from pipeline.train.dataset import ShardStream, StreamOptions
from pipeline.train.shards import ShardsError, iter_texts
from pipeline.train.tokenizer import EOS, load_tokenizer
from tests.pipeline.train.shardkit import write_shards

OPTS = StreamOptions(seq_len=64, shuffle_buffer=16, seed=7, record_fraction=0.3)


def _batches(trained, opts=OPTS, workers=0, stop=None, state=None, n=10, rank=0, world=1):
    """Run a DataLoader; stop after `stop` batches (returning the state) or after n batches."""
    ds = ShardStream(trained.shards, trained.tokenizer, opts, rank=rank, world_size=world)
    if state is not None:
        ds.load_state_dict(state)
    out = []
    for b in ds.loader(batch_size=4, num_workers=workers):
        out.append(b["input_ids"].tolist())
        ds.mark_consumed(b)
        if len(out) == (stop or n):
            break
    return out, ds.state_dict()


@pytest.mark.parametrize("workers,stop", [(0, 5), (2, 5), (2, 4)])
def test_resume_gives_the_same_batches_as_an_uninterrupted_run(trained, workers, stop):
    full, _ = _batches(trained, workers=workers, n=12)
    head, state = _batches(trained, workers=workers, stop=stop)
    assert head == full[:stop]
    tail, _ = _batches(trained, workers=workers, state=state, n=12 - stop)  # a fresh dataset and DataLoader
    assert head + tail == full
    assert len({str(b) for b in full}) == len(full)  # not one batch repeated


def test_resume_across_epochs(trained):
    opts = StreamOptions(seq_len=64, shuffle_buffer=8, seed=1, record_fraction=0.0)
    one_epoch = StreamOptions(**{**opts.__dict__, "epochs": 1})
    per_epoch = sum(1 for _ in ShardStream(trained.shards, trained.tokenizer, one_epoch).loader(4))
    n = per_epoch + 3
    full, _ = _batches(trained, opts=opts, n=n)
    head, state = _batches(trained, opts=opts, stop=per_epoch - 1)
    tail, _ = _batches(trained, opts=opts, state=state, n=n - (per_epoch - 1))
    assert head + tail == full
    assert full[0] != full[per_epoch]  # the second epoch is reshuffled


def test_ranks_split_the_data_and_each_resumes(trained):
    opts = StreamOptions(**{**OPTS.__dict__, "record_fraction": 0.0, "epochs": 1})
    tok = load_tokenizer(trained.tokenizer)
    docs = {}
    for rank in (0, 1):
        ds = ShardStream(trained.shards, trained.tokenizer, opts, rank=rank, world_size=2)
        docs[rank] = [tok.decode(ids) for ids in ds.documents(rank, 2, epoch=0)]
    assert docs[0] and docs[1]
    assert not set(docs[0]) & set(docs[1])
    assert sorted(docs[0] + docs[1]) == sorted(iter_texts(trained.shards, ("text",), "train"))
    for rank in (0, 1):
        full, _ = _batches(trained, opts=OPTS, n=8, rank=rank, world=2)
        head, state = _batches(trained, opts=OPTS, stop=3, rank=rank, world=2)
        tail, _ = _batches(trained, opts=OPTS, state=state, n=5, rank=rank, world=2)
        assert head + tail == full
    assert _batches(trained, n=2, rank=0, world=2)[0] != _batches(trained, n=2, rank=1, world=2)[0]


def test_packing_is_the_documents_joined_by_eos(trained):
    opts = StreamOptions(seq_len=50, shuffle_buffer=0, seed=0, record_fraction=0.0, epochs=1)
    ds = ShardStream(trained.shards, trained.tokenizer, opts)
    tok = load_tokenizer(trained.tokenizer)
    eos = tok.token_to_id(EOS)
    stream = []
    for ids in ds.documents(0, 1, 0):
        stream += ids + [eos]
    samples = [s["input_ids"].tolist() for s in ds]
    assert all(len(s) == 50 for s in samples)
    flat = [t for s in samples for t in s]
    assert flat == stream[: len(flat)] and len(stream) - len(flat) < 50
    texts = tok.decode(stream, skip_special_tokens=False).split(EOS)
    assert sorted(t for t in texts if t) == sorted(iter_texts(trained.shards, ("text",), "train"))


def test_mixing_text_and_records(trained):
    tok = load_tokenizer(trained.tokenizer)
    mat = tok.token_to_id("<mat>")

    def share_of_record_docs(fraction):
        opts = StreamOptions(seq_len=64, shuffle_buffer=0, record_fraction=fraction, epochs=1)
        ds = ShardStream(trained.shards, trained.tokenizer, opts)
        docs = list(ds.documents(0, 1, 0))
        return sum(mat in d or tok.token_to_id("<val>") in d for d in docs) / len(docs)

    assert share_of_record_docs(0.0) == 0.0
    assert share_of_record_docs(1.0) == 1.0
    assert 0.5 < share_of_record_docs(0.5) < 1.0  # many short record docs, few long papers: records dominate counts


def test_shuffle_is_seeded(trained):
    def first(seed):
        opts = StreamOptions(seq_len=64, shuffle_buffer=32, seed=seed, record_fraction=1.0, epochs=1)
        return list(ShardStream(trained.shards, trained.tokenizer, opts).documents(0, 1, 0))

    a, b, c = first(1), first(1), first(2)
    assert a == b and a != c and sorted(map(tuple, a)) == sorted(map(tuple, c))


def test_refuses_to_start_on_missing_or_truncated_shard(tmp_path, trained):
    shards = write_shards(tmp_path)
    victim = sorted((shards / "text").glob("*.parquet"))[0]
    victim.write_bytes(victim.read_bytes()[:-100])
    with pytest.raises(ShardsError, match=rf"text/{victim.name} is truncated"):
        ShardStream(shards, trained.tokenizer, OPTS)
    victim.unlink()
    with pytest.raises(ShardsError, match=rf"text/{victim.name} is missing"):
        ShardStream(shards, trained.tokenizer, OPTS)


def test_state_from_other_options_or_worker_count_is_refused(trained):
    _, state = _batches(trained, workers=0, stop=2)
    other = ShardStream(trained.shards, trained.tokenizer, StreamOptions(**{**OPTS.__dict__, "seed": 8}))
    with pytest.raises(ShardsError, match="different shards, tokenizer, options"):
        other.load_state_dict(state)
    same = ShardStream(trained.shards, trained.tokenizer, OPTS)
    same.load_state_dict(state)
    with pytest.raises(ShardsError, match="saved with 1 DataLoader worker"):
        same.loader(4, num_workers=2)


def test_resume_reads_only_the_row_groups_it_needs(trained, monkeypatch):
    """The state is a position (cursors, RNG states, referenced pool documents), not a count to replay."""
    import pipeline.train.dataset as dsmod

    calls = []
    real = dsmod.read_texts

    def counting(f, split=None, row_group=None):
        calls.append((f.path.name, row_group))
        return real(f, split, row_group)

    monkeypatch.setattr(dsmod, "read_texts", counting)
    opts = StreamOptions(seq_len=64, shuffle_buffer=4, seed=3, record_fraction=1.0)
    full, _ = _batches(trained, opts=opts, n=31)
    head, state = _batches(trained, opts=opts, stop=30)
    read_before = len(set(calls))
    calls.clear()
    tail, _ = _batches(trained, opts=opts, state=state, n=1)
    assert head + tail == full
    assert read_before > 15 and len(calls) <= 6, (read_before, calls)
    assert len(json.dumps(state)) < 4000


def test_finite_stream_resumes_to_its_end_and_stops(trained):
    opts = StreamOptions(seq_len=64, shuffle_buffer=8, seed=2, record_fraction=0.5, epochs=1)
    every, _ = _batches(trained, opts=opts, workers=2, n=10_000)
    k = len(every) - 3
    head, state = _batches(trained, opts=opts, workers=2, stop=k)
    tail, state2 = _batches(trained, opts=opts, workers=2, state=state, n=10_000)
    assert head + tail == every and len(tail) == 3
    assert any(len(b) < 4 for b in every)  # the partial last batches of the two workers
    rest, _ = _batches(trained, opts=opts, workers=2, state=state2, n=10_000)
    assert rest == []  # everything consumed: a resumed run yields nothing more

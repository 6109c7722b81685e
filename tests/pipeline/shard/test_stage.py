"""The shard stage on a real work dir (two bundled papers): layout, manifest, re-runs, splits, licences, dedup,
bad rows, decisions, and the loaders (pandas, DuckDB, HF datasets) that prove the shards are usable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.runner import run_pipeline
from pipeline.shard.manifest import ShardManifestError, load_manifest, shard_paths, verify_manifest
from pipeline.shard.stage import split_of
from schemas import Record
from schemas.flat import flat_record_schema
from tests.pipeline.shard.conftest import shard_cfg


def run_shard(work: Path, **overrides):
    cfg = shard_cfg(work, **overrides)
    (summary,) = run_pipeline(cfg, ["shard"])
    out = Path(overrides.get("shard.out_dir") or work / "shards")
    return summary, out


def n_records(work: Path, kind: str = "records") -> dict[str, int]:
    return {p.stem: sum(1 for ln in p.read_text().splitlines() if ln.strip()) for p in (work / kind).glob("*.jsonl")}


def all_shard_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.parquet"))}


def test_layout_counts_and_manifest(work_copy):
    summary, out = run_shard(work_copy)
    assert summary.failed == 0
    m = verify_manifest(out)
    counts = n_records(work_copy)
    assert m["tables"]["records"]["rows"] == sum(counts.values())
    # quantity mentions (no vocabulary property) in their own table, same schema, listed in the manifest
    assert m["tables"]["mentions"]["rows"] == sum(n_records(work_copy, "mentions").values()) > 0
    assert sum(s["rows"] for s in m["shards"] if s["table"] == "mentions") == m["tables"]["mentions"]["rows"]
    men = pq.read_table(shard_paths(out, "mentions"))
    assert men.schema.equals(flat_record_schema(), check_metadata=False)
    assert all(r["property_id"] is None or r["property_id"] for r in men.to_pylist())
    assert not set(men["record_id"].to_pylist()) & set(pq.read_table(shard_paths(out, "records"))["record_id"].to_pylist())
    assert m["tables"]["text"]["rows"] == 2
    assert m["schema_version"] == flat_record_schema().metadata[b"schema_version"].decode()
    assert m["code_version"] and m["config"]["validation_fraction"] == 0.05
    for s in m["shards"]:
        assert (out / s["path"]).stat().st_size == s["bytes"]
        meta = pq.ParquetFile(out / s["path"]).metadata
        assert meta.num_rows == s["rows"]
        assert meta.row_group(0).column(0).compression == "ZSTD"
    rec = pq.read_table(shard_paths(out, "records"))
    assert rec.schema.equals(flat_record_schema(), check_metadata=False)
    # rows come back as the records they were made from
    first = Record.model_validate_json((work_copy / "records" / f"{rec['paper_id'][0]}.jsonl").read_text().splitlines()[0])
    row = rec.slice(0, 1).to_pylist()[0]
    assert row["record_id"] == first.record_id and row["values"] == first.quantity.values
    assert row["record_text"].startswith("<mat>") or row["record_text"].startswith("<prop>") or "<val>" in row["record_text"]
    assert not list(out.rglob("*.tmp-*"))


def test_record_spans_map_into_text(work_copy):
    _, out = run_shard(work_copy)
    texts = {r["paper_id"]: r for r in pq.read_table(shard_paths(out, "text")).to_pylist()}
    rows = pq.read_table(shard_paths(out, "records")).to_pylist() + pq.read_table(shard_paths(out, "mentions")).to_pylist()
    checked = 0
    for row in rows:
        if row["quantity_span"] is None:
            continue
        t = texts[row["paper_id"]]
        anchor = {a["source_id"]: a for a in t["anchors"]}[row["source_id"]]
        qs = row["quantity_span"]
        got = t["text"][anchor["start"] + qs["start"] : anchor["start"] + qs["end"]]
        assert got.split()[0][:2] == row["quantity_raw"].split()[0][:2], (row["source_id"], got, row["quantity_raw"])
        checked += 1
    assert checked > 50
    kinds = {r["source_kind"] for r in rows}
    assert {"sentence", "table"} <= kinds  # block and table-cell anchors both exercised


def test_rerun_is_byte_identical(work_copy, tmp_path):
    _, out = run_shard(work_copy, **{"shard.num_shards": 2, "shard.validation_fraction": 0.5})
    first = all_shard_bytes(out)
    m1 = load_manifest(out)
    # same dir: shards are up to date and skipped; manifest the same shards
    summary, _ = run_shard(work_copy, **{"shard.num_shards": 2, "shard.validation_fraction": 0.5})
    assert summary.skipped == len(first) and all_shard_bytes(out) == first
    # a fresh out dir: everything written again, byte for byte
    other = tmp_path / "again"
    (other / "records").mkdir(parents=True)
    (other / "records" / "records-train-00000.parquet.tmp-x1y2").write_bytes(b"left by a killed run")
    run_shard(work_copy, **{"shard.num_shards": 2, "shard.validation_fraction": 0.5, "shard.out_dir": other})
    assert all_shard_bytes(other) == first and not list(other.rglob("*.tmp-*"))
    assert [(s["path"], s["sha256"]) for s in load_manifest(other)["shards"]] == [
        (s["path"], s["sha256"]) for s in m1["shards"]]


def test_split_is_deterministic_by_paper_hash(work_copy):
    _, out = run_shard(work_copy, **{"shard.validation_fraction": 0.5, "shard.split_seed": "s1"})
    rows = pq.read_table(shard_paths(out, "records"), columns=["paper_id", "split"]).to_pylist()
    by_paper: dict[str, set] = {}
    for r in rows:
        by_paper.setdefault(r["paper_id"], set()).add(r["split"])
    assert all(len(v) == 1 for v in by_paper.values())  # a paper never straddles splits
    assert {p: v.pop() for p, v in by_paper.items()} == {p: split_of(p, 0.5, "s1") for p in by_paper}
    for s in load_manifest(out)["shards"]:
        assert f"-{s['split']}-" in s["path"]
    # the hash is stable and roughly uniform
    ids = [f"{i:016x}" for i in range(2000)]
    share = sum(split_of(i, 0.1) == "validation" for i in ids) / len(ids)
    assert 0.07 < share < 0.13
    assert [split_of(i, 0.1) for i in ids] == [split_of(i, 0.1) for i in ids]
    assert all(split_of(i, 0.0) == "train" for i in ids[:50]) and all(split_of(i, 1.0) == "validation" for i in ids[:50])


def test_target_rows_splits_into_several_shards(work_copy):
    _, out = run_shard(work_copy, **{"shard.target_rows": 20, "shard.validation_fraction": 0.0})
    m = verify_manifest(out)
    rec = [s for s in m["shards"] if s["table"] == "records"]
    assert len(rec) == 2 and sorted(len(s["papers"]) for s in rec) == [1, 1]  # one paper per shard: together > 20 rows


def test_licence_allowlist(work_copy):
    pid = sorted(n_records(work_copy))[0]
    pj = work_copy / "papers" / f"{pid}.json"
    paper = json.loads(pj.read_text())
    assert paper["licence"].startswith("cc-by")  # from data/papers/metadata.yaml
    paper["licence"] = "cc-by-nc-nd-4.0"
    pj.write_text(json.dumps(paper))
    _, out = run_shard(work_copy)
    m = verify_manifest(out)
    text = pq.read_table(shard_paths(out, "text")).to_pylist()
    assert [r["paper_id"] for r in text] != [] and pid not in {r["paper_id"] for r in text}
    assert all(r["licence"].startswith("cc-by-") for r in text)
    assert m["excluded"] == [{"paper_id": pid, "licence": "cc-by-nc-nd-4.0", "reason": "licence not in shard.licence_allowlist"}]
    rec = [r for r in pq.read_table(shard_paths(out, "records")).to_pylist() if r["paper_id"] == pid]
    assert rec and all(r["snippet"] == "" and "snippet_withheld:licence" in r["flags"] for r in rec)


def test_exact_and_near_duplicate_papers_dropped(work_copy):
    pid = sorted(n_records(work_copy))[0]
    doc = json.loads((work_copy / "parsed" / f"{pid}.json").read_text())
    paper = json.loads((work_copy / "papers" / f"{pid}.json").read_text())

    def clone(new_id: str, edit) -> None:
        d = json.loads(json.dumps(doc))
        d["paper_id"] = new_id
        edit(d)
        (work_copy / "parsed" / f"{new_id}.json").write_text(json.dumps(d))
        (work_copy / "papers" / f"{new_id}.json").write_text(json.dumps({**paper, "paper_id": new_id}))
        recs = (work_copy / "records" / f"{pid}.jsonl").read_text().replace(pid, new_id)
        (work_copy / "records" / f"{new_id}.jsonl").write_text(recs)

    def reflow(d):  # the same text, other whitespace and case: an exact duplicate after normalization
        for b in d["blocks"]:
            b["text"] = b["text"].upper().replace(" ", "  ")

    def revise(d):  # one paragraph changed: a near duplicate
        body = [b for b in d["blocks"] if b["kind"] == "paragraph"]
        body[len(body) // 2]["text"] = "A different paragraph entirely, about something else."

    clone("ffff000000000001", reflow)
    clone("ffff000000000002", revise)
    _, out = run_shard(work_copy)
    m = verify_manifest(out)
    dups = {d["paper_id"]: d for d in m["duplicates"]}
    assert dups["ffff000000000001"]["duplicate_of"] == pid and dups["ffff000000000001"]["kind"] == "exact"
    assert dups["ffff000000000002"]["duplicate_of"] == pid and dups["ffff000000000002"]["kind"] == "near"
    assert 0.85 <= dups["ffff000000000002"]["similarity"] < 1.0
    kept = {r["paper_id"] for r in pq.read_table(shard_paths(out, "records"), columns=["paper_id"]).to_pylist()}
    assert pid in kept and not kept & set(dups)
    # with dedup off, all four papers are sharded
    _, out2 = run_shard(work_copy, **{"shard.dedup": False, "shard.out_dir": work_copy / "nodedup"})
    assert load_manifest(out2)["tables"]["text"]["rows"] == 4


def test_corrupt_record_row_refused_with_paper_id(work_copy):
    bad, good = sorted(n_records(work_copy))
    path = work_copy / "records" / f"{bad}.jsonl"
    lines = path.read_text().splitlines()
    row = json.loads(lines[2])
    row["quantity"]["values"] = ["three point two"]
    lines[2] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    summary, out = run_shard(work_copy)
    m = verify_manifest(out)
    (f,) = m["failures"]
    assert f["paper_id"] == bad and f["error_class"] == "CorruptRecordError"
    assert bad in f["message"] and f"{bad}.jsonl line 3" in f["message"] and "quantity.values.0" in f["message"]
    failure = json.loads((work_copy / "failures" / "shard" / f"{bad}.json").read_text())
    assert failure["paper_id"] == bad and "line 3" in failure["message"]
    assert [x["paper_id"] for x in summary.failures] == [bad]
    ids = {r["paper_id"] for r in pq.read_table(shard_paths(out, "records"), columns=["paper_id"]).to_pylist()}
    assert ids == {good}  # the other paper is sharded
    assert m["tables"]["text"]["rows"] == 2  # its text is fine
    # fixed input: the paper is sharded and its failure row goes away
    row["quantity"]["values"] = [3.2]
    lines[2] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    run_shard(work_copy)
    assert load_manifest(out)["failures"] == []
    assert not (work_copy / "failures" / "shard" / f"{bad}.json").exists()


def test_deleted_or_truncated_shard_named(work_copy):
    _, out = run_shard(work_copy, **{"shard.num_shards": 2, "shard.validation_fraction": 0.5})
    paths = [s["path"] for s in load_manifest(out)["shards"]]
    victim = out / paths[-1]
    victim.write_bytes(victim.read_bytes()[:100])
    with pytest.raises(ShardManifestError, match=f"{paths[-1]} is truncated"):
        verify_manifest(out)
    victim.unlink()
    with pytest.raises(ShardManifestError, match=f"{paths[-1]} is missing"):
        verify_manifest(out)
    # a re-run repairs it (the stage re-checks sizes and hashes, not just presence)
    run_shard(work_copy, **{"shard.num_shards": 2, "shard.validation_fraction": 0.5})
    verify_manifest(out)


def test_altered_shard_rewritten_on_rerun(work_copy):
    _, out = run_shard(work_copy)
    p = out / load_manifest(out)["shards"][0]["path"]
    good = p.read_bytes()
    b = bytearray(good)
    b[len(b) // 2] ^= 0xFF
    p.write_bytes(bytes(b))
    with pytest.raises(ShardManifestError, match="is altered"):
        verify_manifest(out)
    summary, _ = run_shard(work_copy)
    assert summary.out == 1 and p.read_bytes() == good


def test_stale_shards_and_manifest_removed(work_copy):
    _, out = run_shard(work_copy, **{"shard.num_shards": 2, "shard.validation_fraction": 0.5})
    before = set(all_shard_bytes(out))
    run_shard(work_copy, **{"shard.validation_fraction": 0.0})
    after = set(all_shard_bytes(out))
    assert after == {s["path"] for s in load_manifest(out)["shards"]}
    assert before != after and all("-train-" in p for p in after)


def test_review_decisions_applied(work_copy):
    """Curators' decisions in the real review DB (pipeline/review): edits replace values, rejects drop or mark."""
    from sqlalchemy import select

    from pipeline.review.auth import User
    from pipeline.review.importer import import_review
    from pipeline.review.service import decide
    from pipeline.review.store import db_url_for, dispose_engine, get_engine, items

    cfg = shard_cfg(work_copy)
    import_review(cfg)
    eng = get_engine(db_url_for(cfg))
    try:
        with eng.connect() as c:
            queued = {r.record_id: r.version for r in c.execute(select(items.c.record_id, items.c.version))}
        recs = {r.record_id: r for p in n_records(work_copy) for r in
                (Record.model_validate_json(ln) for ln in (work_copy / "records" / f"{p}.jsonl").read_text().splitlines())}
        num = [rid for rid in sorted(queued) if recs[rid].quantity.values and recs[rid].evidence.prov]
        acc, edit, rej = num[:3]
        ann = User(username="ann", role="admin", csrf="x", papers=None)
        assert decide(eng, ann, acc, queued[acc], "accept", None, {}).ok
        assert decide(eng, ann, edit, queued[edit], "edit", None, {"quantity.values": "[42.5]"}).ok
        assert decide(eng, ann, rej, queued[rej], "reject", "wrong_value", {}).ok
    finally:
        dispose_engine(db_url_for(cfg))
    for mode, expect_rejected in (("drop", False), ("mark", True)):
        run_shard(work_copy, **{"shard.rejected": mode, "shard.out_dir": work_copy / mode})
        rows = {r["record_id"]: r for r in pq.read_table(shard_paths(work_copy / mode, "records")).to_pylist()}
        assert rows[acc]["review_status"] == "accepted"
        assert rows[edit]["review_status"] == "edited" and rows[edit]["values"] == [42.5]
        assert "<val> 42.5" in rows[edit]["record_text"]
        assert rows[edit]["page"] == recs[edit].evidence.prov[0].page  # provenance kept
        assert (rej in rows) is expect_rejected
        if expect_rejected:
            assert rows[rej]["review_status"] == "rejected"
        untouched = [r for r in rows.values() if r["record_id"] not in (acc, edit, rej)]
        assert untouched and all(r["review_status"] == "none" for r in untouched)


# ---------------------------------------------------------------- loaders


def test_pandas_reads_shards(work_copy):
    import pandas as pd

    _, out = run_shard(work_copy)
    df = pd.read_parquet(out / "records")
    assert len(df) == sum(n_records(work_copy).values())
    assert {"paper_id", "value_num", "record_text", "conditions", "bbox"} <= set(df.columns)
    assert df["value_num"].notna().sum() > 20
    assert df.loc[df["value_num"].notna(), "unit"].notna().all()
    texts = pd.read_parquet(out / "text")
    assert (texts["n_chars"] == texts["text"].str.len()).all() and texts["n_chars"].min() > 5000


def test_duckdb_queries_shards(work_copy):
    import duckdb

    _, out = run_shard(work_copy)
    glob = str(out / "records" / "*.parquet")
    total = duckdb.execute(f"select count(*) from read_parquet('{glob}')").fetchall()[0][0]
    assert total == sum(n_records(work_copy).values())
    rows = duckdb.execute(
        f"select property_id, count(*), min(value_num), max(value_num) from read_parquet('{glob}') "
        "where property_id is not null and value_num is not null group by 1 order by 2 desc"
    ).fetchall()
    assert rows and rows[0][1] > 1
    joined = duckdb.execute(
        f"select count(*) from read_parquet('{glob}') r join read_parquet('{out / 'text' / '*.parquet'}') t "
        "using (paper_id)"
    ).fetchall()[0][0]
    assert joined == total


def test_hf_datasets_loads_shards(work_copy):
    from datasets import load_dataset

    _, out = run_shard(work_copy, **{"shard.validation_fraction": 0.5})
    m = load_manifest(out)
    files = {s: [str(p) for p in shard_paths(out, "records", s)] for s in ("train", "validation")}
    files = {k: v for k, v in files.items() if v}
    ds = load_dataset("parquet", data_files=files, cache_dir=str(work_copy / "hf-cache"))
    for split, d in ds.items():
        assert d.num_rows == m["splits"][split]["records"]
        assert set(d["split"]) == {split}
    row = next(iter(ds.values()))[0]
    assert isinstance(row["record_text"], str) and isinstance(row["values"], list)
    text = load_dataset("parquet", data_files=[str(p) for p in shard_paths(out, "text")], split="train",
                        cache_dir=str(work_copy / "hf-cache"))
    assert text.num_rows == 2 and "anchors" in text.column_names


def test_cli_shard_and_verify(work_copy):
    from typer.testing import CliRunner

    from pipeline.cli import app

    r = CliRunner().invoke(app, ["shard", "-w", str(work_copy), "--no-progress", "--num-shards", "2",
                                 "--validation-fraction", "0.5"])
    assert r.exit_code == 0, r.output
    m = load_manifest(work_copy / "shards")
    assert m["config"]["num_shards"] == 2
    r = CliRunner().invoke(app, ["shard", "verify", "-w", str(work_copy)])
    assert r.exit_code == 0 and "shards verified" in r.output, r.output
    victim = m["shards"][0]["path"]
    (work_copy / "shards" / victim).unlink()
    r = CliRunner().invoke(app, ["shard", "verify", str(work_copy / "shards")])
    assert r.exit_code == 1 and victim in r.output.replace("\n", ""), r.output
    shutil.rmtree(work_copy / "shards")
    r = CliRunner().invoke(app, ["shard", "verify", "-w", str(work_copy)])
    assert r.exit_code == 1 and "no manifest" in r.output


def test_figure_series_table(work_copy):
    from schemas.figure import Axis, FigureResult, FigureSeries, series_id_for

    pid = sorted(n_records(work_copy))[0]
    series = [
        FigureSeries(series_id=series_id_for(pid, "f1", None, i, "vector"), paper_id=pid, figure_id="f1", page=2,
                     x=Axis(title="Temperature (K)", property_id="temperature", unit="K"),
                     y=Axis(title="R (Ω)", unit_raw="Ω"), points=[[1.0, 2.0 + i], [3.0, 4.0]], label=f"s{i}")
        for i in range(3)
    ]
    lines = [
        FigureResult(paper_id=pid, figure_id="f1", status="digitized", series=series).model_dump_json(),
        FigureResult(paper_id=pid, figure_id="f2", status="not_a_plot", reason="photo").model_dump_json(),
    ]
    (work_copy / "figures").mkdir()
    (work_copy / "figures" / f"{pid}.jsonl").write_text("\n".join(lines) + "\n")
    _, out = run_shard(work_copy)
    m = verify_manifest(out)
    assert m["tables"]["figure_series"]["rows"] == 3
    t = pq.read_table(shard_paths(out, "figure_series")).to_pylist()
    assert [r["label"] for r in t] == ["s0", "s1", "s2"]
    assert t[1]["points"] == [[1.0, 3.0], [3.0, 4.0]] and t[0]["x"]["unit"] == "K" and t[0]["split"] == split_of(pid, 0.05)


def test_manifest_command_after_external_run(work_copy):
    """As after a Slurm array: the plan exists, shards are written by tasks, `matlit shard manifest` writes it last."""
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.runner import new_run_id
    from pipeline.shard.stage import ShardStage
    from pipeline.workdir import WorkDir

    cfg = shard_cfg(work_copy, **{"shard.validation_fraction": 0.5, "shard.num_shards": 2})
    wd = WorkDir(work_copy)
    stage = ShardStage(cfg, new_run_id())
    stage.prepare(wd)
    items = stage.work_items(wd)
    stage.process(wd, items[0])
    r = CliRunner().invoke(app, ["shard", "manifest", "-w", str(work_copy)])
    assert r.exit_code == 1 and "missing" in r.output and not (work_copy / "shards" / "manifest.json").exists()
    for item in items[1:]:
        stage.process(wd, item)
    r = CliRunner().invoke(app, ["shard", "manifest", "-w", str(work_copy)])
    assert r.exit_code == 0, r.output
    assert len(verify_manifest(work_copy / "shards")["shards"]) == len(items)


def test_scored_records_preferred(work_copy):
    pid, other = sorted(n_records(work_copy))
    recs = [Record.model_validate_json(ln) for ln in (work_copy / "records" / f"{pid}.jsonl").read_text().splitlines()]
    (work_copy / "scored").mkdir()
    (work_copy / "scored" / f"{pid}.jsonl").write_text(
        "".join(r.model_copy(update={"score": 0.7}).model_dump_json() + "\n" for r in recs))
    _, out = run_shard(work_copy)
    rows = pq.read_table(shard_paths(out, "records"), columns=["paper_id", "score"]).to_pylist()
    assert {r["score"] for r in rows if r["paper_id"] == pid} == {0.7}  # from work/scored/
    assert {r["score"] for r in rows if r["paper_id"] == other} == {None}  # no score output: work/records/
    _, out2 = run_shard(work_copy, **{"shard.records_from": "records", "shard.out_dir": work_copy / "unscored"})
    assert {r["score"] for r in pq.read_table(shard_paths(out2, "records"), columns=["score"]).to_pylist()} == {None}
    # min_score leaves out low-scored records; unscored ones stay
    _, out3 = run_shard(work_copy, **{"shard.min_score": 0.8, "shard.out_dir": work_copy / "min"})
    ids = {r["paper_id"] for r in pq.read_table(shard_paths(out3, "records"), columns=["paper_id"]).to_pylist()}
    assert ids == {other}


def test_text_cache_reused_and_invalidated(work_copy):
    pid = sorted(n_records(work_copy))[0]
    _, out = run_shard(work_copy)
    cache = work_copy / "shard" / "cache" / f"{pid}.json"
    entry = json.loads(cache.read_text())
    assert entry["sig"]["minhash"] and entry["bytes"] > 5000
    cache.write_text(json.dumps({**entry, "bytes": 1}))  # a re-run with the same parsed file trusts the cache
    run_shard(work_copy)
    assert json.loads(cache.read_text())["bytes"] == 1
    parsed = work_copy / "parsed" / f"{pid}.json"
    doc = json.loads(parsed.read_text())
    doc["blocks"][0]["text"] += " revised"
    parsed.write_text(json.dumps(doc))  # a changed parsed file is read again
    run_shard(work_copy)
    assert json.loads(cache.read_text())["bytes"] == entry["bytes"] + len(" revised")
    row = [r for r in pq.read_table(shard_paths(out, "text")).to_pylist() if r["paper_id"] == pid][0]
    assert " revised" in row["text"]  # and its text shard was rewritten
    verify_manifest(out)

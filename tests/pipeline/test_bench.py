"""`make bench`'s consolidated table and results.json writer on a tiny input (no measurement is timed here)."""

from __future__ import annotations

import json
from pathlib import Path

import pymupdf
import pytest

from pipeline.bench_pipeline import consolidate, make_copies, markdown, parse_scale, table, write_results
from schemas.document import sha256_bytes

REPORT = {
    "results": [
        {"kind": "raw", "pages_per_s": 200.0},
        {"kind": "parse", "pages_per_s": 50.0},
        {"kind": "parse+tables", "pages_per_s": 4.0},
    ],
    "extract": {"extract_s_per_page": 0.01, "parse_s_per_page": 0.02},
    "tables": {"extract_pages_per_s": 400.0, "parse_pages_per_s": 4.0},
    "pipeline": {"pages_per_cpu_s": 0.5, "stages_run": ["fetch", "shard"]},
    "rss": [{"papers": 100, "peak_rss_mb": 500}, {"papers": 10, "peak_rss_mb": 480}],
    "shard": {"stage_mb_per_s": 2.0, "bare_mb_per_s": 10.0, "ratio": 0.2},
    "dataloader": {"dataloader_tokens_per_s": 60_000, "bare_tokens_per_s": 100_000, "ratio": 0.6},
}


def test_consolidate_ratios_and_goals():
    rows = {r["figure"]: r for r in consolidate(REPORT)}
    assert rows["parse (no tables)"]["ratio"] == 0.25 and rows["parse (no tables)"]["met"] is False
    assert rows["text extraction (text_rules)"]["value"] == 100.0 and rows["text extraction (text_rules)"]["met"]
    assert rows["whole CPU pipeline (fetch..shard)"]["met"] is False
    rss10, rss100 = rows["peak RSS, 10 papers (cheap stages)"], rows["peak RSS, 100 papers (cheap stages)"]
    assert rss10["ratio"] == 1.0 and rss10["met"] is None
    assert rss100["ratio"] == round(500 / 480, 3) and rss100["met"] is True
    assert rows["shard write"]["ratio"] == 0.2 and rows["dataloader"]["met"] is True
    assert "vector figure extraction" not in rows  # missing parts are skipped, not invented


def test_table_markdown_and_results_json(tmp_path: Path):
    rows = consolidate(REPORT)
    assert table(rows).row_count == len(rows)
    md = markdown(rows)
    assert md.count("\n") == len(rows) + 1 and "**not met**" in md
    path = write_results(tmp_path / "bench" / "results.json", REPORT, rows)
    data = json.loads(path.read_text())
    assert data["machine"]["cpu_count"] >= 1 and "python" in data["machine"] and "torch" in data["machine"]
    assert data["table"] == rows and data["details"]["shard"]["ratio"] == 0.2


def test_copies_get_new_ids_and_still_open(tmp_path: Path):
    src = tmp_path / "a.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "band gap 3.2 eV")
    doc.save(src)
    copies = make_copies([str(src)], 3, tmp_path / "copies")
    assert len({sha256_bytes(p.read_bytes()) for p in copies} | {sha256_bytes(src.read_bytes())}) == 4
    for p in copies:
        with pymupdf.open(p) as d:
            assert "band gap" in d[0].get_text()


@pytest.mark.parametrize(("arg", "env", "want"), [(None, None, [10, 100]), ("1000,10", None, [10, 1000]),
                                                  (None, "10,100,1000", [10, 100, 1000])])
def test_scale(monkeypatch, arg, env, want):
    if env:
        monkeypatch.setenv("MATLIT_BENCH_SCALE", env)
    else:
        monkeypatch.delenv("MATLIT_BENCH_SCALE", raising=False)
    assert parse_scale(arg) == want

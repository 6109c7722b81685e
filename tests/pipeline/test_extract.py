"""Extract and normalize stages on a real PDF, and the raw-text contract `matlit extract --text`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from pipeline.config import load_config
from pipeline.runner import run_pipeline
from pipeline.workdir import WorkDir
from tests.conftest import BUNDLED, REPO

SMALL = "10.1016_j.ssc.2016.12.016.pdf"  # graphene Li-ion anode: capacities in mAh g−1


@pytest.fixture(scope="module")
def records_work(tmp_path_factory):
    root = tmp_path_factory.mktemp("extract")
    (root / "src").mkdir()
    shutil.copy(BUNDLED / SMALL, root / "src" / SMALL)
    cfg = load_config(None, {"work_dir": str(root / "work"), "fetch.local": [str(root / "src")], "runner.progress": False, "parse.ocr": "never"})
    summaries = run_pipeline(cfg, ["fetch", "parse", "extract", "normalize"])
    return cfg, summaries


def test_stages_write_schema_checked_records_with_provenance(records_work):
    cfg, summaries = records_work
    assert [s.stage for s in summaries] == ["fetch", "parse", "extract", "normalize"]
    assert all(s.failed == 0 for s in summaries)
    wd = WorkDir(cfg.work_dir)
    (pid,) = wd.done_ids("normalize")
    recs = wd.read_records("normalize", pid)
    assert len(recs) >= 5
    doc = wd.load_parsed(pid)
    blocks = {b.id: b for b in doc.blocks}
    tables = {t.id: t for t in doc.tables}
    from_tables = [r for r in recs if r.extractor == "tables"]
    assert from_tables, "Table 1 of the paper gives records"
    for r in from_tables:
        table = tables[r.evidence.source_id.split(":")[0]]
        (p,) = r.evidence.prov
        assert p.page == table.page and table.bbox.x0 - 1 <= p.bbox.x0 and p.bbox.x1 <= table.bbox.x1 + 1
    for r in recs:
        if r.extractor != "text_rules":
            continue
        block = blocks[r.evidence.source_id]
        assert block.kind.value != "reference"
        q = r.quantity.span
        assert block.text[q.start : q.end] == r.quantity.raw  # char span into the block text
        assert r.evidence.prov and all(p.page >= 1 and p.bbox is not None for p in r.evidence.prov)
        assert r.extractor_version
    # the paper's headline numbers: capacities in mAh/g, converted to the canonical unit
    caps = [r for r in recs if r.property.id == "specific_capacity" and r.quantity.values_canonical and r.extractor == "text_rules"]
    assert caps and all(r.quantity.unit == "mA*h/g" for r in caps)
    assert any(1000 <= v <= 1400 for r in caps for v in r.quantity.values_canonical)


def test_rerun_skips_and_records_are_stable(records_work):
    cfg, _ = records_work
    wd = WorkDir(cfg.work_dir)
    (pid,) = wd.done_ids("normalize")
    before = wd.stage_output("normalize", pid).read_bytes()
    again = run_pipeline(cfg, ["extract", "normalize"])
    assert all(s.skipped == 1 and s.out == 0 for s in again)
    assert wd.stage_output("normalize", pid).read_bytes() == before


def test_raw_text_contract(tmp_path):
    inp = tmp_path / "in.jsonl"
    texts = {
        "a": "The band gap of ZnO is 3.37 eV at room temperature.",
        "b": "Nb3Sn wires reach a Jc of 2.5 kA mm−2 at 12 T and 4.2 K.",
        "c": "",
    }
    inp.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in texts.items()))
    out = tmp_path / "out.jsonl"
    r = subprocess.run([sys.executable, "-m", "pipeline.cli", "extract", "--text", str(inp), "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {row["doc_id"] for row in rows} == {"a", "b"}
    for row in rows:
        text = texts[row["doc_id"]]
        q = row["quantity"]["span"]
        assert text[q["start"] : q["end"]] == row["quantity"]["raw"]
    a = next(row for row in rows if row["doc_id"] == "a")
    assert a["property"]["id"] == "band_gap" and a["quantity"]["values_canonical"] == [3.37]
    b = next(row for row in rows if row["doc_id"] == "b" and row["property"]["id"] == "critical_current_density")
    assert {c["property_id"] for c in b["conditions"]} >= {"magnetic_field", "temperature"}


def test_raw_text_bad_line_names_file_and_line(tmp_path):
    inp = tmp_path / "bad.jsonl"
    inp.write_text('{"id": "a", "text": "x"}\nnot json\n')
    r = subprocess.run([sys.executable, "-m", "pipeline.cli", "extract", "--text", str(inp), "--out", str(tmp_path / "o.jsonl")], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "bad.jsonl:2" in r.stdout


def test_text_and_table_records_of_the_same_fact_are_linked():
    from pipeline.extract import build_extractors, extract_document, text_document
    from schemas import Cell, Table

    doc = text_document("p1", "The critical temperature of MgB2 is 39 K.")
    cells = [
        Cell(row=0, col=0, text="Material", is_header=True),
        Cell(row=0, col=1, text="Tc (K)", is_header=True),
        Cell(row=1, col=0, text="MgB2"),
        Cell(row=1, col=1, text="39.1"),
        Cell(row=2, col=0, text="Nb3Sn"),
        Cell(row=2, col=1, text="18"),
    ]
    doc.tables.append(Table(id="t0", n_rows=3, n_cols=2, header_rows=1, cells=cells, source="jats", caption="Table 1."))
    from pipeline.normalize import normalize_records

    recs = normalize_records(extract_document(doc, build_extractors(["text_rules", "tables"])))
    text = next(r for r in recs if r.extractor == "text_rules" and r.property.id == "critical_temperature")
    table = next(r for r in recs if r.extractor == "tables" and r.material and r.material.raw == "MgB2")
    other = next(r for r in recs if r.extractor == "tables" and r.material and r.material.raw == "Nb3Sn")
    assert f"same_fact:{table.record_id}" in text.flags and "corroborated_by:tables" in text.flags
    assert f"same_fact:{text.record_id}" in table.flags
    assert not any(f.startswith("same_fact") for f in other.flags)

"""The ChemDataExtractor bridge: missing environment, the JSON-lines protocol with a fake worker, the real worker."""

from __future__ import annotations

import sys
import textwrap

import pytest

from pipeline.cde import DEFAULT_PYTHON, CdeExtractor, records_from_cde
from pipeline.errors import ConfigError
from schemas import Block, BlockKind, CharSpan, ParsedDocument, Prov, Sentence

TEXT = "The band gap of TiO2 is 3.2 eV at room temperature."

# Speaks the worker protocol with canned CDE-shaped records. Texts with BOOM fail, HANG hangs, DIE kills the worker.
FAKE_WORKER = textwrap.dedent(
    """
    import json, os, sys, time
    if os.environ.get("FAKE_CDE_FATAL"):
        print(json.dumps({"fatal": "models/hf_bert_crf_tagger is not in /nowhere"}), flush=True)
        sys.exit(3)
    print("a stray line that is not JSON", flush=True)
    print(json.dumps({"ready": True, "cde_version": "fake", "data_dir": "/nowhere"}), flush=True)
    for line in sys.stdin:
        item = json.loads(line)
        text = item["text"]
        if "BOOM" in text:
            out = {"id": item["id"], "records": [], "error": "ValueError: boom"}
        elif "HANG" in text:
            time.sleep(60)
        elif "DIE" in text:
            os._exit(1)
        else:
            records = [{"Compound": {"names": ["TiO2"]}}]
            if "band gap" in text:
                records.append({"BandGap": {
                    "specifier": "band gap", "raw_value": "3.2", "raw_units": "eV", "value": [3.2],
                    "units": "ElectronVolt^(1.0)", "compound": {"Compound": {"names": ["TiO2", "titania"]}}}})
            out = {"id": item["id"], "records": records, "error": None}
        print(json.dumps(out), flush=True)
    """
)


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A CdeExtractor on the main venv's Python running the fake worker."""
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE_WORKER)
    monkeypatch.setenv("MATLIT_CDE_PYTHON", sys.executable)
    ex = CdeExtractor(worker=script, timeout=5, start_timeout=20)
    yield ex
    ex.close()


def test_missing_env_says_make_cde_env(tmp_path, monkeypatch):
    monkeypatch.setenv("MATLIT_CDE_PYTHON", str(tmp_path / ".venv-cde" / "bin" / "python"))
    with pytest.raises(ConfigError, match="make cde-env"):
        CdeExtractor()


def test_real_worker_without_cde_is_fatal(monkeypatch):
    # the real worker.py on a Python without chemdataextractor: one {"fatal": ...} line, exit 3, ConfigError
    monkeypatch.setenv("MATLIT_CDE_PYTHON", sys.executable)
    ex = CdeExtractor(start_timeout=20)
    with pytest.raises(ConfigError, match=r"chemdataextractor is not installed .*make cde-env"):
        ex.start()


def test_protocol_maps_records_with_spans(fake):
    with fake:
        assert fake.info["cde_version"] == "fake"
        records = fake.extract_texts([("t1", TEXT), ("t2", "Nothing here.")])
    assert len(records) == 1  # the bare compound gives no record
    r = records[0]
    assert (r.paper_id, r.evidence.source_id, r.extractor, r.extractor_version) == ("t1", "t1", "cde", "2.4.1-bridge-1")
    assert r.flags == ["cde"]
    assert r.material.raw == "TiO2" and TEXT[r.material.span.start : r.material.span.end] == "TiO2"
    assert (r.property.raw, r.property.id) == ("band gap", "band_gap")
    assert TEXT[r.property.span.start : r.property.span.end] == "band gap"
    q = r.quantity
    assert (q.raw, q.values, q.unit_raw, q.kind) == ("3.2 eV", [3.2], "eV", "value")
    assert TEXT[q.span.start : q.span.end] == "3.2 eV"


def test_bad_text_timeout_and_crash_do_not_stop_the_batch(fake):
    fake.timeout = 1.5
    items = [("a", "BOOM " + TEXT), ("b", "HANG"), ("c", "DIE"), ("d", TEXT)]
    with fake:
        records = fake.extract_texts(items)
        proc = fake._worker.proc
    assert [r.paper_id for r in records] == ["d"]
    assert len(fake.warnings) == 3
    assert "boom" in fake.warnings[0] and "timed out" in fake.warnings[1] and "exited" in fake.warnings[2]
    assert proc.poll() is not None  # closed: the process is gone


def test_fatal_worker_raises_config_error(fake, monkeypatch):
    monkeypatch.setenv("FAKE_CDE_FATAL", "1")
    with pytest.raises(ConfigError, match="models/hf_bert_crf_tagger is not in /nowhere"):
        fake.start()


def test_extract_document_skips_references_and_cites_the_sentence(fake):
    box = Prov(page=2, span=CharSpan(start=0, end=len(TEXT)), item_id="b1")
    doc = ParsedDocument(
        paper_id="p1",
        parser="test@1",
        blocks=[
            Block(id="b1", kind=BlockKind.paragraph, text=TEXT),
            Block(id="r1", kind=BlockKind.reference, text="[1] On the band gap of TiO2, 3.2 eV."),
        ],
        sentences=[Sentence(id="s1", block_id="b1", span=CharSpan(start=0, end=len(TEXT)), text=TEXT, prov=[box])],
    )
    with fake:
        records = list(fake.extract(doc))
    assert [(r.paper_id, r.evidence.source_id) for r in records] == [("p1", "b1")]
    assert records[0].evidence.snippet == TEXT and records[0].evidence.prov == [box]


def test_mapping_of_ranges_old_models_and_ambiguous_specifiers():
    text = "ZnO (3.1 - 3.3 eV); Tc = 300 K; Tg of 120 °C."
    cde = [
        {"BandGap": {"raw_value": "3.1-3.3", "raw_units": "eV", "value": [3.1, 3.3],
                     "compound": {"Compound": {"names": ["ZnO"]}}}},
        {"CurieTemperature": {"specifier": "Tc", "raw_value": "300", "raw_units": "K", "value": [300.0]}},
        {"GlassTransition": {"value": "120", "units": "°C"}},
    ]  # fmt: skip
    band, curie, tg = records_from_cde(cde, text, paper_id="p", source_id="x")
    assert (band.quantity.kind, band.quantity.values, band.quantity.raw) == ("interval", [3.1, 3.3], "3.1 - 3.3 eV")
    assert band.material.raw == "ZnO"
    assert (curie.property.raw, curie.property.id) == ("Tc", "curie_temperature")  # the model decides, not "Tc"
    assert curie.material is None
    assert (tg.property.id, tg.quantity.values, tg.quantity.unit_raw, tg.quantity.raw) == (
        "glass_transition_temperature",
        [120.0],
        "°C",
        "120 °C",
    )


def test_real_cde_on_a_sentence():
    if not DEFAULT_PYTHON.exists():
        pytest.skip(f"{DEFAULT_PYTHON} not found: the CDE environment is not built (make cde-env)")
    ex = CdeExtractor(python=DEFAULT_PYTHON, timeout=120, start_timeout=180)
    try:
        ex.start()
    except ConfigError as e:
        pytest.skip(f"ChemDataExtractor models not available: {e}")
    with ex:
        records = ex.extract_texts([("s", "The band gap of TiO2 is 3.2 eV.")])
    assert any(r.property.id == "band_gap" and r.quantity.values == [3.2] for r in records), records

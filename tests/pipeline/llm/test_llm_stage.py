"""The extract stage with the llm extractor on a real PDF, against a real HTTP server; re-run from the cache."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from pipeline.config import load_config
from pipeline.llm.build import llm_summary, total_llm_stats
from pipeline.runner import run_pipeline
from pipeline.workdir import WorkDir
from tests.conftest import BUNDLED
from tests.pipeline.llm.scripted import ScriptedServer

SMALL = "10.1016_j.ssc.2016.12.016.pdf"  # graphene Li-ion anode: capacities in mAh g−1
CAPACITY = re.compile(r"(\d+(?:\.\d+)?)\s?(mAh\s?g[−-]1)")


def reader(body) -> str:
    """Answers like a model that found the first capacity of the paragraph (values copied from the text)."""
    text = body["messages"][-1]["content"]
    m = CAPACITY.search(text)
    if not m:
        return '{"records":[]}'
    rec = {"material": "", "property_text": "", "property": "specific_capacity", "value": m.group(1),
           "unit": m.group(2), "conditions": [], "method": "", "evidence": m.group(0)}
    return json.dumps({"records": [rec]}, ensure_ascii=False)


@pytest.mark.slow
def test_extract_stage_with_llm_and_cached_rerun(tmp_path):
    (tmp_path / "src").mkdir()
    shutil.copy(BUNDLED / SMALL, tmp_path / "src" / SMALL)
    srv = ScriptedServer(default={"fn": reader})
    with srv as url:
        over = {"work_dir": str(tmp_path / "work"), "fetch.local": [str(tmp_path / "src")], "runner.progress": False,
                "parse.ocr": "never", "extract.extractors": ["text_rules", "llm"], "extract.encoder": "off",
                "llm.backend": "openai", "llm.server_url": url, "llm.model_id": "reader", "llm.retries": 0}
        cfg = load_config(None, over)
        run_pipeline(cfg, ["fetch", "parse", "extract"])
        wd = WorkDir(cfg.work_dir)
        (pid,) = wd.done_ids("extract")
        recs = [r for r in wd.read_records("extract", pid) if r.extractor == "llm"]
        first_calls = len(srv.requests)
        # a fresh extract (outputs removed) answers every block from work/llm_cache
        shutil.rmtree(wd.root / "extracted")
        shutil.rmtree(wd.root / "llm_stats")
        cfg2 = load_config(None, {**over, "runner.progress": False})
        run_pipeline(cfg2, ["extract"])
        again = [r for r in wd.read_records("extract", pid) if r.extractor == "llm"]
    assert recs, "the reader found capacities in the paper"
    for r in recs:
        assert r.prompt_id == "extract_paragraph@1" and r.model_id == "reader"
        assert r.evidence.prov and r.evidence.prov[0].bbox is not None  # page boxes of the value
        block = next(b for b in wd.load_parsed(pid).blocks if b.id == r.evidence.source_id)
        assert block.text[r.quantity.span.start : r.quantity.span.end] == r.quantity.raw
    assert first_calls > 0 and len(srv.requests) == first_calls  # the re-run made zero server calls
    assert [r.record_id for r in again] == [r.record_id for r in recs]
    s = llm_summary(total_llm_stats(wd))
    assert s["backend_calls"] == 0 and s["cached"] == first_calls and s["emitted_ungrounded"] == 0

"""The llm extractor end to end through a real HTTP server: grounding, counting, cache, verification, config."""

import json

import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.extract import build_extractors, extract_document, text_document
from pipeline.llm.build import build_llm_extractor, llm_summary
from tests.pipeline.llm.scripted import ScriptedServer

TEXT = "The band gap of LiFePO4 is 3.7 eV at 300 K, measured by UV-vis. Its capacity reaches 160 mAh g−1."


def rec(**kw):
    base = {"material": "LiFePO4", "property_text": "band gap", "property": "band_gap", "value": "3.7", "unit": "eV",
            "conditions": ["at 300 K"], "method": "UV-vis", "evidence": "band gap of LiFePO4 is 3.7 eV"}
    return {**base, **kw}


RESPONSE = json.dumps({"records": [
    rec(),
    rec(property_text="capacity", property="specific_capacity", value="160", unit="mAh g-1", conditions=[],
        method="", evidence="capacity reaches 160 mAh g−1"),
    rec(value="3.9"),  # a number not in the text
    rec(material="LiCoO2", value="3.7"),  # a material not in the text
    rec(unit="meV"),  # a unit not in the text
]})


def llm_cfg(url, tmp_path, **kw):
    overrides = {"llm.backend": "openai", "llm.server_url": url, "llm.model_id": "scripted", "llm.retries": 0,
                 "llm.cache_dir": str(tmp_path / "cache"), **{f"llm.{k}": v for k, v in kw.items()}}
    return load_config(overrides=overrides).llm


def test_grounded_records_only_and_counted(tmp_path):
    with ScriptedServer(default={"content": RESPONSE}) as url:
        ex = build_llm_extractor(llm_cfg(url, tmp_path))
        recs = list(ex.extract(text_document("d1", TEXT)))
    assert len(recs) == 2
    by_prop = {r.property.id: r for r in recs}
    bg = by_prop["band_gap"]
    assert TEXT[bg.quantity.span.start : bg.quantity.span.end] == "3.7 eV"
    assert bg.quantity.values == [3.7] and bg.material.formula and bg.material.span is not None
    assert bg.conditions[0].raw == "at 300 K" and bg.method == "UV-vis"
    assert bg.extractor == "llm" and bg.model_id == "scripted"
    assert bg.prompt_id == "extract_paragraph@1" and len(bg.prompt_hash) == 12
    cap = by_prop["specific_capacity"]
    assert TEXT[cap.quantity.span.start : cap.quantity.span.end] == "160 mAh g−1"  # unicode minus aligned
    s = llm_summary(ex.stats)
    assert s["llm_records"] == 5 and s["grounded"] == 2 and s["dropped_ungrounded"] == 3
    assert s["emitted_ungrounded"] == 0 and s["ungrounded_rate"] == 0.6
    assert s["ungrounded_by_field"] == {"value": 1, "unit": 1, "material": 1}


def test_keep_ungrounded_flags_them(tmp_path):
    with ScriptedServer(default={"content": RESPONSE}) as url:
        ex = build_llm_extractor(llm_cfg(url, tmp_path, keep_ungrounded=True))
        recs = list(ex.extract(text_document("d1", TEXT)))
    flagged = [r for r in recs if any(f.startswith("ungrounded:") for f in r.flags)]
    assert len(recs) == 5 and len(flagged) == 3
    assert {f for r in flagged for f in r.flags} == {"ungrounded:value", "ungrounded:material", "ungrounded:unit"}
    v = next(r for r in flagged if "ungrounded:value" in r.flags)
    assert v.quantity.span is None and v.quantity.values == [3.9]
    assert llm_summary(ex.stats)["emitted_ungrounded"] == 3


def test_second_run_makes_zero_backend_calls(tmp_path):
    srv = ScriptedServer(default={"content": RESPONSE})
    docs = [text_document("d1", TEXT), text_document("d2", TEXT.replace("3.7", "3.8"))]
    with srv as url:
        first = [r for d in docs for r in build_llm_extractor(llm_cfg(url, tmp_path)).extract(d)]
        n_calls = len(srv.requests)
        ex2 = build_llm_extractor(llm_cfg(url, tmp_path))
        second = [r for d in docs for r in ex2.extract(d)]
    assert n_calls == 2 and len(srv.requests) == 2  # nothing new reached the server
    assert ex2.stats["cached"] == 2 and ex2.stats["backend_calls"] == 0
    assert [r.record_id for r in first] == [r.record_id for r in second]
    assert len(list((tmp_path / "cache").glob("*/*.json"))) == 2


def test_failures_never_stop_the_paper_and_are_not_cached(tmp_path):
    text = TEXT + "\n\nSecond paragraph: 5 GPa."
    doc = text_document("d1", TEXT)
    doc2 = text_document("d2", "Nothing grounded here: 5 GPa.")
    rules = [("Nothing grounded", {"status": 500})]
    with ScriptedServer(rules, default={"content": RESPONSE}) as url:
        ex = build_llm_extractor(llm_cfg(url, tmp_path))
        assert len(list(ex.extract(doc))) == 2
        assert list(ex.extract(doc2)) == []
    assert ex.stats["error:backend_error"] == 1 and ex.stats["errors"] == 1
    assert len(list((tmp_path / "cache").glob("*/*.json"))) == 1  # the 500 is retried on the next run
    assert text


@pytest.mark.parametrize(
    "content, kind",
    [('{"records":[', "invalid JSON"), ("", "empty output"), ('{"records":[{"material":"x"}]}', "schema_invalid")],
)
def test_bad_model_output_is_counted(tmp_path, content, kind):
    with ScriptedServer(default={"content": content}) as url:
        ex = build_llm_extractor(llm_cfg(url, tmp_path))
        assert list(ex.extract(text_document("d1", TEXT))) == []
    assert ex.stats[f"error:{kind}"] == 1


def test_verification_pass_records_answers_as_flags(tmp_path):
    verdict = '{"value_in_text":"yes","material_correct":"no","property_correct":"yes","unit_correct":"yes"}'
    rules = [("Questions:", {"content": verdict})]
    with ScriptedServer(rules, default={"content": RESPONSE}) as url:
        ex = build_llm_extractor(llm_cfg(url, tmp_path, verify=True))
        recs = list(ex.extract(text_document("d1", TEXT)))
    assert len(recs) == 2
    for r in recs:
        assert "llm_verify:material_correct=no" in r.flags and "llm_verify:value_in_text=yes" in r.flags
    assert ex.stats["verify_requests"] == 2 and ex.stats["verify_no:material_correct"] == 2


def test_run_on_uncertain_skips_blocks_rules_are_sure_of(tmp_path):
    with ScriptedServer(default={"content": '{"records":[]}'}) as url:
        ex = build_llm_extractor(llm_cfg(url, tmp_path, run_on="uncertain"))
        sure = text_document("d1", "The band gap of GaN is 3.4 eV.")
        unsure = text_document("d2", "It was measured to be 3.4 eV.")
        list(ex.extract(sure))
        list(ex.extract(unsure))
        assert ex.stats["blocks_skipped_rules_sure"] == 1 and ex.stats["requests"] == 1


def test_token_budget_skips_and_counts(tmp_path):
    paras = "\n\n".join(f"Paragraph {i}: the band gap is {i}.5 eV." for i in range(6))
    from schemas import Block, BlockKind, ParsedDocument

    blocks = [Block(id=f"b{i}", kind=BlockKind.paragraph, text=t) for i, t in enumerate(paras.split("\n\n"))]
    doc = ParsedDocument(paper_id="p", parser="test", blocks=blocks)
    with ScriptedServer(default={"content": '{"records":[]}'}) as url:
        ex = build_llm_extractor(llm_cfg(url, tmp_path, token_budget=2 * (600 + 512), few_shot=False, max_tokens=512))
        list(ex.extract(doc))
    assert 1 <= ex.stats["requests"] < 6 and ex.stats["skipped_token_budget"] == 6 - ex.stats["requests"]


def test_llm_is_off_by_default_and_misconfiguration_fails_early(tmp_path):
    cfg = load_config()
    assert "llm" not in cfg.extract.extractors
    with pytest.raises(ConfigError, match="model_path"):
        build_extractors(["llm"], llm_cfg=cfg.llm)
    with pytest.raises(ConfigError, match="server_url"):
        build_extractors(["llm"], llm_cfg=load_config(overrides={"llm.backend": "openai"}).llm)
    with pytest.raises(ConfigError, match="vllm is not installed"):
        build_extractors(["llm"], llm_cfg=load_config(overrides={"llm.backend": "vllm", "llm.model_path": "x"}).llm)


def test_extract_document_merges_llm_with_rules(tmp_path):
    with ScriptedServer(default={"content": RESPONSE}) as url:
        cfg = llm_cfg(url, tmp_path)
        exs = build_extractors(["text_rules", "llm"], llm_cfg=cfg, work_dir=tmp_path)
        recs = extract_document(text_document("d1", TEXT), exs)
    assert {r.extractor for r in recs} == {"text_rules", "llm"}


def test_tables_as_cell_addressed_text(tmp_path):
    from schemas import Cell, ParsedDocument, Table

    cells = [Cell(row=0, col=0, text="Compound", is_header=True), Cell(row=0, col=1, text="Eg (eV)", is_header=True),
             Cell(row=1, col=0, text="CsPbBr3"), Cell(row=1, col=1, text="2.31"),
             Cell(row=2, col=0, text="CsPbI3"), Cell(row=2, col=1, text="1.73")]
    doc = ParsedDocument(paper_id="p", parser="t", tables=[Table(id="t1", caption="Band gaps.", cells=cells)])
    answer = json.dumps({"records": [
        rec(material="CsPbBr3", property_text="Eg", value="2.31", unit="eV", conditions=[], method="", evidence="r1c1: 2.31"),
        rec(material="CsPbI3", property_text="Eg", value="1.37", unit="eV", conditions=[], method="", evidence="r2c1: 1.37"),
    ]})
    srv = ScriptedServer(rules=[("r1c1: 2.31", {"content": answer})])
    with srv as url:
        ex = build_llm_extractor(llm_cfg(url, tmp_path, tables=True))
        recs = list(ex.extract(doc))
    assert "Caption: Band gaps." in srv.requests[0]["messages"][-1]["content"]
    (r,) = recs  # 1.37 is not in the table: dropped
    assert r.evidence.source_id == "t1:r1c1" and r.evidence.source_kind == "table"
    assert r.quantity.values == [2.31] and r.quantity.span.start == 0 and r.quantity.span.end == 4  # into the cell
    assert r.quantity.unit_raw == "eV"  # from the header
    assert r.material.raw == "CsPbBr3" and r.material.span is None  # header cell: not the evidence cell's text
    assert r.prompt_id == "extract_table@1" and ex.stats["dropped_ungrounded"] == 1

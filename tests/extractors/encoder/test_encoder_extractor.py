"""The encoder path end to end with a tiny random BERT: train a few steps, save, reload, tag, extract records."""

from __future__ import annotations

import json

import pytest

from extractors.encoder import COMBINED_NAME, NAME, EncoderExtractor, RulesEncoderExtractor
from extractors.encoder.model import EncoderTagger
from pipeline.finetune.ner import NerExample, span_scores, train_ner
from tests.extractors.encoder.tiny import tiny_bert

pytest.importorskip("torch")

TEXTS = [
    "The band gap of ZnO is 3.2 eV at room temperature.",
    "LiFePO4 delivers a capacity of 170 mAh/g.",
    "For MgB2 the critical temperature is 39 K.",
    "Films of TiO2 show a band gap of 3.0 eV.",
]


def _example(text: str) -> NerExample:
    import re

    spans = []
    for m in re.finditer(r"ZnO|LiFePO4|MgB2|TiO2", text):
        spans.append(("MAT", m.start(), m.end()))
    for m in re.finditer(r"band gap|capacity|critical temperature", text):
        spans.append(("PROP", m.start(), m.end()))
    for m in re.finditer(r"(\d+(?:\.\d+)?) (eV|mAh/g|K)\b", text):
        spans += [("VAL", m.start(1), m.end(1)), ("UNIT", m.start(2), m.end(2))]
    return NerExample("t:" + text[:8], "toy", text, spans)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    base = tiny_bert(tmp_path_factory.mktemp("tiny") / "base")
    out = tmp_path_factory.mktemp("enc") / "encoder"
    examples = [_example(t) for t in TEXTS]
    res = train_ner(examples, base, out, steps=50, batch_size=4, lr=1e-2, max_length=64, from_config=True, threads=1,
                    eval_examples=examples, progress=False, freeze_embeddings=False)
    return res, examples


def test_training_lowers_loss_and_writes_model_with_manifest(trained):
    res, _ = trained
    m = json.loads((res.out_dir / "manifest.json").read_text())
    assert m["train"]["loss_last"] < m["train"]["loss_first"] * 0.5
    assert m["data"]["windows"] == 4 and len(m["data"]["hash"]) == 16
    assert m["labels"][0] == "O" and "B-UNIT" in m["labels"]
    assert (res.out_dir / "config.json").is_file() and (res.out_dir / "tokenizer.json").is_file()
    assert not res.out_dir.with_name(res.out_dir.name + ".tmp").exists()


def test_reloaded_tagger_finds_the_trained_spans(trained):
    res, examples = trained
    tagger = EncoderTagger(res.out_dir)
    spans = tagger.tag(TEXTS[0])
    got = {(s.type, TEXTS[0][s.start : s.end]) for s in spans}
    assert ("VAL", "3.2") in got and ("UNIT", "ev") in {(t, x.lower()) for t, x in got}
    scores = span_scores(tagger, examples)
    assert scores["VAL"]["f1"] > 0.7


def test_long_text_is_tagged_across_windows(trained):
    res, _ = trained
    tagger = EncoderTagger(res.out_dir, max_length=64, stride=16)
    text = " ".join(TEXTS * 3)
    spans = tagger.tag(text)
    assert len(tagger.tokenizer(text)["input_ids"]) > 4 * 64  # really several windows
    # no duplicates or overlaps where windows overlap; every span inside the text
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert all(0 <= s.start < s.end <= len(text) for s in spans)
    vals = [text[s.start : s.end] for s in spans if s.type == "VAL"]
    assert 1 <= vals.count("3.2") <= 3


def test_extractors_give_grounded_records(trained):
    from pipeline.extract import extract_document, text_document

    res, _ = trained
    doc = text_document("d1", TEXTS[0] + " " + TEXTS[1])
    alone = list(EncoderExtractor(res.out_dir).extract(doc))
    assert alone and all(r.extractor == NAME and r.model_id.startswith("encoder@") for r in alone)
    text = doc.blocks[0].text
    for r in alone:
        q = r.quantity.span
        assert text[q.start : q.end] == r.quantity.raw
        if r.material and r.material.span:
            assert text[r.material.span.start : r.material.span.end] == r.material.raw
    by_raw = {r.quantity.raw: r for r in alone}
    assert "3.2 eV" in by_raw and by_raw["3.2 eV"].material.raw == "ZnO"
    from extractors.text_rules import TextRulesExtractor

    rules = list(TextRulesExtractor().extract(doc))
    combined = extract_document(doc, [RulesEncoderExtractor(res.out_dir)])
    assert combined and all(r.extractor == COMBINED_NAME for r in combined)
    assert {r.quantity.raw for r in rules} <= {r.quantity.raw for r in combined}  # rules kept, encoder values added
    added = [r for r in combined if "encoder_only" in r.flags]
    assert all(r.quantity.raw not in {x.quantity.raw for x in rules} for r in added)
    refined = extract_document(doc, [RulesEncoderExtractor(res.out_dir, fill_material=True, add_values=False)])
    assert len(refined) == len(rules)


def test_missing_weights_is_a_clear_config_error(tmp_path):
    from pipeline.errors import ConfigError
    from pipeline.extract import build_extractors

    with pytest.raises(ConfigError, match="needs a trained encoder in .*matlit train-ner"):
        build_extractors(["text_rules+encoder"], tmp_path / "nope")

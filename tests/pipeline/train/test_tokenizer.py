"""`matlit tokenizer train` on real shards: element symbols whole, digits one by one, reserved tokens, exact round
trip, HF format, fertility report against a plain byte-level BPE."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.pipeline.train.conftest import VALIDATION_PAPER
from tests.pipeline.train.shardkit import load_corpus, write_shards


@pytest.fixture(scope="module")
def cli_trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("tok")
    write_shards(root, validation=(VALIDATION_PAPER,))
    res = CliRunner().invoke(app, ["tokenizer", "train", "--work-dir", str(root), "--vocab-size", "1500"])
    assert res.exit_code == 0, res.output
    from pipeline.train.tokenizer import load_tokenizer

    return root, load_tokenizer(root / "tokenizer"), json.loads((root / "tokenizer" / "report.json").read_text()), res.output


def _pieces(tok, s):
    return [tok.decode([i]) for i in tok.encode(s, add_special_tokens=False).ids]


def test_report_compares_with_baseline_and_round_trips_whole_corpus(cli_trained):
    root, tok, report, output = cli_trained
    corpus = load_corpus()
    n_texts = sum(1 + len(d["records"]) for d in corpus)  # every text and record text, both splits
    for name in ("chem", "baseline"):
        rt = report["train"][name]["round_trip"]
        assert rt == {"texts": n_texts, "exact": n_texts, "failed": 0, "examples": []}
        for k in ("tokens_per_word", "tokens_per_formula", "tokens_per_number"):
            assert report["train"][name][k] > 0.9
            assert report["validation"][name][k] > 0.9
    # same final vocabulary size for a fair comparison
    assert report["train"]["chem"]["vocab_size"] == report["train"]["baseline"]["vocab_size"] == tok.get_vocab_size()
    assert report["train"]["formulas"] > 20 and report["train"]["numbers"] > 200
    # digits one by one: at least one token per digit (the baseline merges digits)
    assert report["train"]["chem"]["tokens_per_number"] > report["train"]["baseline"]["tokens_per_number"]
    assert "chem" in output and "report.json" in output
    assert (root / "tokenizer" / "baseline" / "tokenizer.json").is_file()


def test_formulas_split_into_whole_element_symbols(cli_trained):
    _, tok, _, _ = cli_trained
    assert _pieces(tok, " LiFePO4") == [" Li", "Fe", "P", "O", "4"]
    assert _pieces(tok, "Ba0.5Sr0.5Co0.8Fe0.2O3") == [
        "Ba", "0", ".", "5", "Sr", "0", ".", "5", "Co", "0", ".", "8", "Fe", "0", ".", "2", "O", "3"
    ]
    # every element symbol is one token, with and without its leading space, rare ones too
    from pipeline.train.tokenizer import element_symbols

    for el in element_symbols():
        assert len(tok.encode(el).ids) == 1, el
        assert len(tok.encode(" " + el).ids) == 1, el
        assert _pieces(tok, f" {el}2O3") == [f" {el}", "2", "O", "3"]
    # words that only look like element strings are left to BPE (no forced split of ordinary words)
    assert "".join(_pieces(tok, " Indeed")) == " Indeed"
    assert _pieces(tok, " Indeed")[0] != " In" or len(_pieces(tok, " Indeed")) > 1


def test_no_token_spans_two_elements_in_corpus_formulas(cli_trained):
    from pipeline.train.tokenizer import element_symbols, formula_regex

    _, tok, _, _ = cli_trained
    els = set(element_symbols())
    formulas = {m.group(0) for d in load_corpus() for m in formula_regex().finditer(d["text"])}
    assert len(formulas) > 10
    for f in formulas:
        for p in _pieces(tok, " " + f):
            p = p.strip()
            assert p in els or re.fullmatch(r"[0-9.]", p), (f, p)


def test_digits_one_by_one_and_reserved_tokens(cli_trained):
    from pipeline.train.tokenizer import SPECIAL_TOKENS

    _, tok, _, _ = cli_trained
    for t in tok.get_vocab():
        assert sum(c.isdigit() for c in t) <= 1, t
    assert _pieces(tok, " 2026.75") == [" 2", "0", "2", "6", ".", "7", "5"]
    for u in ("eV", "meV", "GPa", "MPa", "mAh", "cm", "nm", "Oe", "Å"):
        assert len(tok.encode(" " + u).ids) == 1, u
    ids = {t: tok.token_to_id(t) for t in SPECIAL_TOKENS}
    assert list(ids.values()) == list(range(len(SPECIAL_TOKENS)))
    enc = tok.encode("<mat> LiFePO4 <prop> band_gap <val> 3.7 <unit> eV <cond> T=300 K <method> DFT").ids
    for t in ("<mat>", "<prop>", "<val>", "<unit>", "<cond>", "<method>"):
        assert enc.count(ids[t]) == 1


@pytest.mark.parametrize(
    "text",
    [
        "Tc = 39 K in MgB₂; ΔH ≈ −3.2 kJ mol⁻¹ at 25 °C and 1.5 GPa, 2.5 Å, µm, Ω cm, 10⁻³ S cm−1",
        "<mat> <mat>LiFePO4<prop>  \t\n <eos> tabs\tand\r\nnewlines  ",
        "emoji 🧪 and CJK 材料 and combining e\u0301 and zero width\u200b",
        "",
    ],
)
def test_round_trip_on_hostile_strings(cli_trained, text):
    from transformers import PreTrainedTokenizerFast

    root, tok, _, _ = cli_trained
    assert tok.decode(tok.encode(text).ids, skip_special_tokens=False) == text
    hf = PreTrainedTokenizerFast.from_pretrained(str(root / "tokenizer"))
    ids = hf.encode(text, add_special_tokens=False)
    assert ids == tok.encode(text).ids
    assert hf.decode(ids) == text


def test_hf_format_loads_with_transformers(cli_trained):
    from transformers import AutoTokenizer

    root, tok, _, _ = cli_trained
    hf = AutoTokenizer.from_pretrained(str(root / "tokenizer"))
    assert hf.eos_token == "<eos>" and hf.pad_token == "<pad>" and hf.bos_token == "<bos>"
    assert hf.convert_tokens_to_ids("<eos>") == tok.token_to_id("<eos>")
    assert len(hf) == tok.get_vocab_size()


def test_missing_shard_is_named_and_nothing_is_trained(tmp_path):
    shards = write_shards(tmp_path)
    victim = sorted((shards / "records").glob("*.parquet"))[0]
    victim.unlink()
    res = CliRunner().invoke(app, ["tokenizer", "train", "--work-dir", str(tmp_path)])
    assert res.exit_code == 2
    assert f"records/{victim.name}" in res.output and "missing" in res.output
    assert not (tmp_path / "tokenizer").exists()

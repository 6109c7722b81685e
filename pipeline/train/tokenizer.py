"""A chemistry-aware byte-level BPE tokenizer trained on the shards (`matlit tokenizer train`).

Pre-tokenization (HF `tokenizers` built-ins only, so tokenizer.json loads anywhere, transformers included):
1. formula-like words (two or more element symbols, or one with a count, and a lowercase letter or digit
   somewhere: "LiFePO4", "Ba0.5Sr0.5Co0.8Fe0.2O3", "MgB2", "O2"; not "XPS", "In", "CV") are isolated, with
   their leading space;
2. inside them every element symbol (longest symbol first: "Fe" not "F"+"e") becomes its own piece, so no token
   ever spans two elements;
3. digits are split one by one (a leading space may stay on the first: " 3", "9");
4. GPT-2's byte-level split and byte alphabet: every string encodes, and decode(encode(x)) == x exactly
   (no normalizer; special tokens are decoded as written).

Reserved: special tokens `<pad> <bos> <eos>` and the record-field tokens of the shard stage (`<mat> <prop> <val>
<unit> <cond> <method>`) are never split; all 118 element symbols and the common unit strings (the property
vocabulary's canonical units plus the usual paper spellings: eV, GPa, mAh, cm, Å, °C...) are single tokens,
with and without a leading space — added as BPE merges after training, so they keep merging with the
surrounding byte-level tokens instead of being cut out of the text like added tokens.

The report compares fertility (tokens per word, per formula, per number) with a plain byte-level BPE trained on
the same text to the same vocabulary size, and checks the exact round trip on every text of the shard set.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.shard.serialize import SPECIAL_TOKENS as RECORD_TOKENS
from pipeline.train.shards import ShardsError, iter_texts
from pipeline.workdir import atomic_write_json

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIAL_TOKENS = (PAD, BOS, EOS, *RECORD_TOKENS)
TOKENIZER_VERSION = "matlit-chem-bpe@1"

# The usual spellings of units in papers (pieces between digits and punctuation after byte-level splitting).
PAPER_UNITS = (
    "eV meV keV MeV GPa MPa kPa Pa mbar bar kbar atm Torr K mK ° Å nm µm μm mm cm m km Hz kHz MHz GHz THz "
    "mAh mA µA μA nA A Ah Wh kWh mWh W mW kW µW V mV kV S mS µS Ω kΩ MΩ ohm Oe kOe T mT emu µB μB "
    "J kJ mJ mol mmol µmol g mg kg µg L mL µL M mM µM ppm ppb wt at vol % s ms µs ns ps fs min h "
    "dB rpm cd lm lx Gy Bq cps sccm"
).split()


def element_symbols() -> list[str]:
    from pymatgen.core.periodic_table import Element

    return [e.symbol for e in Element]


def unit_strings() -> list[str]:
    """Unit pieces to reserve: the paper spellings plus the alphabetic parts of the vocabulary's canonical units."""
    from schemas.vocab import load_vocabulary

    words = {"angstrom", "percent", "degree", "dimensionless", "bohr_magneton"}
    pieces = list(PAPER_UNITS)
    for p in load_vocabulary().properties:
        for part in re.split(r"[^A-Za-z]+", p.canonical_unit or ""):
            if part and part not in words:
                pieces.append(part)
    return sorted(set(pieces), key=lambda s: (len(s), s))


def _patterns() -> tuple[str, str]:
    els = sorted(element_symbols(), key=lambda s: (-len(s), s))
    el = "(?:" + "|".join(els) + ")"
    num = r"(?:\d+(?:\.\d+)?)"
    start = r" ?(?<![\p{L}\p{N}])"
    formula = (
        rf"{start}(?=\S*?[a-z0-9])(?:{el}{num}?){{2,}}(?![\p{{L}}])"  # two or more elements, some lowercase/digit
        rf"|{start}{el}{num}(?![\p{{L}}\p{{N}}])"  # one element with a count: O2, H2
    )
    # inside a pre-token that is all formula: one element (+ its count) at a time, contiguous from the start
    piece = rf"\G ?{el}[0-9.]*(?=(?:{el}|[0-9.])*\z)"
    return formula, piece


def chem_pre_tokenizer():
    from tokenizers import Regex, pre_tokenizers

    formula, piece = _patterns()
    return pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(formula), behavior="isolated"),
            pre_tokenizers.Split(Regex(piece), behavior="isolated"),
            pre_tokenizers.Split(Regex(r" ?\p{N}"), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ]
    )


def formula_regex() -> re.Pattern:
    """Formula mentions in text, for the fertility report (the same rule as the pre-tokenizer, Python `re`)."""
    els = sorted(element_symbols(), key=lambda s: (-len(s), s))
    el = "(?:" + "|".join(els) + ")"
    num = r"(?:\d+(?:\.\d+)?)"
    return re.compile(rf"(?<![^\W_])(?=\S*?[a-z0-9])(?:{el}{num}?){{2,}}(?![^\W\d_])|(?<![^\W_]){el}{num}(?![^\W_])")


NUMBER_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")


def _new_tokenizer(chem: bool):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = chem_pre_tokenizer() if chem else pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return tok


def _train(texts: Iterable[str], vocab_size: int, min_frequency: int, chem: bool):
    from tokenizers import pre_tokenizers, trainers

    tok = _new_tokenizer(chem)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def _byte_level(s: str) -> str:
    from tokenizers import pre_tokenizers

    pieces = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False).pre_tokenize_str(s)
    return "".join(p for p, _ in pieces)


def reserve_tokens(tok, strings: Iterable[str]):
    """Make every string (and its space-prefixed form) a single BPE token by appending merges; returns the count
    of tokens added. Appended merges rank last, so they only join what the learned merges left apart."""
    from tokenizers import Tokenizer, models

    spec = json.loads(tok.to_str())
    vocab: dict[str, int] = spec["model"]["vocab"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in spec["model"]["merges"]]
    next_id = max(max(vocab.values()), max(t["id"] for t in spec["added_tokens"])) + 1
    added = 0
    for s in strings:
        for form in (s, " " + s):
            target = _byte_level(form)
            bpe = models.BPE(vocab=dict(vocab), merges=list(merges))
            pieces = [t.value for t in bpe.tokenize(target)]
            while len(pieces) > 1:
                a, b = pieces[0], pieces[1]
                merges.append((a, b))
                if a + b not in vocab:
                    vocab[a + b] = next_id
                    next_id += 1
                    added += 1
                pieces = [a + b, *pieces[2:]]
    spec["model"]["vocab"] = vocab
    spec["model"]["merges"] = [list(m) for m in merges]
    return Tokenizer.from_str(json.dumps(spec)), added


@dataclass
class TrainedTokenizers:
    chem: object
    baseline: object
    reserved_added: int


def train_tokenizers(texts, vocab_size: int, min_frequency: int = 2) -> TrainedTokenizers:
    """The chemistry-aware tokenizer (vocab_size learned + reserved elements/units) and a plain byte-level BPE
    trained on the same texts to the same final vocabulary size. `texts`: a list, or a function returning a fresh
    iterator (streamed twice, never held in memory)."""
    make = texts if callable(texts) else (lambda: iter(texts))
    chem = _train(make(), vocab_size, min_frequency, chem=True)
    chem, added = reserve_tokens(chem, [*element_symbols(), *unit_strings()])
    baseline = _train(make(), chem.get_vocab_size(), min_frequency, chem=False)
    return TrainedTokenizers(chem, baseline, added)


# --- report ------------------------------------------------------------------------------------------------------


def _ntok(tok, s: str) -> int:
    return len(tok.encode(s, add_special_tokens=False).ids)


def _chunks(texts: Iterable[str], n: int = 256):
    chunk = []
    for t in texts:
        chunk.append(t)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def fertility(toks: dict, texts: Iterable[str]) -> dict:
    """Tokens per whitespace word, per formula mention and per number of each tokenizer, streamed over texts."""
    fre = formula_regex()
    out = {"eval_texts": 0, "words": 0, "chars": 0, "formulas": 0, "numbers": 0}
    counts = {name: {"tokens": 0, "formula_tokens": 0, "number_tokens": 0} for name in toks}
    for chunk in _chunks(texts):
        formulas = [" " + m.group(0) for t in chunk for m in fre.finditer(t)]
        numbers = [" " + m.group(0) for t in chunk for m in NUMBER_RE.finditer(t)]
        out["eval_texts"] += len(chunk)
        out["words"] += sum(len(t.split()) for t in chunk)
        out["chars"] += sum(map(len, chunk))
        out["formulas"] += len(formulas)
        out["numbers"] += len(numbers)
        for name, tok in toks.items():
            c = counts[name]
            for key, batch in (("tokens", chunk), ("formula_tokens", formulas), ("number_tokens", numbers)):
                if batch:
                    c[key] += sum(len(e.ids) for e in tok.encode_batch(batch, add_special_tokens=False))
    for name, tok in toks.items():
        c = counts[name]
        out[name] = {
            "vocab_size": tok.get_vocab_size(),
            "tokens": c["tokens"],
            "tokens_per_word": round(c["tokens"] / max(out["words"], 1), 4),
            "tokens_per_formula": round(c["formula_tokens"] / max(out["formulas"], 1), 4),
            "tokens_per_number": round(c["number_tokens"] / max(out["numbers"], 1), 4),
            "chars_per_token": round(out["chars"] / max(c["tokens"], 1), 4),
        }
    return out


def round_trip(tok, texts: Iterable[str]) -> dict:
    """decode(encode(x)) == x for every text; the first failures are listed."""
    n = bad = 0
    examples = []
    for t in texts:
        n += 1
        ids = tok.encode(t, add_special_tokens=False).ids
        back = tok.decode(ids, skip_special_tokens=False)
        if back != t:
            bad += 1
            if len(examples) < 5:
                i = next((k for k, (a, b) in enumerate(zip(t, back, strict=False)) if a != b), min(len(t), len(back)))
                examples.append({"at": i, "expected": t[max(0, i - 20) : i + 20], "got": back[max(0, i - 20) : i + 20]})
    return {"texts": n, "exact": n - bad, "failed": bad, "examples": examples}


def build_report(tokenizers: TrainedTokenizers, eval_texts, all_texts=None) -> dict:
    """Fertility on `eval_texts` and (when given) the exact round trip on `all_texts`: iterables or functions
    returning fresh iterators."""
    toks = {"chem": tokenizers.chem, "baseline": tokenizers.baseline}
    out = fertility(toks, eval_texts() if callable(eval_texts) else eval_texts)
    if all_texts is not None:
        for name, tok in toks.items():
            out[name]["round_trip"] = round_trip(tok, all_texts() if callable(all_texts) else all_texts)
    out["reserved_tokens_added"] = tokenizers.reserved_added
    return out


# --- save / load ----------------------------------------------------------------------------------------------


def save_hf(tok, out_dir: Path) -> None:
    """Save in Hugging Face format (tokenizer.json + tokenizer_config.json + special_tokens_map.json), atomically:
    written to a temp folder beside out_dir, then each file renamed into place."""
    from transformers import PreTrainedTokenizerFast

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        additional_special_tokens=list(RECORD_TOKENS),
        clean_up_tokenization_spaces=False,
        model_max_length=1 << 30,
    )
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-tok-", dir=out_dir))
    try:
        fast.save_pretrained(str(tmp))
        for p in sorted(tmp.iterdir()):
            p.replace(out_dir / p.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_tokenizer(path: str | Path):
    """The `tokenizers.Tokenizer` of a saved tokenizer folder (or tokenizer.json)."""
    from tokenizers import Tokenizer

    p = Path(path)
    f = p / "tokenizer.json" if p.is_dir() else p
    if not f.is_file():
        raise ShardsError(f"no tokenizer at {f} (run `matlit tokenizer train` first)")
    return Tokenizer.from_file(str(f))


def train_from_shards(
    shards_dir: Path,
    out_dir: Path,
    vocab_size: int = 8000,
    min_frequency: int = 2,
    include_records: bool = True,
    train_split: str | None = "train",
) -> dict:
    """Train on the verified shard set (text + record_text of `train_split`), save chem tokenizer (HF format) in
    out_dir and the baseline in out_dir/baseline, write out_dir/report.json; returns the report."""
    t0 = time.perf_counter()
    tables = ("text", "records") if include_records else ("text",)
    stats = {"texts": 0, "chars": 0}

    def train_texts():
        for t in iter_texts(shards_dir, tables, train_split):
            stats["texts"] += 1
            stats["chars"] += len(t)
            yield t

    if next(iter_texts(shards_dir, tables, train_split), None) is None:
        raise ShardsError(f"{shards_dir}: no training text in tables {tables} (split {train_split!r})")
    toks = train_tokenizers(train_texts, vocab_size, min_frequency)
    train_s = time.perf_counter() - t0
    has_text = next(iter_texts(shards_dir, ("text",), train_split), None) is not None
    eval_tables = ("text",) if has_text else tables  # fertility on paper text (records only when there is none)
    report = {
        "version": TOKENIZER_VERSION,
        "shards_dir": str(shards_dir),
        "vocab_size_requested": vocab_size,
        "train_texts": stats["texts"] // 2,  # counted on both passes (chem, baseline)
        "train_chars": stats["chars"] // 2,
        "train_seconds": round(train_s, 2),
        # fertility on paper text of the training split; round trip on every text of every split
        "train": build_report(
            toks, lambda: iter_texts(shards_dir, eval_tables, train_split), lambda: iter_texts(shards_dir, tables, None)
        ),
    }
    if train_split == "train" and next(iter_texts(shards_dir, ("text",), "validation"), None) is not None:
        report["validation"] = build_report(toks, lambda: iter_texts(shards_dir, ("text",), "validation"))
    out_dir = Path(out_dir)
    save_hf(toks.chem, out_dir)
    save_hf(toks.baseline, out_dir / "baseline")
    atomic_write_json(out_dir / "report.json", report)
    return report


def report_table(report: dict):
    from rich.table import Table

    t = Table(title="tokenizer fertility: chem BPE vs byte-level BPE", title_justify="left")
    for col in ("split", "BPE", "vocab", "tok/word", "tok/formula", "tok/number", "round trip"):
        t.add_column(col, justify="left" if col in ("split", "BPE") else "right", no_wrap=True)
    captions = []
    for part in ("train", "validation"):
        r = report.get(part)
        if not r:
            continue
        captions.append(f"{part}: {r['words']} words, {r['formulas']} formulas, {r['numbers']} numbers")
        for name in ("chem", "baseline"):
            x = r[name]
            rt = x.get("round_trip")
            t.add_row(
                part if name == "chem" else "",
                "chem" if name == "chem" else "plain",
                str(x["vocab_size"]),
                f"{x['tokens_per_word']:.3f}",
                f"{x['tokens_per_formula']:.3f}",
                f"{x['tokens_per_number']:.3f}",
                f"{rt['exact']}/{rt['texts']}" if rt else "-",
            )
    t.caption = "; ".join(captions)
    return t

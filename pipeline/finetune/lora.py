"""`matlit finetune`: a LoRA adapter (peft) for a causal LM on the extract_paragraph prompt.

Instruction data (chat messages from prompts/extract_paragraph.yaml + the target JSON the response schema allows):
- dev gold corpora with whole-record gold (train split of gold.split_of only): texts cut into paragraphs (at most
  `chunk_chars`, never inside a gold mention); each paragraph's target is its gold links as llm_records entries
  (material / property text as written, property id from the vocabulary or "other", value and unit split by the
  quantity grammar, conditions, a verbatim evidence quote);
- `matlit review export` JSONL (accepted / edited records): grouped by their input text, one example per text.
Every target is validated with the prompt's response model; examples longer than `max_length` tokens are skipped
(never truncated: a cut target teaches broken JSON). A plain torch loop trains the adapter (loss on the answer
tokens only); the adapter is saved with manifest.json (sources with counts and hashes, base model, prompt id and
hash, hyper-parameters, losses) and, unless eval_limit is 0, scored with `matlit eval` machinery on the held-out
split: rules alone vs rules + the fine-tuned model (through the `llm` extractor: constrained decoding, grounding).
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.finetune.batches import shuffled_batches
from pipeline.workdir import atomic_write_json

EVIDENCE_WIDTH = 70  # chars each side of the value in the evidence quote (the schema caps evidence at 160)


@dataclass
class Instruction:
    id: str
    source: str  # corpus name or "review_export"
    text: str
    target: dict = field(default_factory=dict)  # {"records": [...]}


# ---------------------------------------------------------------------------------------------------- targets


def _property_id(label: str, ids: set[str]) -> str:
    from schemas.vocab import find_property_mentions

    if label in ids:
        return label
    for m in find_property_mentions(label or ""):
        if m.property_id in ids:
            return m.property_id
    return "other"


def _evidence(text: str, start: int, end: int) -> str:
    lo, hi = max(0, start - EVIDENCE_WIDTH), min(len(text), end + EVIDENCE_WIDTH)
    return " ".join(text[lo:hi].split())[:160]


def _value_unit(text: str, start: int, end: int) -> tuple[str, str]:
    from extractors.encoder.tags import split_quantity

    parts = split_quantity(text, start, end)
    vals = [p for p in parts if p[0] == "VAL"]
    units = [p for p in parts if p[0] == "UNIT"]
    value = text[vals[0][1] : vals[0][2]] if vals else text[start:end]
    unit = text[units[0][1] : units[0][2]] if units else ""
    return value.strip(), unit.strip()


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else ""


def gold_instructions(corpora: list[str], shared_dir=None, split: str = "train", chunk_chars: int = 600) -> tuple[list, dict]:
    """Paragraph-sized instructions from the link gold of `corpora` (docs of `split` only)."""
    from pipeline.evaluate.corpora import load_corpus
    from pipeline.finetune.ner import chunks
    from schemas.llm_response import (
        CONDITION_LEN,
        MATERIAL_LEN,
        MAX_CONDITIONS,
        MAX_RECORDS,
        PROPERTY_TEXT_LEN,
        UNIT_LEN,
        VALUE_LEN,
        property_ids,
    )

    ids = set(property_ids())
    out, stats = [], {}
    for name in corpora:
        corpus = load_corpus(name, shared_dir).split(split)
        c = Counter(docs=len(corpus.docs))
        for doc in corpus.docs:
            links = [lk for lks in doc.links.values() for lk in lks if lk.value.primary]
            if not links:
                continue
            mentions = [("X", *lk.value.primary) for lk in links]
            for a, b in chunks(doc.text, mentions, doc.regions, chunk_chars):
                inside = [lk for lk in links if a <= lk.value.primary[0] and lk.value.primary[1] <= b]
                if not inside:
                    continue
                text = doc.text[a:b]
                recs = []
                for lk in sorted(inside, key=lambda k: k.value.primary):
                    vs, ve = lk.value.primary
                    value, unit = _value_unit(doc.text, vs, ve)
                    mat = lk.material.text if lk.material and lk.material.text in text else ""
                    ptext = lk.property.text if lk.property and lk.property.text in text else ""
                    conds = [m.text for m in lk.conditions if m.text and m.text in text][:MAX_CONDITIONS]
                    rec = {
                        "material": _clip(mat, MATERIAL_LEN),
                        "property_text": _clip(ptext, PROPERTY_TEXT_LEN),
                        "property": _property_id(lk.label, ids),
                        "value": value,
                        "unit": unit,
                        "conditions": [x for x in conds if len(x) <= CONDITION_LEN],
                        "method": "",
                        "evidence": _evidence(doc.text, vs, ve),
                    }
                    if not value or len(value) > VALUE_LEN or len(unit) > UNIT_LEN:
                        c["records_skipped_too_long"] += 1
                        continue
                    recs.append(rec)
                if not recs:
                    continue
                out.append(Instruction(f"{doc.id}@{a}", name, text, {"records": recs[:MAX_RECORDS]}))
                c["examples"] += 1
                c["records"] += len(recs[:MAX_RECORDS])
        stats[name] = dict(c)
    return out, stats


def review_instructions(path: Path) -> tuple[list[Instruction], dict]:
    """Instructions from `matlit review export` JSONL: the accepted/edited records of each input text."""
    from schemas.llm_response import property_ids

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"review export not found: {path} (run `matlit review export`)")
    ids = set(property_ids())
    by_text: dict[str, list[dict]] = {}
    c = Counter()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text, o = row["input"]["text"], row["output"]
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise ConfigError(f"{path}:{n}: not a review export line ({e})") from e
            spans = o.get("spans") or {}
            q = spans.get("quantity")
            if q and 0 <= q[0] < q[1] <= len(text):
                value, unit = _value_unit(text, q[0], q[1])
                evidence = _evidence(text, q[0], q[1])
            else:  # an edited value: written from the curated numbers
                vals = o.get("values") or []
                value = "-".join(f"{v:g}" for v in vals) if vals else ""
                unit = o.get("unit_raw") or ""
                evidence = _evidence(text, 0, 0) if value in text else ""
            if not value or (value not in text):
                c["records_not_in_text"] += 1  # a target the model could not ground would teach invention
                continue
            p = spans.get("property")
            rec = {
                "material": o.get("material") or "",
                "property_text": text[p[0] : p[1]] if p else "",
                "property": o.get("property") if o.get("property") in ids else "other",
                "value": value,
                "unit": unit,
                "conditions": [],
                "method": o.get("method") or "",
                "evidence": evidence,
            }
            by_text.setdefault(text, []).append(rec)
            c["records"] += 1
            c[f"label_{row.get('label', '?')}"] += 1
    out = [
        Instruction(f"review:{hashlib.sha256(t.encode()).hexdigest()[:12]}", "review_export", t, {"records": recs})
        for t, recs in by_text.items()
    ]
    c["examples"] = len(out)
    return out, {"path": str(path), "sha256": _sha(path), **c}


def validate_targets(prompt, items: list[Instruction]) -> tuple[list[Instruction], int]:
    """Keep instructions whose target the prompt's response model accepts (what constrained decoding allows)."""
    from pydantic import ValidationError

    ok, bad = [], 0
    for it in items:
        try:
            prompt.validate_response(it.target)
        except ValidationError:
            bad += 1
            continue
        ok.append(it)
    return ok, bad


# ---------------------------------------------------------------------------------------------------- tokenize


def encode(tokenizer, prompt, items: list[Instruction], max_length: int, few_shot: bool) -> tuple[list[dict], int]:
    """Token ids + labels (-100 on the prompt) per instruction; over-long ones are skipped (count returned)."""
    from extractors.llm.prompts import dump_response

    if getattr(tokenizer, "chat_template", None) is None:
        from extractors.llm.backends.hf import FALLBACK_CHAT_TEMPLATE

        tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
    out, too_long = [], 0
    for it in items:
        messages = prompt.render(few_shot=few_shot, text=it.text).messages
        answer = dump_response(it.target)
        head = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        full = tokenizer.apply_chat_template(messages + [{"role": "assistant", "content": answer}], tokenize=False)
        tail = full[len(head) :] if full.startswith(head) else answer + (tokenizer.eos_token or "")
        h = tokenizer(head, add_special_tokens=False)["input_ids"]
        t = tokenizer(tail, add_special_tokens=False)["input_ids"]
        if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in t:
            t = t + [tokenizer.eos_token_id]
        if len(h) + len(t) > max_length:
            too_long += 1
            continue
        out.append({"input_ids": h + t, "labels": [-100] * len(h) + t})
    return out, too_long


def _collate(batch: list[dict], pad_id: int):
    import torch

    n = max(len(b["input_ids"]) for b in batch)
    ids = torch.full((len(batch), n), pad_id, dtype=torch.long)
    att = torch.zeros((len(batch), n), dtype=torch.long)
    lab = torch.full((len(batch), n), -100, dtype=torch.long)
    for i, b in enumerate(batch):
        k = len(b["input_ids"])
        ids[i, :k] = torch.tensor(b["input_ids"])
        att[i, :k] = 1
        lab[i, :k] = torch.tensor(b["labels"])
    return {"input_ids": ids, "attention_mask": att, "labels": lab}


# ---------------------------------------------------------------------------------------------------- model


def load_base(model_path: Path, gguf_file: str | None = None):
    """(model, tokenizer) in float32 from a folder, or from a GGUF file in it (dequantized by transformers)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model_path = Path(model_path)
    kw = {"gguf_file": gguf_file} if gguf_file else {}
    if not model_path.exists() or (gguf_file and not (model_path / gguf_file).is_file()):
        raise ConfigError(f"base model not found: {model_path / (gguf_file or '')}")
    tok = AutoTokenizer.from_pretrained(str(model_path), **kw)
    model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=torch.float32, **kw)
    if getattr(model, "hf_quantizer", None) is not None:  # a dequantized GGUF trains like any float model
        model.hf_quantizer = None
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return model, tok


def load_adapter(adapter_dir: Path, model, tokenizer=None):
    """The saved adapter on a base model (the same base it was trained on: see manifest.json)."""
    from peft import PeftModel

    adapter_dir = Path(adapter_dir)
    if not (adapter_dir / "adapter_config.json").is_file():
        raise ConfigError(f"no LoRA adapter in {adapter_dir} (adapter_config.json missing)")
    return PeftModel.from_pretrained(model, str(adapter_dir)).eval()


@dataclass
class LoraResult:
    out_dir: Path
    manifest: dict
    model: object = None  # the trained PeftModel (for evaluation right after training)
    tokenizer: object = None


def train_lora(
    model,
    tokenizer,
    items: list[Instruction],
    out_dir: Path,
    *,
    prompt,
    steps: int = 8,
    batch_size: int = 2,
    lr: float = 2e-4,
    lora_r: int = 8,
    lora_alpha: int = 16,
    lora_dropout: float = 0.05,
    target_modules: list[str] | None = None,
    max_length: int = 768,
    few_shot: bool = False,
    seed: int = 0,
    threads: int | None = None,
    base: dict | None = None,
    sources: dict | None = None,
    progress: bool = True,
) -> LoraResult:
    import torch
    from peft import LoraConfig, get_peft_model

    from pipeline.evaluate.run import _progress

    windows, too_long = encode(tokenizer, prompt, items, max_length, few_shot)
    if not windows:
        raise ConfigError(f"no instruction example fits max_length={max_length} tokens ({len(items)} built)")
    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    try:
        cfg = LoraConfig(
            r=lora_r, lora_alpha=lora_alpha, lora_dropout=lora_dropout, task_type="CAUSAL_LM",
            target_modules=target_modules or ["q_proj", "v_proj"],
        )
        peft_model = get_peft_model(model, cfg)
        params = [p for p in peft_model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=lr)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        losses: list[float] = []
        batches = shuffled_batches(len(windows), batch_size, rng)
        peft_model.train()
        t0 = time.perf_counter()
        with _progress(progress) as bar:
            task = bar.add_task(f"finetune ({len(windows)} examples)", total=steps)
            for _ in range(steps):
                batch = [windows[i] for i in next(batches)]
                loss = peft_model(**_collate(batch, pad)).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
                opt.zero_grad()
                losses.append(round(loss.item(), 5))
                bar.update(task, advance=1, description=f"finetune loss {losses[-1]:.3f}")
        seconds = time.perf_counter() - t0
        peft_model.eval()
    finally:
        torch.set_num_threads(old_threads)
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    peft_model.save_pretrained(str(tmp))
    data_h = hashlib.sha256(
        "\n".join(json.dumps([it.id, it.text, it.target], ensure_ascii=False) for it in items).encode()
    ).hexdigest()[:16]
    k = max(1, len(losses) // 4)
    manifest = {
        "kind": "LoRA adapter (peft) for the extract_paragraph prompt",
        "base_model": base or {},
        "prompt": {"id": prompt.prompt_id, "hash": prompt.prompt_hash, "few_shot": few_shot},
        "data": {
            "sources": sources or {},
            "examples": len(items),
            "examples_used": len(windows),
            "skipped_too_long": too_long,
            "hash": data_h,
            "split": "train",
        },
        "train": {
            "steps": steps, "batch_size": batch_size, "lr": lr, "lora_r": lora_r, "lora_alpha": lora_alpha,
            "lora_dropout": lora_dropout, "target_modules": list(cfg.target_modules), "max_length": max_length,
            "seed": seed, "seconds": round(seconds, 1), "seconds_per_step": round(seconds / steps, 2),
            "losses": losses, "loss_first": round(sum(losses[:k]) / k, 4), "loss_last": round(sum(losses[-k:]) / k, 4),
        },
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    atomic_write_json(tmp / "manifest.json", manifest)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(out_dir)
    return LoraResult(out_dir, manifest, peft_model, tokenizer)


def _sha(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------------------------------- evaluate + run


def evaluate(model, tokenizer, cfg, out_dir: Path, model_id: str, progress: bool = True) -> dict:
    """Held-out P/R/F1 (overlap and strict) of text_rules alone and text_rules + the model as the `llm` extractor."""
    from pipeline.evaluate import run_eval
    from pipeline.extract import build_extractors, extract_texts
    from pipeline.llm.build import build_llm_extractor
    from pipeline.normalize import normalize_records

    f = cfg.finetune
    llm_cfg = cfg.llm.model_copy(update={"cache": False, "few_shot": f.few_shot, "model_id": model_id})
    llm = build_llm_extractor(llm_cfg, cfg.work_dir, model=model, tokenizer=tokenizer)
    rules = build_extractors(["text_rules"])
    out: dict = {"split": "heldout", "limit": f.eval_limit, "corpora": list(f.eval_corpora)}
    for name, exs in (("text_rules", rules), ("text_rules+llm", rules + [llm])):

        def fn(items, exs=exs):
            return normalize_records(extract_texts(items, extractors=exs))

        r = run_eval(fn, f.eval_corpora, cfg.eval.shared_dir, Path(out_dir) / "eval" / name.replace("+", "_"),
                     f.eval_limit, name=name, progress=progress, split="heldout")
        out[name] = {
            c: {t: {lv: {k: sc["levels"][lv][k] for k in ("p", "r", "f1")} for lv in ("strict", "overlap")}
                for t, sc in e.get("tasks", {}).items()}
            for c, e in r.scores["corpora"].items()
        }
    out["llm_stats"] = {k: v for k, v in sorted(dict(getattr(llm, "stats", {})).items())}
    return out


def run_finetune(cfg, progress: bool = True) -> LoraResult:
    """`matlit finetune`: data from gold (+ review export) -> LoRA adapter -> held-out eval -> manifest."""
    from extractors.llm.prompts import load_prompt
    from pipeline.finetune.base_models import smollm_gguf

    f = cfg.finetune
    models = Path(cfg.work_dir) / "models"
    if f.base_model:
        base_path, gguf = Path(f.base_model), f.gguf_file
    else:
        g = smollm_gguf(models / "base" / "SmolLM2-135M-Instruct", f.base_wheel, Path(f.wheels_dir or models / "wheels"))
        base_path, gguf = g.parent, g.name
    prompt = load_prompt(f.prompt, cfg.llm.prompts_dir)
    items, sources = gold_instructions(list(f.corpora), cfg.eval.shared_dir, "train", f.chunk_chars)
    sources = {name: {**st, "split": "train"} for name, st in sources.items()}
    if f.review_export:
        extra, st = review_instructions(Path(f.review_export))
        items += extra
        sources["review_export"] = st
    items, invalid = validate_targets(prompt, items)
    rng = random.Random(f.seed)
    rng.shuffle(items)
    if f.max_examples is not None:
        items = items[: f.max_examples]
    t0 = time.perf_counter()
    model, tok = load_base(base_path, gguf)
    load_s = time.perf_counter() - t0
    base = {"path": str(base_path), "gguf_file": gguf, "load_seconds": round(load_s, 1),
            "hash": _sha(base_path / gguf) if gguf else None}
    sources["invalid_targets_dropped"] = invalid
    out_dir = Path(f.out_dir or models / "lora" / "extract_paragraph")
    res = train_lora(
        model, tok, items, out_dir, prompt=prompt, steps=f.steps, batch_size=f.batch_size, lr=f.lr, lora_r=f.lora_r,
        lora_alpha=f.lora_alpha, lora_dropout=f.lora_dropout, target_modules=list(f.target_modules),
        max_length=f.max_length, few_shot=f.few_shot, seed=f.seed, threads=f.threads, base=base, sources=sources,
        progress=progress,
    )
    if f.eval_limit != 0 and f.eval_corpora:
        model_id = f"{Path(gguf or base_path).name}+lora@{res.manifest['data']['hash']}"
        t0 = time.perf_counter()
        res.manifest["heldout_eval"] = evaluate(res.model, tok, cfg, out_dir, model_id, progress)
        res.manifest["heldout_eval"]["seconds"] = round(time.perf_counter() - t0, 1)
        atomic_write_json(out_dir / "manifest.json", res.manifest)
    return res

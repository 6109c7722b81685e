"""`matlit train-ner`: fine-tune an encoder (all-MiniLM-L6-v2) as a MAT / PROP / VAL / UNIT token classifier on the
dev gold corpora (train split of pipeline.evaluate.gold.split_of; the held-out split is never trained on).

Gold -> labels, per corpus (partial annotation is handled by IGNORE, not by calling unannotated mentions O):
- VAL/UNIT: gold quantity spans and link values, split by the quantity grammar. Corpora that annotate every
  quantity (a span task named "quantity") teach O for the rest; elsewhere quantities the grammar finds that gold
  does not mark are IGNORE (SuperMat marks only Tc values, not every number).
- MAT: gold material spans and link materials; O elsewhere only where a corpus has a material span task,
  otherwise materials the rules find are IGNORE.
- PROP: link property mentions; property mentions the vocabulary finds that gold does not mark are IGNORE.
Texts are cut into chunks (at most `chunk_chars`, cut between sentences, never inside a gold span); chunks with a
gold span are kept, plus a share of chunks without. Output: the model folder, written whole then renamed, with
manifest.json (base model, corpora, split, counts, data hash, steps, losses, held-out span P/R/F1).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.finetune.batches import shuffled_batches
from pipeline.workdir import atomic_write_json


@dataclass
class NerExample:
    doc_id: str
    corpus: str
    text: str
    spans: list[tuple[str, int, int]] = field(default_factory=list)
    ignore: list[tuple[int, int]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------- gold -> spans


# mention types a corpus's gold is taken for (default: all): MeasEval's "measured entity" and "measured property"
# are not materials and property names (a study, a population), so only its quantities teach
TAKEN_TYPES = {"measeval": {"VAL", "UNIT"}}


def doc_mentions(corpus, doc) -> list[tuple[str, int, int]]:
    """Gold mentions of one doc as (type, start, end): quantities split into VAL/UNIT, MAT, PROP."""
    from extractors.encoder.tags import split_quantity

    out: list[tuple[str, int, int]] = []
    fields = {t.name: t.field for t in corpus.tasks}
    quantity_spans = set()
    for task, spans in doc.spans.items():
        for s in spans:
            if fields.get(task) == "material":
                out.append(("MAT", s.start, s.end))
            else:
                quantity_spans.add((s.start, s.end))
    for links in doc.links.values():
        for lk in links:
            if lk.value.primary:
                quantity_spans.add(lk.value.primary)
            if lk.material and lk.material.primary:
                out.append(("MAT", *lk.material.primary))
            if lk.property and lk.property.primary:
                out.append(("PROP", *lk.property.primary))
    for a, b in sorted(quantity_spans):
        out.extend(split_quantity(doc.text, a, b))
    taken = TAKEN_TYPES.get(corpus.name)
    if taken is not None:
        out = [m for m in out if m[0] in taken]
    # one label per char: drop a mention overlapping an earlier-kept one
    kept: list[tuple[str, int, int]] = []
    for m in sorted(set(out), key=lambda m: (m[1], -(m[2] - m[1]))):
        if m[2] > m[1] and not any(k[1] < m[2] and m[1] < k[2] for k in kept):
            kept.append(m)
    return kept


def complete_types(corpus) -> set[str]:
    """Mention types this corpus annotates everywhere (elsewhere unmarked rule mentions are IGNORE)."""
    out = set()
    for t in corpus.tasks:
        if t.kind == "span" and t.name == "quantity":
            out |= {"VAL", "UNIT"}
        if t.kind == "span" and t.field == "material":
            out.add("MAT")
    return out


_CUT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])|\n+")


def chunks(text: str, mentions: list[tuple[str, int, int]], regions, max_chars: int) -> list[tuple[int, int]]:
    """[start, end) pieces of at most ~max_chars, cut between sentences and never inside a mention."""
    inside = [(m[1], m[2]) for m in mentions]
    areas = regions or [(0, len(text))]
    out = []
    for lo, hi in areas:
        cuts = [m.start() for m in _CUT.finditer(text, lo, hi) if not any(a < m.start() < b for a, b in inside)]
        start, last = lo, lo
        for c in cuts + [hi]:
            if c - start > max_chars and last > start:
                out.append((start, last))
                start = last
            last = c
        if hi > start:
            out.append((start, hi))
    return [(a, b) for a, b in out if text[a:b].strip()]


def _ignore_spans(text: str, types_missing: set[str], gold: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
    out = []
    if types_missing & {"VAL", "UNIT"}:
        from extractors.quantities import find_quantities

        out += [(q.start, q.end) for q in find_quantities(text)]
    if "MAT" in types_missing:
        from extractors.materials import find_materials

        out += [(m.start, m.end) for m in find_materials(text)]
    if "PROP" in types_missing:
        from schemas.vocab import find_property_mentions

        out += [(p.start, p.end) for p in find_property_mentions(text)]
    return out


def build_examples(
    corpora: list[str],
    shared_dir=None,
    split: str = "train",
    *,
    chunk_chars: int = 1000,
    negative_share: float = 0.1,
    max_examples: int | None = None,
    seed: int = 0,
) -> tuple[list[NerExample], dict]:
    """Training (or held-out) chunks with gold spans, from the corpora's loaders; returns (examples, stats)."""
    from pipeline.evaluate.corpora import load_corpus

    rng = random.Random(seed)
    stats: dict = {"corpora": {}}
    pos, neg = [], []
    completes: dict[str, set[str]] = {}
    for name in corpora:
        corpus = load_corpus(name, shared_dir).split(split)
        complete = completes[name] = complete_types(corpus)
        c = Counter(docs=len(corpus.docs))
        for doc in corpus.docs:
            mentions = doc_mentions(corpus, doc)
            for a, b in chunks(doc.text, mentions, doc.regions, chunk_chars):
                inner = [(t, s - a, e - a) for t, s, e in mentions if a <= s and e <= b]
                ex = NerExample(doc.id, name, doc.text[a:b], inner)
                (pos if inner else neg).append(ex)
                c["chunks_with_gold" if inner else "chunks_without_gold"] += 1
                for t, _, _ in inner:
                    c[t] += 1
        stats["corpora"][name] = dict(c, complete_types=sorted(complete))
    rng.shuffle(neg)
    examples = pos + neg[: int(len(pos) * negative_share)]
    rng.shuffle(examples)
    if max_examples is not None:
        examples = examples[:max_examples]
    # ignore spans only for what is kept (the rule finders are not free)
    for ex in examples:
        missing = {"VAL", "UNIT", "MAT", "PROP"} - completes[ex.corpus]
        ex.ignore = _ignore_spans(ex.text, missing, ex.spans)
    stats["examples"] = len(examples)
    stats["examples_per_corpus"] = dict(Counter(ex.corpus for ex in examples))
    return examples, stats


def data_hash(examples: list[NerExample]) -> str:
    h = hashlib.sha256()
    for ex in examples:
        h.update(json.dumps(asdict(ex), ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------------------------------- encoding


def encode(tokenizer, examples: list[NerExample], max_length: int, stride: int = 32) -> list[dict]:
    """Token windows with labels (IGNORE where not taught)."""
    from extractors.encoder.tags import IGNORE, bio_labels

    out = []
    for ex in examples:
        enc = tokenizer(
            ex.text,
            truncation=True,
            max_length=max_length,
            stride=min(stride, max_length // 4),
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        for ids, offs in zip(enc["input_ids"], enc["offset_mapping"], strict=True):
            labels = bio_labels([tuple(o) for o in offs], ex.spans, ex.ignore)
            if all(lb == IGNORE for lb in labels):
                continue
            out.append({"input_ids": ids, "labels": labels, "offsets": [tuple(o) for o in offs]})
    return out


def _collate(batch: list[dict], pad_id: int):
    import torch

    from extractors.encoder.tags import IGNORE

    n = max(len(b["input_ids"]) for b in batch)
    ids = torch.full((len(batch), n), pad_id, dtype=torch.long)
    att = torch.zeros((len(batch), n), dtype=torch.long)
    lab = torch.full((len(batch), n), IGNORE, dtype=torch.long)
    for i, b in enumerate(batch):
        k = len(b["input_ids"])
        ids[i, :k] = torch.tensor(b["input_ids"])
        att[i, :k] = 1
        lab[i, :k] = torch.tensor(b["labels"])
    return {"input_ids": ids, "attention_mask": att, "labels": lab}


# ---------------------------------------------------------------------------------------------------- training


@dataclass
class NerResult:
    out_dir: Path
    manifest: dict


def span_scores(tagger, examples: list[NerExample]) -> dict:
    """Exact-span P/R/F1 per type of the tagger on examples (gold = the examples' spans)."""
    tp, fp, fn = Counter(), Counter(), Counter()
    preds = tagger.tag_many([ex.text for ex in examples]) if examples else []
    for ex, spans in zip(examples, preds, strict=True):
        gold = {(t, s, e) for t, s, e in ex.spans}
        ignore = ex.ignore
        got = set()
        for sp in spans:
            key = (sp.type, sp.start, sp.end)
            if key in gold:
                got.add(key)
            elif not any(a < sp.end and sp.start < b for a, b in ignore):
                fp[sp.type] += 1
        for t, s, e in gold:
            (tp if (t, s, e) in got else fn)[t] += 1
    out = {}
    for t in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[t] / (tp[t] + fp[t]) if tp[t] + fp[t] else 0.0
        r = tp[t] / (tp[t] + fn[t]) if tp[t] + fn[t] else 0.0
        out[t] = {"p": round(p, 4), "r": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
                  "gold": tp[t] + fn[t]}
    return out


def train_ner(
    examples: list[NerExample],
    base_model: Path,
    out_dir: Path,
    *,
    steps: int = 200,
    batch_size: int = 16,
    lr: float = 1e-4,
    max_length: int = 256,
    seed: int = 0,
    threads: int | None = None,
    eval_examples: list[NerExample] | None = None,
    data_stats: dict | None = None,
    progress: bool = True,
    from_config: bool = False,
    freeze_embeddings: bool = True,
) -> NerResult:
    """Fine-tune `base_model` (a folder; `from_config`: random weights from its config.json) for `steps` steps."""
    import torch


    if not examples:
        raise ConfigError("no training examples (are the gold corpora in shared/data?)")
    base_model = Path(base_model)
    if not (base_model / "config.json").is_file():
        raise ConfigError(f"base model folder {base_model} has no config.json")
    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return _train(examples, base_model, Path(out_dir), steps, batch_size, lr, max_length, seed, eval_examples,
                      data_stats, progress, from_config, freeze_embeddings)
    finally:
        torch.set_num_threads(old_threads)


def _train(examples, base_model, out_dir, steps, batch_size, lr, max_length, seed, eval_examples, data_stats, progress,
           from_config, freeze_embeddings) -> NerResult:
    import torch
    from transformers import AutoConfig, AutoModelForTokenClassification, AutoTokenizer

    from extractors.encoder.model import EncoderTagger
    from extractors.encoder.tags import ID2LABEL, LABEL2ID

    torch.manual_seed(seed)
    tok = AutoTokenizer.from_pretrained(base_model)
    kw = {"num_labels": len(ID2LABEL), "id2label": ID2LABEL, "label2id": LABEL2ID}
    if from_config:
        model = AutoModelForTokenClassification.from_config(AutoConfig.from_pretrained(base_model, **kw))
    else:
        model = AutoModelForTokenClassification.from_pretrained(base_model, **kw)
    windows = encode(tok, examples, max_length)
    rng = random.Random(seed)
    if freeze_embeddings:  # half of MiniLM's weights are the word embeddings: frozen, a CPU step costs far less
        for p in model.base_model.embeddings.parameters():
            p.requires_grad = False
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm + 1))))
    losses: list[float] = []
    t0 = time.perf_counter()
    model.train()
    batches = shuffled_batches(len(windows), batch_size, rng)
    from pipeline.evaluate.run import _progress

    with _progress(progress) as bar:
        task = bar.add_task(f"train-ner ({len(windows)} windows)", total=steps)
        for _step in range(steps):
            batch = [windows[i] for i in next(batches)]
            out = model(**_collate(batch, tok.pad_token_id or 0))
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            losses.append(round(out.loss.item(), 5))
            bar.update(task, advance=1, description=f"train-ner loss {losses[-1]:.3f}")
    train_s = time.perf_counter() - t0
    model.eval()
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    scores = {}
    if eval_examples:
        scores = span_scores(EncoderTagger(tmp, max_length=max_length), eval_examples)
    k = max(1, len(losses) // 10)
    manifest = {
        "kind": "encoder token classifier (MAT/PROP/VAL/UNIT BIO)",
        "labels": list(ID2LABEL.values()),
        "base_model": str(base_model),
        "base_model_hash": _file_hash(base_model / "model.safetensors") if not from_config else "random-init",
        "data": {**(data_stats or {}), "hash": data_hash(examples), "windows": len(windows), "split": "train"},
        "train": {
            "steps": steps,
            "batch_size": batch_size,
            "lr": lr,
            "max_length": max_length,
            "seed": seed,
            "freeze_embeddings": freeze_embeddings,
            "seconds": round(train_s, 1),
            "loss_first": round(sum(losses[:k]) / k, 4),
            "loss_last": round(sum(losses[-k:]) / k, 4),
        },
        "heldout_span_scores": scores,
        "heldout_examples": len(eval_examples or []),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    atomic_write_json(tmp / "manifest.json", manifest)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(out_dir)
    return NerResult(out_dir, manifest)


def _file_hash(p: Path) -> str | None:
    if not p.is_file():
        return None
    h = hashlib.sha256()
    with open(p, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()[:16]


def run_train_ner(cfg, progress: bool = True) -> NerResult:
    """`matlit train-ner`: base model (from the wheel unless given) + train split -> <work_dir>/models/encoder."""
    from pipeline.finetune.base_models import minilm_dir

    t = cfg.train_ner
    models = Path(cfg.work_dir) / "models"
    base = Path(t.base_model) if t.base_model else minilm_dir(
        models / "base" / "all-MiniLM-L6-v2", t.base_wheel, Path(t.wheels_dir or models / "wheels")
    )
    corpora = list(t.corpora or cfg.eval.corpora)
    corpora = [c for c in corpora if c != "table_gold"]
    examples, stats = build_examples(corpora, cfg.eval.shared_dir, "train", max_examples=t.max_examples, seed=t.seed)
    heldout, _ = build_examples(corpora, cfg.eval.shared_dir, "heldout", max_examples=t.eval_examples, seed=t.seed)
    return train_ner(
        examples,
        base,
        Path(t.out_dir or models / "encoder"),
        steps=t.steps,
        batch_size=t.batch_size,
        lr=t.lr,
        max_length=t.max_length,
        seed=t.seed,
        threads=t.threads,
        eval_examples=heldout,
        data_stats=stats,
        progress=progress,
    )

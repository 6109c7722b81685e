"""A tiny random BERT (config + character WordPiece vocab) for fast encoder tests: builds in milliseconds."""

from __future__ import annotations

import string
from pathlib import Path


def tiny_bert(path: Path) -> Path:
    from transformers import BertConfig, BertTokenizer

    path.mkdir(parents=True, exist_ok=True)
    chars = string.ascii_lowercase + string.digits + string.punctuation + "−μ°å"
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *("##" + c for c in chars)]
    tok = BertTokenizer(vocab={v: i for i, v in enumerate(vocab)}, do_lower_case=True)  # a fast (Rust) tokenizer
    tok.save_pretrained(path)
    BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    ).save_pretrained(path)
    return path

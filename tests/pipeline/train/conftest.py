from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.pipeline.train.shardkit import write_shards

VALIDATION_PAPER = "f72c01cc90dc496d"


@dataclass
class Trained:
    root: Path
    shards: Path
    tokenizer: Path


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Trained:
    """Shards of the fixture corpus (two copies of each paper, one paper in validation) and a small tokenizer."""
    from pipeline.train.shards import iter_texts
    from pipeline.train.tokenizer import save_hf, train_tokenizers

    root = tmp_path_factory.mktemp("train")
    shards = write_shards(root, validation=(VALIDATION_PAPER,), copies=2, row_group_size=8)
    toks = train_tokenizers(list(iter_texts(shards, split="train")), vocab_size=600)
    save_hf(toks.chem, root / "tokenizer")
    return Trained(root, shards, root / "tokenizer")

"""Document dedup: exact copies and near copies (MinHash LSH) are dropped, distinct papers kept, deterministically."""

from __future__ import annotations

import random

import pytest

from pipeline.shard.dedup import Deduper, find_duplicates
from pipeline.shard.text import normalized_text


def _doc(seed: int, n: int = 600) -> str:
    rnd = random.Random(seed)
    words = ["band", "gap", "film", "LiFePO4", "anneal", "sample", "GPa", "K", "conductivity", "measured", "grain",
             "phase", "doping", "the", "of", "at", "and", "crystal", "lattice", "electrode"]
    return " ".join(rnd.choice(words) + str(rnd.randint(0, 50)) for _ in range(n))


def test_exact_near_and_distinct():
    a = _doc(1)
    words = a.split()
    near = " ".join(words[:300] + ["changed"] * 5 + words[305:])
    texts = {
        "a0": normalized_text(a),
        "b0": normalized_text("  " + a.upper().replace(" ", "\n")),  # same after normalization
        "c0": normalized_text(near),
        "d0": normalized_text(_doc(2)),
    }
    dups = {d.paper_id: d for d in find_duplicates(texts, threshold=0.8)}
    assert set(dups) == {"b0", "c0"}
    assert dups["b0"].duplicate_of == "a0" and dups["b0"].kind == "exact"
    assert dups["c0"].duplicate_of == "a0" and dups["c0"].kind == "near" and 0.8 <= dups["c0"].similarity < 1
    assert find_duplicates(texts, threshold=0.8) == list(dups.values())  # deterministic


def test_order_enforced_and_empty_text():
    d = Deduper()
    assert d.add("b", "") is None and d.add("c", "") is not None  # two empty texts are exact duplicates
    with pytest.raises(ValueError, match="increasing id order"):
        d.add("a", "x")

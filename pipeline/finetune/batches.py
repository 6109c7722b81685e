"""Training batches for the fine-tuning loops (LoRA, token classifier): shuffled passes over the examples."""

from __future__ import annotations

import random
from collections.abc import Iterator


def shuffled_batches(n: int, batch_size: int, rng: random.Random) -> Iterator[list[int]]:
    """Endless batches of example indices: each pass over range(n) is shuffled by `rng`; a batch may span two
    passes. The same rng state gives the same batches."""
    order: list[int] = []
    while True:
        if len(order) < batch_size:
            more = list(range(n))
            rng.shuffle(more)
            order += more
        yield order[:batch_size]
        order = order[batch_size:]

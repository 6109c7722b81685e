"""`paused_gc()`: CPython's cyclic garbage collector off while one document is built.

Parsing one paper allocates some 10^5 small containers (fragments, word boxes, dicts, pydantic models) that form
no reference cycles: reference counting frees them. The allocation count still triggers the cyclic collector,
and each full (generation 2) collection walks every tracked object of the process, which after spaCy (torch via
thinc) is a heap of ~3 * 10^5 objects: measured on the 5 bundled papers, 4-5 full collections per 48 pages,
0 objects found, ~45 % of the parse CPU time. So the parser builds its document with the collector paused and
restores it afterwards; any cycle made meanwhile is found by the next collection after that.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic GC off inside the block, back to its previous state after it (nesting and errors are safe)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()

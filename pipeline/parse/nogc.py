"""`paused_gc()`: CPython's cyclic garbage collector off while one document is built.

Parsing one paper allocates some 10^5 small containers (fragments, word boxes, dicts, pydantic models) that form
no reference cycles: reference counting frees them. The allocation count still triggers the cyclic collector,
and each full (generation 2) collection walks every tracked object of the process, which after spaCy (torch via
thinc) is a heap of ~3 * 10^5 objects: measured on the 5 bundled papers, 4-5 full collections per 48 pages,
0 objects found, ~45 % of the parse CPU time. So the parser builds its document with the collector paused and
restores it afterwards; any cycle made meanwhile is found by a later full collection.

On the way out, what the block left alive (the document) is moved straight to the oldest generation
(`gc.freeze()` + `gc.unfreeze()`: two list splices that also reset the young generation's count). Otherwise the
first allocation after re-enabling starts a young collection that walks every object of the new document (~10 %
of the parse CPU time) only to promote them. Skipped when something else holds frozen objects (a forking server
that froze its heap), which an unfreeze would release.
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
            if not gc.get_freeze_count():
                gc.freeze()  # young survivors to the permanent generation, the young count to 0 ...
                gc.unfreeze()  # ... and back into the oldest generation, where the next full collection sees them
            gc.enable()

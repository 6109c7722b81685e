"""Per-paper guards: the timeout and the memory limit interrupt the paper, not the process."""

import time

import pytest

from pipeline.errors import MemoryLimitError, PaperTimeoutError
from pipeline.guard import paper_guard


def test_timeout_interrupts_a_slow_paper():
    t0 = time.perf_counter()
    with pytest.raises(PaperTimeoutError, match="per-paper limit of 0.3 s"):
        with paper_guard(0.3, None, what="parse p1"):
            while True:
                sum(range(1000))
    assert time.perf_counter() - t0 < 2.0
    # the alarm is disarmed afterwards
    with paper_guard(0.3, None):
        pass
    time.sleep(0.4)


def test_memory_guard_interrupts_a_greedy_paper():
    import mmap

    import psutil

    base = psutil.Process().memory_info().rss / 2**20
    hog = []
    chunk = 8 * 2**20
    with pytest.raises(MemoryLimitError, match="memory went over"):
        with paper_guard(None, base + 150, what="parse p2"):
            for _ in range(100):  # up to 800 MB of fresh, touched pages (mmap: never recycled heap)
                m = mmap.mmap(-1, chunk)
                m.write(b"\1" * chunk)
                hog.append(m)
                time.sleep(0.01)
    for m in hog:
        m.close()


def test_fast_paper_passes():
    with paper_guard(5, 10**6):
        x = sum(range(10000))
    assert x == 49995000


def test_an_enclosing_timer_is_rearmed_afterwards():
    import signal

    signal.setitimer(signal.ITIMER_REAL, 30.0)
    try:
        with paper_guard(5, None):
            pass
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25.0 < remaining <= 30.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)

"""Per-paper resource guards used by the runner: a wall-clock timeout and a memory (RSS) limit.

Both raise inside the worker's main thread, between Python bytecodes: the timeout through SIGALRM, the memory
limit through a watchdog thread that samples RSS and sends SIGUSR1 to the main thread. Long C calls (one
PyMuPDF page) finish before the exception lands, so the bound is "limit + one page". Off the main thread
(where signals cannot be used) the guards are no-ops.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

from pipeline.errors import MemoryLimitError, PaperTimeoutError


@contextlib.contextmanager
def paper_guard(timeout_s: float | None, max_rss_mb: float | None, what: str = "paper"):
    if threading.current_thread() is not threading.main_thread() or os.name != "posix":
        yield
        return
    import psutil

    proc = psutil.Process()
    stop = threading.Event()
    tripped: dict[str, float] = {}

    def on_alarm(signum, frame):
        raise PaperTimeoutError(f"{what}: took longer than the per-paper limit of {timeout_s:g} s")

    def on_mem(signum, frame):
        rss = tripped.get("rss", 0)
        raise MemoryLimitError(f"{what}: memory went over the per-paper limit ({rss:.0f} MB > {max_rss_mb:g} MB)")

    old_alarm = signal.signal(signal.SIGALRM, on_alarm) if timeout_s else None
    old_usr1 = signal.signal(signal.SIGUSR1, on_mem) if max_rss_mb else None
    main_id = threading.main_thread().ident

    def watch():
        while not stop.wait(0.2):
            rss = proc.memory_info().rss / 2**20
            if rss > max_rss_mb:
                tripped["rss"] = rss
                signal.pthread_kill(main_id, signal.SIGUSR1)
                return

    watcher = None
    if max_rss_mb:
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
    outer_remaining = 0.0
    started = time.monotonic()
    if timeout_s:
        # an enclosing timer (e.g. a test runner's) is remembered and re-armed afterwards
        outer_remaining, _ = signal.setitimer(signal.ITIMER_REAL, float(timeout_s))
    try:
        yield
    finally:
        if timeout_s:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_alarm)
            if outer_remaining > 0:
                signal.setitimer(signal.ITIMER_REAL, max(0.001, outer_remaining - (time.monotonic() - started)))
        stop.set()
        if watcher is not None:
            watcher.join(timeout=1)
        if max_rss_mb:
            # a signal sent just before stop must not fire after we leave the guard
            time.sleep(0)
            signal.signal(signal.SIGUSR1, old_usr1)

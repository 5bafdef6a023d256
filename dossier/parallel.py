"""Run one function over many items on several cores, results in order.

Worker processes are forked, so they start with everything the parent has already loaded and
linked (nothing is pickled on the way in but chunk numbers). Small jobs stay in the calling
process: starting workers costs more than it saves below a few hundred items. Where fork is
unavailable (Windows) everything runs serially, with the same results.
"""
from __future__ import annotations

import multiprocessing
import os
from typing import Callable, Sequence

MIN_ITEMS = 200            # below this, forking costs more than it saves
CHUNK = 32                 # items per task: small enough to balance uneven pages

_task: tuple[Callable, Sequence] | None = None


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run(function: Callable, items: Sequence, jobs: int,
        progress: Callable[[int, int], None] | None = None) -> list:
    """[function(item) for item in items], over `jobs` processes when worth it;
    `progress(done, total)` is called as chunks finish."""
    starts = range(0, len(items), CHUNK)
    if jobs <= 1 or len(items) < MIN_ITEMS or \
            "fork" not in multiprocessing.get_all_start_methods():
        chunks = ([function(x) for x in items[i:i + CHUNK]] for i in starts)
        return _gather(chunks, len(items), progress)
    global _task
    _task = (function, items)          # inherited by the forked workers
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return _gather(pool.imap(_run_chunk, starts), len(items), progress)
    finally:
        _task = None


def _gather(parts, total: int, progress) -> list:
    results: list = []
    for part in parts:
        results += part
        if progress:
            progress(len(results), total)
    return results


def _run_chunk(start: int) -> list:
    function, items = _task
    return [function(item) for item in items[start:start + CHUNK]]

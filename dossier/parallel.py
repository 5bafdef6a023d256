"""Run one function over many items on several cores, results in order.

Worker processes are forked, so they start with everything the parent has already loaded and
linked (nothing is pickled on the way in but chunk numbers). Small jobs stay in the calling
process: starting workers costs more than it saves below a few hundred items. Where fork is
unavailable (Windows) everything runs serially, with the same results.
"""
from __future__ import annotations

import multiprocessing
import os
from typing import Callable, Iterator, Sequence

MIN_ITEMS = 200            # below this, forking costs more than it saves
CHUNK = 32                 # items per task: small enough to balance uneven pages
# Chunks a worker runs before a fresh fork replaces it. A worker copies every memory page
# of the parent it touches (reading an object writes its reference count) and keeps
# caches (the page fragments and views): renewing it gives that memory back (without it a
# worker grew by ~250 MB over 10,000 pages), for the price of a fork and of rebuilding those
# caches every thousand items (~3 % more CPU at 10,000 articles).
RENEW = 32

_task: tuple[Callable, Sequence] | None = None


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run(function: Callable, items: Sequence, jobs: int,
        progress: Callable[[int, int], None] | None = None) -> Iterator:
    """function(item) for each item, in order, over `jobs` processes when worth it;
    `progress(done, total)` is called as chunks finish. Results are yielded as they come, so
    the caller need not hold them all (10,000 converted bodies are 100 MB)."""
    starts = range(0, len(items), CHUNK)
    if jobs <= 1 or len(items) < MIN_ITEMS or \
            "fork" not in multiprocessing.get_all_start_methods():
        chunks = ([function(x) for x in items[i:i + CHUNK]] for i in starts)
        yield from _gather(chunks, len(items), progress)
        return
    global _task
    _task = (function, items)          # inherited by the forked workers
    try:
        with multiprocessing.get_context("fork").Pool(jobs, maxtasksperchild=RENEW) as pool:
            yield from _gather(pool.imap(_run_chunk, starts), len(items), progress)
    finally:
        _task = None


def _gather(parts, total: int, progress) -> Iterator:
    done = 0
    for part in parts:
        yield from part
        done += len(part)
        if progress:
            progress(done, total)


def _run_chunk(start: int) -> list:
    function, items = _task
    return [function(item) for item in items[start:start + CHUNK]]

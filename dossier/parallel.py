"""Run one function over many items on several cores, results in order.

The standard library's process pool (concurrent.futures) with forked workers: they start with
everything the parent has already loaded and linked, so nothing is pickled on the way in but
chunk numbers. The calling process works too rather than wait (every process holds a copy of
what it touches, so a waiting parent would cost memory for no speed). A worker that dies (the
OOM killer, a signal) breaks the pool: the build stops at once with `WorkerDied`, never waits
for it. Small jobs stay in the calling process: starting workers costs more than it saves
below a few hundred items. Where fork is unavailable (Windows) everything runs serially.
"""
from __future__ import annotations

import multiprocessing
try:
    import fcntl
except ImportError:         # Windows: no fork, no pool either
    fcntl = None
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterator, Sequence

MIN_ITEMS = 200            # below this, forking costs more than it saves
CHUNK = 32                 # items per task: small enough to balance uneven pages
AHEAD = 2                  # chunks queued per worker, so none waits for the next
FEW_AHEAD = 3              # the same for a few uneven items, one at a time (see run)
PIPE_BYTES = 1 << 20       # what the results' pipe holds (Linux's default most)
WATCH_S = 0.25             # how often a waiting parent checks that its workers are alive

_task: tuple[Callable, Sequence] | None = None


class WorkerDied(RuntimeError):
    """A worker process ended without finishing its work (killed, or out of memory)."""


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run(function: Callable, items: Sequence, jobs: int,
        progress: Callable[[int, int], None] | None = None, chunk: int = 0) -> Iterator:
    """function(item) for each item, in order, over `jobs` processes when worth it: this one
    and `jobs - 1` forked workers, `chunk` items at a time (CHUNK by default; fewer
    balances a few uneven items better, given largest first: then even two are worth it).
    `progress(done, total)` is called as chunks finish. Results are yielded as they come,
    so the caller need not hold them all (10,000 converted bodies are 100 MB). Raises
    WorkerDied if a worker process dies."""
    size = chunk or CHUNK
    count = (len(items) + size - 1) // size
    if jobs <= 1 or len(items) < (2 if chunk else MIN_ITEMS) or \
            "fork" not in multiprocessing.get_all_start_methods():
        chunks = ([function(x) for x in items[i * size:(i + 1) * size]] for i in range(count))
        yield from _gather(chunks, len(items), progress)
        return
    global _task
    _task = (function, items, size)     # inherited by the forked workers
    try:
        # A few uneven items, largest first, this process making the largest: three queued
        # per worker, so that a worker never waits to be handed the next (the pool's thread
        # that hands it over needs the interpreter, which this process holds while it
        # renders: with one queued, a worker making 89 pages of an added article waited
        # 0.31 s in all between them). The cost: a worker may be left with two queued
        # items when this process runs out, each no larger than the one it made before
        # (several large pages right after the largest would be made one after another).
        ahead = FEW_AHEAD if chunk else AHEAD
        yield from _gather(_pooled(count, jobs - 1, ahead, here_first=bool(chunk)),
                           len(items), progress)
    finally:
        _task = None


def _pooled(count: int, workers: int, ahead: int, here_first: bool = False) -> Iterator[list]:
    """Chunk results in order, from one pool of forked workers for the whole run."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    _widen(getattr(getattr(pool, "_result_queue", None), "_reader", None))
    try:
        yield from _in_order(pool, count, workers * ahead, here_first)
    except BrokenProcessPool as exc:
        raise WorkerDied("a worker process stopped before finishing its work (killed, "
                         "or out of memory?); nothing was written: run the build again, "
                         "or with fewer processes (--jobs 1)") from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _in_order(pool: ProcessPoolExecutor, count: int, queued: int,
              here_first: bool = False) -> Iterator[list]:
    """The results of chunks 0 to count - 1, in order. Chunks are taken from the front by
    whichever process is free: the workers have `queued` at a time, and get the next one as
    soon as they hand one back (the pool's thread does it, while this process may be busy
    with a chunk of its own); this process takes the next one itself whenever the chunk due
    is not finished yet. With `here_first` (the largest item first) this process makes
    chunk 0: a forked worker would first fault in a copy of every page it touches (the
    printable dossier at 10,000 articles: 95,000 faults, 0.25 s of the system's time)."""
    lock = threading.Lock()
    taken, pending, ready = 0, {}, {}

    def take() -> int | None:
        nonlocal taken
        if taken >= count:
            return None
        taken += 1
        return taken - 1

    def feed(done: Future | None = None) -> None:
        if done is not None and (done.cancelled() or done.exception() is not None):
            # The pool is breaking or shutting down, and may be calling this while holding
            # its own lock (CPython 3.12+ fails pending futures under it): submitting would
            # wait for that lock forever. The chunk due fails, and so does the build.
            return
        with lock:          # so that a chunk taken is in `pending` once the lock is free
            index = take()
            if index is None:
                return
            try:
                future = pending[index] = pool.submit(_run_chunk, index)
            except Exception as exc:    # broken or shut down: the chunk fails with it
                pending[index] = Future()
                pending[index].set_exception(BrokenProcessPool(str(exc)))
                return
        future.add_done_callback(feed)

    first = take() if here_first else None
    for _ in range(queued):
        feed()
    if first is not None:
        ready[first] = _run_chunk(first)
    for index in range(count):
        while index not in ready:
            due: Future | None = pending.get(index)
            mine = None
            if due is None or not due.done():
                with lock:
                    mine = take()
            if mine is not None:
                ready[mine] = _run_chunk(mine)
            else:
                ready[index] = _result(pool, pending.pop(index))
        yield ready.pop(index)


def _widen(pipe) -> None:
    """Let the pipe bringing results back hold 1 MB at a time, not 64 kB (Linux): a result
    of megabytes (the pieces a page made) is read in 64 kB reads by the pool's thread, each
    waiting for this process's thread to let go of the interpreter while it renders (8 MB
    took 0.8 s, the worker stuck sending it). Elsewhere, or refused, nothing changes."""
    try:
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (AttributeError, OSError, ValueError):
        pass


def _result(pool: ProcessPoolExecutor, future: Future) -> list:
    """The future's result; BrokenProcessPool as soon as a worker is seen dead. The pool
    notices a dead worker by itself, except when it died while sending a result: the pool
    then waits for the rest of that message forever (CPython 3.11), so exit codes are
    watched here too."""
    while True:
        try:
            return future.result(timeout=WATCH_S)
        except TimeoutError:
            pass
        # The pool's own processes (a private attribute, read-only here; none if renamed).
        processes = list((getattr(pool, "_processes", None) or {}).values())
        if any(p.exitcode is not None for p in processes):
            _abandon(pool, processes)
            raise BrokenProcessPool("a worker process died")


def _abandon(pool: ProcessPoolExecutor, processes: list) -> None:
    """End the other workers and close this process's end of the results pipe, so that the
    pool's thread waiting in the middle of a message gets end-of-file and stops."""
    for process in processes:
        if process.exitcode is None:
            process.kill()
    for process in processes:
        process.join(5)
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        writer.close()


def _gather(parts, total: int, progress) -> Iterator:
    done = 0
    for part in parts:
        done += len(part)
        if progress:      # before the results: a caller may stop once it has the last one
            progress(done, total)
        yield from part


def _run_chunk(index: int) -> list:
    function, items, size = _task
    return [function(item) for item in items[index * size:(index + 1) * size]]

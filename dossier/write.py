"""Write the site safely: everything is made before anything in the output changes.

A failed build never touches the previous output, and nothing is written outside the output
folder's parent (the staging folder lives beside it and is removed).
"""
from __future__ import annotations

import bisect
import filecmp
import functools
import operator
import os
import posixpath
import shutil
import tempfile
import unicodedata
from collections import Counter
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from dossier import output_dir as output_dir_
from dossier import parallel
from dossier.outputs import Output
from dossier.pages import differences
from dossier.depends import Snapshot, fresh_pieces, recording
from dossier.problems import Problem, Problems

if TYPE_CHECKING:
    from dossier.cache import PageCache

OnError = Callable[[Exception], "list[Problem]"]   # a failed output -> its problems
Progress = Callable[[int, int], None]              # (done, total)


REUSED = 2                  # unchanged, and not even rendered (known from the page cache)


def check_outputs(outputs: list[Output], problems: Problems) -> None:
    """Two sources mapping to one output path is an error that names both, as is a file
    where another output needs a folder (an asset named like a page's folder). Paths are
    compared as a file system may see them: 'a//b' is 'a/b', and a USB stick's (FAT, exFAT)
    or a Mac's does not tell case or Unicode forms apart."""
    merged, in_a_file = _collisions([out.path for out in outputs])
    origin = (lambda o: problems.relpath(o.source) if o.source else o.origin)
    for pairs, what in ((merged, "two files would be written to {path}: {first} and {out}"),
                        (in_a_file, "{first_path} would be a file ({first}) and the folder "
                                    "of {path} ({out})")):
        for i, j in pairs:
            first, out = outputs[i], outputs[j]
            problems.error(out.source or first.source or Path("."), 0, what.format(
                path=out.path, first_path=first.path, first=origin(first), out=origin(out)),
                "rename one of them (or change its slug)")


class _Checked:
    """The last paths checked (_collisions) and what was found; and, once the preview asks
    (_none_added), how many of them a file system sees as each file, and as under each
    folder (None until then: a one-shot build never asks)."""
    paths: list[str] = []
    files: Counter | None = None
    folders: Counter | None = None
    found: tuple[list, list] = ([], [])


def _collisions(paths: list[str]) -> tuple[list, list]:
    """([(i, j)]: paths[j] is the file paths[i] is, as a file system sees them;
    [(i, j)]: paths[i] is a file where paths[j] needs a folder). The preview checks nearly
    the same 20,000 paths on every save: 40 ms to work out at 10,000 articles, a
    millisecond to see what changed since the last check and that it brings no collision
    when the last had none."""
    last, changes = _Checked, differences(paths, _Checked.paths, same=operator.eq)
    if not changes:
        return last.found
    if last.paths and not any(last.found) and _none_added(paths, changes):
        last.paths = paths
        return last.found
    seen: dict[str, int] = {}
    merged = []
    normal = list(map(_as_a_file_system_sees, paths))
    for j, path in enumerate(normal):
        i = seen.setdefault(path, j)
        if i != j:
            merged.append((i, j))
    # A file that is also a folder of another path: the paths under it follow it in order
    # (a bisection each, not the folders of every path counted: 0.05 s at 10,000 articles).
    ordered = sorted(seen)
    in_a_file = [(seen[folder], j) for folder in ordered if _any_under(ordered, folder + "/")
                 for j, path in enumerate(normal) if path.startswith(folder + "/")]
    last.paths, last.found, last.files, last.folders = paths, (merged, in_a_file), None, None
    return last.found


def _any_under(ordered: list[str], prefix: str) -> bool:
    i = bisect.bisect_left(ordered, prefix)
    return i < len(ordered) and ordered[i].startswith(prefix)


def _none_added(paths: list[str], changes: list[tuple[range, range]]) -> bool:
    """Whether the paths `changes` put in place of the last ones checked (_Checked, which
    had no collision) make none: _Checked then counts them (else it is made again)."""
    before = _Checked.paths
    if _Checked.files is None:
        _Checked.files = Counter(map(_as_a_file_system_sees, before))
        _Checked.folders = Counter(chain.from_iterable(map(_folders_of, _Checked.files)))
    files, folders = _Checked.files, _Checked.folders
    for _, was in changes:
        for j in was:
            path = _as_a_file_system_sees(before[j])
            files[path] -= 1
            folders.subtract(_folders_of(path))
    for places, _ in changes:
        for i in places:
            path = _as_a_file_system_sees(paths[i])
            above = _folders_of(path)
            if files[path] or folders[path] or any(map(files.__getitem__, above)):
                return False
            files[path] += 1
            folders.update(above)
    return True


@functools.lru_cache(maxsize=1 << 17)   # the preview checks 20,000 paths every save
def _as_a_file_system_sees(path: str) -> str:
    return unicodedata.normalize("NFC", posixpath.normpath(path)).casefold()


@functools.lru_cache(maxsize=1 << 17)
def _folders_of(path: str) -> tuple[str, ...]:
    """'a/b/c.html' -> ('a', 'a/b')."""
    parts = path.split("/")[:-1]
    return tuple("/".join(parts[:i]) for i in range(1, len(parts) + 1))


class RenderFailed(Exception):
    """Some outputs could not be made (a theme bug); nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} outputs failed")
        self.problems = problems


def make_all(outputs: list[Output], jobs: int, on_error: OnError,
             progress: Progress | None = None) -> None:
    """Make every output and drop the bytes (`check`): theme bugs surface, memory stays flat."""
    failures = [r for r in parallel.run(partial(_make_one, on_error), outputs, jobs, progress)
                if r]
    if failures:
        raise RenderFailed([p for found in failures for p in found])


def _make_one(on_error: OnError, out: Output) -> list[Problem]:
    try:
        with recording():
            if out.chunks is not None:
                for _ in out.chunks():
                    pass
            else:
                out.content()
        return []
    except Exception as exc:            # a theme bug: reported at its template line
        return on_error(exc)


def write(outputs: list[Output], output_dir: Path, *, jobs: int = 1,
          on_error: OnError | None = None, pages: PageCache | None = None,
          snapshot: Snapshot | None = None, progress: Progress | None = None
          ) -> tuple[int, int, int, list[str]]:
    """Make every output, over `jobs` processes, and put the site in `output_dir`. Outputs are
    made as they are written, so the whole site is never held in memory. With `pages` (and
    the `snapshot` of this build's data), a file whose reads are unchanged is not made.

    New and changed files are first written to a staging folder beside the output; only when
    every output was made are they moved into place, all or nothing, and the files of pages
    that no longer exist deleted (see output_dir.py: only files dossier wrote are ever
    replaced or deleted). A file whose bytes did not change is not touched:
    it keeps its modification time, so `rsync -u`, `aws s3 sync` and caches see only what
    really changed. Returns (files, files unchanged, pages reused from `pages`, the pages
    of the last build that no output makes any more)."""
    with output_dir_.locked(output_dir):
        wanted = {out.path for out in outputs}
        mine = output_dir_.owned(output_dir)
        output_dir_.check_conflicts(output_dir, wanted, mine)
        staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.new-",
                                        dir=output_dir.parent))
        previous = output_dir if mine else None
        try:
            counts = _write(outputs, output_dir, staging, previous, wanted, mine, jobs,
                            on_error, pages, snapshot, progress)
            return *counts, sorted(path for path in mine - wanted if path.endswith(".html"))
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _write(outputs: list[Output], output_dir: Path, staging: Path, previous: Path | None,
           wanted: set[str], mine: set[str], jobs: int, on_error: OnError | None,
           pages: PageCache | None, snapshot: Snapshot | None, progress: Progress | None
           ) -> tuple[int, int, int]:
    results: list = [None] * len(outputs)
    if pages is not None and previous is not None and pages.previous:
        stale, folder = pages.stale(snapshot), str(previous)
        for i, out in enumerate(outputs):    # a stat each: not worth a worker
            known = pages.previous.get(out.path) if out.recorded else None
            if known and stale.isdisjoint(known[0]) and \
                    _stat(os.path.join(folder, out.path)) == tuple(known[1:]):
                kept = pages.kept(out.path)
                results[i] = (REUSED, kept if kept[0] is not None else None)
    todo = [i for i, result in enumerate(results) if result is None]
    done = len(outputs) - len(todo)
    if progress and done:
        progress(done, len(outputs))
    chunk = 0
    if pages is not None and pages.previous and len(todo) < len(outputs) // 2:
        # A few files to make again, some of them large (the printable dossier, a hub's
        # page, the data exports): the largest first, one at a time, so that no process
        # is left making two of them while the other waits.
        todo.sort(key=lambda i: -(pages.previous.get(outputs[i].path) or (0, 0))[1])
        chunk = 1
    if pages is not None and pages.ready is not None:
        pages.ready()
    put = partial(_put, staging, previous, on_error,
                  pages.numbers if pages is not None else None)
    for i, result in zip(todo, parallel.run(
            put, [outputs[i] for i in todo], jobs,
            progress and (lambda made, _: progress(done + made, len(outputs))), chunk)):
        if pages is not None and isinstance(result, tuple):
            result, fresh = result[:2], result[2]
            pages.made_pieces.update(fresh)     # made by whichever process, kept for next
            if result[1] is not None:
                numbers = pages.number(*result[1][:2])
                result = (result[0], numbers and (numbers, *result[1][2:]))
        results[i] = result
    failures = [p for r in results if isinstance(r, list) for p in r]
    if failures:
        raise RenderFailed(failures)
    if not output_dir.exists() or not any(output_dir.iterdir()):
        output_dir_.first_site(staging, output_dir, wanted)
    else:
        changed = [out.path for out, (unchanged, _) in zip(outputs, results) if not unchanged]
        output_dir_.replace(staging, output_dir, changed, wanted, mine)
    if pages is not None:
        pages.current = {out.path: entry for out, (_, entry) in zip(outputs, results)
                         if entry is not None}
    return (len(outputs), sum(1 for unchanged, _ in results if unchanged),
            sum(1 for out, (unchanged, _) in zip(outputs, results)
                if unchanged == REUSED and out.is_page))


def _put(staging: Path, previous_dir: Path | None, on_error: OnError | None,
         numbers: dict | None, out: Output):
    """Make one output; write it to `staging` unless the previous site has the same bytes.
    -> (unchanged?, (numbers read, addresses new to `numbers`, size, mtime) or None,
    pieces made), or a list of problems. `numbers`: the page cache's numbers of the
    addresses known (PageCache.numbers), None if reads are not wanted."""
    previous = previous_dir / out.path if previous_dir else None
    target = staging / out.path
    try:
        with recording() as reads:
            if out.chunks is not None:      # written as rendered, then compared
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as file:
                    file.writelines(out.chunks())
                unchanged = bool(previous) and _same_file(previous, target)
                if unchanged:
                    target.unlink()
            else:
                data = out.content()
                unchanged = bool(previous) and _same(previous, data)
                if not unchanged:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
    except Exception as exc:
        if on_error is None:
            raise
        return on_error(exc)
    if numbers is None:
        return unchanged, None
    # The fragments and pieces made for it, to keep (see depends.Pieces); its reads and, for
    # the page cache, its time once moved into place: the staged file's (rename keeps it).
    # Its reads are numbered here, in whichever process made it (a forked worker knows the
    # numbers the build started with), so that the build's own process, which makes pages
    # too, numbers only those new since (PageCache.number): the pages an added article
    # remakes read 250,000 addresses at 10,000 articles.
    fresh = fresh_pieces()
    if not out.recorded:
        return unchanged, None, fresh
    reads = tuple(reads)
    found = tuple(map(numbers.get, reads))
    new = [(i, address) for i, address in enumerate(reads) if found[i] is None] \
        if None in found else []
    return unchanged, (found, new, *_stat(previous if unchanged else target)), fresh


def _stat(path: Path | str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _same_file(previous: Path, new: Path) -> bool:
    try:
        return filecmp.cmp(previous, new, shallow=False)
    except OSError:
        return False


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False

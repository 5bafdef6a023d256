"""Which file changes matter to a dossier, and in which batches they arrive.

watchfiles (inotify on Linux, FSEvents on macOS, polling elsewhere) yields one set of changes
per burst: it waits until no new change has come for `QUIET_MS`, so an editor writing several
files or a `git checkout` gives one batch, and no change is ever dropped for arriving soon after
another (python-livereload ignores changes within 3 s of its last reload).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Iterator

import watchfiles

from dossier import files

QUIET_MS = 30          # a burst ends after this much silence (checked every QUIET_MS)
MAX_BATCH_MS = 1000    # a never-ending burst is still cut into batches this long


class DossierFilter(watchfiles.DefaultFilter):
    """The files that count (files.counts); watchfiles' defaults drop the rest early."""

    def __init__(self, root: Path, output: Path, theme: Path):
        super().__init__()
        self.root, self.output, self.theme = root.resolve(), output.resolve(), theme.resolve()

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return super().__call__(change, path) and \
            files.counts(Path(path), self.root, self.theme, self.output)


def batches(root: Path, output: Path, theme: Path, stop: threading.Event) -> Iterator[set]:
    """Sets of changed paths, one per burst of saves, until `stop` is set; an empty set now
    and then when nothing changed. The first set comes once the watch is in place: changes
    made before that are the caller's to catch up on.

    A file that came and went within a burst is left out: an editor's temporary file (vim's
    `4913` probe, `sed -i`'s `sedXXXXXX`, a `.tmp` renamed over the file saved) was read by
    no build and is gone, so it must neither rebuild and reload the page nor be named as a
    change. A file gone that a build may have read (it existed when the watch began, or
    appeared since) still counts."""
    # The theme may live outside the dossier's folder: watched too, then.
    folders = [root] + ([theme] if theme.is_dir() and not theme.resolve().is_relative_to(
        root.resolve()) else [])
    present = None
    for changes in watchfiles.watch(*folders, watch_filter=DossierFilter(root, output, theme),
                                    step=QUIET_MS, debounce=MAX_BATCH_MS, stop_event=stop,
                                    rust_timeout=100, yield_on_timeout=True,
                                    raise_interrupt=False):
        if present is None:              # listed once the watch is in place: none missed
            present = _with_folders(os.path.realpath(p)
                                    for p in files.read_by_build(root, theme))
        yield _lasting({path for _, path in changes}, present)


def _with_folders(paths) -> set[str]:
    """The paths, and every folder above them."""
    found = set()
    for path in paths:
        while path not in found:
            found.add(path)
            path = os.path.dirname(path)
    return found


def _lasting(paths: set[str], present: set[str]) -> set[str]:
    """`paths` but those that exist neither now nor in `present` (the files and folders
    known to exist, kept up to date here). Compared by real path: the watch may name a file
    through a link. A folder gone counts when it held a file known (moving a folder away is
    one event). A folder new to `present` brings the files in it: those written into it
    before the watch reached it give no event of their own, and must count when they go."""
    lasting = set()
    for path in paths:
        real = os.path.realpath(path)
        if os.path.lexists(path):
            if real not in present and os.path.isdir(real):
                present |= _with_folders(os.path.join(folder, name)
                                         for folder, _, names in os.walk(real)
                                         for name in names)
            present.add(real)
        else:
            held = {p for p in present if p == real or p.startswith(real + os.sep)}
            if not held:
                continue
            present -= held
        lasting.add(path)
    return lasting


snapshot = files.snapshot

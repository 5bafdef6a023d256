"""Write the site transactionally: a fresh folder beside the output, then swapped in.

A failed build never touches the previous output, and nothing is written outside the output
folder's parent (the temporary folders live beside it and are removed).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from dossier.problems import Problems
from dossier.outputs import Output


class OutputError(Exception):
    """The output folder cannot be replaced; the message says why and what to do."""


def check_outputs(outputs: list[Output], problems: Problems) -> None:
    """Two sources mapping to one output path is an error that names both."""
    seen: dict[str, Output] = {}
    for out in outputs:
        first = seen.setdefault(out.path, out)
        if first is not out:
            where = out.source or first.source or Path(".")
            problems.error(where, 0, f"two files would be written to {out.path}: "
                           f"{first.origin} and {out.origin}",
                           "rename one of them (or change its slug)")


def write(outputs: list[Output], output_dir: Path) -> tuple[int, int]:
    """Write every output into a new folder, then swap it in place of `output_dir`.

    A file whose bytes did not change is hard-linked from the previous site instead of being
    written again: it keeps its modification time, so `rsync -u`, `aws s3 sync` and caches see
    only what really changed. Returns (files, files unchanged)."""
    _check_replaceable(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.new-", dir=output_dir.parent))
    unchanged = 0
    try:
        for out in outputs:
            target = staging / out.path
            target.parent.mkdir(parents=True, exist_ok=True)
            data = out.content()
            previous = output_dir / out.path
            if _same(previous, data):
                try:
                    os.link(previous, target)
                    unchanged += 1
                    continue
                except OSError:           # no hard links here (some USB file systems)
                    pass
            target.write_bytes(data)
        os.chmod(staging, 0o755)          # mkdtemp makes it 0700; a web server must read it
        _swap(staging, output_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return len(outputs), unchanged


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _check_replaceable(output_dir: Path) -> None:
    """Refuse to replace a folder that is not a site we built (say, --output ~/Documents)."""
    if output_dir.exists() and not output_dir.is_dir():
        raise OutputError(f"{output_dir} is a file, not a folder: choose another --output")
    if output_dir.is_dir() and any(output_dir.iterdir()) and \
            not (output_dir / "index.html").is_file():
        raise OutputError(f"{output_dir} is not empty and does not look like a built site "
                          "(no index.html): the build replaces the whole folder, so choose "
                          "another --output or empty it first")


def _swap(staging: Path, output_dir: Path) -> None:
    if not output_dir.exists():
        staging.rename(output_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.old-", dir=output_dir.parent))
    old.rmdir()
    output_dir.rename(old)
    try:
        staging.rename(output_dir)
    except BaseException:
        old.rename(output_dir)            # put the previous site back
        raise
    shutil.rmtree(old, ignore_errors=True)

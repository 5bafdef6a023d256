"""The output folder: what dossier owns in it, one build at a time, all-or-nothing updates.

- **Ownership.** A build lists the files it wrote in MANIFEST. The next build replaces or
  deletes those files only: anything else in the folder (a CNAME, a .git, a user's notes) is
  never touched, and an output path that would land on such a file is refused before
  anything is made. `--output ~` can therefore never cost a file.
- **One build at a time**: a lock beside the folder; a second build says so and stops.
- **All or nothing.** New files are staged beside the folder and moved in; each file moved
  out of the way goes to a backup folder first, and the plan is written there before the
  first move. Any failure while moving puts every file back; a build killed while moving
  (kill -9, a power cut) is rolled back from the plan by the next build, so a reader only
  ever sees the previous site or the new one, and no staging folder outlives a build.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

MANIFEST = ".dossier-files"
_GENERATOR = b'<meta name="generator" content="dossier">'


class OutputError(Exception):
    """The output folder cannot be written safely; the message says why and what to do."""


@contextmanager
def locked(output_dir: Path) -> Iterator[None]:
    """Hold the output folder for one build; finish or undo what a killed build left."""
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(output_dir.parent / f".{output_dir.name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise OutputError(f"another build is writing {output_dir}: wait for it to finish, "
                          "or choose another --output") from None
    try:
        recover(output_dir)
        yield
    finally:
        lock.release()


def owned(output_dir: Path) -> set[str]:
    """The files a previous build wrote in `output_dir` (relative, '/'-separated)."""
    try:
        text = (output_dir / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return _adopted(output_dir)
    except (OSError, UnicodeDecodeError) as exc:
        raise OutputError(f"{output_dir / MANIFEST} cannot be read ({exc}): delete the "
                          "folder's contents or choose another --output") from None
    return {line for line in text.splitlines() if line and not line.startswith("#")}


def _adopted(output_dir: Path) -> set[str]:
    """A site built before manifests existed (its home page names dossier as generator):
    every file in it was dossier's, as that version replaced the whole folder."""
    try:
        if _GENERATOR not in (output_dir / "index.html").read_bytes()[:4096]:
            return set()
    except OSError:
        return set()
    top = str(output_dir)
    return {os.path.relpath(os.path.join(folder, name), top).replace(os.sep, "/")
            for folder, _, names in os.walk(top) for name in names}


def check_conflicts(output_dir: Path, wanted: set[str], mine: set[str]) -> None:
    """Refuse, before anything is made, outputs that would replace a file or go through a
    folder that dossier did not write."""
    if output_dir.is_symlink() or output_dir.exists() and not output_dir.is_dir():
        raise OutputError(f"{output_dir} is not a folder: choose another --output")
    if not output_dir.exists():
        return
    folders: dict[str, bool] = {"": True}          # relative folder -> may hold our files

    def usable(folder: str) -> bool:
        if folder not in folders:
            parent = folder.rpartition("/")[0]
            path = output_dir / folder
            folders[folder] = usable(parent) and (
                not os.path.lexists(path) or path.is_dir() and not path.is_symlink() or
                folder in mine)                      # a file of ours, replaced by a folder
        return folders[folder]

    stale = mine - wanted
    blocked = []
    for path in sorted(wanted - mine):
        target = output_dir / path
        if not usable(path.rpartition("/")[0]) or os.path.lexists(target) and not (
                target.is_dir() and not target.is_symlink() and _all_in(target, path, stale)):
            blocked.append(path)
    if blocked:
        shown = ", ".join(blocked[:5]) + (f" and {len(blocked) - 5} more" if len(blocked) > 5
                                          else "")
        raise OutputError(f"{output_dir} holds files that dossier did not write where the site "
                          f"goes ({shown}): move them away, or choose another --output")


def _all_in(folder: Path, relative: str, files: set[str]) -> bool:
    """True if every file under `folder` (at `relative`) is one of `files`: a folder of
    ours that a file now replaces."""
    for top, _, names in os.walk(folder):
        inside = os.path.relpath(top, folder).replace(os.sep, "/")
        prefix = relative + "/" + ("" if inside == "." else inside + "/")
        if any(prefix + name not in files for name in names):
            return False
    return True


def replace(staging: Path, output_dir: Path, changed: list[str], wanted: set[str],
            mine: set[str]) -> None:
    """Move the `changed` files from `staging` into `output_dir` and delete the files of
    ours no output makes any more, all or nothing; then record `wanted` as ours."""
    stale = sorted(mine - wanted)
    record = wanted != mine or not (output_dir / MANIFEST).is_file()
    if not changed and not stale:         # the usual rebuild: nothing to move
        if record:
            _write_atomically(output_dir / MANIFEST, _manifest(wanted))
        return
    # Strings, not Paths, for the 20,000 files a theme edit changes at 10,000 articles
    # (Path objects took a second of replace's time).
    out, staged = str(output_dir), str(staging)
    existed = [path for path in changed if _file_at(os.path.join(out, path))]
    backup = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.old-", dir=output_dir.parent))
    plan = {"output": out, "staging": staged, "changed": changed,
            "existed": existed, "stale": stale, "flat": True}
    try:
        _write_atomically(backup / "plan.json", json.dumps(plan).encode())
        (backup / "files").mkdir()
        for i, path in enumerate(stale):
            os.replace(os.path.join(out, path), _kept(plan, backup, "stale", i))
        _prune(output_dir, stale)
        existed_set = set(existed)
        for i, path in enumerate(changed):
            target = os.path.join(out, path)
            if path in existed_set:         # a file: its folder is there, nothing in the way
                os.replace(target, _kept(plan, backup, "changed", i))
                os.replace(os.path.join(staged, path), target)
            else:
                _move(Path(staged, path), Path(target))
        if record:
            _write_atomically(output_dir / MANIFEST, _manifest(wanted))
    except BaseException:
        _roll_back(plan, backup)         # if this fails too, the next build's recover()
        shutil.rmtree(backup, ignore_errors=True)
        raise
    (backup / "done").touch()
    shutil.rmtree(backup, ignore_errors=True)


def first_site(staging: Path, output_dir: Path, wanted: set[str]) -> None:
    """A new or empty output folder: the staged site becomes it in one rename."""
    _write_atomically(staging / MANIFEST, _manifest(wanted))
    os.chmod(staging, 0o755)          # mkdtemp makes it 0700; a web server must read it
    if output_dir.exists():
        output_dir.rmdir()            # empty: checked by the caller
    staging.rename(output_dir)


def recover(output_dir: Path) -> None:
    """Undo what a build killed while moving files left half done; remove its leftovers."""
    parent, name = output_dir.parent, output_dir.name
    for backup in sorted(parent.glob(f".{name}.old-*")):
        try:
            plan = json.loads((backup / "plan.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            plan = None                 # killed before its first move: nothing to undo
        if plan is not None and not (backup / "done").exists():
            _roll_back(plan, backup)
        shutil.rmtree(backup, ignore_errors=True)
    for staging in parent.glob(f".{name}.new-*"):
        shutil.rmtree(staging, ignore_errors=True)


def _roll_back(plan: dict, backup: Path) -> None:
    """Every file back where the plan found it, whatever point the moves had reached."""
    output, staging = Path(plan["output"]), Path(plan["staging"])
    existed = set(plan["existed"])
    for i, path in reversed(list(enumerate(plan["changed"]))):
        target, old = output / path, _kept(plan, backup, "changed", i)
        if path in existed:
            if os.path.lexists(old):
                _move(Path(old), target)
        elif os.path.lexists(target) and not os.path.lexists(staging / path) and \
                not target.is_dir():
            target.unlink()             # placed by the build being undone
    for i, path in enumerate(plan["stale"]):
        old = _kept(plan, backup, "stale", i)
        if os.path.lexists(old):
            _move(Path(old), output / path)


def _kept(plan: dict, backup: Path, kind: str, i: int) -> str:
    """Where the backup keeps the i-th file of the plan's `kind` ("changed" or "stale")
    until the build is done: side by side, named by its place in the plan (one folder made,
    not one per file moved: 220 folders made and deleted took 0.1-0.3 s of an article added
    at 10,000 articles); by its path in a backup left by an older version (recover)."""
    if not plan.get("flat"):
        return os.path.join(backup, "files", plan[kind][i])
    return os.path.join(backup, "files", f"{kind}-{i}")


def _file_at(path: str) -> bool:
    """True if something other than a folder is at `path` (a link to a folder is one)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISDIR(mode) or stat.S_ISLNK(mode) and os.path.isdir(path))


def _move(source: Path, target: Path) -> None:
    """Rename, making the target's folders; a folder in the way (emptied of our files
    before: see check_conflicts) is removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir() and not target.is_symlink():
        for top, _, _ in sorted(os.walk(target), key=lambda t: -len(t[0])):
            os.rmdir(top)
    os.replace(source, target)


def _prune(output_dir: Path, removed: list[str]) -> None:
    """Remove the folders that the `removed` files leave empty."""
    folders = {str(Path(p).parent) for p in removed} - {"."}
    for folder in sorted(folders, key=lambda f: -f.count("/")):
        path = output_dir / folder
        while path != output_dir:
            try:
                path.rmdir()
            except OSError:             # not empty, or already gone
                break
            path = path.parent


def _manifest(wanted: set[str]) -> bytes:
    head = "# the files dossier wrote here: it replaces or deletes these only\n"
    return (head + "\n".join(sorted(wanted)) + "\n").encode()


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise

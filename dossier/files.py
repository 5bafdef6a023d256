"""Which files count: the one place that says which files of a dossier a build reads and a
preview watches (content/, the theme folders, dossier.yaml), and which it leaves alone
(hidden files and folders, editor leftovers, the output folder).
"""
from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

CONFIG_FILE = "dossier.yaml"


def visible(name: str) -> bool:
    """Not hidden (.git, .x.swp, .#x lock files) and not an editor's backup (x~)."""
    return not name.startswith(".") and not name.endswith("~")


_PATHS: dict[str, Path] = {}


def path_of(name: str) -> Path:
    """The one Path of a file name in this process: a build walks content/ twice and reads
    the last build's state, a preview walks it at every save; making 10,000 Paths (and
    their text again) each time costs a tenth of a second."""
    found = _PATHS.get(name)
    if found is None:
        found = _PATHS[name] = Path(name)
    return found


def walk(top: Path) -> list[tuple[tuple[str, ...], Path]]:
    """(parts relative to `top`, path) of every file that counts under `top`, in path order;
    hidden folders are not entered."""
    return [(rel, path_of(name)) for rel, name in _walk_names(str(top))]


def _walk_names(top: str) -> list[tuple[tuple[str, ...], str]]:
    """walk(), with each path as text: a build with nothing changed makes no Path (10,000
    of them cost a build a tenth of a second)."""
    found = []
    for folder, dirs, names in os.walk(top):
        dirs[:] = [d for d in dirs if visible(d)]
        base = () if folder == top else tuple(os.path.relpath(folder, top).split(os.sep))
        for name in names:
            if visible(name):
                found.append((base + (name,), os.path.join(folder, name)))
    found.sort()
    return found


def leaves(path: Path, folder: Path) -> bool:
    """True if `path` is a link that resolves outside `folder`: a received dossier's
    content/x.txt -> /proc/self/environ must never be read, let alone published."""
    return os.path.islink(path) and \
        not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


def theme_files(dirs: list[Path]) -> list[Path]:
    """Every file that counts in the theme folders (templates, static files, strings), but
    links leading out of them."""
    return [path for folder in dirs for _, path in walk(folder)
            if path.is_file() and not leaves(path, folder)]


def file_digest(data: bytes) -> str:
    """What a file's bytes are, for comparing them with another build's."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# A file changed later than this before its digest was made is read again next time: its
# times could be those of a later save within the same tick of the file system's clock (or
# of a server's clock running behind this machine's), as git treats "racily clean" files.
SETTLED_NS = 10 * 10**9

Stamps = dict[str, list]        # path -> [device, inode, size, mtime, ctime, digest]


@dataclass
class Inputs:
    """What inputs_digest found."""

    digest: str                             # of every byte a build reads, and the options
    stamps: Stamps                          # to give as `known` next time
    # By path as text, made into Paths only when a build asks for them (a build with
    # nothing changed does not).
    file_digests: dict[str, str]            # the digest of each content file
    scanned: list | None                    # (parts, path, stat) of each content file, as
                                            # load() scans them; None if content/ has links

    @cached_property
    def files(self) -> dict[Path, str]:
        """The digest of each content file read (file_digest), by path."""
        return {path_of(name): digest for name, digest in self.file_digests.items()}

    @cached_property
    def scan(self) -> list | None:
        """(parts, path, stat) of each content file, as load() scans them."""
        return self.scanned and [(rel, path_of(name), info)
                                 for rel, name, info in self.scanned]

    def by_path(self) -> dict[str, str]:
        """The digest of each file read (a theme's if its stamp is kept), by path."""
        found = {path: stamp[5] for path, stamp in self.stamps.items()}
        found.update(self.file_digests)
        return found


def stamp_of(info: os.stat_result) -> list[int]:
    """A file's device, inode, size, modification and change times: any write moves one of
    them (no program can set the change time)."""
    return [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]


def inputs_digest(root: Path, content: Path, theme: list[Path], extra: str,
                  known: Stamps | None = None) -> Inputs:
    """A digest of every byte a build reads (dossier.yaml, content/, the theme folders, with
    their names) and `extra` (the code's version, the options): equal digests, equal site.
    And the digest of each content file read (file_digest), by path; and the stamps to give
    as `known` next time: a file whose device, inode, size, modification and change times
    are those `known` records is not read again. The change time cannot be set by a program
    (a save that keeps size and modification time, or sets them back, still moves it); the
    stamp of a file changed just before it was read is not kept (SETTLED_NS). By content,
    never by modification time alone, which some file systems keep to two seconds."""
    known = known or {}
    settled = time.time_ns() - SETTLED_NS
    digest = hashlib.blake2b(extra.encode(), digest_size=32)
    tops = [str(folder) for folder in (root, content, *theme)]
    found = [(tops[0], (CONFIG_FILE,), os.path.join(tops[0], CONFIG_FILE)),
             *((top, *entry) for top in tops[1:] for entry in _walk_names(top))]
    each, stamps, scan = {}, {}, []
    for top, rel, path in found:
        try:
            info = os.lstat(path)               # before reading: see SETTLED_NS
        except OSError:
            info = None
        regular = info is not None and stat.S_ISREG(info.st_mode)
        stamp = stamp_of(info) if regular else None
        kept = known.get(path) if regular else None
        if kept is not None and kept[:5] == stamp:
            file, read = kept[5], True
        else:
            data, read = _bytes(path, top)      # a link's target, a marker for the rest
            file = file_digest(data)
        if read and regular and max(stamp[3], stamp[4]) < settled:
            stamps[path] = [*stamp, file]
        if top is tops[1]:
            if read:
                each[path] = file
            if info is not None and stat.S_ISLNK(info.st_mode):
                scan = None                     # load() follows or refuses links itself
            elif read and regular and scan is not None:
                scan.append((rel, path, info))
        digest.update(f"\0{path}\0{file}".encode())
    return Inputs(digest.hexdigest(), stamps, each, scan)


def _bytes(path: str, top: str) -> tuple[bytes, bool]:
    """(what a file of `top` is, True if those are its bytes): a link leading out of `top`
    is never read (/dev/zero…), nor what is not a file."""
    try:
        if leaves(path, top):
            return b"\0link " + os.readlink(path).encode(), False
        if stat.S_ISREG(os.stat(path).st_mode):
            with open(path, "rb") as file:
                return file.read(), True
        return b"\0not a file", False
    except OSError:                 # absent (dossier.yaml is optional), gone
        return b"\0absent", False


def links_out(dirs: list[Path]) -> list[Path]:
    """The theme folders' links that lead out of them, to report."""
    return [path for folder in dirs for _, path in walk(folder) if leaves(path, folder)]


def theme_digest(dirs: list[Path]) -> str:
    """A digest of the theme folders' files, names and bytes: what pages are made with."""
    digest = hashlib.sha256()
    for path in theme_files(dirs):
        digest.update(f"\0{path}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def counts(path: Path, root: Path, theme: Path, output: Path) -> bool:
    """True if a change to `path` can change the site (the preview's watch filter)."""
    if path.is_relative_to(output):
        return False
    if path == root / CONFIG_FILE:
        return True
    for folder in (root / "content", theme):
        if path.is_relative_to(folder):
            return all(visible(part) for part in path.relative_to(folder).parts)
    return False


def read_by_build(root: Path, theme: Path) -> list[Path]:
    """Every file a build reads, if it exists (dossier.yaml may not)."""
    return [root / CONFIG_FILE, *(p for _, p in walk(root / "content")), *theme_files([theme])]


def snapshot(root: Path, theme: Path) -> dict[Path, tuple[int, int, int]]:
    """(mtime, size, ctime) of every file a build reads: to notice changes made while not
    watching."""
    found = read_by_build(root, theme)
    # The inode's change time too: a save that keeps size and time still moves it.
    return {p: (s.st_mtime_ns, s.st_size, s.st_ctime_ns) for p in found if p.is_file()
            for s in [p.stat()]}

"""Walk content/ -> raw records (front matter with line numbers + body) and asset files."""
from __future__ import annotations

import hashlib
import os
import pickle
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter, itemgetter
from pathlib import Path
from stat import S_ISLNK, S_ISREG
from typing import Callable

from dossier import files, model, parallel
from dossier.frontmatter import FrontMatterError, Parsed, frozen, printable, split, thawed
from dossier.problems import Problems

KINDS = ("articles", "actors", "resolutions", "pages")


@dataclass(frozen=True)
class Raw:
    kind: str          # one of KINDS
    path: Path
    parsed: Parsed


@dataclass
class Loaded:
    records: list[Raw] = field(default_factory=list)
    assets: list[Path] = field(default_factory=list)    # non-Markdown files, copied as they are
    unread: list[Path] = field(default_factory=list)    # records' files that could not be
                                                        # read (their problems say why)


def _changes(stat) -> tuple[int, int, int]:
    """What tells that a file changed without reading it: its size, its time, and the time
    of its inode's last change, which a save that keeps size and time (or sets the time
    back) still moves and no program can set."""
    return stat.st_mtime_ns, stat.st_size, stat.st_ctime_ns


def _scan(top: Path, cache: dict, changed: set[Path] | None, scan: list | None = None
          ) -> list:
    """(parts, path, stat) of every visible regular file, in path order (or `scan`, made so
    already). The last scan (kept in `cache` under keys that are not paths) is patched when
    the files that `changed` were saved, added or deleted in folders it holds (walking
    10,000 files costs a tenth of a second)."""
    if scan is not None:    # a one-shot build's (files.inputs_digest), never patched: not kept
        return scan
    last = cache.get("scan")
    patched = _patch_scan(top, last, changed) if last is not None and changed else None
    if patched is not None:
        cache["scan"] = patched
        return patched[0]
    scan = []
    for rel, path in files.walk(top):
        try:
            stat = os.lstat(path)
            if S_ISLNK(stat.st_mode):
                if files.leaves(path, top):
                    scan.append((rel, path, None))       # refused by load()
                    continue
                stat = os.stat(path)
        except OSError:                  # a broken link, or gone since the walk
            continue
        if S_ISREG(stat.st_mode):
            scan.append((rel, path, stat))
    cache["scan"] = (scan, _folders(scan))
    return scan


def _folders(scan: list) -> set[str]:
    """The folders that hold a scanned file: a file added to one is patched in."""
    return {os.path.dirname(path) for _, path, _ in scan}


def _place(entries: list, rel: tuple) -> tuple[int, bool]:
    """Where the file `rel` (its parts under content/) is, or would go, in `entries` sorted
    by their first item (a scan's), and whether it is there."""
    i = bisect_left(entries, rel, key=itemgetter(0))
    return i, i < len(entries) and entries[i][0] == rel


def _patch_scan(top: Path, last: tuple, changed: set[Path]) -> tuple | None:
    """The last scan (scan, folders) with the `changed` files' new state, or None if only a
    walk can tell (a link, a folder, a file in a folder the scan does not hold)."""
    scan, folders, gone = list(last[0]), last[1], False     # folders: of files scanned
    for path in changed:
        try:
            rel = path.relative_to(top).parts
        except ValueError:
            return None                  # not content/'s
        i, known = _place(scan, rel)
        try:
            stat = os.lstat(path)
        except FileNotFoundError:
            if known:
                del scan[i]
                gone = True
                continue
            if not files.visible(path.name):
                continue                 # an editor's swap file, come and gone
            return None                  # perhaps a folder, with files
        except OSError:
            return None
        if S_ISLNK(stat.st_mode) or not S_ISREG(stat.st_mode):
            return None                  # links are checked by a walk
        if known:
            scan[i] = (rel, scan[i][1], stat)
        elif files.visible(path.name):
            if os.path.dirname(path) not in folders:
                return None
            scan.insert(i, (rel, files.path_of(str(path)), stat))   # in path order, as a walk
    return scan, _folders(scan) if gone else folders


def load(content_dir: Path, problems: Problems, cache: dict | None = None,
         jobs: int = 1, progress: Callable[[int, int], None] | None = None,
         parsed: dict | None = None, changed: set[Path] | None = None,
         scan: list | None = None) -> Loaded:
    """Read every content file; each unreadable one becomes a located problem.

    A file whose size and modification time are unchanged since it was put in `cache` (kept
    by the preview server between builds) is not read again: its record and problems are
    reused; when the caller knows which files `changed` since, the others are not even
    looked at; a `scan` made by the caller (files.Inputs.scan) is not made again. The rest
    are read over `jobs` processes; a file whose text has a front matter in `parsed` (by
    digest, kept on disk between runs) is not parsed again, and `parsed` is left holding
    exactly the front matters of this build's files."""
    loaded = Loaded()
    if not content_dir.is_dir():
        problems.error(content_dir, 0, "no content/ folder here",
                       "run in a dossier folder, pass --root DIR, or create one with 'init'")
        return loaded
    cache = {} if cache is None else cache
    if changed is not None and parsed is None:
        patched = _patch(cache, content_dir, changed, problems)
        if patched is not None:
            return patched
    start = len(problems.items)
    wanted: list[tuple[Path, tuple]] = []
    for rel, path, stat in _scan(content_dir, cache, changed, scan):
        if stat is None:
            problems.error(path, 1, "this is a link to a file outside content/: it is not "
                           "read, so that it cannot be published",
                           "copy the file itself into content/")
        elif not rel[-1].lower().endswith(".md"):
            loaded.assets.append(path)
        elif len(rel) >= 2 and rel[0] in KINDS:
            wanted.append((path, (rel[0], *_changes(stat))))
        else:
            problems.warning(path, 1, "Markdown file outside articles/, actors/ or "
                             "resolutions/ is not built", "move it into one of those folders")
    # A file the watcher saw change is read again even if its size and time are the same
    # (two saves within one tick of the file system's clock).
    seen = changed or ()
    stale = [(path, key) for path, key in wanted
             if cache.get(path, (None,))[0] != key or path in seen]
    known = {} if parsed is None else parsed
    # Digests are worth computing only when front matter is looked up or kept by digest.
    read_one = partial(_read_one, problems.root, known, parsed is not None)
    if jobs > 1 and len(stale) >= parallel.MIN_ITEMS and len(known) < len(stale) // 2:
        # Files are read and their YAML parsed over the workers: sending a record back
        # costs less than reading the file again here (~0.1 ms against ~0.2 ms).
        results = parallel.run(read_one, stale, jobs, progress)
    else:
        results = map(read_one, stale)
    for (path, key), (raw, found, saved) in zip(stale, results):
        # The JSON form of front matter is kept only to be saved (`parsed`).
        cache[path] = (key, raw, found, saved if parsed is not None else None)
    if parsed is not None:
        parsed.clear()
        parsed.update(cache[path][3] for path, _ in wanted if cache[path][3])
    for path, _ in wanted:
        _, raw, found, _ = cache[path]
        problems.items.extend(found)
        if raw is not None:
            loaded.records.append(raw)
        else:
            loaded.unread.append(path)
    # What a save that changes only some records' text may patch (see _patch).
    cache["last"] = (content_dir, loaded, problems.items[start:])
    return loaded


def _patch(cache: dict, content_dir: Path, changed: set[Path], problems: Problems
           ) -> Loaded | None:
    """The last load with the `changed` files read again, added or gone, when they are
    records (for those added or gone: with no problem) that still parse with the same
    problems as before (the preview's usual save); None when a full load is needed. Saves
    going over every file of a large dossier on each save."""
    last, scan = cache.get("last"), cache.get("scan")
    if last is None or last[0] != content_dir or scan is None:
        return None
    content_dir, loaded, found = last
    before, scan = scan[0], _patch_scan(content_dir, scan, changed)
    if scan is None:
        return None
    records = list(loaded.records)       # in path order, as the scan
    for path in changed:
        rel = path.relative_to(content_dir).parts
        i, known = _place(scan[0], rel)
        if not known and not _place(before, rel)[1]:
            continue                     # an editor's file, come and gone
        if len(rel) < 2 or rel[0] not in KINDS or not rel[-1].lower().endswith(".md"):
            return None                  # an asset, a file that is not built
        at = bisect_left(records, path, key=attrgetter("path"))
        was = records[at] if at < len(records) and records[at].path == path else None
        if was is None and path in cache:
            return None                  # a record's file that could not be read
        if not known:                    # deleted: its problems must go with it
            if cache.pop(path)[2]:
                return None
            del records[at]
            continue
        key = (rel[0], *_changes(scan[0][i][2]))
        # Read even when its size and time are the same: two saves within one tick of the
        # file system's clock can give both, and the watcher saw it change.
        raw, found_here, saved = _read_one(problems.root, {}, False, (path, key))
        if raw is None or found_here != (cache[path][2] if was is not None else []):
            return None
        cache[path] = (key, raw, found_here, saved)
        if was is not None:
            records[at] = raw
        else:
            records.insert(at, raw)
    patched = Loaded(records, loaded.assets, loaded.unread)
    cache["last"], cache["scan"] = (content_dir, patched, found), scan
    problems.items.extend(found)
    return patched


def _read_one(root: Path, known: dict, remember: bool, item: tuple[Path, tuple]):
    """-> (record or None, its problems, (digest, saved front matter) or None)."""
    path, (kind, *_) = item
    found = Problems(root)
    saved: list | None = [] if remember else None
    parsed = read(path, found, known, saved)
    return ((Raw(kind, path, parsed) if parsed is not None else None), found.items,
            saved[0] if saved else None)


class Markdown(str):
    """A record's Markdown text, which knows its file: what the state a build keeps for the
    next (cache.save_state) holds of it, to be read again only if needed (Unread)."""

    path: Path


class Unread(str):
    """The Markdown of a record kept from an earlier build whose file has not changed since:
    an empty str standing for the text, the same object wherever the record holds it (so it
    compares as the same text, by identity, as the one it stands for), read from its file
    only when needed (see `markdown_of`)."""

    path: Path

    def __new__(cls, path: Path) -> "Unread":
        unread = super().__new__(cls, "")
        unread.path = path
        return unread


class Unparsed(Parsed):
    """The front matter of a file unchanged since the build whose state kept it
    (cache.save_state), without its data: a validated record needs only its typed form, and
    the data of 10,000 articles (170,000 dicts and lists) took a tenth of a second to read
    back with the state. Read from the file again only if asked for (a record validated
    anew, as under another site language)."""

    def __getattr__(self, name: str):
        if name != "data":
            raise AttributeError(name)
        path = self.body.path
        parsed = read(path, Problems(path.parent))
        if parsed is None or parsed.digest != self.digest:
            raise OSError(f"{path} changed while it was being built: build again")
        self.data = parsed.data
        return self.data

    @staticmethod
    def kept(parsed: Parsed):
        """How the state writes `parsed` (a pickle reduction): without its data when its
        body knows its file."""
        if not isinstance(parsed.body, (Markdown, Unread)) or not parsed.digest:
            return parsed.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
        kept = {name: value for name, value in vars(parsed).items() if name != "data"}
        return _unparsed, (kept,)


def _unparsed(kept: dict) -> Unparsed:
    parsed = Unparsed.__new__(Unparsed)
    vars(parsed).update(kept)
    return parsed


def let_go_of_texts(records: list) -> None:
    """Once converted, a one-shot build keeps no Markdown (140 MB at 10,000 articles, held by
    every forked worker) and no line maps: each record keeps its place in the graph, its
    text replaced in place by its Unread stand-in. Neither is part of what a record is to
    pages (its repr, its equality): their Markdown is read through its own address."""
    for record in records:
        name = "text" if isinstance(record, model.Resolution) else "body"
        text = getattr(record, name, None)
        if type(text) is Markdown:
            object.__setattr__(record, name, Unread(text.path))
        if getattr(record, "lines", None):
            object.__setattr__(record, "lines", {})


def markdown_of(text: str) -> str:
    """The Markdown `text` stands for: itself, or if Unread, what its file holds now."""
    if type(text) is not Unread:
        return text
    found = Problems(text.path.parent)
    parsed = read(text.path, found)
    if parsed is None:                  # changed since it was looked at: reported next build
        raise OSError(f"{text.path} changed while it was being built: build again")
    return parsed.body


def read(path: Path, problems: Problems, known: dict | None = None,
         saved: list | None = None) -> Parsed | None:
    """One Markdown file -> Parsed, or None with the problem recorded. With `known` (digest
    of a text -> its front matter as JSON-able lists), a text seen before is not parsed
    again; the (digest, front matter) of a text parsed cleanly is appended to `saved`."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        problems.error(path, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x})",
                       "re-save the file with UTF-8 encoding")
        return None
    text = printable(text.replace("\r\n", "\n"), path, problems)
    digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest() if saved is not None \
        else None
    hit = known.get(digest) if known else None
    if hit is not None:
        parsed = frozen(hit, text)
    else:
        try:
            parsed = split(text)
        except FrontMatterError as exc:
            problems.error(path, exc.line, exc.message, exc.hint)
            return None
    entry = hit or (thawed(parsed) if digest is not None else None)
    if entry is not None:
        saved.append((digest, entry))
    parsed.body = Markdown(parsed.body)
    parsed.body.path = path
    parsed.digest = files.file_digest(data)
    return parsed

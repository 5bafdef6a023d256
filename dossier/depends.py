"""What each page read while it was made, and whether it would read the same now.

Pages are made from the dossier seen through recording proxies (`Graph`, `Prose`,
`PageList`): every attribute of the linked graph, every lookup in one of its indexes, every
body and summary and the list of pages that a template, a filter, pictures.py or the code
writing a generated file reads is noted as an *address*, a path the next build can look up
again in its own data. A page is skipped only when every address it read gives the same
digest in the new build (and the salt: code, settings and theme, is the same). Nothing is
declared beside the templates: a template that starts showing a field records it the first
time it reads it (Lektor's `record_dependency`, at the level of the linked graph).

Values are handed out as they are (records, lists of slugs) and digested whole, so reading
one field of a record depends on all of it: sometimes a page is made again for nothing,
never is one left stale. Fields a record leaves out of its repr (an article's Markdown) are
read through an address of their own (`Prose.of`).
"""
from __future__ import annotations

import hashlib
import marshal
import threading
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from dossier.files import file_digest

Address = tuple          # ("dossier", field) | ("dossier", field, key) | ("body", page) | …

_local = threading.local()
_ABSENT = object()       # the value at an address that names nothing
_TEXT = {str}


class ReadOutsidePage(RuntimeError):
    """The graph was read with no page being made: nothing would record what was read."""


def _read(address: Address) -> None:
    reads = getattr(_local, "reads", None)
    if reads is None:
        raise ReadOutsidePage(f"{address!r} read outside a page (dossier bug)")
    reads.add(address)


@contextmanager
def recording() -> Iterator[set]:
    """Collect the addresses read inside; nested (a fragment inside a page), they count for
    the outer page too."""
    outer = getattr(_local, "reads", None)
    reads = _local.reads = set()
    try:
        yield reads
    finally:
        _local.reads = outer
        if outer is not None:
            outer |= reads


def note(reads: set, piece: str | None = None) -> None:
    """Count `reads` (recorded earlier, say by a fragment made for another page) as read
    by the page being made now; and the `piece` of the store that holds them, if any
    (piece_address)."""
    current = getattr(_local, "reads", None)
    if current is not None:
        current.update(reads)
        if piece is not None:
            current.add(piece_address(piece))


def piece_address(key: str) -> Address:
    """A piece of the store a page (or a piece) printed: what it shows is decided by the reads
    noted with it, so its value is the same in every build (Snapshot); it is noted so that the
    store keeps the pieces current pages print, and those only (cache._save_pieces): a piece
    keyed by values that never come again (a block of articles since edited) is dropped.
    Noted for pieces made `once` per build only (tracked_key): blocks, pictures, sections and
    pieces of generated files, a few thousand at 10,000 articles, where nearly all the
    store's bytes are; not for the 40,000 small fragments pages share (a timeline entry, a
    claim), which would put 140,000 more numbers in the page cache for a few kilobytes."""
    return ("piece", key)


_TRACKED = "\x01"          # starts the key of a piece the store keeps only while printed


def tracked_key(key: str) -> str:
    """The key of a piece noted where it is printed (piece_address)."""
    return _TRACKED + key


def is_tracked(key: str) -> bool:
    return key.startswith(_TRACKED)


class Graph:
    """The linked dossier (model.Dossier) as pages see it: every read is recorded."""

    __slots__ = ("_graph", "_indexes")

    def __init__(self, graph):
        self._graph, self._indexes = graph, {}

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._graph, name)
        if callable(value):               # what it returns would not be recorded
            raise TypeError(f"dossier.{name} is a method: pages may read values only "
                            "(make it a cached property of model.Dossier)")
        if isinstance(value, dict):       # looked up by key: record the keys looked up
            index = self._indexes.get(name)
            if index is None:
                index = self._indexes[name] = Index(name, value)
            return index
        _read(("dossier", name))
        return value


class Index(Mapping):
    """One of the graph's dictionaries: a lookup depends on its key's value only; going
    over the whole (iterating, counting) depends on all of it."""

    __slots__ = ("_name", "_items")

    def __init__(self, name: str, items: dict):
        self._name, self._items = name, items

    def __getitem__(self, key):
        _read(("dossier", self._name, key))
        return self._items[key]

    def get(self, key, default=None):
        _read(("dossier", self._name, key))
        return self._items.get(key, default)

    def __contains__(self, key) -> bool:
        _read(("dossier", self._name, key))
        return key in self._items

    def _whole(self) -> dict:
        _read(("dossier", self._name))
        return self._items

    def __iter__(self):
        return iter(self._whole())

    def __len__(self) -> int:
        return len(self._whole())

    def keys(self):
        return self._whole().keys()

    def values(self):
        return self._whole().values()

    def items(self):
        return self._whole().items()


class Prose:
    """Converted bodies (markup.Bodies) as pages see them."""

    __slots__ = ("_bodies",)

    def __init__(self, bodies):
        self._bodies = bodies

    def of(self, page: str) -> str:
        _read(("body", page))
        return self._bodies.of(page)

    def summary(self, page: str) -> str:
        _read(("summary", page))
        return self._bodies.summary(page)


class PageList:
    """The output paths of every page (for the sitemap)."""

    __slots__ = ("_paths",)

    def __init__(self, paths: list[str]):
        self._paths = paths

    def __iter__(self):
        _read(("pages",))
        return iter(self._paths)


class Pieces:
    """Fragments of pages (and pieces of generated files) kept from the previous builds, each
    with what it read then and the digest of each: one is used again when everything it read
    has the same digest now, so that a build renders only the pieces an edit touches (the
    printable dossier is 10,000 article sections and 30,000 timeline entries at 10,000
    articles). Pieces made in this process are kept in `fresh` until the build collects them
    (see take_fresh). Their bytes stay in the one buffer they were read into.

    A piece made of other kept pieces (a section of the printable dossier, an actor's
    timeline: megabytes of blocks and a picture) is kept as what it adds and the keys of
    the large pieces it prints (`composed`), not as their bytes again: an article added at
    10,000 articles makes 72 MB of pieces, 47 MB of them such copies."""

    def __init__(self, previous: dict | None = None, buffer: bytes = b"",
                 table: list | None = None):
        # key -> (numbers of the (address, digest) pairs it read in `table`, start, end[,
        # COMPOSED]): its bytes are buffer[start:end], or what they list (see composed).
        # Numbers, not pairs: 110,000 pieces at 10,000 articles.
        self.previous: dict[str, tuple] = previous or {}
        self.table: list[tuple[Address, str]] = table or []
        self.buffer = buffer
        # key -> (addresses read, bytes, whether the bytes are a composed() list)
        self.fresh: dict[str, tuple[tuple, bytes, bool]] = {}
        self._checked: tuple[Snapshot, dict[int, bool]] | None = None   # see holds

    def get(self, key: str, snapshot: "Snapshot") -> tuple[tuple, memoryview] | None:
        """(addresses read, bytes) of the kept piece, if all it read is unchanged: a view
        of the buffer, not a copy (the printable dossier's kept pieces are 96 MB)."""
        found = self.previous.get(key)
        data = self._held(found, snapshot)
        if data is None:
            return None
        table = self.table
        return tuple(table[n][0] for n in found[0]), data

    def _held(self, found: tuple | None, snapshot: "Snapshot") -> memoryview | bytes | None:
        """The bytes of the kept piece whose row is `found`, if all it read is unchanged;
        of a composed one, its parts joined, and None if one of them is not kept or no
        longer holds: then it was made again since, from other values than the ones this
        piece printed (an edit undone)."""
        if found is None or not self.holds(found[0], snapshot):
            return None
        data = memoryview(self.buffer)[found[1]:found[2]]
        if len(found) < 4:
            return data
        parts = []
        for part in marshal.loads(data):
            if type(part) is str:
                part = self._held(self.previous.get(part), snapshot)
                if part is None:
                    return None
            parts.append(part)
        return b"".join(parts)

    def holds(self, numbers: tuple, snapshot: "Snapshot") -> bool:
        """True if none of the pairs `numbers` names has changed in `snapshot`: each pair
        looked at once per build and process, when a piece that read it is asked for (a body
        edit at 10,000 articles asks for pieces reading a fifth of the 200,000 pairs kept;
        checking them all before the workers fork took 0.1 s)."""
        if self._checked is None or self._checked[0] is not snapshot:
            self._checked = (snapshot, {})
        checked, table, digest = self._checked[1], self.table, snapshot.digest
        for number in numbers:
            same = checked.get(number)
            if same is None:
                address, then = table[number]
                same = checked[number] = digest(address) == then
            if not same:
                return False
        return True

    def take(self, other: "Pieces") -> None:
        """Hold what `other` holds (the store read while this one was already in use)."""
        self.previous, self.table, self.buffer = other.previous, other.table, other.buffer
        self._checked = None

    def take_fresh(self) -> dict[str, tuple[tuple, bytes, bool]]:
        fresh, self.fresh = self.fresh, {}
        return fresh

    def forget(self) -> None:
        """Hold nothing any more (a page made later makes its fragments again)."""
        self.previous, self.table, self.buffer, self.fresh, self._checked = {}, [], b"", {}, None


_pieces: Pieces | None = None           # the build's, in this process and its forked workers


def use_pieces(pieces: Pieces | None) -> None:
    global _pieces
    _pieces = pieces


def pieces_in_use() -> bool:
    """Whether this build keeps fragments (not `check`, nor --no-cache)."""
    return _pieces is not None


def fresh_pieces() -> dict[str, tuple[tuple, bytes, bool]]:
    """Pieces made in this process since last asked (a worker hands them to the build)."""
    return _pieces.take_fresh() if _pieces is not None else {}


COMPOSED = 1             # the last field of a kept piece's row when its bytes are composed()
REFERENCED = 1 << 14     # a part this large is kept by its key in a piece made of it


def composed(chunks: list) -> bytes:
    """A piece as kept when it prints other kept pieces: its own text between them, and the
    keys of those of REFERENCED bytes or more ((key, bytes) in `chunks`), in marshal."""
    parts: list = []
    text: list = []
    for chunk in chunks:
        if type(chunk) is tuple and len(chunk[1]) >= REFERENCED:
            if text:
                parts.append(b"".join(text))
                text = []
            parts.append(chunk[0])
        else:
            text.append(chunk[1] if type(chunk) is tuple else chunk)
    if text:
        parts.append(b"".join(text))
    return marshal.dumps(parts)


def file_address(path) -> Address:
    """A file copied as it is (a theme's static file, an image of content/): its bytes."""
    return ("file", str(path))


def page_address(path: str) -> Address:
    """What planned the page itself (its template and the records it was planned with)."""
    return ("page", path)


def record_digests(graph, known: dict[int, tuple[object, str]]) -> dict[int, tuple[object, str]]:
    """The digest of every record of the linked graph (every frozen dataclass in its fields,
    by identity), as Snapshot.of gives it: those in `known` (kept from the last build with the
    records themselves, see cache.save_state) are not digested again. A record is immutable
    (frozen; the Markdown a one-shot build lets go of is outside its repr), so the digest of
    the same object is the same."""
    found: dict[int, tuple[object, str]] = {}
    seen: set[int] = set()

    def visit(value) -> None:
        kind = type(value)
        if kind is list or kind is tuple:
            for item in value:
                if type(item) is not str:
                    visit(item)
        elif kind is dict:
            for item in value.values():
                if type(item) is not str:
                    visit(item)
        elif hasattr(kind, "__dataclass_fields__") and id(value) not in seen:
            seen.add(id(value))
            kept = known.get(id(value))
            found[id(value)] = kept if kept is not None and kept[0] is value else \
                (value, _blake(repr(value)))

    for name in getattr(type(graph), "__dataclass_fields__", ()):
        visit(getattr(graph, name))
    return found


class Snapshot:
    """The value at every address in one build, digested when first asked for: the same
    digest in every process and run for the same value (reprs of frozen records, no hash
    randomisation), memoised by identity (the same records appear in thousands of pages);
    `known` gives the records' digests already made (record_digests)."""

    def __init__(self, graph, bodies, page_paths: list[str], planned: dict,
                 known: dict[int, tuple[object, str]] | None = None,
                 files: dict[str, str] | None = None):
        self.graph, self.bodies, self.page_paths = graph, bodies, page_paths
        self.planned = planned                    # output path -> its PageSpec
        self.files = files or {}                  # path -> file_digest, as the build read it
        self._digests: dict[Address, str | None] = {}
        self._memo: dict[int, tuple[object, str]] = dict(known or {})
        self._strings: dict[str, str] = {}
        # Set by changed_since: the graph's fields that are the very objects they were in
        # the last build, and that build's digests (by number) of the addresses under them.
        self._same: frozenset = frozenset()
        self._before: tuple = ({}, [])
        # Set by changed_since: for a dictionary of the graph made anew (an article added),
        # the keys whose values are not the very objects they were; under the others, as
        # under the fields in _same, every address keeps its last digest.
        self._changed_keys: dict[str, set] = {}

    def digest(self, address) -> str | None:
        found = self._digests.get(address, _ABSENT)
        if found is _ABSENT:
            try:
                found = self._kept(address) if address[0] == "dossier" and \
                    len(address) > 1 and self._unchanged(address) else None
                if found is None:
                    found = self._look_up(address)
            except (AttributeError, TypeError, ValueError, IndexError, OSError):  # changed
                found = None
            self._digests[address] = found
        return found

    def digests(self, addresses: tuple) -> list:
        """digest() of each of `addresses`, those made already looked up in C (a piece of
        the printable dossier reads thousands)."""
        found = list(map(self._digests.get, addresses))
        if None in found:
            found = [digest if digest is not None else self.digest(address)
                     for address, digest in zip(addresses, found)]
        return found

    def _unchanged(self, address) -> bool:
        """True if `address` (of the graph) is known to hold the very object it held in the
        last build (see changed_since)."""
        if address[1] in self._same:
            return True
        changed = self._changed_keys.get(address[1])
        return changed is not None and len(address) == 3 and address[2] not in changed

    def _kept(self, address) -> str | None:
        """The last build's digest of an address known to be unchanged (_unchanged), or
        None."""
        numbers, digests = self._before
        number = numbers.get(address)
        return digests[number] if number is not None and number < len(digests) else None

    def _look_up(self, address) -> str | None:
        kind = address[0]
        if kind == "dossier" and len(address) in (2, 3):
            value = getattr(self.graph, address[1], _ABSENT) \
                if not address[1].startswith("_") else _ABSENT
            if len(address) == 3:
                value = value.get(address[2], _ABSENT) if isinstance(value, dict) else _ABSENT
            return self.of(value)
        if kind == "page" and len(address) == 2:  # 20,000 at 10,000 articles
            return self._page(address[1])
        if kind == "body" and len(address) == 2:
            return self.bodies.key(address[1]) or ""
        if kind == "summary" and len(address) == 2:
            return self.of(self.bodies.summary(address[1]))
        if kind == "pages":
            return self.of(self.page_paths)
        if kind == "piece" and len(address) == 2:
            return ""                             # see piece_address
        if kind == "file" and len(address) == 2:  # digested by files.inputs_digest, or now
            return self.files.get(address[1]) or file_digest(Path(address[1]).read_bytes())
        return None                               # unknown: never equal to what was kept

    def _page(self, path: str) -> str:
        """The digest of what a page is planned from: its template and its own records."""
        spec = self.planned.get(path)
        producer, extra = (spec.template, spec.extra) if spec is not None else (None, {})
        if len(extra) == 1:                       # 20,000 pages, most with one record
            (name, value), = extra.items()
            return _blake(f"page:{producer}:{name}={self.of(value)}")
        return _blake(f"page:{producer}:" + ",".join(
            [f"{name}={self.of(value)}" for name, value in sorted(extra.items())]))

    def of(self, value) -> str:
        """Digest of a value."""
        kind = type(value)
        if kind is str:
            if len(value) > 48:                   # a text: seldom asked for twice
                return _blake(f"str:{value}")
            found = self._strings.get(value)      # a slug: thousands of times each
            if found is None:
                found = self._strings[value] = _blake(f"str:{value}")
            return found
        if kind is int or value is None or kind is bool:
            return _blake(f"{kind.__name__}:{value}")
        found = self._memo.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        if value is _ABSENT:
            data = "absent"
        elif kind is list or kind is tuple:
            if set(map(type, value)) <= _TEXT:    # slugs: their repr says them all, in C
                data = f"{kind.__name__}:{value!r}"
            else:                                 # records, mostly digested already
                memo, of = self._memo, self.of
                data = kind.__name__ + "(" + ",".join([
                    found[1] if (found := memo.get(id(item))) is not None and
                    found[0] is item else of(item) for item in value]) + ")"
        elif kind is dict:
            data = "dict(" + ",".join(f"{self.of(k)}:{self.of(v)}"
                                      for k, v in value.items()) + ")"
        else:
            data = repr(value)
        digest = _blake(data)
        self._memo[id(value)] = (value, digest)   # keeps `value` alive: its id is not reused
        return digest

    def changed_since(self, before, addresses: list, digests: list, numbers: dict
                      ) -> set[int]:
        """Numbers of `addresses` (numbered by `numbers`) whose digest is no longer the one
        in `digests`, which were made from the graph `before` (the last build's, as its
        state kept it; None when not known: then every address is digested). An address of
        the graph whose value here is the very object it was in `before` keeps its digest
        without being digested again: records and the graph's lists and dictionaries are
        never changed once linked (link_changed and relink make new ones, keeping those that
        did not change), so the same object is the same value. What a save changed is then
        all that is digested (a body edit at 10,000 articles: 0.3 s less)."""
        graph, known, stale = self.graph, self._digests, set()
        key_of = self.bodies.key
        fields = getattr(type(before), "__dataclass_fields__", {})
        # A field that is the very object it was (all of them after a text edit's relink):
        # every address under it keeps its digest, looked up only when a page asks (digest,
        # _kept), not put in `known` here (73,000 addresses at 10,000 articles).
        same = self._same = frozenset(name for name in fields if not name.startswith("_") and
                                      getattr(before, name) is getattr(graph, name, _ABSENT))
        self._before = (numbers, digests)
        # A dictionary made anew (an article added: the links of 10,000 articles in each of
        # seven): the keys whose values are not the very objects they were, found in one
        # pass; an address under another key keeps its digest, as under a field in `same`.
        self._changed_keys = {}
        for name in fields:
            then, now = getattr(before, name, None), getattr(graph, name, None)
            if name not in same and not name.startswith("_") and \
                    type(then) is dict and type(now) is dict:
                self._changed_keys[name] = _changed_keys(then, now)
        for number, (address, digest) in enumerate(zip(addresses, digests)):
            kind = address[0]
            if kind == "piece" and len(address) == 2:     # the same in every build
                if digest != "":
                    stale.add(number)
                continue
            if kind == "dossier" and len(address) in (2, 3) and address[1] in fields:
                if self._unchanged(address):
                    continue
            elif kind == "body" and len(address) == 2:    # 10,000 at 10,000 articles
                now = known[address] = key_of(address[1]) or ""
                if now != digest:
                    stale.add(number)
                continue
            elif kind == "summary" and len(address) == 2:
                # Made from the HTML its body's key stands for: the same while that key is
                # the one `digests` holds (10,000 summaries not digested again).
                body = numbers.get(("body", address[1]))
                if body is not None and digests[body] == (key_of(address[1]) or ""):
                    known[address] = digest
                    continue
            if self.digest(address) != digest:
                stale.add(number)
        return stale

    def unchanged(self, kept: dict) -> bool:
        """True if every address of `kept` ({address: digest}) still has its digest."""
        return all(self.digest(address) == digest for address, digest in kept.items())

    def record(self, reads) -> dict:
        """{address: digest} of what a page read."""
        return {address: self.digest(address) for address in reads}


def _changed_keys(before: dict, now: dict) -> set:
    """The keys of either dictionary under which `now` does not hold the very object
    `before` holds (a key in one only included)."""
    changed = {key for key, value in now.items() if before.get(key, _ABSENT) is not value}
    changed.update(key for key in before if key not in now)
    return changed


def _blake(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

"""The build cache: what a build keeps for the next, in memory (the preview server) and on
disk in `.dossier-cache/` (`build`, unless --no-cache). The one module that knows its format.

JSON, pickle or marshal (a dossier received from someone else must not be able to run code when
built: a pickle is decoded only once its signature, below, shows this user's own build wrote
it), each file tagged with the code version (render.code_version) and ignored when
the tag differs or the file cannot be read: a cache is a hint, the worst a bad one may cost
is doing the work again. And each file is signed with a key of this machine's user (an
HMAC-SHA256 of its bytes; the key in ~/.cache/dossier/key): a cache that came with a dossier, or
was edited, is not this machine's work and is ignored, so it can never put a title, a status
or HTML in a page that the Markdown does not give (the HTML in it is what this machine's
sanitiser made).

- records.json: parsed front matter, by a digest of each file's text;
- stamps.marshal: the digest of every file read, with its inode, size and times then
  (files.inputs_digest); build.marshal and outputs.marshal: what the last build read and
  wrote (pipeline.unchanged);
- bodies.index + bodies.html: converted Markdown (summary, problems, then the HTML raw),
  by body key (render.Renderer._body_key); links.marshal: what each text links to;
- pages.marshal: for every file of the site, what it read while it was made (depends.py), with
  the digest of each address then, and the size and time of the file written (only strings
  and numbers: marshal writes and reads them three and 1.5 times as fast as pickle); and
  pages-changes.marshal, what changed since it was written (PageCache.saved);
- state.pickle: the load stage's memory (files read, records validated, the last link and
  the Markdown sources of the bodies), so that the next build reads, validates and links
  only what changed, as the preview does between saves. A pickle (JSON would cost what it
  saves: rebuilding 10,000 records and their graph), unpickled only after its signature is
  checked, so only this user's own builds can have written it (as the pickle documentation
  advises: "consider signing data with hmac"); and state-changes.pickle, what changed since
  it when that is little (BuildCache._changes), naming the rest by its
  place in state.pickle;
- pieces.index + pieces.bin: fragments of pages and pieces of generated files (an article of
  the printable dossier, a timeline entry, a document of the search index: depends.Pieces),
  each with what it read and the digest of each; appended to by each build, written anew
  when superseded rows pile up (its index in marshal, like pages.marshal).
"""
from __future__ import annotations

import hmac
import json
import copy
import copyreg
import io
import marshal
import mmap
import operator
import os
import pickle
import secrets
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import astuple, dataclass, field, replace
from functools import partial
from itertools import chain, compress, count, islice
from pathlib import Path, PosixPath, WindowsPath
from typing import Callable, Iterable, Iterator

from filelock import FileLock, Timeout

from dossier.config import SiteConfig
from dossier.depends import COMPOSED, Pieces, Snapshot, is_tracked, record_digests
from dossier.link import Evidence, Linked
from dossier.frontmatter import Parsed
from dossier.load import Markdown, Unparsed, Unread
from dossier.markup import Texts
from dossier.pages import Planned
from dossier.problems import Problem
from dossier.render import Renderer, code_version
from dossier import files
from dossier.templating import theme_dirs

CACHE_DIR = ".dossier-cache"          # the one hidden folder a build may write besides its output


class Decoded:
    """The stores of a dossier's cache as a warm process (warm.py) holds them, decoded: each
    with the stamps (_stamp) its files had when it was read, and given to a build forked
    from that process only while they still have them. Since a store is only ever
    appended to or replaced by a new file (see _mapped), equal stamps are equal bytes: the
    build gets what it would have decoded itself, and changes only its own copy of it
    (a forked process's memory is its own once written)."""

    def __init__(self) -> None:
        self._held: dict[tuple, tuple] = {}

    def get(self, paths: tuple[Path, ...], read: Callable):
        stamps = _stamps(paths)
        held = self._held.get(paths)
        if held is not None and held[0] == stamps:
            return held[1]
        value = read()
        if None not in stamps and _stamps(paths) == stamps:   # not written meanwhile
            self._held[paths] = (stamps, value)
        else:
            self._held.pop(paths, None)
        return value


def _stamps(paths: tuple[Path, ...]) -> tuple:
    found = []
    for path in paths:
        try:
            found.append(_stamp(path))
        except OSError:
            found.append(None)
    return tuple(found)


# Set in a warm process only (warm.py), whose builds are forked from it.
DECODED: Decoded | None = None


def _machine_key() -> bytes:
    """This user's key for signing caches, made once (0600); a fresh one per process if it
    cannot be kept, which only means caches are not reused."""
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(home, "dossier", "key")
    try:
        with open(path, "rb") as file:
            key = file.read()
        if len(key) == 32:
            return key
    except OSError:
        pass
    key = secrets.token_bytes(32)
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        descriptor = os.open(path + f".{os.getpid()}", os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                             0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(key)
        os.replace(path + f".{os.getpid()}", path)
    except OSError:
        pass
    return key


_KEY: bytes | None = None
STORES_WAIT_S = 60          # how long a build waits for another writing the stores (save)


def _signer():
    global _KEY
    if _KEY is None:
        _KEY = _machine_key()
    # HMAC-SHA256: OpenSSL's, with the CPU's SHA instructions where it has them, checks the
    # 300 MB of stores at 10,000 articles in two thirds of a keyed BLAKE2's time.
    return hmac.new(_KEY, digestmod="sha256")


def _signature(*pieces: bytes) -> str:
    signer = _signer()
    for piece in pieces:
        signer.update(piece)
    return signer.hexdigest()


def _signed(data: bytes) -> bytes:
    return _signature(data).encode() + b"\n" + data


def _signs(tag, pieces) -> bool:
    """True if `tag` is this machine's signature of the `pieces` (bytes) put together."""
    return isinstance(tag, str) and hmac.compare_digest(tag, _signature(*pieces))


def _verified(data: bytes) -> memoryview | None:
    """The signed bytes (a view: the state is 34 MB at 10,000 articles, not copied), or
    None if they are not this machine's."""
    end = data.find(b"\n")
    rest = memoryview(data)[end + 1:]
    return rest if end >= 0 and _signs(data[:end].decode("ascii", "replace"), [rest]) \
        else None


def _segment(data: bytes, *fields) -> bytes:
    """A segment of a store's index (the bodies', the pieces'): a line (the signature of
    `data`, `fields`, its length), then `data` (marshal). See _segments."""
    return " ".join(map(str, (_signature(data), *fields, len(data)))).encode() + b"\n" + data


def _segments(index: bytes) -> Iterator[tuple[list[str], object, int]]:
    """(the line's other fields, the segment decoded, where the next starts) for each segment
    of a store's index, written by _segment, up to the first one cut short or not signed by
    this machine's user: decoded only once its signature is checked."""
    at = 0
    while at < len(index):
        line_end = index.find(b"\n", at)
        try:
            tag, *fields, length = index[at:line_end].decode("ascii").split(" ")
            data = index[line_end + 1:line_end + 1 + int(length)]
            if line_end < 0 or len(data) != int(length) or not _signs(tag, [data]):
                return
            segment = marshal.loads(data)
        except (ValueError, TypeError, EOFError, UnicodeDecodeError):
            return
        at = line_end + 1 + int(length)
        yield fields, segment, at


def _stamp(file: int | Path) -> str:
    """A store's device, inode, size, modification and change times (of an open file's
    descriptor, or a path). Its index signs the stamp its writer left it with, after the
    bytes of every segment were checked or written: the next build finding the same stamp
    has the same bytes and does not check their signatures again (with the bodies' store,
    420 MB at 10,000 articles: 0.3 s of processor time in every cached build). No program sets
    a change time, and a store is only appended to or replaced (see _mapped), by one build
    at a time (save), so any other write moves it, as git trusts its index's stamps."""
    info = os.fstat(file) if isinstance(file, int) else os.stat(file)
    return ":".join(map(str, files.stamp_of(info)))


def _stamped(segments: list, stamp_of: Callable[[object], object], stamp: str) -> bool:
    """True if the last of a store's index `segments` (as _segments gives them) signs the
    `stamp` its bytes have now: they are those its writer checked or wrote (see _stamp)."""
    try:
        return bool(segments) and stamp_of(segments[-1]) == stamp
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return False


@dataclass
class BuildCache:
    """What a long-lived process (the preview server) keeps between builds, so a rebuild
    reads, validates, converts and renders only what a change touches. Parsed front matter,
    converted Markdown and the digests of the pages written are also kept on disk between
    runs (CACHE_DIR) by `build`, unless --no-cache."""

    files: dict = field(default_factory=dict)        # path -> parsed file, by mtime and size
    records: dict = field(default_factory=dict)      # raw record -> typed record
    renderer: Renderer | None = None
    theme_key: tuple = ()
    folder: Path | None = None                       # the on-disk cache, when used
    pages: PageCache | None = None
    front: dict | None = None                        # parsed front matter by text digest
    front_saved: frozenset = frozenset()
    linked: Linked | None = None                     # the last link(), for relink()
    planned: Planned | None = None                   # the preview's last pages.plan
    pieces_at: dict | None = None                    # the piece store as read, to append to
    bodies_at: dict | None = None                    # the bodies' store as read, likewise
    kept_bodies: tuple | None = None                 # (settings, Bodies, layout) from state
    digests: dict = field(default_factory=dict)      # depends.record_digests, from state
    restored: bool = False                           # loaded from the last build's state
    base: dict | None = None                         # state.pickle as read (see save_state)
    # Which graph a state holds (a token made for each state saved): the one pages.marshal
    # was digested from, when it names the same; see PageCache.before.
    graph_before: tuple | None = None                # (token, the state's graph)
    graph_token: str | None = None                   # of the state this build saved
    # Around the decoding of a large store (the state, the page cache, the piece store):
    # the command line keeps the cyclic collector off while it runs and out of sight of
    # what it made afterwards, which lives to the end (collections of the million objects
    # just read: 0.3 s at 10,000 articles). An interpreter matter, kept at the edge.
    reading: Callable[[], AbstractContextManager] = nullcontext
    _saving: int | None = None                       # a child process writing the state
    _stamps: dict = field(default_factory=dict)      # as read from stamps.marshal
    _ahead: dict = field(default_factory=dict)       # store name -> Future (prefetch)
    _lent: bool = False                              # lent_pieces done (the preview)

    def renderer_for(self, config: SiteConfig) -> Renderer:
        """The previous renderer unless the configuration or a theme file changed."""
        # By content: an edit that keeps a file's size and time must not be missed.
        config = config.for_pages()
        key = (config, files.theme_digest(theme_dirs(config)))
        if self.renderer is None or key != self.theme_key:
            old, self.renderer, self.theme_key = self.renderer, Renderer(config), key
            if old is not None:
                self.renderer.html, self.renderer.bodies = old.html, old.bodies
                self.renderer.links = old.links
            else:
                self._read_bodies(self.renderer)
                kept, self.kept_bodies = self.kept_bodies, None
                # Kept bodies are patched, not made again: each must be in the store (a
                # failed build keeps its state, not the bodies it converted).
                if kept is not None and kept[0] == repr(config) and all(
                        key in self.renderer.bodies for key in kept[1].keys.values()):
                    self.renderer._last_bodies = kept[1]
                    kept[1].html = self.renderer.html
        return self.renderer

    def prefetch(self, pieces: bool) -> None:
        """Start reading the converted bodies (and the piece store, if `pieces`) in a thread
        while this one reads the state: reading 300 MB and checking its signatures (0.4 s at
        10,000 articles) mostly waits on the disk or runs in hashlib, which let go of the
        interpreter's lock, so both cores work. Taken by _read_bodies and page_cache. Not in
        a long-lived process's later builds (the preview's): it holds them already."""
        self.finish()
        if self.folder is None or self.files or self.renderer is not None:
            return
        _signer()                       # the key made (or read) once, by this thread
        pool = ThreadPoolExecutor(1, thread_name_prefix="dossier-cache")
        self._ahead["bodies"] = pool.submit(self._read_texts)
        if pieces:
            self._ahead["pieces"] = pool.submit(self._read_pieces)
        pool.shutdown(wait=False)

    def _taken(self, name: str, read: Callable):
        """What prefetch started reading, or read now."""
        ahead = self._ahead.pop(name, None)
        return ahead.result() if ahead is not None else read()

    def _wait_for_prefetch(self) -> None:
        """Before forking: a child must not start with a thread half way through a read."""
        wait(list(self._ahead.values()))

    def restore_state(self, content: Path, digests: dict[Path, str] | None = None) -> None:
        """The memory of the last build that saved its state (save_state), if this machine
        made it with this code: a file whose bytes are the same as then (`digests`, by
        path: files.file_digest of each content file now; read here if not given) is not read
        again, nor its record validated, and an unchanged graph is not linked again. By
        content, not by file times: a save may keep a file's size and times (within one tick
        of a file system's clock, or a program setting them back). Anything else (none saved,
        damaged, another machine's or code's) leaves the cache empty: a cache is a hint."""
        if self.folder is None or self.files:
            return
        state = self._read_state()
        if state is None:
            return
        if digests is None:     # the preview's first build: by the stamps the last build left
            digests = files.inputs_digest(content.parent, content, [], "",
                                          self.input_stamps()).files
        self.restored = True
        self.files = {path: entry for path, entry in state["files"].items()
                      if entry[1] is not None and entry[1].parsed.digest and
                      digests.get(path) == entry[1].parsed.digest}
        self.records = {id(hit[0]): hit for hit in state["records"]}
        self.linked = state["linked"]
        if self.linked is not None and state.get("evidence"):
            self.linked = replace(self.linked, evidence=partial(
                self._read_evidence, state["evidence"]))
        self.graph_before = (state.get("token"), self.linked.dossier) \
            if self.linked is not None else None
        self.kept_bodies = state["bodies"]
        self.digests = {id(pair[0]): pair for pair in state["digests"]}

    def _read_state(self) -> dict | None:
        """The last state saved: state.pickle (kept as `base`), and what changed since, if
        saved after it (see _changes)."""
        state = self.base = self._load("state")
        if state is None:
            return None
        return self._load("state-changes", loads=partial(_read_changes, state)) or state

    def save_state(self, config: SiteConfig) -> None:
        """Keep the load stage's memory for the next build (see restore_state): as what
        changed since the state it read when that is little (_changes), else whole."""
        if self.folder is None:
            return
        self.graph_token = secrets.token_hex(16)
        changes = self._changes()
        if changes is None:
            # The base of the changes the next build saves, once it reads it.
            self.base = None
            (self.folder / "state-changes.pickle").unlink(missing_ok=True)
            # A clean build writes it itself: a child's copies of the pages it touches
            # would count against the memory of a build that also forks its workers.
            self._write_state(lambda: self._dump("state", self._state(config), _StatePickler),
                              aside=self.restored)
        else:
            # A text edit's changes (0.04 s at 10,000 articles) are written here; the
            # evidence written again with them (an article added, removed, its references
            # edited: 0.3 s) aside.
            evidence_changed = self.linked.evidence is not None and \
                self._read_by_place(self.linked) is None
            self._write_state(changes, aside=evidence_changed)
        # Pages find the digest of a record here (depends.Snapshot): those of the restored
        # state's records, or all of them once worked out here; one new since the last
        # build is digested when a page reads it.
        if self.renderer is not None:
            self.renderer.record_digests = self.digests

    def _write_state(self, write: Callable[[], None], aside: bool) -> None:
        """Run `write`, here or, `aside`, in a child process while this one renders and
        writes (the whole state: 0.7 s of a processor at 10,000 articles): a one-shot
        build has no threads, and a child shares its memory until it writes."""
        if not aside or not hasattr(os, "fork"):
            write()
            return
        self.finish_saving()
        # Not waiting for the thread still reading the piece store (prefetch: 0.2 s of a
        # body edit at 10,000 articles). The child uses nothing of it, and it holds no lock
        # the child needs: at the fork it either waits for the interpreter's lock, which
        # this thread holds, or runs without it in a read or in hashlib's update of its own
        # signer, which locks only that object.
        pid = os.fork()
        if pid == 0:                         # the child: write, then leave at once
            code = 1
            try:
                write()
                code = 0
            finally:
                os._exit(code)
        self._saving = pid

    def _changes(self) -> Callable[[], None] | None:
        """What writes the state as what changed since the state read (self.base), beside
        it, when that is little: one file's record, the graph's lists and dictionaries that
        changed (a record of the base named by its place there), the evidence if it changed;
        the rest is the base's, named as such. None when there is no base, or when more
        files changed, or more articles are new objects (a whole link()), than an eighth of
        the files or 1,000: the whole state is then written, and is the next base (below
        1,000, changes may name nothing of the base: as large as the state, and as right).
        Writing the whole state takes a second process half a second of a processor at
        10,000 articles, which the build then competes with on a two-core machine (0.2 s of
        a body edit's 1.9 s). The next build reads both (restore_state, 0.013 s more)."""
        base, linked = self.base, self.linked
        if base is None or base.get("linked") is None or linked is None:
            return None
        files = {path: entry for path, entry in self.files.items() if isinstance(path, Path)}
        differing, gone = _differences(base["files"], files)
        changed = {path: (*entry[:3], None) for path, entry in differing}
        limit = max(1000, len(base["files"]) // 8)
        # (in C: 40,000 records at 10,000 articles)
        places = dict(zip(map(id, map(operator.itemgetter(0), base["digests"])), count()))
        if len(changed) > limit or len(linked.articles) - sum(
                map(places.__contains__, map(id, linked.articles))) > limit:
            return None

        def write() -> None:
            evidence = self._save_evidence(linked) if linked.evidence is not None else None
            known = {id(hit[0]) for hit in base["records"]}
            out = io.BytesIO()
            _ChangesPickler(out, pickle.HIGHEST_PROTOCOL, base, places).dump({
                "files": (changed, gone, None),
                "records": ([hit for key, hit in self.records.items() if key not in known],
                            [i for i, hit in enumerate(base["records"])
                             if id(hit[0]) not in self.records]),
                "linked": replace(linked, evidence=None), "bodies": self._kept_bodies(),
                "evidence": evidence, "token": self.graph_token})
            self._dump("state-changes", {"base": base["token"], "changes": out.getvalue()})
        return write

    def _kept_bodies(self) -> tuple | None:
        """(settings, the converted bodies without their HTML), as the state keeps them."""
        renderer = self.renderer
        if renderer is None or renderer._last_bodies is None:
            return None
        bodies = copy.copy(renderer._last_bodies)
        bodies.html = None              # the converted HTML has its own store (bodies.*)
        return repr(renderer.config), bodies

    def _state(self, config: SiteConfig) -> dict:
        files = {path: (*entry[:3], None) for path, entry in self.files.items()
                 if isinstance(path, Path)}
        bodies = self._kept_bodies()
        # The digest of each record of the graph, made once, kept with the records: what
        # pages read is digested again only where it is a new object.
        digests = self.digests = record_digests(
            self.linked.dossier, self.digests) if self.linked is not None else {}
        linked, evidence = self.linked, None
        if linked is not None and linked.evidence is not None:
            linked, evidence = replace(linked, evidence=None), self._save_evidence(linked)
        return {"files": files, "records": list(self.records.values()),
                "linked": linked, "evidence": evidence, "bodies": bodies,
                "digests": list(digests.values()), "token": self.graph_token}

    def _save_evidence(self, linked: Linked) -> str:
        """The id of evidence.pickle holding `linked`'s evidence, written unless it is the
        one read by place (a text edit's relink leaves it unread: link.Linked.evidence).
        Apart from the state: a build that changes no article's references reads neither."""
        kept, ident = linked.evidence, self._read_by_place(linked)
        if ident is not None:
            return ident
        ident = secrets.token_hex(16)
        self._dump("evidence", (ident, _layout(linked), kept),
                   partial(_EvidencePickler, placeable=_placeable(linked)))
        return ident

    def _read_by_place(self, linked: Linked) -> str | None:
        """The id of the evidence `linked` holds, if it is the one saved, still to be read
        by place (see _read_evidence); None if it is another."""
        kept = linked.evidence
        return kept.args[0] if isinstance(kept, partial) and \
            kept.func == self._read_evidence else None

    def _read_evidence(self, ident: str, last: Linked) -> Evidence | None:
        """The evidence saved with id `ident` (see _save_evidence), its places resolved in
        `last`; None if evidence.pickle is another's or `last` is laid out otherwise."""
        saved = self._load("evidence", loads=lambda data: _EvidenceUnpickler(
            io.BytesIO(data), last).load())
        if not isinstance(saved, tuple) or saved[0] != ident or saved[1] != _layout(last):
            return None
        return saved[2]

    def finish(self) -> None:
        """At the end of a build: nothing of it still being read or written."""
        self.finish_saving()
        self._wait_for_prefetch()
        self._ahead.clear()
        self.graph_before = None            # (the preview's builds have no page cache)

    def finish_saving(self) -> None:
        """Wait for the state being written by a child process (save_state), if any."""
        if self._saving is not None:
            pid, self._saving = self._saving, None
            os.waitpid(pid, 0)

    def _load(self, name: str, kind: str = "pickle", loads: Callable | None = None):
        """NAME.pickle (or NAME.marshal) if this machine's user wrote it with this code (else
        None): decoded only once its signature is checked, so never one that came with a
        dossier. As a warm process holds it, if it does (Decoded)."""
        if DECODED is not None and loads is None and self.folder is not None:
            return DECODED.get((self.folder / f"{name}.{kind}",),
                               partial(self._decode, name, kind, None))
        return self._decode(name, kind, loads)

    def _decode(self, name: str, kind: str, loads: Callable | None):
        try:
            with open(self.folder / f"{name}.{kind}", "rb") as file:
                data = _verified(file.read())
        except OSError:
            return None
        if data is None:
            return None
        version = code_version().encode() + b"\n"
        if data[:len(version)] != version:
            return None
        data = data[len(version):]
        try:
            with self.reading():
                return (loads or (marshal if kind == "marshal" else pickle).loads)(data)
        except Exception:       # written by this code and signed: only a bug or a cut file
            return None

    def _dump(self, name: str, value, pickler=pickle.Pickler, kind: str = "pickle") -> None:
        """NAME.pickle, or NAME.marshal (strings and numbers only), signed (see _load)."""
        out = io.BytesIO()
        out.write(code_version().encode() + b"\n")
        if kind == "marshal":
            out.write(marshal.dumps(value))
        else:
            pickler(out, pickle.HIGHEST_PROTOCOL).dump(value)
        self.folder.mkdir(exist_ok=True)
        path = self.folder / f"{name}.{kind}"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(_signed(out.getbuffer()))
        temporary.replace(path)

    def _read_bodies(self, renderer: Renderer) -> None:
        """Converted bodies (bodies.index + bodies.html, see _read_texts): a row per body
        (key, summary, problems, bytes of HTML) and the HTML in one buffer."""
        found = self._taken("bodies", self._read_texts)
        if found is None:
            return
        rows, buffer, spans = found
        try:
            bodies = {key: (summary, [Problem(*p) for p in problems])
                      for key, summary, problems, _ in rows}
            located = {row[0]: span for row, span in zip(rows, spans)}
        except (TypeError, ValueError):
            self.bodies_at = None
            return
        renderer.html, renderer.bodies = Texts(buffer, located), bodies
        # What each text links to (see Renderer._body_key): a pure function of the text key,
        # so any entry read back is right for this code.
        links = self._load("links", "marshal")
        renderer.links = links if type(links) is dict else {}

    def _read_texts(self) -> tuple[list, memoryview, list] | None:
        """The bodies' store (_decode_texts), as a warm process holds it if it does."""
        return self._held(("bodies.index", "bodies.html"), self._decode_texts, "bodies_at")

    def _held(self, names: tuple[str, ...], decode: Callable, where: str):
        """decode() of the store in the files `names`, or what a warm process holds of it
        (Decoded); and self.`where` (where a build appends to the store) as decode() left
        it."""
        if DECODED is None or self.folder is None:
            return decode()
        found, at = DECODED.get(tuple(self.folder / name for name in names),
                                lambda: (decode(), getattr(self, where)))
        setattr(self, where, at)
        return found

    def _decode_texts(self) -> tuple[list, memoryview, list] | None:
        """bodies.index: a header line, then segments, each a line (the signature of its rows,
        that of their bytes, how many bytes, the stamp bodies.html was left with (_stamp),
        how long its rows are) and its rows, in marshal
        (key, summary, problems, size of its bytes: one decoding per segment, not one per
        text); bodies.html: an id line, then the bytes of every text, segment after segment,
        read in one piece (no HTML goes through a decoder). A build appends a segment
        with the texts it converted (rewriting 66 MB for one changed body took 0.25 s at
        10,000 articles); a later row for a key wins. The id, in both, tells a pair written
        together; a segment cut short, or not this machine's, ends the reading (the next save
        cuts it off). -> (rows, buffer, spans), and self.bodies_at says where to append."""
        self.bodies_at = None
        if self.folder is None:
            return None
        try:
            with open(self.folder / "bodies.index", "rb") as index, \
                    open(self.folder / "bodies.html", "rb") as data:
                head = index.readline()
                written = data.readline().rstrip(b"\n").decode()
                if json.loads(head or "null") != {"version": code_version(), "id": written}:
                    return None
                rest = index.read()
                at_html = data.tell()
                stamp = _stamp(data.fileno())
                buffer = memoryview(_mapped(data))[at_html:]
        except (OSError, ValueError, TypeError, AttributeError):
            return None
        rows, spans, start, at = [], [], 0, 0
        segments = list(_segments(rest))
        trusted = _stamped(segments, lambda last: last[0][2], stamp)
        for fields, found, end in segments:
            try:
                html, size, _ = fields
                size = int(size)
                if start + size > len(buffer) or \
                        not (trusted or _signs(html, [buffer[start:start + size]])) or \
                        sum(row[-1] for row in found) != size:
                    break
            except (ValueError, TypeError, IndexError):
                break
            for row in found:
                spans.append((start, start + row[-1]))
                start += row[-1]
            rows += found
            at = end
        buffer = buffer[:start]            # not the bytes of a segment cut short
        self.bodies_at = {"keys": {row[0] for row in rows}, "id": written, "rows": len(rows),
                          "html_end": at_html + start, "lines_end": len(head) + at}
        return rows, buffer, spans

    def _save_bodies(self) -> None:
        """Append the texts converted since the store was read (see _read_texts); or write
        the store anew when superseded rows are as many as the live ones, or none was read."""
        texts, bodies, at = self.renderer.html, self.renderer.bodies, self.bodies_at
        live = bodies.keys()
        if at is not None and at["rows"] <= 2 * len(live):
            new = sorted(live - at["keys"])
            if not new:
                return
            self._append_texts(at, [(key, texts.raw(key)) for key in new])
        else:
            self._write_texts([(key, texts.raw(key)) for key in sorted(live)])

    def _bodies_segment(self, rows: list[tuple[str, memoryview]]
                        ) -> tuple[Callable[[str], bytes], list[bytes]]:
        """(a segment of the bodies store's index, its line included, once given the stamp
        bodies.html is left with; its bytes)."""
        found, data = [], []
        for key, raw in rows:
            summary, problems = self.renderer.bodies[key]
            found.append((key, summary, [astuple(p) for p in problems], len(raw)))
            data.append(raw)
        return partial(_segment, marshal.dumps(found), _signature(*data),
                       sum(map(len, data))), data

    def _write_texts(self, rows: list[tuple[str, memoryview]]) -> None:
        """The whole store, one segment, in place of the last."""
        written = secrets.token_hex(16)
        index, data = self.folder / "bodies.index", self.folder / "bodies.html"
        temporary = {path: path.with_name(path.name + ".tmp") for path in (index, data)}
        segment, texts = self._bodies_segment(rows)
        with open(temporary[data], "wb") as out:
            out.write(written.encode() + b"\n")
            out.writelines(texts)
        temporary[data].replace(data)
        # Then the index, signing the stamp the bytes were left with (see _stamp); left
        # between the two, the ids differ and the store is not read back.
        with open(temporary[index], "wb") as out:
            out.write(json.dumps({"version": code_version(), "id": written}).encode() + b"\n")
            out.write(segment(_stamp(data)))
        temporary[index].replace(index)
        self.bodies_at = None

    def _append_texts(self, at: dict, rows: list[tuple[str, memoryview]]) -> None:
        """A segment added to the store as read: the bytes first, then the rows that sign
        them (cut short between the two, the segment is not read back)."""
        segment, texts = self._bodies_segment(rows)
        try:
            # Appended to, never cut short in place (see _mapped): a segment cut short
            # means writing the store anew.
            with open(self.folder / "bodies.html", "r+b") as out:
                if out.readline().rstrip(b"\n").decode() != at["id"]:
                    raise OSError("written anew since it was read")
                if os.fstat(out.fileno()).st_size != at["html_end"]:
                    raise OSError("a segment cut short")
                out.seek(at["html_end"])
                out.writelines(texts)
            with open(self.folder / "bodies.index", "r+b") as out:
                out.truncate(at["lines_end"])
                out.seek(at["lines_end"])
                out.write(segment(_stamp(self.folder / "bodies.html")))
        except (OSError, UnicodeDecodeError):
            self._write_texts([(key, self.renderer.html.raw(key))
                               for key in sorted(self.renderer.bodies)])
        self.bodies_at = None

    def front_matter(self) -> dict | None:
        """Parsed front matter of the last run, for a first build (later builds of a long-lived
        process have `files`)."""
        if self.folder is not None and self.front is None and not self.files:
            self.front = self._read("records")
            self.front_saved = frozenset(self.front)
        return self.front

    def save_front_matter(self, write: bool) -> None:
        """Saved (by a build that writes) as soon as read, since it is right whatever the
        build's outcome, then dropped: the records hold what they need."""
        if write and self.front is not None and self.front.keys() != self.front_saved:
            self._write("records", self.front)
        self.front, self.front_saved = None, frozenset()

    def input_stamps(self) -> files.Stamps:
        """What files.inputs_digest recorded last time (see there), if this machine's user
        wrote it: a received dossier's stamps are ignored, so its files are all read."""
        found = self._load("stamps", "marshal") if self.folder is not None else None
        self._stamps = found if isinstance(found, dict) else {}
        return self._stamps

    def save_input_stamps(self, stamps: files.Stamps) -> None:
        if self.folder is not None and stamps != self._stamps:
            self._dump("stamps", stamps, kind="marshal")
            self._stamps = stamps
            (self.folder / "stamps.json").unlink(missing_ok=True)     # earlier versions'

    def last_build(self) -> dict:
        """What the last successful build of this folder read (see unchanged): the digest of
        its inputs, its output folder, page count and problems. What it wrote is in a file
        of its own (last_outputs), read only when the inputs are the same: 1.8 MB at 10,000
        articles, of no use to a build with changes."""
        found = self._load("build", "marshal") if self.folder is not None else None
        return found if isinstance(found, dict) else {}

    def last_outputs(self, last: dict) -> dict[str, list] | None:
        """The size and time of each file the `last` build left in its output, if saved
        with it (the same token)."""
        found = self._load("outputs", "marshal")
        if not isinstance(found, dict) or found.get("token") != last.get("token"):
            return None
        return found.get("outputs")

    def save_build(self, inputs: str, output_dir: Path, paths: list[str], pages: int,
                   problems: list[Problem]) -> None:
        """Record a successful build: the digest of its inputs, the size and time of each
        file it left in `output_dir` (as the page cache saw them, else read now), its page
        count and its problems (to say them again)."""
        outputs, known = {}, self.pages.current if self.pages is not None else {}
        for path in paths:
            entry = known.get(path)
            if entry is not None:
                outputs[path] = [entry[1], entry[2]]
                continue
            try:
                stat = os.stat(output_dir / path)
            except OSError:
                return
            outputs[path] = [stat.st_size, stat.st_mtime_ns]
        token = secrets.token_hex(16)        # the two files, only as written together
        self._dump("outputs", {"token": token, "outputs": outputs}, kind="marshal")
        self._dump("build", {"inputs": inputs, "output": str(output_dir), "pages": pages,
                             "problems": [astuple(p) for p in problems], "token": token},
                   kind="marshal")
        (self.folder / "build.json").unlink(missing_ok=True)             # earlier versions'

    def page_cache(self, renderer: Renderer) -> PageCache | None:
        """What each file of the last build read, and the fragments and pieces kept (given
        to `renderer`, see depends.Pieces), when made by this code and theme."""
        if self.folder is None:
            return None
        with self.reading():
            self.pages = PageCache.from_saved(
                renderer.salt, self._load("pages", "marshal") or {},
                self._load("pages-changes", "marshal") or {}, self.graph_before,
                self.graph_token)
        self.graph_before = None
        kept = renderer.pieces = Pieces()

        def ready() -> None:
            """The piece store, once read, in `kept`: called before any page is made (by
            write, after the stale check, which needs none of it: the thread reading it
            finishes meanwhile), in this process, before its workers fork."""
            with self.reading():
                salt, pieces = self._taken("pieces", self._read_pieces)
            if salt == renderer.salt:
                kept.take(pieces)
            else:
                self.pieces_at = None
        self.pages.ready = ready
        return self.pages

    @contextmanager
    def lent_pieces(self, renderer: Renderer, lend: bool) -> Iterator[None]:
        """With `lend`, the fragments the last build kept, for the preview's first build
        only: it makes one page of each template at once (the printable dossier, the
        timeline: 13 of the 17 s it took to start at 10,000 articles). Given back once those
        are made: the store is 226 MB at 10,000 articles, and a later save makes only what it
        changed (checking the whole store would cost it 0.1 to 0.5 s); a page made later
        from this build makes its fragments again."""
        lent = None
        if lend and self.folder is not None and not self._lent:
            self._lent = True
            salt, pieces = self._read_pieces()
            if salt == renderer.salt:
                lent = renderer.pieces = pieces
        try:
            yield
        finally:
            if lent is not None:
                lent.forget()
                renderer.pieces = None

    def _read_pieces(self) -> tuple[str | None, Pieces]:
        """The piece store (_decode_pieces), as a warm process holds it if it does."""
        return self._held(("pieces.index", "pieces.bin"), self._decode_pieces, "pieces_at")

    def read_stores(self) -> None:
        """Read every store a cached build reads (a warm process's, to hold: see Decoded)."""
        for name, kind in (("state", "pickle"), ("links", "marshal"), ("stamps", "marshal"),
                           ("build", "marshal"), ("outputs", "marshal"), ("pages", "marshal"),
                           ("pages-changes", "marshal")):
            self._load(name, kind)
        self._read_texts()
        self._read_pieces()

    def _decode_pieces(self) -> tuple[str | None, Pieces]:
        """pieces.index: a header line (code version, salt), then a segment per build that
        made pieces: a line with its signature and its length, then the segment (in marshal,
        as it holds strings and numbers only): where its bytes start in pieces.bin and how many,
        the (address, digest) pairs it adds to the table, the highest number its rows use,
        and its rows: key -> (the piece's pairs by number, where its bytes start and end in
        pieces.bin). A later row for a key wins. A segment that is cut short or
        not this machine's ends the reading: what follows would number pairs it does not
        have. Each segment is decoded only once its signature is checked."""
        self.pieces_at = None
        pieces = Pieces()
        try:
            with open(self.folder / "pieces.index", "rb") as index:
                header = json.loads(index.readline() or b"null")
                if not isinstance(header, dict) or header.get("version") != code_version():
                    return None, pieces
                salt = header.get("salt")
                rest = index.read()
            with open(self.folder / "pieces.bin", "rb") as data:
                stamp = _stamp(data.fileno())
                buffer = _mapped(data)
        except (OSError, ValueError, TypeError):
            return None, pieces
        table, previous, rows, end, read, at_byte, base = [], {}, 0, 0, 0, 0, 0
        segments = list(_segments(rest))
        trusted = _stamped(segments, lambda last: last[1]["stamp"], stamp)
        for _, segment, segment_end in segments:
            try:
                start, size = segment["start"], segment["size"]
                if start != end or start + size > len(buffer) or not (trusted or _signs(
                        segment["data"], [memoryview(buffer)[start:start + size]])):
                    break
                table += segment["pairs"]
                if segment["top"] >= len(table):
                    break                               # rows of another table
                previous.update(segment["rows"])        # made by marshal: 0.15 s less
            except (ValueError, TypeError, KeyError, IndexError):
                break
            rows, end, read = rows + len(segment["rows"]), start + size, read + 1
            base, at_byte = segment.get("base", 0), segment_end
        if at_byte == len(rest):          # else written anew by the next save
            self.pieces_at = {"numbers": dict(zip(table, range(len(table)))),
                              "end": end, "rows": rows, "segments": read, "base": base}
        return salt, Pieces(previous, buffer, table)

    def _save_pieces(self, pieces: Pieces, fresh: dict, snapshot: Snapshot) -> None:
        """Append this build's new pieces as a segment; or, when the store has gathered as
        many superseded rows as live ones, twice the bytes a rewrite would keep, or many
        segments, write it anew with the pieces that still hold and that pages still print
        (_kept_pieces). Pieces that read an address that cannot be kept (_plain) are not."""
        # In C but for the digests not made yet (an added article's 40 pieces read 36,000
        # addresses), in the order read: the store is a cache, whose order is no rule (a
        # page's reads are numbered in theirs too).
        made = {key: tuple(zip(reads, snapshot.digests(reads)))
                for key, (reads, *_) in fresh.items()
                if set(map(type, chain.from_iterable(reads))) <= _PLAIN_PARTS}
        at = self.pieces_at
        if at is not None and not made:
            return
        rows_live = len(pieces.previous.keys() | made.keys())
        store, index_path = self.folder / "pieces.bin", self.folder / "pieces.index"
        # The pieces a rewrite would keep: those that still hold and that a page of the site
        # now prints (directly, or inside another piece it prints: depends.piece_address).
        # Worked out when the store has grown to twice what was kept when last looked (0.05
        # s at 10,000 articles), not by every build.
        kept, base = None, at["base"] if at is not None else 0
        if at is not None and at["end"] > 2 * base:
            kept = self._kept_pieces(pieces, made, fresh, snapshot)
            base = sum(len(raw) for _, raw, _ in kept.values())
        if at is None or at["segments"] >= 64 or at["rows"] + len(made) > 2 * rows_live or \
                _size(store) != at["end"] or (kept is not None and at["end"] > 2 * base):
            if kept is None:
                kept = self._kept_pieces(pieces, made, fresh, snapshot)
            base = sum(len(raw) for _, raw, _ in kept.values())
            at, mode = {"numbers": {}, "end": 0, "rows": 0, "segments": 0}, "w"
        else:
            kept, mode = {key: (pairs, *fresh[key][1:]) for key, pairs in made.items()}, "a"
        numbers, new_pairs, rows, data, position = at["numbers"], [], {}, [], at["end"]
        for key, (pairs, raw, composed) in sorted(kept.items()):
            row = list(map(numbers.get, pairs))         # in C: most are numbered already
            if None in row:
                for i, pair in enumerate(pairs):
                    if row[i] is None:
                        row[i] = numbers.get(pair)      # (a pair twice in one row)
                        if row[i] is None:
                            row[i] = numbers[pair] = len(numbers)
                            new_pairs.append(pair)
            rows[key] = (tuple(row), position, position + len(raw),
                         *((COMPOSED,) if composed else ()))
            position += len(raw)
            data.append(raw)
        # Written and signed piece by piece: joined, they would be held twice (the first
        # cached build of 10,000 articles makes 240 MB of them).
        # Appended to, or written beside and renamed over: never cut short or overwritten
        # in place, which a build that mapped it (_mapped) would see change under it.
        new = {path: path.with_name(path.name + ".tmp") if mode == "w" else path
               for path in (store, index_path)}
        with open(new[store], mode + "b") as out:
            out.writelines(data)
        if mode == "w":
            new[store].replace(store)
        # Then the index, signing the stamp the bytes were left with (see _stamp); left
        # between the two, the old index's signatures do not match the new bytes.
        body = marshal.dumps({"start": at["end"], "size": position - at["end"],
                              "pairs": new_pairs, "top": len(numbers) - 1, "rows": rows,
                              "data": _signature(*data), "base": base,
                              "stamp": _stamp(store)})
        with open(new[index_path], mode + "b") as index:
            if mode == "w":
                index.write(json.dumps({"version": code_version(),
                                        "salt": self.pages.salt}).encode() + b"\n")
            index.write(_segment(body))
        if mode == "w":
            new[index_path].replace(index_path)
        (self.folder / "pieces.jsonl").unlink(missing_ok=True)    # earlier versions'

    def _kept_pieces(self, pieces: Pieces, made: dict, fresh: dict, snapshot: Snapshot
                     ) -> dict[str, tuple[tuple, memoryview | bytes, bool]]:
        """key -> (pairs read, bytes, composed?) of the pieces a store written anew keeps:
        those that still hold and, if tracked (depends.piece_address), that the pages of
        this site print (see _save_pieces). A piece is keyed by the values it is given: one
        given values that have since changed (a block of articles, one of them edited) would
        hold for ever, and be kept for ever, though nothing asks for it any more. (A piece
        composed of others names them among its reads: they are kept with it.)"""
        live = self.pages.pieces_in_use() if self.pages is not None else None
        table = pieces.table
        # Views of the store read, not copies: it is written anew beside and renamed over,
        # so the file mapped stays as it is until this build lets go of it.
        store_read = memoryview(pieces.buffer)
        kept = {key: (tuple(table[n] for n in numbers), store_read[a:b], bool(composed))
                for key, (numbers, a, b, *composed) in pieces.previous.items()
                if key not in made and (live is None or key in live or not is_tracked(key))
                and pieces.holds(numbers, snapshot)}
        kept.update((key, (pairs, *fresh[key][1:])) for key, pairs in made.items()
                    if live is None or key in live or not is_tracked(key))
        return kept

    def _read(self, name: str) -> dict:
        """NAME.json if this machine's user wrote it with this code. Anything unreadable or
        written by other code is simply ignored."""
        path = self.folder / f"{name}.json" if self.folder else None
        if path is None or not path.is_file():
            return {}
        try:
            signed = _verified(path.read_bytes())
            data = json.loads(bytes(signed)) if signed is not None else {}
            value = data[name] if data.get("version") == code_version() else {}
            return value if isinstance(value, dict) else {}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return {}

    def save(self) -> None:
        if self.folder is None or self.renderer is None:
            return
        self.folder.mkdir(exist_ok=True)
        # One build at a time writes the stores. Two builds of a dossier into two output
        # folders would each append where it read the end, one over the other's bytes, and
        # the stamp signed last would vouch for bytes the other wrote (see _stamp). Waited
        # for (a store's writes take a second at most), or, held for a minute (a build
        # stopped, not killed: a killed one lets go), not written this time: a cache is a
        # hint, and what this build made is made again when asked for.
        try:
            with FileLock(str(self.folder / "stores.lock"), timeout=STORES_WAIT_S):
                self._save_stores()
        except Timeout:
            pass                        # not written this time (above)
        if self.pages is not None:
            base, changes = self.pages.saved(self.renderer.snapshot)
            if base is not None:        # written first: changes name the base they follow
                self._dump("pages", base, kind="marshal")
            self._dump("pages-changes", changes, kind="marshal")
            for old in ("pages.json", "pages.pickle"):               # earlier versions'
                (self.folder / old).unlink(missing_ok=True)

    def _save_stores(self) -> None:
        """The converted bodies (and what each links to) if they changed, and the pieces."""
        index, html = self.folder / "bodies.index", self.folder / "bodies.html"
        if self.renderer.bodies_changed or not index.is_file() or not html.is_file():
            self._save_bodies()
            self._dump("links", self.renderer.links, kind="marshal")
            for old in ("bodies.json", "bodies.jsonl", "links.json"):     # earlier versions'
                (self.folder / old).unlink(missing_ok=True)
        if self.pages is not None:
            self._save_pieces(self.renderer.pieces, self.pages.made_pieces,
                              self.renderer.snapshot)

    def _write(self, name: str, value) -> None:
        self.folder.mkdir(exist_ok=True)
        path = self.folder / f"{name}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(_signed(json.dumps({"version": code_version(), name: value},
                                                 ensure_ascii=False).encode()))
        temporary.replace(path)



def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _mapped(file) -> bytes | mmap.mmap:
    """The bytes of a store of the cache (an open file, read from its start), mapped rather
    than read where the system can: a copy of the piece store (231 MB at 10,000 articles) is
    56,000 pages of memory to fault in and fill, where a mapping shares the system's own
    cache of the file. Safe because a store is only ever appended to or replaced (a new file
    renamed over it), never cut short in place: what was mapped stays as it was."""
    size = os.fstat(file.fileno()).st_size
    if size and hasattr(mmap, "MAP_POPULATE"):
        try:
            return mmap.mmap(file.fileno(), size, prot=mmap.PROT_READ,
                             flags=mmap.MAP_SHARED | mmap.MAP_POPULATE)
        except OSError:                 # a file system that cannot map files: read it
            pass
    file.seek(0)
    return file.read()


class _StatePickler(pickle.Pickler):
    """Leaves the Markdown of records out: the state is a third as large without it, and a
    text is read again only to be converted again, which an unchanged file's text seldom is
    (load.Unread); likewise the front matter's data, once the record is made (load.Unparsed).
    Paths are written as text, and each made once when read back."""

    dispatch_table = {**copyreg.dispatch_table,
                      Parsed: Unparsed.kept, Unparsed: Unparsed.kept,
                      Markdown: lambda text: (Unread, (text.path,)),
                      Unread: lambda text: (Unread, (text.path,)),
                      PosixPath: lambda path: (files.path_of, (str(path),)),
                      WindowsPath: lambda path: (files.path_of, (str(path),))}


def _placeable(linked: Linked) -> list:
    """What the evidence shares with the graph, in one list: how it names them, by their
    place there (see _EvidencePickler): the articles, their events, their claims, the
    timeline's entries and the graph's claims."""
    articles, dossier = linked.articles, linked.dossier
    return [*articles, *chain.from_iterable([a.events for a in articles]),
            *chain.from_iterable([a.claims for a in articles]), *dossier.timeline,
            *dossier.claims]


def _layout(linked: Linked) -> tuple:
    """What places name: the same in the Linked the evidence is read in as when saved."""
    articles = linked.articles
    return (tuple([a.slug for a in articles]), tuple([len(a.events) for a in articles]),
            tuple([len(a.claims) for a in articles]), len(linked.dossier.timeline),
            len(linked.dossier.claims))


class _EvidencePickler(_StatePickler):
    """The evidence, naming what it shares with the graph by its place there: read back in
    the next build's graph, it holds the same objects, which link_changed finds by
    identity (`e is entry`). Looked up in reducer_override, which the pickler calls for
    records only (a persistent_id is asked of every string and tuple too: 0.30 s of an
    article added at 10,000 articles)."""

    def __init__(self, file, protocol, placeable: list):
        super().__init__(file, protocol)
        self._places = {id(value): (i,) for i, value in enumerate(placeable)}

    def reducer_override(self, obj):
        place = self._places.get(id(obj))
        return NotImplemented if place is None else (_placed, place)


def _placed(place: int):
    """What the evidence names by its place in the graph (_placeable): _EvidenceUnpickler
    finds it."""
    raise pickle.UnpicklingError("the evidence is read in a graph (_EvidenceUnpickler)")


class _Naming(pickle.Unpickler):
    """Reads a pickle that names objects it does not hold by a function of this module (the
    class's `naming`), which this unpickler's method of that name finds."""

    naming = ""

    def find_class(self, module: str, name: str):
        if module == __name__ and name == self.naming:
            return getattr(self, name)
        return super().find_class(module, name)


class _EvidenceUnpickler(_Naming):
    naming = "_placed"

    def __init__(self, file, linked: Linked):
        super().__init__(file)
        # Looked up in C: a Python method called for each of 50,000 references (at 10,000
        # articles) made reading it 0.067 s instead of 0.058 s.
        self._placed = _placeable(linked).__getitem__


class _ChangesPickler(_StatePickler):
    """The state as what changed since `base` (the state it was read from): a record of the
    base's graph is named by its place in the base's digests, and the graph, its Linked and
    the bodies by their fields: those that are the very objects of the base's are named as
    such, a dictionary made anew by the keys whose values are not (_dict_changes)."""

    def __init__(self, file, protocol, base: dict, places: dict[int, int]):
        super().__init__(file, protocol)
        self._places = places           # id of a record of the base -> its place in digests
        self._patches: dict[tuple[int, int], _ListPatch | None] = {}
        linked, bodies = base["linked"], base["bodies"]
        self._origins = {Linked: ("linked", linked), type(linked.dossier): ("dossier",
                                                                            linked.dossier)}
        # The texts of the base's files, by page: each the very object its record, its file
        # and the bodies' sources share, which a copy would no longer be (every body's key
        # would then be made again from its file, read again: 2.4 s at 10,000 articles).
        self._texts = {}
        if bodies is not None:
            self._origins[type(bodies[1])] = ("bodies", bodies[1])
            self._texts = {id(source[1]): page for page, source in bodies[1].sources.items()}

    def reducer_override(self, obj):
        place = self._places.get(id(obj))
        if place is not None:
            return _from_base, ("record", place)
        page = self._texts.get(id(obj))
        if page is not None:
            return _from_base, ("text", page)
        origin = self._origins.get(type(obj))
        if origin is None:
            return NotImplemented
        before = vars(origin[1])
        return _from_base, (origin[0], tuple(
            (name, self._changes(before.get(name, _GONE), value))
            for name, value in vars(obj).items()))

    def _changes(self, before, now) -> tuple:
        """How a field's value `now` is written against its value `before` (read back by
        _applied)."""
        if now is before:
            return ("=",)
        if type(now) is dict and type(before) is dict:
            return ("d", *self._dict_changes(before, now))
        patch = self._patch(before, now)
        return ("v", now) if patch is None else ("p", patch)

    def _patch(self, before, now) -> _ListPatch | _TuplePatch | None:
        """`now` as a patch of `before`, if both are lists or tuples and one can be made:
        one per list and base, so that a list two fields share is read back as one."""
        if type(now) is list and type(before) is list:
            key = (id(before), id(now))
            patch = self._patches.get(key, _GONE)
            if patch is _GONE:
                patch = self._patches[key] = _ListPatch.between(before, now, self._patch)
            return patch
        if type(now) is tuple and type(before) is tuple and len(now) == len(before):
            items = []
            for then, item in zip(before, now):
                patch = None if then is item else self._patch(then, item)
                items.append(("=",) if then is item else
                             ("v", item) if patch is None else ("p", patch))
            return None if all(how == "v" for how, *_ in items) else _TuplePatch(tuple(items))
        return None

    def _dict_changes(self, before: dict, now: dict) -> tuple[dict, list, list | None]:
        """(the items of `now` whose values are not the very objects `before` has, nor
        alike (_alike), each as its patch where one can be made; the keys it no longer
        has; its keys in order unless they are in the order _dict_applied gives)."""
        changed, (differing, gone) = {}, _differences(before, now)
        for key, value in differing:
            then = before.get(key, _GONE)
            if not _alike(then, value):
                changed[key] = self._patch(then, value) or value
        keys = list(now)
        if keys == [key for key in before if key in now] + [key for key in changed
                                                            if key not in before]:
            keys = None
        return changed, gone, keys


_GONE = object()


class _ListPatch:
    """A list written as the items it has that another (its base) has not, and the places
    of the base's items it lost: an article's timeline entry added to a list of 20,000 is
    one item, not 20,000 places. An item in the same place as a list of the base's is
    itself a patch of it. Read back, made once from its base (`applied`)."""

    def __init__(self, gone: list[int], added: list[tuple[int, object]]):
        self.gone, self.added = gone, added
        self._made = None

    def __reduce__(self):
        return _ListPatch, (self.gone, self.added)

    @staticmethod
    def between(before: list, now: list, patch: Callable) -> _ListPatch | None:
        """The patch making `now` of `before`, by identity; None when `now` holds
        `before`'s items in another order or twice (a plain list is then written)."""
        if len(now) == len(before):
            # Items replaced in their places, or lists and tuples patched in theirs (an
            # actor's claims by status): each written as it is, or as its patch.
            moved = list(compress(range(len(now)), map(operator.is_not, before, now)))
            short = len(moved) * 2 <= len(now)
            if short or all(type(now[i]) in (list, tuple) for i in moved):
                added = [(i, patch(before[i], now[i]) or now[i]) for i in moved]
                if short or all(type(item) in _PATCHES for _, item in added):
                    return _ListPatch(moved, added)
        place = {id(item): i for i, item in enumerate(before)}
        if len(place) != len(before):
            return None
        at = [place.get(id(item)) for item in now]
        kept = [i for i in at if i is not None]
        if len(set(kept)) != len(kept) or kept != sorted(kept):
            return None
        if (len(now) - len(kept)) * 2 > len(now):
            return None                     # mostly new: shorter written whole
        still = set(kept)
        return _ListPatch([i for i in range(len(before)) if i not in still],
                          [(j, now[j]) for j, i in enumerate(at) if i is None])

    def applied(self, before: list) -> list:
        if self._made is None or self._made[0] is not before:
            gone = set(self.gone)
            kept = iter([item for i, item in enumerate(before) if i not in gone])
            made: list = []
            for j, item in self.added:      # in `now`'s order, each at its place there
                made += islice(kept, j - len(made))
                # (a patch only stands for an item in its place: `j` is the base's too)
                made.append(item.applied(before[j]) if type(item) in _PATCHES else item)
            made += kept
            self._made = (before, made)
        return self._made[1]


class _TuplePatch:
    """A tuple written as how each item is against the base's in its place (_applied)."""

    def __init__(self, items: tuple):
        self.items = items

    def __reduce__(self):
        return _TuplePatch, (self.items,)

    def applied(self, before: tuple) -> tuple:
        return tuple(_applied(then, *item) for then, item in zip(before, self.items))


_PATCHES = (_ListPatch, _TuplePatch)


def _unpatched(before, value):
    """`value` read back: a patch applied to `before`, or as it is."""
    return value.applied(before) if type(value) in _PATCHES else value


def _applied(before, how: str, *value):
    """A value written by _ChangesPickler._changes against `before`, read back."""
    if how == "=":
        return before
    if how == "d":
        return _dict_applied(before, *value)
    if how == "p":
        return value[0].applied(before)
    return value[0]


def _differences(before: dict, now: dict) -> tuple[Iterable[tuple], list]:
    """(the items of `now` whose values are not the very objects `before` holds under their
    keys, the keys of `before` that `now` has not). A dictionary made since the base mostly
    has the base's keys, in its order, and its values: those are passed over in C (at every
    build since the base: the links of 10,000 articles in each of twenty dictionaries, and
    the files)."""
    if len(now) == len(before) and list(now) == list(before):
        return compress(now.items(), map(operator.is_not, before.values(), now.values())), []
    return ([(key, value) for key, value in now.items() if before.get(key, _GONE) is not value],
            [key for key in before if key not in now])


def _alike(then, value) -> bool:
    """Texts equal to the base's, or tuples of the very objects the base's holds (what a
    file's page is made from, the bodies' sources: made anew each build)."""
    kind = type(value)
    if kind is not type(then):
        return False
    if kind is str:
        return then == value
    return kind is tuple and len(then) == len(value) and all(map(operator.is_, then, value))


def _dict_applied(before: dict, changed: dict, gone: list, keys: list | None) -> dict:
    if keys is not None:
        return {key: _unpatched(before.get(key), changed[key]) if key in changed
                else before[key] for key in keys}
    found = before.copy()           # its table copied as it is: no key hashed again
    for key in gone:
        del found[key]
    found.update((key, _unpatched(before.get(key), value)) for key, value in changed.items())
    return found


def _list_applied(before: list, added: list, gone: list[int]) -> list:
    gone = set(gone)
    return [item for i, item in enumerate(before) if i not in gone] + added


def _from_base(kind: str, *what):
    """What the state's changes name in their base: _ChangesUnpickler finds it."""
    raise pickle.UnpicklingError("state changes are read with their base (_ChangesUnpickler)")


class _ChangesUnpickler(_Naming):
    naming = "_from_base"

    def __init__(self, file, base: dict):
        super().__init__(file)
        self._base = base

    def _from_base(self, kind: str, what):
        base = self._base
        if kind == "record":
            return base["digests"][what][0]
        if kind == "text":
            return base["bodies"][1].sources[what][1]
        origin = base["linked"] if kind == "linked" else base["linked"].dossier \
            if kind == "dossier" else base["bodies"][1]
        made = type(origin).__new__(type(origin))
        before, fields = vars(origin), vars(made)
        for name, change in what:
            fields[name] = _applied(before.get(name, _GONE), *change)
        return made


def _read_changes(base: dict, data) -> dict | None:
    """The state: `base` (state.pickle) with the changes saved since (state-changes.pickle,
    see BuildCache._changes), if they follow it."""
    saved = pickle.loads(data)
    if saved.get("base") != base.get("token"):
        return None
    changes = _ChangesUnpickler(io.BytesIO(saved["changes"]), base).load()
    return {"files": _dict_applied(base["files"], *changes["files"]),
            "records": _list_applied(base["records"], *changes["records"]),
            "linked": changes["linked"],
            "evidence": changes["evidence"], "bodies": changes["bodies"],
            "digests": base["digests"], "token": changes["token"]}


@dataclass
class PageCache:
    """What each file of the previous build read (see depends.py) and the file written then.
    A file is left as it is, not even made, when every address it read has the same digest
    in this build and the file is still the one written then (same size and time)."""

    salt: str                      # code, settings and theme (Renderer.salt)
    addresses: list = field(default_factory=list)     # the previous build's, by number
    digests: list = field(default_factory=list)       # the digest at each, then
    previous: dict[str, list] = field(default_factory=dict)   # path -> [numbers, size, mtime]
    # As saved: pages.marshal, written whole now and then (its id, how many addresses, its
    # entries), and what changed since (pages-changes.marshal, see saved).
    base: tuple = (None, 0, {})
    changes: dict = field(default_factory=dict)
    # This build's, numbered as they arrive (a tuple of numbers per page, not of addresses:
    # ~200,000 addresses at 10,000 articles).
    numbers: dict = field(default_factory=dict)
    current: dict[str, tuple] = field(default_factory=dict)   # path -> (numbers, size, mtime)
    made_pieces: dict = field(default_factory=dict)   # this build's: key -> (reads, bytes)
    ready: Callable[[], None] | None = None           # the piece store read (page_cache)
    # The graph the previous build's digests were made from, when the state restored holds
    # it (its token is the one saved here): then only what changed is digested again.
    before: object = None
    graph: str | None = None                          # the token of this build's graph
    _checked: tuple = (None, set())                   # (snapshot, stale()'s answer)
    _in_use: set | None = None                        # in_use(), once worked out

    def stale(self, snapshot: Snapshot) -> set[int]:
        """Numbers of the previous build's addresses whose value changed since."""
        stale = snapshot.changed_since(self.before, self.addresses, self.digests,
                                       self.numbers)
        self.before = None
        self._checked = (snapshot, stale)
        return stale

    def number(self, found: tuple, new: list) -> tuple | None:
        """This build's numbers of what a file read: `found`, the numbers of its reads as
        looked up in `numbers` where it was made (write._put), None for each in `new`
        ((place, address)), which are numbered here; None if one cannot be kept (_plain)."""
        if not new:
            return found
        numbers, found = self.numbers, list(found)
        for i, address in new:                  # numbered since it was made, or new
            number = numbers.get(address)
            if number is None:
                if not _plain(address):
                    return None
                number = numbers[address] = len(numbers)
            found[i] = number
        return tuple(found)

    def kept(self, path: str) -> tuple:
        """The previous entry of an unchanged file, as this build's (numbered alike)."""
        return self.previous[path]

    def in_use(self) -> set[int]:
        """Numbers of the addresses this build's files read (theirs, or kept from the last)."""
        if self._in_use is None:
            self._in_use = set().union(*(entry[0] for entry in self.current.values()))
        return self._in_use

    def pieces_in_use(self) -> set[str]:
        """Keys of the pieces this build's files print (depends.piece_address)."""
        used = self.in_use()
        return {address[1] for address, number in self.numbers.items()
                if address[0] == "piece" and number in used}

    def saved(self, snapshot: Snapshot) -> tuple[dict | None, dict]:
        """This build's entries, for the next: (pages.marshal, or None when it stays as it
        is; pages-changes.marshal). Addresses keep their numbers from build to build (an
        unchanged page's entry is kept as it is). Most builds change a few entries of
        20,000 (at 10,000 articles): those, the digests that changed and the addresses
        numbered since pages.marshal was written are saved beside it, not the 12 MB of the
        whole again (0.25 s of every cached build). It is written whole when the changes
        are an eighth as many as its addresses (and more than a thousand), its addresses
        numbered anew if those no page reads any more are as many as the others."""
        addresses, pages = list(self.numbers), self.current
        base_id, base_count, base_pages = self.base
        # An address stale() found unchanged has its previous digest: not looked up again.
        checked, stale = self._checked
        known = self.digests if checked is snapshot else []

        def digest(i: int) -> str:
            return known[i] if i < len(known) and i not in stale else \
                snapshot.digest(addresses[i])
        # (Addresses no page reads any more are dropped only when it is written whole: they
        # add to the changes until it is.)
        if base_id is not None and checked is snapshot:
            changed = {i: digest(i) for i in (*self.changes.get("digests", {}), *stale,
                                                   *range(base_count, len(addresses)))}
            entries = {path: entry for path, entry in pages.items()
                       if base_pages.get(path) is not entry and base_pages.get(path) != entry}
            gone = [path for path in base_pages if path not in pages]
            if len(changed) + len(entries) + len(gone) <= max(base_count // 8, 1000):
                return None, {"base": base_id, "addresses": addresses[base_count:],
                              "digests": changed, "pages": entries, "gone": gone,
                              "graph": self.graph}
        digests = [digest(i) for i in range(len(addresses))]
        used = self.in_use()
        if len(addresses) > 2 * len(used):
            addresses = [a for i, a in enumerate(addresses) if i in used]
            digests = [d for i, d in enumerate(digests) if i in used]
            renumber = {self.numbers[a]: i for i, a in enumerate(addresses)}
            pages = {path: (tuple(renumber[n] for n in numbers), *rest)
                     for path, (numbers, *rest) in pages.items()}
        base_id = secrets.token_hex(16)
        return ({"salt": self.salt, "addresses": addresses, "digests": digests,
                 "pages": pages, "id": base_id},
                {"base": base_id, "addresses": [], "digests": {}, "pages": {}, "gone": [],
                 "graph": self.graph})

    @classmethod
    def from_saved(cls, salt: str, saved: dict, changes: dict, before: tuple | None = None,
                   graph: str | None = None) -> "PageCache":
        """The previous build's entries (pages.marshal and the changes since) if made with
        the same salt; none otherwise, or if damaged (a cache is a hint: the worst a bad one
        may cost is rendering again). `before`: (token, graph) of the state restored;
        `graph`: this build's token."""
        cache = cls(salt, graph=graph)
        try:
            if saved.get("salt") != salt:
                return cache
            addresses, digests, pages = saved["addresses"], saved["digests"], saved["pages"]
            if len(addresses) != len(digests):
                return cache
            count = len(addresses)
            if changes.get("base") != saved.get("id") or saved.get("id") is None:
                changes = {}            # none, or following another pages.marshal
            previous, token = pages, saved.get("graph")
            if changes:
                addresses = addresses + changes["addresses"]
                digests = digests + [""] * len(changes["addresses"])
                for number, digest in changes["digests"].items():
                    digests[number] = digest
                previous = {**pages, **changes["pages"]}
                for path in changes["gone"]:
                    del previous[path]
                token = changes["graph"]
            cache.addresses, cache.digests, cache.previous = addresses, digests, previous
            cache.numbers = dict(zip(addresses, range(len(addresses))))   # in C
            cache.base, cache.changes = (saved["id"], count, pages), changes
            if before is not None and before[0] is not None and token == before[0]:
                cache.before = before[1]
        except (AttributeError, KeyError, TypeError, IndexError, ValueError):
            return cls(salt, graph=graph)
        return cache


_PLAIN_PARTS = {str, int}


def _plain(address: tuple) -> bool:
    """Made of strings and numbers only, which compare equal once read back in another
    process (a key of another type might not: such a page or piece is not kept)."""
    return set(map(type, address)) <= _PLAIN_PARTS



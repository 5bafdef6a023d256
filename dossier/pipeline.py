"""build(): load -> validate -> link -> render -> write. The one function to read."""
from __future__ import annotations

import ctypes
import gc
import json
import os
import secrets
import time
import traceback
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

from dossier.config import SiteConfig, load_config
from dossier.link import Linked, link, relink
from dossier.load import load
from dossier.model import Dossier, without_sources
from dossier.problems import Problem, Problems
from dossier.outputs import Output
from dossier.parallel import WorkerDied
from dossier.markup import Texts
from dossier.render import Renderer, code_version
from dossier.templating import theme_dirs
from dossier.validate import validate
from dossier.write import PageCache, RenderFailed, check_outputs, make_all, write


CACHE_DIR = ".dossier-cache"          # the one hidden folder a build may write besides its output


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

    def renderer_for(self, config: SiteConfig) -> Renderer:
        """The previous renderer unless the configuration or a theme file changed."""
        key = (config, tuple((p, p.stat().st_mtime_ns) for d in theme_dirs(config)
                             for p in sorted(d.rglob("*")) if p.is_file()))
        if self.renderer is None or key != self.theme_key:
            old, self.renderer, self.theme_key = self.renderer, Renderer(config), key
            if old is not None:
                self.renderer.html, self.renderer.bodies = old.html, old.bodies
                self.renderer.links = old.links
            else:
                self._read_bodies(self.renderer)
        return self.renderer

    def _read_bodies(self, renderer: Renderer) -> None:
        """bodies.jsonl: a line per body (key, summary, problems, bytes of HTML);
        bodies.html: an id line, then every body's HTML one after the other, read in one
        piece into `renderer.html` (see markup.Texts): no HTML goes through a JSON decoder.
        The id, in both, tells a pair written together from a write cut short."""
        if self.folder is None:
            return
        try:
            with open(self.folder / "bodies.jsonl", encoding="utf-8") as index, \
                    open(self.folder / "bodies.html", "rb") as html:
                header = json.loads(next(index, "null"))
                written = html.readline().rstrip(b"\n").decode()
                if header != {"version": code_version(), "id": written}:
                    return
                # Read into its final buffer: bytes then a copy would hold it twice.
                buffer = bytearray(os.fstat(html.fileno()).st_size - html.tell())
                html.readinto(buffer)
                spans, bodies, start = {}, {}, 0
                for line in index:
                    key, summary, found, size = json.loads(line)
                    spans[key] = (start, start + size)
                    bodies[key] = (summary, [Problem(*p) for p in found])
                    start += size
            if start == len(buffer):
                renderer.html, renderer.bodies = Texts(buffer, spans), bodies
                # What each text links to (see Renderer._body_key): a pure function of the
                # text key, so any entry read back is right for this code.
                renderer.links = {text: tuple(map(tuple, links))
                                  for text, links in self._read("links").items()}
        except (OSError, ValueError, TypeError):       # missing, damaged or other code's
            pass

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

    def page_cache(self, renderer: Renderer) -> PageCache | None:
        if self.folder is None:
            return None
        self.pages = PageCache.from_saved(renderer.salt, self._read("pages"))
        return self.pages

    def _read(self, name: str) -> dict:
        """JSON, not pickle: a dossier handed over on a USB stick must not be able to run
        code. Anything unreadable or written by other code is simply ignored."""
        path = self.folder / f"{name}.json" if self.folder else None
        if path is None or not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return data[name] if data.get("version") == code_version() else {}
        except (OSError, ValueError, TypeError, KeyError):
            return {}

    def save(self) -> None:
        if self.folder is None or self.renderer is None:
            return
        index, html = self.folder / "bodies.jsonl", self.folder / "bodies.html"
        if self.renderer.bodies_changed or not index.is_file() or not html.is_file():
            self.folder.mkdir(exist_ok=True)
            texts, written = self.renderer.html, secrets.token_hex(16)
            temporary = {path: path.with_name(path.name + ".tmp") for path in (index, html)}
            with open(temporary[index], "w", encoding="utf-8") as lines, \
                    open(temporary[html], "wb") as data:
                lines.write(json.dumps({"version": code_version(), "id": written}) + "\n")
                data.write(written.encode() + b"\n")
                for key, (summary, found) in sorted(self.renderer.bodies.items()):
                    size = data.write(texts.raw(key))
                    lines.write(json.dumps([key, summary, [list(astuple(p)) for p in found],
                                            size], ensure_ascii=False) + "\n")
            for path, written_to in temporary.items():
                written_to.replace(path)
            self._write("links", self.renderer.links)
            # Written by earlier versions as one JSON document: as large, and never read now.
            (self.folder / "bodies.json").unlink(missing_ok=True)
        if self.pages is not None:
            self._write("pages", self.pages.saved(self.renderer.snapshot))

    def _write(self, name: str, value) -> None:
        self.folder.mkdir(exist_ok=True)
        path = self.folder / f"{name}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"version": code_version(), name: value},
                                        ensure_ascii=False), encoding="utf-8")
        temporary.replace(path)


@dataclass
class BuildResult:
    config: SiteConfig
    problems: Problems
    dossier: Dossier | None = None
    pages: int = 0                       # HTML pages rendered
    written: int = 0                     # files in the output (0 when nothing was written)
    unchanged: int = 0                   # of which identical to the previous build
    rendered: int = 0                    # pages rendered (the rest were unchanged)
    outputs: list[Output] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems.fatal(self.config.strict)


def build(root: Path, *, write_output: bool = True, cache: BuildCache | None = None,
          lazy: bool = False, use_disk_cache: bool = False, jobs: int = 1,
          progress: Callable[[str, int, int], None] | None = None,
          changed: set[Path] | None = None, **options) -> BuildResult:
    """Build the dossier at `root`; `options` override dossier.yaml (output, base_url, strict,
    drafts). With write_output=False (`check`, `serve`) everything runs but nothing is
    written; with lazy=True (`serve`) pages are kept in memory and files of the whole dossier
    (search index, exports, printable dossier) are made only when asked for; with
    use_disk_cache=True parsed front matter, converted Markdown and page digests are read from
    ROOT/.dossier-cache (and saved there when the build writes). `jobs` processes share the work; `progress(stage, done, total)`
    hears how it goes; `changed` (from the preview's watcher) names the only files that may
    have changed since the last build with this `cache`. Content problems are collected in
    the result, never raised."""
    clock = _Clock()
    problems = Problems(root.resolve())
    config = load_config(root, problems, **options)
    cache = cache or BuildCache()
    if use_disk_cache and cache.folder is None:
        cache.folder = config.root / CACHE_DIR
    stage = (lambda name: partial(progress, name)) if progress else (lambda name: None)
    with _no_cycles():
        loaded = load(config.content_dir, problems, cache.files, jobs, stage("reading"),
                      cache.front_matter(), changed)
        cache.save_front_matter(write_output)
        gc.freeze()                      # see below, after link()
        clock.lap("load")
        articles, actors, resolutions = validate(loaded.records, config.language, problems,
                                                 drafts=config.drafts, cache=cache.records)
        clock.lap("validate")
    renderer = finish_bodies = None
    if not problems.errors:          # Markdown is converted over the workers during link()
        renderer = cache.renderer_for(config)
        finish_bodies = renderer.convert(articles, actors, resolutions, loaded.assets,
                                         problems, keep=lazy, jobs=jobs,
                                         progress=stage("converting"))
    relinked = relink(cache.linked, articles, actors, resolutions,
                      config.strict_sources) if cache.linked else None
    if relinked:
        dossier, found = relinked
        problems.items += found
    else:
        start = len(problems.items)
        with _no_cycles():           # after convert() forked its workers: Markdown makes cycles
            dossier = link(articles, actors, resolutions, problems,
                           strict_sources=config.strict_sources)
        found = problems.items[start:]
    if lazy:                             # the preview's next save may reuse this graph
        cache.linked = Linked(articles, actors, resolutions, config.strict_sources, dossier,
                              found)
    # The records and the graph live as long as the build: taking them out of the cyclic
    # garbage collector's sight spares it traversing millions of objects again and again
    # (seconds at 10,000 articles) and keeps forked workers from copying the pages it
    # would touch. They hold no cycles: reference counting still frees them.
    gc.freeze()
    clock.lap("link")
    result = BuildResult(config, problems, dossier, timings=clock.laps)
    if problems.errors:                  # rendering broken records would only add noise
        return result
    try:
        bodies = finish_bodies()
        if not lazy:
            # One build: once bodies are converted, Markdown text and line numbers are of no
            # more use (140 MB at 10,000 articles), and every process would hold them.
            del loaded.records[:], articles, actors, resolutions
            cache.files.clear()
            cache.records.clear()
            dossier = result.dossier = without_sources(dossier)
            _give_back_memory()
        outputs = renderer.render(dossier, bodies, loaded.assets, problems, keep=lazy)
    except WorkerDied:
        raise
    except Exception as exc:            # a theme bug, reported at its template line
        problems.items += template_problems(exc, problems.root)
        return result
    check_outputs(outputs, problems)
    result.outputs = outputs
    result.pages = sum(1 for o in outputs if o.is_page)
    result.rendered = 0 if lazy else result.pages      # the preview renders on request
    clock.lap("render")
    on_error = partial(template_problems, root=problems.root)
    try:
        if write_output and result.ok:
            pages = cache.page_cache(renderer)
            result.written, result.unchanged, reused = write(
                outputs, config.output_dir, jobs=jobs, on_error=on_error, pages=pages,
                snapshot=renderer.snapshot, progress=stage("writing"))
            result.rendered -= reused
            cache.save()
            clock.lap("write")
        elif not lazy:                  # make every file anyway, so theme bugs are reported
            make_all(outputs, jobs, on_error, stage("rendering"))
            clock.lap("render")
    except RenderFailed as failed:
        problems.items += failed.problems
    return result


def template_problems(exc: Exception, root: Path) -> list[Problem]:
    """A theme bug is reported like a content error, at the template's line; an error with
    no template in its traceback is dossier's own, and says so."""
    problems = Problems(root)
    frames = traceback.extract_tb(exc.__traceback__)
    where = next((f for f in reversed(frames) if f.filename.endswith(".html")), None)
    path = getattr(exc, "filename", None) or (where.filename if where else None)
    if path is None:
        last = frames[-1] if frames else None
        problems.error(last.filename if last else "dossier", last.lineno if last else 0,
                       f"internal error: {type(exc).__name__}: {exc}",
                       "please report it, with the dossier that causes it")
    else:
        line = getattr(exc, "lineno", None) or (where.lineno if where else 0)
        problems.error(path, line, f"template error: {type(exc).__name__}: {exc}",
                       "fix the theme's template")
    return problems.items


@contextmanager
def _no_cycles():
    """Reading, validating and linking records make millions of objects that live as long
    as the build, and no garbage cycles: the cyclic collector, run again and again as they
    pile up, would traverse them all each time for nothing (~0.6 s of a 10,000-article
    build that changes nothing, most of it decoding the cached front matter)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _give_back_memory() -> None:
    """Return freed memory to the system now. The C allocator keeps freed blocks for reuse;
    forked workers would then inherit the idle pages in every process's count."""
    try:
        ctypes.CDLL(None).malloc_trim(0)      # glibc (Linux); elsewhere, nothing to do
    except (AttributeError, OSError):
        pass


class _Clock:
    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now

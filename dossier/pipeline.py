"""build(): load -> validate -> link -> render -> write. The one function to read."""
from __future__ import annotations

import json
import time
import traceback
from dataclasses import astuple, dataclass, field
from pathlib import Path

from dossier.config import SiteConfig, load_config
from dossier.link import link
from dossier.load import load
from dossier.model import Dossier
from dossier import __version__
from dossier.problems import Problem, Problems
from dossier.outputs import Output
from dossier.render import Renderer
from dossier.templating import theme_dirs
from dossier.validate import validate
from dossier.write import check_outputs, write


CACHE_DIR = ".dossier-cache"          # the one hidden folder a build may write besides its output


@dataclass
class BuildCache:
    """What a long-lived process (the preview server) keeps between builds, so a rebuild
    reads, validates, converts and renders only what a change touches. Converted Markdown is
    also kept on disk between runs (CACHE_DIR), unless --no-cache."""

    files: dict = field(default_factory=dict)        # path -> parsed file, by mtime and size
    records: dict = field(default_factory=dict)      # raw record -> typed record
    renderer: Renderer | None = None
    theme_key: tuple = ()
    disk: Path | None = None                         # the on-disk cache file, when used

    def renderer_for(self, config: SiteConfig) -> Renderer:
        """The previous renderer unless the configuration or a theme file changed."""
        key = (config, tuple((p, p.stat().st_mtime_ns) for d in theme_dirs(config)
                             for p in sorted(d.rglob("*")) if p.is_file()))
        if self.renderer is None or key != self.theme_key:
            bodies = self.renderer.bodies if self.renderer else self._read_disk()
            self.renderer, self.theme_key = Renderer(config), key
            self.renderer.bodies = bodies
        return self.renderer

    def _read_disk(self) -> dict:
        """Converted bodies from the last run; JSON, not pickle: a dossier handed over on a
        USB stick must not be able to run code. Anything unreadable is simply ignored."""
        if self.disk is None or not self.disk.is_file():
            return {}
        try:
            data = json.loads(self.disk.read_text(encoding="utf-8"))
            if data.get("version") != _cache_version():
                return {}
            return {key: (html, [Problem(*p) for p in found])
                    for key, (html, found) in data["bodies"].items()}
        except (OSError, ValueError, TypeError, KeyError):
            return {}

    def save(self) -> None:
        if self.disk is None or self.renderer is None:
            return
        data = {"version": _cache_version(),
                "bodies": {key: [html, [list(astuple(p)) for p in found]]
                           for key, (html, found) in sorted(self.renderer.bodies.items())}}
        self.disk.parent.mkdir(exist_ok=True)
        temporary = self.disk.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        temporary.replace(self.disk)


def _cache_version() -> str:
    """Cached HTML is only valid for the code that made it."""
    from importlib.metadata import PackageNotFoundError, version
    parts = [__version__]
    for package in ("markdown", "nh3", "pygments"):
        try:
            parts.append(version(package))
        except PackageNotFoundError:
            parts.append("?")
    return "/".join(parts)


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
          lazy: bool = False, use_disk_cache: bool = False, **options) -> BuildResult:
    """Build the dossier at `root`; `options` override dossier.yaml (output, base_url, strict,
    drafts). With write_output=False (`check`, `serve`) everything runs but nothing is
    written; with lazy=True (`serve`) files of the whole dossier (search index, exports,
    printable dossier) are made only when asked for; with use_disk_cache=True converted
    Markdown is read from and saved to ROOT/.dossier-cache. Content problems are collected in
    the result, never raised."""
    clock = _Clock()
    problems = Problems(root.resolve())
    config = load_config(root, problems, **options)
    cache = cache or BuildCache()
    if use_disk_cache and cache.disk is None:
        cache.disk = config.root / CACHE_DIR / "bodies.json"
    loaded = load(config.content_dir, problems, cache.files)
    clock.lap("load")
    articles, actors, resolutions = validate(loaded.records, config.language, problems,
                                             drafts=config.drafts, cache=cache.records)
    clock.lap("validate")
    dossier = link(articles, actors, resolutions, problems,
                   strict_sources=config.strict_sources)
    clock.lap("link")
    result = BuildResult(config, problems, dossier, timings=clock.laps)
    if problems.errors:                  # rendering broken records would only add noise
        return result
    renderer = cache.renderer_for(config)
    try:
        outputs = renderer.render(dossier, loaded.assets, problems)
        if not lazy:                    # make every on-demand file now, errors included
            for output in outputs:
                if output.make:
                    output.make()
    except Exception as exc:            # a theme bug, reported at its template line
        _template_problem(exc, problems)
        return result
    check_outputs(outputs, problems)
    result.outputs, result.rendered = outputs, renderer.rendered
    result.pages = sum(1 for o in outputs if o.is_page)
    clock.lap("render")
    if write_output and result.ok:
        result.written, result.unchanged = write(outputs, config.output_dir)
        cache.save()
        clock.lap("write")
    return result


def _template_problem(exc: Exception, problems: Problems) -> None:
    """A theme bug is reported like a content error, at the template's line; an error with
    no template in its traceback is dossier's own, and says so."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = next((f for f in reversed(frames) if f.filename.endswith(".html")), None)
    path = getattr(exc, "filename", None) or (where.filename if where else None)
    if path is None:
        last = frames[-1] if frames else None
        problems.error(last.filename if last else "dossier", last.lineno if last else 0,
                       f"internal error: {type(exc).__name__}: {exc}",
                       "please report it, with the dossier that causes it")
        return
    line = getattr(exc, "lineno", None) or (where.lineno if where else 0)
    problems.error(path, line, f"template error: {type(exc).__name__}: {exc}",
                   "fix the theme's template")


class _Clock:
    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now

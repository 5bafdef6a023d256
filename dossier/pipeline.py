"""The build, top to bottom, in three stages (as Zola's Site::load and Site::build):

    load    read every file, validate the records, link the graph, convert the Markdown:
            everything in memory, every content problem found (what `check` runs)
    render  every file of the site, each made when its bytes are asked for, recording what
            it reads (depends.py)
    write   make the files that changed, stage them beside the output, move them in

`build()` runs them; `serve` runs the same function with a `BuildCache` kept between saves.
"""
from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

from dossier import files, names
from dossier.cache import CACHE_DIR, BuildCache
from dossier.config import SiteConfig, load_config
from dossier.link import Linked, link, link_changed, relink
from dossier.load import let_go_of_texts, load as read_files
from dossier.markup import Bodies
from dossier.model import Dossier
from dossier.outputs import Output
from dossier.pages import PageSpec, plan, redirects
from dossier.parallel import WorkerDied
from dossier.problems import Problem, Problems
from dossier.render import Renderer, code_version
from dossier.templating import theme_dirs
from dossier.validate import validate
from dossier.write import RenderFailed, check_outputs, make_all, write

Progress = Callable[[str, int, int], None]         # (stage, done, total)


@dataclass
class BuildResult:
    config: SiteConfig
    problems: Problems
    dossier: Dossier | None = None
    pages: int = 0                       # HTML pages rendered
    written: int = 0                     # files in the output (0 when nothing was written)
    unchanged: int = 0                   # of which identical to the previous build
    rendered: int = 0                    # pages rendered (the rest were unchanged)
    gone: list[str] = field(default_factory=list)   # pages of the last build, no more
    outputs: list[Output] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems.fatal(self.config.strict)


@dataclass
class Site:
    """The loaded dossier: what render needs, or the problems that stop it."""

    config: SiteConfig
    problems: Problems
    dossier: Dossier | None = None
    bodies: Bodies | None = None
    assets: list[Path] = field(default_factory=list)
    renderer: Renderer | None = None
    pages: list[PageSpec] = field(default_factory=list)        # every page (pages.plan)
    redirects: list[PageSpec] = field(default_factory=list)    # and at old addresses


def build(root: Path, *, write_output: bool = True, cache: BuildCache | None = None,
          lazy: bool = False, use_disk_cache: bool = False, jobs: int = 1,
          progress: Progress | None = None, changed: set[Path] | None = None,
          after_load: Callable[[], None] | None = None, **options) -> BuildResult:
    """Build the dossier at `root`; `options` override dossier.yaml (output, base_url, strict,
    drafts, strict_sources). With write_output=False (`check`, `serve`) everything runs but
    nothing is written; with lazy=True (`serve`) files are made only when asked for and
    kept; with use_disk_cache=True the cache in ROOT/.dossier-cache is read (and saved when
    the build writes). `jobs` processes share the work; `progress(stage, done, total)` hears
    how it goes; `changed` (from the preview's watcher) names the only files that may have
    changed since the last build with this `cache`; `after_load()` is called between load and
    render (the command line turns the cyclic collector back on there and hands freed memory
    back to the system: interpreter matters, kept at the edge). Content problems are
    collected in the result, never raised."""
    cache = cache or BuildCache()
    try:
        return _build(root, write_output, cache, lazy, use_disk_cache, jobs, progress,
                      changed, after_load, options)
    finally:
        cache.finish()


def _build(root: Path, write_output: bool, cache: BuildCache, lazy: bool,
           use_disk_cache: bool, jobs: int, progress: Progress | None,
           changed: set[Path] | None, after_load: Callable[[], None] | None,
           options: dict) -> BuildResult:
    clock = _Clock()
    stage = (lambda name: partial(progress, name)) if progress else (lambda name: None)
    inputs = None
    if write_output and use_disk_cache and not lazy:
        inputs, result = unchanged(root, cache, options)
        if result is not None:
            clock.lap("unchanged")
            result.timings = clock.laps
            return result
    site = load(root, cache, keep=lazy, save=write_output and use_disk_cache,
                use_disk_cache=use_disk_cache, jobs=jobs, stage=stage, changed=changed,
                inputs=inputs, **options)
    clock.lap("load")
    if after_load is not None:
        after_load()
    result = BuildResult(site.config, site.problems, site.dossier, timings=clock.laps)
    if site.problems.errors:             # rendering broken records would only add noise
        return result
    # What the last build read and made, for the pages and fragments this one can skip.
    pages = cache.page_cache(site.renderer) if write_output and not lazy else None
    if inputs is not None:          # files copied as they are: kept unless their bytes changed
        site.renderer.file_digests = inputs.by_path()
    with cache.lent_pieces(site.renderer, lend=lazy and use_disk_cache):
        outputs = render(site, keep=lazy)
    if outputs is None:
        return result
    result.outputs, result.dossier = outputs, site.dossier
    if lazy and result.ok:          # the preview serves this build's pages from now on
        site.renderer.commit()
    result.pages = len(site.pages) + len(site.redirects)    # every page spec is a page
    result.rendered = 0 if lazy else result.pages      # the preview renders on request
    clock.lap("render")
    on_error = partial(template_problems, root=site.problems.root)
    try:
        if write_output and result.ok:
            result.written, result.unchanged, reused, result.gone = write(
                outputs, site.config.output_dir, jobs=jobs, on_error=on_error, pages=pages,
                snapshot=site.renderer.snapshot, progress=stage("writing"))
            result.rendered -= reused
            cache.save()
            if inputs is not None:
                cache.save_build(inputs.digest, site.config.output_dir,
                                 [o.path for o in outputs], result.pages, site.problems.items)
            clock.lap("write")
        elif not lazy:                  # make every file anyway, so theme bugs are reported
            make_all(outputs, jobs, on_error, stage("rendering"))
            clock.lap("render")
    except RenderFailed as failed:
        site.problems.items += failed.problems
    return result


def unchanged(root: Path, cache: BuildCache, options: dict
              ) -> tuple[files.Inputs | None, BuildResult | None]:
    """(what the inputs are (files.inputs_digest), the last build's result when
    nothing it read has changed and every file it wrote is still as it left it). Nothing is
    then read, rendered or written: a build with no change costs a stat of every file
    (0.26 s at 10,000 articles, files.inputs_digest); a build with changes reads again only
    the files whose digest changed (BuildCache.restore_state)."""
    problems = Problems(root.resolve())
    config = load_config(root, problems, **options)
    if problems.errors:
        return None, None
    cache.folder = cache.folder or config.root / CACHE_DIR
    inputs = files.inputs_digest(
        config.root, config.content_dir, theme_dirs(config), f"{code_version()}\0{config!r}",
        cache.input_stamps())
    cache.save_input_stamps(inputs.stamps)
    last = cache.last_build()
    try:
        if last.get("inputs") != inputs.digest or last.get("output") != str(config.output_dir):
            return inputs, None
        out, outputs = str(config.output_dir), cache.last_outputs(last)
        if outputs is None:
            return inputs, None
        for path, (size, mtime) in outputs.items():
            stat = os.stat(os.path.join(out, path))     # as text: 20,000 Paths cost 0.1 s
            if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
                return inputs, None
        problems.items = [Problem(*p) for p in last["problems"]]
        count = len(outputs)
        return inputs, BuildResult(config, problems, pages=last["pages"],
                                            written=count, unchanged=count, rendered=0)
    except (OSError, KeyError, TypeError, ValueError, AttributeError):
        return inputs, None


def load(root: Path, cache: BuildCache, *, keep: bool, save: bool, use_disk_cache: bool,
         jobs: int, stage: Callable, changed: set[Path] | None,
         inputs: files.Inputs | None = None, **options) -> Site:
    """Read, validate, link and convert: every content problem, nothing rendered. With
    `keep` (the preview) the records stay for the next save; otherwise, once converted,
    the Markdown is dropped (140 MB at 10,000 articles, held by every process)."""
    problems = Problems(root.resolve())
    config = load_config(root, problems, **options)
    site = Site(config, problems)
    # A one-shot build that saves its cache keeps what it loaded for the next build, as the
    # preview keeps it between saves (cache.save_state): reading, validating and linking
    # 10,000 records takes seconds, reading them back a fraction of one.
    persist = save and not keep
    if use_disk_cache and cache.folder is None:
        cache.folder = config.root / CACHE_DIR
    if use_disk_cache:
        cache.prefetch(pieces=save and not keep)
        cache.restore_state(config.content_dir, inputs and inputs.files)
        if not persist:         # kept only to save what changed since (cache.save_state)
            cache.base = None
    loaded = read_files(config.content_dir, problems, cache.files, jobs, stage("reading"),
                        cache.front_matter(), changed, inputs and inputs.scan)
    cache.save_front_matter(save)
    articles, actors, resolutions, pages = validate(loaded.records, config.language, problems,
                                             drafts=config.drafts or config.show_drafts,
                                             cache=cache.records)
    # A draft nobody publishes yet must not stop what is published: its problems are shown
    # and never fatal, unless drafts are published (--drafts).
    drafts = set() if config.drafts else \
        {raw.path for raw in loaded.records if raw.kind == "articles" and
         _is_draft(raw, cache.records.get(id(raw)))}
    problems.demote(drafts)
    finish_bodies = None
    # Markdown is converted over the workers during link(), also when records have errors:
    # its problems (a link to a missing file) belong in the same report. Not when the
    # settings are wrong: the theme they name may not be there.
    if not any(p.path == problems.relpath(config.root / "dossier.yaml")
               for p in problems.errors):
        site.renderer = cache.renderer_for(config)
        finish_bodies = site.renderer.convert(articles, actors, resolutions, loaded.assets,
                                              problems, keep=keep or persist, jobs=jobs,
                                              progress=stage("converting"), pages=pages,
                                              files=([raw.path for raw in loaded.records] +
                                                     loaded.unread, drafts))
    # A save that changed only texts reuses the last graph (relink: 0.01 s instead of 0.85 s
    # at 10,000 articles), one that added, removed or edited articles changes only what they
    # report (link_changed: 0.08 s); tests/test_incremental.py compares both with link().
    linked = (config.strict_sources, pages, config.publishers)
    relinked = (relink(cache.linked, articles, actors, resolutions, *linked) or
                link_changed(cache.linked, articles, actors, resolutions, *linked)) \
        if cache.linked else None
    if relinked:
        site.dossier, kept, found = relinked
        problems.items += found
    else:
        start = len(problems.items)
        site.dossier, kept = link(articles, actors, resolutions, problems,
                                  strict_sources=config.strict_sources, pages=pages,
                                  publishers=config.publishers, keep=keep or persist)
        found = problems.items[start:]
    # Old addresses are checked against the pages' as slugs are against each other: in
    # the same report as every other content problem.
    planned = plan(site.dossier, cache.planned if keep else None)
    site.pages = planned.specs
    cache.planned = planned if keep else None
    site.redirects = redirects(site.dossier, site.pages, problems)
    if keep or persist:
        cache.linked = Linked(articles, actors, resolutions, config.strict_sources,
                              site.dossier, found, pages, config.publishers, kept)
    try:
        if finish_bodies is not None:
            site.bodies = finish_bodies()
    except WorkerDied:
        raise
    except Exception as exc:            # dossier's own bug: reported, never a traceback
        problems.items += template_problems(exc, problems.root)
    problems.demote(drafts)
    if persist:
        cache.save_state(config)
    if problems.errors:
        return site
    site.assets = loaded.assets
    if not keep:
        # A build from scratch holds every record's Markdown: let go of it before the
        # workers fork. One that restored the last build's state read only the files that
        # changed: freeing what it holds (records, their line maps) would cost 0.1 s at
        # 10,000 articles and give back little, the process ending soon after.
        if not cache.restored:
            let_go_of_texts([hit[1] for hit in cache.records.values() if hit[1] is not None])
            cache.files.clear()
            cache.records.clear()
        del loaded.records[:], articles, actors, resolutions, pages
        cache.linked = None
        names.forget()
        if site.renderer is not None:
            site.renderer._last_bodies = None
        if site.bodies is not None:
            site.bodies.sources, site.bodies.records = {}, ()
    return site


def _is_draft(raw, validated: tuple | None) -> bool:
    """Whether an article says `draft: true`: as its record says, once made (the front
    matter's data of an unchanged file is not even read: load.Unparsed)."""
    if validated is not None and validated[0] is raw and validated[1] is not None:
        return validated[1].draft
    return isinstance(raw.parsed.data, dict) and raw.parsed.data.get("draft") is True


def render(site: Site, *, keep: bool) -> list[Output] | None:
    """Every file of the site (made when its bytes are asked for); None, with the problem
    recorded, if the theme cannot even be loaded."""
    try:
        outputs = site.renderer.render(site.dossier, site.bodies, site.assets, site.problems,
                                       site.pages, site.redirects, keep=keep)
    except WorkerDied:
        raise
    except Exception as exc:            # a theme bug, reported at its template line
        site.problems.items += template_problems(exc, site.problems.root)
        return None
    check_outputs(outputs, site.problems)
    return outputs


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


class _Clock:
    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now

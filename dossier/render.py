"""Jinja2 pages from the linked dossier -> Output list.

Templates come from the site's theme/ first, then the packaged default theme, file by file.
Autoescaping is on and undefined names fail loudly, so a template bug is never a silent blank.

Each page is planned with the exact data it shows (`pages.plan`). A Renderer kept alive
across builds (the preview server) re-renders only pages whose inputs changed and reuses
Markdown bodies whose text did not: same inputs, same bytes, so an incremental build equals a
clean one.
"""
from __future__ import annotations

import functools
import hashlib
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Callable, Iterator

import jinja2
from markupsafe import Markup as MarkupSafe

from dossier import __version__, feeds, model, parallel, urls
from dossier.config import SiteConfig
from dossier.markup import Bodies, Markup, Texts, plain_summary
from dossier.outputs import MAKING, Output, static_files
from dossier.pages import PageSpec, View, plan
from dossier.problems import Problem, Problems
from dossier.publish import publish
from dossier.templating import Strings, environment, json_ld, theme_dirs


# Pages that grow with the dossier (tens of megabytes at 10,000 articles) are written piece by
# piece; the others are rendered whole, which costs less than writing 200 pieces a page.
GROWING = {"print.html", "timeline.html", "actor.html", "resolution.html", "tag.html"}


class Renderer:
    """Renders a dossier with one theme and configuration; keeps caches between builds."""

    def __init__(self, config: SiteConfig):
        self.config = config
        self.dirs = theme_dirs(config)
        self.strings = Strings(self.dirs, config.language)
        self.env = environment(self.dirs, config, self.strings)
        self.markdown = Markup()
        # Markdown bodies by content digest (see body_key): their HTML, and the summary and
        # problems found converting them. Saved between runs by BuildCache.
        self.html = Texts()
        self.bodies: dict[str, tuple[str, list[Problem]]] = {}
        self.bodies_changed = True
        self._last_bodies: Bodies | None = None          # the preview's last, to patch
        self._layout: list[str] = []                     # where each file is published,
        self._where = ""                                 # and its digest
        self._last: dict[str, tuple[tuple, bytes]] = {}    # page -> inputs and bytes last made
        self._fragments: dict[tuple, MarkupSafe] = {}
        self.rendered = 0                            # pages rendered and kept, in all
        self.site_inputs: Callable[[], tuple] = tuple    # the last render's (see render)
        # Content hashes in asset URLs let hosts cache them forever (a change changes the URL).
        self.statics = static_files(self.dirs)
        self.asset_versions = {o.path: hashlib.sha256(o.source.read_bytes()).hexdigest()[:10]
                               for o in self.statics}
        self.env.globals["asset"] = self._asset_url
        style = next((o.source for o in self.statics if o.path == urls.static("style.css")), None)
        self.env.globals["inline_css"] = (MarkupSafe(style.read_text(encoding="utf-8"))
                                          if style else "")

    @staticmethod
    @jinja2.pass_context
    def _asset_url(context, name: str) -> str:
        path = urls.static(name)
        version = context["asset_versions"].get(path)
        return context["url"](context, path) + (f"?v={version}" if version else "")

    def render(self, dossier: model.Dossier, bodies: Bodies, assets: list[Path],
               problems: Problems, *, keep: bool = True) -> list[Output]:
        """Every page of the site plus the theme's static files and content/'s other files,
        with the `bodies` that `convert` made.

        With keep=True (the preview server) a page is made when first asked for: its inputs
        are computed then, and if they equal those of the last bytes made for it, those bytes
        are served again; otherwise it is rendered (and `rendered` counts it). A new renderer
        (first build, theme or configuration changed) renders one page of each template at
        once, so a theme bug fails the build instead of a later visit. With keep=False
        (`build`, `check`) a page is rendered each time its bytes are asked for, by whichever
        process writes it, and nothing is kept."""
        if not self.strings.translated:
            problems.warning(self.config.root / "dossier.yaml", 1,
                             f"no interface strings for language '{self.config.language}': "
                             "English is used", "add theme/i18n/<language>.yaml")
        view = View(dossier, bodies)
        site = {"config": self.config, "dossier": dossier, "bodies": bodies, "view": view,
                "t": self.strings, "asset_versions": self.asset_versions,
                "absolute": lambda path: feeds.absolute(self.config, path),
                "json_ld": json_ld}
        outputs: list[Output] = []
        fragments, previous = {}, self._fragments

        @jinja2.pass_context
        def fragment(context, name: str, inputs: tuple, **values) -> MarkupSafe:
            """A partial template whose output depends only on `inputs` and the page's depth:
            rendered once, reused on every page and in later builds."""
            key = (name, inputs, context["page_path"].count("/"))
            data = fragments.get(key) or previous.get(key)
            if data is None:     # kept as UTF-8: tens of thousands at 10,000 articles
                data = self.env.get_template(name).render(context.get_all(), **values).encode()
            fragments[key] = data
            return MarkupSafe(data.decode())

        site["fragment"] = fragment
        tried: set[str] = set()
        first = not self._last
        specs = plan(dossier, view)
        templates: dict[str, jinja2.Template] = {}
        made: dict[str, bytes] = {}      # this build's pages, as they are asked for
        origins: dict[str, str] = {}
        for spec in specs:
            template = templates.get(spec.template)
            if template is None:            # a syntax error fails the build here
                template = templates[spec.template] = self.env.get_template(spec.template)
                origins[spec.template] = f"template {spec.template}"
            if keep:
                make = partial(self._reuse_or_render, made, spec, template, site)
                if first and spec.template not in tried:
                    tried.add(spec.template)   # a theme bug shows now, not on a visit
                    make()
                outputs.append(Output(spec.path, origins[spec.template], None, None, make))
            else:
                outputs.append(Output(spec.path, origins[spec.template], make=partial(
                    _render_page, template, site, spec), inputs=spec.inputs, chunks=partial(
                    _stream_page, template, site, spec) if spec.template in GROWING else None))
        self._fragments = fragments
        page_paths = [s.path for s in specs]

        @functools.cache
        def site_inputs() -> tuple:
            """All that any file of the site can show: what link() derives the dossier from,
            the converted bodies, the pages (configuration and theme: see `salt`)."""
            return (tuple(dossier.articles), tuple(dossier.actors.values()),
                    tuple(dossier.resolutions.values()), tuple(bodies.keys.items()),
                    tuple(page_paths))
        self.site_inputs = site_inputs
        # Files about the whole dossier first: they are the longest to make (seconds each at
        # 10,000 articles), and a process left making them at the end of a parallel build
        # would keep the others waiting.
        outputs[:0] = publish(self.config, dossier, view, page_paths, problems, site_inputs,
                              keep)
        outputs += self.statics
        content = self.config.content_dir
        outputs += [Output(p.relative_to(content).as_posix(), str(p), source=p)
                    for p in assets]
        return outputs

    def _reuse_or_render(self, made: dict, spec: PageSpec, template: jinja2.Template,
                         site: dict) -> bytes:
        """This build's bytes for the page: those last rendered for it if its inputs did not
        change, else new ones."""
        with MAKING:   # a page asked for twice at once is made once
            data = made.get(spec.path)
            if data is None:
                inputs = spec.inputs()
                last = self._last.get(spec.path)
                if last is not None and last[0] == inputs:
                    data = last[1]
                else:
                    data = _render_page(template, site, spec)
                    self._last[spec.path] = (inputs, data)
                    self.rendered += 1
                made[spec.path] = data
            return data

    def convert(self, articles: list[model.Article], actors: list[model.Actor],
                resolutions: list[model.Resolution], assets: list[Path], problems: Problems,
                *, keep: bool = True, jobs: int = 1,
                progress: Callable[[int, int], None] | None = None) -> Callable[[], Bodies]:
        """Start converting every Markdown body to HTML, over `jobs` processes, and return
        the function that finishes and gives the bodies: the caller links the graph
        meanwhile (the workers need only the records). Bodies converted before from the
        same text for the same layout of files are reused. With keep=False (one build, not
        the preview server) nothing is remembered for a next build, and the bodies do not
        keep their Markdown."""
        last = self._last_bodies if keep else None
        bodies = Bodies(self.config.content_dir.resolve(), articles, actors, resolutions,
                        assets, last)
        if bodies.changed is not None:        # a save that changed texts only
            keys = dict(last.keys)
            for page in bodies.changed:
                keys[page] = body_key(*bodies.sources[page], self._where)
            missing = [page for page in bodies.changed if keys[page] not in self.bodies]
        else:
            keys = self._keys(bodies, last)
            missing = [page for page, key in keys.items() if key not in self.bodies]

        def convert(page: str) -> tuple[str, str, list[Problem]]:
            found = Problems(problems.root)
            html = bodies.convert(self.markdown, page, *bodies.sources[page], found)
            return html, plain_summary(html), found.items

        converted: dict[str, tuple[str, list[Problem]]] = {}
        results = parallel.run(convert, missing, jobs, progress)

        def take(page: str, result: tuple[str, str, list[Problem]]) -> None:
            html, summary, found = result
            self.html[keys[page]] = html
            converted[keys[page]] = (summary, found)

        pending, failed = iter(missing), None
        try:
            if missing:                 # the first result starts the workers
                take(next(pending), next(results))
        except Exception as exc:        # raised where the caller handles failures
            failed = exc

        def finish() -> Bodies:
            if failed is not None:
                raise failed
            for page, result in zip(pending, results):
                take(page, result)
            results.close()             # the workers' pool, once every result is in
            if bodies.changed is not None:
                kept = {**self.bodies, **converted}
                for page in bodies.changed:      # texts these pages no longer have
                    if last.keys[page] != keys[page]:
                        kept.pop(last.keys[page], None)
                bodies.summaries = dict(last.summaries)
                for page in bodies.changed:
                    bodies.summaries[page] = kept[keys[page]][0]
            else:
                kept = {}
                for page, key in keys.items():
                    summary, _ = kept[key] = converted.get(key) or self.bodies[key]
                    bodies.summaries[page] = summary
            for key in keys.values():
                problems.items.extend(kept[key][1])
            bodies.keys, bodies.html = keys, self.html
            if keep:
                self._last_bodies = bodies
            else:    # the records' Markdown and line maps are freed once converted
                bodies.sources, bodies.records = {}, ()
            self.bodies_changed = bool(missing) or kept.keys() != self.bodies.keys()
            self.bodies = kept
            self.html.keep(kept)
            return bodies

        return finish

    def _keys(self, bodies: Bodies, last: Bodies | None) -> dict[str, str]:
        """body_key of every page; the same as `last`'s for a text that is the same object
        (digesting every text on every preview save would cost more than the rest of it)."""
        # A body's HTML depends on its text and on where the files it links to are published.
        layout = [f"{p}\t{page}" for p, page in bodies.pages.items()] + \
            list(map(str, bodies.records[3]))
        if layout != self._layout:
            self._layout, last = layout, None
            self._where = hashlib.sha256("\n".join(sorted(layout)).encode()).hexdigest()
        keys, before = {}, last.sources if last is not None else {}
        for page, source in bodies.sources.items():
            known = before.get(page)
            if known is not None and known[1] is source[1] and known[0] is source[0] and \
                    known[2] == source[2]:
                keys[page] = last.keys[page]
            else:
                keys[page] = body_key(*source, self._where)
        return keys

    @property
    def salt(self) -> str:
        """Everything besides its inputs that a page's bytes depend on: the code, the
        configuration and every theme file."""
        digest = hashlib.sha256(f"{code_version()}\0{self.config!r}".encode())
        for folder in self.dirs:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    digest.update(f"\0{path}\0".encode() + path.read_bytes())
        return digest.hexdigest()


def _stream_page(template: jinja2.Template, site: dict, spec: PageSpec) -> Iterator[bytes]:
    for text in template.generate(site, page_path=spec.path, **spec.extra):
        yield text.encode()


def _render_page(template: jinja2.Template, site: dict, spec: PageSpec) -> bytes:
    return template.render(site, page_path=spec.path, **spec.extra).encode()


def body_key(path: Path, text: str, line: int, where: str) -> str:
    """A stable digest (the same in every process) of everything a body's HTML depends on."""
    return hashlib.sha256(f"{path}\0{line}\0{where}\0{text}".encode()).hexdigest()


def code_version() -> str:
    """Cached HTML is only valid for the code that made it."""
    parts = [__version__]
    for package in ("markdown", "nh3", "pygments", "jinja2", "babel"):
        try:
            parts.append(version(package))
        except PackageNotFoundError:
            parts.append("?")
    return "/".join(parts)

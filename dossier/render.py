"""Jinja2 pages from the linked dossier -> Output list.

Templates come from the site's theme/ first, then the packaged default theme, file by file.
Autoescaping is on and undefined names fail loudly, so a template bug is never a silent blank.

Each page is planned with the exact data it shows (`pages.plan`). A Renderer kept alive
across builds (the preview server) re-renders only pages whose inputs changed and reuses
Markdown bodies whose text did not: same inputs, same bytes, so an incremental build equals a
clean one.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import jinja2
from markupsafe import Markup as MarkupSafe

from dossier import feeds, model, urls
from dossier.config import SiteConfig
from dossier.markup import Bodies, Markup
from dossier.outputs import Output, once, static_files
from dossier.pages import View, plan
from dossier.problems import Problem, Problems
from dossier.publish import publish
from dossier.templating import Strings, environment, json_ld, theme_dirs

LAZY_PAGES = {urls.PRINT}      # pages of the whole dossier: made when asked for


class Renderer:
    """Renders a dossier with one theme and configuration; keeps caches between builds."""

    def __init__(self, config: SiteConfig):
        self.config = config
        self.dirs = theme_dirs(config)
        self.strings = Strings(self.dirs, config.language)
        self.env = environment(self.dirs, config, self.strings)
        self.markdown = Markup()
        # Markdown bodies by content digest (see body_key); saved between runs by BuildCache.
        self.bodies: dict[str, tuple[str, list[Problem]]] = {}
        self._pages: dict[str, tuple[tuple, Callable[[], bytes]]] = {}
        self._fragments: dict[tuple, MarkupSafe] = {}
        self.rendered = 0                            # pages rendered by the last call
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

    def render(self, dossier: model.Dossier, assets: list[Path],
               problems: Problems) -> list[Output]:
        """Every page of the site plus the theme's static files and content/'s other files."""
        if not self.strings.translated:
            problems.warning(self.config.root / "dossier.yaml", 1,
                             f"no interface strings for language '{self.config.language}': "
                             "English is used", "add theme/i18n/<language>.yaml")
        bodies = self._render_bodies(dossier, assets, problems)
        view = View(dossier, bodies)
        site = {"config": self.config, "dossier": dossier, "bodies": bodies, "view": view,
                "t": self.strings, "asset_versions": self.asset_versions,
                "absolute": lambda path: feeds.absolute(self.config, path),
                "json_ld": json_ld}
        outputs, pages, self.rendered = [], {}, 0
        fragments, previous = {}, self._fragments

        @jinja2.pass_context
        def fragment(context, name: str, inputs: tuple, **values) -> MarkupSafe:
            """A partial template whose output depends only on `inputs` and the page's depth:
            rendered once, reused on every page and in later builds."""
            key = (name, inputs, context["page_path"].count("/"))
            html = fragments.get(key) or previous.get(key)
            if html is None:
                html = MarkupSafe(self.env.get_template(name).render(
                    context.get_all(), **values))
            fragments[key] = html
            return html

        site["fragment"] = fragment
        for spec in plan(dossier, view):
            cached = self._pages.get(spec.path)
            if cached and cached[0] == spec.inputs:
                make = cached[1]
            else:
                template = self.env.get_template(spec.template)
                make = once(lambda t=template, spec=spec: t.render(
                    site, page_path=spec.path, **spec.extra).encode())
                self.rendered += 1
                if spec.path not in LAZY_PAGES:
                    make()
            pages[spec.path] = (spec.inputs, make)
            outputs.append(Output(spec.path, f"template {spec.template}", make=make))
        self._pages, self._fragments = pages, fragments
        outputs += self.statics
        outputs += publish(self.config, dossier, view, list(self._pages), problems)
        content = self.config.content_dir
        outputs += [Output(p.relative_to(content).as_posix(), str(p), source=p)
                    for p in assets]
        return outputs

    def _render_bodies(self, dossier, assets, problems) -> Bodies:
        bodies = Bodies(self.config.content_dir.resolve(), dossier, assets)
        # A body's HTML depends on its text and on where the files it links to are published.
        where = hashlib.sha256("\n".join(
            [f"{p}\t{page}" for p, page in sorted(bodies.pages.items())] +
            [str(a) for a in assets]).encode()).hexdigest()
        cache: dict = {}
        for page, (path, text, line) in bodies.sources.items():
            key = body_key(path, text, line, where)
            hit = self.bodies.get(key)
            if hit is None:
                found = Problems(problems.root)
                hit = (bodies.convert(self.markdown, page, path, text, line, found), found.items)
            cache[key] = hit
            bodies.html[page] = hit[0]
            problems.items.extend(hit[1])
        self.bodies = cache
        return bodies


def body_key(path: Path, text: str, line: int, where: str) -> str:
    """A stable digest (the same in every process) of everything a body's HTML depends on."""
    return hashlib.sha256(f"{path}\0{line}\0{where}\0{text}".encode()).hexdigest()


def render(config: SiteConfig, dossier: model.Dossier, assets: list[Path],
           problems: Problems) -> list[Output]:
    """One-off full render (the `build` and `check` commands)."""
    return Renderer(config).render(dossier, assets, problems)

"""Jinja2 pages from the linked dossier -> Output list.

Templates come from the site's theme/ first, then the packaged default theme, file by file.
Autoescaping is on and undefined names fail loudly, so a template bug is never a silent blank.

Each page is planned with the exact data it shows (`PageSpec.inputs`). A Renderer kept alive
across builds (the preview server) re-renders only pages whose inputs changed and reuses
Markdown bodies whose text did not: same inputs, same bytes, so an incremental build equals a
clean one.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import threading
import itertools
import json
import re
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

import jinja2
import yaml
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_timedelta
from markupsafe import Markup, escape

from dossier import exports, feeds, model, pictures, urls
from dossier.config import SiteConfig
from dossier.markup import Markup as Markdown
from dossier.markup import plain_summary
from dossier.names import slugify
from dossier.problems import Problem, Problems

FALLBACK_LANGUAGE = "en"
LAZY_PAGES = {urls.PRINT}      # pages of the whole dossier: made when asked for


def default_theme() -> Path:
    """The default theme: package data when installed, the repository's theme/ otherwise."""
    try:
        return Path(str(resources.files("dossier.theme")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "theme"


def theme_dirs(config: SiteConfig) -> list[Path]:
    site = (config.root / config.theme).resolve()
    default = default_theme().resolve()
    return [site, default] if site.is_dir() and site != default else [default]


@dataclass(frozen=True)
class Output:
    """One file of the site: rendered bytes, a file copied as it is, or bytes made on demand.

    Aggregates of the whole dossier (search index, data exports, feeds, the printable dossier)
    are made on demand: `build` asks for all of them, the preview server only for those a
    browser requests, so a save does not wait for files nobody is looking at."""

    path: str
    origin: str                  # what produced it, for double-write errors
    data: bytes | None = None
    source: Path | None = None
    make: Callable[[], bytes] | None = field(default=None, compare=False)

    def content(self) -> bytes:
        if self.data is not None:
            return self.data
        if self.make is not None:
            return self.make()
        return self.source.read_bytes()

    @property
    def is_page(self) -> bool:
        return self.path.endswith(".html") and self.source is None


def _once(function: Callable[[], bytes]) -> Callable[[], bytes]:
    """Make the bytes the first time they are asked for, then keep them."""
    kept: list[bytes] = []
    lock = threading.Lock()

    def made() -> bytes:
        with lock:
            if not kept:
                kept.append(function())
            return kept[0]
    return made


@dataclass(frozen=True)
class PageSpec:
    path: str
    template: str
    extra: dict = field(compare=False)
    inputs: tuple = ()           # everything the page shows; equal inputs give equal bytes


class Strings:
    """UI strings of the dossier's language, falling back to English key by key."""

    def __init__(self, dirs: list[Path], language: str):
        self.language = language
        self._tables = [self._read(dirs, language.split("-")[0]), self._read(dirs, "en")]

    @staticmethod
    def _read(dirs: list[Path], language: str) -> dict:
        table: dict = {}
        for folder in reversed(dirs):                # the site's theme overrides key by key
            path = folder / "i18n" / f"{language}.yaml"
            if path.exists():
                table.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        return table

    @property
    def translated(self) -> bool:
        return bool(self._tables[0])

    def __call__(self, key: str, **values) -> str:
        for table in self._tables:
            if key in table:
                return str(table[key]).format(**values) if values else str(table[key])
        raise KeyError(f"no UI string '{key}' in the theme's i18n/en.yaml")


class Renderer:
    """Renders a dossier with one theme and configuration; keeps caches between builds."""

    def __init__(self, config: SiteConfig):
        self.config = config
        self.dirs = theme_dirs(config)
        self.strings = Strings(self.dirs, config.language)
        self.env = _environment(self.dirs, config, self.strings)
        self.markdown = Markdown()
        self._bodies: dict[tuple, tuple[str, list[Problem]]] = {}
        self._pages: dict[str, tuple[tuple, Callable[[], bytes]]] = {}
        self._fragments: dict[tuple, Markup] = {}
        self.rendered = 0                            # pages rendered by the last call
        # Content hashes in asset URLs let hosts cache them forever (a change changes the URL).
        self.statics = static_files(self.dirs)
        self.asset_versions = {o.path: hashlib.sha256(o.source.read_bytes()).hexdigest()[:10]
                               for o in self.statics}
        self.env.globals["asset"] = self._asset_url
        style = next((o.source for o in self.statics if o.path == urls.static("style.css")), None)
        self.env.globals["inline_css"] = Markup(style.read_text(encoding="utf-8")) if style else ""

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
        view = _View(dossier, bodies)
        site = {"config": self.config, "dossier": dossier, "bodies": bodies, "view": view,
                "t": self.strings, "asset_versions": self.asset_versions,
                "absolute": lambda path: feeds.absolute(self.config, path),
                "json_ld": _json_ld}
        outputs, pages, self.rendered = [], {}, 0
        fragments, previous = {}, self._fragments

        @jinja2.pass_context
        def fragment(context, name: str, inputs: tuple, **values) -> Markup:
            """A partial template whose output depends only on `inputs` and the page's depth:
            rendered once, reused on every page and in later builds."""
            key = (name, inputs, context["page_path"].count("/"))
            html = fragments.get(key) or previous.get(key)
            if html is None:
                html = Markup(self.env.get_template(name).render(
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
                make = _once(lambda t=template, spec=spec: t.render(
                    site, page_path=spec.path, **spec.extra).encode())
                self.rendered += 1
                if spec.path not in LAZY_PAGES:
                    make()
            pages[spec.path] = (spec.inputs, make)
            outputs.append(Output(spec.path, f"template {spec.template}", make=make))
        self._pages, self._fragments = pages, fragments
        outputs += self.statics
        outputs += self._publishing(dossier, view, problems)
        content = self.config.content_dir
        outputs += [Output(p.relative_to(content).as_posix(), str(p), source=p)
                    for p in assets]
        return outputs

    def _publishing(self, dossier: model.Dossier, view: "_View",
                    problems: Problems) -> list[Output]:
        """Feeds, sitemap, robots.txt, data exports and the search index."""
        config = self.config

        def body_of(article):
            return view.bodies.of(urls.article(article.slug))

        out: list[Output] = []

        def add(path: str, make: Callable[[], bytes]) -> None:
            out.append(Output(path, f"generated {path}", make=_once(make)))

        tables = _once(lambda: exports.records(dossier, view.summary))
        for name in ("articles", "actors", "resolutions", "events", "claims"):
            add(f"data/{name}.json", lambda name=name: exports.as_json(tables()[name]))
            add(f"data/{name}.csv", lambda name=name: exports.as_csv(tables()[name]))
        add("data/timeline.json", lambda: exports.as_json(exports.timelinejs(
            config, dossier, view.summary)))
        add("search-index.js", lambda: exports.search_index(dossier, body_of, view.summary))
        if not config.base_url:
            problems.note(config.root / "dossier.yaml", 0, "feeds, sitemap.xml and robots.txt "
                          "are skipped: they need absolute URLs",
                          "set base_url in dossier.yaml or pass --base-url")
            return out
        def feed(page: str, title: str, slugs) -> None:
            path = page.replace("index.html", "feed.xml")
            chosen = [dossier.by_slug[s] for s in slugs][:feeds.TOPIC_FEED_ENTRIES]
            add(path, lambda: feeds.atom(config, title, page, path, chosen, body_of,
                                         view.summary))

        add("feed.xml", lambda: feeds.atom(config, config.title, urls.HOME, "feed.xml",
                                           dossier.articles[:feeds.FEED_ENTRIES], body_of,
                                           view.summary))
        for slug, actor in dossier.actors.items():
            feed(urls.actor(slug), f"{actor.name} — {config.title}",
                 dossier.actor_articles.get(slug, ()))
        for slug, resolution in dossier.resolutions.items():
            feed(urls.resolution(slug), f"{resolution.symbol} — {config.title}",
                 dossier.resolution_articles.get(slug, ()))
        dated = {urls.article(a.slug): a.date for a in dossier.articles}
        listed = [(path, dated.get(path)) for path in sorted(self._pages)
                  if path != urls.NOT_FOUND]
        add("sitemap.xml", lambda: feeds.sitemap(config, listed))
        add("robots.txt", lambda: feeds.robots(config))
        return out

    def _render_bodies(self, dossier, assets, problems) -> "_Bodies":
        bodies = _Bodies(self.config.content_dir.resolve(), dossier, assets)
        # A body's HTML depends on its text and on where the files it links to are published.
        where = hash((tuple(sorted(bodies.pages.items())), tuple(assets)))
        cache: dict = {}
        for page, (path, text, line) in bodies.sources.items():
            key = (path, text, line, where)
            hit = self._bodies.get(key)
            if hit is None:
                found = Problems(problems.root)
                hit = (bodies.convert(self.markdown, page, path, text, line, found), found.items)
            cache[key] = hit
            bodies.html[page] = hit[0]
            problems.items.extend(hit[1])
        self._bodies = cache
        return bodies


def render(config: SiteConfig, dossier: model.Dossier, assets: list[Path],
           problems: Problems) -> list[Output]:
    """One-off full render (the `build` and `check` commands)."""
    return Renderer(config).render(dossier, assets, problems)


def plan(dossier: model.Dossier, view: "_View") -> list[PageSpec]:
    """Every page, with the data it shows. Templates must show nothing outside `inputs`."""
    a, e = view.article, view.entry
    everything = (tuple(a(x.slug) for x in dossier.articles),
                  tuple(view.actor(s) + (n,) for s, n in dossier.ranked),
                  tuple(view.resolution_full(s) for s in dossier.resolutions),
                  tuple(e(x) for x in dossier.timeline), tuple(dossier.tags))
    specs = [
        PageSpec(urls.HOME, "index.html", {}, everything),
        PageSpec(urls.TIMELINE, "timeline.html", {}, everything[1] + everything[3]),
        PageSpec(urls.ACTORS, "actors.html", {}, (
            tuple((x, len(dossier.actor_articles.get(s, ()))) for s, x in dossier.actors.items()),
            tuple((s, tuple(c)) for s, c in dossier.co_actors.items()))),
        PageSpec(urls.RESOLUTIONS, "resolutions.html", {}, everything[2]),
        PageSpec(urls.TAGS, "tags.html", {}, tuple((s, lbl, len(v)) for s, (lbl, v) in
                                                   dossier.tags.items())),
        PageSpec(urls.NOT_FOUND, "404.html", {}, ()),
        PageSpec(urls.PRINT, "print.html", {}, everything + (
            tuple(view.bodies.of(urls.article(x.slug)) for x in dossier.articles),
            tuple(map(view.claim, dossier.claims)), tuple(dossier.resolutions.values()),
            tuple(dossier.actors.values()))),
    ]
    articles = dossier.articles
    for i, article in enumerate(articles):
        newer = articles[i - 1] if i > 0 else None
        older = articles[i + 1] if i + 1 < len(articles) else None
        specs.append(PageSpec(urls.article(article.slug), "article.html",
                              {"article": article, "newer": newer, "older": older}, (
            article, view.bodies.of(urls.article(article.slug)),
            tuple(view.actor(s) for s in dossier.article_actors[article.slug]),
            tuple(view.resolution(s) for s in dossier.article_resolutions[article.slug]),
            tuple(view.claim(c) for c in dossier.article_claims.get(article.slug, ())),
            tuple(a(s) for s in dossier.related[article.slug]),
            newer and a(newer.slug), older and a(older.slug))))
    for slug, actor in dossier.actors.items():
        by, about = dossier.actor_claims.get(slug, ((), ()))
        specs.append(PageSpec(urls.actor(slug), "actor.html", {"actor": actor}, (
            actor, view.bodies.of(urls.actor(slug)),
            tuple(view.actor(s) + (n,) for s, n in dossier.co_actors.get(slug, ())),
            tuple(map(view.claim, by)), tuple(map(view.claim, about)),
            tuple(e(x) for x in dossier.actor_timeline.get(slug, ())))))
    for slug, resolution in dossier.resolutions.items():
        specs.append(PageSpec(urls.resolution(slug), "resolution.html",
                              {"resolution": resolution}, (
            resolution, view.bodies.of(urls.resolution(slug)),
            tuple(a(s) for s in dossier.resolution_articles.get(slug, ())),
            tuple((pid, view.claim(x) if isinstance(x, model.LinkedClaim) else e(x))
                  for pid, x in dossier.citations.get(slug, ())),
            tuple(e(x) for x in dossier.resolution_timeline.get(slug, ())))))
    for slug, (label, slugs) in dossier.tags.items():
        specs.append(PageSpec(urls.tag(slug), "tag.html",
                              {"tag": slug, "label": label, "slugs": slugs},
                              (label, tuple(a(s) for s in slugs))))
    return specs


class _View:
    """The small facts a page shows about other records (a link's text, a list item)."""

    def __init__(self, dossier: model.Dossier, bodies: "_Bodies"):
        self.dossier, self.bodies = dossier, bodies
        self._summaries: dict[str, str] = {}
        # Each view is asked for thousands of times per build (every page that lists it).
        for name in ("article", "actor", "resolution", "entry", "claim"):
            setattr(self, name, _memo(getattr(self, name)))

    def summary(self, slug: str) -> str:
        if slug not in self._summaries:
            article = self.dossier.by_slug[slug]
            self._summaries[slug] = article.summary or plain_summary(
                self.bodies.of(urls.article(slug)))
        return self._summaries[slug]

    def article(self, slug: str) -> tuple:
        x = self.dossier.by_slug[slug]
        return (slug, x.title, x.date, x.source.name, self.summary(slug))

    def actor(self, slug: str) -> tuple:
        x = self.dossier.actors[slug]
        return (slug, x.name, x.path is None, x.kind,
                len(self.dossier.actor_articles.get(slug, ())))

    def resolution(self, slug: str) -> tuple:
        return (slug, self.dossier.resolutions[slug].symbol)

    def resolution_full(self, slug: str) -> tuple:
        return (self.dossier.resolutions[slug],
                len(self.dossier.resolution_articles.get(slug, ())))

    def entry(self, entry: model.TimelineEntry) -> tuple:
        by_slug = self.dossier.by_slug
        return (entry, tuple(map(self.actor, entry.actors)),
                tuple(map(self.resolution, entry.resolutions)),
                tuple(by_slug[s].title for s in (entry.article, *entry.also) if s))

    def claim(self, linked: model.LinkedClaim) -> tuple:
        return (linked, self.actor(linked.by), tuple(map(self.actor, linked.about)),
                self.dossier.by_slug[linked.article].title)


def _json_ld(data: dict) -> Markup:
    """JSON for a <script type="application/ld+json">: '<' escaped so text cannot end it."""
    text = json.dumps({k: v for k, v in data.items() if v}, ensure_ascii=False, sort_keys=True)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _memo(function):
    memory: dict = {}

    def remembered(key):
        # By identity: records are rebuilt by each link(), and the same object is asked again.
        found = memory.get(id(key))
        if found is None or found[0] is not key:
            found = memory[id(key)] = (key, function(key))
        return found[1]
    return remembered


def static_files(dirs: list[Path]) -> list[Output]:
    """Theme static files, the site's theme overriding the default file by file."""
    found: dict[str, Path] = {}
    for folder in reversed(dirs):
        static = folder / "static"
        for path in sorted(static.rglob("*")) if static.is_dir() else ():
            if path.is_file() and not path.name.startswith("."):
                found[urls.static(path.relative_to(static).as_posix())] = path
    return [Output(out, str(src), source=src) for out, src in sorted(found.items())]


def _environment(dirs: list[Path], config: SiteConfig, strings: "Strings") -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d / "templates") for d in dirs]),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False)
    locale = _locale(config.language)

    @jinja2.pass_context
    def url(context, target: str) -> str:
        # A host serves 404.html at any depth, where relative links break: with a base_url
        # its links are absolute.
        if context["page_path"] == urls.NOT_FOUND and config.base_url:
            return feeds.absolute(config, target)
        return urls.relative(context["page_path"], target)

    # Links to actors and resolutions appear hundreds of times per page: plain Python
    # functions render them several times faster than Jinja macros.
    @jinja2.pass_context
    def actor_link(context, slug: str) -> Markup:
        actor = context["dossier"].actors[slug]
        stub = "" if actor.path else ' class="stub"'
        href = urls.relative(context["page_path"], urls.actor(slug))
        return Markup(f'<a href="{href}"{stub}>{escape(actor.name)}</a>')

    @jinja2.pass_context
    def resolution_link(context, slug: str) -> Markup:
        symbol = context["dossier"].resolutions[slug].symbol
        href = urls.relative(context["page_path"], urls.resolution(slug))
        return Markup(f'<a href="{href}">{escape(symbol)}</a>')

    def date(value, style: str = "long") -> str:
        if value is None:
            return ""
        if isinstance(value, model.PartialDate):
            return month(value)
        if isinstance(value, dt.datetime):
            return f"{format_date(value.date(), style, locale=locale)}, {value:%H:%M}"
        return format_date(value, style, locale=locale)

    def time(value) -> Markup:
        return Markup(f'<time datetime="{value.isoformat()}">{escape(date(value))}</time>')

    def by_month(entries) -> list:
        """[(year, [(month, entries)])] of entries already in date order."""
        return [(year, [(month, list(items)) for month, items in
                        itertools.groupby(in_year, key=lambda e: e.date.month)])
                for year, in_year in itertools.groupby(entries, key=lambda e: e.date.year)]

    def month(value) -> str:
        if value.month is None:
            return str(value.year)
        return format_date(dt.date(value.year, value.month, 1), "LLLL y", locale=locale)

    def reported_gap(happened, reported) -> str:
        """'reported the same day' / 'reported 3 months later', from the start of the period."""
        if reported is None:
            return ""
        start = happened.start() if isinstance(happened, model.PartialDate) else happened
        if isinstance(start, dt.datetime):
            start = start.date()
        day = reported.date() if isinstance(reported, dt.datetime) else reported
        days = (day - start).days
        if days <= 0:
            return strings("reported_same_day")
        return strings("reported_later", delay=format_timedelta(
            dt.timedelta(days=days), granularity="day", threshold=1.5, locale=locale))

    def language_name(code: str) -> str:
        return locale.languages.get(code.split("-")[0], code) if code else ""

    @jinja2.pass_context
    def timeline_chart(context, entries) -> Markup:
        return pictures.timeline_chart(entries, context["dossier"], context["page_path"],
                                       strings)

    @jinja2.pass_context
    def network(context, center: str | None = None) -> Markup:
        return pictures.network(context["dossier"], context["page_path"], strings, center)

    env.globals.update(url=url, urls=urls, language_name=language_name, time=time,
                       reported_gap=reported_gap, timeline_chart=timeline_chart,
                       network=network,
                       by_month=by_month,
                       actor_link=actor_link, resolution_link=resolution_link)
    @jinja2.pass_context
    def actor_name(context, slug: str) -> str:
        return context["dossier"].actors[slug].name

    @jinja2.pass_context
    def embedded(context, body: str, source_page: str, prefix: str) -> Markup:
        """A body rendered for `source_page`, shown on another page (the printable dossier):
        relative links re-based to this page's depth, ids prefixed so they stay unique."""
        depth_from, depth_to = source_page.count("/"), context["page_path"].count("/")
        body = body.replace('="' + "../" * depth_from, '="' + "../" * depth_to)
        # Its headings go under the article's own title (h3 in the printable dossier).
        body = re.sub(r"<(/?)h([1-4])\b", lambda m: f"<{m.group(1)}h{int(m.group(2)) + 2}", body)
        body = re.sub(r'(id|href)="(#?)([^"]*)"', lambda m: m.group(0) if m.group(1) == "href"
                      and not m.group(2) else f'{m.group(1)}="{m.group(2)}{prefix}-{m.group(3)}"',
                      body)
        return Markup(body)

    env.filters.update(date=date, month=month, slug=slugify, actor_name=actor_name,
                       embedded=embedded,
                       isodate=lambda d: d.isoformat() if d else "")
    return env


def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(FALLBACK_LANGUAGE)


class _Bodies:
    """Markdown bodies of one build, with content links checked and rewritten."""

    def __init__(self, content: Path, dossier: model.Dossier, assets: list[Path]):
        self.content = content
        self.assets = set(assets)
        self.pages: dict[Path, str] = {}                      # source file -> page path
        self.sources: dict[str, tuple[Path, str, int]] = {}   # page path -> Markdown
        for article in dossier.articles:
            self._add(urls.article(article.slug), article.path, article.body, article.body_line)
        for actor in dossier.actors.values():
            if actor.path:
                self._add(urls.actor(actor.slug), actor.path, actor.body, actor.body_line)
        for res in dossier.resolutions.values():
            if res.path:
                self._add(urls.resolution(res.slug), res.path, res.text, res.text_line)
        self.html: dict[str, str] = {}

    def _add(self, page: str, path: Path, text: str, line: int) -> None:
        self.pages[path] = page          # paths under the resolved content/ folder
        self.sources[page] = (path, text, line)

    def of(self, page: str) -> str:
        return self.html.get(page, "")

    def convert(self, markdown: Markdown, page: str, path: Path, text: str, first_line: int,
                problems: Problems) -> str:
        def resolve(target: str, tag: str):
            line = first_line + _line_of(text, target)
            if target.startswith(("http://", "https://")):
                problems.warning(path, line, f"remote image {target} is not shown: pages "
                                 "load nothing from other hosts",
                                 "save the image beside the article and link the copy")
                return None
            file = Path(os.path.normpath(path.parent / unquote(target)))
            if file in self.pages:
                return urls.relative(page, self.pages[file])
            if file in self.assets:
                return urls.relative(page, file.relative_to(self.content).as_posix())
            problems.error(path, line, f"link to '{target}' points nowhere",
                           "link to an existing file in content/, relative to this file")
            return None

        return markdown.render(text, resolve)


def _line_of(text: str, needle: str) -> int:
    """0-based line of the first occurrence of `needle` in `text` (0 if absent)."""
    index = text.find(needle)
    return text.count("\n", 0, index) if index >= 0 else 0

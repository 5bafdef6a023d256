"""Jinja2 pages from the linked dossier -> {output path: bytes}.

Templates come from the site's theme/ first, then the packaged default theme, file by file.
Autoescaping is on and undefined names fail loudly, so a template bug is never a silent blank.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2
import yaml
from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from dossier import model, urls
from dossier.config import SiteConfig
from dossier.markup import Markup, plain_summary
from dossier.names import slugify
from dossier.problems import Problems

FALLBACK_LANGUAGE = "en"


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
    """One file of the site: rendered bytes, or a file copied as it is."""

    path: str
    origin: str                  # what produced it, for double-write errors
    data: bytes | None = None
    source: Path | None = None


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


def render(config: SiteConfig, dossier: model.Dossier, assets: list[Path],
           problems: Problems) -> list[Output]:
    """Every page of the site plus the theme's static files and content/'s other files."""
    dirs = theme_dirs(config)
    strings = Strings(dirs, config.language)
    if not strings.translated:
        problems.warning(config.root / "dossier.yaml", 1,
                         f"no interface strings for language '{config.language}': English is used",
                         "add theme/i18n/<language>.yaml")
    env = _environment(dirs, config, strings)
    bodies = _Bodies(config, dossier, problems)
    site = {"config": config, "dossier": dossier, "bodies": bodies, "t": strings}

    pages: list[tuple[str, str, dict]] = [
        (urls.HOME, "index.html", {}),
        (urls.TIMELINE, "timeline.html", {}),
        (urls.ACTORS, "actors.html", {}),
        (urls.RESOLUTIONS, "resolutions.html", {}),
        (urls.TAGS, "tags.html", {}),
        (urls.NOT_FOUND, "404.html", {}),
    ]
    articles = dossier.articles
    for i, article in enumerate(articles):
        pages.append((urls.article(article.slug), "article.html", {
            "article": article,
            "newer": articles[i - 1] if i > 0 else None,
            "older": articles[i + 1] if i + 1 < len(articles) else None}))
    pages += [(urls.actor(s), "actor.html", {"actor": a}) for s, a in dossier.actors.items()]
    pages += [(urls.resolution(s), "resolution.html", {"resolution": r})
              for s, r in dossier.resolutions.items()]
    pages += [(urls.tag(s), "tag.html", {"tag": s, "label": label, "slugs": slugs})
              for s, (label, slugs) in dossier.tags.items()]

    outputs = [Output(path, f"template {name}",
                      env.get_template(name).render(site, page_path=path, **extra).encode())
               for path, name, extra in pages]
    outputs += static_files(dirs)
    content = config.content_dir
    outputs += [Output(p.relative_to(content).as_posix(), str(p), source=p) for p in assets]
    return outputs


def static_files(dirs: list[Path]) -> list[Output]:
    """Theme static files, the site's theme overriding the default file by file."""
    found: dict[str, Path] = {}
    for folder in reversed(dirs):
        static = folder / "static"
        for path in sorted(static.rglob("*")) if static.is_dir() else ():
            if path.is_file() and not path.name.startswith("."):
                found[urls.static(path.relative_to(static).as_posix())] = path
    return [Output(out, str(src), source=src) for out, src in sorted(found.items())]


def _environment(dirs: list[Path], config: SiteConfig, strings: Strings) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d / "templates") for d in dirs]),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True)
    locale = _locale(config.language)

    @jinja2.pass_context
    def url(context, target: str) -> str:
        return urls.relative(context["page_path"], target)

    def date(value, style: str = "long") -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            return f"{format_date(value.date(), style, locale=locale)}, {value:%H:%M}"
        return format_date(value, style, locale=locale)

    def month(value) -> str:
        return format_date(dt.date(value.year, value.month, 1), "LLLL y", locale=locale)

    def language_name(code: str) -> str:
        return locale.languages.get(code.split("-")[0], code) if code else ""

    env.globals.update(url=url, urls=urls, language_name=language_name)
    env.filters.update(date=date, month=month, slug=slugify, isodate=lambda d: d.isoformat() if d else "")
    return env


@functools.lru_cache(maxsize=None)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(FALLBACK_LANGUAGE)


class _Bodies:
    """Markdown bodies rendered once per build, with content links checked and rewritten."""

    def __init__(self, config: SiteConfig, dossier: model.Dossier, problems: Problems):
        self.content = config.content_dir.resolve()
        self.problems = problems
        self.markup = Markup()
        self.pages: dict[Path, str] = {}
        for article in dossier.articles:
            self.pages[article.path.resolve()] = urls.article(article.slug)
        for actor in dossier.actors.values():
            if actor.path:
                self.pages[actor.path.resolve()] = urls.actor(actor.slug)
        for resolution in dossier.resolutions.values():
            if resolution.path:
                self.pages[resolution.path.resolve()] = urls.resolution(resolution.slug)
        self.html: dict[str, str] = {}
        for article in dossier.articles:
            self.html[urls.article(article.slug)] = self._render(article.path, article.body,
                                                                 article.body_line)
        for actor in dossier.actors.values():
            if actor.path:
                self.html[urls.actor(actor.slug)] = self._render(actor.path, actor.body,
                                                                 actor.body_line)
        for resolution in dossier.resolutions.values():
            if resolution.path:
                self.html[urls.resolution(resolution.slug)] = self._render(
                    resolution.path, resolution.text, resolution.text_line)

    def of(self, page: str) -> str:
        return self.html.get(page, "")

    def summary(self, article: model.Article) -> str:
        return article.summary or plain_summary(self.of(urls.article(article.slug)))

    def _render(self, path: Path, text: str, first_line: int) -> str:
        page = self.pages[path.resolve()]

        def resolve(target: str, tag: str):
            line = first_line + _line_of(text, target)
            if target.startswith(("http://", "https://")):
                self.problems.warning(path, line, f"remote image {target} is not shown: pages "
                                      "load nothing from other hosts",
                                      "save the image beside the article and link the copy")
                return None
            file = (path.parent / target).resolve()
            if file in self.pages:
                return urls.relative(page, self.pages[file])
            if file.is_file() and file.is_relative_to(self.content):
                return urls.relative(page, file.relative_to(self.content).as_posix())
            self.problems.error(path, line, f"link to '{target}' points nowhere",
                                "link to an existing file in content/, relative to this file")
            return None

        return self.markup.render(text, resolve)


def _line_of(text: str, needle: str) -> int:
    """0-based line of the first occurrence of `needle` in `text` (0 if absent)."""
    index = text.find(needle)
    return text.count("\n", 0, index) if index >= 0 else 0

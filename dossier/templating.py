"""The Jinja2 environment: theme folders, interface strings, and the filters and functions
templates use (relative URLs, localised dates, links, pictures)."""
from __future__ import annotations

import collections
import datetime as dt
import functools
import itertools
import json
import os
import re
import string
from importlib import resources
from pathlib import Path, PurePath
from types import FunctionType

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
import yaml
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_timedelta
from markupsafe import Markup, escape

from dossier import feeds, files, maps, model, pictures, typography, urls
from dossier.config import SiteConfig
from dossier.names import slugify

FALLBACK_LANGUAGE = "en"
# libyaml's safe loader where PyYAML has it: the interface strings are read at every build,
# and the pure-Python loader takes 0.08 s for them.
_YAML = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


class Strings:
    """UI strings of the dossier's language, falling back to English key by key."""

    def __init__(self, dirs: list[Path], language: str):
        self.language = language
        self.problems: list[tuple[Path, int, str, str]] = []    # reported by the renderer
        self._tables = [self._read(dirs, language.split("-")[0]), self._read(dirs, "en")]
        self._locales = [_locale(language), _locale(FALLBACK_LANGUAGE)]

    def _read(self, dirs: list[Path], language: str) -> dict:
        table: dict = {}
        for folder in reversed(dirs):                # the site's theme overrides key by key
            path = folder / "i18n" / f"{language}.yaml"
            if path.exists() and not files.leaves(path, folder):
                table.update(self._strings(path))
        return table

    def _strings(self, path: Path) -> dict:
        """One i18n file's strings: text, or text by plural category; problems noted."""
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            mark = getattr(exc, "problem_mark", None)
            self.problems.append((path, mark.line + 1 if mark else 1, f"not valid YAML: "
                                  f"{getattr(exc, 'problem', None) or exc}",
                                  "write 'key: text' lines, quoting texts that hold ':'"))
            return {}
        if not isinstance(data, dict):
            self.problems.append((path, 1, "expected 'key: text' lines", ""))
            return {}
        good = {}
        for key, text in data.items():
            plural = isinstance(text, dict) and all(isinstance(v, str) for v in text.values())
            if isinstance(text, str) or plural:
                good[str(key)] = text
            else:
                self.problems.append((path, 1, f"'{key}': expected text, or texts by plural "
                                      "form ({one: …, other: …})", ""))
        return good

    @property
    def translated(self) -> bool:
        return bool(self._tables[0])

    def __call__(self, key: str, **values) -> str:
        for table, locale in zip(self._tables, self._locales):
            if key in table:
                text = table[key]
                if isinstance(text, dict):     # by CLDR plural category: one, few, other…
                    category = locale.plural_form(values.get("count", 0))
                    text = text.get(category, text.get("other", ""))
                return _PLAIN.format(str(text), **values) if values else str(text)
        raise KeyError(f"no UI string '{key}' in the theme's i18n/en.yaml")


class _PlainFields(string.Formatter):
    """str.format for interface strings, which come with a theme: a field is a plain name
    ("{count}"), never an attribute, an index or a format spec ("{count.__class__}",
    "{count:>999999999}")."""

    def get_field(self, field_name: str, args, kwargs):
        if not field_name.isidentifier():
            raise ValueError(f"'{{{field_name}}}' in an interface string: only plain names "
                             "such as {count} are allowed")
        return kwargs[field_name], field_name

    def format_field(self, value, format_spec: str):
        if format_spec:
            raise ValueError(f"':{format_spec}' in an interface string: formats are not "
                             "allowed")
        return super().format_field(value, "")


_PLAIN = _PlainFields()


def json_ld(data: dict) -> Markup:
    """JSON for a <script type="application/ld+json">: '<' escaped so text cannot end it."""
    text = json.dumps({k: v for k, v in data.items() if v}, ensure_ascii=False, sort_keys=True)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Templates compiled to Python bytecode, kept in the user's cache folder like Python's
    own __pycache__: compiling the theme is a fifth of a small dossier's build. Jinja2 checks
    each entry against the template's source, so an edited template is compiled again; a
    folder that cannot be written only means compiling every time. Not in the dossier's
    .dossier-cache/: a dossier handed over must not bring code to run."""

    def __init__(self, flavour: str):
        home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                ".cache")
        # Code compiled for one kind of environment differs from another's (a sandbox's
        # calls go through the sandbox; a finalize step is compiled in): each kind apart, so
        # a template compiled for a trusted environment is never run in the sandbox.
        folder = os.path.join(home, "dossier", flavour)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        super().__init__(folder)

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _compiled_templates(flavour: str) -> jinja2.BytecodeCache | None:
    try:
        return _CompiledTemplates(flavour)
    except OSError:
        return None


# Where an id starts, or a link to one on the same page: `prefix-` goes after it (embedded).
_ANCHOR = re.compile(r'(?:id="|href="#)')


def _escape(value) -> Markup | str:
    """markupsafe.escape, for what a template prints ({{ … }}, the one place compiled templates
    call it), but HTML already marked safe is handed on as it is: escape() copies it (twice,
    in CPython), and a fragment of the printable dossier is a megabyte. The same text either
    way: Markup is immutable. So is a fragment's StoredHTML. Text comes back escaped as
    text, not Markup: printed, it is the same, and making a Markup of each of the millions of
    values a build prints goes through Markup.__new__ in Python."""
    kind = type(value)
    if kind is str:
        return value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;") \
            .replace("'", "&#39;").replace('"', "&#34;")
    return value if kind is Markup or kind is StoredHTML else escape(value)


class NotPrinted(BaseException):
    """A template did something with a StoredHTML other than print it. A BaseException:
    no `except Exception` of Jinja2's or of a filter may take it for an ordinary failure."""


class StoredHTML:
    """A fragment's HTML as the piece store holds it (UTF-8 bytes), given to a page written in
    pieces (render._pieces), which writes the bytes as they are: decoding 96 MB of the
    printable dossier's fragments into text, only for the page to encode them again, was
    half of making it again. Printing it (`{{ fragment(…) }}`) is all a template may do with
    it: anything else (a filter, a test, a comparison, joining it) raises NotPrinted, and the
    page is made again with the fragments as text, the same bytes either way."""

    __slots__ = ("data", "key")

    def __init__(self, data: bytes | memoryview, key: str | None = None):
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "key", key)      # in the piece store, if kept there

    def __getattribute__(self, name: str):
        if name == "data" or name == "key":
            return object.__getattribute__(self, name)
        raise NotPrinted(name)

    def _used(self, *args, **kwargs):
        raise NotPrinted()


# Every operator, conversion and protocol is looked up on the type, not through
# __getattribute__: each raises too (object's defaults would answer silently).
for _name in ("__str__", "__repr__", "__format__", "__bytes__", "__bool__", "__len__",
              "__iter__", "__reversed__", "__contains__", "__getitem__", "__hash__",
              "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__add__",
              "__radd__", "__iadd__", "__mul__", "__rmul__", "__mod__", "__rmod__",
              "__int__", "__float__", "__index__", "__complex__", "__round__", "__trunc__",
              "__setattr__", "__delattr__", "__dir__", "__reduce__", "__reduce_ex__",
              "__copy__", "__deepcopy__", "__call__", "__html__", "__getstate__"):
    setattr(StoredHTML, _name, StoredHTML._used)


class _Template(jinja2.Template):
    """Templates whose printed values go through _escape."""

    @classmethod
    def _from_namespace(cls, environment, namespace, globals):
        namespace["escape"] = _escape        # what the compiled code calls for {{ … }}
        return super()._from_namespace(environment, namespace, globals)


_PASS_CONTEXT = jinja2.pass_context(lambda context: None).jinja_pass_arg


class _Context(jinja2.runtime.Context):
    """Jinja2's context, with calls from templates to plain functions made directly. Every
    call in a template (`t(…)`, `url(…)`, `time(…)`: two million in a build of 10,000
    articles) goes through Context.call, which looks twice for a `pass_context` mark
    (on the callable, then on its __call__) before calling; a callable with neither mark
    is called as it is, and a function marked `pass_context` with this context, when no
    variables set in a loop or block are to be seen through it: all that Context.call
    would do with them."""

    def call(__self, __obj, *args, **kwargs):  # noqa: N805 (Jinja2's own signature)
        mark = getattr(__obj, "jinja_pass_arg", None)
        if mark is not None or getattr(
                getattr(type(__obj), "__call__", None), "jinja_pass_arg", None) is not None:
            if mark is not _PASS_CONTEXT or type(__obj) is not FunctionType or \
                    kwargs.get("_loop_vars") or kwargs.get("_block_vars"):
                return super().call(__obj, *args, **kwargs)
            args = (__self, *args)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined("value was undefined because a callable "
                                                "raised a StopIteration exception")


class _FlatGlobals:
    """Each template's globals as one dictionary, not Jinja2's ChainMap of its own over the
    environment's: every context a template starts (a page, an include, a fragment) copies
    them, and a ChainMap is copied key by key in Python (3 % of a clean build's time). Jinja2
    asks that globals not change once templates are loaded; ours are all set before
    (environment(), Renderer.__init__)."""

    def make_globals(self, d):
        return {**self.globals, **d} if d else dict(self.globals)


class _Environment(_FlatGlobals, jinja2.Environment):
    """The package's own theme's environment."""


class _ThemeSandbox(_FlatGlobals, ImmutableSandboxedEnvironment):
    """For a theme that came with a dossier (not the package's): Jinja2's sandbox (no
    private attributes, no changing the records) and no file system through the paths that
    records and settings carry (`config.root.joinpath(…).read_text()`)."""

    def is_safe_attribute(self, obj, attr: str, value) -> bool:
        if isinstance(obj, PurePath):
            return attr in ("name", "stem", "suffix")
        return super().is_safe_attribute(obj, attr, value)


def is_trusted(dirs: list[Path]) -> bool:
    """Only the package's own theme is trusted code."""
    return dirs == [default_theme().resolve()]


def environment(dirs: list[Path], config: SiteConfig, strings: "Strings") -> jinja2.Environment:
    # The package's theme runs unsandboxed: the sandbox checks every attribute and call
    # (about 7 % of a 1,000-article build), and the package is trusted code anyway.
    kind = _Environment if is_trusted(dirs) else _ThemeSandbox
    # Every value a template prints as text (titles, names, summaries) gets the language's
    # spacing; HTML made by code (Markup: bodies, links, pictures) is left as it is.
    french = typography.french if typography.is_french(config.language) else None
    env = kind(
        finalize=(lambda value: french(value) if type(value) is str else value)
        if french else None,
        loader=jinja2.FileSystemLoader([str(d / "templates") for d in dirs]),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False,
        bytecode_cache=_compiled_templates(("sandboxed" if kind is _ThemeSandbox else
                                            "templates") + ("-finalized" if french else "")))
    env.template_class, env.context_class = _Template, _Context
    locale = _locale(config.language)

    @jinja2.pass_context
    def url(context, target: str) -> str:
        # A host serves 404.html at any depth, where relative links break: with a base_url
        # its links are absolute; without one, from the host's root (the preview's, and
        # most hosts'; a site under a sub-path needs base_url for its 404 page).
        if context["page_path"] == urls.NOT_FOUND:
            return feeds.absolute(config, target) if config.base_url else "/" + target
        return urls.relative(context["page_path"], target)

    typeset = french or (lambda text: text)

    def source_link(source, text: str | None = None) -> Markup:
        """A link to a source with the Robust Links attributes (robustlinks.mementoweb.org):
        the original, its archived copy and the day it was seen, so that a reader, or a
        script, can fall back on the copy when the original is gone; then, visibly, the
        archived copy, or "live only" when there is none."""
        label = escape(text or source.url)
        if not source.url:
            return Markup(escape(text or source.name))
        attrs = f' data-originalurl="{escape(source.url)}"'
        if source.archived:
            attrs += f' data-versionurl="{escape(source.archived)}"'
        if source.retrieved:
            attrs += f' data-versiondate="{escape(source.retrieved.isoformat()[:10])}"'
        html = f'<a href="{escape(source.url)}" rel="noopener noreferrer"{attrs}>{label}</a>'
        if source.archived:
            html += (f' <a class="archived" href="{escape(source.archived)}" '
                     f'rel="noopener noreferrer">{escape(typeset(strings("archived_copy_link")))}</a>')
        else:
            html += f' <span class="live-only">{escape(typeset(strings("live_only")))}</span>'
        return Markup(html)

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

    @functools.lru_cache(maxsize=1 << 14)     # the same days, thousands of times per build
    def formatted(day: dt.date, style: str) -> str:
        return format_date(day, style, locale=locale)

    def date(value, style: str = "long") -> str:
        if value is None:
            return ""
        if isinstance(value, model.PartialDate):
            return month(value)
        if isinstance(value, dt.datetime):
            return f"{formatted(value.date(), style)}, {value:%H:%M}"
        return formatted(value, style)

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
        return formatted(dt.date(value.year, value.month, 1), "LLLL y")

    def reported_gap(happened, reported) -> str:
        """'reported the same day' / 'reported 3 months later'. For a month or a year, from
        the period's end, and nothing when the report falls inside it (an event of '2024'
        reported in March may have happened in February)."""
        if reported is None:
            return ""
        day = reported.date() if isinstance(reported, dt.datetime) else reported
        if isinstance(happened, model.PartialDate):
            if day <= happened.end():
                return ""
            start = happened.end()
        else:
            start = happened.date() if isinstance(happened, dt.datetime) else happened
        days = (day - start).days
        if days <= 0:
            return strings("reported_same_day")
        return strings("reported_later", delay=format_timedelta(
            dt.timedelta(days=days), granularity="day", threshold=1.5, locale=locale))

    def support(names, kinds=()) -> str:
        """'3 sources: 2 governments, 1 news agency' (kinds from dossier.yaml's publishers;
        just '3 sources' when none is described)."""
        counts = collections.Counter(kinds)
        described = any(counts[k] for k in model.PUBLISHER_KINDS)
        if len(names) < 2:
            said = strings("single_source")
            return strings("support_mix", sources=said, kinds=strings(
                "publisher_" + kinds[0])) if described else said
        said = strings("sources_count", count=len(names))
        if not described:
            return said
        mix = [strings("publishers_" + k, count=counts[k])
               for k in (*model.PUBLISHER_KINDS, "") if counts[k]]
        return strings("support_mix", sources=said, kinds=", ".join(mix))

    def css_string(text: str) -> Markup:
        """Text as a quoted CSS string that cannot end the string or the <style> element."""
        escaped = "".join(ch if ch.isalnum() or ch in " .,;:!?'()-«»’–—" else f"\\{ord(ch):x} "
                          for ch in str(text))
        return Markup(f'"{escaped}"')

    def country_name(code: str) -> str:
        """An ISO 3166 code in the dossier's language ("YE" -> "Yémen")."""
        return locale.territories.get(code.upper(), code) if code else ""

    def language_name(code: str) -> str:
        return locale.languages.get(code.split("-")[0], code) if code else ""

    def date_label(day, pattern: str) -> str:
        return format_date(day, pattern, locale=locale)

    @jinja2.pass_context
    def timeline_chart(context, entries, filterable: bool = False) -> list:
        """The picture in parts, its long lanes' marks kept as pieces (render's `piece`)."""
        keep = context.get("piece")
        return pictures.timeline_chart(
            entries, context["dossier"], context["page_path"], strings, date_label,
            config.periods, filterable,
            keep and (lambda name, values, make: keep(name, values, make, Markup)))

    @jinja2.pass_context
    def place_map(context, entries, small: bool = False, filterable: bool = False) -> Markup:
        placed = maps.marks(entries, context["dossier"])
        size = (440, 260) if small else (880, 480)
        return maps.place_map(placed, context["page_path"], strings, *size,
                              filterable=filterable)

    @jinja2.pass_context
    def network(context, center: str | None = None) -> Markup:
        return pictures.network(context["dossier"], context["page_path"], strings, center)

    env.globals.update(url=url, urls=urls, language_name=language_name, time=time,
                       claim_statuses=model.CLAIM_STATUSES, support=support,
                       css_string=css_string,
                       country_name=country_name,
                       reported_gap=reported_gap, timeline_chart=timeline_chart,
                       network=network, place_map=place_map,
                       by_month=by_month,
                       actor_link=actor_link, resolution_link=resolution_link,
                       source_link=source_link)
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
        body = _ANCHOR.sub(lambda m: m.group(0) + prefix + "-", body)
        return Markup(body)

    def chronological(items) -> list:
        """Records with a `date` (events), oldest first, whatever order they were written in:
        partial dates at the start of their period, as everywhere else."""
        return sorted(items, key=lambda item: model.sort_key(item.date))

    env.filters.update(date=date, month=month, slug=slugify, actor_name=actor_name,
                       chronological=chronological,
                       embedded=embedded,
                       isodate=lambda d: d.isoformat() if d else "")
    return env


def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(FALLBACK_LANGUAGE)

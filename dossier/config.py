"""dossier.yaml -> SiteConfig: every key optional, typed, explained; unknown keys warned."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from dossier import model, names
from dossier.files import CONFIG_FILE
from dossier.frontmatter import FrontMatterError, parse_yaml, printable
from dossier.problems import Problems


@dataclass(frozen=True)
class Period:
    """A named span of time, drawn as a band on the timeline pictures."""

    name: str
    start: dt.date
    end: dt.date | None = None          # still going on


@dataclass(frozen=True)
class SiteConfig:
    root: Path
    title: str = "Dossier"
    description: str = ""
    language: str = "en"
    base_url: str = ""
    output: Path = Path("_site")
    theme: Path = Path("theme")
    authors: tuple[str, ...] = ()
    strict: bool = False
    strict_sources: bool = False
    drafts: bool = False             # publish drafts, their problems as errors
    show_drafts: bool = False        # show drafts (the preview), their problems never fatal
    periods: tuple[Period, ...] = ()
    publishers: tuple[model.Publisher, ...] = ()

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def output_dir(self) -> Path:
        return (self.root / self.output).resolve()

    def for_pages(self) -> "SiteConfig":
        """The settings pages are made with: without the build's modes (--strict, --drafts,
        the preview's showing of drafts), which decide what is checked and which records
        there are, never how a record looks (a draft is a record; its banner is its field),
        nor where the site is written (--output). So the preview and `build` make the same
        page of the same records, and the preview can start from the fragments a build
        kept (cache.BuildCache.lent_pieces)."""
        return dataclasses.replace(self, output=Path("_site"), strict=False,
                                   strict_sources=False, drafts=False, show_drafts=False)


_HELP = {
    "title": "the dossier's name, shown on every page",
    "description": "one or two sentences shown on the home page and in metadata",
    "language": "language of the dossier and of its interface, e.g. fr or en",
    "base_url": "public address, e.g. https://example.org/dossier/ (for feeds and canonical links)",
    "output": "folder the site is written to, relative to the dossier (default _site)",
    "theme": "folder whose templates/ and static/ override the default theme (default theme)",
    "authors": "names of the dossier's editors",
    "periods": "named spans of time drawn on the timeline: [{name, start, end}]",
    "publishers": "who publishes the sources: [{name, kind, country, aliases}]",
}


def load_config(root: Path, problems: Problems, **overrides) -> SiteConfig:
    """Read ROOT/dossier.yaml (optional); command-line `overrides` win over the file."""
    root = root.resolve()
    path = root / CONFIG_FILE
    values, lines = _read(path, problems) if path.exists() else ({}, {})
    fields = {f.name for f in dataclasses.fields(SiteConfig)} - {
        "root", "strict", "drafts", "show_drafts", "strict_sources"}
    clean: dict = {}
    for key, value in values.items():
        line = lines.get((key,), 1)
        if key not in fields:
            problems.warning(path, line, f"unknown setting '{key}' is ignored",
                             "known settings: " + ", ".join(sorted(_HELP)))
            continue
        if key == "periods":
            value = _periods(value, path, line, problems)
        elif key == "publishers":
            value = _publishers(value, path, lines, problems)
        elif key == "authors":
            value = [value] if isinstance(value, str) else value
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.error(path, line, "authors: expected a list of names")
                continue
            value = tuple(value)
        elif not isinstance(value, str):
            problems.error(path, line, f"{key}: expected text, got {type(value).__name__}",
                           _HELP[key])
            continue
        clean[key] = value
    clean.update({k: v for k, v in overrides.items() if v is not None})
    for key in ("output", "theme"):
        if key in clean:
            clean[key] = Path(clean[key])
    config = SiteConfig(root=root, **clean)
    _check(config, path, lines, problems)
    return config


def _read(path: Path, problems: Problems) -> tuple[dict, dict]:
    """Settings and the line of each value (by key path); problems recorded, never raised."""
    try:
        data, lines = parse_yaml(printable(path.read_text(encoding="utf-8"), path, problems))
    except UnicodeDecodeError:
        problems.error(path, 1, "not UTF-8 text", "save the file as UTF-8")
        return {}, {}
    except FrontMatterError as exc:
        problems.error(path, exc.line, exc.message, exc.hint)
        return {}, {}
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        problems.error(path, 1, "expected 'key: value' settings")
        return {}, {}
    return data, lines


def _periods(value, path: Path, line: int, problems: Problems) -> tuple[Period, ...]:
    """`periods:` -> Periods; each problem at the setting's line."""
    if not isinstance(value, list):
        problems.error(path, line, "periods: expected a list of {name, start, end}")
        return ()
    found = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            problems.error(path, line, f"periods[{i}]: expected name, start and end",
                           "e.g. {name: Délai de rapatriement, start: 2017-12-22, "
                           "end: 2019-12-22}; no end for what is still going on")
            continue
        try:
            start = dt.date.fromisoformat(str(item.get("start")))
            end = dt.date.fromisoformat(str(item["end"])) if item.get("end") else None
        except ValueError:
            problems.error(path, line, f"periods[{i}] ({item['name']}): start and end must "
                           "be dates, YYYY-MM-DD")
            continue
        if end is not None and end < start:
            problems.error(path, line, f"periods[{i}] ({item['name']}) ends before it starts")
            continue
        found.append(Period(item["name"].strip(), start, end))
    return tuple(found)


PUBLISHER_KEYS = ("name", "kind", "country", "aliases")


def _publishers(value, path: Path, lines: dict, problems: Problems
                ) -> tuple[model.Publisher, ...]:
    """`publishers:` -> Publishers; each problem at its own line. A name or alias may name
    one publisher only."""
    def at(*key) -> int:
        while key and key not in lines:
            key = key[:-1]
        return lines.get(key, 1)

    kinds = ", ".join(model.PUBLISHER_KINDS)
    if not isinstance(value, list):
        problems.error(path, at("publishers"), "publishers: expected a list of {name, kind, "
                       "country, aliases}", f"kind is one of {kinds}")
        return ()
    found, owners = [], {}
    for i, item in enumerate(value):
        where = ("publishers", i)
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or \
                not item["name"].strip():
            problems.error(path, at(*where), f"publishers[{i}]: expected a mapping with a name",
                           "e.g. {name: KCNA, kind: state-media, country: KP}")
            continue
        name = item["name"].strip()
        for key in item:
            if key not in PUBLISHER_KEYS:
                problems.warning(path, at(*where, key), f"publishers[{i}] ({name}): unknown "
                                 f"field '{key}' is ignored", "known fields: " +
                                 ", ".join(PUBLISHER_KEYS))
        kind = item.get("kind")
        if kind not in model.PUBLISHER_KINDS:
            problems.error(path, at(*where, "kind"), f"publishers[{i}] ({name}): kind "
                           f"{kind!r} is not a kind of publisher", f"write one of {kinds}")
            continue
        country = item.get("country") or ""
        aliases = item.get("aliases") or []
        aliases = [aliases] if isinstance(aliases, str) else aliases
        if not isinstance(aliases, list) or \
                not all(isinstance(a, str) and a.strip() for a in aliases):
            problems.error(path, at(*where, "aliases"), f"publishers[{i}] ({name}): aliases "
                           "must be a list of names")
            continue
        if country and not (isinstance(country, str) and re.fullmatch(r"[A-Za-z]{2}",
                                                                         country)):
            problems.error(path, at(*where, "country"), f"publishers[{i}] ({name}): country "
                           f"{country!r} is not a country code", "write its ISO 3166 code, "
                           "as actors do: KP, RU, US")
            continue
        clashed = False
        for j, label in enumerate([name, *aliases]):
            key = names.fold(label)
            if key in owners:
                problems.error(path, at(*where, *(("aliases", j - 1) if j else ("name",))),
                               f"publishers[{i}]: '{label}' already names the publisher "
                               f"'{owners[key]}'", "a name or alias may name one publisher: "
                               "merge the two, or remove it from one")
                clashed = True
            owners.setdefault(key, name)
        if not clashed:
            found.append(model.Publisher(name, names.slugify(name), kind, country.upper(),
                                         tuple(a.strip() for a in aliases), line=at(*where)))
    return tuple(found)


_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def _check(config: SiteConfig, path: Path, lines: dict, problems: Problems) -> None:
    out, content = config.output_dir, config.content_dir.resolve()
    line = lines.get(("output",), 1)
    if out == config.root or config.root.is_relative_to(out):
        problems.error(path, line, f"output: {config.output} is the dossier itself",
                       "the build replaces the output folder: choose a folder such as _site")
    elif out.is_relative_to(content) or content.is_relative_to(out):
        problems.error(path, line, f"output: {config.output} overlaps content/",
                       "the next build would read the site as content; choose a folder such as _site")
    if not _LANGUAGE.match(config.language):
        problems.error(path, lines.get(("language",), 1), f"language: '{config.language}' is not "
                       "a language code", "write an ISO 639 code such as fr or en")
    if not content.is_relative_to(config.root):
        problems.error(path, 1, "content/ is a link to a folder outside the dossier",
                       "copy the folder itself into the dossier")
    theme = (config.root / config.theme).resolve()
    if not theme.is_relative_to(config.root):
        problems.error(path, lines.get(("theme",), 1), f"theme: {config.theme} is outside the "
                       "dossier", "keep the theme in the dossier's folder, e.g. theme/")
    if config.base_url and not config.base_url.startswith(("http://", "https://")):
        problems.error(path, lines.get(("base_url",), 1), f"base_url: '{config.base_url}' is not an "
                       "http(s) address", "write it in full, e.g. https://example.org/dossier/")

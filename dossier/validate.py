"""Field rules per record kind: raw front matter -> typed records, every problem located."""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import os
import re
from pathlib import Path

from dossier import files, model, urls
from dossier.load import Raw
from dossier.names import resolution_key, resolution_symbol, slugify
from dossier.problems import Problems

CLAIM_STATUSES = tuple(sorted(model.CLAIM_STATUSES))       # listed alphabetically in messages
ACTOR_KINDS = model.ACTOR_KINDS
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")

ARTICLE_KEYS = ("title", "date", "source", "language", "actors", "resolutions", "summary",
                "tags", "events", "claims", "slug", "draft", "updated", "corrections",
                "redirect_from")
SOURCE_KEYS = ("name", "url", "author", "language", "archived", "retrieved", "clipping",
               "sha256")
EVENT_KEYS = ("date", "title", "actors", "resolutions", "provisions", "text", "id", "place",
              "coordinates")
CLAIM_KEYS = ("by", "about", "status", "text", "date", "source", "provisions", "id")
ACTOR_KEYS = ("name", "aliases", "kind", "country", "summary", "slug", "updated", "corrections",
              "coordinates", "redirect_from")
RESOLUTION_KEYS = ("symbol", "body", "adopted", "title", "url", "summary", "provisions",
                   "updated", "corrections", "redirect_from")
CORRECTION_KEYS = ("date", "text")
PROVISION_KEYS = ("text", "deadline", "id")
PAGE_KEYS = ("title", "summary", "slug", "weight", "redirect_from")


class Fields:
    """Typed access to one mapping of a record, reporting each bad value at its line."""

    def __init__(self, raw: Raw, problems: Problems, data: dict, at: tuple = ()):
        self.raw, self.problems, self.data, self.at = raw, problems, data, at

    def line(self, *key) -> int:
        return self.raw.parsed.line(*self.at, *key)

    def error(self, key, message: str, hint: str = "") -> None:
        self.problems.error(self.raw.path, self.line(key), message, hint)

    def _name(self, key) -> str:
        return ".".join(str(k) for k in (*self.at, key))

    def missing(self, key, hint: str) -> None:
        where = f" in {self._name('')[:-1]}" if self.at else ""
        what = "empty" if key in self.data else "missing"
        line = self.line(key) if key in self.data else self.line()
        self.problems.error(self.raw.path, line, f"{what} required field '{key}'{where}", hint)

    def unknown(self, known: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in known:
                guess = difflib.get_close_matches(str(key), known, n=1)
                hint = f"did you mean '{guess[0]}'?" if guess else "known: " + ", ".join(known)
                self.problems.warning(self.raw.path, self.line(key),
                                      f"unknown field '{self._name(key)}' is ignored", hint)

    def text(self, key, required: str = "") -> str:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.missing(key, required)
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.error(key, f"{self._name(key)}: expected text, got a {_kind(value)}",
                       "quote the value")
            return ""
        if value.strip().upper().startswith("TODO"):
            self.error(key, f"{self._name(key)} is still TODO", "fill it in before publishing")
            return ""
        return value.strip()

    def url(self, key) -> str:
        value = self.text(key)
        if value and not re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.IGNORECASE):
            self.error(key, f"{self._name(key)}: '{value}' is not a web address",
                       "write the full http:// or https:// address")
            return ""
        return value

    def date(self, key, required: str = "") -> model.Date | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.missing(key, required)
            return None
        parsed = parse_date(str(value))
        if parsed is None:
            self.error(key, f"{self._name(key)}: '{value}' is not a valid date",
                       "write YYYY-MM-DD, or YYYY-MM-DDTHH:MM+01:00 for a time with its offset")
        return parsed

    def when(self, key, required: str = "") -> model.When | None:
        """A date, or a partial one: 2022-08, 2019."""
        value = self.data.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
            return model.PartialDate(value)
        match = re.fullmatch(r"(\d{4})-(\d{2})", str(value or "").strip())
        year = re.fullmatch(r"\d{4}", str(value or "").strip())
        if (match or year) and int((match or year)[0][:4]) < 1:
            self.error(key, f"{self._name(key)}: '{value}' has no year 0",
                       "write the year, from 0001")
            return None
        if match and 1 <= int(match[2]) <= 12:
            return model.PartialDate(int(match[1]), int(match[2]))
        if year:
            return model.PartialDate(int(value))
        if match:
            self.error(key, f"{self._name(key)}: '{value}' has no month {match[2]}",
                       "write YYYY-MM with a month from 01 to 12")
            return None
        return self.date(key, required)

    def names(self, key) -> tuple[str, ...]:
        """A list of names, or one name; numbers accepted (resolution 2397)."""
        value = self.data.get(key)
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        out = []
        for index, item in enumerate(items):
            if isinstance(item, (str, int)) and not isinstance(item, bool) and str(item).strip():
                out.append(str(item).strip())
            else:
                where = (key, index) if isinstance(value, list) else (key,)
                self.problems.error(self.raw.path, self.line(*where),
                                    f"{self._name(key)}: expected a name, got a {_kind(item)}",
                                    "write one name per list item, e.g. [Iran, Russie]")
        return tuple(out)

    def redirects(self, key="redirect_from") -> model.Redirects:
        """The addresses the record's page had before, as output paths (urls.moved), each
        with its line."""
        value = self.data.get(key)
        if value is None:
            return ()
        found = []
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            line = self.line(key, index) if isinstance(value, list) else self.line(key)
            path = urls.moved(item) if isinstance(item, str) else None
            if path is None:
                self.problems.error(self.raw.path, line, f"{self._name(key)}: {item!r} is not "
                                    "the address of a page of this site", "write the address "
                                    "the page had, from the site's root: a folder (articles/"
                                    "old-name/) or an .html file")
            else:
                found.append((path, line))
        return tuple(found)

    def items(self, key):
        """Yield Fields for each mapping in the list at `key`."""
        value = self.data.get(key)
        if value is None:
            return
        if not isinstance(value, list):
            self.error(key, f"{self._name(key)}: expected a list", "start each item with '- '")
            return
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield Fields(self.raw, self.problems, item, (*self.at, key, index))
            else:
                self.problems.error(self.raw.path, self.line(key, index),
                                    f"{self._name(key)}[{index}]: expected 'key: value' fields, "
                                    f"got a {_kind(item)}")

    def coordinates(self, key) -> model.LatLon | None:
        """[latitude, longitude] in decimal degrees (WGS 84, as GeoNames and OpenStreetMap
        give them)."""
        value = self.data.get(key)
        if value is None:
            return None
        hint = "write [latitude, longitude] in decimal degrees, e.g. [43.1056, 131.8735] " \
               "for Vladivostok (north and east are positive)"
        if not isinstance(value, list) or len(value) != 2 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            self.error(key, f"{self._name(key)}: expected [latitude, longitude]", hint)
            return None
        lat, lon = float(value[0]), float(value[1])
        if not -90 <= lat <= 90 or not -180 <= lon <= 180:
            self.error(key, f"{self._name(key)}: [{value[0]}, {value[1]}] is not on Earth "
                       "(latitude -90 to 90, longitude -180 to 180)",
                       "latitude comes first; " + hint)
            return None
        return (lat, lon)

    def flag(self, key) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            self.error(key, f"{self._name(key)}: expected true or false")
            return False
        return value


def _kind(value) -> str:
    return {dict: "mapping", list: "list", bool: "true/false"}.get(type(value), "value")


def parse_date(text: str) -> model.Date | None:
    """ISO date, or ISO datetime (optionally with offset); None if impossible or malformed."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?",
                        text):
            return dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return None


def validate(records: list[Raw], site_language: str, problems: Problems, drafts: bool = False,
             cache: dict | None = None):
    """Typed articles (drafts dropped unless asked), actors and resolutions.

    A `cache` maps a raw record (the same object while its file is unchanged) to its typed
    record and problems, so the preview server validates only what changed."""
    articles, actors, resolutions, pages = [], [], [], []
    kept = {}
    for raw in records:
        hit = (cache or {}).get(id(raw))
        if hit is None or hit[0] is not raw or hit[3] != site_language:
            found = Problems(problems.root)
            make = {"articles": lambda r, p: article_from(r, site_language, p),
                    "actors": actor_from, "resolutions": resolution_from,
                    "pages": page_from}[raw.kind]
            hit = (raw, make(raw, found), found.items, site_language)
        kept[id(raw)] = hit
        problems.items.extend(hit[2])
        record = hit[1]
        if record is None:
            continue
        if raw.kind == "articles":
            if drafts or not record.draft:
                articles.append(record)
        else:
            {"actors": actors, "resolutions": resolutions, "pages": pages}[raw.kind].append(
                record)
    if cache is not None:
        cache.clear()
        cache.update(kept)
    return articles, actors, resolutions, pages


def _language(f: Fields, key: str, default: str = "") -> str:
    value = f.text(key) or default
    if value and not _LANGUAGE.match(value):
        f.error(key, f"{f._name(key)}: '{value}' is not a language code",
                "write an ISO 639 code such as fr, en, ru, ko")
        return default
    return value


def _source(f: Fields, required: bool = True) -> model.Source | None:
    value = f.data.get("source")
    if value is None or value == "":
        if required:
            f.missing("source", "name the publisher: 'source: Associated Press', or a mapping "
                      "with name, url, author, language, archived, retrieved")
        return None
    if isinstance(value, str):
        return model.Source(name=value.strip())
    if not isinstance(value, dict):
        f.error("source", "source: expected a publisher name or a mapping")
        return None
    s = Fields(f.raw, f.problems, value, (*f.at, "source"))
    s.unknown(SOURCE_KEYS)
    return model.Source(name=s.text("name", required="name the publisher, e.g. "
                                    "'name: Associated Press'"),
                        url=s.url("url"), author=s.text("author"),
                        language=_language(s, "language"), archived=s.url("archived"),
                        retrieved=s.date("retrieved"), **_original(s))


def _original(s: Fields) -> dict:
    """`clipping` (the original as received, kept in content/) and its `sha256`: the file
    must still be the one imported."""
    clipping, expected = s.text("clipping"), s.text("sha256").lower()
    if not clipping:
        if expected:
            s.error("sha256", "sha256 without a clipping", "add 'clipping:' (the kept file)")
        return {}
    content = s.problems.root / "content"
    path = Path(os.path.normpath(s.raw.path.parent / clipping))
    if not path.is_relative_to(content) or files.leaves(path, content):
        s.error("clipping", f"clipping '{clipping}' is not in content/",
                "keep the original in content/clippings/")
        return {}
    try:
        data = path.read_bytes()
    except OSError:
        s.error("clipping", f"clipping '{clipping}' is missing",
                "restore the file as it was received, or remove 'clipping:'")
        return {}
    found = hashlib.sha256(data).hexdigest()
    if not re.fullmatch(r"[0-9a-f]{64}", expected):
        s.error("sha256", "sha256: expected the 64 hexadecimal digits of the clipping's "
                "SHA-256", f"write 'sha256: {found}' if the file is the original")
    elif found != expected:
        s.error("clipping", f"clipping '{clipping}' no longer matches its sha256: it changed "
                "since it was received", "restore the original; corrections belong in the "
                "article, with a 'corrections:' note")
        return {}
    return {"clipping": path.relative_to(content).as_posix(), "sha256": found}


def article_from(raw: Raw, site_language: str, problems: Problems) -> model.Article | None:
    f = Fields(raw, problems, raw.parsed.data)
    f.unknown(ARTICLE_KEYS)
    before = len(problems.errors)
    title = f.text("title", required="add 'title: \"…\"' to the front matter")
    date = f.date("date", required="add 'date: YYYY-MM-DD' (the article's publication date)")
    source = _source(f)
    slug = _slug(f, raw.path)
    events = tuple(_event(e) for e in f.items("events"))
    claims = tuple(_claim(c) for c in f.items("claims"))
    article = model.Article(
        path=raw.path, slug=slug, title=title, date=date, source=source,
        body=raw.parsed.body, body_line=raw.parsed.body_line,
        language=_language(f, "language", site_language), summary=f.text("summary"),
        actors=f.names("actors"), resolutions=f.names("resolutions"), tags=f.names("tags"),
        events=tuple(e for e in events if e), claims=tuple(c for c in claims if c),
        draft=f.flag("draft"), redirect_from=f.redirects(), lines=raw.parsed.lines,
        **_revisions(f, date, "the article's date"))
    if len(problems.errors) == before:
        return article
    if not slug:
        return None
    # A draft is shown by the preview as far as it is written (its problems are reported,
    # never fatal): a page needs a date and an address, the rest can wait. Any other
    # article with errors is linked as far as it is written too, so that one pass reports
    # every problem (its actors, claims and links), and never published: the build fails.
    if article.draft and date is None:
        return None
    return dataclasses.replace(article, title=title or raw.path.stem,
                               date=date or dt.date.min,
                               source=source if source and source.name else
                               model.Source(name="TODO"))


def _revisions(f: Fields, since: model.Date | None, what: str) -> dict:
    """`updated` and `corrections` of a record: each dated no earlier than the record
    (`since`, `what` naming it) and no later than today."""
    today = dt.date.today()

    def dated(g: Fields, key: str, label: str) -> model.Date | None:
        when = g.date(key)
        if when is None:
            return None
        day = when.date() if isinstance(when, dt.datetime) else when
        start = since.date() if isinstance(since, dt.datetime) else since
        if day > today:
            g.error(key, f"{label} is dated {when.isoformat()[:10]}, in the future",
                    "date it the day it was made")
            return None
        if start is not None and day < start:
            g.error(key, f"{label} is dated {when.isoformat()[:10]}, before {what} "
                    f"({start.isoformat()})", "a record cannot change before it exists")
            return None
        return when

    corrections = []
    for c in f.items("corrections"):
        c.unknown(CORRECTION_KEYS)
        when = dated(c, "date", f"{c._name('')[:-1]}") if "date" in c.data else \
            c.missing("date", "give the day of the correction: 'date: YYYY-MM-DD'")
        text = c.text("text", required="say what was corrected and why: 'text: \"…\"'")
        if when and text:
            corrections.append(model.Correction(when, text))
    return {"updated": dated(f, "updated", "updated"),
            "corrections": tuple(sorted(corrections, key=lambda c: model.sort_key(c.date)))}


def _slug(f: Fields, path: Path) -> str:
    wanted = f.text("slug") or path.stem
    slug = slugify(wanted)
    if f.data.get("slug") and slug != wanted:
        f.error("slug", f"slug '{wanted}' may only hold a-z, 0-9 and '-'",
                f"write 'slug: {slug}'" if slug else "choose a slug made of letters and digits")
    elif not slug:
        f.error("slug", f"cannot make a URL slug from '{wanted}'", "add 'slug: some-words'")
    return slug


def _event(e: Fields) -> model.Event | None:
    e.unknown(EVENT_KEYS)
    date = e.when("date", required="give when it happened: 'date: YYYY-MM-DD' (or YYYY-MM, "
                                   "YYYY when the source gives no more)")
    title = e.text("title", required="say what happened: 'title: \"…\"'")
    event = model.Event(date=date, title=title, actors=e.names("actors"),
                        resolutions=e.names("resolutions"), provisions=_provisions(e),
                        text=e.text("text"), id=_id(e), line=e.line(), place=e.text("place"),
                        coordinates=e.coordinates("coordinates"))
    return event if date and title else None


def _id(f: Fields) -> str:
    value = f.text("id")
    if value and slugify(value) != value:
        f.error("id", f"id '{value}' may only hold a-z, 0-9 and '-'", f"write 'id: {slugify(value)}'")
        return ""
    return value


def _provisions(f: Fields) -> tuple[str, ...]:
    refs = f.names("provisions")
    for index, ref in enumerate(refs):
        if "#" not in ref:
            f.problems.error(f.raw.path, f.line("provisions", index),
                             f"provision '{ref}' names no provision",
                             "write the resolution and the provision's id: "
                             "'S/RES/2397 (2017)#workers'")
    return tuple(r for r in refs if "#" in r)


def _claim(c: Fields) -> model.Claim | None:
    c.unknown(CLAIM_KEYS)
    by = c.text("by", required="name who asserts it: 'by: John Kirby'")
    status = c.text("status", required="one of " + ", ".join(CLAIM_STATUSES)).lower()
    text = c.text("text", required="state what is asserted: 'text: \"…\"'")
    if status and status not in CLAIM_STATUSES:
        c.error("status", f"status '{status}' is not a claim status",
                "use one of " + ", ".join(CLAIM_STATUSES))
        status = ""
    claim = model.Claim(by=by, status=status, text=text, about=c.names("about"),
                        date=c.date("date"), source=_source(c, required=False),
                        provisions=_provisions(c), id=_id(c), line=c.line())
    return claim if by and status and text else None


# Top-level folders and files of the site: a page may not take their address.
RESERVED = ("articles", "actors", "resolutions", "claims", "tags", "timeline", "print", "data",
            "sources", "map",
            "corrections",
            "static", "search", "404", "index", "feed", "sitemap", "robots", "search-index")


def page_from(raw: Raw, problems: Problems) -> model.Page | None:
    f = Fields(raw, problems, raw.parsed.data)
    f.unknown(PAGE_KEYS)
    title = f.text("title", required="add 'title: \"…\"'")
    slug = _slug(f, raw.path)
    weight = f.data.get("weight", 0)
    if not isinstance(weight, int) or isinstance(weight, bool):
        f.error("weight", "weight: expected a whole number (pages are listed by weight, then "
                "title)")
        weight = 0
    redirects = f.redirects()
    if slug in RESERVED:
        problems.error(raw.path, f.line("slug") if "slug" in f.data else 1, f"the page "
                       f"address {slug}/ is taken by the site itself",
                       "rename the file or give it another 'slug:'")
        return None
    page = model.Page(path=raw.path, slug=slug, title=title, body=raw.parsed.body,
                      body_line=raw.parsed.body_line, summary=f.text("summary"), weight=weight,
                      redirect_from=redirects)
    return page if title and slug else None


def actor_from(raw: Raw, problems: Problems) -> model.Actor | None:
    f = Fields(raw, problems, raw.parsed.data)
    f.unknown(ACTOR_KEYS)
    name = f.text("name", required="add 'name: …' (the name used in this dossier's language)")
    kind = f.text("kind")
    if kind and kind not in ACTOR_KINDS:
        # An error, not a warning: pages show an actor by its kind, in the reader's language.
        close = difflib.get_close_matches(kind, ACTOR_KINDS, n=1)
        f.error("kind", f"kind '{kind}' is not a known actor kind" +
                (f" (did you mean '{close[0]}'?)" if close else ""),
                "use one of " + ", ".join(ACTOR_KINDS))
    country = f.text("country")
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        f.error("country", f"country '{country}' is not an ISO 3166 code",
                "write two capital letters, e.g. KP, RU, US")
    coordinates = f.coordinates("coordinates")
    if coordinates and kind not in model.PLACE_KINDS:
        f.error("coordinates", f"coordinates are for places, territories and regions, not for "
                f"{('a ' + kind) if kind else 'an actor without a kind'}",
                "give it 'kind: place' (a city, a port, a site), or put the coordinates on "
                "the events that happened there")
        coordinates = None
    redirects = f.redirects()
    if not name:
        return None
    revisions = _revisions(f, None, "")
    return model.Actor(name=name, slug=_slug(f, Path(slugify(name) or raw.path.stem)),
                       path=raw.path, aliases=f.names("aliases"), kind=kind, country=country,
                       summary=f.text("summary"), body=raw.parsed.body,
                       body_line=raw.parsed.body_line, coordinates=coordinates,
                       redirect_from=redirects, **revisions)


def resolution_from(raw: Raw, problems: Problems) -> model.Resolution | None:
    f = Fields(raw, problems, raw.parsed.data)
    f.unknown(RESOLUTION_KEYS)
    symbol = f.text("symbol", required="add 'symbol: \"S/RES/1718 (2006)\"'")
    provisions = []
    listed = f.data.get("provisions")
    if listed is not None and not isinstance(listed, list):
        f.error("provisions", "provisions: expected a list, one provision per item",
                "start each provision with '- '")
        listed = None
    for index, item in enumerate(listed or []):
        if isinstance(item, str):
            provisions.append(model.Provision(text=item.strip()))
        elif isinstance(item, dict):
            p = Fields(raw, problems, item, ("provisions", index))
            p.unknown(PROVISION_KEYS)
            text = p.text("text", required="describe the provision: 'text: \"…\"'")
            if text:
                provisions.append(model.Provision(text=text, deadline=p.date("deadline"),
                                                  id=_id(p)))
        else:
            f.problems.error(raw.path, f.line("provisions", index),
                             f"provisions[{index}]: expected text or a mapping with text, deadline")
    fields = dict(body=f.text("body"), adopted=f.date("adopted"), title=f.text("title"),
                  url=f.url("url"), summary=f.text("summary"), redirect_from=f.redirects())
    fields.update(_revisions(f, fields["adopted"], "its adoption"))
    if not symbol:
        return None
    key, year = resolution_key(symbol)
    full = resolution_symbol(key, year)
    if not slugify(full):
        f.error("symbol", f"symbol '{symbol}' has no letter or digit to make its page "
                "address from", "write the UN symbol, e.g. S/RES/2397 (2017)")
        return None
    return model.Resolution(key=key, symbol=full, slug=slugify(full), path=raw.path,
                            provisions=tuple(provisions), text=raw.parsed.body,
                            text_line=raw.parsed.body_line, **fields)

"""Typed records of a dossier. No I/O here: load/validate fill them, link connects them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

Date = dt.date  # a date, or a datetime (a subclass) with its UTC offset

# What an actor may be, in the order pictures and lists show them (each has a UI string
# `actor_kind_<kind>` in every theme language).
ACTOR_KINDS = ("state", "person", "organization", "territory", "region", "place",
               "armed-group", "vessel", "media", "company", "other")
# Kinds of actor that may stand on a map (`coordinates: [lat, lon]`).
PLACE_KINDS = ("place", "territory", "region")

LatLon = tuple[float, float]
# Addresses a record's page had before (`redirect_from`), as output paths, each with the
# line it is written on: a page at each sends readers on (pages.redirects).
Redirects = tuple[tuple[str, int], ...]

# What a source says of a claim, in the order the claims index groups them (each has a UI
# string `status_<status>`).
# What kind of publisher a source is (public-media: public-service broadcasters such as the
# BBC, NHK or KBS, which the usual lists would have to call either state media or
# independent press), in the order the sources page groups them (each has UI
# strings `publisher_kind_<kind>` and `publishers_<kind>`).
PUBLISHER_KINDS = ("government", "intergovernmental", "state-media", "public-media",
                   "news-agency", "independent-press", "ngo-research", "social-media")
# A claimant's own voice: a claim only these report (of its own country) is flagged.
OWN_VOICE = ("government", "state-media")

CLAIM_STATUSES = ("confirmed", "alleged", "disputed", "unverified", "denied", "refuted",
                  "retracted")


@dataclass(frozen=True)
class PartialDate:
    """A date known only to the month (2022-08) or the year (2019), as reports often give."""

    year: int
    month: int | None = None
    day = None

    def isoformat(self) -> str:
        return f"{self.year:04d}" if self.month is None else f"{self.year:04d}-{self.month:02d}"

    def start(self) -> dt.date:
        return dt.date(self.year, self.month or 1, 1)

    def end(self) -> dt.date:
        """The period's last day."""
        if self.month is None or self.month == 12:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, self.month + 1, 1) - dt.timedelta(days=1)


When = Date | PartialDate


def sort_key(when: When) -> tuple:
    """Order dates, datetimes and partial dates together: a bare date sorts before times of
    that day, a month or a year at its start."""
    if isinstance(when, PartialDate):
        return (when.start(), dt.time.min)
    if isinstance(when, dt.datetime):
        if when.tzinfo is not None:       # 23:00-05:00 comes after 01:00+00:00 that day
            when = when.astimezone(dt.timezone.utc)
        return (when.date(), when.time().replace(tzinfo=None))
    return (when, dt.time.min)



@dataclass(frozen=True)
class Correction:
    """A dated note saying what was corrected in a record, and why."""

    date: Date
    text: str


@dataclass(frozen=True)
class Source:
    name: str
    url: str = ""
    author: str = ""
    language: str = ""
    archived: str = ""
    retrieved: Date | None = None
    clipping: str = ""                  # the original as received, content-relative path
    sha256: str = ""


@dataclass(frozen=True)
class Publisher:
    """A publisher of sources, described once in dossier.yaml (or only named by sources:
    then its kind is "")."""

    name: str
    slug: str
    kind: str = ""
    country: str = ""                   # as written: an actor's name or alias, or a country
    aliases: tuple[str, ...] = ()
    actor: str = ""                     # the actor it also is (KCNA), set by link
    line: int = 0                       # in dossier.yaml


@dataclass(frozen=True)
class Event:
    date: When
    title: str
    actors: tuple[str, ...] = ()        # references as written; link resolves them
    resolutions: tuple[str, ...] = ()
    provisions: tuple[str, ...] = ()    # "S/RES/2397 (2017)#workers"
    text: str = ""
    id: str = ""                        # the same event reported by several articles
    line: int = 0
    place: str = ""                     # a place actor, as written
    coordinates: LatLon | None = None   # where exactly, when the place does not say


@dataclass(frozen=True)
class Claim:
    by: str
    status: str
    text: str
    about: tuple[str, ...] = ()
    date: Date | None = None
    source: Source | None = None     # when not the article's own source
    provisions: tuple[str, ...] = ()  # provisions it says were violated
    id: str = ""                      # the same claim reported by several articles
    line: int = 0


@dataclass(frozen=True)
class Provision:
    text: str
    deadline: Date | None = None
    id: str = ""                        # for claims and events citing it: "S/RES/…#id"


@dataclass(frozen=True)
class Article:
    path: Path
    slug: str
    title: str
    date: Date
    source: Source
    # The Markdown: pages show its HTML, known by a digest of this text (Bodies.key).
    body: str = field(repr=False, compare=False)
    body_line: int
    language: str
    summary: str = ""
    actors: tuple[str, ...] = ()
    resolutions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    events: tuple[Event, ...] = ()
    claims: tuple[Claim, ...] = ()
    draft: bool = False
    updated: Date | None = None
    corrections: tuple[Correction, ...] = ()         # oldest first
    redirect_from: Redirects = ()
    lines: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def modified(self) -> Date:
        """When it last changed: its date, its update or its latest correction."""
        return max((self.date, self.updated, *(c.date for c in self.corrections)),
                   key=lambda d: sort_key(d) if d is not None else (dt.date.min, dt.time.min))

    def line(self, *key) -> int:
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return 1


@dataclass(frozen=True)
class Actor:
    name: str
    slug: str
    path: Path | None = None            # None for a stub (referenced, no file)
    aliases: tuple[str, ...] = ()
    kind: str = ""
    country: str = ""
    summary: str = ""
    # Markdown, as Article's: pages show its HTML, read through its own address (depends.Prose)
    body: str = field(default="", repr=False, compare=False)
    body_line: int = 1
    updated: Date | None = None
    corrections: tuple[Correction, ...] = ()
    coordinates: LatLon | None = None   # places, territories and regions: a point to map
    redirect_from: Redirects = ()


@dataclass(frozen=True)
class Resolution:
    key: str                            # "S/RES/2397" or "A/RES/ES-11/1"
    symbol: str                         # "S/RES/2397 (2017)"
    slug: str
    path: Path | None = None
    body: str = ""                      # "Security Council" / "General Assembly"
    adopted: Date | None = None
    title: str = ""
    url: str = ""
    summary: str = ""
    provisions: tuple[Provision, ...] = ()
    text: str = field(default="", repr=False, compare=False)     # Markdown, as Actor's
    text_line: int = 1
    updated: Date | None = None
    corrections: tuple[Correction, ...] = ()
    redirect_from: Redirects = ()


@dataclass(frozen=True)
class Page:
    """A free-standing page (About, Methodology): content/pages/<slug>.md -> <slug>/."""

    path: Path
    slug: str
    title: str
    body: str = field(repr=False, compare=False)
    body_line: int = 1
    summary: str = ""
    weight: int = 0                     # order in the footer (then title)
    redirect_from: Redirects = ()


@dataclass
class Dossier:
    """The linked graph every page is rendered from."""

    articles: list[Article]                          # newest first
    actors: dict[str, Actor]                         # by slug
    resolutions: dict[str, Resolution]               # by slug
    article_actors: dict[str, list[str]]             # article slug -> actor slugs
    article_resolutions: dict[str, list[str]]        # article slug -> resolution slugs
    actor_articles: dict[str, list[str]]             # actor slug -> article slugs (newest first)
    resolution_articles: dict[str, list[str]]
    tags: dict[str, tuple[str, list[str]]]           # tag slug -> (label, article slugs)
    timeline: list["TimelineEntry"]                  # oldest first
    claims: list["LinkedClaim"]                      # each claim once, latest assessed first
    related: dict[str, list[str]]                    # article slug -> related article slugs
    co_actors: dict[str, list[tuple[str, int]]]      # actor slug -> [(actor slug, count)]
    article_claims: dict[str, list["LinkedClaim"]]
    actor_claims: dict[str, tuple[list["LinkedClaim"], list["LinkedClaim"]]]  # (by, about)
    actor_timeline: dict[str, list["TimelineEntry"]]
    resolution_timeline: dict[str, list["TimelineEntry"]]
    citations: dict[str, list[tuple[str, object]]]   # resolution slug -> [(provision id, claim
                                                     # or event entry citing it)]
    by_slug: dict[str, Article] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)           # by slug, footer order
    corrections: list["Corrected"] = field(default_factory=list)   # newest first
    # Every publisher cited, by name: the described ones first, by kind, then the others.
    publishers: dict[str, Publisher] = field(default_factory=dict)
    publisher_articles: dict[str, list[str]] = field(default_factory=dict)   # newest first
    actor_publisher: dict[str, str] = field(default_factory=dict)  # actor slug -> publisher
    placed: list["TimelineEntry"] = field(default_factory=list)    # events with coordinates
    article_places: dict[str, list["TimelineEntry"]] = field(default_factory=dict)  # by article
    # Worked out from the fields above once, by link (a relink that changes only texts
    # keeps them, so that pages reading them find the very same values: depends.Snapshot).
    ranked: list[tuple[str, int]] = field(default_factory=list)   # (actor, articles), most first
    claims_by_status: list[tuple[str, list["LinkedClaim"]]] = field(default_factory=list)
    article_publishers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    pairs: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def has_map(self) -> bool:
        """Read by every page (the navigation): a yes or no, so that pages depend on whether
        there is a map, not on every placed event."""
        return bool(self.placed)

def ranked(actor_articles: dict[str, list[str]], actors: dict[str, Actor]
           ) -> list[tuple[str, int]]:
    """(actor slug, number of articles) with the most mentioned first."""
    counts = [(slug, len(slugs)) for slug, slugs in actor_articles.items()]
    return sorted(counts, key=lambda sc: (-sc[1], actors[sc[0]].name.casefold()))


def pairs(co_actors: dict[str, list[tuple[str, int]]]) -> list[tuple[str, str, int]]:
    """Pairs of actors reported together, most often first: (slug, slug, articles)."""
    found = [(a, b, count) for a, others in co_actors.items() for b, count in others if a < b]
    return sorted(found, key=lambda p: (-p[2], p[0], p[1]))


@dataclass(frozen=True)
class TimelineEntry:
    date: When
    kind: str                                        # "article", "event" or "deadline"
    title: str
    article: str                                     # slug of the (first) reporting article
    actors: tuple[str, ...] = ()                     # actor slugs
    resolutions: tuple[str, ...] = ()
    text: str = ""
    reported: Date | None = None                     # events: when first reported
    also: tuple[str, ...] = ()                       # events: other reporting articles
    support: tuple[str, ...] = ()                    # events: distinct publishers reporting it
    provisions: tuple[tuple[str, str], ...] = ()     # (resolution slug, provision id)
    kinds: tuple[str, ...] = ()                      # its actors' kinds, once (for lanes)
    support_kinds: tuple[str, ...] = ()              # each publisher's kind ("": undescribed)
    place: str = ""                                  # events: the place actor's slug
    coordinates: LatLon | None = None                # events: where, to map


@dataclass(frozen=True)
class Corrected:
    """One correction of the dossier's corrections log: the record it corrects, by kind
    ("article", "actor" or "resolution") and slug."""

    date: Date
    text: str
    kind: str
    slug: str


@dataclass(frozen=True)
class Assessment:
    """One article's report of a claim: the status its source gave it, on the article's date."""

    status: str
    date: Date
    source: str                                      # the publisher
    article: str                                     # slug of the reporting article


@dataclass(frozen=True)
class LinkedClaim:
    """One claim, however many articles report it (they share its `id`, or its author and
    text), with the status each gave it over time."""

    slug: str                                        # its page: claims/<slug>/
    claim: Claim                                     # as last reported: its text and source
    by: str                                          # actor slug
    history: tuple[Assessment, ...]                  # oldest first; the last one is current
    about: tuple[str, ...] = ()
    support: tuple[str, ...] = ()                    # distinct publishers reporting the claim
    provisions: tuple[tuple[str, str], ...] = ()     # (resolution slug, provision id)
    support_kinds: tuple[str, ...] = ()              # each publisher's kind ("": undescribed)
    own_voice: bool = False      # reported only by its author's own government or state media

    @property
    def status(self) -> str:
        return self.history[-1].status

    @property
    def articles(self) -> tuple[str, ...]:
        """The reporting articles, earliest first."""
        return tuple(dict.fromkeys(a.article for a in self.history))

    @property
    def article(self) -> str:
        return self.history[0].article

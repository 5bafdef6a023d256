"""Every page of the site, planned with the exact data it shows.

`PageSpec.inputs` holds everything a page displays (its own record and the small facts it shows
about others, from `View`). Two builds that plan the same inputs for a page render the same
bytes, which is what lets the preview re-render only the pages an edit changes.
"""
from __future__ import annotations

import functools
import hashlib
from functools import partial
from typing import Callable, NamedTuple

from dossier import model, urls
from dossier.markup import Bodies


class PageSpec(NamedTuple):       # a tuple: made 10,000 times per preview save
    path: str
    template: str
    extra: dict
    # Everything the page shows; equal inputs give equal bytes. A function, so that the
    # preview server computes them only for the pages a browser asks for.
    inputs: Callable[[], tuple] = tuple


def plan(dossier: model.Dossier, view: "View") -> list[PageSpec]:
    """Every page, with the data it shows. Templates must show nothing outside `inputs`."""
    a, e = view.article, view.entry

    @functools.cache
    def everything() -> tuple:
        return (tuple(a(x.slug) for x in dossier.articles),
                tuple(view.actor(s) + (n,) for s, n in dossier.ranked),
                tuple(view.resolution_full(s) for s in dossier.resolutions),
                tuple(e(x) for x in dossier.timeline), tuple(dossier.tags))

    specs = [
        PageSpec(urls.HOME, "index.html", {}, everything),
        PageSpec(urls.TIMELINE, "timeline.html", {},
                 lambda: everything()[1] + everything()[3]),
        PageSpec(urls.ACTORS, "actors.html", {}, lambda: (
            tuple((x, len(dossier.actor_articles.get(s, ()))) for s, x in dossier.actors.items()),
            tuple((s, tuple(c)) for s, c in dossier.co_actors.items()))),
        PageSpec(urls.RESOLUTIONS, "resolutions.html", {}, lambda: everything()[2]),
        PageSpec(urls.TAGS, "tags.html", {}, lambda: tuple(
            (s, lbl, len(v)) for s, (lbl, v) in dossier.tags.items())),
        PageSpec(urls.NOT_FOUND, "404.html", {}, tuple),
        PageSpec(urls.PRINT, "print.html", {}, lambda: everything() + (
            tuple(view.bodies.key(urls.article(x.slug)) for x in dossier.articles),
            tuple(map(view.claim, dossier.claims)), tuple(dossier.resolutions.values()),
            tuple(dossier.actors.values()))),
    ]
    articles = dossier.articles
    for i, article in enumerate(articles):
        newer = articles[i - 1] if i > 0 else None
        older = articles[i + 1] if i + 1 < len(articles) else None
        specs.append(PageSpec(urls.article(article.slug), "article.html",
                              {"article": article, "newer": newer, "older": older},
                              partial(_article_inputs, dossier, view, article, newer, older)))
    for slug, actor in dossier.actors.items():
        specs.append(PageSpec(urls.actor(slug), "actor.html", {"actor": actor},
                              partial(_actor_inputs, dossier, view, actor)))
    for slug, resolution in dossier.resolutions.items():
        specs.append(PageSpec(urls.resolution(slug), "resolution.html",
                              {"resolution": resolution},
                              partial(_resolution_inputs, dossier, view, resolution)))
    for slug, (label, slugs) in dossier.tags.items():
        specs.append(PageSpec(urls.tag(slug), "tag.html",
                              {"tag": slug, "label": label, "slugs": slugs},
                              partial(_tag_inputs, view, label, slugs)))
    return specs


def _article_inputs(dossier, view, article, newer, older) -> tuple:
    a, slug = view.article, article.slug
    return (article, view.bodies.key(urls.article(slug)),
            tuple(view.actor(s) for s in dossier.article_actors[slug]),
            tuple(view.resolution(s) for s in dossier.article_resolutions[slug]),
            tuple(view.claim(c) for c in dossier.article_claims.get(slug, ())),
            tuple(a(s) for s in dossier.related[slug]),
            newer and a(newer.slug), older and a(older.slug))


def _actor_inputs(dossier, view, actor) -> tuple:
    slug = actor.slug
    by, about = dossier.actor_claims.get(slug, ((), ()))
    return (actor, view.bodies.key(urls.actor(slug)),
            tuple(view.actor(s) + (n,) for s, n in dossier.co_actors.get(slug, ())),
            tuple(map(view.claim, by)), tuple(map(view.claim, about)),
            tuple(view.entry(x) for x in dossier.actor_timeline.get(slug, ())))


def _resolution_inputs(dossier, view, resolution) -> tuple:
    slug, e = resolution.slug, view.entry
    return (resolution, view.bodies.key(urls.resolution(slug)),
            tuple(view.article(s) for s in dossier.resolution_articles.get(slug, ())),
            tuple((pid, view.claim(x) if isinstance(x, model.LinkedClaim) else e(x))
                  for pid, x in dossier.citations.get(slug, ())),
            tuple(e(x) for x in dossier.resolution_timeline.get(slug, ())))


def _tag_inputs(view, label, slugs) -> tuple:
    return (label, tuple(view.article(s) for s in slugs))


def inputs_digest(value, memo: dict) -> str:
    """A digest of a page's inputs that is the same in every process and run (reprs of
    frozen records; no hash randomisation), memoised by identity: the same views appear in
    thousands of pages."""
    found = memo.get(id(value))
    if found is not None and found[0] is value:
        return found[1]
    if type(value) is tuple:
        data = "(" + ",".join(inputs_digest(item, memo) for item in value) + ")"
    else:
        data = repr(value)
    digest = hashlib.blake2b(data.encode(), digest_size=16).hexdigest()
    memo[id(value)] = (value, digest)   # keeps `value` alive, so its id is not reused
    return digest


class View:
    """The small facts a page shows about other records (a link's text, a list item)."""

    def __init__(self, dossier: model.Dossier, bodies: "Bodies"):
        self.dossier, self.bodies = dossier, bodies
        # Each view is asked for thousands of times per build (every page that lists it).
        for name in ("article", "actor", "resolution", "entry", "claim"):
            setattr(self, name, _memo(getattr(self, name)))

    def summary(self, slug: str) -> str:
        return self.dossier.by_slug[slug].summary or self.bodies.summary(urls.article(slug))

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


def _memo(function):
    memory: dict = {}

    def remembered(key):
        # By identity: records are rebuilt by each link(), and the same object is asked again.
        found = memory.get(id(key))
        if found is None or found[0] is not key:
            found = memory[id(key)] = (key, function(key))
        return found[1]
    return remembered

"""Every page of the site, planned with the exact data it shows.

`PageSpec.inputs` holds everything a page displays (its own record and the small facts it shows
about others, from `View`). Two builds that plan the same inputs for a page render the same
bytes, which is what lets the preview re-render only the pages an edit changes.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from dossier import model, urls
from dossier.markup import Bodies, plain_summary


@dataclass(frozen=True)
class PageSpec:
    path: str
    template: str
    extra: dict = field(compare=False)
    inputs: tuple = ()           # everything the page shows; equal inputs give equal bytes


def plan(dossier: model.Dossier, view: "View") -> list[PageSpec]:
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


def _memo(function):
    memory: dict = {}

    def remembered(key):
        # By identity: records are rebuilt by each link(), and the same object is asked again.
        found = memory.get(id(key))
        if found is None or found[0] is not key:
            found = memory[id(key)] = (key, function(key))
        return found[1]
    return remembered

"""Every page of the site: its output path, the template that makes it and the records it is
planned with. What else a page shows is recorded while it is made (see depends.py).
"""
from __future__ import annotations

import operator
from functools import partial
from typing import Callable, Iterator, NamedTuple

from dossier import model, urls
from dossier.problems import Problems


class PageSpec(NamedTuple):       # a tuple: made 10,000 times per preview save
    path: str
    template: str
    extra: dict                   # the page's own records, digested whole as its inputs


def plan(dossier: model.Dossier, last: Planned | None = None) -> Planned:
    """Every page of the site, in the order they are made (`.specs`). Given the `last` plan
    (the preview's previous save), the pages made from a part of the graph that is the very
    object it was are the last ones, and so are those of the articles and claims that are
    the very objects they were (and an article's neighbours, newer and older, too): the
    graph is never changed once linked (link_changed and relink make new lists and
    dictionaries, keeping the records that did not change), so the same objects make the
    same pages. A title edit then plans 3 pages, not 20,000 (38 ms at 10,000 articles)."""
    parts = {}
    for name, make in _PARTS.items():
        value = getattr(dossier, name)
        before = getattr(last.dossier, name) if last is not None else None
        if before is value:
            parts[name] = last.parts[name]
        elif last is not None and name in _LISTED:
            parts[name] = reused(value, before, last.parts[name], partial(make, value),
                                 reach=_LISTED[name])
        else:
            parts[name] = make(value)
    specs = list(_SITE_PAGES)
    for part in parts.values():
        specs += part
    return Planned(dossier, parts, specs)


class Planned(NamedTuple):
    dossier: model.Dossier
    parts: dict[str, list[PageSpec]]      # the pages made from each of the graph's fields
    specs: list[PageSpec]                 # every page, in the order they are made


_SITE_PAGES = tuple(PageSpec(path, template, {}) for path, template in (
    (urls.HOME, "index.html"), (urls.ARCHIVE, "archive.html"), (urls.TIMELINE, "timeline.html"),
    (urls.ACTORS, "actors.html"), (urls.RESOLUTIONS, "resolutions.html"),
    (urls.TAGS, "tags.html"), (urls.CLAIMS, "claims.html"),
    (urls.CORRECTIONS, "corrections.html"), (urls.SOURCES, "sources.html"),
    (urls.MAP, "map.html"), (urls.NOT_FOUND, "404.html"), (urls.PRINT, "print.html"),
    (urls.SEARCH, "search.html")))


def _articles(articles: list[model.Article], i: int | None = None):
    """The page of the article at `i`, or (i None) of every article."""
    if i is None:
        return [_articles(articles, i) for i in range(len(articles))]
    return PageSpec(urls.article(articles[i].slug), "article.html", {
        "article": articles[i], "newer": articles[i - 1] if i > 0 else None,
        "older": articles[i + 1] if i + 1 < len(articles) else None})


def _claims(claims: list[model.LinkedClaim], i: int | None = None):
    """The page of the claim at `i`, or (i None) of every claim."""
    if i is None:
        return [_claims(claims, i) for i in range(len(claims))]
    return PageSpec(urls.claim(claims[i].slug), "claim.html", {"linked": claims[i]})


_PARTS: dict[str, Callable] = {
    "articles": _articles,
    "actors": lambda actors: [PageSpec(urls.actor(slug), "actor.html", {"actor": actor})
                              for slug, actor in actors.items()],
    "resolutions": lambda resolutions: [
        PageSpec(urls.resolution(slug), "resolution.html", {"resolution": resolution})
        for slug, resolution in resolutions.items()],
    "pages": lambda pages: [PageSpec(urls.page(slug), "page.html", {"page": page})
                            for slug, page in pages.items()],
    "claims": _claims,
    "tags": lambda tags: [PageSpec(urls.tag(slug), "tag.html",
                                   {"tag": slug, "label": label, "slugs": slugs})
                          for slug, (label, slugs) in tags.items()],
}
# The lists whose pages are kept item by item: how many neighbours each page shows.
_LISTED = {"articles": 1, "claims": 0}


def reused(now: list, before: list, kept: list, make: Callable[[int], object],
           reach: int) -> list:
    """What was made for each of the items `now`, given `kept`, what was made for each of
    the items `before`: kept for an item that is, with its `reach` neighbours on either
    side, the very objects they were (see differences); the others are made (make(i))."""
    made, at = [], 0
    for places, was in differences(now, before, reach):
        made += kept[at:was.start]
        made += (make(i) for i in places)
        at = was.stop
    made += kept[at:]
    return made


def differences(now: list, before: list, reach: int = 0, same=operator.is_
                ) -> list[tuple[range, range]]:
    """Where `now` differs from `before`, in order: (places in `now`, the places in `before`
    they replace), an item counting as the same if it and its `reach` neighbours on either
    side are the `same` as they were at the same place, counted from the start or (items
    added or removed) from the end. Compared in C: 10,000 items in 0.3 ms."""
    found: list[tuple[range, range]] = []
    if len(now) == len(before):             # texts edited: the items that changed
        alike, i = list(map(same, now, before)), -1
        while (i := _index(alike, False, i + 1)) is not None:
            start, stop = max(i - reach, 0), min(i + reach + 1, len(now))
            if found and found[-1][0].stop >= start:      # next to the last: one range
                start = found.pop()[0].start
            found.append((range(start, stop), range(start, stop)))
        return found
    # Items added or removed: what is the same at the start and at the end is kept...
    head = _index(alike := list(map(same, now, before)), False)
    head = len(alike) if head is None else head
    tail = _index(alike := list(map(same, reversed(now), reversed(before))), False)
    tail = min(len(alike) if tail is None else tail, len(alike) - head)
    start, end = max(head - reach, 0), max(tail - reach, 0)
    if reach:
        return [(range(start, len(now) - end), range(start, len(before) - end))]
    # ... and, between, what is found again in the same order (an article added, and the
    # claims, tags and generated files after it planned anew but for their texts): runs of
    # items found one after the other, each found in C; a few dozen runs at most, then the
    # rest counts as changed.
    stop, was_stop = len(now) - end, len(before) - end
    key = id if same is operator.is_ else None
    middle = now[start:stop]
    where = dict(zip(map(key, before[start:was_stop]) if key else before[start:was_stop],
                     range(start, was_stop)))
    places = list(map(where.get, map(key, middle) if key else middle))
    i0 = j0 = start
    p = runs = 0
    while p < len(places) and runs < _RUNS:
        j = places[p]
        if j is None or j < j0:
            p += 1
            continue
        run = _index(list(map(operator.eq, places[p:], range(j, j + len(places) - p))), False)
        run = len(places) - p if run is None else run
        if start + p > i0 or j > j0:
            found.append((range(i0, start + p), range(j0, j)))
        i0, j0, p, runs = start + p + run, j + run, p + run, runs + 1
    if stop > i0 or was_stop > j0:
        found.append((range(i0, stop), range(j0, was_stop)))
    return found


_RUNS = 64


def _index(items: list, value, start: int = 0) -> int | None:
    try:
        return items.index(value, start)
    except ValueError:
        return None


def redirects(dossier: model.Dossier, pages: list[PageSpec], problems: Problems
              ) -> list[PageSpec]:
    """A page at each address a record's page had before (`redirect_from`), sending readers
    on to where it is now: links to a dossier from elsewhere outlive a renamed file. An
    address that one of the site's `pages` or another record's redirect has is an error at
    its line. (Generated files cannot be in the way: an old address is a page's, .html.)"""
    specs, claimed, taken = [], {}, None
    for record, to, title in _with_redirects(dossier):
        for path, line in record.redirect_from:
            address = path.removesuffix("index.html")
            other = claimed.get(path)
            if taken is None:            # only when there is a redirect to check
                taken = {spec.path for spec in pages}
            if path == to:
                problems.error(record.path, line, f"redirect_from: {address} is this page's "
                               "own address", "remove it from the list")
            elif path in taken:
                problems.error(record.path, line, f"redirect_from: {address} is the address "
                               "of a page of the site", "remove it, or give that page "
                               "another address")
            elif other is not None:
                problems.error(record.path, line, f"redirect_from: {address} is also "
                               f"redirected to {other[1]} by {problems.relpath(other[0])}",
                               "an old address can lead to one page only: keep it in one "
                               "file")
            else:
                claimed[path] = (record.path, to.removesuffix("index.html"))
                specs.append(PageSpec(path, "redirect.html", {"to": to, "title": title}))
    return specs


def _with_redirects(dossier: model.Dossier) -> Iterator[tuple[object, str, str]]:
    """(record, its page's path, its title) of every record with a page and old addresses
    (a preview's save goes over 10,000 records here: a test each, no more)."""
    for article in dossier.articles:
        if article.redirect_from:
            yield article, urls.article(article.slug), article.title
    for slug, actor in dossier.actors.items():
        if actor.redirect_from:
            yield actor, urls.actor(slug), actor.name
    for slug, resolution in dossier.resolutions.items():
        if resolution.redirect_from:
            yield resolution, urls.resolution(slug), resolution.symbol
    for slug, page in dossier.pages.items():
        if page.redirect_from:
            yield page, urls.page(slug), page.title


def summary(graph, prose, slug: str) -> str:
    """An article's summary: its own, else its body's first paragraph."""
    return graph.by_slug[slug].summary or prose.summary(urls.article(slug))

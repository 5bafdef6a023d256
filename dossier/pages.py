"""Every page of the site: its output path, the template that makes it and the records it is
planned with. What else a page shows is recorded while it is made (see depends.py).
"""
from __future__ import annotations

from typing import Iterator, NamedTuple

from dossier import model, urls
from dossier.problems import Problems


class PageSpec(NamedTuple):       # a tuple: made 10,000 times per preview save
    path: str
    template: str
    extra: dict                   # the page's own records, digested whole as its inputs


def plan(dossier: model.Dossier) -> list[PageSpec]:
    """Every page of the site, in the order they are made."""
    specs = [PageSpec(path, template, {}) for path, template in (
        (urls.HOME, "index.html"), (urls.ARCHIVE, "archive.html"),
        (urls.TIMELINE, "timeline.html"),
        (urls.ACTORS, "actors.html"), (urls.RESOLUTIONS, "resolutions.html"),
        (urls.TAGS, "tags.html"), (urls.CLAIMS, "claims.html"),
        (urls.CORRECTIONS, "corrections.html"), (urls.SOURCES, "sources.html"),
        (urls.MAP, "map.html"), (urls.NOT_FOUND, "404.html"), (urls.PRINT, "print.html"),
        (urls.SEARCH, "search.html"))]
    articles = dossier.articles
    for i, article in enumerate(articles):
        newer = articles[i - 1] if i > 0 else None
        older = articles[i + 1] if i + 1 < len(articles) else None
        specs.append(PageSpec(urls.article(article.slug), "article.html",
                              {"article": article, "newer": newer, "older": older}))
    for slug, actor in dossier.actors.items():
        specs.append(PageSpec(urls.actor(slug), "actor.html", {"actor": actor}))
    for slug, resolution in dossier.resolutions.items():
        specs.append(PageSpec(urls.resolution(slug), "resolution.html",
                              {"resolution": resolution}))
    for slug, page in dossier.pages.items():
        specs.append(PageSpec(urls.page(slug), "page.html", {"page": page}))
    for linked in dossier.claims:
        specs.append(PageSpec(urls.claim(linked.slug), "claim.html", {"linked": linked}))
    for slug, (label, slugs) in dossier.tags.items():
        specs.append(PageSpec(urls.tag(slug), "tag.html",
                              {"tag": slug, "label": label, "slugs": slugs}))
    return specs


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

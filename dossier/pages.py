"""Every page of the site: its output path, the template that makes it and the records it is
planned with. What else a page shows is recorded while it is made (see depends.py).
"""
from __future__ import annotations

from typing import NamedTuple

from dossier import model, urls


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


def summary(graph, prose, slug: str) -> str:
    """An article's summary: its own, else its body's first paragraph."""
    return graph.by_slug[slug].summary or prose.summary(urls.article(slug))

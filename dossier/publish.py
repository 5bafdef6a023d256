"""Files about the whole dossier: data exports, the search index, feeds, sitemap, robots.txt.

Each is made on demand (see `Output.make`): the preview server skips those nobody asks for.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, Iterator

from dossier import exports, feeds, model, urls
from dossier.config import SiteConfig
from dossier.outputs import Output, once
from dossier.pages import View
from dossier.problems import Problems


def publish(config: SiteConfig, dossier: model.Dossier, view: View, page_paths: list[str],
            problems: Problems, site_inputs: Callable[[], tuple], keep: bool = False
            ) -> list[Output]:
    """Feeds, sitemap, robots.txt, data exports and the search index, each with `site_inputs`
    for inputs (all that any of them can show); with `keep` (the preview server) each is kept
    once made, else made each time it is asked for (a build asks once, and keeping tens of
    megabytes in the worker that wrote them helps nobody)."""

    def body_of(article):
        return view.bodies.of(urls.article(article.slug))

    out: list[Output] = []

    def add(path: str, make: Callable[[], bytes], chunks=None) -> None:
        out.append(Output(path, f"generated {path}", make=once(make) if keep else make,
                          chunks=None if keep else chunks, inputs=site_inputs))

    def add_streamed(path: str, chunks: Callable[[], Iterator[bytes]]) -> None:
        add(path, lambda: b"".join(chunks()), chunks=chunks)

    for name in exports.TABLES:
        rows = partial(exports.rows, dossier, view.summary, name)
        add_streamed(f"data/{name}.json", lambda rows=rows: exports.as_json(rows()))
        add_streamed(f"data/{name}.csv", partial(exports.as_csv, rows))
    add_streamed("data/timeline.json", lambda: exports.as_json(exports.timelinejs(
        config, dossier, view.summary)))
    add_streamed("search-index.js", partial(exports.search_index, dossier, body_of,
                                            view.summary))
    if not config.base_url:
        problems.note(config.root / "dossier.yaml", 0, "feeds, sitemap.xml and robots.txt "
                      "are skipped: they need absolute URLs",
                      "set base_url in dossier.yaml or pass --base-url")
        return out
    def feed(page: str, title: str, slugs) -> None:
        path = page.replace("index.html", "feed.xml")
        chosen = [dossier.by_slug[s] for s in slugs][:feeds.TOPIC_FEED_ENTRIES]
        add(path, lambda: feeds.atom(config, title, page, path, chosen, body_of,
                                     view.summary))

    add("feed.xml", lambda: feeds.atom(config, config.title, urls.HOME, "feed.xml",
                                       dossier.articles[:feeds.FEED_ENTRIES], body_of,
                                       view.summary))
    for slug, actor in dossier.actors.items():
        feed(urls.actor(slug), f"{actor.name} — {config.title}",
             dossier.actor_articles.get(slug, ()))
    for slug, resolution in dossier.resolutions.items():
        feed(urls.resolution(slug), f"{resolution.symbol} — {config.title}",
             dossier.resolution_articles.get(slug, ()))
    dated = {urls.article(a.slug): a.date for a in dossier.articles}
    listed = [(path, dated.get(path)) for path in sorted(page_paths)
              if path != urls.NOT_FOUND]
    add("sitemap.xml", lambda: feeds.sitemap(config, listed))
    add("robots.txt", lambda: feeds.robots(config))
    return out

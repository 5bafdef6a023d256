"""Files about the whole dossier: data exports, the search index, feeds, sitemap, robots.txt.

Each is planned like a page (`PageSpec`, with a maker's name in place of a template) and made
from the recording views of the dossier (see depends.py), so what it read is known.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, Iterator

from dossier import exports, feeds, ftm, model, urls
from dossier.config import SiteConfig
from dossier.pages import PageSpec, summary
from dossier.problems import Problems

Maker = Callable[..., Iterator[bytes]]      # (site, **extra) -> the file, in pieces


def plan(config: SiteConfig, dossier: model.Dossier, problems: Problems) -> list[PageSpec]:
    """Every generated file, longest to make first: a process left making them at the end
    of a parallel build would keep the others waiting."""
    specs = [PageSpec("search-index.js", "search", {}),
             PageSpec("data/timeline.json", "timelinejs", {}),
             PageSpec("data/ftm.json", "ftm", {})]
    for name in exports.TABLES:
        specs += [PageSpec(f"data/{name}.json", "json", {"table": name}),
                  PageSpec(f"data/{name}.csv", "csv", {"table": name})]
    if not config.base_url:
        problems.note(config.root / "dossier.yaml", 0, "feeds, sitemap.xml and robots.txt "
                      "are skipped: they need absolute URLs",
                      "set base_url in dossier.yaml or pass --base-url")
        return specs
    specs.append(PageSpec("feed.xml", "feed", {}))
    specs += [PageSpec(urls.actor(slug).replace("index.html", "feed.xml"), "actor_feed",
                       {"slug": slug}) for slug in dossier.actors]
    specs += [PageSpec(urls.resolution(slug).replace("index.html", "feed.xml"),
                       "resolution_feed", {"slug": slug}) for slug in dossier.resolutions]
    specs += [PageSpec("sitemap.xml", "sitemap", {}), PageSpec("robots.txt", "robots", {})]
    return specs


def _summary_of(site: dict) -> Callable[[str], str]:
    return partial(summary, site["dossier"], site["bodies"])


def _body_of(site: dict) -> Callable[[model.Article], str]:
    return lambda article: site["bodies"].of(urls.article(article.slug))


def _table(site: dict, table: str, kind: str) -> Iterator[bytes]:
    """data/TABLE.json or .csv, its rows made in blocks (see exports.as_json_blocks)."""
    made = exports.as_json_blocks if kind == "json" else exports.as_csv_blocks
    return made(f"{kind}:{table}", *exports.table_rows(site["dossier"], _summary_of(site), table),
                site["piece"], site["blocks"])


def _feed(site: dict, title: str, page: str, slugs) -> Iterator[bytes]:
    graph, config = site["dossier"], site["config"]
    chosen = _latest([graph.by_slug[s] for s in slugs], feeds.TOPIC_FEED_ENTRIES)
    yield feeds.atom(config, title, page, page.replace("index.html", "feed.xml"), chosen,
                     _body_of(site), _summary_of(site))


def _actor_feed(site: dict, slug: str) -> Iterator[bytes]:
    graph = site["dossier"]
    return _feed(site, f"{graph.actors[slug].name} — {site['config'].title}",
                 urls.actor(slug), graph.actor_articles.get(slug, ()))


def _resolution_feed(site: dict, slug: str) -> Iterator[bytes]:
    graph = site["dossier"]
    return _feed(site, f"{graph.resolutions[slug].symbol} — {site['config'].title}",
                 urls.resolution(slug), graph.resolution_articles.get(slug, ()))


def _home_feed(site: dict) -> Iterator[bytes]:
    config = site["config"]
    yield feeds.atom(config, config.title, urls.HOME, "feed.xml",
                     _latest(site["dossier"].articles, feeds.FEED_ENTRIES), _body_of(site),
                     _summary_of(site))


def _latest(articles, count: int) -> list[model.Article]:
    """The `count` articles changed last (published, updated or corrected)."""
    return sorted(articles, key=lambda a: (model.sort_key(a.modified), a.slug),
                  reverse=True)[:count]


def _sitemap(site: dict) -> Iterator[bytes]:
    dated = {urls.article(a.slug): a.modified for a in site["dossier"].articles}
    unlisted = (urls.NOT_FOUND, urls.SEARCH)         # an error page; an empty, noindex page
    yield feeds.sitemap(site["config"], [(path, dated.get(path)) for path in
                                         sorted(site["pages"]) if path not in unlisted])


MAKERS: dict[str, Maker] = {
    "search": lambda site: exports.search_index(site["dossier"], _body_of(site),
                                                _summary_of(site), site["bodies"].of, site["t"],
                                                site["piece"], site["blocks"]),
    "timelinejs": lambda site: exports.timelinejs(site["config"], site["dossier"],
                                                  _summary_of(site), site["piece"],
                                                  site["blocks"]),
    "ftm": lambda site: ftm.lines_in_blocks(site["dossier"], _summary_of(site), site["piece"],
                                            site["blocks"]),
    "json": lambda site, table: _table(site, table, "json"),
    "csv": lambda site, table: _table(site, table, "csv"),
    "feed": _home_feed,
    "actor_feed": _actor_feed,
    "resolution_feed": _resolution_feed,
    "sitemap": _sitemap,
    "robots": lambda site: iter([feeds.robots(site["config"])]),
}

"""Publishing: feeds, sitemap, exports, metadata and reproducible output, checked by real parsers."""
import hashlib
import json
import re
from urllib.parse import urlsplit

import feedparser
import pytest
import xmlschema

from tests.helpers import REPO, article, digest, run_cli, write_files
from tests.sitecheck import links, parse

BASE = "https://example.org/sub/dossier/"
SEED = "articles/2022-11-02-coree-du-nord-obus-russie/index.html"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    out = tmp_path_factory.mktemp("published") / "site"
    result = run_cli("build", "--base-url", BASE, "--output", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_feeds_are_valid_atom_with_stable_unique_ids(published):
    feeds = [published / "feed.xml", *published.glob("actors/*/feed.xml"),
             *published.glob("resolutions/*/feed.xml")]
    assert len(feeds) > 30
    for path in feeds:
        feed = feedparser.parse(path.read_bytes())
        assert not feed.bozo, (path, feed.bozo_exception)
        # RFC 4287 4.1.1: id, title, updated, author (or one per entry), self link
        assert feed.feed.id.startswith(BASE) and feed.feed.title and feed.feed.updated
        assert feed.feed.author_detail.name
        assert any(link.rel == "self" for link in feed.feed.links)
        ids = [entry.id for entry in feed.entries]
        assert len(ids) == len(set(ids))
        for entry in feed.entries:
            assert entry.id.startswith(BASE + "articles/") and entry.title and entry.updated
            assert entry.link.startswith(BASE)
            assert "<script" not in entry.content[0].value
    main = feedparser.parse((published / "feed.xml").read_bytes())
    changed = [entry.updated for entry in main.entries]
    assert changed == sorted(changed, reverse=True)                    # last changed first
    assert main.feed.updated == changed[0] == "2026-11-30T00:00:00Z"   # a correction's date,
    #                                                                    never the clock


def test_sitemap_validates_against_the_sitemaps_schema(published):
    schema = xmlschema.XMLSchema(REPO / "tests/data/sitemap.xsd")
    schema.validate(published / "sitemap.xml")
    sitemap = (published / "sitemap.xml").read_text()
    assert f"<loc>{BASE}articles/2022-11-02-coree-du-nord-obus-russie/</loc>" in sitemap
    assert "404.html" not in sitemap and "search/" not in sitemap     # the search page: noindex
    assert '<meta name="robots" content="noindex">' in (published / "search/index.html").read_text()
    assert f"Sitemap: {BASE}sitemap.xml" in (published / "robots.txt").read_text()


def test_without_base_url_feeds_and_sitemap_are_skipped_with_a_notice(sample_site):
    assert not (sample_site / "feed.xml").exists() and not (sample_site / "sitemap.xml").exists()
    result = run_cli("check")
    assert "note: feeds, sitemap.xml and robots.txt are skipped" in result.stderr


def test_pages_carry_canonical_open_graph_and_news_article_metadata(published):
    html = (published / SEED).read_text()
    assert f'<link rel="canonical" href="{BASE}{SEED[:-len("index.html")]}">' in html
    for prop in ("og:title", "og:description", "og:type", "og:url", "og:site_name"):
        assert f'property="{prop}"' in html
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(block.group(1))
    assert data["@type"] == "NewsArticle" and data["publisher"]["name"] == "Associated Press"
    assert data["isBasedOn"].startswith("https://mynorthwest.com/")
    assert data["datePublished"] == "2022-11-02" and "Corée du Nord" in data["about"]
    assert '<html lang="fr">' in html


def test_every_page_has_a_title_of_its_own(sample_site, english_site):
    """A tab, a bookmark, a search result and the browser's history name a page by its
    title: two pages with one title (the actor Iran and the tag iran) cannot be told apart."""
    for site in (sample_site, english_site):
        pages = {}
        for page in sorted(site.rglob("*.html")):
            title = re.search(r"<title>(.*?)</title>", page.read_text(), re.S).group(1)
            pages.setdefault(title, []).append(str(page.relative_to(site)))
        assert len(pages) > 30
        assert {t: p for t, p in pages.items() if len(p) > 1} == {}


def test_404_page_works_from_any_depth(published, sample_site):
    with_base = links(published / "404.html") + links(published / "404.html", "link")
    assert all(u.startswith((BASE, "#")) for u in with_base), with_base
    without = (sample_site / "404.html").read_text()
    assert "<style>" in without and "style.css" not in without     # styles inlined


def test_data_exports(sample_site):
    articles = json.loads((sample_site / "data/articles.json").read_text())
    seed = next(a for a in articles if a["slug"] == SEED.split("/")[1])
    assert seed["source"]["name"] == "Associated Press" and "John Kirby" in seed["actors"]
    for name, column in (("articles", "source.name"), ("actors", "aliases"),
                         ("resolutions", "provisions"), ("events", "sources"),
                         ("claims", "status")):
        rows = json.loads((sample_site / f"data/{name}.json").read_text())
        lines = (sample_site / f"data/{name}.csv").read_text("utf-8-sig").splitlines()
        assert rows and len(lines) == len(rows) + 1, name           # a header, then one per record
        assert column in lines[0].split(","), (name, lines[0])
    claims = json.loads((sample_site / "data/claims.json").read_text())
    assert {"id", "by", "about", "status", "text", "history", "articles", "sources"} <= set(claims[0])
    timeline = json.loads((sample_site / "data/timeline.json").read_text())
    first = timeline["events"][0]
    assert set(first["start_date"]) == {"year", "month", "day"} and first["text"]["headline"]
    assert timeline["title"]["text"]["headline"]


def test_timeline_slides_keep_their_ids_when_an_older_article_comes(tmp_path):
    """A TimelineJS slide's unique_id is a reader's link to it: an article added before the
    others (with an event, and two events one day) leaves every slide's id on that slide."""
    root = write_files(tmp_path / "dossier", {
        "dossier.yaml": "title: T\nlanguage: fr\n",
        "content/articles/b.md": article("B", "2023-05-01", events=(
            '[{date: 2023-04-30, title: "Premier tir"}, {date: 2023-04-30, title: "Second tir"}]')),
        "content/articles/c.md": article("C", "2024-01-02")})

    def slides() -> dict:
        built = run_cli("build", "--root", str(root), "--output", str(tmp_path / "site"))
        assert built.returncode == 0, built.stderr
        timeline = json.loads((tmp_path / "site/data/timeline.json").read_text())
        return {e["unique_id"]: (e["group"], e["text"]["headline"]) for e in timeline["events"]}

    before = slides()
    assert len(before) == 4
    write_files(root, {"content/articles/a.md": article(
        "A", "2021-03-04", events='[{date: 2021-03-01, title: "Livraison"}]')})
    after = slides()
    assert len(after) == 6
    assert {key: after.get(key) for key in before} == before


def test_output_is_reproducible_and_assets_are_content_hashed(tmp_path):
    for run in ("a", "b"):
        assert run_cli("build", "--base-url", BASE, "--output", str(tmp_path / run)).returncode == 0
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    page = tmp_path / "a" / SEED
    css = next(u for u in links(page, "link") if "style.css" in u)
    version = css.split("?v=")[1]
    body = (tmp_path / "a/static/style.css").read_bytes()
    assert hashlib.sha256(body).hexdigest().startswith(version)


def test_every_theme_file_a_page_loads_is_named_by_its_content(sample_site):
    """docs/publishing.md has hosts keep static/ for a year ("immutable"): a script,
    stylesheet, font or image linked without its content's digest would stay the old one in
    readers' browsers, against pages that expect the new one. Fonts are loaded by the
    stylesheets (and by the 404 page's inlined styles)."""
    static = (sample_site / "static").resolve()
    loaded, stylesheets, checked = [], {}, 0
    for page in sorted(sample_site.rglob("*.html")):
        found = [(url, tag) for tag, url, attrs in parse(page).links if tag != "a"]
        found += [(url, "style") for url in re.findall(r"url\(([^)]+)\)", "".join(
            re.findall(r"<style>(.*?)</style>", page.read_text(), re.S)))]
        loaded += [(page, url) for url, tag in found]
    while loaded:
        page, url = loaded.pop()
        parts = urlsplit(url)
        if parts.scheme or not parts.path:
            continue
        target = (page.parent / parts.path).resolve() if not url.startswith("/") \
            else (sample_site / parts.path.lstrip("/")).resolve()
        if not target.is_relative_to(static):
            continue
        version = hashlib.sha256(target.read_bytes()).hexdigest()[:10]
        assert parts.query == f"v={version}", (page.relative_to(sample_site), url)
        checked += 1
        if target.suffix == ".css" and target not in stylesheets:
            stylesheets[target] = re.findall(r"url\(['\"]?([^'\")]+)", target.read_text())
            loaded += [(target, url) for url in stylesheets[target]]
    fonts = [url for urls in stylesheets.values() for url in urls if ".woff2" in url]
    assert len(fonts) >= 7 and len(stylesheets) >= 2 and checked > 400


def test_search_index_is_a_script_with_folded_text(sample_site):
    index = (sample_site / "search-index.js").read_text()
    assert index.startswith("window.dossierSearch=")
    docs = json.loads(index[len("window.dossierSearch="):].rstrip(";\n"))
    actor = next(d for d in docs if d["k"] == "actor" and d["t"] == "Corée du Nord")
    assert "coree du nord" in actor["m"] and "dprk" in actor["m"]
    assert "</" not in index
    assert 'data-index="search-index.js"' in (sample_site / "index.html").read_text()
    assert parse(sample_site / SEED).ids >= {"search-input", "search-results"}


@pytest.mark.parametrize("sub_path", ["", "sub/path/"])
def test_every_link_and_asset_resolves_when_served(sample_site, tmp_path, sub_path):
    """Crawl the site over HTTP from its home page, under a sub-path or not."""
    import functools
    import http.server
    import shutil
    import threading
    import urllib.error
    import urllib.request
    from urllib.parse import urljoin, urldefrag

    shutil.copytree(sample_site, tmp_path / "www" / sub_path / "site")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=tmp_path / "www")
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    start = f"http://127.0.0.1:{server.server_port}/{sub_path}site/index.html"
    seen, queue, broken = set(), [start], []
    try:
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    body = response.read()
                    kind = response.headers.get("Content-Type", "")
            except urllib.error.HTTPError as error:
                broken.append(f"{url}: {error.code}")
                continue
            if "html" not in kind:
                continue
            from tests.sitecheck import _Page
            page = _Page()
            page.feed(body.decode())
            for _, link, _ in page.links:
                target = urldefrag(urljoin(url, link))[0]
                if target.startswith(start.rsplit("/", 1)[0]):
                    queue.append(target)
                elif target.startswith("http://127.0.0.1"):
                    broken.append(f"{url}: leaves the site: {link}")
    finally:
        server.shutdown()
    assert broken == []
    assert len(seen) > 89                  # every page, plus the assets they link

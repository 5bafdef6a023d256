"""Atom feeds, sitemap.xml and robots.txt: small pure builders over the linked dossier.

They need absolute URLs, so they exist only when the dossier has a base_url. Nothing here reads
the clock: `updated` is the newest content date, so two builds of the same content are
byte-identical.
"""
from __future__ import annotations

import datetime as dt

from dossier import model, urls
from dossier.config import SiteConfig

FEED_ENTRIES = 50
TOPIC_FEED_ENTRIES = 20


def absolute(config: SiteConfig, path: str) -> str:
    """Public URL of an output path; folders' index.html is left out (hosts serve it)."""
    base = config.base_url.rstrip("/") + "/"
    return base + (path[:-len("index.html")] if path.endswith("index.html") else path)


def timestamp(when: model.Date | None) -> str:
    """RFC 3339, as Atom requires; a bare date is taken as midnight UTC."""
    if when is None:
        when = dt.date(1970, 1, 1)
    if not isinstance(when, dt.datetime):
        when = dt.datetime(when.year, when.month, when.day, tzinfo=dt.timezone.utc)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.isoformat().replace("+00:00", "Z")


def atom(config: SiteConfig, title: str, page: str, feed_path: str,
         articles: list[model.Article], body_of, summary_of) -> bytes:
    """An RFC 4287 feed of `articles` (last changed first) for the page at `page`: an
    article corrected or updated comes back with its new <updated> time."""
    # Imported here: xml.sax.saxutils brings urllib.request and http.client with it (10 ms
    # of every build's start, most of which have no base_url, so no feeds).
    from xml.sax.saxutils import escape, quoteattr
    updated = timestamp(max((a.modified for a in articles), key=model.sort_key, default=None))
    authors = config.authors or (config.title,)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(config.language)}>',
        f"  <id>{escape(absolute(config, feed_path))}</id>",
        f"  <title>{escape(title)}</title>",
        f"  <updated>{updated}</updated>",
        *(f"  <author><name>{escape(name)}</name></author>" for name in authors),
        f'  <link rel="self" type="application/atom+xml" '
        f'href={quoteattr(absolute(config, feed_path))}/>',
        f'  <link rel="alternate" type="text/html" href={quoteattr(absolute(config, page))}/>',
        '  <generator uri="https://pypi.org/project/dossier/">dossier</generator>',
    ]
    for article in articles:
        link = absolute(config, urls.article(article.slug))
        lines += [
            "  <entry>",
            f"    <id>{escape(link)}</id>",
            f"    <title>{escape(article.title)}</title>",
            f"    <updated>{timestamp(article.modified)}</updated>",
            f"    <published>{timestamp(article.date)}</published>",
            f"    <author><name>{escape(article.source.author or article.source.name)}</name>"
            "</author>",
            f'    <link rel="alternate" type="text/html" href={quoteattr(link)}/>',
        ]
        if article.source.url:
            lines.append(f'    <link rel="via" href={quoteattr(article.source.url)}/>')
        lines += [
            f"    <summary>{escape(summary_of(article.slug))}</summary>",
            # The body is already sanitised HTML; escaping it makes it Atom "html" content.
            f'    <content type="html">{escape(body_of(article))}</content>',
            "  </entry>",
        ]
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode()


def sitemap(config: SiteConfig, pages: list[tuple[str, model.Date | None]]) -> bytes:
    """sitemaps.org 0.9: every HTML page but the 404 and the search page (noindex), with its
    content date when known."""
    from xml.sax.saxutils import escape        # see atom
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path, when in pages:
        lastmod = f"<lastmod>{timestamp(when)}</lastmod>" if when else ""
        lines.append(f"  <url><loc>{escape(absolute(config, path))}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode()


def robots(config: SiteConfig) -> bytes:
    return f"User-agent: *\nAllow: /\nSitemap: {absolute(config, 'sitemap.xml')}\n".encode()

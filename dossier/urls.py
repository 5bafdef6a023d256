"""The one place that knows output paths and computes relative URLs between them.

Every link is relative and names its index.html, so a site works from any sub-path and from
file:// (where a link to a folder opens a directory listing instead of the page).
"""
from __future__ import annotations

from urllib.parse import unquote

HOME = "index.html"
TIMELINE = "timeline/index.html"
ARCHIVE = "articles/index.html"
ACTORS = "actors/index.html"
RESOLUTIONS = "resolutions/index.html"
TAGS = "tags/index.html"
CLAIMS = "claims/index.html"
CORRECTIONS = "corrections/index.html"
SOURCES = "sources/index.html"
MAP = "map/index.html"
NOT_FOUND = "404.html"
PRINT = "print/index.html"
SEARCH = "search/index.html"
# The site's own pages a Markdown text may link by their address from the site's root
# ("/map/", "/timeline/"): the link is made relative like any other.
SECTIONS = (HOME, ARCHIVE, TIMELINE, MAP, ACTORS, RESOLUTIONS, TAGS, CLAIMS, CORRECTIONS,
            SOURCES, PRINT, SEARCH)


def article(slug: str) -> str:
    return f"articles/{slug}/index.html"


def actor(slug: str) -> str:
    return f"actors/{slug}/index.html"


def resolution(slug: str) -> str:
    return f"resolutions/{slug}/index.html"


def claim(slug: str) -> str:
    return f"claims/{slug}/index.html"


def page(slug: str) -> str:
    """A free-standing page: at the top, like /about/."""
    return f"{slug}/index.html"


def tag(slug: str) -> str:
    return f"tags/{slug}/index.html"


def moved(address: str) -> str | None:
    """The output path of an address a page had before (`redirect_from`): 'articles/old/',
    '/articles/old', 'articles/old/index.html' -> 'articles/old/index.html'; an earlier
    tool's 'old-article.html' stays as it is. None if it is not a plain path of this site
    (another site, a query, '..', a hidden folder) or not a page's ('feed.xml', 'x.pdf':
    a file's, which a page cannot stand in for)."""
    text = unquote(address.strip())      # as a browser asks for it: 'ancien-%C3%A9t%C3%A9'
    parts = text.strip("/").split("/")
    if not text.strip("/") or "//" in text or any(c in text for c in ":?#\\\"<>|*") or \
            any(c.isspace() or ord(c) < 32 for c in text) or \
            any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    if parts[-1].endswith((".html", ".htm")):
        return "/".join(parts)
    if "." in parts[-1] and not text.endswith("/"):
        return None
    return "/".join(parts) + "/index.html"


def static(name: str) -> str:
    return f"static/{name}"


def relative(from_page: str, to_path: str) -> str:
    """URL of output path `to_path` as seen from the page at output path `from_page`."""
    if to_path.startswith(("http://", "https://", "#")):
        return to_path
    # Up to the site root, then down: the same link text from every page of one depth, so
    # page fragments (a timeline entry) can be rendered once and reused.
    return "../" * from_page.count("/") + to_path

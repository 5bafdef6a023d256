"""Read a built site as a browser would: its links, its text, its elements."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, dict]] = []    # (tag, url, attrs)
        self.ids: set[str] = set()
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name) is not None:
                self.links.append((tag, attrs[name], attrs))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def text(path: Path) -> str:
    return " ".join(" ".join(parse(path).text).split())


def links(path: Path, tag: str = "a") -> list[str]:
    return [url for t, url, _ in parse(path).links if t == tag]


def broken_links(site: Path) -> list[str]:
    """Every relative link or asset that does not resolve to a file (and #fragment) in `site`."""
    broken, pages = [], {}
    for html in sorted(site.rglob("*.html")):
        for tag, url, _ in parse(html).links:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                continue
            target = (html.parent / unquote(parts.path)).resolve() if parts.path else html
            if url.startswith("/") and html == site / "404.html":
                # Served at any depth: from the host's root when there is no base_url.
                target = (site / unquote(parts.path).lstrip("/")).resolve()
                if not target.is_file():
                    broken.append(f"404.html: {url}")
            elif url.startswith("/"):
                broken.append(f"{html.relative_to(site)}: root-relative {url}")
            elif not target.is_file():
                broken.append(f"{html.relative_to(site)}: {url}")
            elif parts.fragment and target.suffix == ".html":
                ids = pages.setdefault(target, parse(target).ids)
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{html.relative_to(site)}: {url} (no such id)")
    return broken

"""Markdown -> safe HTML: Python-Markdown (tables, footnotes, toc, Pygments), then nh3.

Article bodies are scraped text, so raw HTML is allowed through Markdown but everything is then
cleaned by an allow-list sanitiser. Link rewriting happens inside the sanitiser's attribute
filter, so links written in Markdown and in raw HTML obey the same rules.
"""
from __future__ import annotations

import html
import re
from typing import Callable
from urllib.parse import urlsplit

import markdown
import nh3

# Called with a relative link target as written (no fragment); returns the URL to use, or None
# when it points nowhere (the caller records the problem).
Resolver = Callable[[str, str], "str | None"]

EXTENSIONS = ["tables", "footnotes", "toc", "fenced_code", "codehilite", "sane_lists",
              "attr_list", "abbr", "def_list"]
EXTENSION_CONFIGS = {"codehilite": {"css_class": "highlight", "guess_lang": False},
                     "toc": {"permalink": False}}

TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details",
        "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small",
        "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
        "thead", "time", "tr", "u", "ul"}
ATTRIBUTES = {"*": {"class", "id", "lang", "dir", "title"},
              "a": {"href"}, "img": {"src", "alt", "width", "height"},
              "td": {"style", "colspan", "rowspan"}, "th": {"style", "colspan", "rowspan"},
              "time": {"datetime"}, "abbr": {"title"}, "ol": {"start"}}
SCHEMES = {"http", "https", "mailto"}


class Markup:
    """One configured Markdown converter, reused for every body of a build."""

    def __init__(self):
        self._md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)

    def render(self, text: str, resolve: Resolver) -> str:
        """Markdown text -> sanitised HTML with relative links resolved through `resolve`."""
        raw = self._md.reset().convert(text)

        def attribute_filter(tag: str, attr: str, value: str):
            if (tag, attr) in (("a", "href"), ("img", "src")):
                return _link(tag, value, resolve)
            return value

        return nh3.clean(raw, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES,
                         attribute_filter=attribute_filter, link_rel="noopener noreferrer",
                         filter_style_properties={"text-align"},
                         clean_content_tags={"script", "style"})


def _link(tag: str, value: str, resolve: Resolver):
    value = value.strip()
    if value.startswith("#"):
        return value
    parts = urlsplit(value)
    if parts.scheme or value.startswith("//"):
        if parts.scheme.lower() not in SCHEMES or value.startswith("//"):
            return None            # javascript:, data:, vbscript:, protocol-relative…
        if tag == "img":
            return resolve(value, "img")   # the resolver reports remote images
        return value
    target = resolve(parts.path, tag) if parts.path else ""
    if target is None:
        return None
    return target + (f"#{parts.fragment}" if parts.fragment else "")


_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)


def plain_summary(body_html: str, limit: int = 280) -> str:
    """Text of the first paragraph, shortened at a word boundary."""
    match = _FIRST_PARAGRAPH.search(body_html)
    if not match:
        return ""
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"

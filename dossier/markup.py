"""Markdown -> safe HTML: Python-Markdown (tables, footnotes, toc, Pygments), then nh3.

Article bodies are scraped text, so raw HTML is allowed through Markdown but everything is then
cleaned by an allow-list sanitiser. Link rewriting happens inside the sanitiser's attribute
filter, so links written in Markdown and in raw HTML obey the same rules.
"""
from __future__ import annotations

import html
import importlib
import os
import re
import xml.etree.ElementTree
from itertools import chain
from pathlib import Path
from typing import Callable
from urllib.parse import quote, unquote, urlsplit

import markdown
import markdown.extensions.toc
import nh3

from dossier import model, typography, urls
from dossier.load import markdown_of
from dossier.problems import Problems

# Called with a relative link target as written (no fragment); returns the URL to use, or None
# when it points nowhere (the caller records the problem).
Resolver = Callable[[str, str], "str | None"]

EXTENSIONS = ["tables", "footnotes", "toc", "fenced_code", "codehilite", "sane_lists",
              "attr_list", "abbr", "def_list"]
EXTENSION_CONFIGS = {"codehilite": {"css_class": "highlight", "guess_lang": False},
                     "toc": {"permalink": False}}

def _extension(name: str, configs: dict) -> markdown.extensions.Extension:
    """Python-Markdown's own extension `name`, made here: given by name, Markdown first looks
    for one among the entry points of every installed distribution (7-10 ms in each
    process of every build, with 150 installed), and a package registering the same name
    would change what every text gives."""
    if name == "toc":
        return _TocExtension(**configs)
    return importlib.import_module(f"markdown.extensions.{name}").makeExtension(**configs)


class _Toc(markdown.extensions.toc.TocTreeprocessor):
    """The toc extension gives headings their ids; the table of contents itself is built
    only for a text that shows it ([TOC], its marker: see Markup._converter). Python-Markdown
    builds it anyway, serialises it and runs every postprocessor over it for `md.toc`, which
    dossier does not use, with a function calling itself: a reference cycle per text with a
    heading, left for the cyclic collector (see _RawHtml)."""

    def build_toc_div(self, toc_list: list):
        return super().build_toc_div(toc_list) if self.marker else \
            xml.etree.ElementTree.Element("div")


class _TocExtension(markdown.extensions.toc.TocExtension):
    TreeProcessorClass = _Toc


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


# Extensions that change nothing in a text without their syntax, each with a test that is
# true of every text using it (and of some others). A text is converted by a converter with
# only the extensions it may use: each costs 3-10 % of every conversion, even unused.
# The tests run on every body of a build: a search for one character is ~10x quicker than
# for several (memchr), and a regular expression that may start anywhere slower still, so a
# test for a mark looks for its rarest character first (the same answer, sooner).
_DEFINITION = re.compile(r"\n[ \t]*:").search          # ":" opening a line, after blanks
_TOC_MARKER = lambda text: "O" in text and "[TOC]" in text           # noqa: E731
_UNDERLINED = lambda text: "\n=" in text or "\n-" in text   # noqa: E731 (a setext heading's)
OPTIONAL = {
    "tables": lambda text: "|" in text,
    "footnotes": lambda text: "^" in text and "[^" in text,
    "fenced_code": lambda text: ("`" in text and "```" in text) or ("~" in text and
                                                                    "~~~" in text),
    "attr_list": lambda text: "{" in text,
    "abbr": lambda text: "*" in text and "*[" in text,
    "def_list": lambda text: text.lstrip(" \t").startswith(":") or
    _DEFINITION(text) is not None,
    # Looking for the [TOC] marker walks the whole tree: only done where it is written.
    "[TOC]": _TOC_MARKER,
    # Ids for headings (a "#", or a line of "=" or "-" under another), and the marker's
    # table: the whole tree walked for them (most texts of a dossier have no heading).
    "toc": lambda text: "#" in text or _UNDERLINED(text) or _TOC_MARKER(text),
}


# Python-Markdown's inline patterns, by a test true of every text they may match. Every
# pattern is tried at every position of every run of text: leaving out those that cannot
# match makes a text with no code, images, raw HTML or emphasis ~35 % quicker to convert.
# Trailing spaces or a tab then a line end make a line break: a space before a line end or
# at the very end, or any tab.
_LINK, _IMAGE, _ANGLE = (lambda text: "[" in text), \
    (lambda text: "!" in text and "![" in text), (lambda text: "<" in text)
_EMPHASIS = lambda text: "*" in text or "_" in text        # noqa: E731
INLINE = {
    "backtick": lambda text: "`" in text,
    "escape": lambda text: "\\" in text,
    "reference": _LINK, "link": _LINK, "short_reference": _LINK,
    "image_link": _IMAGE, "image_reference": _IMAGE, "short_image_ref": _IMAGE,
    "autolink": _ANGLE, "automail": _ANGLE, "html": _ANGLE,
    "linebreak": lambda text: " \n" in text or "\t" in text or text.endswith(" "),
    "entity": lambda text: "&" in text,
    # em_strong2 and not_strong: Markdown before 3.11 (from 3.11, em_strong does both)
    "em_strong": _EMPHASIS, "em_strong2": _EMPHASIS, "not_strong": _EMPHASIS,
}
# Python-Markdown's block processors, likewise, whose test searches every block: a block
# quote needs ">", a link reference definition "]:", a horizontal rule three "-", "_" or "*"
# (nested blocks, in lists or quotes, are parts of the text: they hold no mark it lacks).
BLOCK = {
    "quote": lambda text: ">" in text,
    "reference": lambda text: "]" in text and "]:" in text,
    "hr": lambda text: text.count("-") >= 3 or text.count("_") >= 3 or text.count("*") >= 3,
}

# Python-Markdown's preprocessors, likewise: the one finding raw HTML runs an HTML parser over
# the whole text, which, holding no "<" nor "&", it hands back as it is.
PREPROCESSORS = {"html_block": lambda text: "<" in text or "&" in text}


# The headings' block processors, asked first of every block that is not code (every
# paragraph of every text), search it whole; a block lacking the mark such a heading needs
# is not searched. Registered under Python-Markdown's own names and priorities, in place of
# its processors.
class _HashHeader(markdown.blockprocessors.HashHeaderProcessor):
    def test(self, parent, block: str) -> bool:
        return "#" in block and super().test(parent, block)


class _SetextHeader(markdown.blockprocessors.SetextHeaderProcessor):
    def test(self, parent, block: str) -> bool:    # a line of "=" or "-" under the first
        return _UNDERLINED(block) and super().test(parent, block)


GUARDED_BLOCKS = {"hashheader": (_HashHeader, 70), "setextheader": (_SetextHeader, 60)}


class _RawHtml(markdown.postprocessors.RawHtmlPostprocessor):
    """Python-Markdown's postprocessor putting back the stashed raw HTML (and highlighted
    code), which makes a function calling itself at every text, a reference cycle left for
    the cyclic collector, before seeing there is nothing to put back: the text is then
    handed back as it is, as the original does. A one-shot build loads with the collector
    off (cli._tune_collector): those cycles were most of what it leaves (8,000 at 2,000
    articles)."""

    def run(self, text: str) -> str:
        return super().run(text) if self.md.htmlStash.html_counter else text


GUARDED_POST = {"raw_html": (_RawHtml, 30)}


class Markup:
    """Configured Markdown converters, reused for every body of a build."""

    def __init__(self, language: str = ""):
        self._converters: dict[tuple, markdown.Markdown] = {}
        self.french = typography.is_french(language)
        self.smart = language.split("-")[0].lower() == "en"     # curly quotes, dashes

    def _converter(self, text: str) -> markdown.Markdown:
        # The tests look at the text as Markdown reads it: without STX and ETX characters
        # (which could join "!" and "[", or "[" and "^"), every line ending a "\n".
        if "\x02" in text or "\x03" in text:
            text = text.replace("\x02", "").replace("\x03", "")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        used = tuple(name for name, may_use in OPTIONAL.items() if may_use(text))
        unused = tuple(name for name, may_match in INLINE.items() if not may_match(text))
        blocks = tuple(name for name, may_match in BLOCK.items() if not may_match(text))
        pre = tuple(name for name, may_match in PREPROCESSORS.items() if not may_match(text))
        md = self._converters.get((used, unused, blocks, pre))
        if md is None:
            extensions = [e for e in EXTENSIONS if e not in OPTIONAL or e in used] + \
                (["smarty"] if self.smart else [])
            configs = {**EXTENSION_CONFIGS, "toc": {**EXTENSION_CONFIGS["toc"], **(
                {} if "[TOC]" in used else {"marker": ""})}}
            md = self._converters[used, unused, blocks, pre] = markdown.Markdown(
                extensions=[_extension(name, configs.get(name, {})) for name in extensions])
            for name in unused:
                md.inlinePatterns.deregister(name, strict=False)
            for name in blocks:
                md.parser.blockprocessors.deregister(name, strict=False)
            for name in pre:
                md.preprocessors.deregister(name, strict=False)
            for name, (processor, priority) in GUARDED_BLOCKS.items():
                md.parser.blockprocessors.register(processor(md.parser), name, priority)
            for name, (processor, priority) in GUARDED_POST.items():
                md.postprocessors.register(processor(md), name, priority)
        return md

    def render(self, text: str, resolve: Resolver) -> str:
        """Markdown text -> sanitised HTML with relative links resolved through `resolve`."""
        raw = self._converter(text).reset().convert(text)

        def attribute_filter(tag: str, attr: str, value: str):
            if (tag, attr) in (("a", "href"), ("img", "src")):
                return _link(tag, value, resolve)
            return value

        html = nh3.clean(raw, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES,
                         attribute_filter=attribute_filter, link_rel="noopener noreferrer",
                         filter_style_properties={"text-align"},
                         clean_content_tags={"script", "style"})
        return typography.french_html(html) if self.french else html


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


class Texts:
    """Many strings kept as UTF-8 bytes, by key: those read back from the cache in its
    store's own buffer, those converted since in one buffer of their own.

    Converted bodies are the bulk of a dossier in memory. Python keeps a str with one
    character beyond Latin-1 (’ « …) at 2 bytes per character: UTF-8 halves that for
    European text. And forked workers only read the buffer, so they share it with the
    parent, where a str each would be copied page by page into every worker that touches
    it (touching an object writes its reference count)."""

    def __init__(self, stored: bytes | memoryview = b"",
                 spans: dict[str, tuple[int, int]] | None = None):
        # `stored`: the texts read back from the cache, read only (a mapping of its file);
        # texts added later go to `_added`, numbered on from stored's end.
        self._stored = stored
        self._added = bytearray()
        self._spans: dict[str, tuple[int, int]] = {} if spans is None else spans

    def __setitem__(self, key: str, text: str) -> None:
        data = text.encode()
        start = len(self._stored) + len(self._added)
        self._added += data
        self._spans[key] = (start, start + len(data))

    def __getitem__(self, key: str) -> str:
        return str(self.raw(key), "utf-8")

    def raw(self, key: str) -> memoryview:
        """The UTF-8 bytes of a text, as they are stored."""
        start, end = self._spans[key]
        stored = len(self._stored)
        if start >= stored:
            return memoryview(self._added)[start - stored:end - stored]
        return memoryview(self._stored)[start:end]

    def __contains__(self, key: object) -> bool:
        return key in self._spans

    def keys(self):
        return self._spans.keys()

    def keep(self, keys) -> None:
        """Forget every other key; the texts are copied together once mostly forgotten."""
        kept = {key: self._spans[key] for key in keys}
        used = sum(end - start for start, end in kept.values())
        if used * 2 >= len(self._stored) + len(self._added):
            self._spans = kept
            return
        added, spans = bytearray(), {}
        for key in kept:
            raw = self.raw(key)
            spans[key] = (len(added), len(added) + len(raw))
            added += raw
        self._stored, self._added, self._spans = b"", added, spans


class Bodies:
    """Markdown bodies of one build, with content links checked and rewritten."""

    def __init__(self, content: Path, articles: list[model.Article],
                 actors: list[model.Actor], resolutions: list[model.Resolution],
                 assets: list[Path], last: "Bodies | None" = None,
                 pages: list[model.Page] = (),
                 files: tuple[list[Path], set[Path]] = ((), set())):
        self.content = content
        self.records = (articles, actors, resolutions, list(pages), assets)
        # Pages whose Markdown changed or that came since `last`, when the save changed
        # records but no asset: `last`'s maps are then copied and patched instead of made
        # again; `gone`: the pages no longer made, `moved`: the files published elsewhere
        # since, or no longer (bodies linking to them are made again).
        self.gone: list[str] = []
        self.moved: set[Path] = set()
        self.changed = self._patch(last, files) if last is not None else None
        if self.changed is None:
            self.gone, self.moved, self.assets = [], set(), set(assets)
            self.pages: dict[Path, str] = {}                      # source file -> page path
            self.sources: dict[str, tuple[Path, str, int]] = {}   # page path -> Markdown
            for source in map(_source, chain(articles, actors, resolutions, pages)):
                if source is not None:
                    self.pages[source[1]] = source[0]   # paths under the resolved content/
                    self.sources[source[0]] = source[1:]
            self.unpublished = _unpublished(self.pages, *files)
        # Filled by the renderer: page path -> digest of all its HTML depends on, the HTML by
        # digest, and the text of its first paragraph.
        self.keys: dict[str, str] = {}
        self.texts: dict[str, str] = {}                 # page path -> digest of its text
        self.html = Texts()
        self.summaries: dict[str, str] = {}

    def _patch(self, last: "Bodies", files: tuple[list[Path], set[Path]]) -> list[str] | None:
        new, old = self.records, last.records
        if new[4] != old[4] or len(last.pages) != len(last.sources):
            return None                         # (an asset came or went; a page made twice)
        gone, added = [], []
        for records, before in zip(new[:4], old[:4]):
            if len(records) == len(before):     # (a save that changed texts: in place)
                pairs = [(record, was) for record, was in zip(records, before)
                         if record is not was]
                gone += [was for _, was in pairs]
                added += [record for record, _ in pairs]
            else:
                now, then = set(map(id, records)), set(map(id, before))
                gone += [was for was in before if id(was) not in now]
                added += [record for record in records if id(record) not in then]
        self.assets, self.pages, self.sources = last.assets, dict(last.pages), dict(last.sources)
        was_at = {source[:2]: source for source in map(_source, gone) if source is not None}
        for page, path, *_ in was_at.values():
            del self.sources[page], self.pages[path]
        changed = []
        for source in map(_source, added):
            if source is not None:
                if source[0] in self.sources:
                    return None                 # a page made twice: said as a full build says
                self.sources[source[0]] = source[1:]
                self.pages[source[1]] = source[0]
                changed.append(source[0])
                if was_at.pop(source[:2], None) is None:   # (else its text changed, in place)
                    self.moved.add(source[1])
        self.moved.update(path for page, path, *_ in was_at.values())
        self.gone = [page for page, *_ in was_at.values() if page not in self.sources]
        self.unpublished = _unpublished(self.pages, *files)
        self.moved.update(path for path, _ in self.unpublished.items() ^
                          last.unpublished.items())
        return changed

    def of(self, page: str) -> str:
        key = self.keys.get(page)
        return self.html[key] if key is not None else ""

    def key(self, page: str) -> str | None:
        """Stands for the page's body HTML in a page's inputs: equal keys, equal HTML."""
        return self.keys.get(page)

    def summary(self, page: str) -> str:
        return self.summaries.get(page, "")

    def locate(self, page: str, path: Path, target: str, tag: str) -> str | None:
        """The URL of a link to `target` (as written in the file at `path`) from `page`;
        "remote" for an image on another host; "draft" or "broken" for a content file that
        makes no page (Bodies.unpublished); None if it points nowhere."""
        if target.startswith(("http://", "https://")):
            return "remote"
        if target.startswith("/"):             # one of the site's own pages: "/map/"
            section = target.strip("/") + "/index.html" if target.strip("/") else urls.HOME
            return urls.relative(page, section) if section in urls.SECTIONS else None
        file = Path(os.path.normpath(path.parent / unquote(target)))
        if file in self.pages:
            return urls.relative(page, self.pages[file])
        if file in self.assets:           # any name: '#', '?' or '%' in it must not count
            return urls.relative(page, quote(file.relative_to(self.content).as_posix()))
        return self.unpublished.get(file)

    def convert(self, markdown: Markup, page: str, path: Path, text: str, first_line: int,
                problems: Problems) -> tuple[str, tuple]:
        """-> (HTML, the links it resolved: (target, tag) in order)."""
        links = []

        def resolve(target: str, tag: str):
            links.append((target, tag))
            found = self.locate(page, path, target, tag)
            line = first_line + _line_of(text, target)
            if found == "remote":
                problems.warning(path, line, f"remote image {target} is not shown: pages "
                                 "load nothing from other hosts",
                                 "save the image beside the article and link the copy")
                return None
            if found == "draft":        # a draft must not stop what is published (Drafts)
                problems.warning(path, line, f"link to '{target}', a draft: not published, "
                                 "so the link is shown as text",
                                 "publish the draft by removing 'draft: true', or link it "
                                 "once it is")
                return None
            if found == "broken":       # its own problems are reported at its lines
                return None
            if found is None:
                problems.error(path, line, f"link to '{target}' points nowhere",
                               "link to an existing file in content/, relative to this file, "
                               "or to one of the site's pages: " + ", ".join(
                                   "/" + s.removesuffix("index.html") for s in urls.SECTIONS))
            return found

        text = _bounded(markdown_of(text), lambda line, message, hint: problems.warning(
            path, first_line + line, message, hint))
        return markdown.render(text, resolve), tuple(links)


# Python-Markdown's inline patterns take time quadratic in the '[' of a paragraph (a line of
# 10,000 takes 23 s); a paragraph with more than this many shows them as text instead.
MAX_BRACKETS = 500
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def _bounded(text: str, warn) -> str:
    """`text` with the '[' of any over-long paragraph escaped, each such paragraph warned
    about at its first line. Fenced code is left alone: it has no links."""
    if text.count("[") <= MAX_BRACKETS:
        return text
    lines, out, block, fence = text.split("\n"), [], [], None

    def flush(end: int) -> None:
        count = sum(line.count("[") for line in block)
        if count > MAX_BRACKETS:
            warn(end - len(block), f"{count} '[' in one paragraph: shown as text, not as "
                 "links", f"split the paragraph, or keep it under {MAX_BRACKETS} '['")
            out.extend(line.replace("[", "\\[") for line in block)
        else:
            out.extend(block)
        block.clear()

    for number, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence is None and opening:
            flush(number)
            fence = opening.group(1)[0]
            out.append(line)
        elif fence is not None:
            out.append(line)
            if opening and opening.group(1)[0] == fence:
                fence = None
        elif not line.strip():
            flush(number)
            out.append(line)
        else:
            block.append(line)
    flush(len(lines))
    return "\n".join(out)


def _unpublished(published: dict[Path, str], files: list[Path], drafts: set[Path]
                 ) -> dict[Path, str]:
    """Each content file of a record that makes no page, and why: "draft", or "broken"
    (its own problems are reported at its lines), so that a link to it says which."""
    return {path: "draft" if path in drafts else "broken" for path in files
            if path not in published}


def _source(record) -> tuple[str, Path, str, int] | None:
    """(page, file, Markdown, first line) of a record's text; None for a stub."""
    if isinstance(record, (model.Article, model.Page)):
        page = (urls.article if isinstance(record, model.Article) else urls.page)(record.slug)
        return page, record.path, record.body, record.body_line
    if record.path is None:
        return None
    if isinstance(record, model.Actor):
        return urls.actor(record.slug), record.path, record.body, record.body_line
    return urls.resolution(record.slug), record.path, record.text, record.text_line


def _line_of(text: str, needle: str) -> int:
    """0-based line of the first occurrence of `needle` in `text` (0 if absent)."""
    index = text.find(needle)
    return text.count("\n", 0, index) if index >= 0 else 0

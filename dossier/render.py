"""Jinja2 pages from the linked dossier -> Output list.

Templates come from the site's theme/ first, then the packaged default theme, file by file.
Autoescaping is on and undefined names fail loudly, so a template bug is never a silent blank.

Each page is planned with its own records (`pages.plan`); what else it shows is recorded
while it is made (depends.py). A Renderer kept alive across builds (the preview server)
re-renders only pages for which something they read changed, and reuses Markdown bodies
whose text did not: same reads, same bytes, so an incremental build equals a clean one.
"""
from __future__ import annotations

import functools
import hashlib
import os
from functools import partial
from collections import defaultdict
from itertools import chain
import re
import sys
import threading
import zlib
from pathlib import Path
from typing import Callable, Iterator, NamedTuple
from urllib.parse import unquote

import jinja2
from markupsafe import Markup as MarkupSafe

from dossier import __version__, depends, feeds, files, model, parallel, publish, urls
from dossier.config import SiteConfig
from dossier.load import markdown_of
from dossier.markup import Bodies, Markup, Texts, plain_summary
from dossier.outputs import MAKING, Output, fingerprinted, static_files
from dossier.pages import PageSpec, differences, reused, summary
from dossier.problems import Problem, Problems
from dossier.templating import (NotPrinted, StoredHTML, Strings, environment, json_ld,
                                theme_dirs)


# Pages that grow with the dossier (tens of megabytes at 10,000 articles) are written piece by
# piece; the others are rendered whole, which costs less than writing 200 pieces a page.
GROWING = {"print.html", "timeline.html", "actor.html", "resolution.html", "tag.html"}
BLOCK = 64                  # items per block of fragments or pieces, on average (blocks)
# A month of more entries than this, on a page sharing its entries with others (an actor's,
# a resolution's), is shown in blocks kept whole from build to build (_timeline.html): the
# next build then looks up a block, not each of a hub's 18,000 entries at 10,000 articles.
LONG_MONTH = 32


class _Served(NamedTuple):
    """One build as the preview serves it: its data, what templates see, and the pages
    made for it so far."""
    snapshot: depends.Snapshot
    site: dict
    made: dict[str, bytes]


class Renderer:
    """Renders a dossier with one theme and configuration; keeps caches between builds."""

    def __init__(self, config: SiteConfig):
        self.config = config
        self.dirs = theme_dirs(config)
        self.strings = Strings(self.dirs, config.language)
        self.env = environment(self.dirs, config, self.strings)
        self.markdown = Markup(config.language)
        # Markdown bodies by content digest (see body_key): their HTML, and the summary and
        # problems found converting them. Saved between runs by BuildCache.
        self.html = Texts()
        self.bodies: dict[str, tuple[str, list[Problem]]] = {}
        self.bodies_changed = True
        self._last_bodies: Bodies | None = None          # the preview's last, to patch
        # Text key -> the links its HTML resolved: (target as written, tag), in order.
        self.links: dict[str, tuple] = {}
        # text key -> [the names of the files its links name, their paths (once needed)]
        self._targets: dict[str, list] = {}
        # (self.links, a file's name -> the texts linking to a file of that name): made once
        # a file comes or goes, kept while self.links is the same dictionary
        self._named: tuple[dict, defaultdict] | None = None
        # page -> what it read ({address: digest}) and the bytes last made
        self._last: dict[str, tuple[dict, bytes]] = {}
        # The preview's (render with keep): the build whose pages are served, the one
        # rendered last (served once its build has succeeded: commit), what that render
        # planned ((specs, page paths, specs by path)) and its outputs ((specs, outputs)).
        self._served: _Served | None = None
        self._next: _Served | None = None
        self._specs: tuple = ((), (), {})
        self._outputs: tuple = ((), ())
        self._moved = False          # an output's path changed since the last commit
        self._producers: dict[str, jinja2.Template | publish.Maker] = {}
        self._before: dict[str, PageSpec] = {}      # see _as_before
        self.snapshot: depends.Snapshot | None = None    # the last render's data
        self.record_digests: dict = {}       # the graph's records' (depends.record_digests)
        self.file_digests: dict = {}         # path -> digest of the files read (the build's)
        # Fragments and pieces of the previous build (see depends.Pieces), given by the
        # build cache; None when nothing is kept (`check`, --no-cache).
        self.pieces: depends.Pieces | None = None
        self.rendered = 0                            # pages rendered and kept, in all
        # Content hashes in asset URLs let hosts cache them forever (a change changes the URL).
        self.statics, self.asset_versions = fingerprinted(static_files(self.dirs))
        self.env.globals["asset"] = self._asset_url
        style = next((o for o in self.statics if o.path == urls.static("style.css")), None)
        # Inlined in the 404 page, which hosts serve at any depth: its fonts from the root.
        self.env.globals["inline_css"] = (MarkupSafe(style.make().decode("utf-8")
                                                     .replace("url(fonts/", "url(/static/fonts/"))
                                          if style else "")

    @staticmethod
    @jinja2.pass_context
    def _asset_url(context, name: str) -> str:
        path = urls.static(name)
        version = context["asset_versions"].get(path)
        return context["url"](context, path) + (f"?v={version}" if version else "")

    def render(self, dossier: model.Dossier, bodies: Bodies, assets: list[Path],
               problems: Problems, pages: list[PageSpec], redirects: list[PageSpec], *,
               keep: bool = True) -> list[Output]:
        """Every file of the site: the pages and generated files (each made when its bytes
        are asked for, recording what it reads: see depends.py), the theme's static files and
        content/'s other files. `pages`: every page (pages.plan); `redirects`: those at old
        addresses (pages.redirects).

        With keep=True (the preview server) a page is made when first asked for, once the
        build is served (commit); if every address it read when last made still holds the
        same value, those bytes are served again, otherwise it is rendered (and `rendered`
        counts it). A new renderer (first build, theme or configuration changed) renders one
        page of each template at once, so a theme bug fails the build instead of a later
        visit. With keep=False (`build`, `check`) a page is rendered each time its bytes are
        asked for, by whichever process writes it, and nothing is kept."""
        for found in self.strings.problems:
            problems.error(*found)
        for path in files.links_out(self.dirs):
            problems.error(path, 1, "this is a link to a file outside the theme: it is not "
                           "read, so that it cannot be published",
                           "copy the file itself into the theme")
        if not self.strings.translated:
            problems.warning(self.config.root / "dossier.yaml", 1,
                             f"no interface strings for language '{self.config.language}': "
                             "English is used", "add theme/i18n/<language>.yaml")
        specs = self._as_before(publish.plan(self.config, dossier, problems), keep) + pages + \
            self._as_before(redirects, keep)
        page_paths, planned = self._planned(specs, pages, keep)
        snapshot = self.snapshot = depends.Snapshot(
            dossier, bodies, page_paths, planned, self.record_digests, self.file_digests)
        # What pages read is recorded for what keeps it: the page cache and piece store of a
        # cached build, the preview's pages. A build keeping neither (--no-cache, `check`)
        # hands pages the graph itself: a lookup through the recording one is a call in
        # Python (3 % of a clean build's time); the property tests compare the two.
        graph = depends.Graph(dossier) if keep or self.pieces is not None else dossier
        prose = depends.Prose(bodies)
        site = {"config": self.config, "dossier": graph, "bodies": prose,
                "pages": depends.PageList(page_paths),
                "summary": partial(summary, graph, prose),
                "t": self.strings, "asset_versions": self.asset_versions,
                "absolute": lambda path: feeds.absolute(self.config, path),
                "json_ld": json_ld}
        fragments: dict[str, tuple[bytes, tuple]] = {}     # this build's, in this process
        kept = self.pieces
        depends.use_pieces(kept)
        # Of the pieces being made, one inside the other: how many keep none of the pieces
        # made inside them on their own, and how many are made as text (see remembered).
        making = {"unkept": 0, "text": 0}

        def remembered(key: str, make: Callable[[], str], once: bool = False,
                       kind: type = str, parts: bool = False,
                       printed: Callable[[], list | None] | None = None) -> str:
            """make(), once per build for one key, and not at all when the previous build
            kept its text (self.pieces) and nothing it read has changed since. A piece made
            `once` per build (an article of the printable dossier) is not held for reuse in
            this build: 10,000 of them would be 100 MB held for nothing; nor kept on its own
            when made inside another piece (a block of them, see `blocks`), which keeps its
            bytes already, unless that piece keeps its `parts` (a section of the printable
            dossier made of blocks: one lookup when nothing in it changed, and only the
            blocks that changed made when something did). Such a piece, made for a page
            written in pieces, is made as the page is (`printed`, see _printed): the kept
            blocks it prints are joined as their bytes, not decoded and encoded again."""
            if once:
                key = depends.tracked_key(key)
            found, stored = fragments.get(key), kept is not None
            if found is None:
                before = kept.get(key, snapshot) if kept is not None else None
                if before is not None:     # a view of the store: copied only to be held
                    found = (before[1] if once else bytes(before[1]), before[0])
                else:
                    data = None
                    if printed is not None and not making["text"] and \
                            getattr(_printing, "now", False):
                        data = _making(making, parts, False, printed)
                    if data is None:
                        data = _making(making, parts, True, make)
                    chunks = data[0]
                    found = (_joined(chunks) if type(chunks) is list else chunks.encode(),
                             data[1])
                    stored = kept is not None and not (once and making["unkept"])
                    if stored:       # kept by the keys of the large pieces printed in it
                        compose = type(chunks) is list and any(
                            type(c) is tuple and len(c[1]) >= depends.REFERENCED
                            for c in chunks)
                        kept.fresh[key] = (found[1], depends.composed(chunks) if compose
                                           else found[0], compose)
                if not once:
                    fragments[key] = found
            depends.note(found[1], key if stored and once else None)
            if kind is bytes:
                return found[0]
            if kind is MarkupSafe and not making["text"] and getattr(_printing, "now", False):
                # printed as they are (see _pieces); by key in a piece kept of them
                return StoredHTML(found[0], key if stored else None)
            # bytes, or a view of the piece store, decoded straight into `kind` (Markup for
            # a fragment: wrapping a str would copy it)
            return kind(found[0], "utf-8")

        @jinja2.pass_context
        def fragment(context, name: str, once: bool = False, parts: bool = False,
                     **values) -> MarkupSafe:
            """A partial template made once for the same values at the same page depth, and
            reused: it sees the site and `values`, not the page (its links are the same
            from every page of one depth, see urls.relative). With `parts`, the `once`
            fragments it prints are kept on their own too (see remembered)."""
            page = context["page_path"]
            depth = -1 if page == urls.NOT_FOUND else page.count("/")
            stand_in = urls.NOT_FOUND if depth < 0 else "_/" * depth + "index.html"

            def make() -> str:
                return self.env.get_template(name).render(site, page_path=stand_in, **values)

            def printed() -> list | None:
                return _as_stored(self.env.get_template(name).generate(
                    site, page_path=stand_in, **values))
            if once and kept is None:           # nothing to reuse, nothing to keep
                return MarkupSafe(make())
            key = _piece_key(f"{name}\0{depth}", values, snapshot)
            return remembered(key, make, once, MarkupSafe, parts, printed if parts else None)

        def piece(name: str, values: dict, make: Callable[[], str], kind: type = bytes):
            """A piece of a generated file (a block of the search index's documents) or of a
            picture (a column of a timeline's marks), made like a fragment, at most once per
            build, and again only when something it read has changed. As `kind`: bytes, as
            stored, for a file written in bytes (decoding the 23 MB of the search index's
            kept pieces only to encode them again cost a body edit 0.05 s at 10,000
            articles); MarkupSafe for a picture, printed as a fragment is."""
            if kept is None:                    # nothing to reuse, nothing to keep
                return make().encode() if kind is bytes else kind(make())
            return remembered(_piece_key(name, values, snapshot), make, once=True, kind=kind)

        site["fragment"], site["piece"], site["blocks"] = fragment, piece, blocks
        site["long_month"] = LONG_MONTH
        if keep:
            self._next = _Served(snapshot, site, {})
            outputs = self._served_outputs(specs)
        else:
            outputs = [Output(spec.path, self._origin(spec), recorded=True,
                              make=partial(_made, self._producer(spec.template), site, spec),
                              chunks=partial(_pieces, self._producer(spec.template), site, spec)
                              if spec.template in GROWING or
                              not spec.template.endswith(".html") else None)
                       for spec in specs]
        content = self.config.content_dir
        return outputs + self.statics + [Output.copied(p.relative_to(content).as_posix(), p)
                                         for p in assets]

    def _producer(self, template: str) -> jinja2.Template | publish.Maker:
        """What makes a page: its template (a syntax error fails the build where a page
        first needs it), or the maker of a generated file."""
        producer = self._producers.get(template)
        if producer is None:
            producer = self._producers[template] = (
                self.env.get_template(template) if template.endswith(".html")
                else publish.MAKERS[template])
        return producer

    @staticmethod
    def _origin(spec: PageSpec) -> str:
        return (f"template {spec.template}" if spec.template.endswith(".html")
                else f"generated {spec.path}")

    def _as_before(self, specs: list[PageSpec], keep: bool) -> list[PageSpec]:
        """For the preview, the generated files' and old addresses' specs (planned anew on
        every save: texts, no records) as the very objects they were when they are equal to
        them, so that the pages' specs around them can be told apart (pages.differences)."""
        if not keep:
            return specs
        before = self._before
        specs = [spec if (same := before.get(spec.path)) != spec else same for spec in specs]
        before.update((spec.path, spec) for spec in specs)
        return specs

    def _planned(self, specs: list[PageSpec], pages: list[PageSpec], keep: bool
                 ) -> tuple[list[str], dict[str, PageSpec]]:
        """(the pages' paths, every output's spec by path). For the preview (keep), the last
        render's with the specs that are not the very ones it had replaced: a save that
        plans 3 pages anew (pages.plan) changes 3 entries, not 20,000."""
        last_specs, last_paths, last_planned = self._specs
        if not keep or not last_specs:
            paths, planned = [spec.path for spec in pages], {spec.path: spec for spec in specs}
            if keep:
                self._specs, self._moved = (specs, paths, planned), True
            return paths, planned
        planned, moved = last_planned, False
        changes = differences(specs, last_specs)
        if changes:
            planned = dict(last_planned)
            for places, was in changes:
                for j in was:
                    planned.pop(last_specs[j].path, None)
            for places, was in changes:
                for i in places:
                    planned[specs[i].path] = specs[i]
                moved = moved or len(places) != len(was) or any(
                    specs[i].path != last_specs[j].path for i, j in zip(places, was))
        paths = [spec.path for spec in pages] if moved else last_paths
        self._specs, self._moved = (specs, paths, planned), self._moved or moved
        return paths, planned

    def _served_outputs(self, specs: list[PageSpec]) -> list[Output]:
        """The preview's pages: each made when first asked for, from the build last served
        (commit). An Output is kept from the last render for the very spec it had (the
        specs of the records a save did not change are kept, see pages.plan), so a save
        makes as many as it planned anew, not one per page (60 ms at 10,000 articles). A
        new renderer (first build, theme or configuration changed) renders one page of each
        template at once, so that a theme bug fails the build instead of a later visit."""
        before, kept = self._outputs

        def output(i: int) -> Output:
            spec = specs[i]
            self._producer(spec.template)
            return Output(spec.path, self._origin(spec), make=partial(self._serve, spec),
                          recorded=True)
        outputs = reused(specs, before, kept, output, reach=0)
        if self._served is None:
            tried = set()
            for spec in specs:
                if spec.template not in tried:
                    tried.add(spec.template)
                    self._reuse_or_render(self._next, spec)
        self._outputs = (specs, outputs)
        return outputs

    def commit(self) -> None:
        """Serve the last render's pages (`render(keep=True)`): called once its build has
        succeeded; until then the preview serves the build before, from that build's data."""
        self._served = self._next
        if self._moved:            # pages gone: what they last read goes too
            self._last = {path: last for path, last in self._last.items()
                          if path in self._served.snapshot.planned}
            self._moved = False

    def _serve(self, spec: PageSpec) -> bytes:
        return self._reuse_or_render(self._served, spec)

    def _reuse_or_render(self, served: _Served, spec: PageSpec) -> bytes:
        """The bytes of the page in the build `served`: those last made for it if all it
        read then is unchanged, else new ones."""
        with MAKING:   # a page asked for twice at once is made once
            data = served.made.get(spec.path)
            if data is None:
                last = self._last.get(spec.path)
                if last is not None and served.snapshot.unchanged(last[0]):
                    data = last[1]
                else:
                    with depends.recording() as reads:
                        data = _made(self._producer(spec.template), served.site, spec)
                    self._last[spec.path] = (served.snapshot.record(reads), data)
                    self.rendered += spec.path.endswith(".html")
                served.made[spec.path] = data
            return data

    def convert(self, articles: list[model.Article], actors: list[model.Actor],
                resolutions: list[model.Resolution], assets: list[Path], problems: Problems,
                *, keep: bool = True, jobs: int = 1,
                progress: Callable[[int, int], None] | None = None,
                pages: list[model.Page] = (),
                files: tuple[list[Path], set[Path]] = ((), set())) -> Callable[[], Bodies]:
        """Start converting every Markdown body to HTML, over `jobs` processes, and return
        the function that finishes and gives the bodies: the caller links the graph
        meanwhile (the workers need only the records). Bodies converted before from the
        same text for the same layout of files are reused. With keep=False (one build, not
        the preview server) nothing is remembered for a next build, and the bodies do not
        keep their Markdown. `files`: every content file of a record, and the drafts among
        them (see Bodies.unpublished)."""
        last = self._last_bodies if keep else None
        bodies = Bodies(self.config.content_dir.resolve(), articles, actors, resolutions,
                        assets, last, pages, files)
        if bodies.changed is not None:        # a save that changed records, no asset
            keys, texts = dict(last.keys), dict(last.texts)
            for page in bodies.gone:
                del keys[page], texts[page]
            for page in bodies.changed:
                texts[page] = text_key(page, *bodies.sources[page])
                keys[page] = self._body_key(bodies, page, texts[page])
            redone = [*bodies.changed, *self._linking(bodies, texts, bodies.changed)]
            for page in redone[len(bodies.changed):]:
                keys[page] = self._body_key(bodies, page, texts[page])
            missing = [page for page in redone if keys[page] not in self.bodies]
        else:
            keys, texts = self._keys(bodies, last)
            missing = [page for page, key in keys.items() if key not in self.bodies]

        def convert(page: str) -> tuple[str, str, list[Problem], tuple]:
            found = Problems(problems.root)
            html, links = bodies.convert(self.markdown, page, *bodies.sources[page], found)
            return html, plain_summary(html), found.items, links

        converted: dict[str, tuple[str, list[Problem]]] = {}
        results = parallel.run(convert, missing, jobs, progress)

        def take(page: str, result: tuple[str, str, list[Problem], tuple]) -> None:
            html, summary, found, links = result
            self.links[texts[page]] = links
            if self._named is not None and self._named[0] is self.links:
                for name in _names(links):
                    self._named[1][name].add(texts[page])
            key = keys[page] = self._body_key(bodies, page, texts[page])
            self.html[key] = html
            converted[key] = (summary, found)

        pending, failed = iter(missing), None
        try:
            if missing:                 # the first result starts the workers
                take(next(pending), next(results))
        except Exception as exc:        # raised where the caller handles failures
            failed = exc

        def finish() -> Bodies:
            if failed is not None:
                raise failed
            for page, result in zip(pending, results):
                take(page, result)
            results.close()             # the workers' pool, once every result is in
            if bodies.changed is not None:
                kept = {**self.bodies, **converted}
                bodies.summaries = dict(last.summaries)
                for page in bodies.gone:
                    del bodies.summaries[page]
                for page in chain(redone, bodies.gone):   # texts these pages no longer have
                    if last.keys.get(page) not in (None, keys.get(page)):
                        kept.pop(last.keys[page], None)
                    if last.texts.get(page) not in (None, texts.get(page)):
                        self.links.pop(last.texts[page], None)
                        self._targets.pop(last.texts[page], None)
                for page in redone:
                    bodies.summaries[page] = kept[keys[page]][0]
            else:
                kept = {}
                for page, key in keys.items():
                    summary, _ = kept[key] = converted.get(key) or self.bodies[key]
                    bodies.summaries[page] = summary
            for key in keys.values():
                problems.items.extend(kept[key][1])
            bodies.keys, bodies.texts, bodies.html = keys, texts, self.html
            if keep:
                self._last_bodies = bodies
            else:    # the records' Markdown and line maps are freed once converted
                bodies.sources, bodies.records = {}, ()
            self.bodies_changed = bool(missing) or kept.keys() != self.bodies.keys()
            self.bodies = kept
            # The preview serves the last good build until this one is served (commit):
            # the HTML of its texts is kept until then.
            served = self._served.snapshot.bodies.keys.values() \
                if keep and self._served is not None else ()
            self.html.keep(kept.keys() | {key for key in served if key is not None})
            if bodies.changed is None:
                self.links = {texts[page]: self.links[texts[page]] for page in keys}
                self._targets = {t: self._targets[t] for t in self.links if t in self._targets}
            return bodies

        return finish

    def _keys(self, bodies: Bodies, last: Bodies | None) -> tuple[dict, dict]:
        """(body key, text key) of every page; the same as `last`'s for a text that is the
        same object while no file moved (digesting every text on every preview save would
        cost more than the rest of it). A body key is None until its text was converted
        once: what it links to is known from converting it."""
        # Where files are published changes what a body links to, not its text: a body's
        # key is made again when a file it links to was added, removed or moved.
        moved = {entry.partition("\t")[0] for entry in set(_layout(bodies)) ^
                 set(_layout(last))} if last is not None else set()
        # A link can point at a file moved only if it ends with its name (or with '.' or '..')
        names = {os.path.basename(path) for path in moved} | {"", ".", ".."}
        keys, texts, before = {}, {}, last.sources if last is not None else {}
        for page, source in bodies.sources.items():
            known = before.get(page)
            if known is not None and known[1] is source[1] and known[0] is source[0] and \
                    known[2] == source[2]:
                texts[page] = last.texts[page]
                keys[page] = last.keys[page] if not moved or not self._links_to(
                    source[0], texts[page], moved, names) else \
                    self._body_key(bodies, page, texts[page])
            else:
                texts[page] = text_key(page, *source)
                keys[page] = self._body_key(bodies, page, texts[page])
        return keys, texts

    def _linking(self, bodies: Bodies, texts: dict[str, str], changed: list[str]) -> list[str]:
        """The pages but `changed` whose text links to a file of `bodies.moved`: found by
        the names of the files moved (an article added at 10,000 articles: a few pages,
        where asking each page took 30 ms)."""
        if not bodies.moved:
            return []
        if self._named is None or self._named[0] is not self.links:
            named = defaultdict(set)
            for text, links in self.links.items():
                for name in _names(links):
                    named[name].add(text)
            self._named = (self.links, named)
        moved = {str(path) for path in bodies.moved}
        names = {os.path.basename(path) for path in moved} | {"", ".", ".."}
        linking = set().union(*(self._named[1].get(name, ()) for name in names))
        skip, links = set(changed), self.links
        # (a text whose links are not known may link to any: asked, as _keys asks)
        return [page for page, text in texts.items() if (text in linking or text not in links)
                and page not in skip and self._links_to(bodies.sources[page][0], text, moved,
                                                         names)]

    def _links_to(self, path: Path, text: str, files: set[str], names: set[str]) -> bool:
        """True if the text (by text key) of the file at `path` links to one of `files`
        (whose names, and '', '.' and '..', are `names`), or may: its links are not known."""
        found = self._targets.get(text)
        if found is None:                    # worked out once per text: a preview checks
            links = self.links.get(text)     # every body when a file comes or goes
            if links is None:
                return True
            found = self._targets[text] = [_names(links), _local(links)]
        # Most texts link to none of `files` by name: the paths of their links are not
        # worked out (an article added at 10,000 articles: 0.1 s less).
        if found[0].isdisjoint(names):
            return False
        if type(found[1]) is list:
            folder = str(path.parent)
            found[1] = frozenset(os.path.normpath(os.path.join(folder, target))
                                 for target in found[1])
        return not found[1].isdisjoint(files)

    def _body_key(self, bodies: Bodies, page: str, text: str) -> str | None:
        """A digest of everything a body's HTML depends on: its text (`text`, see text_key)
        and where each file it links to is published now; None if never converted."""
        links = self.links.get(text)
        if links is None:
            return None
        path = bodies.sources[page][0]
        found = "\0".join(f"{target}\0{bodies.locate(page, path, target, tag)}"
                          for target, tag in links)
        # The language too: its typography is part of the HTML (typography.py).
        return hashlib.sha256(f"{self.config.language}\0{text}\0{found}".encode()).hexdigest()

    @functools.cached_property
    def salt(self) -> str:
        """Everything besides what they read that pages depend on: the code, the
        configuration and the theme (a renderer is made anew when either changes)."""
        return hashlib.sha256(f"{code_version()}\0{self.config!r}\0"
                              f"{files.theme_digest(self.dirs)}".encode()).hexdigest()


def _local(links: tuple) -> list[str]:
    """The targets of a body's links (see Renderer.links) that may be content files."""
    return [unquote(target) for target, _ in links
            if not target.startswith(("http://", "https://", "/"))]


def _names(links: tuple) -> frozenset[str]:
    """The names of the files a body's links may point at ('' for a folder)."""
    return frozenset(map(os.path.basename, _local(links)))


def _layout(bodies: Bodies) -> list[str]:
    """Where each file is published, as `bodies` say: its page, or why none, or an asset."""
    return [f"{path}\t{page}" for path, page in chain(bodies.pages.items(),
                                                     bodies.unpublished.items())] + \
        sorted(map(str, bodies.assets))


def blocks(items: list, size: int = BLOCK) -> Iterator[list]:
    """`items` in consecutive blocks of about `size`, for a page showing thousands of
    fragments (the printable dossier) to show a fragment of fragments per block, and a
    generated file to be made of pieces of many records: one lookup per block in the piece
    store when nothing in it changed, not one per item. A block ends after an item whose
    name (`_name_of`) hashes to a multiple of `size`, so an item added or removed moves the
    ends of its own block only (blocks of a fixed count would all shift after it, and all
    be made again). By name, not by value: digesting every record for this would cost each
    process of a clean build its reprs and memory. In a build that keeps pieces, whether
    an item ends a block is kept for the item (_ENDS): the same records and entries are cut
    into blocks by the printable dossier, the timeline, the hubs' pages and the data files
    (260,000 items for an article added at 10,000 articles, 0.54 s); not in a clean one,
    for its memory (a few megabytes per process, near its 500 MB budget)."""
    kept = size == BLOCK and depends.pieces_in_use()
    if kept and len(_ENDS[0]) + len(_ENDS[1]) > _ENDS_KEPT:   # the preview's earlier graphs
        _ENDS[0].clear(), _ENDS[1].clear()
    ends, within = _ENDS
    block = []
    for item in items:
        block.append(item)
        named = item[0] if type(item) is tuple else item     # (see _name_of)
        key = id(named)
        if kept and ends.get(key) is named:
            end = True
        elif kept and within.get(key) is named:
            end = False
        else:
            end = zlib.crc32(_name_of(named).encode()) % size == 0
            if kept:
                (ends if end else within)[key] = named
        if end:
            yield block
            block = []
    if block:
        yield block


# The items known to end a block, and those known not to, by id, per process: each is held,
# so that its id is not another's while it is kept.
_ENDS: tuple[dict[int, object], dict[int, object]] = ({}, {})
_ENDS_KEPT = 200_000


def _name_of(item) -> str:
    """What names an item of a block: its slug (a record, or a (slug, record) pair), else
    its date, kind and title (a timeline entry)."""
    if type(item) is tuple:
        item = item[0]
    if type(item) is str:
        return item
    slug = getattr(item, "slug", None)
    if slug is not None:
        return slug
    return f"{getattr(item, 'date', '')}\0{getattr(item, 'kind', '')}\0{getattr(item, 'title', '')}"


def _piece_key(name: str, values: dict, snapshot: depends.Snapshot) -> str:
    """The key of a fragment or piece: its name and the digest of each value it is given."""
    return name + "".join(f"\0{k}={snapshot.of(v)}" for k, v in sorted(values.items()))


# `now` is True while a page written in pieces is made in this thread with the fragments of
# the piece store at hand (_pieces): a fragment it prints comes as its stored bytes
# (StoredHTML). Per thread: a page rendered meanwhile by another must get text.
_printing = threading.local()


def _pieces(producer, site: dict, spec: PageSpec) -> Iterator[bytes]:
    """The file in pieces, from a template or a maker (publish.MAKERS), recording what it
    reads (for the page being written, when there is one: see write._put)."""
    with depends.recording() as reads:
        reads.add(depends.page_address(spec.path))
        if not isinstance(producer, jinja2.Template):
            yield from producer(site, **spec.extra)
            return
        printed = _printed(producer, site, spec) if depends.pieces_in_use() else None
        if printed is not None:
            for chunk in printed:
                yield chunk[1] if type(chunk) is tuple else chunk
            return
        for text in producer.generate(site, page_path=spec.path, **spec.extra):
            yield text.encode()


def _printed(producer: jinja2.Template, site: dict, spec: PageSpec) -> list | None:
    """The page's pieces, each fragment it prints as the bytes stored or made for it
    (StoredHTML), or None if the template used one otherwise than printing it (then it is
    made again with its fragments as text). Held until the page is made, so that nothing is
    written of a page made again: text between the fragments (the contents, headings) and
    views of the piece store, a few megabytes for a 96 MB printable dossier."""
    _printing.now = True
    try:
        return _as_stored(producer.generate(site, page_path=spec.path, **spec.extra))
    finally:
        _printing.now = False


def _as_stored(texts: Iterator) -> list | None:
    """What a template generates, as bytes, each fragment printed as its stored bytes ((key,
    bytes) if the piece store keeps it: see depends.composed); None if the template used one
    otherwise than printing it."""
    try:
        return [(text.key, text.data) if type(text) is StoredHTML and text.key is not None
                else text.data if type(text) is StoredHTML else text.encode()
                for text in texts]
    except (NotPrinted, TypeError):      # TypeError: joined by C code (a macro's output)
        return None


def _joined(chunks: list) -> bytes:
    return b"".join([chunk[1] if type(chunk) is tuple else chunk for chunk in chunks])


def _making(making: dict, parts: bool, as_text: bool, make: Callable) -> tuple | None:
    """(what make() gives, the addresses it read), or None if it gives None; counted in
    `making` meanwhile (see Renderer.render's remembered)."""
    unkept, text = (0 if parts else 1), (1 if as_text else 0)
    making["unkept"] += unkept
    making["text"] += text
    try:
        with depends.recording() as reads:
            made = make()
    finally:
        making["unkept"] -= unkept
        making["text"] -= text
    return None if made is None else (made, tuple(reads))


def _made(producer, site: dict, spec: PageSpec) -> bytes:
    if isinstance(producer, jinja2.Template):
        with depends.recording() as reads:
            reads.add(depends.page_address(spec.path))
            return producer.render(site, page_path=spec.path, **spec.extra).encode()
    return b"".join(_pieces(producer, site, spec))


def text_key(page: str, path: Path, text: str, line: int) -> str:
    """A stable digest (the same in every process) of a body's text and where it is."""
    return hashlib.sha256(f"{page}\0{path}\0{line}\0{markdown_of(text)}".encode()).hexdigest()


@functools.cache
def code_version() -> str:
    """What produced a cached value, besides its input: this package's own source files (a
    git install or a developer's edit changes them without changing __version__), the
    Python version and the name and version of every distribution installed where this
    interpreter imports from (as their metadata folders are named: name-version.dist-info),
    the dependencies' among them. Any change, and every cache made before it is ignored; a
    package installed that dossier does not use costs one clean build. Listing those
    folders takes a millisecond; asking each dependency's metadata its version and
    requirements took 40 ms of every build, one with nothing to do included."""
    digest = hashlib.sha256(f"{__version__}\0{sys.version}".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")):
        digest.update(f"\0{path.name}\0".encode() + path.read_bytes())
    for name in _distributions():
        digest.update(f"\0{name}".encode())
    return digest.hexdigest()


def _distributions() -> list[str]:
    """The metadata folders (or files) of every distribution on sys.path, in its order, but
    dossier's own (its version and its source are digested above; a checkout's
    dossier.egg-info is on the path of `python build.py` and not of the `dossier` command,
    which would then not share a cache); and each zipped one (an .egg, a .zip) on sys.path,
    by name, size and time."""
    found = []
    for folder in sys.path:
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:                 # a zip, or gone
            try:
                info = os.stat(folder)
                found.append(f"{os.path.basename(folder)}:{info.st_size}:{info.st_mtime_ns}")
            except OSError:
                pass
            continue
        found += (name for name in names if name.endswith((".dist-info", ".egg-info"))
                  and re.split(r"[-.]", name, maxsplit=1)[0].lower() != "dossier")
    return found

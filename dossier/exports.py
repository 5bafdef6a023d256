"""Data exports for reuse (JSON, CSV, TimelineJS) and the offline search index.

All output is sorted and free of build timestamps, so it is byte-identical for the same content.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
from typing import Callable, Iterable, Iterator

from dossier import model, urls
from dossier.names import fold_once


def _date(when) -> str | None:
    return when.isoformat() if when else None


def _source(source: model.Source | None) -> dict | None:
    if source is None:
        return None
    return {"name": source.name, "url": source.url or None, "author": source.author or None,
            "language": source.language or None, "archived": source.archived or None,
            "retrieved": _date(source.retrieved)}


def _revisions(record) -> dict:
    return {"updated": _date(record.updated),
            "corrections": [{"date": _date(c.date), "text": c.text} for c in record.corrections]}


TABLES = ("articles", "actors", "resolutions", "events", "claims")


def table_rows(dossier: model.Dossier, summary_of, table: str
               ) -> tuple[list, Callable[[object], dict]]:
    """The dossier as plain tables (TABLES): (the records of `table`, the function making
    the row of one). A row looks up what it shows in `dossier` itself (an actor's name, a
    resolution's symbol), so that rows made as a piece record what they read (see
    as_json_blocks)."""
    def name(slug: str) -> str:
        return dossier.actors[slug].name

    def symbol(slug: str) -> str:
        return dossier.resolutions[slug].symbol

    if table == "articles":
        return list(dossier.articles), lambda a: {
            "slug": a.slug, "title": a.title, "date": _date(a.date), "language": a.language,
            "summary": summary_of(a.slug), "source": _source(a.source),
            "actors": [name(s) for s in dossier.article_actors[a.slug]],
            "resolutions": [symbol(s) for s in dossier.article_resolutions[a.slug]],
            "tags": list(a.tags), "url": urls.article(a.slug), **_revisions(a),
        }
    if table == "actors":
        return list(dossier.actors.items()), lambda item: {
            "slug": item[0], "name": item[1].name, "aliases": list(item[1].aliases),
            "kind": item[1].kind or None, "country": item[1].country or None,
            "summary": item[1].summary or None,
            "articles": len(dossier.actor_articles.get(item[0], ())),
            "url": urls.actor(item[0]), **_revisions(item[1]),
        }
    if table == "resolutions":
        return list(dossier.resolutions.items()), lambda item: {
            "slug": item[0], "symbol": item[1].symbol, "body": item[1].body or None,
            "adopted": _date(item[1].adopted), "title": item[1].title or None,
            "url": item[1].url or None, "summary": item[1].summary or None,
            "provisions": [{"text": p.text, "deadline": _date(p.deadline)}
                           for p in item[1].provisions],
            "articles": len(dossier.resolution_articles.get(item[0], ())),
            "page": urls.resolution(item[0]), **_revisions(item[1]),
        }
    if table == "events":
        return [e for e in dossier.timeline if e.kind == "event"], lambda e: {
            "date": e.date.isoformat(), "title": e.title, "text": e.text or None,
            "actors": [name(s) for s in e.actors],
            "resolutions": [symbol(s) for s in e.resolutions],
            "articles": [e.article, *e.also], "reported": _date(e.reported),
            "sources": list(e.support), "source_kinds": [k or None for k in e.support_kinds],
            "provisions": [f"{symbol(s)}#{p}" for s, p in e.provisions],
        }
    assert table == "claims", table
    return list(dossier.claims), lambda c: {
        "id": c.slug, "by": name(c.by), "about": [name(s) for s in c.about],
        "status": c.status, "text": c.claim.text, "date": _date(c.claim.date),
        "history": [{"status": a.status, "date": _date(a.date), "source": a.source,
                     "article": a.article} for a in c.history],
        "articles": list(c.articles), "sources": list(c.support),
        "source_kinds": [k or None for k in c.support_kinds], "own_voice": c.own_voice,
        "provisions": [f"{symbol(s)}#{p}" for s, p in c.provisions], "url": urls.claim(c.slug),
    }


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def as_json_blocks(name: str, items: list, row: Callable[[object], dict], piece, blocks,
                   also: Callable[[list], dict] = lambda part: {}) -> Iterator[bytes]:
    """A list of records, one per line (easy to read and to diff, written by the C encoder:
    an indented dump goes through json's pure-Python encoder, ~10x slower), the rows made
    in blocks (`blocks`), each block one `piece` (see render.Renderer.render): a cached build
    makes again only the blocks of rows whose records, or what their rows show, changed.
    `also(block)`: what else its rows show, for the piece's key."""
    separator = b"[\n"
    for part in blocks(items):
        yield separator
        yield piece(name, {"items": part, **also(part)},
                    lambda: ",\n".join(_dump(row(i)) for i in part))
        separator = b",\n"
    if separator == b"[\n":            # no rows
        yield b"[\n"
    yield b"\n]\n"


def as_csv_blocks(name: str, items: list, row: Callable[[object], dict], piece, blocks
                  ) -> Iterator[bytes]:
    """One row per record; lists joined with '; ' (a mapping in a list: its values joined
    with spaces), nested mappings flattened as key.sub; UTF-8 with a byte order mark, and no
    cell a spreadsheet would run as a formula. Made in blocks of rows as as_json_blocks:
    first each block's columns (the header names every column of every row), then each
    block's lines for those columns, each one `piece`."""
    parts = list(blocks(items))
    columns = sorted(set().union(*(json.loads(bytes(piece(
        f"{name}:columns", {"items": part},
        lambda: json.dumps(sorted({key for i in part for key in _flatten(row(i))})))))
        for part in parts)))
    out = io.StringIO()
    out.write("\ufeff")                # a byte order mark: how Excel knows the file is UTF-8
    csv.DictWriter(out, columns, lineterminator="\n").writeheader()
    yield out.getvalue().encode()
    for part in parts:
        yield piece(name, {"items": part, "columns": columns},
                    lambda: _csv_lines(columns, map(row, part)))


def _csv_lines(columns: list[str], rows: Iterable[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    for row in rows:
        writer.writerow({key: _inert(value) for key, value in _flatten(row).items()})
    return out.getvalue()


def _flatten(row: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in row.items():
        name = prefix + key
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        elif isinstance(value, list):
            flat[name] = "; ".join(_cell(v) for v in value)
        else:
            flat[name] = "" if value is None else value
    return flat


def _inert(value):
    """A cell a spreadsheet shows as text: one starting with =, +, -, @, a tab or a carriage
    return would be run as a formula (CSV injection), so it starts with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _cell(value) -> str:
    if not isinstance(value, dict):
        return str(value)
    if "date" in value and "text" in value:  # a correction
        return f"{value['date']} {value['text']}"
    if "text" in value:                     # a provision: its text says it all
        return value["text"]
    return " ".join(str(v) for v in value.values() if v is not None)


def timelinejs(config, dossier: model.Dossier, summary_of, piece, blocks) -> Iterator[bytes]:
    """Knight Lab TimelineJS 3 JSON: one slide per article, event and deadline, one per line,
    made in blocks (`blocks`), each one `piece` (see render.Renderer.render), as the tables
    are. Each slide's `unique_id` (a reader's link to it) is stable (slide_ids)."""
    def start(when):
        parts = {"year": when.year, "month": when.month, "day": when.day}
        return {k: v for k, v in parts.items() if v is not None}

    def slide(entry: model.TimelineEntry, unique_id: str) -> dict:
        if entry.kind == "deadline":
            text = dossier.resolutions[entry.resolutions[0]].symbol
        elif entry.kind == "article":
            text = summary_of(entry.article)
        else:
            text = entry.text or dossier.by_slug[entry.article].title
        return {"start_date": start(entry.date),
                "text": {"headline": html.escape(entry.title), "text": html.escape(text)},
                "group": entry.kind, "unique_id": unique_id}

    title = {"text": {"headline": html.escape(config.title),
                      "text": html.escape(config.description)}}
    timeline = list(dossier.timeline)
    ids = dict(zip(map(id, timeline), slide_ids(timeline)))
    yield f'{{"title": {_dump(title)},\n"events": '.encode()
    yield from as_json_blocks("timelinejs", timeline, lambda e: slide(e, ids[id(e)]), piece,
                              blocks, lambda part: {"ids": [ids[id(e)] for e in part]})
    yield b"}\n"


def slide_ids(timeline: list[model.TimelineEntry]) -> list[str]:
    """A TimelineJS id per entry, the same from build to build: its kind, its article (a
    deadline: its resolution) and its date, numbered only among entries sharing all three.
    An entry added or removed renumbers no other (numbering by position did: a reader's
    link to a slide then showed another)."""
    seen: dict[str, int] = {}
    ids = []
    for entry in timeline:
        if entry.kind == "article":
            base = f"article-{entry.article}"
        else:
            owner = entry.article or (entry.resolutions[0] if entry.resolutions else "")
            base = f"{entry.kind}-{owner}-{_date(entry.date)}"
        count = seen[base] = seen.get(base, 0) + 1
        ids.append(base if count == 1 else f"{base}-{count}")
    return ids


_TAGS = re.compile(r"<[^>]+>")
# Characters of a text's opening kept for the results' snippets: a snippet for any word of the
# opening, at ~6 MB more for 10,000 articles (the whole text would triple the index).
EXCERPT = 600
_WORD = re.compile(r"\w+")


def search_index(dossier: model.Dossier, body_of, summary_of, body_of_page, t, piece, blocks
                 ) -> Iterator[bytes]:
    """A classic script (not JSON: fetch() is blocked on file://) defining the search data,
    in pieces: at 10,000 articles the whole index would be ~100 MB as Python objects. The
    documents are made in blocks (`blocks`), each one `piece` (see render.Renderer.render):
    made again only when what one of its documents reads changes.

    Text to match is folded (no case, no accents) at build time; article bodies keep each
    distinct word once, which finds any word of the text at a fraction of the size, and the
    text's opening (`x`, EXCERPT characters) for the snippets shown with the results."""
    def excerpt(text: str) -> str:
        # The text with its spaces collapsed, cut at a space before EXCERPT characters.
        # Collapsing an opening of the text gives an opening of the collapsed text: when it
        # is longer than EXCERPT with a space to cut at, the rest need not be collapsed.
        head = " ".join(text[:4 * EXCERPT].split())
        cut = head.rfind(" ", 0, EXCERPT)
        if len(head) <= EXCERPT or cut < 0:
            head = " ".join(text.split())
            if len(head) <= EXCERPT:
                return head
            cut = head.rfind(" ", 0, EXCERPT)
        return head[:cut] + " …"

    vocabulary: dict[str, tuple[str, ...]] = {}     # token -> its words, for this index only

    def token_words(token: str) -> tuple[str, ...]:
        found = vocabulary.get(token)
        if found is None:
            found = vocabulary[token] = tuple(_WORD.findall(fold_once(token)))
        return found

    def words(text: str) -> str:
        # Folding each distinct token, not the whole text: the same result, ~10x less work.
        return " ".join(sorted(set().union(*map(token_words, set(text.split())))))

    def article(a: model.Article) -> dict:
        names = [dossier.actors[s] for s in dossier.article_actors[a.slug]]
        text = html.unescape(_TAGS.sub(" ", body_of(a)))
        return {"k": "article", "u": urls.article(a.slug), "t": a.title,
                "d": a.date.isoformat()[:10], "s": summary_of(a.slug),
                "m": fold_once(" ".join([a.title, summary_of(a.slug), *a.tags,
                                         *(n for x in names for n in (x.name, *x.aliases))])),
                "b": words(text), "x": excerpt(text)}

    def actor(item: tuple[str, model.Actor]) -> dict:
        slug, actor = item
        return {"k": "actor", "u": urls.actor(slug), "t": actor.name, "s": actor.summary,
                "m": fold_once(" ".join([actor.name, *actor.aliases, actor.summary]))}

    def page(item: tuple[str, model.Page]) -> dict:
        slug, page = item
        text = html.unescape(_TAGS.sub(" ", body_of_page(urls.page(slug))))
        return {"k": "page", "u": urls.page(slug), "t": page.title, "s": page.summary,
                "m": fold_once(" ".join([page.title, page.summary])), "b": words(text),
                "x": excerpt(text)}

    def claim(c) -> dict:
        return {"k": "claim", "u": urls.claim(c.slug), "t": c.claim.text,
                "s": f"{dossier.actors[c.by].name} · {t('status_' + c.status)}",
                "m": fold_once(" ".join([c.claim.text, *(dossier.actors[s].name
                                                         for s in (c.by, *c.about))]))}

    def resolution(item: tuple[str, model.Resolution]) -> dict:
        slug, r = item
        return {"k": "resolution", "u": urls.resolution(slug), "t": r.symbol,
                "s": r.title or r.summary,
                "m": fold_once(" ".join([r.symbol, r.key, r.title, r.summary]))}

    def as_text(doc: dict) -> str:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"),
                          sort_keys=True).replace("</", "<\\/")

    def docs() -> Iterator[bytes | memoryview]:
        for kind, items, doc in (("articles", list(dossier.articles), article),
                                 ("actors", list(dossier.actors.items()), actor),
                                 ("pages", list(dossier.pages.items()), page),
                                 ("claims", list(dossier.claims), claim),
                                 ("resolutions", list(dossier.resolutions.items()), resolution)):
            for part in blocks(items):
                yield piece(f"search:{kind}", {"items": part},
                            lambda: ",".join(as_text(doc(item)) for item in part))

    separator = b"window.dossierSearch=["
    for data in docs():
        yield separator
        yield data
        separator = b","
    yield (b"" if separator == b"," else separator) + b"];\n"

"""The dossier as FollowTheMoney entities (data/ftm.json, one entity per line), the model
Aleph and other investigation tools load as is.

    actors        Person, Organization, PublicBody (states), Company, Vessel, LegalEntity;
                  places, territories and regions as Address (with their coordinates)
    articles      Article: title, date, source address, publisher, author, language
    resolutions   Document
    events        Event: date, place (addressEntity), the actors involved, the articles as proof
    claims        Note on the claimant, the reporting articles as proof, its status
    mentions      Documentation: an article and each actor or resolution it names

Ids are the dossier's own addresses with a kind in front ("actor-coree-du-nord"): stable from
build to build, so a collection updated in Aleph keeps its entities. Values are written the
way FtM cleans them (lower-case country codes, ISO dates). followthemoney itself is needed
only by the tests that validate this file, not to write it.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Callable, Iterator

from dossier import model
from dossier.names import short_slug

SCHEMA_OF_KIND = {"person": "Person", "state": "PublicBody", "organization": "Organization",
                  "armed-group": "Organization", "media": "Organization",
                  "company": "Company", "vessel": "Vessel", "place": "Address",
                  "territory": "Address", "region": "Address"}
LEGAL_ENTITIES = ("Person", "PublicBody", "Organization", "Company", "LegalEntity")


def actor_id(slug: str) -> str:
    return f"actor-{slug}"


def event_id(entry: model.TimelineEntry) -> str:
    return "event-" + short_slug(f"{entry.date.isoformat()} {entry.title}")


def _when(when) -> str:
    if isinstance(when, dt.datetime) and when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return when.isoformat()


def _entity(id: str, schema: str, **properties) -> dict:
    """One entity; properties without a value are left out, every value is a list."""
    props = {}
    for name, value in properties.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        values = [v for v in values if v not in (None, "")]
        if values:
            props[name] = values
    return {"id": id, "schema": schema, "properties": props}


def _located(name: str, coordinates) -> dict:
    if coordinates is None:
        return {"full": name}
    return {"full": name, "latitude": f"{coordinates[0]:.5f}",
            "longitude": f"{coordinates[1]:.5f}"}


def kinds(dossier: model.Dossier, summary_of) -> list[tuple[str, list, Callable]]:
    """(kind, its records, the function giving the entities of one record), in the file's
    order. Each looks up what it shows in `dossier` itself (an actor's schema), so that the
    entities of a block of records made as a piece record what they read (lines_in_blocks)."""
    def schema(slug: str) -> str:
        return SCHEMA_OF_KIND.get(dossier.actors[slug].kind, "LegalEntity")

    def actor(item) -> Iterator[dict]:
        slug, actor = item
        place = schema(slug) == "Address"
        yield _entity(actor_id(slug), schema(slug), name=actor.name, alias=list(actor.aliases),
                      country=actor.country.lower(), summary=actor.summary,
                      **(_located(actor.name, actor.coordinates) if place else {}))

    def resolution(item) -> Iterator[dict]:
        slug, resolution = item
        yield _entity(f"resolution-{slug}", "Document",
                      title=" — ".join(filter(None, (resolution.symbol, resolution.title))),
                      name=resolution.symbol, date=resolution.adopted and
                      _when(resolution.adopted), sourceUrl=resolution.url,
                      publisher=resolution.body, summary=resolution.summary)

    def article(article) -> Iterator[dict]:
        source = article.source
        yield _entity(f"article-{article.slug}", "Article", title=article.title,
                      name=article.title, publishedAt=_when(article.date),
                      sourceUrl=source.url, publisher=source.name, author=source.author,
                      language=source.language or article.language,
                      summary=summary_of(article.slug))
        for actor in dossier.article_actors.get(article.slug, ()):
            yield _entity(f"mention-{article.slug}-{actor}", "Documentation",
                          document=f"article-{article.slug}", entity=actor_id(actor),
                          role="mentioned")
        for resolution in dossier.article_resolutions.get(article.slug, ()):
            yield _entity(f"mention-{article.slug}-{resolution}", "Documentation",
                          document=f"article-{article.slug}",
                          entity=f"resolution-{resolution}", role="cited")

    def event(entry) -> Iterator[dict]:
        where = actor_id(entry.place) if entry.place else None
        if where is None and entry.coordinates:      # a point of its own: an Address too
            where = f"place-{event_id(entry)}"
            yield _entity(where, "Address", name=entry.title,
                          **_located(entry.title, entry.coordinates))
        yield _entity(event_id(entry), "Event", name=entry.title, date=_when(entry.date),
                      description=entry.text,
                      involved=[actor_id(s) for s in entry.actors
                                if schema(s) in LEGAL_ENTITIES],
                      addressEntity=where,
                      proof=[f"article-{s}" for s in (entry.article, *entry.also)])

    def claim(linked) -> Iterator[dict]:
        yield _entity(f"claim-{linked.slug}", "Note", name=linked.claim.text[:200],
                      description=linked.claim.text, summary=linked.status,
                      entity=actor_id(linked.by),
                      proof=[f"article-{s}" for s in linked.articles],
                      publisher=list(linked.support))

    return [("actors", list(dossier.actors.items()), actor),
            ("resolutions", list(dossier.resolutions.items()), resolution),
            ("articles", list(dossier.articles), article),
            ("events", [e for e in dossier.timeline if e.kind == "event"], event),
            ("claims", list(dossier.claims), claim)]


def _line(entity: dict) -> str:
    return json.dumps(entity, ensure_ascii=False, sort_keys=True) + "\n"


def lines_in_blocks(dossier: model.Dossier, summary_of, piece, blocks) -> Iterator[bytes]:
    """data/ftm.json: each entity on a line, the records' entities made in blocks, each block
    one `piece` (see render.Renderer.render): a cached build makes again only the blocks
    whose records, or what their entities show, changed."""
    for kind, items, of in kinds(dossier, summary_of):
        for part in blocks(items):
            yield piece(f"ftm:{kind}", {"items": part},
                        lambda: "".join(_line(e) for item in part for e in of(item)))

"""Resolve actor and resolution references, make stubs, and build the dossier's graph."""
from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain, compress, permutations
from operator import attrgetter, itemgetter
from typing import Callable, NamedTuple


from dossier import evidence, model
from dossier.names import fold, resolution_key, resolution_symbol, short_slug, slugify
from dossier.problems import ERROR, Problem, Problems

RELATED_LIMIT = 5
COMMON_ACTOR = 50
# Actors one article may name: pages pair every two of them (who is reported with whom), so
# 2,000 took a minute and 2.6 GB; a UN vote article naming every member state still fits.
MAX_ACTORS = 500


class _Actors:
    """Actors by folded name, alias and slug; unknown references become stubs."""

    def __init__(self, actors: list[model.Actor], problems: Problems):
        self.by_slug: dict[str, model.Actor] = {}
        self._by_key: dict[str, model.Actor] = {}
        self.problems = problems
        for actor in sorted(actors, key=lambda a: str(a.path)):
            other = self.by_slug.get(actor.slug)
            if other:
                problems.error(actor.path, 1, f"actor '{actor.name}' has the same page address "
                               f"actors/{actor.slug}/ as '{other.name}' in {_rel(other, problems)}",
                               "merge the two files, or give one a 'slug:'")
                continue
            self.by_slug[actor.slug] = actor
            for label in (actor.name, *actor.aliases):
                key = fold(label)
                owner = self._by_key.get(key)
                if owner and owner is not actor:
                    problems.error(actor.path, 1, f"name or alias '{label}' is also claimed by "
                                   f"'{owner.name}' in {_rel(owner, problems)}",
                                   "an alias must point to one actor: remove it from one file")
                else:
                    self._by_key[key] = actor
        self._labels = list(self._by_key)     # folded names and aliases of the actor files

    def resolve(self, reference: str, article: model.Article, *key) -> str:
        actor = self.known(reference)
        if actor:
            return actor.slug
        slug = slugify(reference)
        if not slug:
            self.problems.error(article.path, article.line(*key), f"actor '{reference}' has "
                                "no letter or digit to make its page address from",
                                "write the name with words, or use a name or alias of an "
                                "actor file")
            return self._nameless()
        meant = self._near_miss(reference)
        if meant:       # a typo must not publish a page of its own: each one is an error
            self.problems.error(article.path, article.line(*key),
                                f"unknown actor '{reference}': did you mean '{meant.name}'?",
                                f"correct the name, or, if it is another actor, create "
                                f"content/actors/{slug}.md")
            return meant.slug
        self.problems.warning(article.path, article.line(*key),
                              f"unknown actor '{reference}': a stub page is made",
                              f"create content/actors/{slug}.md, or add '{reference}' to an "
                              "actor's aliases")
        stub = model.Actor(name=reference, slug=slug)
        self.by_slug[slug] = stub
        self._by_key[fold(reference)] = stub
        return slug


    def place(self, reference: str, event: model.Event, article: model.Article, *key
              ) -> tuple[str, model.LatLon | None]:
        """(slug, coordinates) of an event's place: a place, territory or region actor with
        coordinates (or the event gives its own). Never a stub: an unknown place is an error,
        a map cannot show it."""
        actor = self.known(reference)
        where = (article.path, article.line(*key))
        if actor is None or actor.path is None:
            self.problems.error(*where, f"unknown place '{reference}'",
                                f"create content/actors/{slugify(reference) or 'place'}.md "
                                "with 'kind: place' and 'coordinates: [latitude, longitude]', "
                                "or add the name to a place's aliases")
            return "", event.coordinates
        if actor.kind not in model.PLACE_KINDS:
            self.problems.error(*where, f"place '{reference}' is {actor.name}, a "
                                f"{actor.kind or 'actor without a kind'}, not a place",
                                "name a place, territory or region; put the actors involved "
                                "in 'actors:'")
            return "", event.coordinates
        if not (event.coordinates or actor.coordinates):
            self.problems.error(*where, f"place '{reference}' has no coordinates to map",
                                f"add 'coordinates: [latitude, longitude]' to "
                                f"{self.problems.relpath(actor.path)}, or to the event")
        return actor.slug, event.coordinates or actor.coordinates

    def kinds(self, slugs) -> tuple[str, ...]:
        """The kinds of the actors named (each resolved, so known by now), once each."""
        return tuple(sorted({self.by_slug[a].kind or "other" for a in slugs}))

    def known(self, reference: str) -> model.Actor | None:
        """The actor a reference names: by name or alias, else by page address."""
        return self.find(reference) or self.by_slug.get(slugify(reference))

    def find(self, label: str) -> model.Actor | None:
        """The actor a name or alias names, stubs made so far included; nothing is made."""
        return self._by_key.get(fold(label)) if label else None

    def _nameless(self) -> str:
        """A stand-in for references that cannot have a page (the build fails anyway)."""
        stub = model.Actor(name="?", slug="-")
        return self.by_slug.setdefault(stub.slug, stub).slug

    def _near_miss(self, reference: str) -> model.Actor | None:
        """The actor whose name or alias `reference` differs from by a typo: one edit (a
        letter changed, missing, added or two swapped) in a name of 5 to 8 letters, two in a
        longer one. 'Iran' and 'Irak', 'Corée du Sud' and 'Corée du Nord' stay different."""
        folded = fold(reference)
        allowed = 0 if len(folded) < 5 else 1 if len(folded) < 9 else 2
        if not allowed or not self._labels:
            return None
        from rapidfuzz import process       # only for a name not found (9 ms to import)
        from rapidfuzz.distance import OSA
        found = process.extractOne(folded, self._labels, scorer=OSA.distance,
                                   score_cutoff=allowed)
        return self._by_key[found[0]] if found else None


class _Publishers:
    """Publishers described in dossier.yaml, by folded name and alias: the name a source
    gives becomes the publisher's one name, so aliases count once."""

    def __init__(self, publishers: tuple[model.Publisher, ...], actors: _Actors):
        self._by_key: dict[str, model.Publisher] = {}
        self.described: dict[str, model.Publisher] = {}
        for publisher in publishers:
            actor = next((a for label in (publisher.name, *publisher.aliases)
                          if (a := actors.find(label)) and a.path), None)
            publisher = replace(publisher, actor=actor.slug if actor else "")
            self.described[publisher.name] = publisher
            for label in (publisher.name, *publisher.aliases):
                self._by_key[fold(label)] = publisher

    def name(self, name: str) -> str:
        found = self._by_key.get(fold(name))
        return found.name if found else name

    def kinds(self, names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(self.described[n].kind if n in self.described else "" for n in names)

    def own_voice(self, names: tuple[str, ...], country: str) -> bool:
        """True when every one of `names` is a government or state media of `country` (an
        ISO 3166 code, as actors and publishers give it)."""
        return bool(country) and all(
            n in self.described and self.described[n].kind in model.OWN_VOICE and
            self.described[n].country.upper() == country.upper() for n in names)

    def judge(self, actors: _Actors):
        """judged(publishers, author) for evidence.merge_claims."""
        return lambda support, by: {
            "support_kinds": self.kinds(support),
            "own_voice": self.own_voice(support, actors.by_slug[by].country)}

    def all(self, cited: dict[str, list[str]]) -> dict[str, model.Publisher]:
        """The described publishers by kind and name, then those only named by sources."""
        order = {kind: i for i, kind in enumerate(model.PUBLISHER_KINDS)}
        described = sorted(self.described.values(),
                           key=lambda p: (order[p.kind], p.name.casefold()))
        named = sorted((n for n in cited if n not in self.described), key=str.casefold)
        return {**{p.name: p for p in described},
                **{n: model.Publisher(n, slugify(n) or "source") for n in named}}


class _Resolutions:
    def __init__(self, resolutions: list[model.Resolution], problems: Problems):
        self.by_key: dict[str, model.Resolution] = {}
        self.problems = problems
        slugs: dict[str, model.Resolution] = {}
        for resolution in sorted(resolutions, key=lambda r: str(r.path)):
            other = self.by_key.get(resolution.key) or slugs.get(resolution.slug)
            if other and other.key == resolution.key:
                problems.error(resolution.path, 1, f"resolution {resolution.symbol} is also "
                               f"described in {_rel(other, problems)}", "keep one file per symbol")
            elif other:                     # 'A/RES/ES-11/1' and 'A/RES/ES-11/1.'
                problems.error(resolution.path, 1, f"resolution {resolution.symbol} would have "
                               f"the page of {other.symbol} ({_rel(other, problems)})",
                               "correct one of the two symbols")
            else:
                self.by_key[resolution.key] = slugs[resolution.slug] = resolution

    def by_slug(self) -> dict[str, model.Resolution]:
        return {r.slug: r for r in self.by_key.values()}

    def provision(self, reference: str, article: model.Article, *key) -> tuple[str, str] | None:
        """'S/RES/2397 (2017)#workers' -> (resolution slug, provision id)."""
        symbol, _, wanted = reference.partition("#")
        slug = self.resolve(symbol, article, *key)
        resolution = next(r for r in self.by_key.values() if r.slug == slug)
        ids = [p.id for p in resolution.provisions if p.id]
        if resolution.path and wanted not in ids:
            self.problems.error(article.path, article.line(*key),
                                f"{resolution.symbol} has no provision '{wanted}'",
                                "its provision ids: " + (", ".join(ids) or "none; add 'id:' "
                                                         "to a provision in its file"))
            return None
        return slug, wanted

    def resolve(self, reference: str, article: model.Article, *key) -> str:
        ref_key, year = resolution_key(reference)
        found = self.by_key.get(ref_key)
        if found:
            if year and found.adopted and str(found.adopted.year) != year:
                self.problems.warning(article.path, article.line(*key),
                                      f"'{reference}': {found.symbol} was adopted in "
                                      f"{found.adopted.year}, not {year}", "correct the year")
            return found.slug
        symbol = resolution_symbol(ref_key, year)
        self.problems.warning(article.path, article.line(*key),
                              f"unknown resolution '{reference}': a stub page is made",
                              f"create content/resolutions/{slugify(symbol)}.md with its "
                              "symbol, adoption date and official link")
        stub = model.Resolution(key=ref_key, symbol=symbol, slug=slugify(symbol))
        self.by_key[ref_key] = stub
        return stub.slug


def _rel(record, problems: Problems) -> str:
    return problems.relpath(record.path)


class _Resolved(NamedTuple):
    """One article's references, resolved: what link() makes of it before merging."""

    actors: list[str]                       # every actor it names, once, in order
    resolutions: list[str]
    events: list[tuple[str, tuple]]         # (event key, report: see evidence.merge_events)
    claims: list[tuple]                     # reports: see evidence.merge_claims
    entry: model.TimelineEntry              # the article's own timeline entry


def _resolve(article: model.Article, actor_index: _Actors,
             resolution_index: _Resolutions) -> _Resolved:
    """Resolve what `article` names and cites (problems go to the indexes' Problems)."""
    def actor(ref, *key):
        return actor_index.resolve(ref, article, *key)

    def resolution(ref, *key):
        return resolution_index.resolve(ref, article, *key)

    def provisions(refs, *key):
        return tuple(p for i, ref in enumerate(refs) if (p := resolution_index.provision(
            ref, article, *key, "provisions", i)))

    if len(article.actors) > MAX_ACTORS:
        actor_index.problems.error(article.path, article.line("actors"),
                                   f"{len(article.actors)} actors named: at most "
                                   f"{MAX_ACTORS} per article", "name the actors the article "
                                   "is about; list the others in its text")
    named = [actor(ref, "actors", i) for i, ref in enumerate(article.actors[:MAX_ACTORS])]
    cited = [resolution(ref, "resolutions", i) for i, ref in enumerate(article.resolutions)]
    events, claims = [], []
    for n, event in enumerate(article.events):
        who = tuple(dict.fromkeys(actor(r, "events", n, "actors", i)
                                  for i, r in enumerate(event.actors)))
        what = tuple(dict.fromkeys(resolution(r, "events", n, "resolutions", i)
                                   for i, r in enumerate(event.resolutions)))
        cites = provisions(event.provisions, "events", n)
        what += tuple(s for s, _ in cites if s not in what)
        place, coordinates = actor_index.place(event.place, event, article, "events", n,
                                               "place") \
            if event.place else ("", event.coordinates)
        if place and place not in who:
            who += (place,)
        named += who
        cited += what
        events.append((evidence.event_key(event),
                       (article, event, who, what, cites, place, coordinates)))
    for n, claim in enumerate(article.claims):
        by = actor(claim.by, "claims", n, "by")
        about = tuple(actor(r, "claims", n, "about", i) for i, r in enumerate(claim.about))
        cites = provisions(claim.provisions, "claims", n)
        named += [by, *about]
        cited += [s for s, _ in cites]
        claims.append((article, claim, by, about, cites))
    named, cited = list(dict.fromkeys(named)), list(dict.fromkeys(cited))
    entry = model.TimelineEntry(article.date, "article", article.title, article.slug,
                                tuple(named), tuple(cited), kinds=actor_index.kinds(named))
    return _Resolved(named, cited, events, claims, entry)


@dataclass(frozen=True)
class Evidence:
    """What link() gathered before merging, kept so that link_changed merges again only what
    the articles added or removed report."""

    events: dict[str, tuple[list, model.TimelineEntry]]    # event key -> (reports, entry)
    claims: dict[str, tuple[list, model.LinkedClaim]]      # claim key -> (reports, claim)
    keys: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # article -> its event, claim keys


def link(articles: list[model.Article], actors: list[model.Actor],
         resolutions: list[model.Resolution], problems: Problems,
         strict_sources: bool = False, pages: list[model.Page] = (),
         publishers: tuple[model.Publisher, ...] = (), keep: bool = False
         ) -> tuple[model.Dossier, Evidence | None]:
    """The linked graph, and with `keep` what link_changed needs to change it; collisions
    and unknown references are recorded in `problems`."""
    actor_index = _Actors(actors, problems)
    resolution_index = _Resolutions(resolutions, problems)
    publisher_index = _Publishers(publishers, actor_index)
    by_slug: dict[str, model.Article] = {}
    for article in sorted(articles, key=lambda a: str(a.path)):
        other = by_slug.get(article.slug)
        if other:
            problems.error(article.path, article.line("slug"),
                           f"article address articles/{article.slug}/ is also used by "
                           f"{_rel(other, problems)}", "rename one file or give it a 'slug:'")
        else:
            by_slug[article.slug] = article
    ordered = sorted(by_slug.values(), key=_article_order, reverse=True)
    resolved = {a.slug: _resolve(a, actor_index, resolution_index) for a in ordered}

    reports: dict[str, list] = defaultdict(list)
    claim_reports = []
    for found in resolved.values():
        for key, report in found.events:
            reports[key].append(report)
        claim_reports += found.claims
    events = evidence.merge_events(reports, publisher_index.name, actor_index.kinds,
                                   publisher_index.kinds)
    timeline = [found.entry for found in resolved.values()] + events + \
        evidence.deadline_entries(resolution_index.by_slug())
    grouped = evidence.group_claims(claim_reports)
    claim_by_key = evidence.merge_claims(grouped, problems, publisher_index.name,
                                         publisher_index.judge(actor_index))
    claims = list(claim_by_key.values())
    if strict_sources:
        evidence.single_source_warnings(timeline, claims, by_slug, problems)
    _check_tags(ordered, problems)
    timeline.sort(key=_timeline_order)
    keys = {slug: (tuple(k for k, _ in found.events),
                   tuple(evidence.claim_key(r[1], r[2]) for r in found.claims))
            for slug, found in resolved.items()}
    kept = Evidence(
        events={key: (found, entry) for (key, found), entry in zip(reports.items(), events)},
        claims={key: (found, claim_by_key[key]) for key, found in grouped.items()},
        keys=keys) if keep else None
    return _assemble(
        ordered, by_slug, {s: found.actors for s, found in resolved.items()},
        {s: found.resolutions for s, found in resolved.items()}, timeline, claims,
        claim_by_key.__getitem__, keys, dict(sorted(actor_index.by_slug.items())),
        {r.slug: r for r in sorted(resolution_index.by_key.values(), key=_resolution_order)},
        _corrections(ordered, actor_index.by_slug, resolution_index.by_slug()),
        publisher_index, _pages(pages, problems)), kept


class _Edit(NamedTuple):
    """What link_changed changed in the last graph: _assemble makes again only what these
    touch in each index, and the rest keeps the very objects it was, so that a build digests
    again only what changed (depends.Snapshot.changed_since) and a save at 10,000 articles
    costs what it changed, not a dozen passes over the whole graph."""

    last: model.Dossier
    articles: _Changed                  # in the articles, newest first
    entries: _Changed                   # in the timeline
    claims: _Changed                    # the claims merged again: the old gone, the new added
    reporters: set[str]                 # the articles whose claims may be new objects
    stale: Callable                     # stale(actor_articles): see _related's `only`


def _assemble(ordered, by_slug, article_actors, article_resolutions, timeline, claims,
              claim_of, keys: dict, actors, resolutions, corrections,
              publisher_index: _Publishers, pages, edit: _Edit | None = None
              ) -> model.Dossier:
    """The graph's indexes, made from the linked records: by link(), or by link_changed
    from the `edit` of the last graph. `claim_of(key)`: the claim reported under `key`."""
    last = edit.last if edit else None
    name_of, slug_of, article_of = publisher_index.name, attrgetter("slug"), by_slug.get
    slugs = list(map(slug_of, ordered))
    cited_by: dict[int, list[str]] = {}

    def publishers_of(article: model.Article) -> list[str]:
        found = cited_by.get(id(article))
        if found is None:
            found = cited_by[id(article)] = list(dict.fromkeys([name_of(article.source.name), *(
                name_of(c.source.name) for c in article.claims if c.source)]))
        return found

    def grouped(field: str, items: list, changed: _Changed | None, keys_of, value_of=None,
                item_of=None, index=None, in_order=True) -> dict:
        """The index `field` (see _grouped), from the last graph's (or `index`)."""
        return _grouped(items, keys_of, value_of, changed and (
            changed, getattr(last, field) if index is None else index, item_of), in_order)

    def named(now: dict, field: str):
        """An article's slugs in `now` (article_actors…); the last graph's for one gone."""
        return lambda a: (now if by_slug.get(a.slug) is a else getattr(last, field))[a.slug]
    articles_changed, entries_changed = (edit.articles, edit.entries) if edit else (None, None)
    places_changed = edit and entries_changed._replace(**{name: [   # (placed in the timeline)
        e for e in getattr(entries_changed, name) if e.coordinates is not None]
        for name in ("gone", "added")})
    publisher_articles = grouped("publisher_articles", ordered, articles_changed,
                                 publishers_of, slug_of, article_of)
    all_publishers = publisher_index.all(publisher_articles)
    placed = last.placed if edit and not places_changed.gone and not places_changed.added \
        else [entry for entry in timeline if entry.coordinates is not None]
    article_places = grouped("article_places", placed, places_changed,
                             lambda e: (e.article, *e.also))
    actor_timeline = grouped("actor_timeline", timeline, entries_changed,
                             attrgetter("actors"))
    resolution_timeline = grouped("resolution_timeline", timeline, entries_changed,
                                  attrgetter("resolutions"))
    tagged = grouped("tags", ordered, articles_changed, _tag_slugs, slug_of, article_of,
                     index=last and {slug: found for slug, (_, found) in last.tags.items()},
                     in_order=False)
    tags = {slug: was if last and (was := last.tags.get(slug)) and was[1] is found else
            (_tag_label(by_slug[found[0]], slug), found) for slug, found in sorted(tagged.items())}
    actor_articles = grouped("actor_articles", ordered, articles_changed,
                             named(article_actors, "article_actors"), slug_of, article_of)

    def sources(article: model.Article) -> tuple[str, ...]:
        return tuple(sorted([all_publishers[name].slug for name in publishers_of(article)]))
    claims_changed = edit.claims if edit else None
    statuses = grouped("claims_by_status", claims, claims_changed, lambda c: (c.status,),
                       index=last and dict(last.claims_by_status), in_order=False)
    by = grouped("actor_claims", claims, claims_changed, lambda c: (c.by,), in_order=False,
                 index=last and {a: found for a, (found, _) in last.actor_claims.items() if found})
    about = grouped("actor_claims", claims, claims_changed, lambda c: dict.fromkeys(c.about),
                    index=last and {a: found for a, (_, found) in last.actor_claims.items()
                                    if found}, in_order=False)
    if edit is None:
        article_claims = {}                 # in each article's own order
        for article in ordered:
            if reported := keys[article.slug][1]:       # (see Evidence.keys)
                article_claims[article.slug] = [claim_of(k) for k in dict.fromkeys(reported)]
        article_publishers = {article.slug: sources(article) for article in ordered}
        co_actors = _co_actors(article_actors)
        related = _related(ordered, article_actors, actor_articles, by_slug)
        citations = evidence.citations(timeline, claims)
    else:
        article_claims, article_publishers = dict(last.article_claims), \
            dict(last.article_publishers)
        for article in articles_changed.gone:
            article_claims.pop(article.slug, None)
            article_publishers.pop(article.slug, None)
        for slug in edit.reporters | {a.slug for a in articles_changed.added}:
            if reported := keys[slug][1]:
                found, kept = [claim_of(k) for k in dict.fromkeys(reported)], \
                    last.article_claims.get(slug)
                article_claims[slug] = kept if kept is not None and _same(found, kept) \
                    else found
        for article in articles_changed.added:       # (publishers: texts, compared)
            found, kept = sources(article), last.article_publishers.get(article.slug)
            article_publishers[article.slug] = kept if kept == found else found
        article_claims = _in_order(slugs, article_claims)
        article_publishers = _in_order(slugs, article_publishers)
        touched = {actor for article in articles_changed.gone
                   for actor in last.article_actors[article.slug]} | \
            {actor for article in articles_changed.added for actor in article_actors[article.slug]}
        co_actors = {actor: _co_actors_of(actor, article_actors, actor_articles)
                     if actor in touched else last.co_actors[actor] for actor in actor_articles}
        related = _related(ordered, article_actors, actor_articles, by_slug,
                           edit.stale(actor_articles), last.related, articles_changed.place,
                           slugs)
        citing = [*claims_changed.gone, *claims_changed.added, *(
            e for e in (*entries_changed.gone, *entries_changed.added) if e.kind == "event")]
        citations = evidence.citations(timeline, claims) if any(
            item.provisions for item in citing) else last.citations

    def both(actor: str) -> tuple[list, list]:
        """An actor's claims (by it, about it): the last graph's pair if neither changed."""
        found = (by.get(actor, []), about.get(actor, []))
        was = last.actor_claims.get(actor) if last else None
        return was if was is not None and all(
            a is b or not a and not b for a, b in zip(found, was)) else found
    return model.Dossier(
        articles=ordered, actors=actors, resolutions=resolutions,
        article_actors=article_actors, article_resolutions=article_resolutions,
        actor_articles=actor_articles,
        resolution_articles=grouped(
            "resolution_articles", ordered, articles_changed,
            named(article_resolutions, "article_resolutions"), slug_of, article_of),
        tags=tags, timeline=timeline, claims=claims, related=related,
        co_actors=co_actors, article_claims=article_claims,
        actor_claims={actor: both(actor) for actor in sorted(by.keys() | about.keys())},
        actor_timeline=actor_timeline, resolution_timeline=resolution_timeline,
        citations=citations, by_slug=by_slug, pages=pages, corrections=corrections,
        publishers=all_publishers, publisher_articles=publisher_articles,
        actor_publisher={p.actor: p.name for p in all_publishers.values() if p.actor},
        placed=placed, article_places=article_places,
        ranked=model.ranked(actor_articles, actors),
        claims_by_status=[(status, statuses[status]) for status in model.CLAIM_STATUSES
                          if status in statuses],
        article_publishers=article_publishers, pairs=model.pairs(co_actors))


def _tag_slugs(article: model.Article) -> list[str]:
    """The addresses of an article's tags (tags/<slug>/), once per tag that has one."""
    return [slug for slug in map(slugify, article.tags) if slug]


def _tag_label(article: model.Article, slug: str) -> str:
    """A tag's name as the newest article naming it writes it."""
    return next(label for label in article.tags if slugify(label) == slug)


def _check_tags(ordered: list[model.Article], problems: Problems) -> None:
    for article in ordered:
        for i, label in enumerate(article.tags):
            if not slugify(label):
                problems.error(article.path, article.line("tags", i), f"tag '{label}' has "
                               "no letter or digit to make its page address from",
                               "write the tag with words")


def _in_order(slugs: list[str], values: dict) -> dict:
    """`values` by article, in the articles' order (newest first): dictionaries of the graph
    keep link()'s order, which pages that go over them show."""
    slugs = [slug for slug in slugs if slug in values] if len(values) < len(slugs) else slugs
    return dict(zip(slugs, map(values.__getitem__, slugs)))


@dataclass(frozen=True)
class Linked:
    """One link()'s inputs and outcome, which `relink` and `link_changed` may reuse."""

    articles: list[model.Article]
    actors: list[model.Actor]
    resolutions: list[model.Resolution]
    strict_sources: bool
    dossier: model.Dossier
    problems: list[Problem]
    pages: list[model.Page] = ()
    publishers: tuple[model.Publisher, ...] = ()
    # Or, kept on disk by the last build (cache.py), a function of this Linked that reads it
    # (or gives None): it names articles, their events and claims, timeline entries and
    # claims by their places here, so that it holds for a relink that replaces articles in
    # place, which then leaves it unread (200,000 objects at 10,000 articles).
    evidence: Evidence | Callable[[Linked], Evidence | None] | None = None


Relinked = tuple[model.Dossier, Evidence, list[Problem]]


def relink(last: Linked, articles: list[model.Article], actors: list[model.Actor],
           resolutions: list[model.Resolution], strict_sources: bool,
           pages: list[model.Page] = (), publishers: tuple[model.Publisher, ...] = ()
           ) -> Relinked | None:
    """The last graph with some articles' title, text or summary replaced, when nothing
    else changed since `last` (the preview's usual save); None when a full link() is needed.

    What link() makes of an article depends on its other fields only, but for the title of
    its timeline entry, which is replaced in place when that keeps the timeline's order."""
    if last.evidence is None or strict_sources or last.strict_sources or \
            len(articles) != len(last.articles) or publishers != last.publishers or \
            not _same(actors, last.actors) or not _same(resolutions, last.resolutions) or \
            not _same(list(pages), list(last.pages)):
        return None
    old, changed = last.dossier, {}
    for new, before in zip(articles, last.articles):
        if new is before:
            continue
        if old.by_slug.get(before.slug) is not before or new.lines != before.lines or \
                replace(new, title=before.title, body=before.body, body_line=before.body_line,
                        summary=before.summary, language=before.language) != before:
            return None
        changed[before.slug] = new
    if not changed:
        return old, last.evidence, last.problems
    by_slug = {**old.by_slug, **changed}
    dossier = replace(old, articles=[by_slug[a.slug] for a in old.articles], by_slug=by_slug)
    retitled = [s for s, new in changed.items() if new.title != old.by_slug[s].title]
    if retitled:
        timeline = list(old.timeline)
        actor_timeline, resolution_timeline = dict(old.actor_timeline), \
            dict(old.resolution_timeline)
        where = {e.article: i for i, e in enumerate(timeline) if e.kind == "article"}
        for slug in retitled:
            i = where[slug]
            before, entry = timeline[i], replace(timeline[i], title=by_slug[slug].title)
            if i > 0 and not _timeline_order(timeline[i - 1]) < _timeline_order(entry) or \
                    i + 1 < len(timeline) and \
                    not _timeline_order(entry) < _timeline_order(timeline[i + 1]):
                return None
            timeline[i] = entry
            for lists, keys in ((actor_timeline, entry.actors),
                                (resolution_timeline, entry.resolutions)):
                for key in keys:
                    lists[key] = [entry if x is before else x for x in lists[key]]
        dossier = replace(dossier, timeline=timeline, actor_timeline=actor_timeline,
                          resolution_timeline=resolution_timeline)
    if callable(last.evidence):         # read by place: the new articles are in theirs
        return dossier, last.evidence, last.problems
    return dossier, _reported_by(last.evidence, old.by_slug, changed), last.problems


def _reported_by(kept: Evidence, before: dict[str, model.Article],
                 changed: dict[str, model.Article]) -> Evidence:
    """`kept` with the reports of the `changed` articles made by their new records."""
    events, claims = dict(kept.events), dict(kept.claims)
    for slug, new in changed.items():
        old = before[slug]
        event_keys, claim_keys = kept.keys[slug]
        for key in dict.fromkeys(event_keys):
            found, entry = events[key]
            events[key] = ([(new, *r[1:]) if r[0] is old else r for r in found], entry)
        for key in dict.fromkeys(claim_keys):
            found, linked = claims[key]
            claims[key] = ([(new, *r[1:]) if r[0] is old else r for r in found], linked)
    return Evidence(events, claims, kept.keys)


def link_changed(last: Linked, articles: list[model.Article], actors: list[model.Actor],
                 resolutions: list[model.Resolution], strict_sources: bool,
                 pages: list[model.Page] = (), publishers: tuple[model.Publisher, ...] = ()
                 ) -> Relinked | None:
    """The last graph with articles added and removed (an edited record is the old one
    removed and the new one added), when no actor, resolution, page or setting changed:
    what link() would give, at a fraction of its cost (0.08 s instead of 0.85 s at 10,000
    articles: only those articles are resolved, only the events and claims they report are
    merged again, only what they touch in each index is made again: see _Edit). None, and a
    full link() is needed, unless those articles bring no problem and name no stub, and
    nothing takes a place that a tie would decide (timeline, claims' addresses); the last
    graph must have no error. tests/test_incremental.py compares it with link()."""
    old, kept = last.dossier, last.evidence
    if callable(kept):
        kept = kept(last)
    if kept is None or strict_sources or last.strict_sources or \
            publishers != last.publishers or not _same(actors, last.actors) or \
            not _same(resolutions, last.resolutions) or \
            not _same(list(pages), list(last.pages)) or \
            any(p.severity == ERROR for p in last.problems):
        return None
    before, now = set(map(id, last.articles)), set(map(id, articles))
    added = list(compress(articles, map((now - before).__contains__, map(id, articles))))
    removed = list(compress(last.articles,
                            map((before - now).__contains__, map(id, last.articles))))
    if not added and not removed:
        return None
    scratch = Problems()                 # any problem: link() is needed to report it
    actor_index = _Actors(actors, scratch)
    resolution_index = _Resolutions(resolutions, scratch)
    publisher_index = _Publishers(publishers, actor_index)
    stub_actors = {s for s, a in old.actors.items() if a.path is None}
    stub_resolutions = {s for s, r in old.resolutions.items() if r.path is None}
    for slug in stub_actors:             # known to the articles that made them
        actor_index.by_slug[slug] = stub = old.actors[slug]
        actor_index._by_key.setdefault(fold(stub.name), stub)
    for slug in stub_resolutions:
        resolution_index.by_key[old.resolutions[slug].key] = old.resolutions[slug]

    def clean(found: _Resolved) -> bool:
        return not scratch.items and not stub_actors.intersection(found.actors) and \
            not stub_resolutions.intersection(found.resolutions)

    by_slug, resolved = dict(old.by_slug), {}
    for article in removed:              # resolved again: the problems it had, if any
        if by_slug.pop(article.slug, None) is not article or \
                not clean(_resolve(article, actor_index, resolution_index)):
            return None
    for article in added:
        if article.slug in by_slug or not all(map(slugify, article.tags)):
            return None
        found = resolved[article.slug] = _resolve(article, actor_index, resolution_index)
        by_slug[article.slug] = article
        if not clean(found):
            return None
    ordered = list(old.articles)         # newest first, as link() sorts them
    place = _newest_first(ordered, _article_order)
    for article in removed:
        del ordered[place(article)]
    for article in added:
        ordered.insert(place(article), article)
    removed_slugs = {a.slug for a in removed}
    in_path_order = [slug for slug in old.by_slug if slug not in removed_slugs]  # (see link)
    for article in added:
        insort(in_path_order, article.slug, key=lambda slug: str(by_slug[slug].path))

    # The events and claims these articles report: their reports now.
    reports: dict[str, list] = {}
    grouped: dict[str, list] = {}
    for article in removed:
        event_keys, claim_keys = kept.keys[article.slug]
        for key in event_keys:
            found = reports.setdefault(key, list(kept.events[key][0]))
            found[:] = [r for r in found if r[0] is not article]
        for key in claim_keys:
            found = grouped.setdefault(key, list(kept.claims[key][0]))
            found[:] = [r for r in found if r[0] is not article]
    for found in resolved.values():
        for key, report in found.events:
            reports.setdefault(key, list(kept.events[key][0]) if key in kept.events
                               else []).append(report)
        for report in found.claims:
            key = evidence.claim_key(report[1], report[2])
            grouped.setdefault(key, list(kept.claims[key][0]) if key in kept.claims
                               else []).append(report)
    live = {key: found for key, found in reports.items() if found}
    events = dict(zip(live, evidence.merge_events(live, publisher_index.name,
                                                  actor_index.kinds, publisher_index.kinds)))
    timeline, entries_gone = list(old.timeline), []
    for article in removed:
        entries_gone.append(_take_out(
            timeline, model.TimelineEntry(article.date, "article", article.title, article.slug),
            lambda e, slug=article.slug: e.kind == "article" and e.article == slug))
    for key in reports.keys() & kept.events.keys():
        entry = kept.events[key][1]
        entries_gone.append(_take_out(timeline, entry, lambda e, entry=entry: e is entry))
    entries_added = [found.entry for found in resolved.values()] + list(events.values())
    if None in entries_gone or not all(_put_in(timeline, entry) for entry in entries_added):
        return None

    slugs = {linked.slug for linked in old.claims}
    gone_keys = grouped.keys() & kept.claims.keys()
    for key in gone_keys:                # warnings it gave must not stay behind
        evidence.merge_claims({key: list(kept.claims[key][0])}, scratch)
        if scratch.items or not grouped[key] and f"{kept.claims[key][1].slug}-2" in slugs:
            return None                  # (the claim that came second would take its address)
    merged = evidence.merge_claims({k: g for k, g in grouped.items() if g}, scratch,
                                   publisher_index.name, publisher_index.judge(actor_index))
    for key, linked in merged.items():
        wanted = linked.claim.id or short_slug(key)
        was = kept.claims.get(key)
        if scratch.items or linked.slug != wanted or \
                (was[1].slug != wanted if was else wanted in slugs):
            return None
    claims = list(old.claims)            # newest assessment first, as merge_claims sorts them
    claim_place = _newest_first(claims, evidence.claim_order)
    claims_gone = [kept.claims[key][1] for key in gone_keys]
    for linked in claims_gone:
        del claims[claim_place(linked)]
    for linked in merged.values():
        claims.insert(claim_place(linked), linked)
    new = Evidence(
        events=_replaced(kept.events, reports, {key: (live[key], entry)
                                                for key, entry in events.items()}),
        claims=_replaced(kept.claims, grouped, {key: (grouped[key], merged[key])
                                                for key in merged}),
        keys=_replaced(kept.keys, removed_slugs, {
            slug: (tuple(k for k, _ in found.events),
                   tuple(evidence.claim_key(r[1], r[2]) for r in found.claims))
            for slug, found in resolved.items()}))
    article_slugs = list(map(attrgetter("slug"), ordered))
    article_actors = _in_order(article_slugs, _replaced(
        old.article_actors, removed_slugs, {s: found.actors for s, found in resolved.items()}))
    article_resolutions = _in_order(article_slugs, _replaced(
        old.article_resolutions, removed_slugs,
        {s: found.resolutions for s, found in resolved.items()}))

    def stale(actor_articles) -> set[str]:
        """The articles whose related list may have changed (see _related)."""
        return _candidates_of(list(resolved), article_actors, actor_articles,
                              old.actor_articles) | \
            _candidates_of(list(removed_slugs), old.article_actors, old.actor_articles,
                           actor_articles)

    edit = _Edit(old, _Changed(place, removed, added),
                 _Changed(_timeline_place(timeline), entries_gone, entries_added),
                 _Changed(claim_place, claims_gone, list(merged.values())),
                 {report[0].slug for key in merged for report in grouped[key]}, stale)
    corrections = old.corrections if not any(a.corrections for a in (*removed, *added)) \
        else _corrections(ordered, actor_index.by_slug, resolution_index.by_slug())
    return _assemble(
        ordered, dict(zip(in_path_order, map(by_slug.__getitem__, in_path_order))),
        article_actors, article_resolutions, timeline, claims,
        lambda key: merged[key] if key in merged else kept.claims[key][1], new.keys,
        old.actors, old.resolutions, corrections, publisher_index, old.pages,
        edit), new, last.problems


def _replaced(values: dict, gone, new: dict) -> dict:
    """`values` without the keys in `gone`, then with those of `new` (at the end if new)."""
    found = dict(values)
    for key in gone:
        found.pop(key, None)
    found.update(new)
    return found


def _take_out(timeline: list[model.TimelineEntry], like: model.TimelineEntry,
              matches) -> model.TimelineEntry | None:
    """Remove the entry that `matches`, sorted where `like` is, from the sorted timeline,
    and give it; None if it is not there."""
    key = _timeline_order(like)
    i = bisect_left(timeline, key, key=_timeline_order)
    while i < len(timeline) and _timeline_order(timeline[i]) == key:
        if matches(timeline[i]):
            return timeline.pop(i)
        i += 1
    return None


def _put_in(timeline: list[model.TimelineEntry], entry: model.TimelineEntry) -> bool:
    """Insert `entry` in the sorted timeline; False if it ties with another (then link()'s
    order depends on where each was reported)."""
    key = _timeline_order(entry)
    i = bisect_left(timeline, key, key=_timeline_order)
    if i < len(timeline) and _timeline_order(timeline[i]) == key:
        return False
    timeline.insert(i, entry)
    return True


def _article_order(article: model.Article) -> tuple:
    return (model.sort_key(article.date), article.slug)


def _corrections(articles, actors: dict, resolutions: dict) -> list[model.Corrected]:
    """Every record's corrections, newest first: the dossier's corrections log."""
    log = [model.Corrected(c.date, c.text, kind, record.slug)
           for kind, records in (("article", articles), ("actor", actors.values()),
                                 ("resolution", resolutions.values()))
           for record in records for c in record.corrections]
    return sorted(log, key=lambda c: (model.sort_key(c.date), c.kind, c.slug), reverse=True)


def _pages(pages: list[model.Page], problems: Problems) -> dict[str, model.Page]:
    """Free-standing pages by slug, in footer order (weight, then title)."""
    found: dict[str, model.Page] = {}
    for page in sorted(pages, key=lambda p: str(p.path)):
        other = found.get(page.slug)
        if other:
            problems.error(page.path, 1, f"page address {page.slug}/ is also used by "
                           f"{_rel(other, problems)}", "rename one file or give it a 'slug:'")
        else:
            found[page.slug] = page
    return dict(sorted(found.items(), key=lambda kv: (kv[1].weight, kv[1].title.casefold())))


def _same(new: list, old: list) -> bool:
    return len(new) == len(old) and all(a is b for a, b in zip(new, old))


_KIND_ORDER = {"article": 0, "event": 1, "deadline": 2}


def _timeline_order(entry: model.TimelineEntry) -> tuple:
    return (model.sort_key(entry.date), _KIND_ORDER[entry.kind], entry.title)


def _resolution_order(resolution: model.Resolution):
    """Security Council by number, then others by symbol."""
    number = resolution.key.removeprefix("S/RES/")
    return (0, int(number), "") if number.isdigit() else (1, 0, resolution.key)


class _Changed(NamedTuple):
    """The items gone from a sorted list and added to it (by identity), and `place(item)`:
    the place of an item in the list now (see _grouped)."""
    place: Callable[[object], int]
    gone: list
    added: list


def _newest_first(items: list, order) -> Callable[[object], int]:
    """place(item): where `item` is, or would go, in `items` sorted by `order` (no two the
    same), greatest first: a binary search in the list as it is when asked."""
    def place(item) -> int:
        key, low, high = order(item), 0, len(items)
        while low < high:
            middle = (low + high) // 2
            if order(items[middle]) > key:
                low = middle + 1
            else:
                high = middle
        return low
    return place


def _timeline_place(timeline: list[model.TimelineEntry]) -> Callable[[object], int]:
    """place(entry) of an entry in the sorted timeline (entries may tie: then by identity)."""
    def place(entry: model.TimelineEntry) -> int:
        i = bisect_left(timeline, _timeline_order(entry), key=_timeline_order)
        while timeline[i] is not entry:
            i += 1
        return i
    return place


def _grouped(items: list, keys_of, value_of=None, last: tuple | None = None,
             in_order: bool = True) -> dict:
    """key -> value_of(item) (the item itself by default) for each item that names it,
    once per naming (keys_of(item)), in the order of `items`; with `in_order`, keys in the
    order they first come. What a dictionary of lists filled going down `items` holds, as for
    articles by actor, newest first, and the timeline's entries by actor. With `last` = (what
    changed since the index was made (a _Changed: its places may be those of a longer list
    that `items` is drawn from, in the same order), that index, item_of: the item a value of
    it stands for now, or None: the value is the item), only the keys that the items added or
    gone name are made again: the others keep the very lists they had, and their order
    (link_changed: a pass over every item for six of these took 0.1 s of an article added
    at 10,000 articles)."""
    value_of = value_of or (lambda item: item)
    if last is None:
        found: dict[str, list] = defaultdict(list)
        for item in items:
            for key in keys_of(item):
                found[key].append(value_of(item))
        return dict(found)
    (place, gone, added), index, item_of = last
    item_at = item_of or (lambda value: value)

    def at(value) -> int:
        return place(item_at(value))
    # The values of the items gone (an article's slug, or an entry by identity: two
    # entries may be equal) leave their keys' lists; those of the items added go in at
    # their places. The lists keep the order of `items`, in which an item that stayed
    # keeps its place among the others.
    lists = dict(index)
    gone_values = {value_of(item) if item_of else id(item) for item in gone}
    touched = {key for item in (*gone, *added) for key in keys_of(item)}
    for key in touched:
        found = index.get(key, [])
        found = [v for v in found if v not in gone_values] if item_of else \
            [v for v in found if id(v) not in gone_values]
        for item in added:
            for named in keys_of(item):
                if named == key:
                    found.insert(bisect_right(found, place(item), key=at), value_of(item))
        if found:
            lists[key] = found
        else:
            lists.pop(key, None)
    if not in_order:
        return lists

    def first_named(key: str) -> tuple[int, int]:
        item = item_at(lists[key][0])
        return place(item), list(keys_of(item)).index(key)
    # The keys no item came to or left keep their order (their first items theirs); each
    # of the others goes where its first item now puts it.
    keys = [key for key in index if key not in touched]
    for key in touched & lists.keys():
        keys.insert(bisect_left(keys, first_named(key), key=first_named), key)
    return {key: lists[key] for key in keys}


class _Lazy(dict):
    """A dict that makes a missing value on first use: `make(key)`."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, key):
        value = self[key] = self.make(key)
        return value


def _related(ordered, article_actors, actor_articles, by_slug, only: set | None = None,
             last: dict | None = None, place=None, slugs=None) -> dict[str, list[str]]:
    """Articles sharing the most actors, then the nearest in date, then the newest.

    An actor named in more than COMMON_ACTOR articles (Russia in a dossier on Russia) would
    make this quadratic; for such actors only the articles nearest in its list are
    candidates. With `only`, the other articles keep their list in `last` (link_changed: by
    days, not places in the list, an article's distances do not change when another is
    added, nor then its list, unless the new one is among its candidates); `place(article)`
    its place in `ordered`, `slugs` those of `ordered`."""
    rank = {a.slug: i for i, a in enumerate(ordered)} if place is None else \
        _Lazy(lambda slug: place(by_slug[slug]))
    named = _Lazy(lambda slug: set(article_actors[slug]))
    day = _Lazy(lambda slug: model.sort_key(by_slug[slug].date)[0].toordinal())
    position = _Lazy(lambda actor: {slug: i for i, slug in enumerate(actor_articles[actor])})

    def related(slug: str) -> list[str]:
        here, mine, candidates = day[slug], named[slug], set()
        for actor in mine:
            slugs = actor_articles[actor]
            if len(slugs) > COMMON_ACTOR:
                i = position[actor][slug]
                slugs = slugs[max(0, i - RELATED_LIMIT):i + RELATED_LIMIT + 1]
            candidates.update(slugs)
        candidates.discard(slug)
        # (fewer shared actors, farther, older): tuples compared in C, no key function.
        best = sorted((-len(mine & named[other]), abs(day[other] - here), rank[other], other)
                      for other in candidates)
        return [found[3] for found in best[:RELATED_LIMIT]]

    if only is None:
        return {a.slug: related(a.slug) for a in ordered}
    return _in_order(slugs, {**last, **{slug: related(slug) for slug in only if slug in by_slug}})


def _candidates_of(slugs, article_actors, actor_articles, other_actor_articles) -> set[str]:
    """The articles whose related list may change when the articles `slugs` come or go:
    those they are candidates of (see _related), in the graph they are part of
    (`article_actors`, `actor_articles`); `other_actor_articles` is the graph without them
    (an actor rare in either: every one of its articles)."""
    found = set(slugs)
    for slug in slugs:
        for actor in article_actors[slug]:
            listed = actor_articles[actor]
            if len(other_actor_articles.get(actor, ())) <= COMMON_ACTOR:
                found.update(listed)         # every article of the actor, or it just became
            else:                            # common: each article's candidates change
                i = listed.index(slug)
                found.update(listed[max(0, i - RELATED_LIMIT - 1):i + RELATED_LIMIT + 2])
    return found


def _co_actors_of(actor: str, article_actors, actor_articles) -> list[tuple[str, int]]:
    """What _co_actors gives for one actor (link_changed: for those an edit names)."""
    together = Counter(chain.from_iterable(map(article_actors.__getitem__,
                                               actor_articles[actor])))
    del together[actor]
    return sorted(sorted(together.items()), key=itemgetter(1), reverse=True)


def _co_actors(article_actors) -> dict[str, list[tuple[str, int]]]:
    """Actor -> other actors reported in the same articles, with the number of articles;
    actors in the order they first appear."""
    # The ordered pairs of each article counted in C (a Counter updated per actor per
    # article took 30 ms at 10,000 articles).
    pairs = Counter(chain.from_iterable(map(partial(permutations, r=2), article_actors.values())))
    together: dict[str, dict] = {a: {} for a in chain.from_iterable(article_actors.values())}
    for (a, b), count in pairs.items():
        if a != b:
            together[a][b] = count
    # Most articles first, then by slug: sorted by slug, then by count (a stable sort, in C).
    return {a: sorted(sorted(c.items()), key=itemgetter(1), reverse=True)
            for a, c in together.items()}

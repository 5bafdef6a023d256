"""What backs each claim and event: the sources reporting it, the UN provisions it cites, and
the deadlines those provisions set. Called by link() once references are resolved."""
from __future__ import annotations

from collections import defaultdict

from dossier import model
from dossier.names import short_slug, words


def event_key(event: model.Event) -> str:
    """The same event reported by several articles: its `id`, else its date and title (the
    text itself, folded: two titles in any script are two events)."""
    return event.id or f"{event.date.isoformat()} {words(event.title)}"


def claim_key(claim: model.Claim, by: str) -> str:
    """The same claim: its `id`, else its author and text."""
    return claim.id or f"{by} {words(claim.text)}"


def publisher(article: model.Article, source: model.Source | None = None,
              name_of=str) -> str:
    """Who published a report: the claim's own source, else the article's, by the one name
    dossier.yaml gives it (`name_of`)."""
    return name_of((source or article.source).name)


def merge_events(reports: dict[str, list[tuple]], name_of=str, kinds_of=lambda actors: (),
                 support_kinds=lambda names: ()) -> list[model.TimelineEntry]:
    """One timeline entry per event, however many articles report it (earliest report first).
    A report is (article, event, actor slugs, resolution slugs, provisions, place slug,
    coordinates); the place is the first report's that gives one. `kinds_of(actor slugs)` and
    `support_kinds(publishers)` give the entry's kinds of actors and of publishers."""
    entries = []
    for key, found in reports.items():
        found.sort(key=lambda r: (model.sort_key(r[0].date), r[0].slug))
        first_article, event = found[0][0], found[0][1]
        placed = next((r for r in found if r[6] is not None or r[5]), None)
        actors = tuple(dict.fromkeys(a for r in found for a in r[2]))
        support = tuple(sorted({publisher(r[0], name_of=name_of) for r in found}))
        entries.append(model.TimelineEntry(
            event.date, "event", event.title, first_article.slug,
            actors=actors, resolutions=tuple(dict.fromkeys(x for r in found for x in r[3])),
            text=event.text, reported=first_article.date,
            also=tuple(dict.fromkeys(r[0].slug for r in found[1:])), support=support,
            provisions=tuple(dict.fromkeys(p for r in found for p in r[4])),
            kinds=kinds_of(actors), support_kinds=support_kinds(support),
            place=placed[5] if placed else "", coordinates=placed[6] if placed else None))
    return entries


Report = tuple  # (article, claim, by slug, about slugs, cited provisions): one article's report


def group_claims(reports: list[Report]) -> dict[str, list[Report]]:
    """Claim key -> its reports, keys in the order first reported."""
    grouped: dict[str, list[Report]] = defaultdict(list)
    for report in reports:
        grouped[claim_key(report[1], report[2])].append(report)
    return dict(grouped)


def merge_claims(grouped: dict[str, list[Report]], problems, name_of=str,
                 judged=lambda support, by: {}) -> dict[str, model.LinkedClaim]:
    """Claim key -> one claim per `id` (else per author and text), whatever number of articles
    report it (`grouped`, see group_claims: each list is sorted here, oldest report first),
    with the status each report gave it, oldest first: its status history.
    Reports that cannot be a history (two statuses on one date, two authors for one id) are
    warnings naming both places. `judged(publishers, author)` gives the claim's other
    fields (support_kinds, own_voice)."""
    claims, slugs = {}, set()
    for key, found in grouped.items():
        found.sort(key=lambda r: (model.sort_key(r[0].date), r[0].slug, r[1].line))
        _contradictions(found, problems)
        last = found[-1]
        slug = last[1].id or short_slug(key)
        while slug in slugs:                    # a derived address equal to someone's id
            slug += "-2"
        slugs.add(slug)
        history = tuple(model.Assessment(claim.status, article.date,
                                         publisher(article, claim.source, name_of),
                                         article.slug)
                        for article, claim, *_ in found)
        support = tuple(sorted({a.source for a in history}))
        claims[key] = (model.LinkedClaim(
            slug, last[1], last[2], history,
            about=tuple(dict.fromkeys(s for r in found for s in r[3])), support=support,
            provisions=tuple(dict.fromkeys(p for r in found for p in r[4])),
            **judged(support, last[2])))
    return dict(sorted(claims.items(), key=lambda kv: claim_order(kv[1]), reverse=True))


def claim_order(linked: model.LinkedClaim) -> tuple:
    """The claims' order, reversed (newest assessment first); no two claims share one."""
    return (model.sort_key(linked.history[-1].date), linked.slug)


def _named(claim: model.Claim) -> str:
    return f"'{claim.id}'" if claim.id else f"\"{claim.text[:50]}\""


def _contradictions(found: list[Report], problems) -> None:
    first_article, first = found[0][0], found[0][1]
    for article, claim, by, *_ in found[1:]:
        here, there = (article.path, claim.line), \
            f"{problems.relpath(first_article.path)}:{first.line}"
        if by != found[0][2]:
            problems.warning(*here, f"claim {_named(claim)} is made by '{claim.by}' here and by "
                             f"'{first.by}' in {there}", "one id names one claim by one "
                             "actor: correct 'by', or give one of them another id")
    for (a1, c1, *_), (a2, c2, *_) in zip(found, found[1:]):
        if model.sort_key(a1.date) == model.sort_key(a2.date) and c1.status != c2.status:
            problems.warning(a2.path, c2.line, f"claim {_named(c2)} is "
                             f"'{c2.status}' here and '{c1.status}' in "
                             f"{problems.relpath(a1.path)}:{c1.line}, on the same date "
                             f"{a1.date.isoformat()[:10]}", "a status history needs one "
                             "status per date: correct one status, or one article's date")


def deadline_entries(resolutions: dict[str, model.Resolution]) -> list[model.TimelineEntry]:
    """Provisions with a deadline become timeline entries of their own."""
    return [model.TimelineEntry(p.deadline, "deadline", p.text, "", resolutions=(slug,),
                                provisions=((slug, p.id),) if p.id else ())
            for slug, resolution in resolutions.items()
            for p in resolution.provisions if p.deadline]


def citations(timeline, claims) -> dict[str, list[tuple[str, object]]]:
    """Resolution slug -> (provision id, claim or event) for every item citing a provision."""
    cited = defaultdict(list)
    for item in [*claims, *(e for e in timeline if e.kind == "event")]:
        for slug, provision in item.provisions:
            cited[slug].append((provision, item))
    return dict(cited)


def single_source_warnings(timeline, claims, by_slug, problems) -> None:
    """--strict-sources: flag claims and events that rest on one publisher, and sources
    with no archived copy (nothing to fall back on when the original goes)."""
    for article in by_slug.values():
        if article.source.url and not article.source.archived:
            problems.warning(article.path, article.line("source"), f"source "
                             f"{article.source.url} has no archived copy",
                             "save it (web.archive.org/save, archive.today) and add "
                             "'archived:' to the source")
    for linked in claims:
        if linked.own_voice:
            article = by_slug[linked.article]
            problems.warning(article.path, linked.claim.line,
                             f"claim '{linked.claim.text[:60]}' is reported only by its "
                             f"author's own government or state media "
                             f"({', '.join(linked.support)})",
                             "cite a report independent of its author")
        if len(linked.support) < 2:
            article = by_slug[linked.article]
            problems.warning(article.path, linked.claim.line,
                             f"claim '{linked.claim.text[:60]}' rests on one source "
                             f"({linked.support[0]})", "cite a second, independent report")
    for entry in timeline:
        if entry.kind == "event" and len(entry.support) < 2:
            article = by_slug[entry.article]
            line = next((e.line for e in article.events if e.title == entry.title), 1)
            problems.warning(article.path, line, f"event '{entry.title[:60]}' rests on one "
                             f"source ({entry.support[0]})", "cite a second, independent report")

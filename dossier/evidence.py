"""What backs each claim and event: the sources reporting it, the UN provisions it cites, and
the deadlines those provisions set. Called by link() once references are resolved."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from dossier import model
from dossier.names import slugify


def event_key(event: model.Event) -> str:
    """The same event reported by several articles: its `id`, else its date and title."""
    return event.id or slugify(f"{event.date.isoformat()} {event.title}")


def claim_key(claim: model.Claim, by: str) -> str:
    return claim.id or slugify(f"{by} {claim.text}")


def publisher(article: model.Article, source: model.Source | None = None) -> str:
    return (source or article.source).name


def merge_events(reports: dict[str, list[tuple[model.Article, model.Event, tuple, tuple, tuple]]]
                 ) -> list[model.TimelineEntry]:
    """One timeline entry per event, however many articles report it (earliest report first)."""
    entries = []
    for key, found in reports.items():
        found.sort(key=lambda r: (model.sort_key(r[0].date), r[0].slug))
        first_article, event = found[0][0], found[0][1]
        entries.append(model.TimelineEntry(
            event.date, "event", event.title, first_article.slug,
            actors=tuple(dict.fromkeys(a for r in found for a in r[2])),
            resolutions=tuple(dict.fromkeys(x for r in found for x in r[3])),
            text=event.text, reported=first_article.date,
            also=tuple(dict.fromkeys(r[0].slug for r in found[1:])),
            support=tuple(sorted({publisher(r[0]) for r in found})),
            provisions=tuple(dict.fromkeys(p for r in found for p in r[4]))))
    return entries


def support_claims(claims: list[model.LinkedClaim], by_slug) -> list[model.LinkedClaim]:
    """Each claim with the distinct publishers of every report of the same claim."""
    publishers = defaultdict(set)
    for linked in claims:
        publishers[claim_key(linked.claim, linked.by)].add(
            publisher(by_slug[linked.article], linked.claim.source))
    return [replace(linked, support=tuple(sorted(publishers[claim_key(linked.claim, linked.by)])))
            for linked in claims]


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
    """--strict-sources: flag claims and events that rest on one publisher."""
    for linked in claims:
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

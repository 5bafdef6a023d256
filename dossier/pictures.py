"""Pictures drawn at build time as inline SVG: no script, no network, same content → same bytes.

- timeline_chart: events, articles and deadlines on a time axis, in lanes by actor kind;
- network: actors reported together (edge width: shared articles; node size: mentions).
Every mark is a link to its page and carries a <title>; the pages also list the same items as
text, which is the screen-reader equivalent.
"""
from __future__ import annotations

import math
from html import escape

from markupsafe import Markup

from dossier import model, urls

KIND_ORDER = model.ACTOR_KINDS
YEAR_WIDTH = 84           # px per year: a few weeks apart stay distinguishable
NEIGHBOURS = 12           # actors around one actor in its neighbourhood picture
MARK = 4                  # mark radius, px
ROW = 11                  # vertical step between stacked marks, px
LABEL_WIDTH = 134
AXIS = 26


def _f(value: float) -> str:
    """Coordinates rounded so that output is identical from run to run and machine to machine."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _day_fraction(when) -> float:
    start = model.sort_key(when)[0]
    return start.year + (start.timetuple().tm_yday - 1) / 366


def timeline_chart(entries: list[model.TimelineEntry], dossier: model.Dossier, page_path: str,
                   t) -> Markup:
    """Entries on a horizontal time axis, one lane per actor kind (and one for deadlines)."""
    if not entries:
        return Markup("")
    first = min(model.sort_key(e.date)[0].year for e in entries)
    last = max(model.sort_key(e.date)[0].year for e in entries) + 1
    width = (last - first) * YEAR_WIDTH + 16

    lanes: dict[str, list[model.TimelineEntry]] = {}
    for entry in entries:
        kinds = entry.kinds or ("other",)
        if entry.kind == "deadline":
            kinds = {"deadline"}
        for kind in kinds:
            lanes.setdefault(kind, []).append(entry)
    order = [k for k in (*KIND_ORDER, "deadline") if k in lanes]

    body, labels, y = [], [], AXIS
    for kind in order:
        rows: list[float] = []                   # right edge of the last mark in each row
        placed = []
        for entry in lanes[kind]:
            x = 8 + (_day_fraction(entry.date) - first) * YEAR_WIDTH
            row = next((i for i, edge in enumerate(rows) if x - edge >= 2 * MARK + 1), None)
            if row is None:
                rows.append(x)
                row = len(rows) - 1
            rows[row] = x
            placed.append((x, row, entry))
        height = max(len(rows), 1) * ROW + 10
        label = t("lane_deadlines") if kind == "deadline" else t(f"actor_kind_{kind}")
        body.append(f'<g class="lane lane-{kind}"><rect class="lane-bg" x="0" y="{y}" '
                    f'width="{width}" height="{height}"/>')
        labels.append(f'<rect class="lane-bg lane-{kind}" x="0" y="{y}" width="{LABEL_WIDTH}" '
                      f'height="{height}"/><text class="lane-label" x="6" y="{y + 15}">'
                      f'{escape(label)}</text>')
        for x, row, entry in placed:
            cy = y + 8 + MARK + row * ROW
            body.append(_mark(entry, x, cy, dossier, page_path, t))
        body.append("</g>")
        y += height + 2
    axis = []
    for year in range(first, last + 1):
        x = 8 + (year - first) * YEAR_WIDTH
        axis.append(f'<line class="tick" x1="{_f(x)}" y1="{AXIS - 6}" x2="{_f(x)}" y2="{y}"/>')
        if year < last:
            axis.append(f'<text class="year" x="{_f(x + 3)}" y="{AXIS - 10}">{year}</text>')
    counts = {k: sum(1 for e in entries if e.kind == k) for k in ("article", "event", "deadline")}
    summary = t("chart_summary", articles=t("n_articles", count=counts["article"]),
                events=t("n_events", count=counts["event"]),
                deadlines=t("n_deadlines", count=counts["deadline"]), first=first,
                last=last - 1)
    # Lane names stay in view in their own column; the time axis scrolls beside them, and
    # opens on its most recent years (the scroll box runs right to left, the picture does not).
    return Markup(
        f'<figure class="chart timeline-chart"><div class="lanes" aria-hidden="true">'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL_WIDTH}" height="{y + 4}" '
        f'viewBox="0 0 {LABEL_WIDTH} {y + 4}">' + "".join(labels) + '</svg></div>'
        f'<div class="scroll" tabindex="0" role="region" aria-label="{escape(summary)}">'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}" height="{y + 4}" '
        f'viewBox="0 0 {_f(width)} {y + 4}" role="group" aria-label="{escape(summary)}">'
        + "".join(axis) + "".join(body) +
        f'</svg></div><figcaption>{escape(summary)}</figcaption></figure>')


def _mark(entry, x, cy, dossier, page_path, t) -> str:
    if entry.kind == "deadline":
        target = urls.resolution(entry.resolutions[0])
        shape = (f'<rect class="mark deadline" x="{_f(x - MARK)}" y="{_f(cy - MARK)}" '
                 f'width="{2 * MARK}" height="{2 * MARK}"/>')
    elif entry.kind == "event":
        target = urls.article(entry.article)
        shape = (f'<path class="mark event" d="M{_f(x)} {_f(cy - MARK - 1)}l{MARK + 1} {MARK + 1}'
                 f'l-{MARK + 1} {MARK + 1}l-{MARK + 1} -{MARK + 1}z"/>')
    else:
        target = urls.article(entry.article)
        shape = f'<circle class="mark article" cx="{_f(x)}" cy="{_f(cy)}" r="{MARK}"/>'
    label = f"{entry.date.isoformat()} — {t('kind_' + entry.kind)} — {entry.title}"
    return (f'<a href="{escape(urls.relative(page_path, target))}" class="mark-link">'
            f'<title>{escape(label)}</title>{shape}</a>')


def network(dossier: model.Dossier, page_path: str, t, center: str | None = None,
            limit: int = 24) -> Markup:
    """Actors reported together. With `center`, that actor's neighbourhood, drawn radially."""
    if center:
        neighbours = dossier.co_actors.get(center, [])[:NEIGHBOURS]
        slugs = [center] + [s for s, _ in neighbours]
    else:
        slugs = [s for s, _ in dossier.ranked[:limit]]
    if len(slugs) < 2:
        return Markup("")
    chosen = set(slugs)
    edges = {}
    if center:              # the actor's own links only: a readable star
        edges = {tuple(sorted((center, b))): count for b, count in neighbours}
    else:
        for a in slugs:
            for b, count in dossier.co_actors.get(a, []):
                if b in chosen and a < b:
                    edges[(a, b)] = count
    if center:
        ring = slugs[1:]
        positions = _radial(center, ring)
    else:
        # A circle, grouped by kind and ordered by mentions: every label stays readable and
        # the same content always gives the same picture.
        rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
        ring = sorted(slugs, key=lambda s: (rank.get(dossier.actors[s].kind or "other", 99),
                                            -len(dossier.actor_articles.get(s, ())), s))
        positions = _radial(None, ring)
    mentions = {s: len(dossier.actor_articles.get(s, ())) for s in slugs}
    most = max(mentions.values()) or 1
    heaviest = max(edges.values(), default=1)
    size = 560
    parts = []
    for (a, b), count in sorted(edges.items()):
        (x1, y1), (x2, y2) = positions[a], positions[b]
        parts.append(f'<line class="edge" x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" '
                     f'y2="{_f(y2)}" stroke-width="{_f(0.6 + 4 * count / heaviest)}">'
                     f'<title>{escape(dossier.actors[a].name)} — '
                     f'{escape(dossier.actors[b].name)}: '
                     f'{escape(t("shared_articles", count=count))}</title></line>')
    for slug in slugs:
        x, y = positions[slug]
        actor = dossier.actors[slug]
        radius = 4 + 12 * math.sqrt(mentions[slug] / most)
        label = f"{actor.name} — {t('article_count', count=mentions[slug])}"
        # Labels outward along the radius, rotated with it as in a chord diagram: neighbours
        # on the ring are further apart than a line of text is high, so labels never collide.
        angle = math.atan2(y - size / 2, x - size / 2)
        turn = ""
        if slug == center:
            anchor, lx, ly = "middle", x, y + radius + 14
        else:
            lx, ly = x + math.cos(angle) * (radius + 4), y + math.sin(angle) * (radius + 4)
            degrees = math.degrees(angle)
            anchor = "start" if math.cos(angle) >= 0 else "end"
            degrees += 0 if anchor == "start" else 180
            turn = f' transform="rotate({_f(degrees)} {_f(lx)} {_f(ly)})"'
        name = actor.name if len(actor.name) <= 28 else actor.name[:27].rstrip() + "…"
        parts.append(
            f'<a href="{escape(urls.relative(page_path, urls.actor(slug)))}" class="node'
            f'{" center" if slug == center else ""} kind-{actor.kind or "other"}">'
            f'<title>{escape(label)}</title><circle cx="{_f(x)}" cy="{_f(y)}" '
            f'r="{_f(radius)}"/><text x="{_f(lx)}" y="{_f(ly)}" dy="0.35em"{turn} '
            f'text-anchor="{anchor}">{escape(name)}</text></a>')
    summary = t("network_summary", actors=len(slugs), links=len(edges))
    pad = 175                             # room for the longest labels all around
    box = f"{-pad} {-pad} {size + 2 * pad} {size + 2 * pad}"
    return Markup(
        f'<figure class="chart network"><svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="{box}" role="group" aria-label="{escape(summary)}">' + "".join(parts) +
        f'</svg><figcaption>{escape(summary)}</figcaption></figure>')


def _radial(center: str | None, around: list[str], size: int = 560
            ) -> dict[str, tuple[float, float]]:
    middle = size / 2
    positions = {center: (middle, middle)} if center else {}
    for i, slug in enumerate(around):
        angle = -math.pi / 2 + 2 * math.pi * i / len(around)
        positions[slug] = (middle + 0.4 * size * math.cos(angle),
                           middle + 0.4 * size * math.sin(angle))
    return positions

"""Pictures drawn at build time as inline SVG: no script, no network, same content → same bytes.

- timeline_chart: events, articles and deadlines on a time axis, in lanes by actor kind;
- network: actors reported together (edge width: shared articles; node size: mentions).
Every mark is a link to its page and carries a <title>; the pages also list the same items as
text, which is the screen-reader equivalent.
"""
from __future__ import annotations

import datetime as dt
import math
from html import escape

from markupsafe import Markup

from dossier import model, urls

KIND_ORDER = model.ACTOR_KINDS
NEIGHBOURS = 12           # actors around one actor in its neighbourhood picture
MARK = 4                  # mark radius, px
ROW = 11                  # vertical step between stacked marks, px
WIDTH = 880               # the picture's width, px: the page's column (it scrolls on phones)
LEFT, RIGHT = 96, 16      # lane labels on the left; room for the last mark on the right
AXIS = 30                 # the time axis' band, px
BAND = 18                 # the periods' band, px, when there are periods
LANES = ("article", "event", "deadline")      # one mark per item, in the lane of its kind


def _f(value: float) -> str:
    """Coordinates rounded so that output is identical from run to run and machine to machine."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _ticks(low: dt.date, high: dt.date) -> tuple[list[dt.date], str]:
    """Tick dates between `low` and `high` at a step that suits the span, and the CLDR pattern
    of their labels: weeks over two months or less, months up to two years and a half, years
    beyond (every 1, 2, 5 or 10, at most a dozen)."""
    days = (high - low).days
    if days <= 62:
        first = low + dt.timedelta(days=(7 - low.weekday()) % 7)       # Mondays
        return [first + dt.timedelta(weeks=i) for i in range(days // 7 + 1)
                if first + dt.timedelta(weeks=i) <= high], "d MMM"
    if days <= 915:
        months, year, month = [], low.year, low.month + 1
        while True:
            if month > 12:
                year, month = year + 1, 1
            when = dt.date(year, month, 1)
            if when > high:
                return months, "MMM"
            months.append(when)
            month += 1
    step = next(s for s in (1, 2, 5, 10, 20, 50) if (high.year - low.year) / s <= 12)
    return [dt.date(y, 1, 1) for y in range(low.year + 1, high.year + 1) if y % step == 0], "y"


def timeline_chart(entries: list[model.TimelineEntry], dossier: model.Dossier, page_path: str,
                   t, date_label, periods=(), filterable: bool = False) -> Markup:
    """Entries on a time axis scaled to their span (ticks of weeks, months or years), one
    mark per entry in the lane of its kind, and the dossier's periods as bands. With
    `filterable`, marks carry their actors, for the timeline page's filter."""
    if not entries:
        return Markup("")
    start = min(model.sort_key(e.date)[0] for e in entries)
    end = max(model.sort_key(e.date)[0] for e in entries)
    pad = dt.timedelta(days=max((end - start).days * 0.03, 3))
    low, high = start - pad, end + pad
    scale = (WIDTH - LEFT - RIGHT) / max((high - low).days, 1)

    def x(day: dt.date) -> float:
        return LEFT + (day - low).days * scale

    shown = [p for p in periods if p.start <= high and (p.end is None or p.end >= low)]
    rows_end: list[float] = []                   # where each row of period names ends
    named = []
    for period in shown:
        x1 = max(x(period.start), LEFT)
        row = next((i for i, edge in enumerate(rows_end) if x1 > edge), len(rows_end))
        rows_end[row:row + 1] = [x1 + 6.5 * len(period.name) + 8]
        named.append((period, x1, row))
    top = AXIS + BAND * len(rows_end)
    backs, body, y = [], [], top
    for kind in [k for k in LANES if any(e.kind == k for e in entries)]:
        rows: list[float] = []                   # right edge of the last mark in each row
        placed = []
        for entry in (e for e in entries if e.kind == kind):
            ex = x(model.sort_key(entry.date)[0])
            row = next((i for i, edge in enumerate(rows) if ex - edge >= 2 * MARK + 1), None)
            if row is None:
                rows.append(ex)
                row = len(rows) - 1
            rows[row] = ex
            placed.append((ex, row, entry))
        height = len(rows) * ROW + 10
        # Lane backgrounds first, then the periods' bands, then the marks over both.
        backs.append(f'<rect class="lane-bg lane-{kind}" x="0" y="{y}" width="{WIDTH}" '
                     f'height="{height}"/>')
        body.append(f'<g class="lane lane-{kind}"><text class="lane-label" x="6" '
                    f'y="{y + 15}">{escape(t("lane_" + kind))}</text>')
        for ex, row, entry in placed:
            body.append(_mark(entry, ex, y + 8 + MARK + row * ROW, page_path, t, filterable))
        body.append("</g>")
        y += height + 2
    bands = []
    for period, x1, row in named:
        x2 = min(x(period.end), WIDTH - RIGHT) if period.end else WIDTH - RIGHT
        bands.append(f'<g class="period"><rect x="{_f(x1)}" y="{AXIS}" width="{_f(x2 - x1)}" '
                     f'height="{y - AXIS}"/><text x="{_f(x1 + 3)}" y="{AXIS + 13 + row * BAND}">'
                     f'{escape(period.name)}</text><title>{escape(period.name)}: '
                     f'{period.start.isoformat()} – '
                     f'{period.end.isoformat() if period.end else "…"}</title></g>')
    ticks, pattern = _ticks(low, high)
    axis = []
    for day in ticks:
        tx = x(day)
        axis.append(f'<line class="tick" x1="{_f(tx)}" y1="{AXIS - 6}" x2="{_f(tx)}" y2="{y}"/>'
                    f'<text class="year" x="{_f(tx + 3)}" y="{AXIS - 10}">'
                    f'{escape(date_label(day, pattern))}</text>')
    counts = {k: sum(1 for e in entries if e.kind == k) for k in LANES}
    summary = t("chart_summary", articles=t("n_articles", count=counts["article"]),
                events=t("n_events", count=counts["event"]),
                deadlines=t("n_deadlines", count=counts["deadline"]), first=start.year,
                last=end.year)
    return Markup(
        f'<figure class="chart timeline-chart"><div class="scroll">'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y + 4}" '
        f'viewBox="0 0 {WIDTH} {y + 4}" role="group" aria-label="{escape(summary)}">'
        + "".join(backs) + "".join(bands) + "".join(axis) + "".join(body) +
        f'</svg></div><figcaption>{escape(summary)}</figcaption></figure>')


def _mark(entry, x, cy, page_path, t, filterable: bool) -> str:
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
    # Shown when the mark has the keyboard's focus (CSS): to the left of marks on the right.
    anchor = "end" if x > WIDTH / 2 else "start"
    shift = -(MARK + 4) if anchor == "end" else MARK + 4
    short = label if len(label) <= 60 else label[:59] + "…"
    actors = f' data-actors="{escape(" ".join(entry.actors))}"' if filterable else ""
    return (f'<a href="{escape(urls.relative(page_path, target))}" class="mark-link"{actors}>'
            f'<title>{escape(label)}</title>{shape}<text class="mark-label" x="{_f(x + shift)}" '
            f'y="{_f(cy + 4)}" text-anchor="{anchor}">{escape(short)}</text></a>')


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

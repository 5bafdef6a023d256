"""Pictures drawn at build time as inline SVG: no script, no network, same content → same bytes.

- timeline_chart: events, articles and deadlines on a time axis, in lanes by actor kind;
- network: actors reported together (edge width: shared articles; node size: mentions).
Every mark is a link to its page and carries a <title>; the pages also list the same items as
text, which is the screen-reader equivalent.
"""
from __future__ import annotations

import datetime as dt
import heapq
import math
import random
from html import escape

from markupsafe import Markup

from dossier import labels, model, urls

KIND_ORDER = model.ACTOR_KINDS
NEIGHBOURS = 12           # actors around one actor in its neighbourhood picture
MARK = 4                  # mark radius, px
ROW = 11                  # vertical step between stacked marks, px
WIDTH = 880               # the picture's width, px: the page's column (it scrolls on phones)
LEFT, RIGHT = 96, 16      # lane labels on the left; room for the last mark on the right
AXIS = 30                 # the time axis' band, px
BAND = 18                 # the periods' band, px, when there are periods
FONT = 11                 # the timeline's text size, px (as the CSS sets it)
LANES = ("article", "event", "deadline")      # one mark per item, in the lane of its kind
KEPT_LANE = 2000          # marks of a lane from which they are kept in columns (_lane_marks)
COLUMN = 8                # px: a column of kept marks (a mark is 2 × MARK + 1 wide)


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
                   t, date_label, periods=(), filterable: bool = False, keep=None) -> "Parts":
    """Entries on a time axis scaled to their span (ticks of weeks, months or years), one
    mark per entry in the lane of its kind, and the dossier's periods as bands. With
    `filterable`, marks carry their actors, for the timeline page's filter. The picture in
    parts, to be printed one after the other: text, and the marks of a long lane in columns
    made by `keep(name, values, make)` (see _lane_marks)."""
    if not entries:
        return Parts()
    days = [model.sort_key(e.date)[0] for e in entries]
    start, end = min(days), max(days)
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
        # The name starts at the band's start, or ends at the picture's edge if it must.
        wide = labels.text_width(period.name, FONT, 600)
        tx = min(x1 + 3, WIDTH - 3 - wide)
        row = next((i for i, edge in enumerate(rows_end) if tx > edge), len(rows_end))
        rows_end[row:row + 1] = [tx + wide + 8]
        named.append((period, x1, tx, row))
    top = AXIS + BAND * len(rows_end)
    backs, body, y = [], [], top
    lanes: dict[str, list] = {kind: [] for kind in LANES}
    places: dict[dt.date, float] = {}            # entries share days: each placed once
    for day, entry in zip(days, entries):
        at = places.get(day)
        if at is None:
            at = places[day] = x(day)
        lanes[entry.kind].append((at, entry))
    marks = _Marks(page_path, t, filterable)
    for kind in [k for k in LANES if lanes[k]]:
        placed, count = _stack(lanes[kind])
        height = count * ROW + 10
        # Lane backgrounds first, then the periods' bands, then the marks over both.
        backs.append(f'<rect class="lane-bg lane-{kind}" x="0" y="{y}" width="{WIDTH}" '
                     f'height="{height}"/>')
        body.append(f'<g class="lane lane-{kind}"><text class="lane-label" x="6" '
                    f'y="{y + 15}">{escape(t("lane_" + kind))}</text>')
        body.extend(_lane_marks(marks, placed, y + 8 + MARK, keep))
        body.append("</g>")
        y += height + 2
    bands = []
    for period, x1, tx, row in named:
        x2 = min(x(period.end), WIDTH - RIGHT) if period.end else WIDTH - RIGHT
        bands.append(f'<g class="period"><rect x="{_f(x1)}" y="{AXIS}" width="{_f(x2 - x1)}" '
                     f'height="{y - AXIS}"/><text x="{_f(tx)}" y="{AXIS + 13 + row * BAND}">'
                     f'{escape(period.name)}</text><title>{escape(period.name)}: '
                     f'{period.start.isoformat()} – '
                     f'{period.end.isoformat() if period.end else "…"}</title></g>')
    ticks, pattern = _ticks(low, high)
    axis = []
    for day in ticks:
        tx, label = x(day), date_label(day, pattern)
        # Labels right of their tick; the last one left of it when it would leave the picture.
        flip = tx + 3 + labels.text_width(label, FONT) > WIDTH
        place = f'x="{_f(tx - 3)}" text-anchor="end"' if flip else f'x="{_f(tx + 3)}"'
        axis.append(f'<line class="tick" x1="{_f(tx)}" y1="{AXIS - 6}" x2="{_f(tx)}" y2="{y}"/>'
                    f'<text class="year" {place} y="{AXIS - 10}">{escape(label)}</text>')
    counts = {k: len(lanes[k]) for k in LANES}
    summary = t("chart_summary", articles=t("n_articles", count=counts["article"]),
                events=t("n_events", count=counts["event"]),
                deadlines=t("n_deadlines", count=counts["deadline"]), first=start.year,
                last=end.year)
    head = (f'<figure class="chart timeline-chart"><div class="scroll">'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y + 4}" '
            f'viewBox="0 0 {WIDTH} {y + 4}" role="group" aria-label="{escape(summary)}">'
            + "".join(backs) + "".join(bands) + "".join(axis))
    tail = f'</svg></div><figcaption>{escape(summary)}</figcaption></figure>'
    parts, text = [], [head]
    for part in body:                # the lanes' text joined between the kept columns
        if type(part) is str:
            text.append(part)
        else:
            parts += [Markup("".join(text)), part]
            text = []
    return Parts(parts + [Markup("".join(text) + tail)])


class Parts(list):
    """A picture in parts (timeline_chart), printed part by part, or whole by `{{ … }}`."""

    def __html__(self) -> Markup:
        return Markup("".join(self))


def _lane_marks(marks: "_Marks", placed: list[tuple[float, int, object]], top: int, keep
                ) -> list:
    """The marks of a lane: as text; or, for a lane of KEPT_LANE marks or more (the
    timeline's, a hub's: 20,000 marks remade for each article added at 10,000 articles),
    in columns of COLUMN pixels, each made by keep() from its entries and where they are,
    so that a build makes again the columns where marks moved only. An article added in
    the middle of the span moves the marks of its day and of the next few pixels (_stack
    fills the lowest clear row); one beyond its ends, or one more row, moves them all."""
    if keep is None or len(placed) < KEPT_LANE:
        return [marks.mark(entry, ex, top + row * ROW) for ex, row, entry in placed]
    parts, start = [], 0
    while start < len(placed):
        column, end = int(placed[start][0] // COLUMN), start + 1
        while end < len(placed) and int(placed[end][0] // COLUMN) == column:
            end += 1
        part = placed[start:end]
        at = [(ex, top + row * ROW) for ex, row, _ in part]

        def make(part=part, at=at) -> str:
            return "".join([marks.mark(entry, ex, cy)
                            for (ex, cy), (_, _, entry) in zip(at, part)])
        parts.append(keep("timeline-marks", {
            "entries": [entry for _, _, entry in part], "at": repr(at), "up": marks.up,
            "kinds": repr(marks.kinds), "filterable": marks.filterable}, make))
        start = end
    return parts


def _stack(marks: list[tuple[float, object]]) -> tuple[list[tuple[float, int, object]], int]:
    """Each (x, entry) in the lowest row where it clears the last mark by a mark's width
    -> ([(x, row, entry)], number of rows). Marks come in time order, so a row once clear
    stays clear: the clear rows are kept in a heap, not looked for among all rows for each
    mark (30,000 entries in hundreds of rows: 0.2 s a picture)."""
    gap = 2 * MARK + 1
    if any(later < earlier for (earlier, _), (later, _) in zip(marks, marks[1:])):
        return _stack_unordered(marks, gap)
    busy: list[tuple[float, int]] = []          # (x of its last mark, row)
    clear: list[int] = []
    placed, count = [], 0
    for x, entry in marks:
        while busy and x - busy[0][0] >= gap:
            heapq.heappush(clear, heapq.heappop(busy)[1])
        if clear:
            row = heapq.heappop(clear)
        else:
            row, count = count, count + 1
        heapq.heappush(busy, (x, row))
        placed.append((x, row, entry))
    return placed, count


def _stack_unordered(marks: list[tuple[float, object]], gap: float
                     ) -> tuple[list[tuple[float, int, object]], int]:
    rows: list[float] = []                       # right edge of the last mark in each row
    placed = []
    for x, entry in marks:
        row = next((i for i, edge in enumerate(rows) if x - edge >= gap), None)
        if row is None:
            rows.append(x)
            row = len(rows) - 1
        rows[row] = x
        placed.append((x, row, entry))
    return placed, len(rows)


class _Marks:
    """The marks of one picture: one per entry, a link to its page with a <title>, and a label
    shown when the mark has the keyboard's focus. A hub's picture has 20,000 of them, remade
    when an article is added: what many marks share (the coordinates of a day or a row, the
    words for a kind, the way up to the site's root) is worked out once."""

    def __init__(self, page_path: str, t, filterable: bool):
        self.up = urls.relative(page_path, "")
        self.kinds = {kind: t("kind_" + kind) for kind in LANES}
        self.filterable = filterable
        self.xs: dict[float, tuple[str, str, str, str]] = {}
        self.ys: dict[int, tuple[str, str, str, str]] = {}

    def mark(self, entry, x: float, cy: int) -> str:
        xs = self.xs.get(x)
        if xs is None:
            # Shown when the mark has the keyboard's focus (CSS): to the left of marks on
            # the right.
            shift = -(MARK + 4) if x > WIDTH / 2 else MARK + 4
            xs = self.xs[x] = (_f(x), _f(x - MARK), _f(x + shift),
                               "end" if x > WIDTH / 2 else "start")
        ys = self.ys.get(cy)
        if ys is None:
            ys = self.ys[cy] = (_f(cy), _f(cy - MARK), _f(cy - MARK - 1), _f(cy + 4))
        kind = entry.kind
        if kind == "deadline":
            target = urls.resolution(entry.resolutions[0])
            shape = (f'<rect class="mark deadline" x="{xs[1]}" y="{ys[1]}" '
                     f'width="{2 * MARK}" height="{2 * MARK}"/>')
        elif kind == "event":
            target = urls.article(entry.article)
            shape = (f'<path class="mark event" d="M{xs[0]} {ys[2]}l{MARK + 1} {MARK + 1}'
                     f'l-{MARK + 1} {MARK + 1}l-{MARK + 1} -{MARK + 1}z"/>')
        else:
            target = urls.article(entry.article)
            shape = f'<circle class="mark article" cx="{xs[0]}" cy="{ys[0]}" r="{MARK}"/>'
        label = f"{entry.date.isoformat()} — {self.kinds[kind]} — {entry.title}"
        title = escape(label)
        short = title if len(label) <= 60 else escape(label[:59] + "…")
        actors = f' data-actors="{escape(" ".join(entry.actors))}"' if self.filterable else ""
        return (f'<a href="{escape(self.up + target)}" class="mark-link"{actors}>'
                f'<title>{title}</title>{shape}<text class="mark-label" x="{xs[2]}" '
                f'y="{ys[3]}" text-anchor="{xs[3]}">{short}</text></a>')


def network(dossier: model.Dossier, page_path: str, t, center: str | None = None,
            limit: int = 24) -> Markup:
    """Actors reported together: the `limit` most mentioned and their links, placed by a
    force-directed layout; with `center`, that actor's neighbourhood as a star, each
    neighbour sized by the articles it shares with the centre. Every label
    is whole and covers no other label or node; a legend says what the colours mean."""
    if center:
        neighbours = dossier.co_actors.get(center, [])[:NEIGHBOURS]
        slugs = [center] + [s for s, _ in neighbours]
        edges = {tuple(sorted((center, b))): count for b, count in neighbours}
    else:
        slugs = [s for s, _ in dossier.ranked[:limit]]
        chosen = set(slugs)
        edges = {(a, b): count for a in slugs for b, count in dossier.co_actors.get(a, [])
                 if b in chosen and a < b}
    if len(slugs) < 2:
        return Markup("")
    # Every figure of a neighbourhood is about its actor: a neighbour is sized and labelled
    # by the articles it shares with it. Its own total belongs on its own page (and the
    # actors' index); here it would make every page showing a hub change, and be made
    # again, with each article about the hub (190 of 500 actor pages at 10,000 articles).
    mentions = ({center: len(dossier.actor_articles.get(center, ())), **dict(neighbours)}
                if center else {s: len(dossier.actor_articles.get(s, ())) for s in slugs})
    most = max(mentions.values()) or 1
    radius = {s: 4 + 12 * math.sqrt(mentions[s] / most) for s in slugs}
    names = {s: dossier.actors[s].name for s in slugs}
    # Biggest first: they get the label places they want. The layout is in its own units,
    # scaled to the picture by _fit_labels.
    order = sorted(slugs, key=lambda s: (-mentions[s], s))
    unit = _star(center, slugs[1:]) if center else _forces(slugs, edges)
    width = 640 if center else NET_WIDTH        # each drawn at 1:1 in its column
    # A star's outer nodes label outwards: room for them; a force layout's edge nodes may
    # label inwards, or above or below.
    height, placed = _fit_labels(unit, order, radius, names, width, 4 if center else 16)
    heaviest = max(edges.values(), default=1)
    parts = []
    for (a, b), count in sorted(edges.items()):
        (x1, y1), (x2, y2) = placed[a][0], placed[b][0]
        parts.append(f'<line class="edge" x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" '
                     f'y2="{_f(y2)}" stroke-width="{_f(0.6 + 4 * count / heaviest)}">'
                     f'<title>{escape(names[a])} — {escape(names[b])}: '
                     f'{escape(t("shared_articles", count=count))}</title></line>')
    for slug in order:
        (x, y), (anchor, lx, ly) = placed[slug]
        actor = dossier.actors[slug]
        total = t("shared_articles" if center and slug != center else "article_count",
                  count=mentions[slug])
        label = f"{actor.name} — {total}"
        parts.append(
            f'<a href="{escape(urls.relative(page_path, urls.actor(slug)))}" class="node'
            f'{" center" if slug == center else ""} kind-{actor.kind or "other"}">'
            f'<title>{escape(label)}</title><circle cx="{_f(x)}" cy="{_f(y)}" '
            f'r="{_f(radius[slug])}"/><text x="{_f(lx)}" y="{_f(ly)}" '
            f'text-anchor="{anchor}">{escape(actor.name)}</text></a>')
    summary = t("network_summary", actors=len(slugs), links=len(edges))
    legend_words = (t("neighbourhood_legend", actor=names[center]) if center
                    else t("network_legend"))
    kinds = sorted({dossier.actors[s].kind or "other" for s in slugs}, key=KIND_ORDER.index)
    legend = "".join(f'<li><span class="swatch kind-{k}"></span>{escape(t("actor_kind_" + k))}'
                     f'</li>' for k in kinds)
    return Markup(
        f'<figure class="chart network{" neighbourhood" if center else ""}">'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {_f(height)}" '
        f'role="group" aria-label="{escape(summary)}">' + "".join(parts) + '</svg>'
        f'<figcaption>{escape(summary)} <ul class="legend">{legend}<li>'
        f'{escape(legend_words)}</li></ul></figcaption></figure>')


NET_WIDTH = 880             # the network's width, px, as the other pictures
NET_FONT = 12               # its labels' size, px (the CSS sets the same)
NET_MARGIN = 24             # px between the outermost node and the picture's edge


def _forces(slugs: list[str], edges: dict[tuple[str, str], int]
            ) -> dict[str, tuple[float, float]]:
    """Fruchterman–Reingold: nodes repel each other, links pull their two ends together
    (harder for actors reported together often), the moves cooling over 200 rounds. From a
    fixed seed, so the same dossier always gives the same picture. Written out rather than
    taken from networkx: its layout needs numpy, 30 MB more in the process that draws the
    actors page, for 24 nodes."""
    rng = random.Random(7)
    xs, ys = [], []
    for _ in slugs:
        xs.append(rng.random())
        ys.append(rng.random())
    where = {s: i for i, s in enumerate(slugs)}
    pulls = [(where[a], where[b], math.log1p(count)) for (a, b), count in sorted(edges.items())]
    n = len(slugs)
    k = 1 / math.sqrt(n)                           # the distance the forces balance at
    kk, hypot = k * k, math.hypot
    rounds, heat = 200, 0.1
    # By index, in the order the sums were always made (the same picture, to the bit): the
    # printable dossier draws it again for each article added (0.052 s by name, 0.026 s).
    for step in range(rounds):
        mx, my = [0.0] * n, [0.0] * n
        for i in range(n):
            xi, yi, ax, ay = xs[i], ys[i], mx[i], my[i]
            for j in range(i + 1, n):
                dx, dy = xi - xs[j], yi - ys[j]
                far = hypot(dx, dy)
                if far < 0.01:
                    far = 0.01
                push = kk / far / far
                ax += dx * push
                ay += dy * push
                mx[j] -= dx * push
                my[j] -= dy * push
            mx[i], my[i] = ax, ay
        for a, b, weight in pulls:
            dx, dy = xs[a] - xs[b], ys[a] - ys[b]
            pull = weight * hypot(dx, dy) / k
            mx[a] -= dx * pull
            my[a] -= dy * pull
            mx[b] += dx * pull
            my[b] += dy * pull
        limit = heat * (1 - step / rounds)
        for i in range(n):
            dx, dy = mx[i], my[i]
            length = max(hypot(dx, dy), 1e-9)
            xs[i] += dx / length * min(length, limit)
            ys[i] += dy / length * min(length, limit)
    return {s: (xs[i], ys[i]) for i, s in enumerate(slugs)}


def _star(center: str, around: list[str]) -> dict[str, tuple[float, float]]:
    """One actor in the middle, its neighbours on a circle from the top, clockwise by rank."""
    positions = {center: (0.0, 0.0)}
    for i, slug in enumerate(around):
        angle = -math.pi / 2 + 2 * math.pi * i / len(around)
        positions[slug] = (math.cos(angle), math.sin(angle))
    return positions


def _fit_labels(unit, order, radius, names, width, share):
    """Scale the layout to the picture's width, and make the picture taller (and the nodes
    sparser) until every label fits whole beside its node without covering another."""
    xs = [p[0] for p in unit.values()]
    ys = [p[1] for p in unit.values()]
    x_low, x_span = min(xs), (max(xs) - min(xs)) or 1.0
    y_low, y_span = min(ys), (max(ys) - min(ys)) or 1.0
    widest = max(labels.text_width(names[s], NET_FONT) for s in order)
    side = NET_MARGIN + min(widest + 20, width / share)     # kept clear left and right
    heights = range(360, 2401, 60)
    for height in heights:
        def at(slug):
            x, y = unit[slug]
            return (side + (x - x_low) / x_span * (width - 2 * side),
                    NET_MARGIN + 16 + (y - y_low) / y_span * (height - 2 * NET_MARGIN - 32))
        where = {s: at(s) for s in order}
        taken = [(x - radius[s], y - radius[s], x + radius[s], y + radius[s])
                 for s, (x, y) in where.items()]
        placed = {}
        for slug in order:
            x, y = where[slug]
            found = labels.place(x, y, radius[slug], names[slug], NET_FONT, taken,
                                 (0, 0, width, height), outward=x - width / 2)
            if not found and height == heights[-1]:     # a label longer than the picture
                found = labels.place(x, y, radius[slug], names[slug], NET_FONT, [],
                                     (-math.inf, -math.inf, math.inf, math.inf))
            if not found:
                break
            taken.append(found[3])
            placed[slug] = (where[slug], found[:3])
        else:
            return height, placed
    return height, placed

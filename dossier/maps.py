"""Maps drawn at build time as inline SVG: no tiles, no script, no request to another host,
the same bytes for the same content.

The land comes from Natural Earth (public domain) at 1:50m, as the npm package world-atlas
2.0.2 ships it in TopoJSON (data/countries-50m.json; data/README.md says where from). Only
the land and its coasts are drawn, never borders: in a conflict they are what is disputed
(Natural Earth's default "de facto" view puts Crimea inside Russia), and a map that draws
them takes a side the dossier has not taken.

The projection is equirectangular, scaled by the cosine of the view's middle latitude (so
that a degree of longitude and one of latitude look alike there), and fitted to the places
shown: a dossier on Korea is not drawn on a map of the world.
"""
from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from html import escape
from importlib import resources

from markupsafe import Markup

from dossier import labels as labels_, model, urls

MIN_SPAN = (6.0, 8.0)       # degrees of latitude and longitude shown at least (one place)
PAD = 36                    # px kept clear around the places (for marks and labels)
FONT = 11                   # label size, px
SIMPLIFY = 1.2              # px: points nearer than this to the last one drawn are dropped
FINE = 12                   # px per degree from which the 1:50m coastline is drawn (else 1:110m)


@dataclass(frozen=True)
class Projection:
    """(lat, lon) -> (x, y) px for a view of `width` x `height` centred on (lat0, lon0)."""

    lat0: float
    lon0: float
    k: float                    # px per degree of latitude
    width: int
    height: int

    @functools.cached_property
    def cos(self) -> float:
        return math.cos(math.radians(self.lat0))

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        return (self.width / 2 + (lon - self.lon0) * self.cos * self.k,
                self.height / 2 - (lat - self.lat0) * self.k)


def fit(points: list[model.LatLon], width: int, height: int) -> Projection:
    """The projection that shows every point, centred, with PAD px around them."""
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    south, north = min(lats), max(lats)
    west, east = min(lons), max(lons)
    lat0, lon0 = (south + north) / 2, (west + east) / 2
    span_lat = max(north - south, MIN_SPAN[0])
    span_lon = max(east - west, MIN_SPAN[1])
    cos = math.cos(math.radians(lat0))
    k = min((height - 2 * PAD) / span_lat, (width - 2 * PAD) / (span_lon * cos))
    return Projection(lat0, lon0, k, width, height)


@functools.cache
def _land(scale: str) -> tuple[tuple[tuple[float, float, float, float], tuple], ...]:
    """Natural Earth's land at `scale` ("50m" or "110m") as (bounding box, ring of (lon,
    lat)), decoded from TopoJSON once per process (delta-encoded, quantised arcs; a negative
    index is an arc reversed)."""
    data = json.loads(resources.files("dossier").joinpath(f"data/countries-{scale}.json")
                      .read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = data["transform"]["scale"], data["transform"]["translate"]
    land = data["objects"]["land"]["geometries"]
    used = {i if i >= 0 else ~i for g in land for polygon in
            ([g["arcs"]] if g["type"] == "Polygon" else g["arcs"]) for ring in polygon
            for i in ring}
    arcs: dict[int, list] = {}          # only the coast's arcs, not the borders'
    for number in used:
        x = y = 0
        points = []
        for dx, dy in data["arcs"][number]:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs[number] = points
    del data
    rings = []
    for geometry in land:
        polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
        for polygon in polygons:
            for ring in polygon:
                points: list = []
                for index in ring:
                    part = arcs[index] if index >= 0 else arcs[~index][::-1]
                    points.extend(part if not points else part[1:])
                # A ring cut at the antimeridian jumps from 180 to -180: unwrapped, it runs
                # on past 180 (Chukotka east of Siberia) instead of across the whole map.
                for i in range(1, len(points)):
                    lon, lat = points[i]
                    while lon - points[i - 1][0] > 180:
                        lon -= 360
                    while lon - points[i - 1][0] < -180:
                        lon += 360
                    points[i] = (lon, lat)
                lons, lats = [p[0] for p in points], [p[1] for p in points]
                rings.append(((min(lons), min(lats), max(lons), max(lats)), tuple(points)))
    return tuple(rings)


@functools.lru_cache(maxsize=64)      # pages of one place share their small map's land
def _land_path(project: Projection) -> str:
    """The land rings that reach into the view, clipped and thinned to what shows. The
    projection is affine in longitude and latitude, so rings are clipped in degrees first:
    only what is in view is projected."""
    # The view and a margin, in degrees; the finer coastline only where a degree takes
    # enough pixels for it to show.
    half_lon = (project.width / 2 + PAD) / (project.cos * project.k)
    half_lat = (project.height / 2 + PAD) / project.k
    west, east = project.lon0 - half_lon, project.lon0 + half_lon
    south, north = project.lat0 - half_lat, project.lat0 + half_lat
    parts = []
    for (w, s, e, n), ring in _land("50m" if project.k >= FINE else "110m"):
        shift = 360 * round((project.lon0 - (w + e) / 2) / 360)   # the copy nearest the view
        if e + shift < west or w + shift > east or n < south or s > north:
            continue
        inside = w + shift >= west and e + shift <= east and s >= south and n <= north
        seen = list(ring) if inside else _clip(list(ring), west - shift, south, east - shift,
                                                north)
        if len(seen) < 3:
            continue
        xy = [project(lat, lon + shift) for lon, lat in seen]
        kept = [xy[0]]
        for x, y in xy[1:]:
            if abs(x - kept[-1][0]) + abs(y - kept[-1][1]) >= SIMPLIFY:
                kept.append((x, y))
        if len(kept) < 3:
            continue
        parts.append("M" + "L".join(f"{_f(x)} {_f(y)}" for x, y in kept) + "Z")
    return "".join(parts)


def _clip(points: list, x0: float, y0: float, x1: float, y1: float) -> list:
    """A polygon cut to a rectangle (Sutherland–Hodgman), so that a continent seen through a
    small window costs the window's worth of points; its fill stays right."""
    for inside, cross in (
            (lambda p: p[0] >= x0, lambda a, b: (x0, a[1] + (b[1] - a[1]) * (x0 - a[0]) / (b[0] - a[0]))),
            (lambda p: p[0] <= x1, lambda a, b: (x1, a[1] + (b[1] - a[1]) * (x1 - a[0]) / (b[0] - a[0]))),
            (lambda p: p[1] >= y0, lambda a, b: (a[0] + (b[0] - a[0]) * (y0 - a[1]) / (b[1] - a[1]), y0)),
            (lambda p: p[1] <= y1, lambda a, b: (a[0] + (b[0] - a[0]) * (y1 - a[1]) / (b[1] - a[1]), y1))):
        if not points:
            break
        kept, last = [], points[-1]
        for point in points:
            if inside(point):
                if not inside(last):
                    kept.append(cross(last, point))
                kept.append(point)
            elif inside(last):
                kept.append(cross(last, point))
            last = point
        points = kept
    return points


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass
class Mark:
    """One place on the map and the events there."""

    key: str
    label: str
    href: str                                   # output path of its page
    at: model.LatLon
    entries: list


def marks(entries, dossier) -> list[Mark]:
    """The events that have coordinates, one mark per place (or per point when an event gives
    its own coordinates), in the order of their first event."""
    found: dict[str, Mark] = {}
    for entry in entries:
        if entry.coordinates is None:
            continue
        if entry.place:
            key, label, href = entry.place, dossier.actors[entry.place].name, \
                urls.actor(entry.place)
        else:
            key = f"{entry.coordinates[0]:.4f},{entry.coordinates[1]:.4f}"
            label = entry.title if len(entry.title) <= 32 else entry.title[:31].rstrip() + "…"
            href = urls.article(entry.article)
        mark = found.setdefault(key, Mark(key, label, href, entry.coordinates, []))
        mark.entries.append(entry)
    return list(found.values())


def place_map(placed: list[Mark], page_path: str, t, width: int = 880, height: int = 480,
              filterable: bool = False) -> Markup:
    """The map of `placed` marks: each a link to its page, sized by its number of events,
    with a label where one fits without covering another; the page lists the same places as
    text (the accessible equivalent)."""
    if not placed:
        return Markup("")
    project = fit([m.at for m in placed], width, height)
    up = "../" * page_path.count("/")
    events = sum(len(m.entries) for m in placed)
    summary = t("map_summary", places=len(placed), events=events)
    out = [f'<figure class="map{" small" if width < 600 else ""}"><svg class="map-svg" '
           f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="group" aria-label="{escape(summary)}">'
           f'<rect class="sea" width="{width}" height="{height}"/>'
           f'<path class="land" d="{_land_path(project)}"/><g class="marks">']
    taken: list[tuple[float, float, float, float]] = []
    drawn = []
    for mark in sorted(placed, key=lambda m: (-len(m.entries), m.label)):
        x, y = project(*mark.at)
        r = min(4 + 3 * math.sqrt(len(mark.entries) - 1), 14)
        taken.append((x - r, y - r, x + r, y + r))
        drawn.append((mark, x, y, r))
    labels = {}
    for mark, x, y, r in drawn:                 # the biggest marks get their labels first
        found = labels_.place(x, y, r, mark.label, FONT, taken, (0, 0, width, height))
        if found:
            labels[mark.key] = found[:3]
            taken.append(found[3])
    for mark, x, y, r in sorted(drawn, key=lambda d: (d[0].entries[0].date.isoformat(),
                                                      d[0].label)):
        said = t("map_mark", place=mark.label, count=len(mark.entries))
        data = ""
        if filterable:
            data = ' data-events="' + escape(" ".join(
                f"{e.date.isoformat()[:10]}:{','.join(e.actors)}" for e in mark.entries)) + '"'
        label = ""
        if mark.key in labels:
            anchor, tx, ty = labels[mark.key]
            label = (f'<text x="{_f(tx)}" y="{_f(ty)}" text-anchor="{anchor}">'
                     f'{escape(mark.label)}</text>')
        out.append(f'<a class="mark-link" href="{escape(up + mark.href)}"{data}>'
                   f'<title>{escape(said)}</title><circle cx="{_f(x)}" cy="{_f(y)}" '
                   f'r="{_f(r)}"/>{label}</a>')
    out.append(f'</g></svg><figcaption>{escape(t("map_credit"))}</figcaption></figure>')
    return Markup("".join(out))


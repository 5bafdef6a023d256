"""Places, the map drawn at build time, and the FollowTheMoney export (issue #21)."""
from __future__ import annotations

import json
import math
import re

import pytest

from tests.helpers import article, run_cli, write_files

VLADIVOSTOK = (43.10562, 131.87353)
MOSCOW = (55.75204, 37.61781)
POINT = (51.77, 128.12)


def place(name: str, at, kind: str = "place", country: str = "RU") -> str:
    return (f"---\nname: {name}\nkind: {kind}\ncountry: {country}\n"
            f"coordinates: [{at[0]}, {at[1]}]\n---\n")


def placed_dossier(tmp_path):
    return write_files(tmp_path / "d", {
        "dossier.yaml": "title: Lieux\nlanguage: fr\n",
        "content/actors/vladivostok.md": place("Vladivostok", VLADIVOSTOK),
        "content/actors/moscou.md": place("Moscou (ville)", MOSCOW),
        "content/actors/russie.md": "---\nname: Russie\nkind: state\ncountry: RU\n---\n",
        "content/articles/a.md": article(title="Troupes", actors="[Russie]", events=(
            '\n  - {date: 2024-10-08, title: "Arrivée à Vladivostok", place: Vladivostok, '
            "actors: [Russie]}"
            '\n  - {date: 2024-10-09, title: "Deuxième arrivée", place: Vladivostok}'
            '\n  - {date: 2024-10-10, title: "Rencontre", place: "Moscou (ville)"}'
            f'\n  - {{date: 2024-10-11, title: "Un point", coordinates: [{POINT[0]}, {POINT[1]}]}}')),
    })


def expected_positions(points, width=880, height=480, pad=36, span=(6.0, 8.0)):
    """The documented projection, written again: equirectangular, scaled by the cosine of
    the middle latitude, fitted to the points with `pad` px around them."""
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    lat0, lon0 = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    c = math.cos(math.radians(lat0))
    k = min((height - 2 * pad) / max(max(lats) - min(lats), span[0]),
            (width - 2 * pad) / (max(max(lons) - min(lons), span[1]) * c))
    return [(width / 2 + (lon - lon0) * c * k, height / 2 - (lat - lat0) * k)
            for lat, lon in points]


def _marks(html: str) -> dict[str, tuple[float, float, float]]:
    """href -> (cx, cy, r) of every mark of the first map in the page."""
    start = html.index('<svg class="map-svg"')
    svg = html[start:html.index("</svg>", start)]
    return {m[1]: (float(m[2]), float(m[3]), float(m[4])) for m in re.finditer(
        r'<a class="mark-link" href="([^"]+)"[^>]*><title>[^<]*</title>'
        r'<circle cx="([\d.-]+)" cy="([\d.-]+)" r="([\d.]+)"', svg)}


def test_the_map_has_a_mark_per_place_at_its_projected_position(tmp_path):
    root = placed_dossier(tmp_path)
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    html = (root / "_site/map/index.html").read_text()
    marks = _marks(html)
    assert set(marks) == {"../actors/vladivostok/index.html", "../actors/moscou-ville/index.html",
                          "../articles/a/index.html"}
    want = dict(zip(["vladivostok", "moscou", "point"],
                    expected_positions([VLADIVOSTOK, MOSCOW, POINT])))
    for href, key in (("../actors/vladivostok/index.html", "vladivostok"),
                      ("../actors/moscou-ville/index.html", "moscou")):
        x, y, _ = marks[href]
        assert abs(x - want[key][0]) <= 0.06 and abs(y - want[key][1]) <= 0.06, (href, x, y)
    # Moscow is west and north of Vladivostok; two events make a bigger mark than one.
    assert marks["../actors/moscou-ville/index.html"][0] < marks["../actors/vladivostok/index.html"][0]
    assert marks["../actors/moscou-ville/index.html"][1] < marks["../actors/vladivostok/index.html"][1]
    assert marks["../actors/vladivostok/index.html"][2] > marks["../actors/moscou-ville/index.html"][2]
    assert "Vladivostok\u00a0: 2\u00a0événements" in html or "Vladivostok : 2 événements" in html
    # The text list: every placed event, under its place.
    places = html[html.index('id="places"'):]
    assert places.count("<li data-events=") == 4 and "Arrivée à Vladivostok" in places
    # Land and coasts only, no request anywhere: nothing but the page's own files.
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert 'class="land" d="M' in svg and 'href="http' not in svg and "<image" not in svg
    # Small maps on the place's page and the article's page; same bytes from a second build.
    assert _marks((root / "_site/actors/vladivostok/index.html").read_text())
    assert len(_marks((root / "_site/articles/a/index.html").read_text())) == 3
    again = tmp_path / "again"
    assert run_cli("build", "--root", str(root), "--output", str(again),
                   "--no-cache").returncode == 0
    assert (again / "map/index.html").read_bytes() == (root / "_site/map/index.html").read_bytes()


@pytest.mark.parametrize("actor, event, message", [
    ("", '{date: 2024-10-08, title: "X", place: Atlantis}',
     "content/articles/a.md:6: unknown place 'Atlantis' (create content/actors/atlantis.md "
     "with 'kind: place' and 'coordinates: [latitude, longitude]'"),
    ("", '{date: 2024-10-08, title: "X", place: Russie}',
     "content/articles/a.md:6: place 'Russie' is Russie, a state, not a place"),
    ("", '{date: 2024-10-08, title: "X", coordinates: [131.8, 43.1]}',
     "content/articles/a.md:6: events.0.coordinates: [131.8, 43.1] is not on Earth (latitude "
     "-90 to 90, longitude -180 to 180) (latitude comes first;"),
    ("---\nname: Port\nkind: place\n---\n", '{date: 2024-10-08, title: "X", place: Port}',
     "content/articles/a.md:6: place 'Port' has no coordinates to map (add 'coordinates: "
     "[latitude, longitude]' to content/actors/port.md, or to the event)"),
    ("---\nname: Port\nkind: person\ncoordinates: [1, 2]\n---\n", "",
     "content/actors/port.md:4: coordinates are for places, territories and regions, not for "
     "a person"),
    ("---\nname: Port\nkind: place\ncoordinates: [1]\n---\n", "",
     "content/actors/port.md:4: coordinates: expected [latitude, longitude]"),
])
def test_places_are_checked_at_their_lines(tmp_path, actor, event, message):
    files = {"content/actors/russie.md": "---\nname: Russie\nkind: state\n---\n",
             "content/articles/a.md": article(events=f"\n  - {event}" if event else "[]")}
    if actor:
        files["content/actors/port.md"] = actor
    root = write_files(tmp_path / "d", files)
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 1 and message in result.stderr, result.stderr


def test_ftm_export_validates_with_followthemoney_and_round_trips_the_ids(tmp_path):
    pytest.importorskip("followthemoney")
    from followthemoney import model
    root = placed_dossier(tmp_path)
    (root / "content/articles/a.md").write_text(article(
        title="Troupes", actors="[Russie]", source="{name: AP, url: 'https://apnews.com/x'}",
        claims='\n  - {by: Russie, status: denied, text: "Aucune troupe", id: aucune-troupe}',
        events='\n  - {date: 2024-10-08, title: "Arrivée", place: Vladivostok, actors: [Russie]}'))
    assert run_cli("build", "--root", str(root)).returncode == 0
    lines = (root / "_site/data/ftm.json").read_text().splitlines()
    entities = [json.loads(line) for line in lines]
    by_id = {e["id"]: e for e in entities}
    assert len(by_id) == len(entities), "ids must be unique"
    for data in entities:
        proxy = model.get_proxy(data, cleaned=False)
        assert proxy.to_dict()["id"] == data["id"]          # the id round-trips
        for name, values in data["properties"].items():
            prop = proxy.schema.get(name)
            assert prop is not None, (data["schema"], name)
            for value in values:
                assert prop.type.clean(value, proxy=proxy) is not None, (name, value)
                if prop.type.name == "entity":               # references resolve, to the range
                    target = model.get(by_id[value]["schema"])
                    assert target.is_a(prop.range), (name, value)
        # Loaded as Aleph loads it (values cleaned), nothing is dropped.
        cleaned = model.get_proxy(data, cleaned=False).to_dict()["properties"]
        assert {p: len(v) for p, v in cleaned.items()} == \
            {p: len(v) for p, v in data["properties"].items()}
    assert by_id["actor-russie"]["schema"] == "PublicBody"
    place = by_id["actor-vladivostok"]
    assert place["schema"] == "Address" and place["properties"]["latitude"] == ["43.10562"]
    event = next(e for e in entities if e["schema"] == "Event")
    assert event["properties"]["addressEntity"] == ["actor-vladivostok"]
    assert event["properties"]["involved"] == ["actor-russie"]
    assert event["properties"]["proof"] == ["article-a"]
    claim = by_id["claim-aucune-troupe"]
    assert claim["schema"] == "Note" and claim["properties"]["entity"] == ["actor-russie"]
    assert claim["properties"]["proof"] == ["article-a"]
    article_entity = by_id["article-a"]
    assert article_entity["properties"]["sourceUrl"] == ["https://apnews.com/x"]
    assert article_entity["properties"]["publisher"] == ["AP"]


def test_texts_link_the_sites_own_pages_from_its_root(tmp_path):
    root = write_files(tmp_path / "d", {
        "content/pages/methode.md": "---\ntitle: Méthode\n---\nVoir la [carte](/map/), la "
                                    "[chronologie](/timeline/) et l'[accueil](/).\n",
        "content/articles/a.md": article(body="La [carte](/carte/)."),
    })
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 1
    assert "content/articles/a.md:6: link to '/carte/' points nowhere" in result.stderr
    assert "/map/" in result.stderr and "/sources/, /print/, /search/)" in result.stderr
    (root / "content/articles/a.md").write_text(article(body="La [carte](/map/)."))
    assert run_cli("build", "--root", str(root)).returncode == 0
    page = (root / "_site/methode/index.html").read_text()
    assert 'href="../map/index.html"' in page and 'href="../timeline/index.html"' in page
    assert 'href="../index.html"' in page
    assert 'href="../../map/index.html"' in (root / "_site/articles/a/index.html").read_text()

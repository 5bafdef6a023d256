"""What the dossier understands: partial dates, sources behind each item, UN provisions and
deadlines, and the pictures drawn from them — asserted on small dossiers."""
import re

from hypothesis import given, settings, strategies as st

from dossier import pictures

from tests.helpers import article, run_cli
from tests.sitecheck import broken_links, links, text

RESOLUTION = """---
symbol: S/RES/2397 (2017)
adopted: 2017-12-22
provisions:
  - id: workers
    text: Repatriate all overseas workers within 24 months
    deadline: 2019-12-22
  - Cut refined oil supply
---
"""
ACTORS = {
    "content/actors/kp.md": "---\nname: Corée du Nord\nkind: state\n---\n",
    "content/actors/ru.md": "---\nname: Russie\nkind: state\n---\n",
    "content/actors/kirby.md": "---\nname: John Kirby\nkind: person\n---\n",
}


def dossier(make_dossier, **extra):
    return make_dossier({
        **ACTORS,
        "content/resolutions/2397.md": RESOLUTION,
        "content/articles/ap.md": article(
            title="AP report", date="2022-11-02", source="{name: AP, url: 'https://ap.example/1'}",
            actors="[Corée du Nord, Russie]",
            events="\n  - {date: 2022-08, id: drones, title: First drones delivered, actors: [Russie]}"
                   "\n  - {date: 2019, title: Workers stay, actors: [Corée du Nord],"
                   " provisions: ['2397#workers']}",
            claims="\n  - {by: John Kirby, about: [Corée du Nord], status: alleged, id: shells,"
                   " text: Shells are shipped, provisions: ['S/RES/2397 (2017)#workers']}"),
        "content/articles/nyt.md": article(
            title="NYT report", date="2022-09-06", source="{name: NYT, url: 'https://nyt.example/1'}",
            actors="[Russie]",
            events="\n  - {date: 2022-08-29, id: drones, title: Drones arrive, actors: [Russie]}",
            claims="\n  - {by: John Kirby, about: [Corée du Nord], status: alleged, id: shells,"
                   " text: The shells are shipped}"),
        **extra,
    }, config="language: fr\n")


def test_partial_dates_show_their_precision_and_the_reporting_gap(make_dossier, build_site):
    site = build_site(dossier(make_dossier))
    page = (site / "articles/ap/index.html").read_text()
    assert '<time datetime="2022-08">août 2022</time>' in page
    assert '<time datetime="2019">2019</time>' in page
    # From the end of August (the event is dated to the month) to 2 November.
    assert "rapporté 2 mois plus tard" in text(site / "articles/ap/index.html")
    timeline = text(site / "timeline/index.html")
    assert timeline.index("2019") < timeline.index("août 2022") < timeline.index("septembre 2022")


def test_bad_partial_date_is_located(make_dossier):
    root = make_dossier({"content/articles/a.md": article(
        events="\n  - {date: 2022-13, title: Never}")})
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 1
    assert "content/articles/a.md:6: events.0.date: '2022-13' has no month 13" in result.stderr


def test_one_event_reported_twice_is_one_entry_with_two_sources(make_dossier, build_site):
    site = build_site(dossier(make_dossier))
    html = (site / "timeline/index.html").read_text().split('<div id="timeline">')[1]
    # The earliest report (NYT, 2022-09-06) names the merged entry.
    assert html.count("Drones arrive") == 1 and "First drones delivered" not in html
    entry = html[html.index("Drones arrive"):].split("</li>")[0]
    assert "../articles/nyt/index.html" in entry and "../articles/ap/index.html" in entry
    assert "2 sources" in entry
    worker = html[html.index("Workers stay"):].split("</li>")[0]
    assert "source unique" in worker


def test_single_sources_are_flagged_by_check_on_request(make_dossier):
    root = dossier(make_dossier)
    assert "rests on one source" not in run_cli("check", "--root", str(root)).stderr
    result = run_cli("check", "--strict-sources", "--root", str(root))
    assert result.returncode == 0
    assert "content/articles/ap.md:8: warning: event 'Workers stay' rests on one source (AP)" \
        in result.stderr
    assert "drones" not in result.stderr.lower()          # two publishers: not flagged
    assert "Shells are shipped" not in result.stderr       # same claim id, two publishers


def test_resolution_page_lists_violations_and_deadlines_reach_the_timeline(make_dossier, build_site):
    site = build_site(dossier(make_dossier))
    page = site / "resolutions/s-res-2397-2017/index.html"
    seen = text(page)
    assert "Violations alléguées" in seen and "Shells are shipped" in seen and "allégué" in seen
    assert "Workers stay" in seen
    assert 'id="provision-workers"' in page.read_text()
    claim = (site / "articles/ap/index.html").read_text()
    assert "../../resolutions/s-res-2397-2017/index.html#provision-workers" in claim
    timeline = (site / "timeline/index.html").read_text()
    deadline = timeline[timeline.index('class="entry deadline"'):].split("</li>")[0]
    assert "22 décembre 2019" in deadline and "Repatriate all overseas workers" in deadline
    assert "../resolutions/s-res-2397-2017/index.html" in deadline
    assert broken_links(site) == []


def test_unknown_provision_is_an_error_listing_the_known_ones(make_dossier):
    root = make_dossier({"content/resolutions/2397.md": RESOLUTION,
                         "content/articles/a.md": article(
                             claims="[{by: X, status: alleged, text: t, provisions: ['2397#oil']}]")})
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 1
    assert "content/articles/a.md:5: S/RES/2397 (2017) has no provision 'oil' " \
           "(its provision ids: workers)" in result.stderr


def marks(svg: str):
    return [(float(x), float(y)) for x, y in re.findall(r'<circle class="mark article" '
                                                         r'cx="([\d.]+)" cy="([\d.]+)"', svg)]


def test_timeline_chart_has_one_linked_mark_per_entry_in_lanes_of_kinds(make_dossier,
                                                                         build_site):
    extra = {f"content/articles/same{i}.md": article(title=f"Same day {i}", date="2022-11-02",
                                                     actors="[Corée du Nord, Russie]")
             for i in range(6)}
    site = build_site(dossier(make_dossier, **extra))
    html = (site / "timeline/index.html").read_text()
    figure = html[html.index('<figure class="chart timeline-chart">'):html.index("</figure>")]
    lanes = re.findall(r'<text class="lane-label"[^>]*>([^<]+)</text>', figure)
    assert lanes == ["Articles", "Événements", "Échéances de l’ONU"]
    titles = re.findall(r"<title>([^<]+)</title>", figure)
    assert sum("Same day 5" in t for t in titles) == 1            # once, whatever its actors
    assert any("2019-12-22" in t for t in titles)
    hrefs = re.findall(r'<a href="([^"]+)" class="mark-link"', figure)
    assert "../articles/same3/index.html" in hrefs
    assert "../resolutions/s-res-2397-2017/index.html" in hrefs
    assert len(hrefs) == html.count('<li class="entry ')            # one mark per list item
    points = marks(figure)
    assert len(points) >= 8
    for i, a in enumerate(points):           # same-day articles are stacked, never hidden
        for b in points[i + 1:]:
            assert abs(a[0] - b[0]) >= 8 or abs(a[1] - b[1]) >= 8, (a, b)
    assert 'class="mark-link" data-actors="coree-du-nord russie"' in figure   # the filter's
    assert "les mêmes éléments sont listés ci-dessous" in text(site / "timeline/index.html")
    assert broken_links(site) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0, 900, allow_nan=False), max_size=120), st.booleans())
def test_marks_go_to_the_lowest_row_where_they_clear_the_last_mark(xs, ordered):
    marks = [(x, i) for i, x in enumerate(sorted(xs) if ordered else xs)]
    placed, count = pictures._stack(marks)
    gap, rows = 2 * pictures.MARK + 1, []          # first fit, as the picture promises
    for (x, i), (px, row, pi) in zip(marks, placed):
        clear = [r for r, edge in enumerate(rows) if x - edge >= gap]
        assert (px, pi) == (x, i) and row == (clear[0] if clear else len(rows))
        rows[row:row + 1] = [x]
    assert count == len(rows)


def _chart(site, page="timeline/index.html") -> str:
    html = (site / page).read_text()
    return html[html.index('<figure class="chart timeline-chart">'):html.index("</figure>")]


def test_the_time_axis_fits_the_dossiers_span(make_dossier, build_site, tmp_path):
    """Three months fill the width with month ticks; twenty years get year ticks; periods
    from dossier.yaml are bands."""
    months = {f"content/articles/m{i}.md": article(title=f"M{i}", date=day)
              for i, day in enumerate(["2024-01-05", "2024-02-14", "2024-03-30"])}
    root = make_dossier(months, config="language: fr\nperiods:\n  - {name: Trêve, start: 2024-02-01, "
                                        "end: 2024-02-20}\n  - {name: Guerre, start: 2024-01-20}\n")
    chart = _chart(build_site(root))
    ticks = re.findall(r'<text class="year"[^>]*>([^<]+)</text>', chart)
    assert ticks == ["févr.", "mars", "avr."], ticks
    xs = [x for x, _ in marks(chart)]
    assert min(xs) < 140 and max(xs) > 820                      # the marks span the width
    assert re.findall(r'<g class="period">.*?<text[^>]*>([^<]+)</text>', chart) == \
        ["Trêve", "Guerre"]
    for x, y in re.findall(r'<text x="([\d.]+)" y="([\d.]+)">', chart):
        assert float(x) < 880                                   # names inside the picture
    years = {f"content/articles/y{i}.md": article(title=f"Y{i}", date=f"{year}-06-01")
             for i, year in enumerate([2006, 2015, 2025])}
    from tests.helpers import write_files
    chart = _chart(build_site(write_files(tmp_path / "years", {
        "dossier.yaml": "title: Années\nlanguage: fr\n", **years})))
    ticks = re.findall(r'<text class="year"[^>]*>([^<]+)</text>', chart)
    assert ticks == [str(y) for y in range(2006, 2025, 2)], ticks       # every 2 years


def test_bad_periods_are_located(make_dossier):
    root = make_dossier({"content/articles/a.md": article()},
                        config="periods:\n  - {name: X, start: 2024-05-01, end: 2024-01-01}\n")
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 1 and "dossier.yaml:1: periods[0] (X) ends before it starts" \
        in result.stderr, result.stderr


def test_network_links_every_actor_and_weights_shared_articles(make_dossier, build_site):
    root = dossier(make_dossier)
    site = build_site(root)
    html = (site / "actors/index.html").read_text()
    svg = html[html.index('<figure class="chart network">'):html.index("</svg>")]
    nodes = re.findall(r'<a href="([^"]+)" class="node', svg)
    assert sorted(nodes) == ["../actors/coree-du-nord/index.html", "../actors/john-kirby/index.html",
                             "../actors/russie/index.html"]
    edges = re.findall(r'<line class="edge"[^>]*stroke-width="([\d.]+)"><title>([^<]+)</title>', svg)
    weights = {title: float(width) for width, title in edges}
    assert sorted(weights) == ["Corée du Nord — John Kirby: 2 articles en commun",
                               "Corée du Nord — Russie: 2 articles en commun",
                               "John Kirby — Russie: 2 articles en commun"]
    assert len(set(weights.values())) == 1                 # equal counts, equal widths
    local = (site / "actors/russie/index.html").read_text()
    assert 'class="node center' in local and "../../actors/coree-du-nord/index.html" in local
    # A neighbourhood's figures are about its actor: a neighbour's articles in common with it,
    # not its own total (which changes with articles that do not name this actor at all).
    figure = local[local.index('<figure class="chart network neighbourhood">'):]
    figure = figure[:figure.index("</figure>")]
    titles = re.findall(r'class="node[^"]*"[^>]*><title>([^<]+)</title>', figure)
    assert sorted(titles) == ["Corée du Nord — 2 articles en commun",
                              "John Kirby — 2 articles en commun", "Russie — 2 articles"]
    assert "Cercle et trait : articles en commun avec Russie." in figure
    before = local
    (root / "content/articles/solo.md").write_text(article(
        title="Solo", source="{name: X, url: 'https://x.example/1'}",
        actors="[Corée du Nord]"), encoding="utf-8")
    assert (build_site(root) / "actors/russie/index.html").read_text() == before
    assert "Corée du Nord — 3 articles<" in (site / "actors/coree-du-nord/index.html").read_text()


def test_printable_dossier_holds_everything_in_order(make_dossier, build_site):
    site = build_site(dossier(make_dossier))
    page = site / "print/index.html"
    seen = text(page)
    order = [seen.index(s) for s in ("Dossier imprimable", "Chronologie", "Acteurs",
                                      "Résolutions de l’ONU", "NYT report", "AP report")]
    assert order == sorted(order)
    assert "https://ap.example/1" in links(page) and "ALLÉGUÉ" in seen.upper()
    assert "print/index.html" in " ".join(links(site / "index.html"))

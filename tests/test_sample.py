"""The repository's own sample dossier: clean under --strict, fully linked, integral."""
from tests.helpers import REPO, run_cli
from dossier.pipeline import build
from tests.sitecheck import broken_links, text


def test_sample_checks_clean_under_strict():
    result = run_cli("check", "--strict")
    assert result.returncode == 0, result.stderr
    assert "0 errors, 0 warnings" in result.stdout


def test_every_internal_link_in_the_sample_resolves(sample_site):
    assert broken_links(sample_site) == []


def test_sample_has_no_stub_pages_and_every_reference_has_its_file():
    result = build(REPO, write_output=False)
    dossier = result.dossier
    assert [a.name for a in dossier.actors.values() if a.path is None] == []
    assert [r.symbol for r in dossier.resolutions.values() if r.path is None] == []


def test_every_article_cites_a_source_url_and_every_claim_is_attributed():
    dossier = build(REPO, write_output=False).dossier
    for article in dossier.articles:
        assert article.source.name and article.source.url.startswith(("http://", "https://")), article.path
    for linked in dossier.claims:
        assert linked.claim.by and linked.claim.status, linked
        assert dossier.by_slug[linked.article].source.url


def test_seed_report_is_the_flagship_article_cleaned_of_scraper_junk(sample_site):
    page = sample_site / "articles/2022-11-02-coree-du-nord-obus-russie/index.html"
    seen = text(page)
    assert "La Corée du Nord expédie secrètement" in seen
    assert "John Kirby" in seen and "Associated Press" in seen
    for junk in ("[ad_1]", "[ad_2]", "Source link"):
        assert junk not in seen


def test_sample_spans_2006_to_2025_and_main_actors_have_rich_pages(sample_site):
    dossier = build(REPO, write_output=False).dossier
    years = {entry.date.year for entry in dossier.timeline}
    assert min(years) == 2006 and max(years) == 2025
    for name in ("coree-du-nord", "russie", "etats-unis", "john-kirby", "iran"):
        assert len(dossier.actor_timeline[name]) >= 5, name
        assert len(list((sample_site / f"actors/{name}/index.html").read_text()
                        .split('class="entry ')[1:])) >= 5
    timeline = text(sample_site / "timeline/index.html")
    assert "2006" in timeline and "2025" in timeline


def test_every_source_is_complete_and_cited():
    dossier = build(REPO, write_output=False).dossier
    assert len(dossier.articles) >= 16
    for article in dossier.articles:
        source = article.source
        # No retrieval dates: the sources were read as stored copies, on days not recorded
        # (issue #18: a date that says otherwise is worse than none).
        assert source.name and source.url and source.language, article.path
        assert article.summary and article.tags and article.actors, article.path
        assert article.events or article.claims, article.path
    for linked in dossier.claims:
        # A claim's own publisher may be named without an address when the article's source
        # relays it (Yonhap quoting KCNA): the article's address is then the one to check.
        source = linked.claim.source if linked.claim.source and linked.claim.source.url \
            else dossier.by_slug[linked.article].source
        assert source.url.startswith(("http://", "https://"))
    # Every publisher the sample cites is described, with its kind (issue #20, part 5).
    assert all(p.kind for p in dossier.publishers.values()), \
        [n for n, p in dossier.publishers.items() if not p.kind]


def _exported(sample_site, table: str) -> list[dict]:
    import json
    return json.loads((sample_site / f"data/{table}.json").read_text(encoding="utf-8"))


def test_the_sample_never_reports_something_before_it_happened(sample_site):
    """Issue #18, the classes of mistakes a fact-check found: no event or claim dated after
    the article that reports it (deadlines are provisions of resolutions, not events)."""
    for event in _exported(sample_site, "events"):
        assert event["date"] <= event["reported"], event      # ISO text: '2022-08' < '2022-08-30'
    for claim in _exported(sample_site, "claims"):
        for step in claim["history"]:
            assert claim["date"] is None or claim["date"] <= step["date"], (claim["id"], step)


def test_every_actor_name_and_alias_in_the_sample_names_one_actor(sample_site):
    from dossier.names import fold
    seen: dict[str, str] = {}
    for actor in _exported(sample_site, "actors"):
        for label in {fold(x) for x in (actor["name"], *actor["aliases"])}:
            assert label not in seen, f"'{label}': {seen.get(label)} and {actor['name']}"
            seen[label] = actor["name"]


def test_every_sample_source_has_an_address_and_no_retrieval_in_the_future(sample_site):
    import datetime
    today = datetime.date.today().isoformat()
    for article in _exported(sample_site, "articles"):
        source = article["source"]
        assert (source["url"] or "").startswith(("http://", "https://")), article["slug"]
        assert source["retrieved"] is None or source["retrieved"] <= today, article["slug"]

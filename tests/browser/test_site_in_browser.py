"""The built sample dossier in a real browser: from file://, and served under a sub-path."""
import pytest

ARTICLE = "articles/2022-11-02-coree-du-nord-obus-russie/index.html"


def test_article_reads_and_links_to_its_actor_from_file_url(page, sample_site):
    page.goto((sample_site / ARTICLE).as_uri())
    assert "La Corée du Nord expédie secrètement" in page.locator("h1").inner_text()
    assert page.locator(".provenance").get_by_text("Associated Press").is_visible()
    page.locator(".chips").get_by_role("link", name="John Kirby").click()
    assert page.locator("h1").inner_text() == "John Kirby"
    assert page.url.endswith("actors/john-kirby/index.html")
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor")
    assert background == "rgb(29, 53, 87)", "the stylesheet did not load"
    assert page.problems == []
    assert page.hosts <= {""}, f"file:// page contacted {page.hosts}"


def test_timeline_filter_shows_only_the_chosen_actor(page, sample_site):
    page.goto((sample_site / "timeline/index.html").as_uri())
    entries = page.locator("li.entry")
    total = entries.count()
    assert total > 3
    page.select_option("#actor-filter", "iran")
    visible = page.locator("li.entry:visible")
    assert 0 < visible.count() < total
    for i in range(visible.count()):
        assert "iran" in visible.nth(i).get_attribute("data-actors").split()
    assert page.url.endswith("#actor=iran")
    page.select_option("#actor-filter", "")
    assert page.locator("li.entry:visible").count() == total
    assert page.problems == []


def test_timeline_is_complete_without_javascript(browser, sample_site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto((sample_site / "timeline/index.html").as_uri())
    assert not page.locator(".timeline-filter").is_visible()
    assert page.locator("li.entry:visible").count() == page.locator("li.entry").count()
    context.close()


@pytest.mark.parametrize("sub_path", ["/", "/sub/path/"])
def test_served_site_has_no_broken_requests(page, sample_site, serve_under, sub_path):
    base = serve_under(sample_site, sub_path)
    for target in ("index.html", ARTICLE, "actors/index.html", "resolutions/index.html",
                   "timeline/index.html", "resolutions/s-res-2397-2017/index.html"):
        page.goto(base + target)
        assert page.locator("h1").count() == 1
    page.goto(base + ARTICLE)
    page.get_by_role("link", name="Chronologie").first.click()
    assert page.url == base + "timeline/index.html"
    assert page.problems == []
    assert page.hosts == {base.split("/")[2]}

"""The offline search, in headless Chromium."""
import re

import pytest
from playwright.sync_api import expect


def search(page, words):
    box = page.locator("#search-input")
    box.click()
    box.fill(words)
    return page.locator("#search-results a")


def test_search_finds_accent_insensitively_from_file_url(page, sample_site):
    page.goto((sample_site / "actors/iran/index.html").as_uri())
    results = search(page, "coree obus")
    results.first.wait_for()
    titles = results.all_inner_texts()
    assert any("expédie secrètement des obus" in t for t in titles), titles
    # Keyboard: down to the first result, Enter follows it.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/(articles|claims)/"))     # a claim's text may match best
    assert page.locator("h1").count() == 1
    assert page.problems == []


def test_search_answers_what_was_typed_while_its_index_was_loading(page, sample_site,
                                                                     serve_under):
    """The index (megabytes for a large dossier) loads when the box gets focus: a reader
    typing at once must still get results."""
    base = serve_under(sample_site, "/")
    held = []
    page.route("**/search-index.js", lambda route: held.append(route))   # kept on its way
    page.goto(base + "timeline/index.html")
    results = search(page, "DPRK")
    page.wait_for_timeout(200)
    assert len(held) == 1 and results.count() == 0
    held[0].continue_()
    results.first.wait_for()
    assert "Corée du Nord" in results.all_inner_texts()
    assert page.problems == []


@pytest.mark.parametrize("sub_path", ["/", "/sub/path/"])
def test_search_works_when_served(page, sample_site, serve_under, sub_path):
    base = serve_under(sample_site, sub_path)
    page.goto(base + "timeline/index.html")
    results = search(page, "DPRK")                         # an English alias
    results.first.wait_for()
    assert "Corée du Nord" in results.all_inner_texts()
    results.filter(has_text="Corée du Nord").first.click()
    assert page.url == base + "actors/coree-du-nord/index.html"
    search(page, "zzzzqqq")
    # The results are updated as the reader types: wait for them, not for a fixed time.
    expect(page.locator("#search-results")).to_have_text("Aucun résultat.")
    assert page.locator("#search-results a").count() == 0
    assert page.problems == []

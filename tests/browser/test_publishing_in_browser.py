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


def test_enter_opens_the_results_page_with_snippets_and_highlighted_words(page, sample_site):
    page.goto((sample_site / "actors/iran/index.html").as_uri())
    results = search(page, "coree obus")
    results.first.wait_for()
    # As you type: titles and snippets with the words found marked, and a way to all results.
    assert page.locator("#search-results mark").count() >= 2
    assert page.locator("#search-results .snippet").count() >= 1
    everything = page.locator("#search-results a.all-results")
    total = int(re.search(r"\((\d+)\)", everything.inner_text()).group(1))
    assert total >= 8
    page.locator("#search-input").press("Enter")                # a GET form, from file:// too
    page.wait_for_url(re.compile(r"/search/index\.html\?q=coree\+obus$"))
    hits = page.locator("#search-page-results > li")
    hits.first.wait_for()
    assert hits.count() == total
    assert page.locator("#search-page-count").inner_text() == f"{total} résultats"
    assert page.locator("#search-page-input").input_value() == "coree obus"
    marked = page.locator("#search-page-results mark").all_inner_texts()
    # Accents and case ignored: "Corée" is marked for "coree", and so is "nord-coréenne" (a
    # word beginning with one searched); nothing else is marked.
    assert "Corée" in marked and "obus" in marked
    assert all(m.lower().replace("é", "e").startswith(("coree", "obus")) for m in marked), marked
    seed = hits.filter(has_text="expédie secrètement des obus")
    assert seed.locator(".snippet mark").count() >= 1           # its text around the words
    seed.locator("a").first.click()
    page.wait_for_url(re.compile(r"/articles/2022-11-02-coree-du-nord-obus-russie/"))
    assert page.problems == []


def test_results_page_speaks_the_dossiers_language_and_says_why_without_script(
        page, browser, english_site):
    page.goto((english_site / "search/index.html").as_uri() + "?q=shells")
    page.locator("#search-page-results > li").first.wait_for()
    assert re.fullmatch(r"\d+ results?", page.locator("#search-page-count").inner_text())
    assert "shells" in [m.lower() for m in page.locator("#search-page-results mark").all_inner_texts()]
    assert page.problems == []
    context = browser.new_context(java_script_enabled=False)
    bare = context.new_page()
    bare.goto((english_site / "search/index.html").as_uri() + "?q=shells")
    assert "needs JavaScript" in bare.locator("main").inner_text()
    assert not bare.locator("#search-page").is_visible()
    bare.locator("main a", has_text="All articles").click()
    assert bare.locator("h1").inner_text() == "All articles"
    context.close()

"""The 404 page at any depth, and the archive and free-standing pages, in Chromium (#19)."""
from __future__ import annotations

from tests.helpers import article, preview_server, write_files


def test_the_404_page_leads_home_from_any_depth_in_the_preview(page, tmp_path):
    root = write_files(tmp_path / "d", {
        "dossier.yaml": "title: Mer Rouge\nlanguage: fr\n",
        "content/pages/a-propos.md": '---\ntitle: "À propos"\n---\nQui nous sommes.\n',
        "content/articles/a.md": article(title="Attaque")})
    with preview_server(root) as server:
        base = f"http://127.0.0.1:{server.port}/"
        response = page.goto(base + "deep/er/still/nowhere.html")
        assert response.status == 404
        page.get_by_role("link", name="Retour à l’accueil").click()
        page.wait_for_url(base + "index.html")
        assert page.locator("h1").inner_text() == "Mer Rouge"
        page.get_by_role("link", name="Articles", exact=True).click()
        page.wait_for_url(base + "articles/index.html")
        assert page.get_by_role("link", name="Attaque").count() == 1
        page.get_by_role("link", name="À propos").click()
        assert page.locator("h1").inner_text() == "À propos"


def test_the_archive_filters_by_publisher_actor_and_tag_and_keeps_the_choice(page, sample_site):
    archive = (sample_site / "articles/index.html").as_uri()
    # What the sources page lists for Yonhap: the filter must show exactly these.
    page.goto((sample_site / "sources/index.html").as_uri())
    listed = page.locator("dt#agence-yonhap + dd li a").all_inner_texts()
    assert len(listed) == 2
    page.goto(archive)
    items = page.locator("ol.archive > li")
    total = items.count()
    page.select_option("select[name=publisher]", "agence-yonhap")
    assert sorted(page.locator("ol.archive > li:visible a").all_inner_texts()) == sorted(listed)
    assert page.locator(".archive-filter output").inner_text() == f"{len(listed)} / {total}"
    page.select_option("select[name=actors]", "kcna")
    shown = page.locator("ol.archive > li:visible")
    assert shown.count() == 1                     # the denial; not the 2019 repatriation
    assert "kcna" in shown.first.get_attribute("data-actors").split()
    # Years left empty are gone from the page and from the list of years.
    for section in page.locator("main section").all():
        assert section.is_visible() == (section.locator("li:visible").count() > 0)
    # The choice is in the address: reloaded (or shared), the page shows the same list.
    assert page.url.endswith("#publisher=agence-yonhap&actors=kcna")
    kept = shown.count()
    page.reload()
    assert page.locator("ol.archive > li:visible").count() == kept
    page.select_option("select[name=publisher]", "")
    page.select_option("select[name=actors]", "")
    page.select_option("select[name=tags]", "troupes")
    for text in page.locator("ol.archive > li:visible").all():
        assert "troupes" in text.get_attribute("data-tags").split()
    page.select_option("select[name=tags]", "")
    assert page.locator("ol.archive > li:visible").count() == total
    assert page.problems == []


def test_the_archive_without_javascript_lists_everything_and_links_the_filtered_lists(
        browser, sample_site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto((sample_site / "articles/index.html").as_uri())
    assert not page.locator(".archive-filter").is_visible()
    assert page.locator("ol.archive > li:visible").count() == 23
    page.locator(".lede a", has_text="source").click()
    assert page.locator("dt#agence-yonhap").is_visible()
    context.close()

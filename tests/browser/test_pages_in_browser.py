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

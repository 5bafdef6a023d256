"""Files with URL characters in their names ('#', '?', '%', accents), followed in Chromium
(issue #17, class 10)."""
from __future__ import annotations

from urllib.parse import quote

from tests.helpers import article, run_cli, write_files


def test_links_to_files_with_url_characters_in_their_names_work(tmp_path, page):
    names = ["rapport #2.txt", "q?.txt", "100%.txt", "carte été.txt"]
    body = "\n".join(f"- [{n}]({quote(n)})" for n in names)     # as a URL is written
    root = write_files(tmp_path / "recu", {
        "dossier.yaml": "title: Reçu\nlanguage: fr\n",
        "content/articles/a.md": article(body=body),
        **{f"content/articles/{n}": f"fichier {n}" for n in names}})
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    start = (root / "_site/articles/a/index.html").as_uri()
    for name in names:
        page.goto(start)
        page.get_by_role("link", name=name, exact=True).click()
        page.wait_for_load_state()
        assert page.inner_text("body").strip() == f"fichier {name}", page.url

"""Free-standing pages (About, Methodology) and the all-articles archive (issue #19, part 6)."""
from __future__ import annotations

import re

from tests.helpers import article, run_cli, write_files

FILES = {
    "dossier.yaml": "title: Mer Rouge\nlanguage: fr\nbase_url: https://example.org/d/\n",
    "content/pages/methode.md": '---\ntitle: "Méthodologie"\nweight: 2\nsummary: "Comment."\n'
                                "---\nLes sources sont citées ; voir [un article]"
                                "(../articles/a.md).\n",
    "content/pages/a-propos.md": '---\ntitle: "À propos"\nweight: 1\n---\nVoir la '
                                 "[méthode](methode.md).\n",
    "content/articles/a.md": article(title="Attaque", body="Voir [la méthode]"
                                     "(../pages/methode.md)."),
    "content/articles/b.md": article(title="Plus ancien", date="2021-03-04",
                                     source="Reuters"),
}


def test_pages_are_built_linked_from_the_footer_and_searchable(tmp_path):
    root = write_files(tmp_path / "d", FILES)
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    site = root / "_site"
    page = (site / "methode/index.html").read_text()
    assert "<h1>Méthodologie</h1>" in page and 'href="../articles/a/index.html"' in page
    assert 'href="../methode/index.html"' in (site / "a-propos/index.html").read_text()
    home = (site / "index.html").read_text()
    footer = re.search(r'<ul class="footer-pages">(.*?)</ul>', home, re.S)[1]
    assert re.findall(r">([^<]+)</a>", footer) == ["À propos", "Méthodologie"]   # by weight
    assert 'href="../../methode/index.html"' in (site / "articles/a/index.html").read_text()
    assert '"u":"methode/index.html"' in (site / "search-index.js").read_text()
    assert "<loc>https://example.org/d/methode/</loc>" in (site / "sitemap.xml").read_text()


def test_a_page_cannot_take_an_address_of_the_site(tmp_path):
    root = write_files(tmp_path / "d", {**FILES, "content/pages/timeline.md":
                                        '---\ntitle: "Chronologie"\n---\nx\n',
                                        "content/pages/autre.md":
                                        '---\ntitle: "Autre"\nslug: a-propos\n---\nx\n'})
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 1
    assert "content/pages/timeline.md:1: the page address timeline/ is taken by the site" \
        in result.stderr
    assert "page address a-propos/ is also used by" in result.stderr

"""Old addresses (`redirect_from`): a renamed file's page is still found at its old address,
and an old address that cannot be one is an error at its line."""
from __future__ import annotations

import re

from tests.helpers import article, run_cli, write_files
from tests.sitecheck import links

BASE = "https://example.org/d/"
FILES = {
    "dossier.yaml": f"title: Dossier\nlanguage: fr\nbase_url: {BASE}\n",
    "content/articles/2022-11-03-livraisons.md": article(
        title="Livraisons d’obus", date="2022-11-03", actors="[Russie]",
        redirect_from="[articles/2022-11-02-livraisons/, /2022/11/livraisons.html, "
                      "articles/ancien-%C3%A9t%C3%A9]"),
    "content/actors/russie.md": "---\nname: Russie\nkind: state\n"
                                "redirect_from:\n  - acteurs/russie/\n---\n",
    "content/resolutions/2397.md": "---\nsymbol: S/RES/2397 (2017)\n"
                                   "redirect_from: resolutions/2397/\n---\n",
    "content/pages/methode.md": "---\ntitle: Méthode\nredirect_from: [methodologie/]\n---\nTexte.\n",
}


def moved_to(site, old: str) -> str:
    """Where the page at an old address sends a reader, resolved from the site's root."""
    page = (site / old).read_text()
    refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', page)[1]
    assert refresh in links(site / old)          # and a link there, for a reader to follow
    target = (site / old).parent.joinpath(refresh).resolve().relative_to(site.resolve())
    return target.as_posix()


def test_a_page_is_found_at_the_addresses_it_had_before(tmp_path):
    root = write_files(tmp_path / "d", FILES)
    result = run_cli("build", "--root", str(root), "--strict")
    assert result.returncode == 0, result.stderr
    site = root / "_site"
    article_page = "articles/2022-11-03-livraisons/index.html"
    assert moved_to(site, "articles/2022-11-02-livraisons/index.html") == article_page
    assert moved_to(site, "2022/11/livraisons.html") == article_page     # another tool's
    assert moved_to(site, "articles/ancien-été/index.html") == article_page   # as asked for
    assert moved_to(site, "acteurs/russie/index.html") == "actors/russie/index.html"
    assert moved_to(site, "resolutions/2397/index.html") == \
        "resolutions/s-res-2397-2017/index.html"
    assert moved_to(site, "methodologie/index.html") == "methode/index.html"
    old = (site / "articles/2022-11-02-livraisons/index.html").read_text()
    # Search engines are told where the page is now, and not to list the old one.
    assert f'<link rel="canonical" href="{BASE}articles/2022-11-03-livraisons/">' in old
    assert '<meta name="robots" content="noindex">' in old
    assert "<title>Page déplacée\u00a0: Livraisons d’obus</title>" in old and 'lang="fr"' in old
    # Not a page of the dossier: not in the sitemap, the search index, or any list.
    for listing in ("sitemap.xml", "search-index.js", "index.html", "articles/index.html"):
        assert "2022-11-02-livraisons" not in (site / listing).read_text()
        assert "acteurs/russie" not in (site / listing).read_text()


def test_an_old_address_that_cannot_be_one_is_an_error_at_its_line(tmp_path):
    """Every such error in one report, with the other content errors; nothing written."""
    root = write_files(tmp_path / "d", {
        **FILES,
        "content/articles/a.md": article(title="A", redirect_from="\n"
                                         "  - https://example.org/ailleurs/\n"
                                         "  - articles/../../etc/\n"
                                         "  - articles/a/\n"
                                         "  - actors/russie/\n"
                                         "  - search-index.js\n"
                                         "  - timeline/\n"
                                         "  - acteurs/russie/"),
        "content/articles/b.md": article(title="", date="2022-11-02")})
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    expected = [
        ("content/articles/a.md:6:", "'https://example.org/ailleurs/' is not the address of "
                                     "a page of this site"),
        ("content/articles/a.md:7:", "'articles/../../etc/' is not the address of a page"),
        ("content/articles/a.md:8:", "articles/a/ is this page's own address"),
        ("content/articles/a.md:9:", "actors/russie/ is the address of a page of the site"),
        ("content/articles/a.md:10:", "'search-index.js' is not the address of a page"),
        ("content/articles/a.md:11:", "timeline/ is the address of a page of the site"),
        ("content/actors/russie.md:5:", "acteurs/russie/ is also redirected to articles/a/ "
                                        "by content/articles/a.md"),
        ("content/articles/b.md:2:", "empty required field 'title'"),
    ]
    for where, what in expected:
        assert any(line.startswith(where) and what in line for line in lines), (where, lines)
    assert not (root / "_site").exists()


def test_an_old_address_follows_edits_in_a_cached_build(tmp_path):
    """Added, moved to another record, taken away: a cached build gives what a clean one
    gives (the property test in test_incremental.py makes such edits at random too)."""
    from tests.helpers import digest
    root = write_files(tmp_path / "d", FILES)
    path = root / "content/articles/2022-11-03-livraisons.md"
    text = path.read_text()
    for step, new in enumerate([
            text.replace("/2022/11/livraisons.html, ", ""),
            text.replace("redirect_from: [", "redirect_from: [acteurs/russie/old/, "),
            re.sub(r"redirect_from: .*\n", "", text)]):
        path.write_text(new)
        assert run_cli("build", "--root", str(root)).returncode == 0
        clean = tmp_path / f"clean{step}"
        assert run_cli("build", "--root", str(root), "--no-cache",
                       "--output", str(clean)).returncode == 0
        assert digest(root / "_site") == digest(clean)
    assert not (root / "_site/2022/11/livraisons.html").exists()
    assert (root / "_site/acteurs/russie/index.html").exists()      # the actor's, still


def test_a_build_that_removes_a_page_says_how_to_keep_its_address(tmp_path):
    """A file renamed: the build says which page of the last build is gone and how to keep
    its address; once kept, nothing is gone and nothing is said, nor by a build after."""
    root = write_files(tmp_path / "d", {**FILES, "content/articles/a.md": article(title="A")})
    assert run_cli("build", "--root", str(root)).returncode == 0
    (root / "content/articles/a.md").rename(root / "content/articles/2022-11-02-a.md")
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0
    assert result.stderr.splitlines()[-2:] == [
        "dossier: note: 1 page of the last build is gone: articles/a/",
        "  if it moved, keep its old address working: 'redirect_from: [articles/a/]' in the "
        "file that has it now"]
    assert not (root / "_site/articles/a").exists()
    (root / "content/articles/2022-11-02-a.md").write_text(
        article(title="A", redirect_from="[articles/a/]"))
    for _ in range(2):
        result = run_cli("build", "--root", str(root))
        assert result.returncode == 0 and "gone" not in result.stderr
        assert moved_to(root / "_site", "articles/a/index.html") == \
            "articles/2022-11-02-a/index.html"


def test_a_claim_whose_text_is_edited_keeps_its_address_with_the_id_the_note_gives(tmp_path):
    """A claim without an id has an address made from its author and text: edited, the
    page moves. The note names the id that keeps it."""
    claim = "[{by: Russie, status: alleged, text: \"Les obus arrivent par train.\"}]"
    root = write_files(tmp_path / "d", {
        **FILES, "content/articles/a.md": article(title="A", claims=claim)})
    assert run_cli("build", "--root", str(root)).returncode == 0
    before = {p.parent.name for p in (root / "_site/claims").glob("*/index.html")}
    (root / "content/articles/a.md").write_text(
        article(title="A", claims=claim.replace("train", "rail")))
    result = run_cli("build", "--root", str(root))
    old = before - {p.parent.name for p in (root / "_site/claims").glob("*/index.html")}
    assert len(old) == 1 and result.returncode == 0
    (old,) = old
    hint = f"  a claim whose text was edited keeps its address with 'id: {old}' (in each " \
           "article that reports it)"
    assert f"dossier: note: 1 page of the last build is gone: claims/{old}/" in result.stderr
    assert hint in result.stderr.splitlines() and "redirect_from" not in result.stderr
    (root / "content/articles/a.md").write_text(article(
        title="A", claims=claim.replace("train", "rail").replace("alleged,", f"alleged, id: {old},")))
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0 and f"claims/{old}/" not in result.stderr   # back again
    assert "par rail" in (root / f"_site/claims/{old}/index.html").read_text()

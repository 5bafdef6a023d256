"""Authoring commands: import a raw clipping, new, init — each ends in a dossier that checks."""
import datetime
import hashlib
import re

import pytest

from dossier.validate import ARTICLE_KEYS, SOURCE_KEYS
from tests.helpers import REPO, run_cli, write_files

SEED = REPO / "tests" / "data" / "seed-clipping.txt"   # the raw report the project grew from
ACTORS = {
    "content/actors/kp.md": "---\nname: Corée du Nord\naliases: [North Korea, Pyongyang, RPDC]\n---\n",
    "content/actors/ru.md": "---\nname: Russie\naliases: [Russia, Moscou, Kremlin]\n---\n",
    "content/actors/us.md": "---\nname: États-Unis\naliases: [Maison Blanche, Washington]\n---\n",
    "content/actors/ir.md": "---\nname: Iran\naliases: [Téhéran]\n---\n",
    "content/actors/kirby.md": "---\nname: John Kirby\n---\n",
    "content/actors/nsc.md": "---\nname: Conseil de sécurité nationale\naliases: [NSC]\n---\n",
    "content/actors/unsc.md": "---\nname: Conseil de sécurité de l’ONU\naliases: [Conseil de sécurité]\n---\n",
    "content/resolutions/1874.md": "---\nsymbol: S/RES/1874 (2009)\n---\n",
}


def imported(root):
    files = sorted((root / "content/articles").glob("*.md"))
    return files, [f.read_text(encoding="utf-8") for f in files]


def test_seed_clipping_imports_to_an_article_that_checks_once_filled(make_dossier):
    root = make_dossier(ACTORS)
    result = run_cli("import", str(SEED), "--root", str(root))
    assert result.returncode == 0, result.stderr
    (path,), (text,) = imported(root)
    assert str(path.name) in result.stdout and "review source.url" in result.stdout
    front, body = text.split("\n---\n", 1)
    for junk in ("[ad_1]", "[ad_2]", "Source link"):
        assert junk not in text
    assert "« nombre important » d’obus" in body                 # typography kept
    assert body.count("\n\n") >= 20 and "\n\n\n" not in body     # one paragraph per line
    actors = re.search(r"^actors: \[(.*)\]", front, re.M).group(1)
    for name in ("Corée du Nord", "Russie", "États-Unis", "Iran", "John Kirby",
                 "Conseil de sécurité nationale"):
        assert name in actors
    assert "Conseil de sécurité de l’ONU" not in actors          # only inside "…nationale"
    assert re.search(r"^resolutions: \[\]", front, re.M)         # none invented
    assert "language: fr" in front and f"retrieved: {datetime.date.today()}" in front

    # An imported clipping is a draft: reported, never blocking, published once reviewed.
    check = run_cli("check", "--root", str(root))
    assert check.returncode == 0, check.stderr
    assert f"{path.relative_to(root)}:6: draft: source.name is still TODO" in check.stderr
    check = run_cli("check", "--drafts", "--root", str(root))
    assert check.returncode == 1
    assert f"{path.relative_to(root)}:6: source.name is still TODO" in check.stderr
    assert f"{path.relative_to(root)}:7: source.url is still TODO" in check.stderr
    path.write_text(text.replace("name: TODO", "name: Associated Press").replace(
        "url: TODO", "url: https://example.org/ap").replace("\ndraft: true", "\n"),
        encoding="utf-8")
    assert run_cli("check", "--strict", "--root", str(root)).returncode == 0
    assert run_cli("build", "--root", str(root)).returncode == 0
    page = next((root / "_site/articles").glob("*/index.html")).read_text()
    assert "Kirby" in page and "ad_1" not in page


def test_html_clipping_keeps_metadata_and_drops_scripts(make_dossier, tmp_path):
    root = make_dossier(ACTORS)
    clip = tmp_path / "clip.html"
    clip.write_text("""<!doctype html><html><head><title>Ignored</title>
      <meta property="og:title" content="Russia buys shells from North Korea">
      <meta property="og:site_name" content="Axios">
      <link rel="canonical" href="https://www.axios.com/2022/09/06/russia-north-korea">
      <meta property="article:published_time" content="2022-09-06T12:00:00Z">
      <script>alert('head')</script></head><body><nav>Menu</nav><article>
      <h1>Russia buys shells</h1><p>Officials say <b>Russia</b> buys from North Korea,
      which resolution 1874 forbids.</p><script>document.write('pwned')</script>
      <p onclick="alert(1)">Share this:</p><img src=x onerror="alert(2)"></article></body></html>""")
    assert run_cli("import", str(clip), "--root", str(root)).returncode == 0
    (path,), (text,) = imported(root)
    assert path.name == "2022-09-06-russia-buys-shells-from-north-korea.md"
    assert "name: Axios" in text and "url: https://www.axios.com/2022/09/06/russia-north-korea" in text
    assert "**Russia**" in text and "language: en" in text
    assert "resolutions: [S/RES/1874 (2009)]" in text
    assert "Corée du Nord" in text and "Russie" in text
    for bad in ("alert", "pwned", "onclick", "onerror", "<script"):
        assert bad not in text
    assert run_cli("check", "--strict", "--root", str(root)).returncode == 0


def test_standard_input_and_name_collisions(make_dossier):
    root = make_dossier(ACTORS)
    clipping = "Le 2 novembre 2022, Washington accuse Pyongyang.\nDeuxième paragraphe.\n"
    for _ in range(2):
        assert run_cli("import", "-", "--root", str(root), stdin=clipping).returncode == 0
    files, texts = imported(root)
    assert [f.name for f in files] == ["2022-11-02-le-2-novembre-2022-washington-accuse-pyongyang-2.md",
                                       "2022-11-02-le-2-novembre-2022-washington-accuse-pyongyang.md"]
    same = [re.sub(r"clipping: \S+", "clipping: …", text) for text in texts]
    assert same[0] == same[1]                       # but for the name of the kept original
    assert sorted(p.relative_to(root).parts[0:2] for p in root.rglob("*.md")
                  if "articles" in p.parts) == [("content", "articles")] * 2


def test_missing_input_is_a_usage_error(make_dossier):
    root = make_dossier(ACTORS)
    assert run_cli("import", "nope.txt", "--root", str(root)).returncode == 2
    assert not (root / "content/articles").exists() or not any((root / "content/articles").iterdir())


def test_new_writes_a_commented_skeleton_that_check_reports(make_dossier):
    root = make_dossier(ACTORS)
    result = run_cli("new", "Titre de l’article", "--root", str(root))
    assert result.returncode == 0
    (path,), (text,) = imported(root)
    assert path.name == f"{datetime.date.today()}-titre-de-l-article.md"
    # Every field an article takes is shown (the validator's list: a field added there and
    # not here fails), each at the start of a line, commented out or not.
    shown = set(re.findall(r"^[ #]*([a-z_0-9]+):", text, re.MULTILINE))
    assert set(ARTICLE_KEYS) | set(SOURCE_KEYS) <= shown
    assert "\ndraft: true" in text
    check = run_cli("check", "--root", str(root))      # a draft: reported, never blocking
    assert check.returncode == 0 and "draft: source.name is still TODO" in check.stderr
    assert run_cli("check", "--drafts", "--root", str(root)).returncode == 1
    assert run_cli("new", "Titre de l’article", "--root", str(root)).returncode == 0
    assert len(imported(root)[0]) == 2                             # never overwritten


@pytest.mark.parametrize("language, example, actor", [
    ("fr", "Article d’exemple", "actors/etat-d-exemple/index.html"),
    ("en", "Example article", "actors/example-state/index.html")])
def test_init_creates_a_dossier_in_its_language_that_builds_and_checks_clean(
        tmp_path, language, example, actor):
    folder = tmp_path / "mon-dossier"
    result = run_cli("init", str(folder), "--language", language)
    assert result.returncode == 0, result.stderr
    assert run_cli("check", "--strict", "--root", str(folder)).returncode == 0
    assert run_cli("build", "--strict", "--root", str(folder)).returncode == 0
    home = (folder / "_site/index.html").read_text()
    assert f'lang="{language}"' in home and example in home
    assert (folder / "_site" / actor).is_file()
    if language == "fr":
        assert "Example" not in "".join(p.read_text() for p in folder.rglob("*.md"))
    assert run_cli("init", str(folder)).returncode == 2            # not empty: refused


def test_new_takes_the_originals_date_and_cuts_long_titles_between_words(make_dossier):
    root = make_dossier(ACTORS)
    title = "Houthi rebels claim an attack on the container ship Maersk Gibraltar in the Red Sea"
    result = run_cli("new", title, "--date", "2023-12-14", "--root", str(root))
    assert result.returncode == 0, result.stderr
    (path,), (text,) = imported(root)
    assert path.name == "2023-12-14-houthi-rebels-claim-an-attack-on-the-container-ship-maersk.md"
    assert "\ndate: 2023-12-14" in text
    assert f"retrieved: {datetime.date.today()}" in text
    bad = run_cli("new", "Titre", "--date", "14/12/2023", "--root", str(root))
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_import_keeps_the_original_as_received_and_check_guards_it(tmp_path):
    """Issue #20, part 4: the clipping's bytes, kept as inert text, with their SHA-256."""
    root = write_files(tmp_path / "d", {"dossier.yaml": "title: D\nlanguage: fr\n",
                                        "content/articles/.keep": ""})
    html = ('<!doctype html><html><head><title>Navire saisi</title></head><body>'
            '<p>Texte <script>alert(1)</script> reçu.</p></body></html>').encode("latin-1",
                                                                                 "replace")
    clipping = tmp_path / "page.html"
    clipping.write_bytes(html)
    assert run_cli("import", str(clipping), "--root", str(root)).returncode == 0
    [kept] = (root / "content/clippings").iterdir()
    assert kept.name.endswith(".html.txt") and kept.read_bytes() == html
    [article] = (root / "content/articles").glob("*.md")
    text = article.read_text()
    assert f"clipping: ../clippings/{kept.name}" in text
    assert hashlib.sha256(html).hexdigest() in text
    article.write_text(text.replace("draft: true", "draft: false").replace(
        "name: TODO", "name: Site").replace("url: TODO", "url: https://example.org/a"))
    built = run_cli("build", "--root", str(root))
    assert built.returncode == 0, built.stderr
    page = next((root / "_site/articles").glob("*/index.html")).read_text()
    assert f'href="../../clippings/{kept.name}" type="text/plain"' in page
    assert (root / "_site/clippings" / kept.name).read_bytes() == html   # served as .txt
    kept.write_bytes(html.replace(b"saisi", b"libre"))                   # altered later
    checked = run_cli("check", "--root", str(root))
    assert checked.returncode == 1
    line = next(i for i, l in enumerate(article.read_text().splitlines(), 1)
                if l.strip().startswith("clipping:"))
    assert f"{article.name}:{line}: clipping '../clippings/{kept.name}' no longer matches " \
           "its sha256" in checked.stderr, checked.stderr

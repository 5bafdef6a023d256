"""Building tiny dossiers: pages, cross-links, resolution of names, what a reader sees."""

import itertools
import re

import markdown

from dossier.markup import EXTENSION_CONFIGS, EXTENSIONS, Markup
from tests.helpers import article
from tests.sitecheck import broken_links, links, parse, text

ACTORS = {
    "content/actors/coree-du-nord.md": """
        ---
        name: Corée du Nord
        aliases: [North Korea, RPDC, Pyongyang]
        kind: state
        country: KP
        ---
        Prose about **Pyongyang**.
        """,
    "content/actors/russie.md": "---\nname: Russie\naliases: [Moscou, Kremlin]\nkind: state\n---\n",
    "content/resolutions/s-res-2397-2017.md": """
        ---
        symbol: S/RES/2397 (2017)
        body: Conseil de sécurité
        adopted: 2017-12-22
        url: https://undocs.org/S/RES/2397(2017)
        provisions:
          - text: Rapatriement des travailleurs
            deadline: 2019-12-22
        ---
        """,
}


def crosslinked(make_dossier):
    return make_dossier({
        **ACTORS,
        "content/articles/shells.md": article(
            title="Obus", date="2022-11-02", actors="[coree du NORD, Moscou, John Kirby]",
            resolutions='[2397, "UNSCR 2397", "S/RES/2397 (2017)", "A/RES/ES-11/1"]',
            tags="[munitions]",
            source="{name: Associated Press, url: 'https://example.org/ap', author: A. M., "
                   "language: en, archived: 'https://web.archive.org/x', retrieved: 2022-11-03}",
            claims="[{by: John Kirby, about: [RPDC], status: alleged, text: Shells are shipped}]",
            events="[{date: 2022-07-13, title: Recognition of DPR and LPR, actors: [Pyongyang]}]",
            body="See [the purchase](purchase.md#provenance) and [Russia](../actors/russie.md)."),
        "content/articles/purchase.md": article(title="Achat", date="2022-09-06",
                                                actors="[Russie, North Korea]"),
        "content/articles/older.md": article(title="Ancien", date="2006-10-14",
                                             actors="[Pyongyang]"),
    }, config="language: fr\ntitle: Test dossier\n")


def test_every_page_type_is_written_and_cross_linked(make_dossier, build_site):
    site = build_site(crosslinked(make_dossier))
    for page in ["index.html", "404.html", "timeline/index.html", "actors/index.html",
                 "resolutions/index.html", "tags/index.html", "tags/munitions/index.html",
                 "articles/shells/index.html", "actors/coree-du-nord/index.html",
                 "resolutions/s-res-2397-2017/index.html", "static/style.css"]:
        assert (site / page).is_file(), page
    shells = site / "articles/shells/index.html"
    assert "../../actors/coree-du-nord/index.html" in links(shells)
    assert "../../actors/russie/index.html" in links(shells)
    assert "../../resolutions/s-res-2397-2017/index.html" in links(shells)
    assert "../../articles/purchase/index.html#provenance" in links(shells)  # Markdown link to a .md file
    assert broken_links(site) == []


def test_aliases_and_accents_resolve_to_one_actor_page(make_dossier, build_site):
    site = build_site(crosslinked(make_dossier))
    page = site / "actors/coree-du-nord/index.html"
    seen = text(page)
    for title in ("Obus", "Achat", "Ancien", "Recognition of DPR and LPR"):
        assert title in seen
    assert "North Korea" in seen and "Prose about Pyongyang" in seen
    assert not (site / "actors/pyongyang").exists()
    assert not (site / "actors/north-korea").exists()


def test_resolution_references_normalise_to_one_page(make_dossier, build_site):
    site = build_site(crosslinked(make_dossier))
    pages = sorted(p.name for p in (site / "resolutions").iterdir() if p.is_dir())
    assert pages == ["a-res-es-11-1", "s-res-2397-2017"]
    page = text(site / "resolutions/s-res-2397-2017/index.html")
    assert "22 décembre 2017" in page and "Rapatriement des travailleurs" in page
    assert "22 décembre 2019" in page and "Obus" in page
    assert "https://undocs.org/S/RES/2397(2017)" in links(site / "resolutions/s-res-2397-2017/index.html")


def test_unknown_actor_and_resolution_get_stub_pages(make_dossier, build_site):
    site = build_site(crosslinked(make_dossier))
    assert "Obus" in text(site / "actors/john-kirby/index.html")
    assert "A/RES/ES-11/1" in text(site / "resolutions/a-res-es-11-1/index.html")


def test_article_page_shows_provenance_claims_events_and_neighbours(make_dossier, build_site):
    site = build_site(crosslinked(make_dossier))
    page = site / "articles/shells/index.html"
    seen = text(page)
    for fact in ("Associated Press", "A. M.", "anglais", "3 novembre 2022", "Shells are shipped",
                 "allégué", "13 juillet 2022", "Recognition of DPR and LPR", "Articles liés"):
        assert fact in seen, fact
    assert "https://web.archive.org/x" in links(page)
    assert "../../articles/purchase/index.html" in links(page)              # previous by date
    older = site / "articles/older/index.html"
    assert "../../articles/purchase/index.html" in links(older)             # next by date
    assert parse(page).ids >= {"provenance"}


def test_related_articles_share_the_most_actors_then_are_nearest_in_date(make_dossier,
                                                                         build_site):
    """By days, not by places in the list of articles: a story two years away is not
    "nearer" because nothing was collected in between."""
    site = build_site(make_dossier({**ACTORS, **{
        f"content/articles/{slug}.md": article(title=title, date=date, actors=actors)
        for slug, title, date, actors in [
            ("here", "Ici", "2022-06-01", "[Russie, RPDC]"),
            ("both-far", "Les deux, loin", "2019-01-01", "[Russie, RPDC]"),
            ("both-near", "Les deux, près", "2022-05-20", "[Russie, RPDC]"),
            ("one-near", "Un seul, près", "2022-06-02", "[Russie]"),
            ("one-earlier", "Un seul, plus tôt", "2022-04-15", "[RPDC]"),   # 47 days
            ("one-later", "Un seul, plus tard", "2022-07-01", "[Russie]"),   # 30 days
            *[(f"other-{d}", "Autre", f"2022-06-{d}", "[John Kirby]") for d in (10, 15, 20)]
        ]}}))
    html = (site / "articles/here/index.html").read_text(encoding="utf-8")
    section = html[html.index('aria-labelledby="related-h"'):]
    section = section[:section.index("</section>")]
    titles = re.findall(r'<a class="title" href="[^"]*">([^<]*)</a>', section)
    assert titles == ["Les deux, près", "Les deux, loin", "Un seul, près", "Un seul, plus tard",
                      "Un seul, plus tôt"]


def test_actor_page_lists_co_actors_with_counts_and_claims(make_dossier, build_site):
    site = build_site(crosslinked(make_dossier))
    page = site / "actors/russie/index.html"
    html = page.read_text()
    assert 'href="../../actors/coree-du-nord/index.html"' in html
    assert 'title="2 articles en commun"' in html
    kirby = text(site / "actors/john-kirby/index.html")
    assert "Affirmations faites" in kirby and "Shells are shipped" in kirby
    assert "Affirmations le concernant" in text(site / "actors/coree-du-nord/index.html")


def test_timeline_groups_by_year_and_month_and_filters_by_actor(make_dossier, build_site):
    site = build_site(crosslinked(make_dossier))
    page = site / "timeline/index.html"
    seen = text(page)
    assert seen.index("2006") < seen.index("juillet 2022") < seen.index("novembre 2022")
    html = page.read_text()
    assert 'data-actors="coree-du-nord russie john-kirby"' in html
    assert '<option value="coree-du-nord">' in html


def test_english_dossier_gets_english_interface(make_dossier, build_site):
    root = make_dossier({"content/articles/a.md": article(title="A", date="2022-11-02")},
                        config="language: en\n")
    site = build_site(root)
    page = site / "articles/a/index.html"
    assert '<html lang="en">' in page.read_text()
    assert "November 2, 2022" in text(page) and "Timeline" in text(page)


def test_site_theme_overrides_templates_file_by_file(make_dossier, build_site):
    root = make_dossier({
        "content/articles/a.md": article(title="A"),
        "theme/templates/404.html": "{% extends 'base.html' %}{% block main %}Custom 404{% endblock %}",
        "theme/static/extra.css": "body{}",
    })
    site = build_site(root)
    assert "Custom 404" in text(site / "404.html")
    assert "Un titre" not in text(site / "404.html")
    assert (site / "static/extra.css").is_file() and (site / "static/style.css").is_file()
    assert "A" in text(site / "articles/a/index.html")


def test_compiled_templates_follow_template_edits_and_need_no_writable_cache(
        make_dossier, build_site, tmp_path, monkeypatch):
    """Compiled templates are kept in the user's cache folder (XDG_CACHE_HOME) between
    builds: an edited template is compiled again, and a cache folder that cannot be made
    only costs time."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = make_dossier({
        "content/articles/a.md": article(title="A"),
        "theme/templates/404.html": "{% extends 'base.html' %}{% block main %}First{% endblock %}",
    })
    assert "First" in text(build_site(root) / "404.html")
    assert list((tmp_path / "cache/dossier").glob("sandboxed*/*"))    # a theme of its own
    (root / "theme/templates/404.html").write_text(
        "{% extends 'base.html' %}{% block main %}Second{% endblock %}")
    assert "Second" in text(build_site(root) / "404.html")
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    assert "Second" in text(build_site(root) / "404.html")


def test_drafts_are_left_out_unless_asked(make_dossier, build_site):
    root = make_dossier({"content/articles/a.md": article(title="Brouillon", draft="true")})
    assert not (build_site(root) / "articles/a").exists()
    assert (build_site(root, drafts=True) / "articles/a/index.html").is_file()


def test_images_and_files_beside_articles_are_copied_and_linked(make_dossier, build_site):
    root = make_dossier({
        "content/articles/a.md": article(body="![Carte](carte.png) [PDF](docs/rapport.pdf)"),
        "content/articles/carte.png": b"\x89PNG fake",
        "content/articles/docs/rapport.pdf": b"%PDF fake",
    })
    site = build_site(root)
    page = site / "articles/a/index.html"
    assert "../../articles/carte.png" in links(page, "img")
    assert "../../articles/docs/rapport.pdf" in links(page)
    assert (site / "articles/carte.png").read_bytes() == b"\x89PNG fake"
    assert broken_links(site) == []


def test_markdown_extensions_and_highlighting(make_dossier, build_site):
    body = ("[TOC]\n\n## Partie\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nNote[^1].\n\n"
            "[^1]: Une note.\n\n```python\ndef f():\n    return 1\n```\n")
    site = build_site(make_dossier({"content/articles/a.md": article(body=body)}))
    html = (site / "articles/a/index.html").read_text()
    assert '<div class="toc">' in html and 'id="partie"' in html
    assert "<table>" in html and 'class="footnote"' in html
    assert '<div class="highlight"><pre>' in html and '<span class="k">def</span>' in html
    assert ".highlight .k" in (site / "static/pygments.css").read_text()
    assert broken_links(site) == []


def test_each_text_gets_exactly_the_html_of_every_extension_enabled():
    """Texts are converted without the extensions and inline patterns whose syntax they
    lack (faster): any mix of the syntaxes gives the HTML that the converter with every
    extension gives."""
    pieces = ["# Titre\n\nTexte *em* **fort** `code`.", "_souligné_ __fort__ \\*pas\\* 2 * 3",
              "[lien](https://example.org) [réf][r] [r]\n\n[r]: https://example.org",
              "![image](a.png) ![réf][i] ![i]\n\n[i]: b.png", "Image !\x02[alt](a.png)",
              "<https://example.org> <nom@example.org> <b>gras</b> &amp; &#233; <!-- x -->",
              "fin  \nligne", "tab\t\nligne", "fin  \r\nligne", "dernière  ",
              "| a | b |\n|---|---|\n| 1 | 2 |",
              "Note[^1].\n\n[^1]: La note.", "```python\nprint('x')\n```", "~~~\ncode\n~~~",
              "Para {: .cls }\n\n## Titre {#ici}", "*[ONU]: Nations unies\n\nL'ONU dit.",
              "Terme\n:   Définition", "[TOC]\n\n## A\n\n## B", "    code indenté",
              "1. un\n2. deux\n\n- a\n- b", "Heure : 10:30 | barre",
              "> Citation\n> suite", "- point\n\n    > cité dans une liste", "Avant\n\n---",
              "* * *", "_ _ _", "Titre\n=====", "Sous-titre\n---", "a - b - c", "C# #1", "AT&T &amp &copy; 1 < 2",
              "<div class=\"encadré\">\n*pas* de Markdown\n</div>", "<!-- note -->\n\nSuite", "Note[\x02^2].\n\n[\x02^2]: Jointe.",
              "Terme\r:   Définition", "Voir [lien].\n\n[lien]\x02: https://example.org"]
    markup = Markup()
    everything = {toc: markdown.Markdown(extensions=EXTENSIONS, extension_configs={
        **EXTENSION_CONFIGS, "toc": {**EXTENSION_CONFIGS["toc"], "marker": toc}})
        for toc in ("[TOC]", "")}
    for count in (1, 2):
        for mix in itertools.permutations(pieces, count):
            text = "\n\n".join(mix)
            expected = everything["[TOC]" if "[TOC]" in text else ""]
            assert markup._converter(text).reset().convert(text) == \
                expected.reset().convert(text), text
    assert len(markup._converters) > 10             # texts did get different converters


def test_a_page_works_from_any_depth_with_relative_links_only(make_dossier, build_site):
    site = build_site(crosslinked(make_dossier))
    for page in site.rglob("*.html"):
        for url in links(page) + links(page, "link") + links(page, "script"):
            # The 404 page is served at any depth: its links start at the host's root.
            assert not url.startswith("/") or page.name == "404.html", f"{page}: {url}"
            if not url.startswith(("http", "#", "mailto:")):
                path = url.split("#")[0].split("?")[0]
                assert path.endswith((".html", ".css", ".js", ".svg", ".json")), url


def test_a_theme_bug_is_reported_at_its_template_line(make_dossier):
    from tests.helpers import run_cli
    root = make_dossier({"content/articles/a.md": article(tags="[x]"),
                         "theme/templates/tag.html": "{% extends 'base.html' %}\n"
                                                     "{% block main %}{{ nothing.x }}{% endblock %}"})
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert re.search(r"theme/templates/tag\.html:2: template error: UndefinedError", result.stderr), \
        result.stderr

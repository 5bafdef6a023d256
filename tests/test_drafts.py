"""Drafts never block: collect now, verify later (issue #16, first part)."""
from __future__ import annotations

import json
import urllib.request

from tests.helpers import article, digest, preview_server, run_cli, write_files

DRAFT = """---
title: "Un brouillon"
date: 2024-03-01
source:
  name: TODO
  url: TODO
actors: [Houthis]
draft: true
---
Voir [la suite](absent.md).
"""
FILES = {
    "dossier.yaml": "title: Dossier\nlanguage: fr\n",
    "content/articles/publie.md": article(title="Publié", actors="[Houthis]"),
    "content/articles/brouillon.md": DRAFT,
    "content/actors/houthis.md": "---\nname: Houthis\nkind: armed-group\n---\n",
}


def _dossier(tmp_path):
    return write_files(tmp_path / "dossier", FILES)


def test_a_draft_with_problems_never_blocks_the_build(tmp_path):
    root = _dossier(tmp_path)
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert "content/articles/brouillon.md:5: draft: source.name is still TODO" in result.stderr
    assert "content/articles/brouillon.md:10: draft: link to 'absent.md'" not in result.stderr
    assert "in drafts (not published)" in result.stdout
    assert (root / "_site/articles/publie/index.html").is_file()
    assert not (root / "_site/articles/brouillon").exists()


def test_strict_does_not_make_a_draft_block_either(tmp_path):
    root = _dossier(tmp_path)
    assert run_cli("build", "--root", str(root), "--strict").returncode == 0


def test_drafts_problems_are_errors_when_drafts_are_published_or_checked(tmp_path):
    root = _dossier(tmp_path)
    built = run_cli("build", "--root", str(root), "--drafts")
    assert built.returncode == 1
    assert "content/articles/brouillon.md:5: source.name is still TODO" in built.stderr
    assert run_cli("check", "--root", str(root)).returncode == 0
    checked = run_cli("check", "--root", str(root), "--drafts")
    assert checked.returncode == 1 and "brouillon.md:5: source.name is still TODO" in \
        checked.stderr


def test_an_imported_clipping_is_a_draft_until_reviewed(tmp_path):
    root = write_files(tmp_path / "dossier", {k: v for k, v in FILES.items()
                                              if "brouillon" not in k})
    clipping = tmp_path / "clip.txt"
    clipping.write_text("Les Houthis ont revendiqué une attaque en mer Rouge.\n\n"
                        "Le navire a été touché au large du Yémen.\n", encoding="utf-8")
    imported = run_cli("import", "--root", str(root), str(clipping))
    assert imported.returncode == 0, imported.stderr
    assert "a draft: not published until you remove 'draft: true'" in imported.stdout
    written = [p for p in (root / "content/articles").glob("*.md") if p.name != "publie.md"]
    assert len(written) == 1 and "\ndraft: true" in written[0].read_text(encoding="utf-8")
    built = run_cli("build", "--root", str(root))
    assert built.returncode == 0, built.stderr
    assert not (root / f"_site/articles/{written[0].stem}").exists()


def test_the_preview_shows_drafts_with_a_banner_and_their_problems_as_warnings(tmp_path):
    root = _dossier(tmp_path)
    with preview_server(root) as server:
        with urllib.request.urlopen(server.url + "articles/brouillon/index.html") as response:
            page = response.read().decode()
        with urllib.request.urlopen(server.url + "__dossier__/status") as response:
            status = json.loads(response.read())
    assert 'class="notice draft"' in page and "Brouillon non publié" in page
    assert status["errors"] == []
    assert any("brouillon.md:10: draft: link to 'absent.md' points nowhere" in w
               for w in status["warnings"])
    assert 'id="dossier-build-warnings"' in page and "brouillon.md:5: draft:" in page


def test_a_draft_stays_a_draft_in_builds_that_read_back_the_last_ones_state(tmp_path):
    """A cached build reads back the records of unchanged files, not their front matter
    (load.Unparsed): a draft is still known as one, and a setting that makes every record
    again (the site's language) reads the front matter from the files again."""
    from tests.helpers import digest
    root = _dossier(tmp_path)
    (root / "content/articles/autre.md").write_text(article(title="Autre", body="Un."))
    assert run_cli("build", "--root", str(root)).returncode == 0
    (root / "content/articles/autre.md").write_text(article(title="Autre", body="Deux."))
    again = run_cli("build", "--root", str(root))
    assert again.returncode == 0, again.stderr
    assert "content/articles/brouillon.md:5: draft: source.name is still TODO" in again.stderr
    (root / "dossier.yaml").write_text("title: Dossier\nlanguage: en\n")
    english = run_cli("build", "--root", str(root))
    assert english.returncode == 0, english.stderr
    assert not (root / "_site/articles/brouillon").exists()
    clean = run_cli("build", "--root", str(root), "--no-cache", "--output",
                    str(tmp_path / "clean"))
    assert clean.returncode == 0, clean.stderr
    assert digest(root / "_site") == digest(tmp_path / "clean")
    assert english.stderr == clean.stderr


def test_a_link_to_a_draft_is_text_and_a_warning_until_the_draft_is_published(tmp_path):
    """A draft never blocks a build, not even through a published article that links to it
    before it is ready: the link is shown as text, and made once the draft is published."""
    later = article(title="La suite", draft="true")
    root = write_files(tmp_path / "dossier", {
        **FILES, "content/articles/suite.md": later,
        "content/articles/publie.md": article(title="Publié", body="Voir [la suite](suite.md).")})
    page = root / "_site/articles/publie/index.html"
    for published, drafted in ((False, later), (True, article(title="La suite")),
                               (False, later)):
        write_files(root, {"content/articles/suite.md": drafted})
        built = run_cli("build", "--root", str(root))
        assert built.returncode == 0, built.stderr
        warned = "content/articles/publie.md:6: warning: link to 'suite.md', a draft: not " \
                 "published, so the link is shown as text" in built.stderr
        assert warned is not published and "points nowhere" not in built.stderr
        shown = page.read_text()
        assert ">la suite</a>" in shown
        assert ('href="../../articles/suite/index.html"' in shown) is published
        clean = run_cli("build", "--root", str(root), "--no-cache", "--output",
                        str(tmp_path / "clean"))
        assert clean.returncode == 0, clean.stderr
        assert digest(root / "_site") == digest(tmp_path / "clean"), "cached build differs"

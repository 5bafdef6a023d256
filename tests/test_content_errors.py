"""Every content problem is a content error at its PATH:LINE, never a template error."""
from __future__ import annotations

from tests.helpers import article, run_cli, write_files


def test_an_unknown_actor_kind_is_an_error_at_the_actor_with_the_known_kinds(tmp_path):
    root = write_files(tmp_path / "dossier", {
        "dossier.yaml": "title: Mer Rouge\nlanguage: en\n",
        "content/articles/a.md": article(title="Attack", actors="[Houthis, Coalition]"),
        "content/actors/houthis.md": "---\nname: Houthis\nkind: armed-group\n---\n",
        "content/actors/coalition.md": "---\nname: Coalition\nkind: coalition\n---\n",
    })
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 1
    assert "content/actors/coalition.md:3: kind 'coalition' is not a known actor kind" in \
        result.stderr
    assert "vessel" in result.stderr and "template error" not in result.stderr


def test_a_near_miss_of_a_kind_suggests_it_and_vessel_is_a_kind(tmp_path):
    root = write_files(tmp_path / "dossier", {
        "dossier.yaml": "title: Mer Rouge\nlanguage: fr\n",
        "content/articles/a.md": article(title="Attaque", actors="[Galaxy Leader, Maersk]"),
        "content/actors/galaxy.md": "---\nname: Galaxy Leader\nkind: vessel\n---\n",
        "content/actors/maersk.md": "---\nname: Maersk\nkind: organisation\n---\n",
    })
    result = run_cli("build", "--root", str(root))
    assert "maersk.md:3: kind 'organisation' is not a known actor kind (did you mean " \
           "'organization'?)" in result.stderr
    (root / "content/actors/maersk.md").write_text("---\nname: Maersk\nkind: company\n---\n")
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert "Navires" in (root / "_site/actors/galaxy-leader/index.html").read_text()


def test_an_articles_events_are_shown_oldest_first(tmp_path):
    events = ('\n  - {date: 2024-03-02, title: "Troisième"}\n  - {date: 2024-01, title: '
              '"Premier"}\n  - {date: 2024-02-10, title: "Deuxième"}')
    root = write_files(tmp_path / "dossier", {
        "dossier.yaml": "title: Dossier\nlanguage: fr\n",
        "content/articles/a.md": article(title="Chronologie", date="2024-03-05",
                                         events=events)})
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    page = (root / "_site/articles/a/index.html").read_text()
    positions = [page.index(word) for word in ("Premier", "Deuxième", "Troisième")]
    assert positions == sorted(positions)


WAVES = """---
title: "Attaque"
date: 2024-13-45
source: Reuters
actors: [Hoothis]
events:
  - title: "Sans date"
    actors: [Galaxy Leeder]
claims:
  - by: Houthis
    status: claimed
    about: {pays: Yémen}
    text: "Le navire a été saisi."
---
Voir [l'autre article](absent.md).
"""


def test_every_problem_of_a_file_is_reported_in_one_pass(tmp_path):
    """Fixing a bad date must not reveal problems that were already there."""
    root = write_files(tmp_path / "dossier", {
        "dossier.yaml": "title: Mer Rouge\nlanguage: fr\n",
        "content/articles/a.md": WAVES,
        "content/actors/houthis.md": "---\nname: Houthis\nkind: armed-group\n---\n",
        "content/actors/galaxy.md": "---\nname: Galaxy Leader\nkind: vessel\n---\n",
    })
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 1
    for expected in ("a.md:3: date: '2024-13-45' is not a valid date",
                     "a.md:5: unknown actor 'Hoothis': did you mean 'Houthis'?",
                     "a.md:7: missing required field 'date' in events.0",
                     "a.md:11: status 'claimed' is not a claim status",
                     "a.md:12: claims.0.about: expected a name, got a mapping",
                     "a.md:15: link to 'absent.md'"):
        assert expected in result.stderr, (expected, result.stderr)
    assert "a.md:2" not in result.stderr and "Traceback" not in result.stderr


def test_a_link_to_a_file_with_errors_reports_that_files_errors_not_a_missing_file(tmp_path):
    """The actor's file is there: 'points nowhere' would send the writer looking for it."""
    root = write_files(tmp_path / "dossier", {
        "dossier.yaml": "title: Mer Rouge\nlanguage: en\n",
        "content/articles/a.md": article(title="Attack", body="See [them](../actors/houthis.md)."),
        "content/actors/houthis.md": "---\nname: Houthis\nname: Ansar Allah\nkind: armed-group\n"
                                     "---\n",
    })
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 1
    assert "content/actors/houthis.md:3: 'name' is given twice" in result.stderr
    assert "a.md" not in result.stderr and "1 error," in result.stderr
    (root / "content/actors/houthis.md").write_text("---\nname: Houthis\nkind: armed-group\n---\n")
    assert run_cli("build", "--root", str(root)).returncode == 0
    assert 'href="../../actors/houthis/index.html"' in \
        (root / "_site/articles/a/index.html").read_text()

"""What pages say in the dossier's language: plural forms from CLDR, country names."""
from __future__ import annotations

import re

import pytest

from tests.helpers import article, run_cli, write_files


@pytest.mark.parametrize("language, one, country", [
    ("fr", "1 article, 1 acteur, 0 résolution de l’ONU, 0 affirmation", "Yémen"),
    ("en", "1 article, 1 actor, 0 UN resolutions, 0 claims", "Yemen")])
def test_counts_take_the_languages_plural_and_countries_their_names(tmp_path, language,
                                                                     one, country):
    root = write_files(tmp_path / "dossier", {
        "dossier.yaml": f"title: Mer Rouge\nlanguage: {language}\n",
        "content/articles/a.md": article(title="Attaque", actors="[Houthis]"),
        "content/actors/houthis.md": "---\nname: Houthis\nkind: armed-group\ncountry: YE\n---\n",
    })
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert one in (root / "_site/print/index.html").read_text()
    actor = (root / "_site/actors/houthis/index.html").read_text()
    assert f'<abbr title="ISO 3166: YE">{country}</abbr>' in actor
    listing = (root / "_site/actors/index.html").read_text()
    assert 'title="1 article"' in listing and "1 articles" not in listing


def test_init_names_a_command_that_works_outside_the_repository(tmp_path):
    result = run_cli("init", str(tmp_path / "neuf"), "--language", "fr")
    assert result.returncode == 0, result.stderr
    assert f"dossier serve --root {tmp_path / 'neuf'}" in result.stdout
    assert "build.py" not in result.stdout


def test_the_delay_before_a_report_counts_from_the_end_of_a_month_or_year(tmp_path):
    events = ('\n  - {date: 2024, title: "Dans l’année"}'
              '\n  - {date: 2023-11, title: "En novembre"}'
              '\n  - {date: 2024-01-09, title: "Un jour précis"}')
    root = write_files(tmp_path / "dossier", {
        "dossier.yaml": "title: Mer Rouge\nlanguage: fr\n",
        "content/articles/a.md": article(title="Bilan", date="2024-03-10", events=events)})
    assert run_cli("build", "--root", str(root)).returncode == 0
    page = (root / "_site/articles/a/index.html").read_text()
    gaps = {title: gap for title, gap in re.findall(
        r"(Dans l’année|En novembre|Un jour précis).*?(rapporté [^<]*plus tard|</li>)", page,
        re.S)}
    assert gaps == {"Dans l’année": "</li>",                  # March is inside 2024
                    "En novembre": "rapporté 3\xa0mois plus tard",  # from 30 November
                    "Un jour précis": "rapporté 2\xa0mois plus tard"}, gaps

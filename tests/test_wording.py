"""What pages say in the dossier's language: plural forms from CLDR, country names."""
from __future__ import annotations

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

"""Corrections and updates (issue #20, part 1): shown on the record, gathered in a log,
re-surfaced in feeds, exported, and dated sensibly."""
from __future__ import annotations

import datetime
import json

from tests.helpers import article, run_cli, write_files

CORRECTED = article(title="Ancien, corrigé", date="2022-01-10", updated="2023-05-01",
                    corrections='[{date: 2023-05-01, text: "La date du vote était fausse."}, '
                                '{date: 2022-02-01, text: "Le nom du ministre est corrigé."}]')
FILES = {
    "dossier.yaml": "title: Dossier\nlanguage: fr\nbase_url: https://example.org/\n",
    "content/articles/ancien.md": CORRECTED,
    "content/articles/recent.md": article(title="Récent", date="2023-01-01"),
    "content/actors/kyiv.md": "---\nname: Kyiv\ncorrections:\n  - date: 2023-03-03\n"
                              "    text: \"Le nom officiel est précisé.\"\n---\n",
}


def test_corrections_are_shown_logged_exported_and_resurface_in_feeds(tmp_path):
    import feedparser
    root = write_files(tmp_path / "d", FILES)
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    site = root / "_site"
    page = (site / "articles/ancien/index.html").read_text()
    first, second = page.index("La date du vote"), page.index("Le nom du ministre")
    assert first < second and "Corrigé le" in page and "Mis à jour le" in page
    log = (site / "corrections/index.html").read_text()
    assert log.index("La date du vote") < log.index("Le nom officiel") < \
        log.index("Le nom du ministre")                                   # newest first
    assert 'href="../articles/ancien/index.html"' in log and 'href="../actors/kyiv/index.html"' in log
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert [e.title for e in feed.entries] == ["Ancien, corrigé", "Récent"]   # re-surfaced
    assert feed.entries[0].updated.startswith("2023-05-01") and \
        feed.entries[0].published.startswith("2022-01-10")
    rows = json.loads((site / "data/articles.json").read_text())
    ancien = next(r for r in rows if r["slug"] == "ancien")
    assert ancien["updated"] == "2023-05-01"
    assert [c["date"] for c in ancien["corrections"]] == ["2022-02-01", "2023-05-01"]


def test_a_correction_before_its_record_or_in_the_future_is_refused(tmp_path):
    future = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    root = write_files(tmp_path / "d", {**FILES, "content/articles/ancien.md": article(
        title="A", date="2022-01-10",
        corrections=f'[{{date: 2021-12-31, text: "Trop tôt."}}, {{date: {future}, text: "Trop tard."}}]')})
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 1
    assert "ancien.md:5: corrections.0 is dated 2021-12-31, before the article's date " \
           "(2022-01-10)" in result.stderr, result.stderr
    assert f"ancien.md:5: corrections.1 is dated {future}, in the future" in result.stderr

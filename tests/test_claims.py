"""One claim, one identity: its status over time, shown once everywhere (issue #16, part 2)."""
from __future__ import annotations

import csv
import io
import json
import re

from tests.helpers import run_cli, write_files

RESOLUTION = """---
symbol: S/RES/2397 (2017)
adopted: 2017-12-22
provisions:
  - id: travailleurs
    text: Rapatriement des travailleurs.
---
"""


def _report(title: str, date: str, source: str, status: str, by: str = "Kyiv",
            claim_date: str = "") -> str:
    when = f"\n    date: {claim_date}" if claim_date else ""
    return f"""---
title: "{title}"
date: {date}
source: {source}
claims:
  - id: troupes-koursk
    by: {by}
    about: [Corée du Nord]
    status: {status}{when}
    provisions: ["S/RES/2397 (2017)#travailleurs"]
    text: "Des soldats nord-coréens combattent dans la région de Koursk."
---
Texte.
"""


FILES = {
    "dossier.yaml": "title: Dossier\nlanguage: fr\n",
    "content/actors/kyiv.md": "---\nname: Kyiv\nkind: state\n---\n",
    "content/actors/coree-du-nord.md": "---\nname: Corée du Nord\nkind: state\n---\n",
    "content/resolutions/s-res-2397.md": RESOLUTION,
    "content/articles/2024-10-18-alleged.md": _report("Kyiv accuse", "2024-10-18", "Reuters",
                                                      "alleged"),
    "content/articles/2025-04-28-confirmed.md": _report("Pyongyang confirme", "2025-04-28",
                                                        "KCNA", "confirmed"),
}


def _built(tmp_path, files=FILES):
    root = write_files(tmp_path / "dossier", files)
    result = run_cli("build", "--root", str(root))
    return root, result


def _claims_in(page) -> list[str]:
    """The status shown by each claim listed on a page."""
    return re.findall(r'<li class="claim status-(\w+)">', page.read_text(encoding="utf-8"))


def test_one_claim_reported_twice_shows_its_current_status_and_history_everywhere(tmp_path):
    root, result = _built(tmp_path)
    assert result.returncode == 0, result.stderr
    site = root / "_site"
    # Both articles show the same claim, with the status of the latest report, once.
    for slug in ("2024-10-18-alleged", "2025-04-28-confirmed"):
        page = site / f"articles/{slug}/index.html"
        assert _claims_in(page) == ["confirmed"], slug
        text = page.read_text(encoding="utf-8")
        assert "Statut au fil du temps" in text and "Reuters" in text and "KCNA" in text
        reported = re.search(r'<span class="reported">.*?</span>', text, re.S)[0]
        assert reported.count("<a href=") == 2 and "2024-10-18-alleged/index.html" in reported
    # Once on the resolution it cites, on the actor it is about, in the printable dossier.
    for page in ("resolutions/s-res-2397-2017/index.html", "actors/kyiv/index.html",
                 "actors/coree-du-nord/index.html", "print/index.html"):
        assert _claims_in(site / page) == ["confirmed"], page
    # Its own page: the history, oldest first, the latest marked current.
    own = (site / "claims/troupes-koursk/index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr(?: class=\"current\")?><td><time[^>]*>([^<]+)</time>.*?"
                      r'<span class="status">(\w+)</span>', own, re.S)
    assert rows == [("18 octobre 2024", "allégué"), ("28 avril 2025", "confirmé")], rows
    # The claims index groups it under its current status.
    index = (site / "claims/index.html").read_text(encoding="utf-8")
    assert re.search(r'<h2 id="status-confirmed">Confirmé <span class="count">1</span>', index)
    assert 'id="status-alleged"' not in index
    # Exports carry the id and the history; one row per claim.
    rows = json.loads((site / "data/claims.json").read_text(encoding="utf-8"))
    assert [(r["id"], r["status"]) for r in rows] == [("troupes-koursk", "confirmed")]
    assert [(h["status"], h["date"], h["source"]) for h in rows[0]["history"]] == [
        ("alleged", "2024-10-18", "Reuters"), ("confirmed", "2025-04-28", "KCNA")]
    table = list(csv.DictReader(io.StringIO((site / "data/claims.csv").read_text("utf-8-sig"))))
    assert len(table) == 1 and table[0]["id"] == "troupes-koursk"
    assert table[0]["history"].startswith("alleged 2024-10-18 Reuters")
    # Searchable once, leading to its page.
    search = (site / "search-index.js").read_text(encoding="utf-8")
    assert search.count('"u":"claims/troupes-koursk/index.html"') == 1


def test_two_statuses_on_one_date_are_a_contradiction_naming_both_places(tmp_path):
    files = {**FILES, "content/articles/2024-10-18-denied.md": _report(
        "Moscou dément", "2024-10-18", "TASS", "denied")}
    root = write_files(tmp_path / "dossier", files)
    checked = run_cli("check", "--root", str(root))
    assert checked.returncode == 0, checked.stderr              # a warning: it still builds
    assert re.search(r"content/articles/2024-10-18-(alleged|denied)\.md:6: warning: claim "
                     r"'troupes-koursk' is '\w+' here and '\w+' in "
                     r"content/articles/2024-10-18-(alleged|denied)\.md:6, on the same date "
                     r"2024-10-18", checked.stderr), checked.stderr
    assert run_cli("check", "--root", str(root), "--strict").returncode == 1


def test_one_id_given_to_claims_by_two_actors_is_a_warning_naming_both(tmp_path):
    files = {**FILES, "content/actors/seoul.md": "---\nname: Séoul\nkind: state\n---\n",
             "content/articles/2025-04-28-confirmed.md": _report(
                 "Pyongyang confirme", "2025-04-28", "KCNA", "confirmed", by="Séoul")}
    root = write_files(tmp_path / "dossier", files)
    checked = run_cli("check", "--root", str(root), "--strict")
    assert checked.returncode == 1
    assert ("content/articles/2025-04-28-confirmed.md:6: warning: claim 'troupes-koursk' is "
            "made by 'Séoul' here and by 'Kyiv' in content/articles/2024-10-18-alleged.md:6"
            ) in checked.stderr, checked.stderr


def test_claims_without_id_are_one_claim_when_author_and_text_agree(tmp_path):
    files = {name: text.replace("  - id: troupes-koursk\n    by:", "  - by:")
             for name, text in FILES.items()}
    root, result = _built(tmp_path, files)
    assert result.returncode == 0, result.stderr
    pages = list((root / "_site/claims").glob("*/index.html"))
    assert len(pages) == 1, pages
    assert _claims_in(root / "_site/claims/index.html") == ["confirmed"]

"""Robust links (issue #20, part 2): every source link carries the original, its archived
copy and the day it was seen, shows the copy or says "live only"; --strict-sources warns."""
from __future__ import annotations

import json
import re

from tests.helpers import article, run_cli, write_files

ARCHIVED = ('{name: AP, url: "https://apnews.com/a", archived: '
            '"https://web.archive.org/web/2022/https://apnews.com/a", retrieved: 2022-11-03}')


def test_source_links_are_robust_links(tmp_path):
    root = write_files(tmp_path / "d", {
        "dossier.yaml": "title: Dossier\nlanguage: en\n",
        "content/articles/a.md": article(title="Archived", source=ARCHIVED),
        "content/articles/b.md": article(title="Live", source='{name: R, url: "https://r.example/b"}'),
    })
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    a = (root / "_site/articles/a/index.html").read_text()
    link = re.search(r'<a href="https://apnews.com/a"[^>]*>', a)[0]
    assert 'data-originalurl="https://apnews.com/a"' in link
    assert 'data-versionurl="https://web.archive.org/web/2022/https://apnews.com/a"' in link
    assert 'data-versiondate="2022-11-03"' in link
    assert '<a class="archived" href="https://web.archive.org/web/2022/https://apnews.com/a"' in a
    b = (root / "_site/articles/b/index.html").read_text()
    assert '<span class="live-only">live only: no archived copy</span>' in b
    assert "data-versionurl" not in re.search(r'<a href="https://r.example/b"[^>]*>', b)[0]
    checked = run_cli("check", "--root", str(root), "--strict-sources")
    assert "content/articles/b.md:4: warning: source https://r.example/b has no archived " \
           "copy" in checked.stderr, checked.stderr
    assert "a.md:4: warning: source" not in checked.stderr


# Kinds of sources (issue #20, part 5)

PUBLISHERS = """\
title: Sources
language: fr
publishers:
  - {name: KCNA, kind: state-media, country: KP, aliases: [Korean Central News Agency]}
  - {name: Agence Yonhap, kind: news-agency, country: KR, aliases: [Yonhap]}
  - {name: Associated Press, kind: news-agency, country: US}
  - {name: Ambassade des États-Unis, kind: government, country: US}
"""
STATE = "---\nname: Corée du Nord\nkind: state\ncountry: KP\n---\n"
MEDIA = "---\nname: KCNA\nkind: media\ncountry: KP\n---\n"


def _claim(by: str, text: str, source: str = "", status: str = "alleged") -> str:
    own = f"\n    source: {source}" if source else ""
    return f'\n  - {{by: "{by}", status: {status}, text: "{text}", id: {text}}}' if not own \
        else f'\n  - by: "{by}"\n    status: {status}\n    text: "{text}"\n    id: {text}{own}'


def test_publishers_have_kinds_counted_on_every_claim_and_own_voice_is_flagged(tmp_path):
    root = write_files(tmp_path / "d", {
        "dossier.yaml": PUBLISHERS,
        "content/actors/coree-du-nord.md": STATE,
        "content/actors/kcna.md": MEDIA,
        # One denial, published by KCNA only (Yonhap reports what KCNA said).
        "content/articles/a.md": article(title="Dementi", source="Yonhap", claims=_claim(
            "Corée du Nord", "dementi", source="Korean Central News Agency", status="denied")),
        # One claim two agencies report: the alias and the name count once.
        "content/articles/b.md": article(title="B", source="Yonhap",
                                         claims=_claim("Corée du Nord", "livraisons")),
        "content/articles/c.md": article(title="C", date="2022-11-03", source="Agence Yonhap",
                                         claims=_claim("Corée du Nord", "livraisons")),
        "content/articles/d.md": article(title="D", date="2022-11-04", source="Associated Press",
                                         claims=_claim("Corée du Nord", "livraisons")),
        "content/articles/e.md": article(title="E", source="Blog inconnu",
                                         claims=_claim("Corée du Nord", "autre")),
    })
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    site = root / "_site"
    both = (site / "claims/livraisons/index.html").read_text()
    assert "2\u202fsources\u00a0: 2\u202fagences de presse" in both or \
        "2 sources\u00a0: 2 agences de presse" in both, re.findall(r'class="support.*', both)
    assert "own-voice" not in both
    denial = (site / "claims/dementi/index.html").read_text()
    assert "source unique\u00a0: média d’État" in denial
    assert '<p class="own-voice">Rapportée seulement par le gouvernement ou les médias d’État ' \
           'de son auteur</p>' in denial
    assert "own-voice" in (site / "articles/a/index.html").read_text()
    # A publisher nobody described counts without a kind.
    other = (site / "claims/autre/index.html").read_text()
    assert ">source unique ·" in other

    sources = (site / "sources/index.html").read_text()
    headings = re.findall(r"<h2 [^>]*>([^<]+)</h2>", sources)
    assert headings == ["Gouvernements", "Médias d’État", "Agences de presse",
                        "Autres sources (genre non précisé)"], headings
    kcna = sources[sources.index('<dt id="kcna">'):]
    assert "Corée du Nord" in kcna[:600] and 'href="../actors/kcna/index.html"' in kcna[:900]
    assert 'href="../articles/a/index.html"' in kcna[:1200]
    # The actor page of a publisher that is also an actor links the two.
    actor = (site / "actors/kcna/index.html").read_text()
    assert 'href="../../sources/index.html#kcna">KCNA</a>' in actor

    claims = json.loads((site / "data/claims.json").read_text())
    denial_row = next(c for c in claims if c["id"] == "dementi")
    assert denial_row["sources"] == ["KCNA"] and denial_row["source_kinds"] == ["state-media"]
    assert denial_row["own_voice"] is True

    checked = run_cli("check", "--root", str(root), "--strict-sources")
    assert ("content/articles/a.md:6: warning: claim 'dementi' is reported only by its "
            "author's own government or state media (KCNA)") in checked.stderr, checked.stderr


def test_publisher_descriptions_are_checked_at_their_lines(tmp_path):
    root = write_files(tmp_path / "d", {
        "dossier.yaml": "title: S\npublishers:\n"
                        "  - {name: KCNA, kind: propaganda}\n"
                        "  - name: Yonhap\n    kind: news-agency\n    country: Corée du Sud\n"
                        "  - {name: AP, kind: news-agency}\n"
                        "  - {name: Associated Press, kind: news-agency, aliases: [AP]}\n"
                        "  - {name: X, kind: government, motto: hi}\n",
        "content/articles/a.md": article(),
    })
    result = run_cli("check", "--root", str(root))
    out = result.stderr
    assert result.returncode == 1
    assert "dossier.yaml:3: publishers[0] (KCNA): kind 'propaganda' is not a kind of " \
           "publisher (write one of government, intergovernmental, state-media" in out, out
    assert "dossier.yaml:6: publishers[1] (Yonhap): country 'Corée du Sud' is not a country " \
           "code (write its ISO 3166 code, as actors do: KP, RU, US)" in out, out
    assert "dossier.yaml:8: publishers[3]: 'AP' already names the publisher 'AP'" in out
    assert "dossier.yaml:9: warning: publishers[4] (X): unknown field 'motto' is ignored" in out

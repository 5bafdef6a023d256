"""The dossier's language sets its typography (issue #19, part 1): French spacing on rendered
text, never in code, URLs or attributes; curly quotes in English."""
from __future__ import annotations

import re

from tests.helpers import article, run_cli, write_files

NARROW, NBSP = "\u202f", "\u00a0"
BODY = ("Il a déclaré : « oui » ; vraiment ? Non !\n\n"
        "Le code `a : b ; c ?` reste tel quel, [le lien](https://example.org/?q=a) aussi.\n\n"
        "```\nx = {\"k\" : 1} ; y ?\n```\n")


def _built(tmp_path, language: str, body: str, title: str):
    root = write_files(tmp_path / language, {
        "dossier.yaml": f"title: Dossier\nlanguage: {language}\n",
        "content/articles/a.md": article(title=title, body=body)})
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    return (root / "_site/articles/a/index.html").read_text(encoding="utf-8")


def test_french_spacing_in_text_only(tmp_path):
    page = _built(tmp_path, "fr", BODY, "Quoi ? « Rien » !")
    assert f"<h1>Quoi{NARROW}? «{NARROW}Rien{NARROW}»{NARROW}!</h1>" in page
    body = page.split('<div class="body">')[1].split("</div>")[0]
    assert (f"Il a déclaré{NBSP}: «{NARROW}oui{NARROW}»{NARROW}; vraiment{NARROW}? "
            f"Non{NARROW}!") in body
    assert "<code>a : b ; c ?</code>" in body                    # inline code untouched
    assert 'x = {"k" : 1} ; y ?' in body.replace("&quot;", '"')  # code block untouched
    assert 'href="https://example.org/?q=a"' in body              # URLs untouched
    assert not re.search(r'(href|src|id|class)="[^"]*[\u202f\u00a0]', page)


def test_english_gets_curly_quotes_and_no_french_spacing(tmp_path):
    page = _built(tmp_path, "en", 'He said "yes" -- and \'no\' : really ?', "Yes")
    body = page.split('<div class="body">')[1].split("</div>")[0]
    assert "“yes” – and ‘no’" in body
    assert NARROW not in body and NBSP not in body

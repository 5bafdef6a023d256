"""Robust links (issue #20, part 2): every source link carries the original, its archived
copy and the day it was seen, shows the copy or says "live only"; --strict-sources warns."""
from __future__ import annotations

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

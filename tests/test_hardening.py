"""A dossier received from someone else cannot run code, leak files or destroy any (issue #17).

Who is trusted: the installed package (its code and its own theme). Who is not: everything in
a dossier's folder — content, theme, settings, caches. Each test is one class of attack."""
from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import os
import pathlib
import pickle
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from hypothesis import given, settings, strategies as st

from dossier import write
from tests.helpers import REPO, article, digest, preview_server, run_cli, write_files

BASE = {"dossier.yaml": "title: Reçu\nlanguage: fr\n",
        "content/articles/a.md": article(title="Un article")}


def _received(tmp_path, files: dict):
    return write_files(tmp_path / "recu", {**BASE, **files})


@pytest.mark.parametrize("template", [
    "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}",
    "{{ lipsum.__globals__['os'].system('touch PWNED') }}",
    "{{ config.root.joinpath('PWNED').touch() }}",
    "{{ config.root.joinpath('secret.txt').read_text() }}",
    "{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
    "{{ dossier.articles.append(1) }}",
])
def test_a_received_theme_cannot_run_code_or_read_files(tmp_path, template):
    root = _received(tmp_path, {
        "secret.txt": "CI_TOKEN=hunter2",
        "theme/templates/index.html": '{% extends "base.html" %}{% block main %}' + template +
                                      "{% endblock %}"})
    # Run from inside the dossier: os.system would create PWNED in the working directory.
    result = run_cli("build", "--root", str(root), cwd=root)
    assert result.returncode == 1, result.stderr
    assert "theme/templates/index.html:1: template error: SecurityError" in result.stderr
    assert not (root / "PWNED").exists() and not (root / "_site").exists()
    assert "hunter2" not in result.stderr + result.stdout


def test_the_packages_own_theme_still_renders_under_a_received_override(tmp_path):
    """The sandbox must not break an honest theme: one template overridden, the rest the
    package's, all rendered in the sandbox."""
    root = _received(tmp_path, {"theme/templates/tag.html": '{% extends "base.html" %}'
                                "{% block main %}<h1>{{ label|upper }}</h1>{% endblock %}",
                                "content/articles/a.md": article(title="Un", tags="[Obus]")})
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert "<h1>OBUS</h1>" in (root / "_site/tags/obus/index.html").read_text()


@pytest.mark.parametrize("string", ["{count.__class__.__mro__}", "{count:>999999999}",
                                    "{count[0]}"])
def test_interface_strings_are_plain_names_only(tmp_path, string):
    root = _received(tmp_path, {"theme/i18n/fr.yaml": f'n_articles: "{string}"\n'})
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 1
    assert "only plain names" in result.stderr or "formats are not allowed" in result.stderr
    assert "class 'int'" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("setting, message", [
    ("language: ../../../etc/passwd", "dossier.yaml:2: language: '../../../etc/passwd' is not "
                                      "a language code"),
    ("theme: /etc", "dossier.yaml:2: theme: /etc is outside the dossier"),
    ("theme: ../elsewhere", "dossier.yaml:2: theme: ../elsewhere is outside the dossier")])
def test_settings_cannot_point_outside_the_dossier(tmp_path, setting, message):
    root = _received(tmp_path, {"dossier.yaml": f"title: Reçu\n{setting}\n"})
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 1 and message in result.stderr, result.stderr


@pytest.mark.parametrize("link", ["content/articles/notes.txt", "content/passwd.md",
                                  "content/articles/b.md", "theme/static/leak.css",
                                  "theme/templates/tag.html", "theme/i18n/fr.yaml"])
def test_links_leading_out_of_the_dossier_are_refused_not_published(tmp_path, link):
    secret = tmp_path / "secret.txt"
    secret.write_text("CI_TOKEN=hunter2\n")
    root = _received(tmp_path, {})
    (root / link).parent.mkdir(parents=True, exist_ok=True)
    (root / link).symlink_to(secret)
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 1
    assert f"{link}:1: this is a link to a file outside" in result.stderr, result.stderr
    assert "hunter2" not in result.stderr and not (root / "_site").exists()


def test_a_link_inside_the_dossier_is_fine_and_a_content_folder_outside_is_not(tmp_path):
    root = _received(tmp_path, {"content/docs/note.txt": "bonjour"})
    (root / "content/articles/note.txt").symlink_to(root / "content/docs/note.txt")
    assert run_cli("build", "--root", str(root)).returncode == 0
    assert (root / "_site/articles/note.txt").read_text() == "bonjour"
    elsewhere = write_files(tmp_path / "ailleurs", {"articles/a.md": article()})
    other = write_files(tmp_path / "autre", {"dossier.yaml": "title: Autre\n"})
    (other / "content").symlink_to(elsewhere)
    result = run_cli("build", "--root", str(other))
    assert result.returncode == 1
    assert "content/ is a link to a folder outside the dossier" in result.stderr


UKRAINIAN = """---
title: "Звіт"
date: 2024-10-18
source: Укрінформ
actors: [Україна, Росія, "北朝鲜"]
tags: [Курськ, "???"]
events:
  - {date: 2024-10-18, title: "Росія атакувала Київ"}
  - {date: 2024-10-18, title: "Україна відбила атаку"}
claims:
  - {by: Україна, about: [Росія], status: alleged, text: "Війська КНДР у Курській області."}
  - {by: Україна, about: [Росія], status: denied, text: "Переговорів не було."}
  - {by: Росія, about: [Україна], status: denied, text: "Війська КНДР у Курській області."}
---
Текст.
"""


def test_text_in_any_script_keeps_its_identity_and_gets_an_address(tmp_path):
    root = _received(tmp_path, {"content/articles/a.md": UKRAINIAN.replace(', "???"', "")})
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    site = root / "_site"
    # Stubs of different names are different actors, with transliterated addresses.
    for slug, name in (("ukraina", "Україна"), ("rosiya", "Росія"), ("beichaoxian", "北朝鲜")):
        assert f"<h1>{name}</h1>" in (site / f"actors/{slug}/index.html").read_text(), slug
    assert "<h1>Acteurs</h1>" in (site / "actors/index.html").read_text()
    # Two events on one date and three claims stay apart, each with its author.
    timeline = (site / "timeline/index.html").read_text()
    assert "Росія атакувала Київ" in timeline and "Україна відбила атаку" in timeline
    assert len(list((site / "claims").glob("*/index.html"))) == 3
    russia = (site / "actors/rosiya/index.html").read_text()
    assert russia.count('<li class="claim') == 3       # made one, about two
    assert (site / "tags/kursk/index.html").is_file()


def test_a_name_or_tag_with_no_letter_in_any_script_is_an_error(tmp_path):
    root = _received(tmp_path, {"content/articles/a.md": UKRAINIAN.replace(
        "actors: [Україна", 'actors: ["—", Україна')})
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 1
    assert "a.md:5: actor '—' has no letter or digit" in result.stderr, result.stderr
    assert "a.md:6: tag '???' has no letter or digit" in result.stderr


@pytest.mark.parametrize("names", [("Notes.txt", "notes.txt"),
                                   ("caf\u00e9.txt", "cafe\u0301.txt")])   # by case, by form
def test_output_paths_that_one_file_system_would_merge_are_an_error(tmp_path, names):
    root = _received(tmp_path, {f"content/articles/{name}": str(i)
                                for i, name in enumerate(names)})
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 1
    assert "two files would be written to articles/" in result.stderr, result.stderr


def test_a_file_where_a_page_needs_its_folder_is_an_error_not_a_crash(tmp_path):
    """content/timeline (a file with no extension, copied as it is) would be the file
    'timeline' where the timeline's page needs the folder 'timeline/'."""
    root = _received(tmp_path, {"content/timeline": "notes"})
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 1
    assert "content/timeline: timeline would be a file (content/timeline)" in result.stderr \
        and "the folder of timeline/index.html (template timeline.html)" in result.stderr, \
        result.stderr
    assert not (root / "_site").exists()


PATHS = st.lists(st.sampled_from(["a/index.html", "A/index.html", "a", "a/b", "b//c",
                                   "b/c", "c/index.html", "é", "e\u0301", "a-b", "a.b/c",
                                   "a/b/c"]), max_size=6)


def _collisions_by_definition(paths: list[str]) -> tuple[list, list]:
    """What write._collisions finds, worked out as its docstring says, pair by pair."""
    seen = [write._as_a_file_system_sees(path) for path in paths]
    merged = [(seen.index(path), j) for j, path in enumerate(seen) if seen.index(path) != j]
    in_a_file = [(seen.index(folder), j) for folder in sorted(set(seen))
                 for j, path in enumerate(seen) if folder in write._folders_of(path)]
    return merged, in_a_file


@settings(max_examples=300, deadline=None)
@given(st.lists(PATHS, min_size=1, max_size=6))
def test_the_preview_finds_every_collision_a_check_from_scratch_finds(lists):
    """The preview checks its outputs' paths as what changed since its last save
    (write._collisions): after any sequence of saves, it finds what a first check finds."""
    for paths in lists:
        found = write._collisions(list(paths))
        assert found == _collisions_by_definition(paths), paths
        write._Checked.paths = []                   # forgotten: worked out from scratch
        assert found == write._collisions(list(paths)), paths
        write._Checked.paths = []
        for before in lists:                        # and checked after another save
            write._collisions(list(before))
            assert write._collisions(list(paths)) == found, (before, paths)


# --- The output folder: only dossier's own files are ever replaced or deleted --------------

def test_an_output_folder_of_someone_elses_files_loses_nothing(tmp_path):
    root = _received(tmp_path, {})
    home = write_files(tmp_path / "home", {"index.html": "<h1>My page</h1>",
                                           "Documents/cv.txt": "cv", ".ssh/id_ed25519": "key",
                                           "CNAME": "example.org"})
    before = digest(home)
    result = run_cli("build", "--root", str(root), "--output", str(home))
    assert result.returncode == 2
    assert "holds files that dossier did not write where the site goes (index.html)" in \
        result.stderr, result.stderr
    assert digest(home) == before


def test_a_sites_foreign_files_survive_every_rebuild(tmp_path):
    root = _received(tmp_path, {"content/articles/b.md": article(title="B")})
    out = write_files(tmp_path / "pages", {"CNAME": "example.org", ".git/HEAD": "ref"})
    assert run_cli("build", "--root", str(root), "--output", str(out)).returncode == 0
    assert (out / "articles/b/index.html").is_file()
    (root / "content/articles/b.md").unlink()
    assert run_cli("build", "--root", str(root), "--output", str(out)).returncode == 0
    assert not (out / "articles/b").exists()                    # ours: deleted
    assert (out / "CNAME").read_text() == "example.org" and (out / ".git/HEAD").is_file()


def test_a_file_that_becomes_a_folder_and_back_builds(tmp_path):
    root = _received(tmp_path, {"content/articles/annexe": "un fichier"})
    out = tmp_path / "site"
    assert run_cli("build", "--root", str(root), "--output", str(out)).returncode == 0
    (root / "content/articles/annexe").unlink()
    write_files(root, {"content/articles/annexe/carte.txt": "un dossier"})
    result = run_cli("build", "--root", str(root), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert (out / "articles/annexe/carte.txt").read_text() == "un dossier"
    shutil.rmtree(root / "content/articles/annexe")
    write_files(root, {"content/articles/annexe": "de nouveau un fichier"})
    assert run_cli("build", "--root", str(root), "--output", str(out)).returncode == 0
    assert (out / "articles/annexe").read_text() == "de nouveau un fichier"


def _two_sites(tmp_path):
    """A dossier built once, then edited so that the next build adds, changes, deletes and
    turns a file into a folder."""
    root = _received(tmp_path, {"content/articles/b.md": article(title="B"),
                                "content/articles/annexe": "fichier"})
    out = tmp_path / "site"
    assert run_cli("build", "--root", str(root), "--output", str(out)).returncode == 0
    (root / "content/articles/b.md").unlink()
    (root / "content/articles/annexe").unlink()
    write_files(root, {"content/articles/c.md": article(title="C"),
                       "content/articles/annexe/x.txt": "dossier",
                       "content/articles/a.md": article(title="Un article modifié")})
    return root, out


def test_a_failure_at_any_point_of_the_move_leaves_the_previous_site(tmp_path, monkeypatch):
    from dossier import pipeline
    root, out = _two_sites(tmp_path)
    before = digest(out)
    real, calls = os.replace, []

    def failing(limit):
        def replace(*args):
            calls.append(args)
            if len(calls) == limit:
                raise OSError(28, "No space left on device (injected)")
            return real(*args)
        return replace

    limit = 1
    while True:
        calls.clear()
        monkeypatch.setattr(os, "replace", failing(limit))
        try:
            pipeline.build(root, output=out, jobs=1)
        except OSError:
            assert digest(out) == before, f"a mix after failing move {limit}"
            assert not list(tmp_path.glob(".site.*-*")), "leftovers"
            limit += 1
            continue
        break
    monkeypatch.setattr(os, "replace", real)
    assert limit > 5                              # the failure did reach the moves
    assert (out / "articles/c/index.html").is_file() and not (out / "articles/b").exists()


def _killed_while_moving(tmp_path, monkeypatch) -> tuple:
    """A build killed at its fourth move into the output: (root, output, its digest before)."""
    from dossier import output_dir, pipeline
    root, out = _two_sites(tmp_path)
    before = digest(out)
    real, calls = os.replace, []

    def dies(*args):                              # as kill -9 would: no roll back
        calls.append(args)
        if len(calls) == 4:
            raise SystemExit("killed")
        return real(*args)
    monkeypatch.setattr(os, "replace", dies)
    monkeypatch.setattr(output_dir, "_roll_back", lambda plan, backup: None)
    monkeypatch.setattr(output_dir.shutil, "rmtree", lambda *a, **k: None)
    with pytest.raises(SystemExit):
        pipeline.build(root, output=out, jobs=1)
    monkeypatch.undo()
    assert digest(out) != before and list(tmp_path.glob(".site.old-*"))   # half done
    return root, out, before


def test_a_build_killed_while_moving_is_rolled_back_by_the_next(tmp_path, monkeypatch):
    from dossier import output_dir
    root, out, before = _killed_while_moving(tmp_path, monkeypatch)
    output_dir.recover(out)
    assert digest(out) == before
    assert not list(tmp_path.glob(".site.*-*"))
    result = run_cli("build", "--root", str(root), "--output", str(out))
    assert result.returncode == 0 and (out / "articles/c/index.html").is_file()


def test_a_backup_laid_out_by_an_older_version_is_rolled_back_too(tmp_path, monkeypatch):
    """Versions before the flat backup kept each file under its own path, and their plan
    does not say "flat": a build killed then, the code updated, the next build still
    puts every file back."""
    from dossier import output_dir
    root, out, before = _killed_while_moving(tmp_path, monkeypatch)
    backup = next(tmp_path.glob(".site.old-*"))
    plan = json.loads((backup / "plan.json").read_text())
    moved = 0
    for kind in ("changed", "stale"):
        for i, path in enumerate(plan[kind]):
            flat, old = backup / "files" / f"{kind}-{i}", backup / "files" / path
            if flat.exists():
                old.parent.mkdir(parents=True, exist_ok=True)
                flat.rename(old)
                moved += 1
    assert moved
    del plan["flat"]
    (backup / "plan.json").write_text(json.dumps(plan))
    output_dir.recover(out)
    assert digest(out) == before
    assert not list(tmp_path.glob(".site.*-*"))


def test_two_builds_at_once_the_second_says_so(tmp_path):
    from filelock import FileLock
    root = _received(tmp_path, {})
    with FileLock(str(root / "._site.lock")):
        result = run_cli("build", "--root", str(root))
    assert result.returncode == 2
    assert "another build is writing" in result.stderr and "Traceback" not in result.stderr
    assert run_cli("build", "--root", str(root)).returncode == 0


# --- Caches are this machine's work, or ignored ---------------------------------------------

def _machine(tmp_path, name: str) -> dict:
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path / name)}


def _run(env, *args):
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], env=env,
                          capture_output=True, text=True, timeout=120)


def _forge(path, key_file, old: bytes, new: bytes) -> None:
    """Edit a signed cache file and sign it again with the given machine's key."""
    data = path.read_bytes().partition(b"\n")[2].replace(old, new)
    assert old not in data
    tag = hashlib.blake2b(data, key=key_file.read_bytes(), digest_size=32).hexdigest()
    path.write_bytes(tag.encode() + b"\n" + data)


class _RunsCode:
    """Unpickled, writes a file: what a forged cache would do instead."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (pathlib.Path(self.path).write_text, ("ran",))


def test_a_cache_that_came_with_a_dossier_cannot_change_what_is_published(tmp_path):
    root = _received(tmp_path, {"content/articles/a.md": article(
        title="Un article", claims='[{by: Kyiv, status: alleged, text: "Des troupes."}]')})
    sender, recipient = _machine(tmp_path, "sender"), _machine(tmp_path, "recipient")
    assert _run(sender, "build", "--root", str(root)).returncode == 0
    # The sender forges the cached front matter (signed with the sender's own key) and the
    # cached HTML, then hands the dossier over with its .dossier-cache/.
    cache = root / ".dossier-cache"
    _forge(cache / "records.json", tmp_path / "sender/dossier/key", b"Un article", b"FORGED")
    _forge(cache / "records.json", tmp_path / "sender/dossier/key", b"alleged", b"confirmed")
    for name in ("bodies.html", "pieces.bin"):     # converted bodies, fragments of pages
        html = (cache / name).read_bytes()
        assert b"<p>" in html
        (cache / name).write_bytes(html.replace(b"<p>", b"<p><script>alert(1)</script>"))
    # And the one pickle, the state a build keeps (cache.save_state): one that would run code.
    version = (cache / "state.pickle").read_bytes().split(b"\n")[1]
    marker = tmp_path / "ran"
    payload = version + b"\n" + pickle.dumps(_RunsCode(str(marker)))
    tag = hashlib.blake2b(payload, key=(tmp_path / "sender/dossier/key").read_bytes(),
                          digest_size=32).hexdigest()
    (cache / "state.pickle").write_bytes(tag.encode() + b"\n" + payload)
    for page in ("articles/a/index.html", "print/index.html"):   # made again from the cache
        (root / "_site" / page).unlink()
    assert _run(recipient, "check", "--root", str(root)).returncode == 0
    assert _run(recipient, "build", "--root", str(root)).returncode == 0
    page = (root / "_site/articles/a/index.html").read_text()
    assert "<h1>Un article</h1>" in page and "FORGED" not in page
    assert "status-alleged" in page and "status-confirmed" not in page
    assert "<script>alert" not in page
    assert "<script>alert" not in (root / "_site/print/index.html").read_text()
    assert not marker.exists()                  # the pickle was never loaded
    clean = tmp_path / "clean"
    assert _run(recipient, "build", "--root", str(root), "--no-cache", "--output",
                str(clean)).returncode == 0
    assert {k: v for k, v in digest(root / "_site").items() if k != ".dossier-files"} == \
        {k: v for k, v in digest(clean).items() if k != ".dossier-files"}


@pytest.mark.parametrize("damage", ["truncate", "shape"])
def test_a_damaged_cache_is_discarded_not_fatal(tmp_path, damage):
    root = _received(tmp_path, {})
    me = _machine(tmp_path, "me")
    assert _run(me, "build", "--root", str(root)).returncode == 0
    for path in [*(tmp_path / "me/dossier").rglob("*"), *(root / ".dossier-cache").iterdir()]:
        if path.is_file() and path.name != "key":
            data = path.read_bytes()
            path.write_bytes(data[:len(data) // 2] if damage == "truncate" else
                             data.partition(b"\n")[0] + b'\n{"version": 1, "pages": []}')
    for _ in range(2):
        result = _run(me, "build", "--root", str(root))
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr


# --- Small inputs cannot make unbounded work ------------------------------------------------

def _build_within(root, seconds: int):
    """The real command line, killed (and the test failed) past `seconds`."""
    return subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--root",
                           str(root)], capture_output=True, text=True, timeout=seconds)


def test_a_line_of_brackets_is_shown_as_text_in_bounded_time(tmp_path):
    body = "Avant.\n\n" + "[" * 20_000 + "\n\n" + "![" * 5000 + "\n\nAprès [un lien](b.md)."
    root = _received(tmp_path, {"content/articles/a.md": article(body=body),
                                "content/articles/b.md": article(title="B")})
    result = _build_within(root, 20)                   # Python-Markdown alone: minutes
    assert result.returncode == 0, result.stderr
    assert "a.md:8: warning: 20000 '[' in one paragraph: shown as text" in result.stderr
    page = (root / "_site/articles/a/index.html").read_text()
    assert "[" * 100 in page and 'href="../../articles/b/index.html"' in page


def test_an_article_naming_thousands_of_actors_is_refused_in_bounded_time(tmp_path):
    many = ", ".join(f"Acteur {i}" for i in range(2000))
    root = _received(tmp_path, {"content/articles/a.md": article(actors=f"[{many}]")})
    result = _build_within(root, 20)                   # before: 55 s, 2.6 GB, 362 MB site
    assert result.returncode == 1
    assert "a.md:5: 2000 actors named: at most 500 per article" in result.stderr


def test_pages_cap_long_lists(tmp_path):
    many = ", ".join(f"Acteur {i}" for i in range(400))
    root = _received(tmp_path, {"content/articles/a.md": article(actors=f"[{many}]")})
    result = _build_within(root, 60)
    assert result.returncode == 0, result.stderr
    actor = (root / "_site/actors/acteur-7/index.html").read_text()
    assert len(actor) < 40_000 and "et 392 autres" in actor
    # The filter's data: on the list item and the chart's mark of the timeline page.
    assert (root / "_site/timeline/index.html").read_text().count("acteur-399") == 3


# --- The preview server ----------------------------------------------------------------------

def _request(url: str, method: str = "GET", host: str | None = None):
    request = urllib.request.Request(url, method=method)
    if host:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def test_the_preview_answers_its_own_host_names_only(tmp_path):
    root = _received(tmp_path, {"content/articles/a%41.txt": "annexe",
                                "content/articles/b.md": article(title="Brouillon secret",
                                                                 draft="true")})
    with preview_server(root) as server:
        base = f"http://127.0.0.1:{server.port}"
        assert _request(base + "/", host=f"localhost:{server.port}")[0] == 200
        assert _request(base + "/", host=f"127.0.0.1:{server.port}")[0] == 200
        for evil in (f"attacker.example:{server.port}", "attacker.example"):
            status, body, _ = _request(base + "/articles/b/index.html", host=evil)
            assert status == 403 and b"Brouillon secret" not in body, evil
        assert _request(base + "/livereload.js", host="attacker.example")[0] == 403
        # HEAD answers like GET, without a body; a URL is decoded once.
        status, body, headers = _request(base + "/index.html", method="HEAD")
        assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000
        assert _request(base + "/articles/a%2541.txt")[1] == b"annexe"
        assert _request(base + "/articles/aA.txt")[0] == 404


def test_a_port_out_of_range_is_refused():
    result = run_cli("serve", "--port", "99999")
    assert result.returncode == 2 and "99999 is not a port" in result.stderr


def test_a_save_that_keeps_size_and_time_is_still_seen(tmp_path):
    from dossier.serve import Preview
    root = _received(tmp_path, {"content/articles/a.md": article(title="Avant")})
    preview = Preview(root.resolve())
    assert preview.rebuild()
    path = root / "content/articles/a.md"
    stat = path.stat()
    path.write_text(path.read_text().replace("Avant", "Apres"))      # same length
    assert path.stat().st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))             # time set back
    assert preview.rebuild()                      # as after changes the watcher did not see
    assert b"<h1>Apres</h1>" in preview.site["articles/a/index.html"].content()


# --- import and new never write outside content/articles/ ----------------------------------

def test_import_and_new_never_write_through_a_link(tmp_path):
    root = _received(tmp_path, {})
    target = tmp_path / "bash_aliases"
    articles = root / "content/articles"
    today = datetime.date.today().isoformat()
    (articles / f"{today}-titre.md").symlink_to(target)                # dangling
    (articles / f"{today}-titre-2.md").symlink_to(tmp_path / "elsewhere.md")
    result = run_cli("new", "Titre", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert not target.exists() and not (tmp_path / "elsewhere.md").exists()
    assert (articles / f"{today}-titre-3.md").read_text().startswith("---\ntitle: Titre")
    clipping = tmp_path / "clip.txt"
    clipping.write_text("Titre\nUn texte importé.\n")
    assert run_cli("import", str(clipping), "--root", str(root)).returncode == 0
    assert not target.exists()


def test_new_refuses_an_articles_folder_that_leads_out(tmp_path):
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    root = write_files(tmp_path / "recu", {"dossier.yaml": "title: Reçu\n"})
    (root / "content").mkdir()
    (root / "content/articles").symlink_to(elsewhere)
    result = run_cli("new", "Titre", "--root", str(root))
    assert result.returncode == 2 and "leads out of the dossier" in result.stderr
    assert list(elsewhere.iterdir()) == []


# --- Output that every reader can read -------------------------------------------------------

def test_control_characters_never_reach_feeds_or_terminals(tmp_path):
    import feedparser
    root = _received(tmp_path, {
        "dossier.yaml": "title: \"Reçu\\f\"\nlanguage: fr\nbase_url: https://example.org/\n",
        "content/articles/a.md": article(title="Page\x0c 1 \x1b[31mrouge", body="Texte\x0c.")})
    result = run_cli("build", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert "content/articles/a.md:2: warning: control characters removed (U+000C, U+001B)" \
        in result.stderr
    assert "\x1b" not in result.stderr + result.stdout
    feed = feedparser.parse((root / "_site/feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.entries[0].title == "Page 1 [31mrouge"
    # A name that reaches a message (a file's) is shown escaped, not obeyed.
    (root / "content/articles/\x1b[2Jx.md").write_text("---\ntitle: [\n")
    result = run_cli("check", "--root", str(root))
    assert "\x1b" not in result.stderr and "\\x1b[2Jx.md" in result.stderr


def test_csv_cells_never_run_as_formulas_and_open_as_utf8(tmp_path):
    root = _received(tmp_path, {"content/articles/a.md": article(
        title="=HYPERLINK(\\\"https://evil.example\\\",\\\"clic\\\")",
        tags='["+1", "@SUM(A1)", "-2", "ordinaire"]')})
    assert run_cli("build", "--root", str(root)).returncode == 0
    raw = (root / "_site/data/articles.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    row = next(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert row["title"].startswith("'=HYPERLINK(")
    assert row["tags"] == "+1; @SUM(A1); -2; ordinaire" or row["tags"].startswith("'")


# --- Located errors, never tracebacks or silent changes ---------------------------------------

def test_shapes_that_were_tracebacks_or_silent_changes_are_located_errors(tmp_path):
    root = _received(tmp_path, {
        "content/resolutions/r.md": "---\nsymbol: S/RES/1\nprovisions: 5\n---\n",
        "content/resolutions/s.md": '---\nsymbol: "A/RES/ES-11/1"\n---\n',
        "content/resolutions/t.md": '---\nsymbol: "A/RES/ES-11/1."\n---\n',
        "content/resolutions/u.md": '---\nsymbol: S/RES/2\nprovisions: "abc"\n---\n',
        "content/articles/a.md": article(summary='"un"\nsummary: "deux"'),
        "content/articles/b.md": article(events='[{date: "0000", title: E}]'),
        "content/articles/deep.md": "---\ntitle: " + "[" * 600 + "]" * 600 + "\n---\n"})
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    for expected in ("r.md:3: provisions: expected a list", "u.md:3: provisions: expected a list",
                     "b.md:5: events.0.date: '0000' has no year 0",
                     "a.md:6: 'summary' is given twice (also line 5)",
                     "deep.md:2: invalid YAML: nested more than 20 levels deep",
                     "would have the page of A/RES/ES-11/1"):
        assert expected in result.stderr, (expected, result.stderr)


def test_articles_and_feeds_order_times_by_the_instant_not_the_wall_clock(tmp_path):
    import feedparser
    root = _received(tmp_path, {
        "dossier.yaml": "title: T\nlanguage: fr\nbase_url: https://example.org/\n",
        "content/articles/a.md": article(title="New York, 23 h", date="2022-11-02T23:00-05:00"),
        "content/articles/b.md": article(title="Londres, 1 h", date="2022-11-03T01:00+00:00")})
    assert run_cli("build", "--root", str(root)).returncode == 0
    home = (root / "_site/index.html").read_text()
    assert home.index("New York, 23 h") < home.index("Londres, 1 h")     # 04:00Z is later
    feed = feedparser.parse((root / "_site/feed.xml").read_bytes())
    assert feed.feed.updated == "2022-11-02T23:00:00-05:00"

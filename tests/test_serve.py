"""The preview server on an ephemeral port: rebuild per burst, errors in the page, incremental
output identical to a clean build."""
import json
import socket
import time
import urllib.error
import urllib.request

import pytest

from dossier.pipeline import build
from tests.helpers import REPO, article, preview_server, run_cli, write_files

FILES = {
    "content/articles/a.md": article(title="Alpha", date="2022-01-01", actors="[Iran]",
                                     body="Premier texte."),
    "content/articles/b.md": article(title="Bravo", date="2022-02-01", actors="[Iran, Russie]"),
    "content/actors/iran.md": "---\nname: Iran\naliases: [Téhéran]\nkind: state\n---\n",
    "content/actors/russie.md": "---\nname: Russie\nkind: state\n---\n",
}


@pytest.fixture
def server(make_dossier):
    with preview_server(make_dossier(FILES)) as server:
        yield server


def get(server, path):
    try:
        with urllib.request.urlopen(server.url + path, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def status(server):
    return json.loads(get(server, "__dossier__/status")[1])


def wait_for_build(server, builds, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.preview.builds >= builds and server.preview.wait_idle(0):
            return
        time.sleep(0.02)
    raise AssertionError(f"no build #{builds}: {server.preview.builds} builds so far")


def wait_until(condition, timeout=15):
    """Saves are not atomic: a build may catch a file half-written; the next one fixes it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the served site never showed the change")


def settle(server, seconds=0.6):
    """Let the watcher see (or not see) the last writes; return the build count."""
    time.sleep(seconds)
    server.preview.wait_idle()
    return server.preview.builds


def test_serves_the_site_with_the_reload_script(server):
    code, page = get(server, "articles/a/index.html")
    assert code == 200 and "Premier texte." in page
    assert f'<script src="/livereload.js?port={server.port}"></script></head>' in page
    assert get(server, "livereload.js")[0] == 200
    assert get(server, "no/such/page.html")[0] == 404
    assert server.url.startswith("http://127.0.0.1:")
    assert not (server.preview.root / ".dossier-cache").exists()     # the preview writes nothing


def rendered_after_visiting_every_page(server) -> int:
    """Ask for every page (as a browser would, one by one); return how many were rendered."""
    before = server.preview.cache.renderer.rendered
    for path in list(server.preview.site):
        if path.endswith(".html"):
            assert get(server, path)[0] in (200, 404)
    return server.preview.cache.renderer.rendered - before


def test_a_save_rebuilds_and_reloads_once(server):
    rendered_after_visiting_every_page(server)
    assert rendered_after_visiting_every_page(server) == 0        # nothing changed
    before, reloads = server.preview.builds, server.reloads
    path = server.preview.root / "content/articles/a.md"
    path.write_text(path.read_text().replace("Premier texte.", "Texte modifié."))
    wait_for_build(server, before + 1)
    assert "Texte modifié." in get(server, "articles/a/index.html")[1]
    assert settle(server) == before + 1
    assert server.reloads == reloads + 1
    # Only the pages that show that text are rendered again: the article (asked for above),
    # the home page, its related article and the printable dossier.
    assert rendered_after_visiting_every_page(server) == 3


def test_a_long_editing_session_keeps_every_body_right(server):
    """Converted bodies share one buffer, compacted once it mostly holds replaced texts: many
    saves of one article neither lose nor mix up any body."""
    path = server.preview.root / "content/articles/b.md"
    for version in range(4):
        path.write_text(article(title="Bravo", date="2022-02-01", actors="[Iran, Russie]",
                                body=f"Version {version}.\n\n" + "Mot répété. " * 2000))
        wait_until(lambda: f"Version {version}." in get(server, "articles/b/index.html")[1])
        page = get(server, "articles/b/index.html")[1]
        assert page.count("Mot répété.") == 2000
        assert "Premier texte." in get(server, "articles/a/index.html")[1]


def test_a_burst_of_saves_gives_one_build_and_one_reload(server):
    before, reloads = server.preview.builds, server.reloads
    root = server.preview.root
    for i in range(12):
        (root / f"content/articles/burst{i}.md").write_text(article(title=f"Burst {i}"))
    wait_for_build(server, before + 1)
    assert settle(server, 1.0) == before + 1
    assert server.reloads == reloads + 1
    assert "Burst 11" in get(server, "index.html")[1]


def test_a_save_before_the_watch_is_in_place_is_built_before_serving(make_dossier,
                                                                     monkeypatch):
    """A file saved after the first build but before the watcher watches is caught up, and
    the server says it is ready only then (once, not again when the next saves come)."""
    from dossier import watch
    root = make_dossier(FILES)
    real = watch.batches

    def late(*args):
        (root / "content/articles/a.md").write_text(article(title="Entre-temps"))
        yield from real(*args)

    def slow_snapshot(*args):               # the catch-up takes a while: ready waits for it
        time.sleep(0.5)
        return real_snapshot(*args)

    real_snapshot = watch.snapshot
    monkeypatch.setattr(watch, "batches", late)
    monkeypatch.setattr(watch, "snapshot", slow_snapshot)
    with preview_server(root) as server:
        assert server.preview.builds == 2               # the first build, then the catch-up
        assert "Entre-temps" in get(server, "index.html")[1]
        (root / "content/articles/b.md").write_text(article(title="Ensuite"))
        wait_for_build(server, 3)
        assert settle(server, 0.5) == 3
        assert "Ensuite" in get(server, "index.html")[1]


def test_create_delete_and_rename(server):
    root, builds = server.preview.root, server.preview.builds
    (root / "content/articles/new.md").write_text(article(title="Nouveau", date="2023-05-05"))
    wait_until(lambda: "Nouveau" in get(server, "index.html")[1])
    assert "Nouveau" in get(server, "timeline/index.html")[1]
    (root / "content/articles/new.md").rename(root / "content/articles/renamed.md")
    wait_until(lambda: get(server, "articles/renamed/index.html")[0] == 200)
    assert get(server, "articles/new/index.html")[0] == 404
    (root / "content/articles/renamed.md").unlink()
    wait_until(lambda: get(server, "articles/renamed/index.html")[0] == 404)
    assert "Nouveau" not in get(server, "index.html")[1]
    assert builds < server.preview.builds


def test_errors_show_in_an_overlay_over_the_last_good_site(server):
    path = server.preview.root / "content/articles/a.md"
    good = path.read_text()
    builds = server.preview.builds
    path.write_text(good.replace("date: 2022-01-01", "date: 2022-02-30"))
    wait_for_build(server, builds + 1)
    code, page = get(server, "articles/a/index.html")
    assert code == 200 and "Premier texte." in page           # the last good version
    assert 'id="dossier-build-errors"' in page
    assert "content/articles/a.md:3: date: &#x27;2022-02-30&#x27; is not a valid date" in page
    assert status(server)["errors"][0].startswith("content/articles/a.md:3:")
    path.write_text(good)
    wait_for_build(server, builds + 2)
    assert 'id="dossier-build-errors"' not in get(server, "articles/a/index.html")[1]
    assert status(server)["errors"] == []


def test_an_error_found_once_pages_are_planned_keeps_the_last_good_site(server):
    # Two files for one address is found after the pages are planned (write.check_outputs):
    # the pages of that build must not be served, not even those never asked for before.
    root = server.preview.root
    assert get(server, "index.html")[0] == 200          # article a not asked for yet
    builds = server.preview.builds
    (root / "content/articles/a").mkdir()
    (root / "content/articles/a/index.html").write_text("<p>in the way</p>")
    wait_for_build(server, builds + 1)
    path = root / "content/articles/a.md"
    path.write_text(path.read_text().replace("Premier texte.", "Texte corrigé."))
    wait_for_build(server, builds + 2)
    code, page = get(server, "articles/a/index.html")
    assert code == 200 and "Premier texte." in page and "Texte corrigé." not in page
    assert "two files would be written to articles/a/index.html" in page
    (root / "content/articles/a/index.html").unlink()
    wait_until(lambda: "Texte corrigé." in get(server, "articles/a/index.html")[1])


def test_output_hidden_and_editor_files_are_ignored(server):
    root = server.preview.root
    builds = settle(server)
    (root / "_site").mkdir(exist_ok=True)
    (root / "_site/index.html").write_text("x")
    (root / "content/articles/.a.md.swp").write_text("x")
    (root / "content/articles/a.md~").write_text("x")
    (root / "content/articles/.#a.md").write_text("x")
    (root / "content/.hidden").mkdir()
    (root / "content/.hidden/x.md").write_text("x")
    (root / "notes.txt").write_text("x")
    assert settle(server, 1.0) == builds


def test_an_editors_temporary_files_neither_rebuild_nor_show_as_changes(server):
    """vim's `4913` probe comes and goes: no build, no reload. An atomic save (a temporary
    file renamed over the file saved, as `sed -i` and many editors do) is one build, naming
    the file saved only. A folder moved out of content/ still counts, as one event."""
    root = server.preview.root
    builds, reloads = settle(server), server.reloads
    logged = []
    server.log = logged.append
    probe = root / "content/articles/4913"
    probe.write_text("")
    probe.unlink()
    assert settle(server, 1.0) == builds
    assert server.reloads == reloads
    saved, temporary = root / "content/articles/a.md", root / "content/articles/sedX1b2c3"
    temporary.write_text(saved.read_text().replace("Premier texte.", "Texte remplacé."))
    temporary.replace(saved)
    wait_until(lambda: "Texte remplacé." in get(server, "articles/a/index.html")[1])
    assert settle(server) == builds + 1
    assert [line for line in logged if line.startswith("changed:")] == ["changed: a.md"]
    folder = root / "content/articles/annexes"
    folder.mkdir()
    (folder / "c.md").write_text(article(title="Annexe"))
    wait_until(lambda: "Annexe" in get(server, "index.html")[1])
    folder.rename(root / "annexes-rangees")
    wait_until(lambda: "Annexe" not in get(server, "index.html")[1])


def test_a_file_written_into_a_new_folder_counts_when_it_goes(tmp_path):
    # The watch reaches a new folder after its first files may be written: they give no
    # event of their own, only the folder does. Removing such a file later must rebuild
    # (the preview showed a deleted file's page before).
    from dossier.watch import _lasting, _with_folders
    known = write_files(tmp_path, {"content/articles/a.md": "a"}) / "content/articles/a.md"
    present = _with_folders([str(known.resolve())])
    folder = tmp_path / "content/articles/new"
    write_files(folder, {"b.md": "b", "images/c.png": "c"})
    assert _lasting({str(folder)}, present) == {str(folder)}
    for name in ("b.md", "images/c.png"):
        (folder / name).unlink()
        assert _lasting({str(folder / name)}, present) == {str(folder / name)}
    (tmp_path / "content/articles/tmp~").write_text("x")        # came and went: left out
    (tmp_path / "content/articles/tmp~").unlink()
    assert _lasting({str(tmp_path / "content/articles/tmp~")}, present) == set()


def test_theme_and_config_changes_rebuild_everything(server):
    root, builds = server.preview.root, server.preview.builds
    write_files(root, {"theme/templates/404.html":
                       "{% extends 'base.html' %}{% block main %}Perdu{% endblock %}"})
    wait_for_build(server, builds + 1)
    assert "Perdu" in get(server, "404.html")[1]
    settle(server)
    (root / "dossier.yaml").write_text("title: Nouveau titre\nlanguage: fr\n")
    wait_for_build(server, server.preview.builds + 1)
    assert "Nouveau titre" in get(server, "articles/b/index.html")[1]
    pages = sum(1 for path in server.preview.site if path.endswith(".html"))
    rendered_after_visiting_every_page(server)
    assert server.preview.cache.renderer.rendered == pages      # a new renderer: all pages


def test_incremental_output_equals_a_clean_build(server, tmp_path):
    """After each edit of a sequence, every page served is byte-identical to a clean build."""
    root = server.preview.root
    edits = [
        ("content/actors/iran.md", "---\nname: Iran\naliases: [Téhéran, Perse]\nkind: state\n---\n"),
        ("content/articles/c.md", article(title="Charlie", date="2022-01-15", actors="[Perse]",
                                          tags="[drones]")),
        ("content/articles/a.md", article(title="Alpha 2", date="2022-03-01",
                                          actors="[Russie]", body="Nouveau [lien](c.md).")),
        ("content/actors/russie.md", "---\nname: Russie\naliases: [Moscou]\nkind: state\n---\nProse."),
        # Saves that change only texts or a title: the last build is patched, not redone.
        ("content/articles/a.md", article(title="Alpha 2", date="2022-03-01",
                                          actors="[Russie]", body="Autre [lien](c.md).")),
        ("content/articles/c.md", article(title="Charlie bis", date="2022-01-15",
                                          actors="[Perse]", tags="[drones]")),
        ("content/actors/russie.md", "---\nname: Russie\naliases: [Moscou]\nkind: state\n---\nAutre."),
        ("content/articles/c.md", "---\ntitle: [Charlie\n---\n"),          # fails, then fixed
        ("content/articles/c.md", article(title="Charlie ter", date="2022-01-15",
                                          actors="[Perse]", tags="[drones]")),
        ("content/articles/b.md", None),
    ]
    for name, text in edits:
        builds = server.preview.builds
        if text is None:
            (root / name).unlink()
        else:
            (root / name).write_text(text)
        wait_for_build(server, builds + 1)
        settle(server, 0.2)
        clean = build(root, write_output=False)
        if not clean.ok:                 # the preview keeps the last good site meanwhile
            assert server.preview.problems
            continue
        expected = {o.path: o.content() for o in clean.outputs}
        served = {p: o.content() for p, o in server.preview.site.items()}
        assert sorted(served) == sorted(expected), name
        assert [p for p in expected if served[p] != expected[p]] == [], name


def test_port_in_use_is_a_usage_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), "--root", str(REPO))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_serve_prints_its_url_and_stops_cleanly_on_ctrl_c(make_dossier):
    import signal
    import subprocess
    import sys

    root = make_dossier(FILES)
    # As from a terminal: a test run started in the background (`pytest &`) ignores Ctrl-C,
    # and a child would inherit that.
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--port", "0",
                                "--root", str(root)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = ""
        deadline = time.monotonic() + 30
        while "Serving" not in line and time.monotonic() < deadline:
            line = process.stdout.readline()
        url = line.split(" on ")[1].split(" ")[0]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "articles/a/index.html", timeout=10) as response:
            assert "Premier texte." in response.read().decode()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "preview stopped" in out and "Traceback" not in err


def test_a_theme_chosen_while_serving_is_watched(server):
    """dossier.yaml's theme: changed while `serve` runs: saves in the new theme's folder
    rebuild the site (the watcher was set up once, for the old folder)."""
    root = server.preview.root
    write_files(root, {"autre/templates/404.html":
                       "{% extends 'base.html' %}{% block main %}Premier thème{% endblock %}"})
    settle(server)
    builds = server.preview.builds
    (root / "dossier.yaml").write_text("title: Dossier\nlanguage: fr\ntheme: autre\n")
    wait_for_build(server, builds + 1)
    wait_until(lambda: "Premier thème" in get(server, "404.html")[1])
    builds = settle(server)
    write_files(root, {"autre/templates/404.html":
                       "{% extends 'base.html' %}{% block main %}Thème modifié{% endblock %}"})
    wait_for_build(server, builds + 1)
    wait_until(lambda: "Thème modifié" in get(server, "404.html")[1])


def test_a_saved_file_is_read_once(make_dossier):
    """A file saved in the preview is read at that save only: the next save, which adds an
    article, takes the record the first one made (read again, it would be a new record, and
    the preview would link every article again instead of adding the new one)."""
    from dossier.cache import BuildCache
    root = make_dossier({
        "content/actors/russie.md": "---\nname: Russie\nkind: state\n---\n",
        "content/articles/a.md": article(title="Alpha", actors="[Russie]"),
        "content/articles/b.md": article(title="Bravo", date="2022-01-02", actors="[Russie]")})
    preview = BuildCache()

    def save(name: str, text: str):
        path = root / "content/articles" / name
        path.write_text(text, encoding="utf-8")
        result = build(root, write_output=False, cache=preview, lazy=True,
                       changed={path} if preview.linked else None)
        assert result.ok, result.problems.items
        return {a.slug: a for a in preview.linked.articles}

    save("a.md", article(title="Alpha", actors="[Russie]"))
    saved = save("a.md", article(title="Alpha, corrigé", actors="[Russie]"))["a"]
    after = save("c.md", article(title="Charlie", date="2022-01-03", actors="[Russie]"))
    assert after["a"] is saved
    assert after["c"].title == "Charlie"

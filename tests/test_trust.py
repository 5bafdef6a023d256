"""The scenarios of issue #15, as a user meets them: a cached build never keeps a page from
before an edit, whatever the edit touched (content, theme, or dossier's own code)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.helpers import REPO, digest, write_files

FILES = {
    "dossier.yaml": "title: Dossier\nlanguage: fr\n",
    "content/actors/iran.md": "---\nname: Iran\nkind: state\n---\n",
}
URL = "source:\n  name: Associated Press\n  url: https://example.org/{}\n"


# A theme whose article lists show a field the default theme's lists do not (the source's URL).
URLS_IN_LISTS = {"theme/templates/_article_list.html":
                 "{% for slug in slugs %}<p>{{ dossier.by_slug[slug].source.url }}</p>"
                 "{% endfor %}\n"}


def _with_url(_: str, title: str, date: str, url: str) -> str:
    return (f'---\ntitle: "{title}"\ndate: {date}\n' + URL.format(url) +
            "actors: [Iran]\ntags: [drones]\n---\nTexte.\n")


def _dossier(tmp_path: Path) -> Path:
    root = tmp_path / "dossier"
    write_files(root, {**FILES,
                       "content/articles/a.md": _with_url("a", "Alpha", "2022-01-01", "un"),
                       "content/articles/b.md": _with_url("b", "Bravo", "2022-02-01", "deux")})
    return root


def _build(root: Path, *args: str, python: list[str] | None = None) -> str:
    command = python or [sys.executable, str(REPO / "build.py")]
    result = subprocess.run([*command, "build", "--root", str(root), *args],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _same_as_clean(root: Path, tmp_path: Path, python: list[str] | None = None) -> None:
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    _build(root, "--no-cache", "--output", str(clean), python=python)
    assert digest(root / "_site") == digest(clean)


def test_a_new_source_url_reaches_every_page_that_shows_it(tmp_path):
    root = _dossier(tmp_path)
    _build(root)
    (root / "content/articles/a.md").write_text(_with_url("a", "Alpha", "2022-01-01", "neuf"))
    _build(root)
    _build(root)
    assert "https://example.org/neuf" in (root / "_site/print/index.html").read_text()
    _same_as_clean(root, tmp_path)


def test_a_theme_showing_more_fields_is_followed_on_lists_and_print(tmp_path):
    root = _dossier(tmp_path)
    write_files(root, URLS_IN_LISTS)
    _build(root)
    (root / "content/articles/a.md").write_text(_with_url("a", "Alpha", "2022-01-01", "neuf"))
    _build(root)
    for page in ("index.html", "articles/b/index.html", "tags/drones/index.html",
                 "print/index.html"):
        assert "https://example.org/neuf" in (root / "_site" / page).read_text(), page
    _same_as_clean(root, tmp_path)


def test_a_change_to_dossiers_own_code_renders_again(tmp_path):
    """A git install, or a developer's edit: the package's files change, __version__ not."""
    code = tmp_path / "code"
    shutil.copytree(REPO / "dossier", code / "dossier",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "theme", code / "theme", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "build.py", code / "build.py")
    python = [sys.executable, str(code / "build.py")]
    root = _dossier(tmp_path)
    _build(root, python=python)
    before = digest(root / "_site")
    pictures = code / "dossier/pictures.py"
    pictures.write_text(pictures.read_text().replace('role="group"', 'role="figure"'))
    output = _build(root, python=python)
    assert "(0 rendered)" not in output
    assert digest(root / "_site") != before
    _same_as_clean(root, tmp_path, python=python)


def test_a_dependency_upgraded_renders_again(tmp_path):
    """pip upgrading a library renames its metadata folder (name-version.dist-info): the
    pages a cached build kept were made by the old version, and are made again."""
    libraries = tmp_path / "libraries"
    (libraries / "somelib-1.0.dist-info").mkdir(parents=True)
    egg = tmp_path / "zipped.egg"           # a library imported from a zip file
    with zipfile.ZipFile(egg, "w") as archive:
        archive.writestr("zipped/__init__.py", "VERSION = 1\n")
    root = _dossier(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(libraries), str(egg)])}

    def build() -> str:
        result = subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--root",
                                 str(root)], capture_output=True, text=True, timeout=120,
                                env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout

    build()
    assert "(0 rendered)" in build()
    (libraries / "somelib-1.0.dist-info").rename(libraries / "somelib-1.1.dist-info")
    assert "(0 rendered)" not in build()
    assert "(0 rendered)" in build()
    with zipfile.ZipFile(egg, "w") as archive:
        archive.writestr("zipped/__init__.py", "VERSION = 2  # a new release\n")
    assert "(0 rendered)" not in build()


def test_a_build_with_nothing_changed_touches_nothing_and_misses_no_edit(tmp_path):
    """The no-change fast path (pipeline.unchanged): it must see every change a clean build
    would, including a save that keeps the file's size and time, a deleted output file, a
    theme edit and other options."""
    from tests.helpers import article, run_cli
    root = write_files(tmp_path / "d", {
        "dossier.yaml": "title: Dossier\nlanguage: fr\n",
        "content/articles/a.md": article(title="Avant", actors="[Inconnu]"),
        "content/articles/b.md": article(title="Autre")})
    first = run_cli("build", "--root", str(root))
    assert first.returncode == 0, first.stderr
    again = run_cli("build", "--root", str(root))
    assert "(0 rendered)" in again.stdout and "(0 changed," in again.stdout
    assert "unknown actor 'Inconnu'" in again.stderr              # its problems said again
    # A save that keeps size and time (the clock of FAT or exFAT is two seconds).
    path = root / "content/articles/a.md"
    stat = path.stat()
    path.write_text(path.read_text().replace("Avant", "Apres"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert run_cli("build", "--root", str(root)).returncode == 0
    assert "<h1>Apres</h1>" in (root / "_site/articles/a/index.html").read_text()
    # A file of the site deleted or edited by hand is made again.
    (root / "_site/articles/b/index.html").unlink()
    (root / "_site/index.html").write_text("edited")
    assert run_cli("build", "--root", str(root)).returncode == 0
    _same_as_clean(root, tmp_path)
    # A theme edit, and other options.
    write_files(root, {"theme/templates/tag.html": "{% extends 'base.html' %}"})
    assert "(0 rendered)" not in run_cli("build", "--root", str(root)).stdout
    with_url = run_cli("build", "--root", str(root), "--base-url", "https://example.org/")
    assert (root / "_site/feed.xml").is_file(), with_url.stderr


def test_pages_kept_across_a_failed_build_are_checked_against_what_they_showed(tmp_path):
    """A build stopped by a content error keeps its state (the graph it linked) but writes
    no page: the next build must compare the pages with the graph they were made from, not
    with the failed build's, where an edit made in the same save is already in place."""
    from tests.helpers import run_cli
    root = _dossier(tmp_path)
    write_files(root, URLS_IN_LISTS)
    _build(root)
    (root / "content/articles/b.md").write_text(_with_url("b", "Bravo", "2022-02-01", "neuf"))
    (root / "content/articles/a.md").write_text(_with_url("a", "Alpha", "2022-13-01", "un"))
    failed = run_cli("build", "--root", str(root))
    assert failed.returncode == 1 and "a.md" in failed.stderr
    (root / "content/articles/a.md").write_text(_with_url("a", "Alpha", "2022-01-01", "un"))
    _build(root)
    for page in ("tags/drones/index.html", "articles/b/index.html", "print/index.html"):
        assert "https://example.org/neuf" in (root / "_site" / page).read_text(), page
    _same_as_clean(root, tmp_path)


def test_a_save_that_keeps_a_files_size_and_times_is_still_read(tmp_path, monkeypatch):
    """The state a build keeps (cache.save_state) reuses a file's record only when its bytes
    are the same (by digest, read anyway by the no-change check), never by its size and
    times alone: a second save within one tick of the file system's clock (FAT's is two
    seconds), or a program setting the time back, keeps all three. Simulated here by a clock
    that does not see the change at all."""
    from dossier import cache, load
    from dossier.pipeline import build
    root = _dossier(tmp_path)
    path = root / "content/articles/a.md"
    tick = path.stat().st_ctime_ns        # the clock stands still from now on
    monkeypatch.setattr(load, "_changes", lambda stat: (tick, stat.st_size, tick))
    page = root / "_site/articles/a/index.html"
    assert build(root, use_disk_cache=True).ok
    path.write_text(path.read_text().replace("Alpha", "Omega"))    # same size, "same time"
    assert build(root, use_disk_cache=True).ok
    assert "<h1>Omega</h1>" in page.read_text()
    # The digest is what saves it: a state trusting sizes and times keeps the old page.
    restore = cache.BuildCache.restore_state

    def by_times(self, content, digests=None):
        kept = (self._read_state() or {}).get("files", {})
        restore(self, content, {p: e[1].parsed.digest for p, e in kept.items() if e[1]})
    monkeypatch.setattr(cache.BuildCache, "restore_state", by_times)
    path.write_text(path.read_text().replace("Omega", "Gamma"))
    assert build(root, use_disk_cache=True).ok
    assert "<h1>Omega</h1>" in page.read_text()


def test_an_unchanged_file_is_not_read_again_until_its_stamp_moves(tmp_path, monkeypatch):
    """files.inputs_digest reuses a file's digest while its inode, size and both times are
    those recorded with it (as git's index): no-change and one-edit builds of a large
    dossier do not read every file. The change time, which no program can set, moves on
    any save: one that keeps the size and puts the modification time back is still seen."""
    from dossier import files
    from dossier.pipeline import build
    monkeypatch.setattr(files, "SETTLED_NS", 0)          # every file counts as settled
    root = _dossier(tmp_path)
    path, page = root / "content/articles/a.md", root / "_site/articles/a/index.html"
    assert build(root, use_disk_cache=True).ok
    read = []
    real = files._bytes
    monkeypatch.setattr(files, "_bytes", lambda p, top: read.append(os.path.basename(p)) or real(p, top))
    assert build(root, use_disk_cache=True).ok
    assert read == []
    before = path.stat()
    path.write_text(path.read_text().replace("Alpha", "Omega"))    # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))    # same modification time
    assert build(root, use_disk_cache=True).ok
    assert "a.md" in read and "<h1>Omega</h1>" in page.read_text()


def test_a_file_changed_just_before_it_was_read_is_read_again(tmp_path, monkeypatch):
    """Two saves within one tick of the file system's clock keep all of a file's stamp (the
    times of both are the tick's): a stamp is kept only for a file left alone for
    SETTLED_NS before it was read. Simulated by a clock that does not move; trusting such
    a stamp leaves the old page, which shows this test can fail."""
    from dossier import files
    from dossier.pipeline import build
    root = _dossier(tmp_path)
    path, page = root / "content/articles/a.md", root / "_site/articles/a/index.html"
    real, tick = os.lstat, path.stat()

    class Still:                      # a's stamp, with times that stand still
        def __init__(self, stat):
            self.st_mode, self.st_dev, self.st_ino = stat.st_mode, stat.st_dev, stat.st_ino
            self.st_size, self.st_mtime_ns, self.st_ctime_ns = \
                stat.st_size, tick.st_mtime_ns, tick.st_ctime_ns
    monkeypatch.setattr(files.os, "lstat",
                        lambda p, *a, **k: Still(real(p)) if Path(p) == path else
                        real(p, *a, **k))
    assert build(root, use_disk_cache=True).ok
    path.write_text(path.read_text().replace("Alpha", "Omega"))    # same size, same "time"
    assert build(root, use_disk_cache=True).ok
    assert "<h1>Omega</h1>" in page.read_text()
    monkeypatch.setattr(files, "SETTLED_NS", -10**18)    # trusting every stamp at once
    assert build(root, use_disk_cache=True).ok
    path.write_text(path.read_text().replace("Omega", "Gamma"))
    assert build(root, use_disk_cache=True).ok
    assert "<h1>Omega</h1>" in page.read_text()


def test_stamps_another_user_wrote_are_not_trusted(tmp_path, monkeypatch):
    """The stamps are signed like the rest of the cache: those that came with a received
    dossier (another machine's key) are ignored and every file is read."""
    from dossier import cache, files
    from dossier.pipeline import build
    monkeypatch.setattr(files, "SETTLED_NS", 0)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "theirs"))
    monkeypatch.setattr(cache, "_KEY", None)
    root = _dossier(tmp_path)
    assert build(root, use_disk_cache=True).ok
    folder = root / cache.CACHE_DIR
    assert str(root / "content/articles/a.md") in cache.BuildCache(folder=folder).input_stamps()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "mine"))
    monkeypatch.setattr(cache, "_KEY", None)
    assert cache.BuildCache(folder=folder).input_stamps() == {}


def test_the_preview_reads_the_stores_once_not_at_every_save(tmp_path, monkeypatch):
    """A cached build reads the converted bodies' store ahead, in a thread; the preview
    (one BuildCache for hours) holds them after its first build and must not read the store
    again at every save (at 10,000 articles that was 66 MB a save, and 0.18 -> 0.31 s)."""
    from dossier import cache
    from dossier.pipeline import build
    root = _dossier(tmp_path)
    assert build(root, use_disk_cache=True).ok          # a store to read
    reads = []
    real = cache.BuildCache._read_texts
    monkeypatch.setattr(cache.BuildCache, "_read_texts",
                        lambda self: reads.append(1) or real(self))
    preview = cache.BuildCache()
    page = root / "content/articles/a.md"
    original = page.read_text()
    for word in ("Omega", "Gamma", "Delta"):
        page.write_text(original.replace("Texte.", f"Texte {word}."))
        served = build(root, write_output=False, cache=preview, lazy=True,
                       use_disk_cache=True, changed={page})
        assert served.ok and any(word.encode() in o.content() for o in served.outputs
                                 if o.path == "articles/a/index.html")
    assert len(reads) == 1


def test_the_preview_starts_from_the_fragments_a_build_kept(tmp_path, monkeypatch):
    """`serve` after `build`: its first build makes one page of each template (the timeline,
    the printable dossier: 13 of the 17 s it took to start at 10,000 articles) from the
    fragments the build kept, although the preview shows drafts and the build does not;
    its later builds do not check the whole store again."""
    from dossier import depends
    from dossier.cache import BuildCache
    from dossier.pipeline import build
    root = _dossier(tmp_path)
    write_files(root, {"content/articles/c.md": _with_url("c", "Charlie", "2022-03-01", "trois")
                       .replace("tags:", "draft: true\ntags:")})
    assert build(root, use_disk_cache=True).ok
    found = []
    real = depends.Pieces.get
    monkeypatch.setattr(depends.Pieces, "get", lambda self, key, snapshot: found.append(
        (key.split("\0")[0].removeprefix(depends.tracked_key("")),
         real(self, key, snapshot) is not None)) or real(self, key, snapshot))
    preview = BuildCache()
    served = build(root, write_output=False, cache=preview, lazy=True, use_disk_cache=True,
                   show_drafts=True)
    assert served.ok
    kept = {name for name, hit in found if hit}
    assert "_entries.html" in kept, found            # the timeline's blocks, not made again
    assert ("_entries.html", False) in found         # the block with the draft, made again
    timeline = next(o for o in served.outputs if o.path == "timeline/index.html").content()
    assert b"Charlie" in timeline and b"Alpha" in timeline
    found.clear()
    page = root / "content/articles/a.md"
    page.write_text(page.read_text().replace("Texte.", "Texte modifié."))
    assert build(root, write_output=False, cache=preview, lazy=True, use_disk_cache=True,
                 show_drafts=True, changed={page}).ok
    assert preview.renderer.pieces is None and found == []


def test_the_preview_gives_back_the_store_it_was_lent(tmp_path, monkeypatch):
    """The piece store lent to the preview's first build (226 MB at 10,000 articles) is let
    go of once that build is done: the fragments its pages keep are copies, not views of the
    store, and the last piece handed to a page is not held either."""
    import gc
    from dossier import depends
    from dossier.cache import BuildCache
    from dossier.pipeline import build
    root = _dossier(tmp_path)
    assert build(root, use_disk_cache=True).ok
    lent = []
    real = depends.Pieces.forget
    monkeypatch.setattr(depends.Pieces, "forget",
                        lambda self: lent.append(self.buffer) or real(self))
    served = build(root, write_output=False, cache=BuildCache(), lazy=True,
                   use_disk_cache=True)
    assert served.ok and [o.content() for o in served.outputs]
    assert len(lent) == 1
    size = len(lent[0])
    gc.collect()
    held = sys.getrefcount(lent[0])    # the list's, and getrefcount's argument: 2
    assert size > 0 and held == 2


def test_a_preview_started_after_a_theme_edit_shows_the_new_wording(tmp_path):
    """The fragments a build kept were made with its theme: a preview started after the
    theme changed (and before any build) makes them again."""
    from dossier.cache import BuildCache
    from dossier.pipeline import build
    root = _dossier(tmp_path)
    assert build(root, use_disk_cache=True).ok
    write_files(root, {"theme/i18n/fr.yaml": "kind_article: ARTICLE-REFORMULÉ\n"})
    served = build(root, write_output=False, cache=BuildCache(), lazy=True,
                   use_disk_cache=True, show_drafts=True)
    timeline = next(o for o in served.outputs if o.path == "timeline/index.html").content()
    assert "ARTICLE-REFORMULÉ".encode() in timeline


def test_the_library_leaves_the_cyclic_collector_to_the_command_line(tmp_path, monkeypatch):
    """Interpreter tuning (the collector switched off, objects frozen out of its sight) is
    the command line's (cli._reading_store, cli._tune_collector): a program building a
    dossier through the library, a cached build reading its stores back included, finds the
    interpreter as it left it."""
    import gc
    from dossier.pipeline import build
    root = _dossier(tmp_path)
    assert build(root, use_disk_cache=True).ok
    touched = []
    for name in ("disable", "enable", "freeze", "unfreeze", "set_threshold"):
        monkeypatch.setattr(gc, name, lambda *args, name=name: touched.append(name))
    page = root / "content/articles/a.md"
    page.write_text(page.read_text().replace("Texte.", "Texte modifié."))
    result = build(root, use_disk_cache=True, jobs=1)
    assert result.ok and result.rendered        # read the state, the page cache, the pieces
    assert touched == []

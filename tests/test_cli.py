"""The real command line: every content error located, all reported, exit codes, safe output."""

import os
import subprocess
import sys

import pytest

from tests.helpers import article, digest, run_cli, write_files

GOOD = {"content/articles/good.md": article(title="Bon article")}


def cli(root, *args):
    result = run_cli(*args, "--root", str(root))
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.mark.parametrize("name, text, expected", [
    ("yaml.md", "---\ntitle: x\ntags: [a, b\ndate: 2022-01-01\n---\n",
     "content/articles/yaml.md:3: invalid YAML"),
    ("date.md", article(date="2022-02-30"),
     "content/articles/date.md:3: date: '2022-02-30' is not a valid date"),
    ("notitle.md", "---\ndate: 2022-01-01\nsource: AP\n---\n",
     "content/articles/notitle.md:2: missing required field 'title'"),
    ("nosource.md", "---\ntitle: T\ndate: 2022-01-01\n---\n",
     "content/articles/nosource.md:2: missing required field 'source'"),
    ("escape.md", article(slug="../../etc/passwd"),
     "content/articles/escape.md:5: slug '../../etc/passwd' may only hold a-z, 0-9 and '-'"),
    ("nomatter.md", "Just text\n",
     "content/articles/nomatter.md:1: no front matter"),
    ("latin1.md", "---\ntitle: Cor\xe9e\n---\n".encode("latin-1"),
     "content/articles/latin1.md:2: not UTF-8 text"),
    ("link.md", article(body="Intro.\n\nSee [there](missing.md)."),
     "content/articles/link.md:8: link to 'missing.md' points nowhere"),
    ("status.md", article(claims="[{by: X, status: rumoured, text: t}]"),
     "content/articles/status.md:5: status 'rumoured' is not a claim status"),
    ("event.md", article(events="\n  - date: 2022-13-01\n    title: Bad month"),
     "content/articles/event.md:6: events.0.date: '2022-13-01' is not a valid date"),
    ("bomb.md", "---\ntitle: &a T\ndate: 2022-01-01\nsource: *a\n---\n",
     "content/articles/bomb.md:4: invalid YAML: YAML alias is not allowed"),
])
def test_each_content_error_is_located_and_explained(make_dossier, name, text, expected):
    root = make_dossier({**GOOD, f"content/articles/{name}": text})
    result = cli(root, "check")
    assert result.returncode == 1
    assert expected in result.stderr, result.stderr


def test_duplicate_slugs_name_both_files(make_dossier):
    root = make_dossier({"content/articles/a.md": article(slug="same"),
                         "content/articles/b.md": article(slug="same")})
    result = cli(root, "check")
    assert result.returncode == 1
    assert "content/articles/b.md:5: article address articles/same/ is also used by " \
           "content/articles/a.md" in result.stderr


def test_alias_claimed_by_two_actors_names_both_files(make_dossier):
    root = make_dossier({**GOOD,
                         "content/actors/a.md": "---\nname: Corée du Nord\naliases: [DPRK]\n---\n",
                         "content/actors/b.md": "---\nname: North Korea\naliases: [dprk]\n---\n"})
    result = cli(root, "check")
    assert result.returncode == 1
    assert "content/actors/b.md:1: name or alias 'dprk' is also claimed by 'Corée du Nord' " \
           "in content/actors/a.md" in result.stderr


def test_all_errors_are_reported_not_only_the_first(make_dossier):
    root = make_dossier({
        "content/articles/a.md": article(date="2022-02-30"),
        "content/articles/b.md": "---\ntitle: [unclosed\n---\n",
        "content/articles/c.md": article(title="C", source="''"),
        "content/actors/x.md": "---\nkind: state\n---\n",
    })
    result = cli(root, "check")
    assert result.returncode == 1
    for where in ("a.md:3:", "b.md:2:", "c.md:4:", "actors/x.md:2:"):
        assert where in result.stderr
    assert "4 errors" in result.stderr


def test_unknown_field_warns_and_fails_under_strict(make_dossier):
    root = make_dossier({"content/articles/a.md": article(auther="Someone")})
    relaxed = cli(root, "check")
    assert relaxed.returncode == 0
    assert "content/articles/a.md:5: warning: unknown field 'auther' is ignored " \
           "(did you mean 'author'?)" not in relaxed.stderr   # author is a source field
    assert "content/articles/a.md:5: warning: unknown field 'auther' is ignored" in relaxed.stderr
    strict = cli(root, "check", "--strict")
    assert strict.returncode == 1 and "warnings count as errors" in strict.stderr


def test_a_typo_of_a_known_actor_is_an_error_and_a_new_name_a_stub(make_dossier):
    """'Hoothis' must not publish a page of its own; 'Corée du Sud' is another actor."""
    root = make_dossier({
        "content/articles/a.md": article(actors="[Corée du Nrd, Hoothis, Corée du Sud, Irak]"),
        "content/actors/k.md": "---\nname: Corée du Nord\n---\n",
        "content/actors/h.md": "---\nname: Ansar Allah\naliases: [Houthis]\n---\n",
        "content/actors/i.md": "---\nname: Iran\n---\n"})
    result = cli(root, "build")
    assert result.returncode == 1
    assert "content/articles/a.md:5: unknown actor 'Corée du Nrd': did you mean 'Corée du " \
           "Nord'?" in result.stderr
    assert "content/articles/a.md:5: unknown actor 'Hoothis': did you mean 'Ansar Allah'?" \
        in result.stderr                                   # found through its alias
    for new in ("Corée du Sud", "Irak"):
        assert f"a.md:5: warning: unknown actor '{new}': a stub page is made" in result.stderr
    assert "2 errors" in result.stderr and not (root / "_site").exists()
    fixed = (root / "content/articles/a.md").read_text().replace("Nrd", "Nord") \
        .replace("Hoothis", "Houthis")
    (root / "content/articles/a.md").write_text(fixed)
    assert cli(root, "build").returncode == 0
    assert sorted(p.name for p in (root / "_site/actors").iterdir() if p.is_dir()) == \
        sorted(["coree-du-nord", "coree-du-sud", "iran", "irak", "ansar-allah"])


def test_build_and_check_exit_codes(make_dossier, tmp_path):
    root = make_dossier(GOOD)
    assert cli(root, "check").returncode == 0
    assert not (root / "_site").exists(), "check must write nothing"
    built = cli(root, "build")
    assert built.returncode == 0 and "written to" in built.stdout
    assert (root / "_site/articles/good/index.html").is_file()
    assert run_cli("build", "--no-such-flag").returncode == 2
    assert run_cli("check", "--root", str(tmp_path / "missing")).returncode == 2


def test_default_command_is_build(make_dossier):
    root = make_dossier(GOOD)
    assert run_cli("--root", str(root)).returncode == 0
    assert (root / "_site/index.html").is_file()


def test_failed_build_keeps_previous_output_byte_identical(make_dossier):
    root = make_dossier(GOOD)
    assert cli(root, "build").returncode == 0
    before = digest(root / "_site")
    (root / "content/articles/bad.md").write_text(article(date="2022-02-30"))
    result = cli(root, "build")
    assert result.returncode == 1 and "previous output is unchanged" in result.stderr
    assert digest(root / "_site") == before
    # No temporary folders left; the one hidden cache folder is the only other thing written.
    assert sorted(p.name for p in root.iterdir()) == ["._site.lock", ".dossier-cache", "_site",
                                                       "content"]      # no staging left


def test_rebuild_replaces_output_and_removes_deleted_pages(make_dossier):
    root = make_dossier({**GOOD, "content/articles/gone.md": article(title="Gone")})
    assert cli(root, "build").returncode == 0
    (root / "content/articles/gone.md").unlink()
    assert cli(root, "build").returncode == 0
    assert not (root / "_site/articles/gone").exists()
    assert sorted(p.name for p in root.iterdir()) == ["._site.lock", ".dossier-cache", "_site",
                                                       "content"]      # no staging left


def test_a_folder_of_other_files_keeps_them_and_refuses_to_overwrite(make_dossier, tmp_path):
    root = make_dossier(GOOD)
    precious = tmp_path / "Documents"
    precious.mkdir()
    (precious / "thesis.odt").write_text("years of work")
    assert cli(root, "build", "--output", str(precious)).returncode == 0
    assert (precious / "thesis.odt").read_text() == "years of work"
    (precious / "thesis.odt").unlink()
    (precious / "404.html").unlink()
    (precious / "404.html").write_text("my own error page")      # no longer dossier's file
    (precious / ".dossier-files").write_text(
        (precious / ".dossier-files").read_text().replace("404.html\n", ""))
    result = cli(root, "build", "--output", str(precious))
    assert result.returncode == 2
    assert "holds files that dossier did not write where the site goes (404.html)" in \
        result.stderr
    assert (precious / "404.html").read_text() == "my own error page"


def test_output_inside_content_is_a_config_error(make_dossier):
    root = make_dossier(GOOD, config="output: content/site\n")
    result = cli(root, "build")
    assert result.returncode == 1
    assert "dossier.yaml:1: output: content/site overlaps content/" in result.stderr


def test_markdown_cache_gives_the_same_site_and_follows_edits(make_dossier, tmp_path):
    root = make_dossier({**GOOD, "content/articles/b.md": article(title="B", body="Premier."),
                         ".dossier-cache/bodies.json": "{}",      # earlier versions'
                         ".dossier-cache/bodies.jsonl": "[]"})
    assert cli(root, "build").returncode == 0                      # fills the cache
    assert (root / ".dossier-cache/bodies.index").is_file()
    assert not (root / ".dossier-cache/bodies.json").exists()
    assert not (root / ".dossier-cache/bodies.jsonl").exists()
    (root / "content/articles/b.md").write_text(article(title="B", body="Second **texte**."))
    assert cli(root, "build").returncode == 0                      # uses it
    cached = digest(root / "_site")
    assert "<strong>texte</strong>" in (root / "_site/articles/b/index.html").read_text()
    assert cli(root, "build", "--no-cache", "--output", str(tmp_path / "cold")).returncode == 0
    assert digest(tmp_path / "cold") == cached
    (root / ".dossier-cache/bodies.index").write_text("{not json")   # damaged: ignored
    assert cli(root, "build").returncode == 0
    assert digest(root / "_site") == cached
    # Converted HTML and its index not written together (a write cut short): not used.
    (root / "content/articles/b.md").write_text(article(title="B", body="Alpha."))
    assert cli(root, "build").returncode == 0
    alpha = (root / ".dossier-cache/bodies.html").read_bytes()
    (root / "content/articles/b.md").write_text(article(title="B", body="Gamma."))
    assert cli(root, "build").returncode == 0
    (root / ".dossier-cache/bodies.html").write_bytes(alpha)      # as long, but Alpha's
    assert cli(root, "build", "--output", str(tmp_path / "other")).returncode == 0
    page = (tmp_path / "other/articles/b/index.html").read_text()
    assert "<p>Gamma.</p>" in page and "Alpha." not in page


def test_converted_bodies_are_appended_and_a_cut_append_is_not_used(make_dossier, tmp_path):
    """A body edit adds its converted HTML at the end of the store (the rest is not written
    again); an append cut short (the machine stopped mid-write) is dropped, never read."""
    root = make_dossier({**GOOD, "content/articles/b.md": article(title="B", body="Un.")})
    store = root / ".dossier-cache/bodies.html"
    assert cli(root, "build").returncode == 0
    before = store.read_bytes()
    (root / "content/articles/b.md").write_text(article(title="B", body="Deux."))
    assert cli(root, "build").returncode == 0
    after = store.read_bytes()
    assert after.startswith(before) and b"<p>Deux.</p>" in after[len(before):]
    # Cut the last append in the middle of its HTML, and of its index's last line.
    store.write_bytes(after[:-3])
    index = root / ".dossier-cache/bodies.index"
    index.write_bytes(index.read_bytes()[:-10])
    (root / "content/articles/b.md").write_text(article(title="B", body="Trois."))
    assert cli(root, "build").returncode == 0
    (root / "content/articles/b.md").write_text(article(title="B", body="Deux."))
    assert cli(root, "build").returncode == 0
    assert cli(root, "build", "--no-cache", "--output", str(tmp_path / "clean")).returncode == 0
    assert digest(root / "_site") == digest(tmp_path / "clean")
    assert "<p>Deux.</p>" in (root / "_site/articles/b/index.html").read_text()


def test_the_cache_stores_are_never_changed_in_place(make_dossier, tmp_path):
    """A build maps the piece and body stores instead of copying them (cache._mapped), and a
    preview or another build may be reading them: a store is appended to, or written anew
    beside and renamed over, never cut short or overwritten where it is. A hard link shows
    the bytes a reader mapped: they must stay as they were (bytes may follow them)."""
    root = make_dossier({**GOOD, "content/articles/b.md": article(title="B", body="Un.")})
    cache = root / ".dossier-cache"
    assert cli(root, "build").returncode == 0
    for step, body in enumerate(["Deux.", "Trois.", "Quatre."]):
        readers = {}
        for name in ("pieces.bin", "bodies.html"):
            link = tmp_path / f"{step}-{name}"
            os.link(cache / name, link)
            readers[link] = link.read_bytes()
            if step == 1:                   # an append cut short: the store is written anew
                with open(cache / name, "ab") as store:
                    store.write(b"<p>cut")
                readers[link] += b"<p>cut"
        (root / "content/articles/b.md").write_text(article(title="B", body=body))
        assert cli(root, "build").returncode == 0
        for link, data in readers.items():
            assert link.read_bytes().startswith(data), link.name
        assert f"<p>{body}</p>" in (root / "_site/articles/b/index.html").read_text()
    assert cli(root, "build", "--no-cache", "--output", str(tmp_path / "clean")).returncode == 0
    assert digest(root / "_site") == digest(tmp_path / "clean")


def test_a_store_is_checked_again_only_when_its_stamp_moves(make_dossier, tmp_path,
                                                           monkeypatch):
    """The converted bodies and the pieces of pages are not checked byte by byte again while
    their stores keep the stamp (inode, size, modification and change times) the last build
    signed (cache._stamp: 330 MB at 10,000 articles); a store changed in place with its size
    and modification time set back moves its change time, and is checked, and not used."""
    from dossier import cache
    from dossier.pipeline import build
    root = make_dossier({**GOOD, "content/articles/b.md": article(title="B", body="Gamma.")})
    stores = [root / ".dossier-cache" / name for name in ("bodies.html", "pieces.bin")]
    assert build(root, use_disk_cache=True, jobs=1).ok
    checked = []
    signs = cache._signs
    monkeypatch.setattr(cache, "_signs", lambda tag, pieces: (
        checked.extend(bytes(p) for p in pieces), signs(tag, pieces))[1])
    (root / "content/articles/good.md").write_text(article(title="Bon article, revu"))
    assert build(root, use_disk_cache=True, jobs=1).ok
    read = b"".join(checked)
    assert b"<p>Gamma.</p>" not in read, "a store with its stamp was checked again"
    monkeypatch.undo()
    for store in stores:        # the same length, the same modification time, in place
        times = os.stat(store)
        store.write_bytes(store.read_bytes().replace(b"<p>Gamma.</p>", b"<p>Omega.</p>"))
        os.utime(store, ns=(times.st_atime_ns, times.st_mtime_ns))
        assert os.stat(store).st_size == times.st_size
    (root / "content/articles/b.md").write_text(article(title="B, revu", body="Gamma."))
    assert cli(root, "build").returncode == 0
    for page in ("articles/b/index.html", "print/index.html"):
        text = (root / "_site" / page).read_text()
        assert "<p>Gamma.</p>" in text and "Omega" not in text, page
    assert cli(root, "build", "--no-cache", "--output", str(tmp_path / "clean")).returncode == 0
    assert digest(root / "_site") == digest(tmp_path / "clean")


def test_one_build_at_a_time_writes_the_cache_stores(make_dossier, tmp_path, monkeypatch):
    """Two builds of one dossier into two output folders share its cache: while one writes
    the stores, another waits (the stamp a writer signs must vouch only for bytes it checked
    or wrote, see cache._stamp); held too long, it leaves them as they are and still
    builds its site whole."""
    from filelock import FileLock
    from dossier import cache
    from dossier.pipeline import build
    root = make_dossier({**GOOD, "content/articles/b.md": article(title="B", body="Un.")})
    stores = [root / ".dossier-cache" / name for name in ("bodies.html", "pieces.bin")]
    assert build(root, use_disk_cache=True, jobs=1).ok
    before = [store.read_bytes() for store in stores]
    monkeypatch.setattr(cache, "STORES_WAIT_S", 0.5)
    (root / "content/articles/b.md").write_text(article(title="B", body="Deux."))
    with FileLock(str(root / ".dossier-cache/stores.lock")):     # another build's writes
        assert build(root, use_disk_cache=True, jobs=1).ok
    assert [store.read_bytes() for store in stores] == before
    assert "<p>Deux.</p>" in (root / "_site/articles/b/index.html").read_text()
    (root / "content/articles/b.md").write_text(article(title="B", body="Trois."))
    assert build(root, use_disk_cache=True, jobs=1).ok
    assert b"<p>Trois.</p>" in stores[0].read_bytes()
    assert build(root, output=str(tmp_path / "clean"), jobs=1).ok
    assert digest(root / "_site") == digest(tmp_path / "clean")


def test_check_reads_and_writes_no_cache(make_dossier):
    root = make_dossier(GOOD)
    assert cli(root, "check").returncode == 0
    assert sorted(p.name for p in root.iterdir()) == ["content"]


def test_unchanged_files_keep_their_identity_and_time(make_dossier):
    root = make_dossier({**GOOD, "content/articles/b.md": article(title="B", body="Un.")})
    assert cli(root, "build").returncode == 0
    css, page = root / "_site/static/style.css", root / "_site/articles/b/index.html"
    before_css, before_page = css.stat(), page.stat()
    (root / "content/articles/b.md").write_text(article(title="B", body="Deux."))
    result = cli(root, "build")
    assert result.returncode == 0 and " unchanged) written to " in result.stdout
    assert css.stat().st_mtime_ns == before_css.st_mtime_ns       # same file, same time
    assert page.stat().st_ino != before_page.st_ino and "Deux." in page.read_text()


# The real command line, with the re-reading of one unchanged file's front matter failing as
# it would if the file were changed into a broken one while the build runs.
_CHANGED_MID_BUILD = """
import sys
from dossier import load
real = load.read
def read(path, problems, known=None, saved=None):
    if path.name == "a.md" and known is None and saved is None:    # load.Unparsed's read
        return None
    return real(path, problems, known, saved)
load.read = read
from dossier import cli
sys.argv = ["build.py", *sys.argv[1:]]
cli.run()
"""


def test_a_file_changed_while_it_is_built_stops_the_build_with_a_message(tmp_path):
    """A cached build reads an unchanged file's front matter again only if asked for (a new
    site language makes every record again, load.Unparsed); if the file is no longer what
    it was, the build stops with a message and exit 1, no traceback, the site untouched."""
    root = write_files(tmp_path / "dossier", {
        "dossier.yaml": "title: Dossier\nlanguage: fr\n",
        "content/articles/a.md": article(title="A"),
        "content/articles/b.md": article(title="B")})
    assert run_cli("build", "--root", str(root)).returncode == 0
    before = digest(root / "_site")
    (root / "dossier.yaml").write_text("title: Dossier\nlanguage: en\n")
    result = subprocess.run([sys.executable, "-c", _CHANGED_MID_BUILD, "build", "--root",
                             str(root)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "content/articles/a.md changed while it was being built: build again" in \
        result.stderr and "Traceback" not in result.stderr
    assert digest(root / "_site") == before
    assert run_cli("build", "--root", str(root)).returncode == 0


_COLLECTOR_SEEN = """
import gc, sys
from dossier import pipeline
seen = []
for name in ("load", "render"):
    def seeing(*args, real=getattr(pipeline, name), name=name, **kwargs):
        seen.append((name, gc.isenabled()))
        return real(*args, **kwargs)
    setattr(pipeline, name, seeing)
from dossier import cli
sys.argv = ["build.py", *sys.argv[1:]]
code = cli.main()
print(seen, gc.get_freeze_count() > 0)
sys.exit(code)
"""


def test_a_build_loads_with_the_cyclic_collector_off_and_renders_with_it_on(make_dossier):
    """What a one-shot build loads lives as long as it does: the collector is off while it
    loads (it would traverse millions of objects for nothing) and on, with them frozen out of
    its sight, while pages are made (templates leave cycles behind: memory)."""
    root = make_dossier(GOOD)
    result = subprocess.run([sys.executable, "-c", _COLLECTOR_SEEN, "build", "--root",
                             str(root)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[('load', False), ('render', True)] True", \
        result.stdout

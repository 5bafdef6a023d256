"""Cached builds and the preview give byte for byte what a clean build gives, after any edits.

Hypothesis generates sequences of edits to a small dossier (every front-matter field of every
kind of record, bodies, files added, deleted and renamed, content assets, theme templates,
static files and strings, dossier.yaml, drafts) and restarts of the preview. After each one, a
cached `build` into the same folder and the preview's in-memory site are compared with a clean
`--no-cache` build (the preview shows drafts, as `serve` does: with a clean build that shows
them too). A preview started afresh begins with the fragments the last build kept. Every
other cached build is made as a warm process makes it (warm.py): forked from a process that
holds the stores decoded as they were after some earlier build, taking each one only while its
files are those it read.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, replace
from functools import partial
import tempfile
from unittest import mock
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from dossier import cache as cache_module, files as file_rules, model, pages, pictures, render
from dossier.cache import BuildCache
from dossier.warm import Warm
from dossier.depends import Snapshot
from dossier.pipeline import build
from tests.helpers import digest

ACTORS = ["Corée du Nord", "Russie", "Ukraine"]
ALIASES = ["RPDC", "Fédération de Russie", "Kyiv", "Pyongyang"]
SYMBOLS = ["S/RES/1718 (2006)", "S/RES/2397 (2017)"]
PUBLISHERS = ["Associated Press", "Reuters", "KCNA"]
URLS = ["https://example.org/a", "https://example.org/b", "https://example.net/c"]
TAGS = ["sanctions", "obus", "drones"]
ARTICLES = ["a", "b", "c", "d"]
PLACES = ["Vladivostok", "Koursk"]
BROKEN = "---\ntitle: [non fermé\n---\n"      # a front matter no record is made of
# Provisions cited by events and claims (the resolution's pages list who cites them); a
# resolution edited may drop the id cited (then an error), or keep it
PROVISION = {"id": "travailleurs", "text": "Renvoyer les travailleurs"}
CITED = [f"{SYMBOLS[1]}#{PROVISION['id']}"]
# Old addresses (redirect_from): free ones, an article's, the actors' index
OLD = st.lists(st.sampled_from(["articles/ancien/", "/ancien.html", "articles/a/", "actors/"]),
               max_size=2, unique=True)

words = st.text(alphabet="abcdé «»’&<* ", min_size=1, max_size=12).map(str.strip).filter(bool)
days = st.dates(min_value=__import__("datetime").date(2021, 1, 1),
                max_value=__import__("datetime").date(2024, 12, 31)).map(str)


def _source():
    return st.fixed_dictionaries({"name": st.sampled_from(PUBLISHERS)}, optional={
        "url": st.sampled_from(URLS), "archived": st.sampled_from(URLS),
        "author": words, "retrieved": days})


def _event():
    return st.fixed_dictionaries({"date": days, "title": words}, optional={
        "actors": st.lists(st.sampled_from(ACTORS), max_size=2, unique=True),
        "resolutions": st.lists(st.sampled_from(SYMBOLS), max_size=1),
        "text": words, "place": st.sampled_from(PLACES),
        "coordinates": st.sampled_from([[43.1, 131.9], [55.75, 37.62], [0, 0]]),
        "provisions": st.lists(st.sampled_from(CITED), max_size=1)})


def _claim():
    return st.fixed_dictionaries({
        "by": st.sampled_from(ACTORS + ["Inconnu"]), "text": words,
        "status": st.sampled_from(["alleged", "confirmed", "denied", "disputed"])},
        optional={"about": st.lists(st.sampled_from(ACTORS), max_size=2, unique=True),
                  "date": days, "id": st.sampled_from(["une-affirmation", "une-autre"]),
                  "provisions": st.lists(st.sampled_from(CITED), max_size=1)})


def _article():
    return st.fixed_dictionaries({"title": words, "date": days, "source": _source()},
                                 optional={
        "summary": words,
        "actors": st.lists(st.sampled_from(ACTORS + ["Inconnu"]), max_size=3, unique=True),
        "resolutions": st.lists(st.sampled_from(SYMBOLS), max_size=2, unique=True),
        "tags": st.lists(st.sampled_from(TAGS), max_size=2, unique=True),
        "events": st.lists(_event(), max_size=2),
        "claims": st.lists(_claim(), max_size=2),
        "updated": days,
        "corrections": st.lists(st.fixed_dictionaries({"date": days, "text": words}),
                                max_size=2),
        "draft": st.booleans(), "redirect_from": OLD})


def _actor():
    return st.fixed_dictionaries({}, optional={
        "aliases": st.lists(st.sampled_from(ALIASES), max_size=2, unique=True),
        "kind": st.sampled_from(["state", "person", "organisation", "place"]),
        "country": st.sampled_from(["KP", "RU", "UA"]), "summary": words,
        "coordinates": st.sampled_from([[43.1, 131.9], [51.7, 36.2]]), "redirect_from": OLD})


def _page():
    return st.fixed_dictionaries({"title": words}, optional={
        "summary": words, "weight": st.integers(-2, 2), "redirect_from": OLD})


def _resolution():
    return st.fixed_dictionaries({}, optional={
        "title": words, "adopted": days, "summary": words,
        "url": st.sampled_from(URLS), "body": st.sampled_from(["Conseil de sécurité"]),
        "provisions": st.lists(st.one_of(words, st.just(PROVISION)), max_size=2),
        "redirect_from": OLD})


bodies = st.one_of(words, words.map(lambda w: f"{w}\n\nVoir [l’autre](b.md) et **{w}**."),
                   words.map(lambda w: f"# {w}\n\n![carte](../images/carte.svg)"),
                   words.map(lambda w: f"{w}: [notes](../images/notes.txt)."))  # come and go
TEMPLATES = {  # theme overrides that show more, or less, than the default theme
    "_article_list.html": "{% for slug in slugs %}{% set a = dossier.by_slug[slug] %}"
                          "<p>{{ a.title }} {{ a.source.url }} {{ a.source.archived }}</p>"
                          "{% endfor %}\n",
    "404.html": "{% extends 'base.html' %}{% block main %}{{ dossier.articles|length }} "
                "{{ dossier.actors['russie'].name if 'russie' in dossier.actors }}"
                "{% endblock %}\n",
    "_footer.html": "<footer>{{ config.title }} · {{ dossier.claims|length }}</footer>\n",
    # Pages that do more with their fragments than print them: their length, their text,
    # a test on one; a macro around one (its output joined by C code). Such a page is made
    # with its fragments as text (render._printed), never from the bytes stored (StoredHTML).
    "print.html": "{% extends 'base.html' %}{% block main %}"
                  "{% for part in blocks(dossier.articles) %}"
                  "{% set text = fragment('_print_articles.html', once=true, articles=part) %}"
                  "{{ text }}<p>{{ text|length }} {{ text|striptags|truncate(30) }} "
                  "{{ text is string }}</p>{% endfor %}{% endblock %}\n",
    "tag.html": "{% extends 'base.html' %}{% macro boxed(x) %}<div>{{ x }}</div>{% endmacro %}"
                "{% block main %}{{ boxed(fragment('_network.html')) }}{% endblock %}\n",
    # A timeline picture printed whole, not part by part (its kept columns joined).
    "_timeline_chart.html": "{{ timeline_chart(entries, filterable=filterable) }}\n",
}

record_edits = st.one_of(
    st.tuples(st.just("article"), st.sampled_from(ARTICLES), _article()),
    st.tuples(st.just("body"), st.sampled_from(ARTICLES), bodies),
    st.tuples(st.just("field"), st.sampled_from(ARTICLES),
              st.sampled_from(["title", "date", "source", "summary", "actors", "events",
                               "claims", "tags", "resolutions", "updated", "corrections",
                               "draft", "redirect_from"]),
              _article()),
    st.tuples(st.just("source"), st.sampled_from(ARTICLES),
              st.sampled_from(["name", "url", "archived", "author", "retrieved"]), _source()),
    st.tuples(st.just("event"), st.sampled_from(ARTICLES),
              st.sampled_from(["date", "title", "actors", "resolutions", "text", "place",
                               "coordinates", "provisions"]), _event()),
    st.tuples(st.just("claim"), st.sampled_from(ARTICLES),
              st.sampled_from(["by", "text", "status", "about", "date", "id",
                               "provisions"]), _claim()),
    st.tuples(st.just("actor"), st.sampled_from(ACTORS + PLACES), _actor(),
              st.one_of(st.none(), words)),
    st.tuples(st.just("resolution"), st.sampled_from(SYMBOLS), _resolution()),
    st.tuples(st.just("page"), st.sampled_from(["a-propos", "methode"]),
              st.one_of(st.none(), _page()), bodies),
)
file_edits = st.one_of(
    st.tuples(st.just("delete"), st.sampled_from(ARTICLES)),
    st.tuples(st.just("break"), st.sampled_from(ARTICLES)),     # a file no record is made of
    st.tuples(st.just("rename"), st.sampled_from(ARTICLES), st.sampled_from(ARTICLES)),
    st.tuples(st.just("asset"), st.one_of(st.none(), words)),
)
site_edits = st.one_of(  # each of these changes every page: rarer, so that skipping is tested
    st.tuples(st.just("template"), st.sampled_from(sorted(TEMPLATES)), st.booleans()),
    st.tuples(st.just("static"), st.one_of(st.none(), words)),
    st.tuples(st.just("strings"), st.one_of(st.none(), words)),
    st.tuples(st.just("config"), words, st.booleans(), st.sampled_from(["fr", "en"]),
              st.lists(st.tuples(st.sampled_from(PUBLISHERS),
                                 st.sampled_from(["news-agency", "state-media", "government"]),
                                 st.sampled_from(["", "KP", "US"]),
                                 st.sampled_from([[], ["AP"], ["Agence centrale"]])),
                       max_size=3, unique_by=lambda p: p[0])),
)
edits = st.one_of(record_edits, record_edits, record_edits, file_edits, site_edits,
                  # `serve` started again after an edit not built yet: it begins with the
                  # fragments of the build before the edit (settings and theme too)
                  st.tuples(st.just("restart"), st.one_of(record_edits, site_edits)))


def _front(data: dict, body: str) -> str:
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=True) + "---\n" + \
        body + "\n"


def _start() -> dict[str, str]:
    """path -> text of a small valid dossier."""
    files = {"dossier.yaml": "title: Petit dossier\nlanguage: fr\n",
             "content/images/carte.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"}
    for i, name in enumerate(ARTICLES[:3]):
        files[f"content/articles/{name}.md"] = _front({
            "title": f"Article {name}", "date": f"2022-0{i + 1}-1{i}",
            "source": {"name": PUBLISHERS[i], "url": URLS[i], "archived": URLS[i - 1],
                       "author": f"Auteur {name}"},
            "actors": ACTORS[:i + 1], "resolutions": SYMBOLS[:1], "tags": TAGS[i:],
            "events": [{"date": f"2021-0{i + 1}-0{i + 1}", "title": f"Fait {name}",
                        "actors": ACTORS[i:]}],
            "claims": [{"by": ACTORS[i], "status": "alleged", "text": f"Dit {name}",
                        "about": ACTORS[:1]}]}, f"Texte {name}.")
    for name in ACTORS:
        files[f"content/actors/{name.split()[0].lower()}.md"] = _front(
            {"name": name, "kind": "state"}, "")
    for name, at in zip(PLACES, ([43.1, 131.9], [51.7, 36.2])):
        files[f"content/actors/{name.lower()}.md"] = _front(
            {"name": name, "kind": "place", "coordinates": at}, "")
    for symbol in SYMBOLS:
        files[f"content/resolutions/{symbol[6:10]}.md"] = _front(
            {"symbol": symbol, "adopted": f"{symbol[12:16]}-10-14", "provisions": [PROVISION]},
            "")
    return files


def _apply(files: dict[str, str | None], edit: tuple) -> None:
    kind, *args = edit
    if kind == "restart":
        return _apply(files, args[0])
    if kind in ("article", "body", "field", "source", "event", "claim", "delete", "break",
                "rename"):
        path = f"content/articles/{args[0]}.md"
        old = files.get(path)
        front, body = ({}, "Texte.") if old is None or old.startswith(BROKEN) else _split(old)
        if kind == "article":
            front = args[1]
        elif kind == "body":
            body = args[1]
        elif kind == "field":
            if args[1] in args[2]:
                front = {**front, args[1]: args[2][args[1]]}
            else:
                front.pop(args[1], None)
        elif kind == "source":               # one field of the source, the others kept
            key, new = args[1], args[2]
            source = {k: v for k, v in front.get("source", {}).items() if k != key}
            source = {**source, **({key: new[key]} if key in new else {})}
            front = {**front, "source": source if "name" in source else new}
        elif kind in ("event", "claim"):      # one field of the first, or a first one
            plural = kind + "s"
            key, new = args[1], args[2]
            items = list(front.get(plural) or [new])
            items[0] = {k: v for k, v in items[0].items() if k != key}
            items[0] = {**new, **items[0], **({key: new[key]} if key in new else {})}
            front = {**front, plural: items}
        elif kind == "delete":
            files[path] = None
            return
        elif kind == "break":
            files[path] = BROKEN + body
            return
        elif kind == "rename":
            files[path] = None
            path = f"content/articles/{args[1]}.md"
        if not {"title", "date", "source"} <= front.keys():
            front = {"title": "t", "date": "2022-05-05", "source": {"name": "AP"}, **front}
        files[path] = _front(front, body)
    elif kind == "actor":
        name, fields, body = args
        files[f"content/actors/{name.split()[0].lower()}.md"] = _front(
            {"name": name, **fields}, body or "")
    elif kind == "resolution":
        symbol, fields = args
        files[f"content/resolutions/{symbol[6:10]}.md"] = _front(
            {"symbol": symbol, **fields}, "")
    elif kind == "page":
        name, fields, body = args
        files[f"content/pages/{name}.md"] = fields and _front(fields, body)
    elif kind == "asset":
        files["content/images/notes.txt"] = args[0]
    elif kind == "template":
        files[f"theme/templates/{args[0]}"] = TEMPLATES[args[0]] if args[1] else None
    elif kind == "static":
        files["theme/static/extra.css"] = args[0] and f"/* {args[0]} */"
    elif kind == "strings":
        files["theme/i18n/fr.yaml"] = args[0] and yaml.safe_dump(
            {"latest_articles": args[0], "actors": args[0] + "!"}, allow_unicode=True)
    elif kind == "config":
        publishers = [{"name": name, "kind": kind, "country": country, "aliases": aliases}
                      for name, kind, country, aliases in args[3]]
        files["dossier.yaml"] = yaml.safe_dump(
            {"title": args[0], "language": args[2],
             **({"base_url": "https://example.org/dossier/"} if args[1] else {}),
             **({"publishers": publishers} if publishers else {})},
            allow_unicode=True)


def _split(text: str) -> tuple[dict, str]:
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body.rstrip("\n")


def _write(root: Path, files: dict[str, str | None], written: dict) -> set[Path]:
    """Bring the folder to `files`; -> the paths changed (what the watcher would report)."""
    changed = set()
    for name, text in files.items():
        if written.get(name) == text:
            continue
        path = root / name
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        written[name] = text
        changed.add(path)
    return changed


def _excerpt(ours: Path, clean: Path) -> str:
    """Where two versions of a file first differ."""
    a = ours.read_text(errors="replace") if ours.exists() else "(missing)"
    b = clean.read_text(errors="replace") if clean.exists() else "(missing)"
    i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"…{a[max(0, i - 80):i + 120]!r} / clean …{b[max(0, i - 80):i + 120]!r}"


def _problems(result) -> list[str]:
    return [str(p) for p in result.problems.sorted()]


def _warm_build(warm: Warm, root: Path) -> SimpleNamespace:
    """A cached build as the warm process makes it (warm.Warm.build): forked from a process
    holding the stores decoded, read again where they changed -> its problems and folder."""
    warm.refresh()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                    # the child: build, report, leave
        code = 1
        try:
            os.close(read)
            cache_module.DECODED = warm.decoded
            result = build(root, use_disk_cache=True)
            with os.fdopen(write, "w") as out:
                json.dump([_problems(result), str(result.config.output_dir)], out)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        reported = pipe.read()
    assert os.waitpid(pid, 0)[1] == 0, "the warm build failed"
    problems, output = json.loads(reported)
    return SimpleNamespace(problems=problems, config=SimpleNamespace(output_dir=Path(output)),
                           timings="(warm)")


def check_builds_agree(steps: list[tuple]) -> None:
    # Files count as settled at once, so that cached builds take the files' stamps (see
    # files.inputs_digest): each edit comes several builds, far more than a tick of the
    # file system's clock, after the last read.
    # Every month of two entries or more is shown in blocks (render.LONG_MONTH), and every
    # lane of a timeline picture in kept columns (pictures.KEPT_LANE), so that both ways of
    # showing them are compared (a clean build keeps nothing: it makes every mark itself).
    with tempfile.TemporaryDirectory() as folder, \
            mock.patch.object(file_rules, "SETTLED_NS", 0), \
            mock.patch.object(render, "LONG_MONTH", 1), \
            mock.patch.object(pictures, "KEPT_LANE", 1):
        root, clean_site = Path(folder) / "dossier", Path(folder) / "clean"
        root.mkdir()
        files, written = dict(_start()), {}
        _write(root, files, written)
        preview, warm = BuildCache(), Warm(root)
        for index, step in enumerate([None, *steps]):
            if step is not None:
                _apply(files, step)
            changed = _write(root, files, written)
            shutil.rmtree(clean_site, ignore_errors=True)
            clean = build(root, output=str(clean_site))
            restart = step is not None and step[0] == "restart"
            if restart:
                preview = BuildCache()
            else:
                cached = _warm_build(warm, root) if index % 2 else \
                    build(root, use_disk_cache=True)
            served = build(root, write_output=False, cache=preview, lazy=True,
                           use_disk_cache=True, changed=changed if preview.renderer else None,
                           show_drafts=True)
            if restart:
                cached = build(root, use_disk_cache=True)
            assert (cached.problems if isinstance(cached, SimpleNamespace) else
                    _problems(cached)) == _problems(clean), step
            drafts = any("\ndraft: true\n" in (text or "") for text in files.values())
            shown = clean
            if drafts:                          # what the preview shows: drafts too
                shown_site = Path(folder) / "shown"
                shutil.rmtree(shown_site, ignore_errors=True)
                shown = build(root, output=str(shown_site), show_drafts=True)
            assert _problems(served) == _problems(shown), step
            if shown.ok:
                _same_site(served, shown.config.output_dir if drafts else clean_site, step)
            if not clean.ok:
                continue
            site = cached.config.output_dir
            if digest(site) != digest(clean_site):
                ours, theirs = digest(site), digest(clean_site)
                paths = sorted(p for p in ours.keys() | theirs.keys()
                               if ours.get(p) != theirs.get(p))
                first = paths[0]
                raise AssertionError(f"{step}: {len(paths)} files differ: {paths[:8]}; "
                                     f"timings {cached.timings}; {first}: cached "
                                     f"{_excerpt(site / first, clean_site / first)}")


def _same_site(served, clean_site: Path, step) -> None:
    """The preview's in-memory site is the clean build's, file for file."""
    expected = {p.relative_to(clean_site).as_posix(): p.read_bytes()
                for p in clean_site.rglob("*") if p.is_file()}
    expected.pop(".dossier-files")      # the build's record of what it wrote
    got = {o.path: o.content() for o in served.outputs}
    differ = sorted(p for p in got.keys() | expected.keys() if got.get(p) != expected.get(p))
    assert not differ, f"{step}: the preview differs in {differ[:8]}"


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(edits, min_size=1, max_size=6))
# A file linked to that goes, comes back, becomes a draft, then a file no record is made of:
# the bodies linking to it are made again (render.Renderer._linking)
@example([("body", "a", "x\n\nVoir [l’autre](b.md) et **x**."), ("delete", "b"),
          ("rename", "c", "b"), ("field", "b", "draft", {"title": "t", "date": "2022-05-05",
                                   "source": {"name": "AP"}, "draft": True}),
          ("break", "b")])
def test_cached_builds_and_the_preview_equal_a_clean_build(steps):
    check_builds_agree(steps)


def test_the_property_test_can_fail(monkeypatch):
    """A cache that ignores what a page read (the bug of declared inputs) is caught."""
    from dossier.depends import Snapshot
    monkeypatch.setattr(Snapshot, "unchanged", lambda self, kept: True)
    monkeypatch.setattr(Snapshot, "digest", lambda self, address: "same")
    try:
        check_builds_agree([("field", "a", "source", {
            "title": "t", "date": "2022-01-10", "source": {"name": "Reuters",
                                                          "url": "https://example.net/c"}})])
    except AssertionError:
        return
    raise AssertionError("the comparison did not notice stale pages")


def test_the_piece_store_is_checked_too(monkeypatch):
    """Fragments kept between builds (the printable dossier's articles) are used again only
    when what they read is unchanged: a store that trusted them blindly is caught."""
    from dossier.depends import Pieces
    monkeypatch.setattr(Pieces, "holds", staticmethod(lambda pairs, snapshot: True))
    try:
        check_builds_agree([("body", "a", "Un autre texte, entièrement nouveau.")])
    except AssertionError as failure:
        assert "print/index.html" in str(failure)
        return
    raise AssertionError("the comparison did not notice a stale fragment")


def test_the_warm_builds_are_compared_too(monkeypatch):
    """A fault that only builds forked from the warm process have (every page taken as it
    was) is caught: their sites are compared as the others are."""
    from dossier.cache import PageCache
    stale = PageCache.stale
    monkeypatch.setattr(PageCache, "stale", lambda self, snapshot: set()
                        if cache_module.DECODED is not None else stale(self, snapshot))
    try:
        check_builds_agree([("body", "a", "Un autre texte, entièrement nouveau.")])
    except AssertionError as failure:
        assert "files differ" in str(failure)
        return
    raise AssertionError("the comparison did not notice a warm build's stale page")


def _records(root: Path):
    """The validated records of the dossier at `root`, as the load stage makes them."""
    from dossier.config import load_config
    from dossier.load import load
    from dossier.problems import Problems
    from dossier.validate import validate
    problems = Problems(root)
    config = load_config(root, problems)
    loaded = load(config.content_dir, problems)
    return config, *validate(loaded.records, config.language, problems)


def _link(config, articles, actors, resolutions, pages):
    from dossier.link import Linked, link
    from dossier.problems import Problems
    problems = Problems(config.root)
    dossier, kept = link(articles, actors, resolutions, problems, pages=pages,
                         publishers=config.publishers, keep=True)
    return Linked(articles, actors, resolutions, False, dossier, problems.items, pages,
                  config.publishers, kept)


def _same_graph(ours, theirs) -> None:
    """Equal field by field, and every dictionary in the same order (pages iterate them)."""
    from dataclasses import fields
    for name in (f.name for f in fields(theirs)):
        mine, wanted = getattr(ours, name), getattr(theirs, name)
        assert mine == wanted, name
        if isinstance(wanted, dict):
            assert list(mine) == list(wanted), f"{name}: another order"


@pytest.mark.parametrize("crossing", ["", "up", "down"])
def test_adding_removing_and_editing_articles_gives_what_link_gives(tmp_path, monkeypatch,
                                                                    crossing):
    """link_changed (articles added, deleted, renamed or edited in the preview, or before a
    cached build) makes the graph link() makes, on a generated dossier: a new article
    reporting new events and claims, one reporting those of another (merged into one entry
    and one claim with two reports), several at once, copies two days later of 20 articles
    (the related lists around each), an article deleted (its event and claim gone, or
    reported by the copy alone), renamed, and edited (date and actors). `crossing`: with an
    actor becoming common, or no longer (see link._related). One that names an unknown actor
    (a stub, a warning) is left to link()."""
    import datetime as dt
    import re
    from benchmarks.generate import generate
    from dossier import link
    from dossier.link import link_changed
    root = generate(tmp_path / "gen", 120, seed=3)
    folder = root / "content/articles"
    cited = root / "content/resolutions/s-res-2007.md"   # a provision events and claims cite
    cited.write_text(cited.read_text(encoding="utf-8").replace(
        "provisions:\n", "provisions:\n  - {id: travailleurs, text: Renvoyer les travailleurs}\n"),
        encoding="utf-8")
    config, *records = _records(root)
    last = _link(config, *records)
    hub = last.dossier.actor_articles["acteur-0004"]     # named by the new article below
    if crossing:
        monkeypatch.setattr(link, "COMMON_ACTOR", len(hub) - (crossing == "down"))
        last = _link(config, *records)

    def later(text: str, days: int) -> str:
        day = re.search(r"^date: (\S+)$", text, re.M)[1]
        return text.replace(f"date: {day}", "date: " + (dt.date.fromisoformat(day) +
                                                        dt.timedelta(days=days)).isoformat(), 1)

    def edited(slug: str, change) -> "model.Article":
        """The record of articles/SLUG.md once `change(text)` is saved in it."""
        path = folder / f"{slug}.md"
        text = path.read_text(encoding="utf-8")
        path.write_text(change(text), encoding="utf-8")
        try:
            return next(a for a in _records(root)[1] if a.slug == slug)
        finally:
            path.write_text(text, encoding="utf-8")

    source = (folder / "a00007.md").read_text(encoding="utf-8")
    (folder / "zz-copy.md").write_text(re.sub(r'title: "[^"]*"', 'title: "Une copie"', source,
                                              count=1), encoding="utf-8")
    (folder / "zz-fresh.md").write_text(
        "---\ntitle: Un article neuf\ndate: 2015-03-02\nsource: {name: Agence 3}\n"
        "actors: [Acteur 0001, Actor 0004]\nresolutions: [2007]\ntags: [obus, Neuf, neuf]\n"
        "events:\n  - {date: 2015-02-27, title: Un fait neuf, actors: [Acteur 0002],\n"
        "     coordinates: [43.1, 131.9], provisions: ['S/RES/2007 (2006)#travailleurs']}\n"
        "claims:\n  - {by: Acteur 0001, status: denied, text: Une affirmation neuve,\n"
        "     provisions: ['S/RES/2007 (2006)#travailleurs']}\n"
        "corrections:\n  - {date: 2015-03-04, text: Une date corrigée}\n"
        "---\nTexte.\n", encoding="utf-8")
    (folder / "zz-label.md").write_text(re.sub(      # the newest 'obus': its spelling shown
        r"^tags: \[.*\]$", "tags: [Obus]", later(source, 8000), count=1, flags=re.M),
        encoding="utf-8")
    (folder / "zz-renamed.md").write_text((folder / "a00011.md").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    copies = []                          # the same actors, two days later: related lists
    for i in range(0, 120, 6):           # around each change
        text = (folder / f"a{i:05d}.md").read_text(encoding="utf-8")
        (folder / f"zz-{i}.md").write_text(later(text, 2).replace('title: "', 'title: "Suite ',
                                                                  1), encoding="utf-8")
        copies.append((["zz-" + str(i)], []))
    new = {a.slug: a for a in _records(root)[1] if a.slug.startswith("zz-")}
    with_copy = _link(config, [*last.articles, new["zz-copy"]], *records[1:])
    with_fresh = _link(config, [*last.articles, new["zz-fresh"]], *records[1:])
    with_label = _link(config, [*last.articles, new["zz-label"]], *records[1:])
    assert with_label.dossier.tags["obus"][0] == "Obus" != last.dossier.tags["obus"][0]
    scenarios = [                        # (the last graph, added, removed)
        (last, [new["zz-copy"]], []), (last, [new["zz-fresh"]], []),
        (last, [new["zz-copy"], new["zz-fresh"]], []),
        *((last, [new[a] for a in added], []) for added, _ in copies),
        (last, [], ["a00007"]), (with_copy, [], ["a00007"]), (last, [], [hub[0]]),
        (with_fresh, [], ["zz-fresh"]),  # (its place, provision, correction and tag gone)
        (last, [new["zz-label"]], []), (with_label, [], ["zz-label"]),
        (last, [new["zz-renamed"]], ["a00011"]),
        (last, [edited("a00013", lambda t: later(t, 40).replace("actors: [", "actors: [Acteur "
                                                                "0004, ", 1))], ["a00013"]),
        # (an actor and its publisher no longer its: its slug leaves their lists)
        (last, [edited("a00017", lambda t: re.sub(r"^  name: .*$", "  name: Agence 3", re.sub(
            r"^actors: \[([^,\]]+),[^\]]*\]", r"actors: [\1]", t, count=1, flags=re.M),
            count=1, flags=re.M))], ["a00017"]),
    ]
    dropped = next(a for a in last.articles if a.slug == "a00017")
    assert len(last.dossier.article_actors["a00017"]) > 1 and dropped.source.name != "Agence 3"
    for base, added, removed in scenarios:
        articles = [a for a in base.articles if a.slug not in removed] + added
        expected = _link(config, articles, *records[1:])
        found = link_changed(base, articles, base.actors, base.resolutions, False, base.pages,
                             config.publishers)
        assert found is not None, (added, removed)
        _same_graph(found[0], expected.dossier)
        assert found[2] == expected.problems
        assert found[1] == expected.evidence
        # What an untouched article reports is the very object it was: a build digests
        # again only what changed (20,000 values at 10,000 articles, for each new article).
        graph, touched = found[0], {a.slug for a in added} | set(removed)
        for field in ("article_claims", "article_publishers"):
            kept = [slug for slug, value in getattr(graph, field).items() if slug not in
                    touched and getattr(base.dossier, field).get(slug) == value]
            assert kept and all(getattr(graph, field)[slug] is getattr(base.dossier, field)[slug]
                                for slug in kept), field
    (folder / "zz-stub.md").write_text(
        "---\ntitle: Un inconnu\ndate: 2015-03-03\nsource: {name: Agence 3}\n"
        "actors: [Quelqu’un d’autre]\n---\nTexte.\n", encoding="utf-8")
    stub = next(a for a in _records(root)[1] if a.slug == "zz-stub")
    assert link_changed(last, [*last.articles, stub], last.actors, last.resolutions, False,
                        last.pages, config.publishers) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=6), unique=True, max_size=300),
       st.integers(0, 300), st.text(min_size=1, max_size=6))
def test_blocks_keep_every_item_in_order_and_an_added_one_moves_one_block(names, at, new):
    """Pages and exports are kept in blocks (render.blocks): nothing may be lost or moved,
    and adding an item must leave every other block as it was (else each older article
    added would make everything after it again)."""
    assume(new not in names)
    added = names[:at] + [new] + names[at:]
    before, after = list(render.blocks(names, 8)), list(render.blocks(added, 8))
    assert [x for block in before for x in block] == names
    assert [x for block in after for x in block] == added
    assert len([block for block in before if block not in after]) <= 1
    assert len([block for block in after if block not in before]) <= 2


@settings(max_examples=500, deadline=None)
@given(st.lists(st.integers(0, 9), max_size=30), st.data())
def test_what_the_preview_keeps_from_its_last_plan_is_what_it_would_make(items, data):
    """pages.reused, which keeps the preview's page specs and outputs from save to save:
    after any edits (items replaced, added, removed, moved), what it gives for each item
    is what would be made for it now, with its neighbours."""
    before = [object() for _ in items]
    now = list(before)
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["replace", "add", "remove", "move"]))
        at = data.draw(st.integers(0, len(now)))
        if kind == "add":
            now.insert(at, object())
        elif now and at < len(now):
            item = now.pop(at)
            if kind == "replace":
                now.insert(at, object())
            elif kind == "move":
                now.insert(data.draw(st.integers(0, len(now))), item)
    reach = data.draw(st.integers(0, 2))

    def made(items, i):
        return tuple(items[j] if 0 <= j < len(items) else None
                     for j in range(i - reach, i + reach + 1))
    kept = [made(before, i) for i in range(len(before))]
    with mock.patch.object(pages, "_RUNS", data.draw(st.integers(1, 64))):   # cut short too
        assert pages.reused(now, before, kept, partial(made, now), reach) == \
            [made(now, i) for i in range(len(now))]


def test_a_long_month_in_blocks_shows_what_entry_by_entry_shows(tmp_path, monkeypatch):
    """On actor and resolution pages a month of many entries is shown in blocks kept whole
    between builds (render.LONG_MONTH); the page must read the same, byte for byte, as when
    its entries are shown one by one."""
    from tests.helpers import article, write_files
    files = {"dossier.yaml": "title: Dossier\nlanguage: fr\n"}
    for n in range(40):
        files[f"content/articles/a{n:02d}.md"] = article(
            title=f"Article {n} « cité » & <b>", date=f"2022-03-{n % 28 + 1:02d}",
            actors="[Russie, Corée du Nord]", resolutions="[S/RES/2397 (2017)]",
            events=f'[{{date: 2022-03-{n % 27 + 2:02d}, title: "Livraison {n}", '
                   f'actors: [Russie]}}]')
    root = write_files(tmp_path / "dossier", files)
    sites = []
    for long_month in (0, 10**6):               # every month in blocks, then none
        monkeypatch.setattr(render, "LONG_MONTH", long_month)
        site = tmp_path / f"site-{long_month}"
        assert build(root, output=str(site)).ok
        sites.append(digest(site))
    assert sites[0] == sites[1]
    page = (tmp_path / "site-0/actors/russie/index.html").read_text()
    assert page.count("Livraison") >= 40 and "Article 39" in page


def test_a_theme_using_its_fragments_otherwise_than_printing_them_is_followed():
    """Cached builds print kept fragments as the bytes stored, unless the theme does more
    with them: then the page is made with them as text, and still equals a clean build."""
    check_builds_agree([("template", "print.html", True), ("template", "tag.html", True),
                        ("template", "_timeline_chart.html", True),
                        ("body", "a", "Un texte « neuf » : l’obus ; le dépôt !"),
                        ("field", "b", "title", {"title": "Titre changé"})])


def test_the_default_theme_prints_its_kept_fragments_as_stored(tmp_path, monkeypatch):
    """Every page written in pieces by the default theme prints its fragments as stored
    (render._printed never falls back to text: that would cost a body edit of a 10,000-
    article dossier a third of a second more on the printable dossier alone)."""
    from tests.helpers import article, write_files
    files = {"dossier.yaml": "title: Dossier\nlanguage: fr\n"}
    for n in range(6):
        files[f"content/articles/a{n}.md"] = article(
            title=f"Article {n}", date=f"2022-03-0{n + 1}", actors="[Russie]",
            resolutions="[S/RES/2397 (2017)]", tags="[obus]",
            events=f'[{{date: 2022-02-0{n + 1}, title: "Livraison {n}"}}]',
            claims=f'[{{by: Russie, status: denied, text: "Dit {n}"}}]')
    root = write_files(tmp_path / "dossier", files)
    printed = []
    original = render._printed
    monkeypatch.setattr(render, "_printed", lambda *args: printed.append(
        (args[2].path, original(*args))) or printed[-1][1])
    monkeypatch.setattr(render, "LONG_MONTH", 1)
    assert build(root, use_disk_cache=True, jobs=1).ok
    (root / "content/articles/a1.md").write_text(article(title="Article 1", body="Neuf."))
    assert build(root, use_disk_cache=True, jobs=1).ok
    made = {path for path, chunks in printed}
    assert {"print/index.html", "timeline/index.html", "actors/russie/index.html",
            "tags/obus/index.html"} <= made
    assert [path for path, chunks in printed if chunks is None] == []


def test_the_printable_dossier_keeps_its_sections_whole_and_remakes_only_changed_blocks(
        tmp_path, monkeypatch):
    """The printable dossier's contents, timeline and claims are each one fragment: a body
    edit looks each up once instead of making the page's 30,000 timeline entries and 10,000
    contents lines again (at 10,000 articles); an event edited makes the timeline again from
    its blocks, kept on their own (`parts`), the unchanged ones as their stored bytes."""
    import jinja2
    from tests.helpers import article, write_files
    files = {"dossier.yaml": "title: Dossier\nlanguage: fr\n"}
    for n in range(6):
        files[f"content/articles/a{n}.md"] = article(
            title=f"Article {n}", date=f"2022-03-0{n + 1}", actors="[Russie]",
            events=f'[{{date: 2022-02-0{n + 1}, title: "Livraison {n}"}}]',
            claims=f'[{{by: Russie, status: denied, text: "Dit {n}"}}]')
    root = write_files(tmp_path / "dossier", files)
    assert build(root, use_disk_cache=True, jobs=1).ok
    made, stored = [], []
    get_template = jinja2.Environment.get_template
    monkeypatch.setattr(jinja2.Environment, "get_template", lambda self, name, *args, **kw: (
        made.append(name), get_template(self, name, *args, **kw))[1])
    as_stored = render._as_stored
    monkeypatch.setattr(render, "_as_stored", lambda texts: (
        stored.append(as_stored(texts)), stored[-1])[1])
    generated = []                                  # templates made as pages written in pieces
    generate = jinja2.Template.generate
    monkeypatch.setattr(jinja2.Template, "generate", lambda self, *args, **kw: (
        generated.append(self.name), generate(self, *args, **kw))[1])
    (root / "content/articles/a1.md").write_text(article(
        title="Article 1", date="2022-03-02", actors="[Russie]", body="Un texte neuf.",
        events='[{date: 2022-02-02, title: "Livraison 1"}]',
        claims='[{by: Russie, status: denied, text: "Dit 1"}]'))
    assert build(root, use_disk_cache=True, jobs=1).ok
    assert "_print_article.html" in made                               # the edit
    assert not {"_print_timeline.html", "_print_contents.html", "_print_claims.html",
                "_entries.html", "_claims.html"} & set(made)
    made.clear()
    (root / "content/articles/a1.md").write_text(article(
        title="Article 1", date="2022-03-02", actors="[Russie]", body="Un texte neuf.",
        events='[{date: 2022-02-02, title: "Livraison retardée"}]',
        claims='[{by: Russie, status: denied, text: "Dit 1"}]'))
    assert build(root, use_disk_cache=True, jobs=1).ok
    assert made.count("_print_timeline.html") == 1
    # February's entries changed, March's (the articles) did not: one block made again for
    # each page showing it (this one and the timeline), March's kept (else three).
    assert made.count("_entries.html") == 2
    assert "_print_timeline.html" in generated and None not in stored   # as the page is
    page = (root / "_site/print/index.html").read_text()
    assert "Livraison retardée" in page and "Livraison 0" in page
    assert build(root, output=str(tmp_path / "clean"), jobs=1).ok
    assert digest(root / "_site") == digest(tmp_path / "clean")


def test_the_piece_store_keeps_what_pages_print_and_drops_what_nothing_asks_for(
        tmp_path, monkeypatch):
    """A piece is keyed by the values it is given: once an article is edited, the block of
    the printable dossier, the search documents and the timeline pictures made with its old
    version are never asked for again, though they still hold. A store written anew keeps
    the pieces the site's pages print (depends.piece_address), so edits do not pile them
    up; and it keeps those of pages not made again since, so that these are not made again
    when their page is."""
    import jinja2
    from tests.helpers import article, write_files
    files = {"dossier.yaml": "title: Dossier\nlanguage: fr\n",
             "content/actors/iran.md": "---\nname: Iran\n---\n"}
    for n in range(12):
        files[f"content/articles/a{n:02}.md"] = article(
            title=f"Article {n}", date=f"2022-03-{n + 1:02}",
            actors="[Russie]" if n < 8 else "[Iran]", body="Un texte. " * 40,
            events=f'[{{date: 2022-02-{n + 1:02}, title: "Livraison {n}"}}]')
    root = write_files(tmp_path / "dossier", files)
    store = root / ".dossier-cache/pieces.bin"
    assert build(root, use_disk_cache=True, jobs=1).ok
    sizes = [store.stat().st_size]
    for edit in range(8):
        (root / "content/articles/a03.md").write_text(article(
            title="Article 3", date="2022-03-04", actors="[Russie]", body=f"Version {edit}.",
            events=f'[{{date: 2022-02-04, title: "Livraison, version {edit}"}}]'))
        assert build(root, use_disk_cache=True, jobs=1).ok
        sizes.append(store.stat().st_size)
    assert max(sizes) < 3.5 * sizes[0], sizes          # kept all, it grows ~80 % an edit
    assert min(sizes[1:]) < 1.5 * sizes[0], sizes       # written anew, what is printed
    # Iran's page was not made again since the first build: when a text of its own makes it
    # again, its timeline (the picture and the entries) is still kept, and looked up whole.
    made = []
    get_template = jinja2.Environment.get_template
    monkeypatch.setattr(jinja2.Environment, "get_template", lambda self, name, *args, **kw: (
        made.append(name), get_template(self, name, *args, **kw))[1])
    (root / "content/actors/iran.md").write_text("---\nname: Iran\n---\nUn pays.\n")
    assert build(root, use_disk_cache=True, jobs=1).ok
    assert "<p>Un pays.</p>" in (root / "_site/actors/iran/index.html").read_text()
    assert not {"_timeline_section.html", "_timeline.html", "_entry.html",
                "_timeline_chart.html"} & set(made), made
    assert build(root, output=str(tmp_path / "clean"), jobs=1).ok
    assert digest(root / "_site") == digest(tmp_path / "clean")


def test_the_page_cache_saves_what_changed_beside_what_it_was(tmp_path):
    """What each page read (pages.marshal, 12 MB at 10,000 articles) is written whole now and
    then; a build that changed a few pages saves those, and the digests that changed, beside
    it (pages-changes.marshal), and the next build reads both. Changes that follow another
    pages.marshal (a build stopped between the two writes) are not applied."""
    from tests.helpers import article, write_files
    files = {"dossier.yaml": "title: Dossier\nlanguage: fr\n"}
    for n in range(8):
        files[f"content/articles/a{n}.md"] = article(
            title=f"Article {n}", date=f"2022-03-0{n + 1}", actors="[Russie]", tags="[obus]")
    root = write_files(tmp_path / "dossier", files)
    cache = root / ".dossier-cache"
    assert build(root, use_disk_cache=True, jobs=1).ok
    whole = (cache / "pages.marshal").read_bytes()
    rendered = []
    for n, text in ((1, "Un."), (2, "Deux."), (1, "Trois.")):
        (root / f"content/articles/a{n}.md").write_text(article(
            title=f"Article {n}", date=f"2022-03-0{n + 1}", actors="[Russie]", tags="[obus]",
            body=text))
        result = build(root, use_disk_cache=True, jobs=1)
        assert result.ok and (cache / "pages.marshal").read_bytes() == whole
        assert (cache / "pages-changes.marshal").stat().st_size < len(whole) / 2
        rendered.append(result.rendered)
    # a1's edit again: its page and those showing its summary, not a2's page (the changes
    # saved by the build before say what was written then, else it is made again).
    assert rendered[2] == rendered[0], rendered
    assert build(root, output=str(tmp_path / "clean"), jobs=1).ok
    assert digest(root / "_site") == digest(tmp_path / "clean")
    earlier = (cache / "pages-changes.marshal").read_bytes()
    for n in range(8, 200):                                 # many changes: written whole
        (root / f"content/articles/a{n}.md").write_text(article(
            title=f"Article {n}", date="2022-04-01", actors=f"[Iran, Acteur {n}]",
            tags=f"[drone, t{n}]"))
    assert build(root, use_disk_cache=True, jobs=1).ok
    assert (cache / "pages.marshal").read_bytes() != whole
    (cache / "pages-changes.marshal").write_bytes(earlier)  # followed the old one: ignored
    (root / "content/articles/a2.md").write_text(article(
        title="Article 2", date="2022-03-03", actors="[Russie]", tags="[obus]", body="Quatre."))
    assert build(root, use_disk_cache=True, jobs=1).ok
    assert build(root, output=str(tmp_path / "clean"), jobs=1).ok
    assert digest(root / "_site") == digest(tmp_path / "clean")


def test_a_file_system_that_cannot_map_the_stores_still_uses_them(tmp_path, monkeypatch):
    """The piece and body stores are mapped (cache._mapped); where the file system cannot
    map a file they are read instead, and a cached build still makes only what changed."""
    from dossier import cache
    from tests.helpers import article, write_files
    files = {"dossier.yaml": "title: Dossier\nlanguage: fr\n"}
    for n in range(6):
        files[f"content/articles/a{n}.md"] = article(title=f"Article {n}", actors="[Russie]")
    root = write_files(tmp_path / "dossier", files)
    assert build(root, use_disk_cache=True).ok

    def cannot_map(*args, **kwargs):
        raise OSError(19, "No such device")
    monkeypatch.setattr(cache.mmap, "mmap", cannot_map)
    (root / "content/articles/a0.md").write_text(article(title="Article 0", actors="[Russie]",
                                                         body="Un texte **neuf**."))
    stages = []
    cached = build(root, use_disk_cache=True,
                   progress=lambda stage, done, total: stages.append((stage, total)))
    assert cached.ok and cached.rendered < cached.pages
    assert set(total for stage, total in stages if stage == "converting") == {1}
    clean = build(root, output=str(tmp_path / "clean"))
    assert digest(cached.config.output_dir) == digest(tmp_path / "clean") and clean.ok
    assert "<strong>neuf</strong>" in (tmp_path / "clean/articles/a0/index.html").read_text()


def test_the_evidence_is_read_only_by_a_build_that_changes_what_articles_report(
        tmp_path, monkeypatch):
    """What link() gathered (the events and claims each article reports) is kept apart from
    the state: a text edit neither reads nor writes it, and the next new article is still
    linked from it (link_changed, not a whole link())."""
    from dossier import pipeline
    from tests.helpers import article
    root, files = _reporting(tmp_path)
    evidence = root / ".dossier-cache/evidence.pickle"
    assert build(root, use_disk_cache=True, jobs=1).ok
    linked = []
    real = pipeline.link
    monkeypatch.setattr(pipeline, "link", lambda *a, **k: linked.append(1) or real(*a, **k))
    before = evidence.read_bytes()
    (root / "content/articles/a1.md").write_text(files["content/articles/a1.md"] + "Encore.\n")
    assert build(root, use_disk_cache=True, jobs=1).ok
    assert evidence.read_bytes() == before and not linked
    (root / "content/articles/a9.md").write_text(article(    # an event already reported
        title="Article 9", date="2022-03-09", actors="[Russie]",
        events="[{date: 2022-02-02, title: Fait 1, actors: [Russie]}]",
        claims="[{by: Iran, status: alleged, text: Dit 9, about: [Russie]}]"))
    assert build(root, use_disk_cache=True, jobs=1).ok
    assert not linked, "a whole link() although the evidence was kept"
    assert evidence.read_bytes() != before
    assert build(root, output=str(tmp_path / "clean"), jobs=1).ok
    assert digest(root / "_site") == digest(tmp_path / "clean")


def _reporting(tmp_path: Path) -> tuple[Path, dict]:
    """A dossier whose articles report events and claims, some of them the same."""
    from tests.helpers import article, write_files
    files = {"dossier.yaml": "title: Dossier\nlanguage: fr\n",     # no stubs: see link_changed
             "content/actors/russie.md": "---\nname: Russie\nkind: state\n---\n",
             "content/actors/iran.md": "---\nname: Iran\nkind: state\n---\n"}
    for n in range(6):
        files[f"content/articles/a{n}.md"] = article(
            title=f"Article {n}", date=f"2022-03-0{n + 1}", actors="[Russie, Iran]",
            events=f"[{{date: 2022-02-0{n % 3 + 1}, title: Fait {n % 3}, actors: [Russie]}}]",
            claims=f"[{{by: Iran, status: alleged, text: Dit {n % 2}, about: [Russie]}}]")
    return write_files(tmp_path / "dossier", files), files


def test_the_evidence_is_read_back_only_into_the_graph_it_was_written_for(tmp_path):
    """The evidence names the articles, events, claims and entries it shares with the graph
    by their place there (cache._placeable): read into the graph saved with it, it holds
    those very objects; read into a graph laid out otherwise (an article with one more
    event, a shorter timeline), nothing, never other objects at those places."""
    root, _ = _reporting(tmp_path)
    assert build(root, use_disk_cache=True, jobs=1).ok
    cache = BuildCache(folder=root / ".dossier-cache")
    state = cache._read_state()
    linked, ident = state["linked"], state["evidence"]
    evidence = cache._read_evidence(ident, linked)
    articles = {id(a) for a in linked.articles}
    entries = {id(e) for e in linked.dossier.timeline}
    assert evidence.events and all(
        id(report[0]) in articles and id(entry) in entries
        for found, entry in evidence.events.values() for report in found)
    first = linked.articles[0]
    more = replace(linked, articles=[replace(first, events=first.events * 2),
                                     *linked.articles[1:]])
    assert cache._read_evidence(ident, more) is None
    shorter = replace(linked, dossier=replace(linked.dossier,
                                              timeline=linked.dossier.timeline[1:]))
    assert cache._read_evidence(ident, shorter) is None


def _state_as_values(state: dict) -> dict:
    """What a saved state holds, as values to compare (not the objects, nor file times)."""
    linked, bodies = state["linked"], state["bodies"]
    kept = {name: value for name, value in vars(bodies[1]).items()
            if name in ("keys", "texts", "summaries", "pages", "assets")}
    return {"files": {str(path): entry[1].parsed.digest for path, entry in state["files"].items()},
            "records": sorted(map(repr, {id(hit[1]): hit[1] for hit in state["records"]}.values())),
            "graph": repr(linked.dossier), "linked": repr(replace(linked, dossier=None)),
            "bodies": (bodies[0], repr(kept), repr(bodies[1].records),
                       {page: (str(path), line) for page, (path, _, line)
                        in bodies[1].sources.items()}),
            "evidence": state["evidence"], "token": state["token"]}


def test_a_build_that_changed_little_saves_the_state_as_what_changed_and_reads_it_back(
        tmp_path, monkeypatch):
    """A build that changed a few files keeps the load stage's memory as what changed since
    the state it read (cache.BuildCache._changes): that state is not written again, and the
    next build reads both as the state a whole save would have written (the property test
    above shows the pages agree; this, the state itself, which a wrong one could leave
    unnoticed by falling back to linking again), with the texts of unchanged files still
    shared by their records and bodies: none of them read and keyed again."""
    from dossier import render
    root, files, written = tmp_path / "dossier", _start(), {}
    root.mkdir()
    _write(root, files, written)
    assert build(root, use_disk_cache=True, jobs=1).ok
    base = (root / ".dossier-cache/state.pickle").read_bytes()
    whole, keyed = [], []
    save = BuildCache.save_state

    def saving(self, config):
        save(self, config)
        self.finish_saving()
        # The whole state, as it would be saved, with the evidence it names left as saved.
        monkeypatch.setattr(self, "_save_evidence", lambda linked: "saved")
        whole.append(_state_as_values(self._state(config)))
    monkeypatch.setattr(BuildCache, "save_state", saving)
    text_key = render.text_key
    monkeypatch.setattr(render, "text_key", lambda *a: keyed.append(a[0]) or text_key(*a))
    added = _split(files["content/articles/a.md"])
    added[0].update(title="Article d", date="2022-05-14", actors=ACTORS[1:])
    for edit in [("body", "a", "Un autre texte."), ("title", "b", "Un titre changé"),
                 ("add", "d", _front(*added)), ("body", "a", "Et encore un autre."),
                 ("actors", "b", ACTORS[2:]), ("remove", "c", None),
                 ("body", "d", "Troisième.")]:
        path = f"content/articles/{edit[1]}.md"
        if edit[0] in ("add", "remove"):
            files[path] = edit[2]
        else:
            data, body = _split(files[path])
            if edit[0] == "body":
                body = edit[2]
            else:
                data[edit[0]] = edit[2]
            files[path] = _front(data, body)
        _write(root, files, written)
        whole.clear(), keyed.clear()
        assert build(root, use_disk_cache=True, jobs=1).ok
        assert (root / ".dossier-cache/state.pickle").read_bytes() == base, edit
        assert (root / ".dossier-cache/state-changes.pickle").is_file(), edit
        cache = BuildCache(folder=root / ".dossier-cache")
        read = cache._read_state()
        assert cache._read_evidence(read["evidence"], read["linked"]) is not None, edit
        assert _state_as_values({**read, "evidence": "saved"}) == whole[0], edit
        assert set(keyed) <= {f"articles/{edit[1]}/index.html"}, edit
    assert build(root, output=str(tmp_path / "clean"), jobs=1).ok
    assert digest(root / "_site") == digest(tmp_path / "clean")


class Record:
    """A record of the state's base (named by its place there), or a new one."""

    def __init__(self, n: int):
        self.n = n


def _as_read(value):
    """What the state's changes must read back: the base's records themselves (by
    identity), new ones by their number, in the same lists, tuples and dictionaries."""
    if isinstance(value, Record):
        return ("base", value.n, id(value)) if value.n < 100 else ("new", value.n)
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [_as_read(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_read(item) for key, item in value.items()}
    return value


def _edited_list(draw, before: list, pool: list, new: list) -> list:
    now = list(before)
    for _ in range(draw(st.integers(0, 4))):
        how = draw(st.sampled_from(["insert", "delete", "replace", "swap", "same"]))
        at = draw(st.integers(0, max(len(now) - 1, 0)))
        if how == "insert":
            now.insert(at, draw(st.sampled_from(pool + new)))
        elif now and how == "delete":
            del now[at]
        elif now and how == "replace":
            now[at] = draw(st.sampled_from(new))
        elif len(now) > 1 and how == "swap":
            now[0], now[-1] = now[-1], now[0]
    return now


def _edited(draw, value, pool: list, new: list):
    """`value` (a list of records, or a tuple holding some) edited, or as it is."""
    if not draw(st.booleans()):
        return value
    if isinstance(value, list):
        return _edited_list(draw, value, pool, new)
    return tuple(_edited(draw, item, pool, new) if isinstance(item, list) else item
                 for item in value)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_state_changes_read_back_every_list_dictionary_and_tuple_as_it_was(data):
    """The state saved as what changed since its base (cache.BuildCache._changes) writes a
    list as a patch of the base's (items added, places lost, a list or tuple in its place
    as a patch of the one there), a dictionary by the values that are not the base's: read
    back, each holds the very records of the base it held, in its order, and a list two
    fields share is one list again."""
    import io
    import pickle
    from types import SimpleNamespace
    from dossier import cache as cache_module
    draw = data.draw
    pool, new = [Record(n) for n in range(12)], [Record(100 + n) for n in range(4)]
    lists = st.lists(st.sampled_from(pool), max_size=10)
    before = SimpleNamespace(
        items=draw(lists), other=draw(lists),
        by_key=draw(st.dictionaries(st.sampled_from("abcdef"), lists, max_size=5)),
        pairs=draw(st.lists(st.tuples(st.sampled_from("xyz"), lists), max_size=4)),
        named=draw(st.dictionaries(st.sampled_from("abc"), st.tuples(lists, lists),
                                   max_size=3)))
    shared = draw(st.booleans())
    if shared:
        before.other = before.items         # two fields, one list
    now = SimpleNamespace(**vars(before))
    for name in draw(st.sets(st.sampled_from(["items", "other", "by_key", "pairs", "named"]))):
        value = getattr(before, name)
        if name in ("items", "other"):
            value = _edited_list(draw, value, pool, new)
        elif name == "pairs":
            value = [_edited(draw, pair, pool, new) for pair in value]
        else:                               # maybe a key gone, one new
            value = {key: _edited(draw, item, pool, new) for key, item in value.items()
                     if draw(st.integers(0, 5))}
            if draw(st.booleans()):
                value["g"] = [new[0]] if name == "by_key" else ([], [new[0]])
        setattr(now, name, value)
    if shared:
        now.other = now.items               # still one, whether edited or not
    base = {"linked": SimpleNamespace(dossier=before), "bodies": None,
            "digests": [(record, "") for record in pool]}
    out = io.BytesIO()
    cache_module._ChangesPickler(out, pickle.HIGHEST_PROTOCOL, base,
                                 {id(record): i for i, record in enumerate(pool)}).dump(now)
    read = cache_module._ChangesUnpickler(io.BytesIO(out.getvalue()), base).load()
    assert _as_read(vars(read)) == _as_read(vars(now))
    assert (read.other is read.items) == (now.other is now.items)


def test_files_copied_as_they_are_are_copied_again_only_when_their_bytes_change(
        tmp_path, monkeypatch):
    """Images of content/ and the theme's static files are kept like pages: a cached build
    neither reads them nor compares them with the site's copies unless their bytes (or the
    copy) changed."""
    from dossier.outputs import Output
    from tests.helpers import article, write_files
    root = write_files(tmp_path / "dossier", {
        "dossier.yaml": "title: Dossier\nlanguage: fr\n",
        "content/articles/a.md": article(title="A", body="![carte](../images/carte.svg)"),
        "content/images/carte.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"})
    assert build(root, use_disk_cache=True, jobs=1).ok
    copied = []
    real = Output.content
    monkeypatch.setattr(Output, "content", lambda self: (
        copied.append(self.path) if self.source is not None else None) or real(self))
    (root / "content/articles/a.md").write_text(article(title="A", body="Sans carte."))
    assert build(root, use_disk_cache=True, jobs=1).ok
    assert copied == []
    (root / "content/images/carte.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'>"
                                                   "<title>Carte</title></svg>")
    assert build(root, use_disk_cache=True, jobs=1).ok
    assert copied == ["images/carte.svg"]
    assert "<title>Carte</title>" in (root / "_site/images/carte.svg").read_text()
    (root / "_site/static/style.css").write_text("/* changed by hand */")
    copied.clear()
    assert build(root, use_disk_cache=True, jobs=1).ok
    assert copied == ["static/style.css"]
    assert build(root, output=str(tmp_path / "clean"), jobs=1).ok
    assert digest(root / "_site") == digest(tmp_path / "clean")


def test_a_body_is_made_again_when_a_file_it_links_to_is_published_elsewhere(tmp_path):
    """A link's target is known once the body is converted: when a file is published at
    another address (a slug changed, a file added or removed), the bodies linking to it by
    its name are made again, in a cached build as in a clean one."""
    from tests.helpers import article, write_files
    root = write_files(tmp_path / "dossier", {
        "dossier.yaml": "title: Dossier\nlanguage: fr\n",
        "content/articles/a.md": article(title="A", body="Voir [l’autre](b.md)."),
        "content/articles/b.md": article(title="B", body="B."),
        "content/articles/c.md": article(title="C", body="Voir [B](../articles/./b.md)."),
        "content/articles/d.md": article(title="D", body="Voir [A](a.md).")})
    clean = tmp_path / "clean"
    for step, slug in enumerate(("autre", "autre", "b")):
        (root / "content/articles/b.md").write_text(article(title="B", body="B.", slug=slug))
        if step == 1:                                    # another file comes
            (root / "content/articles/e.md").write_text(article(title="E", body="E."))
        assert build(root, use_disk_cache=True, jobs=1).ok
        shutil.rmtree(clean, ignore_errors=True)
        assert build(root, output=str(clean), jobs=1).ok
        assert digest(root / "_site") == digest(clean), step
        for page, text in (("a", "l’autre"), ("c", "B")):
            assert f'href="../../articles/{slug}/index.html" rel="noopener noreferrer">' \
                f'{text}</a>' in \
                (root / f"_site/articles/{page}/index.html").read_text(), (step, page)


def test_an_edit_below_the_first_paragraph_leaves_the_pages_showing_the_summary(
        tmp_path, monkeypatch):
    """An article's summary is its first paragraph: an edit further down makes again the
    pages showing its body (its own, the printable dossier, the search index), not the lists,
    related articles and data files showing its summary; an edit of the first paragraph
    makes those again too."""
    from dossier import write
    from tests.helpers import article, write_files
    files = {"dossier.yaml": "title: Dossier\nlanguage: fr\n"}
    for n in range(4):
        files[f"content/articles/a{n}.md"] = article(
            title=f"Article {n}", date=f"2022-03-0{n + 1}", actors="[Russie]", tags="[obus]",
            body=f"Premier paragraphe {n}.\n\nSuite {n}.")
    root = write_files(tmp_path / "dossier", files)
    assert build(root, use_disk_cache=True, jobs=1).ok
    made = []
    put = write._put
    monkeypatch.setattr(write, "_put", lambda *args: (made.append(args[-1].path),
                                                      put(*args))[1])
    (root / "content/articles/a1.md").write_text(article(
        title="Article 1", date="2022-03-02", actors="[Russie]", tags="[obus]",
        body="Premier paragraphe 1.\n\nSuite 1, corrigée."))
    assert build(root, use_disk_cache=True, jobs=1).ok
    assert {"articles/a1/index.html", "print/index.html", "search-index.js"} <= set(made)
    showing_summary = {"tags/obus/index.html", "articles/a0/index.html", "data/articles.json",
                       "actors/russie/index.html"}
    assert not showing_summary & set(made), made
    made.clear()
    (root / "content/articles/a1.md").write_text(article(
        title="Article 1", date="2022-03-02", actors="[Russie]", tags="[obus]",
        body="Premier paragraphe revu.\n\nSuite 1, corrigée."))
    assert build(root, use_disk_cache=True, jobs=1).ok
    assert {"tags/obus/index.html", "data/articles.json"} <= set(made), made
    assert build(root, output=str(tmp_path / "clean"), jobs=1).ok
    assert digest(root / "_site") == digest(tmp_path / "clean")


def test_a_piece_made_of_kept_pieces_is_kept_by_their_keys(tmp_path):
    """The printable dossier's timeline prints a picture and blocks of entries, each kept on
    its own: it is kept as its own text and their keys, not as their bytes again. An event
    edited adds to the store what it made again, not a copy of the whole timeline; and what
    the store keeps reads back as it was made, through the edit and its undoing."""
    from tests.helpers import article, write_files
    files = {"dossier.yaml": "title: Dossier\nlanguage: fr\n"}
    for n in range(150):
        files[f"content/articles/a{n:03}.md"] = article(
            title=f"Article {n}", date=f"2022-03-{n % 28 + 1:02}", actors="[Russie]",
            events=f'[{{date: 2022-02-{n % 28 + 1:02}, title: "Livraison numéro {n}"}}]')
    root = write_files(tmp_path / "dossier", files)
    store = root / ".dossier-cache/pieces.bin"
    assert build(root, use_disk_cache=True, jobs=1).ok
    timeline = (root / "_site/timeline/index.html").stat().st_size
    for title in ("Livraison retardée", "Livraison numéro 7"):
        before = store.stat().st_size
        (root / "content/articles/a007.md").write_text(article(
            title="Article 7", date="2022-03-08", actors="[Russie]",
            events=f'[{{date: 2022-02-08, title: "{title}"}}]'))
        assert build(root, use_disk_cache=True, jobs=1).ok
        grown = store.stat().st_size - before
        # Made again: the pictures and a block of entries of the timeline, the printable
        # dossier's and the actor's, and the sections printing them, as their keys (as
        # copies: 2.2 and 1.1 times the timeline page). Undone: the pictures and blocks
        # made with these values are kept already.
        assert grown < (1.8 if title != "Livraison numéro 7" else 0.5) * timeline, \
            (grown, timeline)
        shutil.rmtree(tmp_path / "clean", ignore_errors=True)
        assert build(root, output=str(tmp_path / "clean"), jobs=1).ok
        assert digest(root / "_site") == digest(tmp_path / "clean"), title
    # A body edit makes the printable dossier again, its timeline read back from its parts.
    (root / "content/articles/a007.md").write_text(article(
        title="Article 7", date="2022-03-08", actors="[Russie]", body="Un texte neuf.",
        events='[{date: 2022-02-08, title: "Livraison numéro 7"}]'))
    assert build(root, use_disk_cache=True, jobs=1).ok
    shutil.rmtree(tmp_path / "clean")
    assert build(root, output=str(tmp_path / "clean"), jobs=1).ok
    assert digest(root / "_site") == digest(tmp_path / "clean")


def test_the_marks_of_a_long_lane_are_kept_in_columns_that_follow_the_marks(tmp_path,
                                                                             monkeypatch):
    """A timeline picture's long lanes are made in columns kept between builds (20,000 marks
    drawn again for each article added at 10,000 articles): an article added in the middle
    of the span makes again the columns where marks moved, not the picture's every mark;
    one beyond its end moves every mark, and a title edited changes its mark: each time,
    the cached build is the clean one."""
    from tests.helpers import article, write_files
    monkeypatch.setattr(pictures, "KEPT_LANE", 1)
    files = {"dossier.yaml": "title: Dossier\nlanguage: fr\n"}
    for n in range(60):
        day = f"2022-{n // 5 + 1:02}-{n % 5 * 6 + 1:02}"
        files[f"content/articles/a{n:02}.md"] = article(
            title=f"Article {n}", date=day, actors="[Russie]",
            events=f'[{{date: {day}, title: "Livraison {n}"}}]')
    root = write_files(tmp_path / "dossier", files)
    assert build(root, use_disk_cache=True, jobs=1).ok
    made = []
    mark = pictures._Marks.mark
    monkeypatch.setattr(pictures._Marks, "mark", lambda self, *args: (
        made.append(1), mark(self, *args))[1])
    edits = [("a-mid.md", article(title="Au milieu", date="2022-06-14", actors="[Russie]")),
             ("a-end.md", article(title="Après tout", date="2023-03-01", actors="[Russie]")),
             ("a07.md", article(title="Article sept, renommé", date="2022-02-13",
                                actors="[Russie]",
                                events='[{date: 2022-02-13, title: "Livraison 7"}]'))]
    for name, text in edits:
        (root / "content/articles" / name).write_text(text)
        made.clear()
        assert build(root, use_disk_cache=True, jobs=1).ok
        cached = len(made)
        shutil.rmtree(tmp_path / "clean", ignore_errors=True)
        made.clear()
        assert build(root, output=str(tmp_path / "clean"), jobs=1).ok
        assert digest(root / "_site") == digest(tmp_path / "clean"), name
        if name == "a-mid.md":           # the timeline's, the printable dossier's, Russia's
            assert 0 < cached < len(made) / 4, (cached, len(made))
    page = (root / "_site/timeline/index.html").read_text()
    assert "Article sept, renommé" in page and "Après tout" in page


@dataclass
class _Graph:
    links: dict                        # a graph's dictionary, as Dossier.actor_articles
    names: list


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefgh"), st.lists(st.integers(0, 3), max_size=3)),
       st.lists(st.tuples(st.sampled_from("abcdefghij"),
                          st.sampled_from(["keep", "copy", "other", "drop"]))))
def test_what_a_graph_changed_is_stale_and_the_rest_keeps_its_digest(links, edits):
    """The stale check against the last build's graph (depends.Snapshot.changed_since): an
    address is stale exactly when its value's digest changed, though only what is not the
    very object it was is digested again; the rest keeps its digest, when a page asks."""
    before = _Graph(links, ["x"])
    now = dict(links)
    for key, how in edits:
        if how == "drop":
            now.pop(key, None)
        elif how == "copy" and key in now:          # a new object, equal
            now[key] = list(now[key])
        elif how == "other":
            now[key] = [*now.get(key, []), 9]
    graph = _Graph(now, before.names)
    addresses = [("dossier", "links", key) for key in "abcdefghij"] + \
        [("dossier", "links"), ("dossier", "names")]
    bodies = SimpleNamespace(key=lambda page: None)
    digests = [Snapshot(before, bodies, [], {}).digest(a) for a in addresses]
    truth = Snapshot(graph, bodies, [], {})           # everything digested anew
    snapshot = Snapshot(graph, bodies, [], {})
    stale = snapshot.changed_since(before, addresses, digests,
                                   {a: n for n, a in enumerate(addresses)})
    assert stale == {n for n, a in enumerate(addresses) if truth.digest(a) != digests[n]}
    assert [snapshot.digest(a) for a in addresses] == [truth.digest(a) for a in addresses]


FILES = ["articles/a.md", "articles/b.md", "actors/x.md", "pages/p.md", "images/i.svg",
         "notes.md", "articles/.a.md.swp", "articles/a.md~", "neuf/articles/c.md",
         "articles/neuf/d.md"]
file_texts = st.sampled_from([
    "---\ntitle: Un titre\n---\nTexte.\n", "---\ntitle: Autre\ndate: 2022-01-01\n---\n",
    "---\ntitle: [non fermé\n---\n", "sans front matter\n", "<svg/>\n",
    "---\ntitle: Un \x07titre\n---\n"])      # (a record, with a warning)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(FILES), st.one_of(st.none(), file_texts)),
                         min_size=1, max_size=3), min_size=1, max_size=6))
@example([[("articles/b.md", "---\ntitle: Un \x07titre\n---\n")], [("articles/b.md", None)]])
def test_a_save_read_as_what_changed_loads_what_reading_everything_loads(saves):
    """The preview reads only the files a save changed, added or deleted (load._patch): after
    each save it holds the records, assets, unreadable files and problems that reading
    content/ afresh gives, whatever the files are (records, assets, files not built, an
    editor's, in folders new or not)."""
    from dossier.load import load
    from dossier.problems import Problems

    def seen(loaded, problems):
        return ([(r.kind, r.path, r.parsed) for r in loaded.records], loaded.assets,
                loaded.unread, [(p.path, p.line, p.message) for p in problems.items])
    with tempfile.TemporaryDirectory() as folder:
        content = Path(folder).resolve() / "content"
        written: dict = {}                   # (in the folders a save adds files to:)
        _write(content, dict.fromkeys(["articles/a.md", "articles/z.md", "actors/y.md",
                                       "pages/q.md", "images/j.svg"], "---\ntitle: A\n---\n"),
               written)
        cache: dict = {}
        load(content, Problems(content.parent), cache)
        for save in saves:
            changed = _write(content, dict(save), written)
            problems, fresh = Problems(content.parent), Problems(content.parent)
            patched = load(content, problems, cache, changed=changed)
            assert seen(patched, problems) == seen(load(content, fresh), fresh), save

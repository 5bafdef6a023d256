"""Generated front matter and bodies thrown at check and build (issue #17): whatever comes in,
the answer is exit 0 or 1, never a traceback or a hang, every problem located at PATH:LINE,
and a failed build leaves the previous output as it was."""
from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from dossier import model
from dossier.pipeline import build
from tests.helpers import article, digest, write_files

KEYS = ["title", "date", "source", "language", "actors", "resolutions", "summary", "tags",
        "events", "claims", "slug", "draft", "unknown"]
SOURCE_KEYS = ["name", "url", "author", "language", "archived", "retrieved"]
EVENT_KEYS = ["date", "title", "actors", "resolutions", "provisions", "text", "id"]
CLAIM_KEYS = ["by", "about", "status", "text", "date", "source", "provisions", "id"]

# Text from every script, with control characters, brackets and markup among it.
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40) | \
    st.sampled_from(["2022-11-02", "2022-02-30", "0000", "2022-13", "9999-12-31T23:59+14:00",
                     "TODO", "S/RES/2397 (2017)#workers", "2397", "Corée du Nord", "Україна",
                     "<script>alert(1)</script>", "[" * 600, "alleged", "confirmed", "", " ",
                     "http://", "https://example.org/a", "javascript:alert(1)", "\x0c\x1b[2J"])
scalar = st.none() | st.booleans() | st.integers(-10**20, 10**20) | \
    st.floats(allow_nan=True) | text | st.dates().map(dt.date.isoformat)
value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=4) |
                     st.dictionaries(text | st.sampled_from(KEYS), inner, max_size=4),
                     max_leaves=12)


def mapping(keys):
    return st.dictionaries(st.sampled_from(keys), value | st.lists(value, max_size=3),
                           max_size=len(keys))


front_matter = st.fixed_dictionaries({}, optional={
    "title": value, "date": value, "source": value | mapping(SOURCE_KEYS),
    "language": value, "actors": value, "resolutions": value, "summary": value,
    "tags": value, "events": st.lists(mapping(EVENT_KEYS) | value, max_size=3) | value,
    "claims": st.lists(mapping(CLAIM_KEYS) | value, max_size=3) | value,
    "slug": value, "draft": value, "unknown": value})
body = text | st.sampled_from(["[a](missing.md)", "![x](http://tracker.example/p.gif)",
                               "<iframe src=x>", "```\n" + "[" * 50 + "\n```", "[^1]\n\n[^1]: n",
                               "[TOC]\n# A\n## B", "| a |\n|---|\n| b |"])
actor_file = st.fixed_dictionaries({"name": value}, optional={
    "aliases": value, "kind": value | st.sampled_from(model.ACTOR_KINDS), "country": value,
    "summary": value, "slug": value})
resolution_file = st.fixed_dictionaries({"symbol": value}, optional={
    "adopted": value, "title": value, "url": value, "provisions": value})


def _yaml(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _located(problems, root: Path) -> None:
    for problem in problems.items:
        if problem.path.startswith("content/"):
            assert problem.line >= 1 and (root / problem.path).exists(), str(problem)
        assert "Traceback" not in str(problem), str(problem)
        assert "internal error" not in problem.message, str(problem)


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(articles=st.lists(st.tuples(front_matter, body), min_size=1, max_size=3),
       actors=st.lists(actor_file, min_size=1, max_size=2),
       resolutions=st.lists(resolution_file, min_size=1, max_size=2),
       raw=st.sampled_from(["", "---\n: :\n---\n", "---\na: [\n---\n", "---\n- x\n---\n",
                            "---\nt: 1\nt: 2\n---\n", "no front matter", "---\n" + "[" * 300
                            + "]" * 300 + "\n---\n"]))
def test_any_content_gives_located_problems_and_never_loses_the_site(articles, actors,
                                                                      resolutions, raw):
    with tempfile.TemporaryDirectory() as folder:
        root = write_files(Path(folder), {
            "dossier.yaml": "title: Fuzz\nlanguage: fr\n",
            "content/articles/good.md": article(title="Bon", actors="[Bon]")})
        site = root / "_site"
        first = build(root)
        assert first.ok, [str(p) for p in first.problems.items]
        before = digest(site)
        files = {f"content/articles/a{i}.md": f"---\n{_yaml(data)}---\n{text}\n"
                 for i, (data, text) in enumerate(articles)}
        files |= {f"content/actors/x{i}.md": f"---\n{_yaml(data)}---\n"
                  for i, data in enumerate(actors)}
        files |= {f"content/resolutions/r{i}.md": f"---\n{_yaml(data)}---\n"
                  for i, data in enumerate(resolutions)}
        if raw:
            files["content/articles/raw.md"] = raw
        write_files(root, files)
        checked = build(root, write_output=False)              # check
        _located(checked.problems, root)
        built = build(root)
        _located(built.problems, root)
        assert built.ok == checked.ok
        if not built.ok:
            assert digest(site) == before                      # the previous site, intact
        shutil.rmtree(root / ".dossier-cache", ignore_errors=True)


# Every field of every record, given every shape of value: a grid, so that no shape is left
# to chance. Each file is otherwise valid.
SHAPES = [5, -1, 1.5, True, None, "", "abc", "0000", "0000-01", "9999-99-99", "2022-02-30",
          [], [1, [2]], [None], {"a": 1}, "\x0c", "[" * 600, "Україна", "- x"]
VALID = {
    "articles": {"title": "A", "date": "2022-01-01", "source": "AP", "actors": ["Kyiv"],
                 "resolutions": ["S/RES/1"], "events": [{"date": "2022-01-01", "title": "E",
                                                         "provisions": ["S/RES/1#p"]}],
                 "claims": [{"by": "Kyiv", "status": "alleged", "text": "T",
                             "provisions": ["S/RES/1#p"]}]},
    "actors": {"name": "Kyiv", "kind": "state", "aliases": ["Kiev"], "country": "UA"},
    "resolutions": {"symbol": "S/RES/1", "adopted": "1946-01-25",
                    "provisions": [{"id": "p", "text": "P", "deadline": "1947-01-01"}]},
}
FIELDS = [(kind, (key,)) for kind, keys in (
    ("articles", KEYS), ("actors", ["name", "aliases", "kind", "country", "summary", "slug"]),
    ("resolutions", ["symbol", "body", "adopted", "title", "url", "summary", "provisions"]))
    for key in keys] + \
    [("articles", ("source", key)) for key in SOURCE_KEYS] + \
    [("articles", ("events", 0, key)) for key in EVENT_KEYS] + \
    [("articles", ("claims", 0, key)) for key in CLAIM_KEYS] + \
    [("resolutions", ("provisions", 0, key)) for key in ["id", "text", "deadline"]] + \
    [("articles", ("events", 0)), ("articles", ("claims", 0)), ("resolutions", ("provisions", 0))]


def _set(data, path, shape):
    data = yaml.safe_load(yaml.safe_dump(data))       # a deep copy
    if path[0] == "source" and not isinstance(data.get("source"), dict):
        data["source"] = {"name": "AP"}
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = shape
    return data


def test_every_field_in_every_shape_gives_located_problems(tmp_path):
    failures = []
    for kind, path in FIELDS:
        for shape in SHAPES:
            root = tmp_path / f"{kind}-{'-'.join(map(str, path))}-{SHAPES.index(shape)}"
            files = {f"content/{k}/x.md": f"---\n{_yaml(v)}---\nTexte.\n"
                     for k, v in VALID.items()}
            files[f"content/{kind}/x.md"] = \
                f"---\n{_yaml(_set(VALID[kind], path, shape))}---\nTexte.\n"
            write_files(root, {"dossier.yaml": "title: Grille\n", **files})
            try:
                result = build(root, write_output=False)
                _located(result.problems, root)
            except Exception as exc:                  # noqa: BLE001 - collected, then shown
                failures.append(f"{kind} {path} = {shape!r}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures[:40]) + f"\n({len(failures)} in all)"

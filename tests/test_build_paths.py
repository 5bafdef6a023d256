"""Parallel, cached and incremental builds give the bytes of a clean serial build."""
from __future__ import annotations

import functools
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.generate import generate
from dossier import parallel
from tests.helpers import REPO, digest, run_cli

ARTICLES = 260          # enough for the work to be shared between processes


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("generated"), ARTICLES)


def build(root: Path, *args: str, output: Path | None = None):
    result = run_cli("build", "--root", str(root), *args,
                     *(("--output", str(output)) if output else ()))
    assert result.returncode == 0, result.stderr
    return result


def rendered(result) -> int:
    return int(re.search(r"pages \((\d+) rendered\)", result.stdout)[1])


def test_parallel_build_equals_serial_build(generated, tmp_path):
    assert ARTICLES >= parallel.MIN_ITEMS
    build(generated, "--jobs", "1", "--no-cache", output=tmp_path / "serial")
    build(generated, "--jobs", "2", "--no-cache", output=tmp_path / "parallel")
    assert digest(tmp_path / "parallel") == digest(tmp_path / "serial")


def test_cached_builds_follow_every_edit_and_equal_clean_builds(generated, tmp_path):
    site = tmp_path / "site"

    def same_as_clean(label: str) -> None:
        clean = tmp_path / f"clean-{label}"
        build(generated, "--jobs", "1", "--no-cache", output=clean)
        assert digest(site) == digest(clean), label

    first = build(generated, "--jobs", "2", output=site)
    assert rendered(first) > ARTICLES
    warm = build(generated, "--jobs", "2", output=site)
    assert rendered(warm) == 0                       # nothing changed: nothing rendered
    same_as_clean("unchanged")

    # Nothing changed in content/, but the output did: what the build did not write is
    # made again; a file someone added is theirs, and kept (see output_dir.py).
    (site / "articles/a00011/index.html").write_text("edited by hand")
    (site / "search-index.js").unlink()
    (site / "articles/stray.html").write_text("not made by the build")
    mended = build(generated, "--jobs", "2", output=site)
    assert rendered(mended) == 1
    assert (site / "articles/stray.html").read_text() == "not made by the build"
    (site / "articles/stray.html").unlink()
    same_as_clean("mended")

    # An actor renamed (the old name kept as an alias, so articles still find it): every page
    # naming the actor shows the new name, though no article changed.
    actor = generated / "content/actors/acteur-0003.md"
    naming = [p for p in site.rglob("*.html") if ">Acteur 0003<" in p.read_text()]
    assert len(naming) > 10
    original = actor.read_text(encoding="utf-8")
    actor.write_text(original.replace("name: Acteur 0003",
                                      "name: Acteur Renommé\nslug: acteur-0003")
                     .replace("aliases: [", "aliases: [Acteur 0003, "), encoding="utf-8")
    try:
        renamed = build(generated, "--jobs", "2", output=site)
        for page in naming:
            assert ">Acteur Renommé<" in page.read_text(), page
        assert 0 < rendered(renamed) < rendered(first)
        same_as_clean("renamed")
    finally:
        actor.write_text(original, encoding="utf-8")
    build(generated, "--jobs", "2", output=site)     # so that the next edit is the only one

    # A body edited: its page changes; a theme file edited: every page is rendered again.
    article = generated / "content/articles/a00007.md"
    original = article.read_text(encoding="utf-8")
    article.write_text(original + "\nUne phrase ajoutée à la fin.\n", encoding="utf-8")
    theme = generated / "theme/templates/_article_list.html"
    try:
        build(generated, "--jobs", "2", output=site)
        assert "Une phrase ajoutée" in (site / "articles/a00007/index.html").read_text()
        same_as_clean("edited")
        theme.parent.mkdir(parents=True)
        packaged = Path(__file__).parents[1] / "theme/templates/_article_list.html"
        theme.write_text(packaged.read_text() + "{# a comment changes no page #}\n")
        retheme = build(generated, "--jobs", "2", output=site)
        assert rendered(retheme) == rendered(first)
    finally:
        article.write_text(original, encoding="utf-8")
        if theme.exists():
            theme.unlink()


@pytest.fixture
def slow(generated):
    """The generated dossier with a theme that takes ~10 ms more per article page: a build
    long enough to watch (seconds), whatever the machine's speed."""
    template = generated / "theme/templates/article.html"
    template.parent.mkdir(parents=True, exist_ok=True)
    packaged = (Path(__file__).parents[1] / "theme/templates/article.html").read_text()
    template.write_text(packaged.replace("{% block main %}", "{% block main %}{% for i in "
                                         "range(400) %}{% for j in range(1000) %}{% endfor %}"
                                         "{% endfor %}", 1))    # the sandbox caps a range
    yield generated
    template.unlink()


def test_long_builds_report_progress_and_end_with_one_summary(slow, tmp_path):
    result = build(slow, "--jobs", "2", "--no-cache", output=tmp_path / "site")
    stages = re.findall(r"^dossier: (\w+) [\d,]+ done", result.stderr, re.M)
    assert "writing" in stages, result.stderr
    summary = result.stdout.strip().splitlines()
    assert len(summary) == 1
    assert re.match(r"dossier: \d+ pages \(\d+ rendered\), \d+ files \(\d+ changed, \d+ "
                    r"unchanged\) written to .+ in [\d.]+ s; 0 errors, 0 warnings$", summary[0])


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_reaches_the_total_when_the_last_result_is_taken(jobs):
    items = list(range(parallel.MIN_ITEMS + 50))
    heard = []
    results = [r for _, r in zip(items, parallel.run(str, items, jobs,
                                                     lambda *p: heard.append(p)))]
    assert results == [str(i) for i in items]
    assert heard[-1] == (len(items), len(items))


def _dies_in_a_worker(parent: int, item: int) -> int:
    if os.getpid() != parent and item >= 5:
        os.kill(os.getpid(), signal.SIGKILL)        # as the OOM killer would
    time.sleep(0.01)
    return item


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")
def test_a_few_items_one_at_a_time_come_back_in_order_or_a_dead_worker_fails_them():
    """A cached build makes its few pages one at a time, largest first, several queued per
    worker (parallel.FEW_AHEAD): in order, and a worker killed with items queued fails the
    run within seconds."""
    items = list(range(40))
    assert list(parallel.run(str, items, 2, chunk=1)) == [str(i) for i in items]
    started = time.monotonic()
    with pytest.raises(parallel.WorkerDied):
        list(parallel.run(functools.partial(_dies_in_a_worker, os.getpid()), items, 2,
                          chunk=1))
    assert time.monotonic() - started < 10



def _workers(pid: int) -> list[int]:
    """Processes forked by `pid` (they share its command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            if entry.name.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_killed_worker_fails_the_build_within_seconds_and_keeps_the_site(slow, tmp_path):
    site = tmp_path / "site"
    build(slow, "--jobs", "2", "--no-cache", output=site)
    before = digest(site)
    (slow / "content/articles/a00003.md").write_text(
        (slow / "content/articles/a00003.md").read_text() + "\nUne ligne de plus.\n")
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "build", "--root", str(slow), "--jobs", "2",
         "--no-cache", "--output", str(site)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    deadline = time.monotonic() + 30
    while not (workers := _workers(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert workers, "the build started no worker process"
    os.kill(workers[0], signal.SIGKILL)              # as the OOM killer would
    killed = time.monotonic()
    out, err = process.communicate(timeout=60)
    assert time.monotonic() - killed < 10
    assert process.returncode == 1, (out, err)
    assert "worker process stopped" in err and "Traceback" not in err, err
    assert digest(site) == before                    # the previous site is intact


def test_one_new_article_renders_only_the_pages_that_show_it(generated, tmp_path):
    site = tmp_path / "site"
    first = build(generated, "--jobs", "2", output=site)
    new = generated / "content/articles/zz-nouveau.md"
    new.write_text((generated / "content/articles/a00100.md").read_text()
                   .replace("title:", "title: Nouveau —", 1), encoding="utf-8")
    try:
        added = build(generated, "--jobs", "2", output=site)
        assert 0 < rendered(added) < rendered(first) // 4, added.stdout
        clean = tmp_path / "clean"
        build(generated, "--jobs", "1", "--no-cache", output=clean)
        assert digest(site) == digest(clean)
    finally:
        new.unlink()

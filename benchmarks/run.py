"""Performance figures for dossier, beside Hugo and Pelican when they are installed.

    python benchmarks/run.py [--sizes 1000,10000] [--runs 3] [--edits 5]

For the sample dossier and a generated dossier of each size (benchmarks/generate.py), like
with like, in rounds that take turns (a slow spell of a shared VM slows every tool of a
round, not all runs of one), each figure the median of --runs rounds with its min and max:
- clean: `build --no-cache` into an empty folder, interpreter start included; beside Hugo's
  and Pelican's full builds (Pelican also with its content cache on and nothing changed) of
  the same articles, with a page per claim as dossier makes (benchmarks/others.py), and the
  number of pages each tool made;
- one body edit / one new article: `build` with its cache after appending a sentence to one
  article / adding one article, beside Hugo's full build (Hugo keeps no cache between runs:
  its full build is what a Hugo user waits for after any edit);
  the builds above are also given beside the full build of a Hugo site making the files that
  grow with the whole dossier too (a printable dossier, a search index, data exports, a
  timeline page: benchmarks/others.py), which Hugo's other site does not make, with the size
  of each tool's site;
- no change: `build` again with nothing changed;
- each cached figure twice: as `build` runs by default once a build of the dossier has left
  its warm process (dossier/warm.py: a process holding dossier imported and the cache
  decoded, which forks the build), and without it (DOSSIER_WARM=off: as the first build
  after the warm process stopped, or on a system without fork); with the memory the warm
  process holds between builds (its PSS, after the rounds);
- preview: the live-preview path (`build.py serve` in its own process): save, then the time
  until the server has sent its reload message and answers with the new page, for a title
  edit and for a new article (medians of --edits saves), beside `hugo server`; and the time
  from starting the server to its saying where it serves (its first build made), after a
  `build` of the same dossier, beside `hugo server`'s start;
- memory: the peak proportional set size of the clean build's processes (PSS: shared pages
  counted once, so forked workers are not counted twice), sampled every 0.25 s in one more
  clean build of each tool, after the timed rounds (sampling slows what it samples: no
  timed build is sampled).
- speed: first, how long this machine takes to run a Python loop, alone and with a second
  copy running at once (a VM whose second core is shared slows a two-process build more
  than the tools it is compared with): figures from two machines compare only beside it.
Each ratio is that of the medians, then the range of each round's own ratio: a round's
builds run minutes apart at most, so its ratio moves least with the machine's spells.
No pass/fail: numbers to compare.
"""
from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from benchmarks.generate import generate  # noqa: E402


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo += [int(c) for c in children.read().split()]
        except OSError:
            pass
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            return next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0


def timed(command: list[str], cwd: Path | None = None, memory: bool = False,
          env: dict | None = None) -> tuple[float, float, str]:
    """Run a command -> (seconds, peak memory of its process tree in MB if `memory`, else 0,
    stdout). Memory is sampled in runs of its own: reading every process's smaps_rollup
    four times a second walks each address space (800 MB for a build at 10,000 articles),
    which added 0.15-0.2 s to a 2.3 s build."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=env)
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            peak[0] = max(peak[0], sum(_pss_kb(pid) for pid in _tree(process.pid)))

    sampler = threading.Thread(target=sample) if memory else None
    if sampler:
        sampler.start()
    out = process.stdout.read()
    process.wait()
    seconds = time.perf_counter() - started
    done.set()
    if sampler:
        sampler.join()
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode})")
    return seconds, peak[0] / 1024, out


COLD = {**os.environ, "DOSSIER_WARM": "off"}     # a build without the warm process
COLDLY = ", without the warm process"


def dossier_build(root: Path, out: Path, *extra: str, memory: bool = False,
                  env: dict | None = None) -> tuple[float, float, int]:
    seconds, peak, output = timed([sys.executable, str(REPO / "build.py"), "build",
                                   "--root", str(root), "--output", str(out), *extra],
                                  memory=memory, env=env)
    return seconds, peak, int(re.search(r"\((\d+) rendered\)", output)[1])


def spread(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


NEW = "zz-benchmark-new"       # the article a round adds (and takes away again)
# Hugo's site with the files that grow with the whole dossier too (see benchmarks/others.py)
HUGO_WHOLE = "hugo whole"


def interleaved(root: Path, work: Path, runs: int, others: dict, article: Path) -> dict:
    """`runs` rounds of: dossier clean, no change, one body edit, one new article, then each
    other tool's full build (`others`: name -> site folder); then the peak memory of one
    more clean build of each tool, sampled (not timed) -> {figure: [values]}."""
    from benchmarks.others import hugo_command, pelican_command
    clean_out, site = work / "site-clean", work / "site"
    shutil.rmtree(root / ".dossier-cache", ignore_errors=True)
    shutil.rmtree(site, ignore_errors=True)
    dossier_build(root, site)                   # fills the cache
    for tool, folder in others.items():         # Pelican's content cache, filled
        if tool == "pelican":
            timed(pelican_command(folder, cache=True), cwd=folder)
    original, new = article.read_text(encoding="utf-8"), article.with_name(f"{NEW}.md")
    figures: dict[str, list] = {}

    def add(name: str, value) -> None:
        figures.setdefault(name, []).append(value)

    for run in range(runs):
        shutil.rmtree(clean_out, ignore_errors=True)
        seconds, _, rendered = dossier_build(root, clean_out, "--no-cache")
        add("clean", seconds), add("pages", rendered), add("dossier MB", _megabytes(clean_out))
        for how, env in (("", None), (COLDLY, COLD)):       # by the warm process, then not
            add("no change" + how, dossier_build(root, site, env=env)[0])
            article.write_text(original + f"\nUne phrase ajoutée ({run}{how}).\n",
                               encoding="utf-8")
            seconds, _, rendered = dossier_build(root, site, env=env)
            add("one body edit" + how, seconds)
            add("rendered after one body edit" + how, rendered)
            new.write_text(original.replace('title: "', f'title: "Nouveau {run}{how} ', 1),
                           encoding="utf-8")
            seconds, _, rendered = dossier_build(root, site, env=env)
            add("one new article" + how, seconds)
            add("rendered after one new article" + how, rendered)
            article.write_text(original, encoding="utf-8")
            new.unlink()
            dossier_build(root, site, env=env)              # back to where the round started
        for tool, folder in others.items():
            command = hugo_command(folder) if tool.startswith("hugo") else \
                pelican_command(folder)
            shutil.rmtree(_other_output(tool, folder), ignore_errors=True)
            add(tool, timed(command, cwd=folder)[0])
            add(f"{tool} pages", sum(1 for _ in _other_output(tool, folder).rglob("*.html")))
            add(f"{tool} MB", _megabytes(_other_output(tool, folder)))
            if tool == "pelican":
                add("pelican, content cache on", timed(pelican_command(folder, cache=True),
                                                       cwd=folder)[0])
    warm = warm_process(root)
    add("warm process memory", sum(map(_pss_kb, _tree(warm))) / 1024 if warm else 0)
    subprocess.run([sys.executable, str(REPO / "build.py"), "stop", "--root", str(root)],
                   capture_output=True)
    shutil.rmtree(clean_out, ignore_errors=True)
    add("memory", dossier_build(root, clean_out, "--no-cache", memory=True)[1])
    for tool, folder in others.items():
        command = hugo_command(folder) if tool.startswith("hugo") else pelican_command(folder)
        shutil.rmtree(_other_output(tool, folder), ignore_errors=True)
        add(f"{tool} memory", timed(command, cwd=folder, memory=True)[1])
    return figures


def warm_process(root: Path) -> int | None:
    """The pid of the dossier's warm process, if one runs (see dossier/warm.py; Linux)."""
    for entry in Path("/proc").iterdir():
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"dossier.warm import serve" in w for w in words) and \
                str(root).encode() in words:
            return int(entry.name)
    return None


def _megabytes(folder: Path) -> float:
    """The size of the files in `folder`."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def _other_output(tool: str, site: Path) -> Path:
    return site / ("public" if tool.startswith("hugo") else "output")


def preview_saves(command: list[str], url_of, article: Path, page: str, runs: int,
                  title: str = 'title: "') -> dict[str, list[float]]:
    """Seconds from a save to the server answering with the new page, for a title edit
    and for a new article, as a browser sees it: the client waits for the `reload` message
    on the LiveReload websocket (what livereload.js does), then asks for the page."""
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        url = url_of(server.stdout)
        threading.Thread(target=server.stdout.read, daemon=True).start()   # keep it drained
        original = article.read_text(encoding="utf-8")
        try:
            return asyncio.run(_saves(url, article, original, page, runs, title))
        finally:
            article.write_text(original, encoding="utf-8")
            article.with_name(f"{NEW}.md").unlink(missing_ok=True)
    finally:
        server.terminate()
        server.wait(10)


async def _saves(url: str, article: Path, original: str, page: str, runs: int,
                 title: str) -> dict[str, list[float]]:
    from tornado.httpclient import AsyncHTTPClient, HTTPClientError
    from tornado.websocket import websocket_connect
    client = AsyncHTTPClient()
    socket = await websocket_connect(url.replace("http://", "ws://", 1) + "livereload")
    # Compact JSON: Hugo's server looks for the text '"command":"hello"' in the message.
    await socket.write_message(json.dumps({"command": "hello", "protocols": [
        "http://livereload.com/protocols/official-7"]}, separators=(",", ":")))
    await socket.read_message()
    await socket.write_message(json.dumps({"command": "info", "url": url + page},
                                          separators=(",", ":")))
    await client.fetch(url + page)                  # the browser shows the page

    async def shows(path: str, marker: str) -> bool:
        try:
            return marker in (await client.fetch(url + path)).body.decode()
        except HTTPClientError:
            return False

    async def until(path: str, marker: str) -> float:
        started = time.perf_counter()
        while True:        # a build may have caught the file half-written: wait for the next
            message = json.loads(await socket.read_message())
            if message.get("command") == "reload" and await shows(path, marker):
                return time.perf_counter() - started

    figures: dict[str, list[float]] = {"edit": [], "new article": []}
    new = article.with_name(f"{NEW}.md")
    for run in range(runs):
        marker = f"Benchmark edit {run}"
        article.write_text(original.replace(title, f"{title}{marker} ", 1), encoding="utf-8")
        figures["edit"].append(await until(page, marker))
        await asyncio.sleep(0.5)
        marker = f"Nouvel article {run}"
        new.write_text(original.replace(title, f"{title}{marker} ", 1), encoding="utf-8")
        figures["new article"].append(await until(page.replace(article.stem, NEW), marker))
        new.unlink()
        await until(page, "")          # the article gone again
        await asyncio.sleep(0.5)
    socket.close()
    return figures


def preview_starts(command: Callable[[], list[str]], url_of, runs: int) -> list[float]:
    """Seconds from starting a preview server to its saying where it serves (the first
    build made: both print it once they answer), `runs` times."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        server = subprocess.Popen(command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
        try:
            url_of(server.stdout)
            seconds.append(time.perf_counter() - started)
        finally:
            server.terminate()
            server.wait(10)
    return seconds


def _dossier_url(lines) -> str:
    for line in lines:
        if line.startswith("Serving "):
            return line.split(" on ")[1].split()[0]
    raise SystemExit("the preview server did not start")


def _hugo_url(lines) -> str:
    for line in lines:
        found = re.search(r"(http://[\d.:a-z]+/)", line)
        if found and "localhost" in line or found and "127.0.0.1" in line:
            return found[1].replace("localhost", "127.0.0.1")
    raise SystemExit("hugo server did not start")


def ratio(mine: list[float], theirs: list[float], bold: bool = True) -> str:
    """The ratio of the medians, then the range of each round's own (see the module's docstring)."""
    each = [a / b for a, b in zip(mine, theirs)]
    whole = f"{spread(mine)[0] / spread(theirs)[0]:.2f}"
    return (f"**{whole}**" if bold else whole) + \
        f" (each round {min(each):.2f}–{max(each):.2f})"


def show(values: list[float], unit: str = "s") -> str:
    middle, low, high = spread(values)
    if unit == "ms":
        return f"{middle * 1000:.0f} ms ({low * 1000:.0f}–{high * 1000:.0f})"
    return f"{middle:.2f} s ({low:.2f}–{high:.2f})"


LOOP = "import time\nt = time.perf_counter()\ns = 0\nfor i in range(10**7): s += i\n" \
    "print(time.perf_counter() - t)"


def calibrate(runs: int = 3) -> tuple[list[float], list[float]]:
    """(the loop's times alone, its times with a second copy running at once): how fast this
    machine runs Python, and how much a second process slows the first (a shared core):
    figures of two machines, or of two sessions' VMs, compare only with these beside."""
    def loops(count: int) -> list[float]:
        running = [subprocess.Popen([sys.executable, "-c", LOOP], stdout=subprocess.PIPE,
                                    text=True) for _ in range(count)]
        return [float(process.communicate()[0]) for process in running]
    alone = [loops(1)[0] for _ in range(runs)]
    return alone, [t for _ in range(runs) for t in loops(2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000", help="comma-separated article counts")
    parser.add_argument("--runs", type=int, default=3, help="rounds per figure (median)")
    parser.add_argument("--edits", type=int, default=5, help="saves per preview (median)")
    args = parser.parse_args()
    # Time the code as an installed copy runs: from its bytecode. pip compiles what it
    # installs, and an editable install writes __pycache__/ at its first run, unless
    # PYTHONDONTWRITEBYTECODE is set (as on this VM and many CI and container images):
    # every build would then compile dossier's modules again (0.1 s), which no user's does.
    compileall.compile_dir(REPO / "dossier", quiet=1)
    from benchmarks.others import free_port, hugo_server, hugo_site, pelican_site, version
    tools = {name: version(name) for name in ("hugo", "pelican")}
    print(f"machine: {platform.machine()}, {platform.system()}, Python "
          f"{platform.python_version()}, {os.cpu_count()} cores; "
          + "; ".join(f"{k}: {v or 'not installed'}" for k, v in tools.items()))
    alone, together = calibrate()
    print(f"speed: a Python loop of 10 million additions {show(alone)} alone, "
          f"{show(together)} with the same loop in a second process at once\n")
    print("Median (min–max) of each figure; ratios of medians, then the range of each "
          "round's own ratio (a round's builds run one after another, minutes apart at most).\n")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sample = work / "sample"
        shutil.copytree(REPO / "content", sample / "content")
        shutil.copy(REPO / "dossier.yaml", sample)
        dossiers = [("sample", sample, sample /
                     "content/articles/2022-11-02-coree-du-nord-obus-russie.md")]
        for size in (int(s) for s in args.sizes.split(",") if s):
            root = generate(work / f"g{size}", size)
            dossiers.append((f"generated {size:,}", root,
                             root / f"content/articles/a{size // 2:05d}.md"))
        for name, root, article in dossiers:
            sites = {} if name == "sample" else {
                tool: make(root, work / tool.replace(" ", "-"))
                for tool, make in (("hugo", hugo_site), ("pelican", pelican_site),
                                   (HUGO_WHOLE, partial(hugo_site, whole=True)))
                if tools[tool.split()[0]]}
            f = interleaved(root, work, args.runs, sites, article)
            page = f"articles/{article.stem}/index.html"
            serve = [sys.executable, "-u", str(REPO / "build.py"), "serve", "--root",
                     str(root), "--port", "0"]
            started = preview_starts(lambda: serve, _dossier_url, args.runs)
            served = preview_saves(serve, _dossier_url, article, page, args.edits)
            print(f"### {name}: {f['pages'][0]:,} pages\n")
            hugo = f.get("hugo")
            if hugo or "pelican" in f:      # like with like: the pages each tool makes
                print("Pages made by a full build: " + ", ".join(
                    f"{tool} {f[tool + ' pages'][0]:,}" for tool in ("hugo", "pelican")
                    if tool in f) + f" (dossier {f['pages'][0]:,}).\n")
                print("Size of the site made: " + ", ".join(
                    f"{tool} {f[tool + ' MB'][0]:,.0f} MB" for tool in ("dossier", *sites))
                    + ".\n")
            print("| what is measured | dossier | beside |")
            print("|---|---|---|")
            for figure in ("clean", "one body edit", "one new article", "no change",
                           "one body edit" + COLDLY, "one new article" + COLDLY,
                           "no change" + COLDLY):
                beside = []
                if hugo:
                    beside.append(f"÷ Hugo full build {show(hugo)}: {ratio(f[figure], hugo)}")
                if HUGO_WHOLE in f and not figure.startswith("no change"):
                    whole = f[HUGO_WHOLE]
                    beside.append(f"÷ Hugo making the whole-dossier files too {show(whole)}: "
                                  f"{ratio(f[figure], whole, bold=False)}")
                if figure == "clean" and "pelican" in f:
                    beside.append(f"÷ Pelican full build {show(f['pelican'])}: "
                                  f"{ratio(f[figure], f['pelican'])}")
                    beside.append("Pelican with its content cache on, nothing changed: "
                                  f"{show(f['pelican, content cache on'])}")
                rendered = f.get(f"rendered after {figure}")
                what = f"{figure} ({int(statistics.median(rendered))} pages rendered)" \
                    if rendered else figure
                print(f"| {what} | {show(f[figure])} | {'; '.join(beside)} |")
            memory = f"{max(f['memory']):.0f} MB"
            if hugo:
                memory += f" | Hugo {max(f['hugo memory']):.0f} MB"
            if HUGO_WHOLE in f:
                memory += f", Hugo making the whole-dossier files too " \
                    f"{max(f[HUGO_WHOLE + ' memory']):.0f} MB"
            if "pelican" in f:
                memory += f", Pelican {max(f['pelican memory']):.0f} MB"
            print(f"| peak memory of the clean build | {memory} |")
            held = max(f["warm process memory"])
            print(f"| memory the warm process holds between builds | "
                  f"{f'{held:.0f} MB' if held else 'none (a dossier this small has none)'} | |")
            hugo_served = preview_saves(hugo_server(sites["hugo"], free_port()), _hugo_url,
                                        sites["hugo"] / f"content/articles/{article.name}",
                                        f"articles/{article.stem}/", args.edits,
                                        title='"title": "') if hugo else {}
            for figure in ("edit", "new article"):
                beside = f"`hugo server`: {show(hugo_served[figure], 'ms')}" \
                    if hugo_served else ""
                print(f"| preview, save → page reloaded, {figure} | "
                      f"{show(served[figure], 'ms')} | {beside} |")
            hugo_started = preview_starts(lambda: hugo_server(sites["hugo"], free_port()),
                                          _hugo_url, args.runs) if hugo else []
            beside = f"`hugo server`: {show(hugo_started)}" if hugo_started else ""
            print(f"| preview start after a build, until it serves | {show(started)} | "
                  f"{beside} |")
            print(flush=True)


if __name__ == "__main__":
    main()

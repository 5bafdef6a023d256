"""Performance figures for dossier, beside Hugo and Pelican when they are installed.

    python benchmarks/run.py [--sizes 100,1000,10000] [--runs 3] [--edits 5]

For the sample dossier and a generated dossier of each size (benchmarks/generate.py), medians
of --runs runs of:
- cold: `build --no-cache` into an empty folder, interpreter start included;
- warm: `build` again with nothing changed (the cache in .dossier-cache/ filled);
- edit: the live-preview path: save an edited article, time until the server answers with the
  rebuilt page (median of --edits saves);
- memory: the peak of the build's processes' proportional set size (PSS: shared pages
  counted once, so forked workers are not counted twice), sampled every 0.25 s (reading
  it makes the kernel walk every page: sampling more often slowed the builds measured);
- pages/s: HTML pages written per second of the cold build.
When `hugo` or `pelican` is on PATH, the same articles are built with it (benchmarks/others.py)
in the same run, cold, taking turns with dossier's builds, and the ratios printed. No
pass/fail: numbers to compare.
"""
from __future__ import annotations

import argparse
import asyncio
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
from pathlib import Path

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


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Run a command -> (seconds, peak memory of its process tree in MB, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            peak[0] = max(peak[0], sum(_pss_kb(pid) for pid in _tree(process.pid)))

    sampler = threading.Thread(target=sample)
    sampler.start()
    out = process.stdout.read()
    process.wait()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode})")
    return seconds, peak[0] / 1024, out


def dossier_build(root: Path, out: Path, *extra: str) -> tuple[float, float, int]:
    seconds, memory, output = timed([sys.executable, str(REPO / "build.py"), "build",
                                     "--root", str(root), "--output", str(out), *extra])
    return seconds, memory, int(re.search(r"(\d+) pages", output)[1])


def interleaved(root: Path, work: Path, runs: int, others: dict) -> dict:
    """Medians of `runs` rounds, each one dossier cold build, one warm build and one cold
    build by each other tool (`others`: name -> site folder), one after the other.

    Taking turns makes the ratios fair on a machine whose speed drifts (a shared VM's can
    change by 2x within minutes): a slow spell slows every tool's run of a round, instead of
    all of one tool's runs."""
    from benchmarks.others import hugo_command, pelican_command
    cold_out, warm_out = work / "site-cold", work / "site-warm"
    shutil.rmtree(root / ".dossier-cache", ignore_errors=True)
    shutil.rmtree(warm_out, ignore_errors=True)
    dossier_build(root, warm_out)                 # fills the cache
    figures: dict[str, list] = {"cold": [], "warm": [], **{tool: [] for tool in others}}
    for _ in range(runs):
        shutil.rmtree(cold_out, ignore_errors=True)
        figures["cold"].append(dossier_build(root, cold_out, "--no-cache"))
        figures["warm"].append(dossier_build(root, warm_out))
        for tool, site in others.items():
            command = hugo_command(site) if tool == "hugo" else pelican_command(site)
            shutil.rmtree(_other_output(tool, site), ignore_errors=True)
            figures[tool].append(timed(command, cwd=site))
    cold, warm = figures["cold"], figures["warm"]
    return {"cold": statistics.median(c[0] for c in cold),
            "memory": max(c[1] for c in cold + warm),
            "pages": cold[0][2],
            "warm": statistics.median(w[0] for w in warm),
            "others": {tool: (statistics.median(r[0] for r in figures[tool]),
                              max(r[1] for r in figures[tool]),
                              sum(1 for _ in _other_output(tool, site).rglob("*.html")))
                       for tool, site in others.items()}}


def _other_output(tool: str, site: Path) -> Path:
    return site / ("public" if tool == "hugo" else "output")


def edit_to_served(root: Path, article: Path, runs: int) -> tuple[float, int]:
    """Median seconds from saving `article` (its title edited) to the preview server
    answering with the new page, and the pages rendered to answer.

    The server runs as a user runs it (`build.py serve`, its own process), and the client
    does what the page's livereload.js does: it waits for the `reload` message on the
    LiveReload websocket, then asks for the page again."""
    server = subprocess.Popen([sys.executable, "-u", str(REPO / "build.py"), "serve", "--root",
                               str(root), "--port", "0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        for line in server.stdout:
            if line.startswith("Serving "):
                url = line.split(" on ")[1].split()[0]
                break
        else:
            raise SystemExit("the preview server did not start")
        threading.Thread(target=server.stdout.read, daemon=True).start()   # keep it drained
        original = article.read_text(encoding="utf-8")
        try:
            return asyncio.run(_edits(url, article, original, runs))
        finally:
            article.write_text(original, encoding="utf-8")
    finally:
        server.terminate()
        server.wait(10)


async def _edits(url: str, article: Path, original: str, runs: int) -> tuple[float, int]:
    from tornado.httpclient import AsyncHTTPClient
    from tornado.websocket import websocket_connect
    page = url + f"articles/{article.stem}/index.html"
    client = AsyncHTTPClient()

    async def rendered() -> int:
        return json.loads((await client.fetch(url + "__dossier__/status")).body)["rendered"]

    socket = await websocket_connect(url.replace("http://", "ws://", 1) + "livereload")
    await socket.write_message(json.dumps({"command": "hello", "protocols": [
        "http://livereload.com/protocols/official-7"]}))
    await socket.read_message()
    await socket.write_message(json.dumps({"command": "info", "url": page}))
    await client.fetch(page)                        # the browser shows the page
    times, renders = [], []
    for run in range(runs):
        marker = f"Benchmark edit {run}"
        before = await rendered()
        started = time.perf_counter()
        article.write_text(original.replace('title: "', f'title: "{marker} ', 1),
                           encoding="utf-8")
        while True:        # a build may have caught the file half-written: wait for the next
            message = json.loads(await socket.read_message())
            if message.get("command") == "reload" and \
                    marker in (await client.fetch(page)).body.decode():
                break
        times.append(time.perf_counter() - started)
        renders.append(await rendered() - before)
        await asyncio.sleep(0.3)
    socket.close()
    return statistics.median(times), int(statistics.median(renders))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000", help="comma-separated article counts")
    parser.add_argument("--runs", type=int, default=3, help="builds per figure (median)")
    parser.add_argument("--edits", type=int, default=5, help="saves per dossier (median)")
    args = parser.parse_args()
    from benchmarks.others import hugo_site, pelican_site, version
    tools = {name: version(name) for name in ("hugo", "pelican")}
    print(f"machine: {platform.machine()}, {platform.system()}, Python "
          f"{platform.python_version()}, {os.cpu_count()} cores; "
          + "; ".join(f"{k}: {v or 'not installed'}" for k, v in tools.items()) + "\n")
    print("| dossier | pages | cold | warm | edit → served | memory (peak PSS) | pages/s |")
    print("|---|---|---|---|---|---|---|")
    others = []
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
                tool: make(root, work / tool)
                for tool, make in (("hugo", hugo_site), ("pelican", pelican_site))
                if tools[tool]}
            built = interleaved(root, work, args.runs, sites)
            edit, rendered = edit_to_served(root, article, args.edits)
            print(f"| {name} | {built['pages']:,} | {built['cold']:.2f} s | "
                  f"{built['warm']:.2f} s | {edit * 1000:.0f} ms ({rendered} rendered) | "
                  f"{built['memory']:.0f} MB | {built['pages'] / built['cold']:.0f} |",
                  flush=True)
            others += [(name, tool, pages, seconds, memory, built)
                       for tool, (seconds, memory, pages) in built["others"].items()]
    if others:
        print("\n| dossier | tool | pages | cold | memory | dossier cold ÷ tool | "
              "dossier warm ÷ tool |")
        print("|---|---|---|---|---|---|---|")
        for name, tool, pages, seconds, memory, built in others:
            print(f"| {name} | {tool} | {pages:,} | {seconds:.2f} s | {memory:.0f} MB | "
                  f"{built['cold'] / seconds:.2f} | {built['warm'] / seconds:.2f} |")


if __name__ == "__main__":
    main()

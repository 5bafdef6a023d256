"""Performance figures for dossier (no pass/fail: numbers to compare before and after).

    python benchmarks/run.py [--sizes 100,1000] [--runs 5]

For the sample dossier and a generated dossier of each size: a full build (one process, timed
from the command line, interpreter start included), and the live-preview path: save an edited
article, then time until the server answers with the rebuilt page (median of --runs edits).
"""
from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from benchmarks.generate import generate  # noqa: E402
from dossier.serve import PreviewServer  # noqa: E402


def full_build(root: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--no-cache",
                    "--root", str(root),
                    "--output", str(out)], check=True, capture_output=True)
    return time.perf_counter() - started


def edit_to_served(root: Path, article: Path, runs: int) -> tuple[float, int, int]:
    """Median seconds from saving `article` to the server answering with the new text.

    Like a browser, the client learns that a build finished (here by polling the status
    endpoint every 10 ms, which does not wait for builds), then asks for the page once."""
    server = PreviewServer(root, port=0, log=lambda *a: None)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    server.ready.wait(120)
    page = server.url + f"articles/{article.stem}/index.html"
    status = server.url + "__dossier__/status"
    original = article.read_text(encoding="utf-8")
    times = []
    try:
        for run in range(runs):
            marker = f"Benchmark edit {run}"
            text = original.replace('title: "', f'title: "{marker} ', 1)
            builds = server.preview.builds
            started = time.perf_counter()
            article.write_text(text, encoding="utf-8")
            while True:      # a build may have caught the file half-written: wait for the next
                while json.loads(urllib.request.urlopen(status).read())["builds"] <= builds:
                    time.sleep(0.01)
                builds += 1
                if marker in urllib.request.urlopen(page).read().decode():
                    break
            times.append(time.perf_counter() - started)
            time.sleep(0.3)
        rendered, total = server.preview.last.split(" pages")[0].split(" of ")
    finally:
        article.write_text(original, encoding="utf-8")
        server.stop()
        thread.join(10)
    return statistics.median(times), int(rendered), int(total)


def measure(name: str, root: Path, article: Path, runs: int, work: Path) -> str:
    cold = full_build(root, work / f"{name}-site")
    edit, rendered, total = edit_to_served(root, article, runs)
    return (f"| {name} | {total} | {cold:.2f} s | {edit * 1000:.0f} ms | {rendered} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000", help="comma-separated article counts")
    parser.add_argument("--runs", type=int, default=5, help="edits per dossier (median)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.system()}, Python "
          f"{platform.python_version()}, {__import__('os').cpu_count()} cores\n")
    print("| dossier | pages | full build (CLI, cold) | save → page served | pages re-rendered |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sample = work / "sample"
        shutil.copytree(REPO / "content", sample / "content")
        shutil.copy(REPO / "dossier.yaml", sample)
        seed = sample / "content/articles/2022-11-02-coree-du-nord-obus-russie.md"
        print(measure("sample", sample, seed, args.runs, work), flush=True)
        for size in (int(s) for s in args.sizes.split(",") if s):
            root = generate(work / f"g{size}", size)
            article = root / f"content/articles/a{size // 2:05d}.md"
            print(measure(f"generated {size}", root, article, args.runs, work), flush=True)


if __name__ == "__main__":
    main()

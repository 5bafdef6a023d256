"""Command line: parse arguments, run the pipeline, print problems, return 0/1/2.

Nothing below this module exits the process; outcomes become exit codes here only.
"""
from __future__ import annotations

import argparse
import ctypes
import datetime
import gc
import os
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator, NoReturn
from pathlib import Path

from dossier import __version__, warm
from dossier.parallel import default_jobs
from dossier.cache import BuildCache
from dossier.pipeline import BuildResult, build
from dossier.parallel import WorkerDied
from dossier.output_dir import OutputError

OK, CONTENT_ERRORS, USAGE_ERROR = 0, 1, 2
BUILD_FAILED = 1          # the build could not finish (a worker died, a file went)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dossier", description="Build a static site from a dossier of conflict reporting.")
    parser.add_argument("--version", action="version", version=f"dossier {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.add_argument("--root", type=Path, default=Path("."),
                         help="the dossier folder (holding content/ and dossier.yaml); default: .")
        return sub

    b = command("build", "build the site into the output folder (the default command)")
    b.add_argument("--output", type=Path, help="output folder (default: _site, or dossier.yaml's)")
    b.add_argument("--base-url", help="public address of the site, e.g. https://example.org/d/")
    b.add_argument("--drafts", action="store_true",
                   help="publish articles marked draft: true (their problems are errors)")
    b.add_argument("--strict", action="store_true",
                   help="treat warnings (unknown fields, stub pages) as errors")
    b.add_argument("--no-cache", action="store_true",
                   help="convert and render everything again, ignoring .dossier-cache/")
    b.add_argument("--jobs", type=_jobs, default=default_jobs(),
                   help=f"processes to use (default: all {default_jobs()} cores; 1 builds "
                        "in this process only)")
    c = command("check", "validate the content and report every problem; write nothing")
    c.add_argument("--strict", action="store_true", help="treat warnings as errors")
    c.add_argument("--strict-sources", action="store_true",
                   help="warn about claims and events that rest on a single publisher")
    c.add_argument("--drafts", action="store_true",
                   help="check drafts too (their problems are errors)")
    c.add_argument("--jobs", type=_jobs, default=default_jobs(),
                   help=f"processes to use (default: all {default_jobs()} cores)")
    k = command("links", "check every source and archive address over the network (opt-in: "
                         "build never does); dead links are errors")
    k.add_argument("--max-age", type=_whole, default=7, metavar="DAYS",
                   help="ask again only about addresses last checked this many days ago or "
                        "more (default 7; 0 asks about all)")
    k.add_argument("--per-host", type=_jobs, default=2, metavar="N",
                   help="requests at a time to one host (default 2)")
    k.add_argument("--delay", type=_seconds, default=1.0, metavar="SECONDS",
                   help="at least this long between two requests to one host (default 1)")
    k.add_argument("--timeout", type=_seconds, default=15.0, metavar="SECONDS",
                   help="give up on an address that does not answer within this (default 15)")
    k.add_argument("--retries", type=_whole, default=3, metavar="N",
                   help="ask again after a failure or a 429/5xx, with growing pauses "
                        "(default 3)")
    s = command("serve", "preview the site, rebuilt and reloaded in the browser on every save")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only)")
    s.add_argument("--port", type=_port, default=8000,
                   help="port (default 8000; 0 picks a free one)")
    s.add_argument("--open", action="store_true", help="open the site in the web browser")
    s.add_argument("--drafts", action="store_true",
                   help="treat the problems of drafts (always shown) as errors")
    s.add_argument("--strict", action="store_true", help="treat warnings as errors")
    command("stop", "stop the dossier's warm process (which a build of a large dossier "
                    "leaves to start the next builds at once), freeing its memory")
    n = command("new", "create a dated article skeleton in content/articles/")
    n.add_argument("title", help="the article's title")
    n.add_argument("--date", type=_date, default=None,
                   help="the original's publication date, YYYY-MM-DD (default today): it "
                        "names the file and so the article's address")
    i = command("import", "turn raw clippings (text, Markdown, HTML; - for standard input) "
                          "into articles to review")
    i.add_argument("files", nargs="+", help="clipping files, or - for standard input")
    init = commands.add_parser("init", help="create a new dossier folder that builds at once",
                               description="create a new dossier folder that builds at once")
    init.add_argument("folder", type=Path, help="the new dossier's folder (new or empty)")
    init.add_argument("--language", default="en", help="language of the dossier (default en)")
    return parser


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: use 0 to 65535")
    return port


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["build", *argv]
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:           # argparse has printed the usage error
        return OK if exc.code == 0 else USAGE_ERROR
    if args.command == "init":
        return _init(args)
    if args.command in ("build", "check"):
        global args_one_shot
        args_one_shot = True
        _tune_collector()
        _tune_allocator()
    root = args.root.resolve()
    if not root.is_dir():
        print(f"dossier: --root {args.root}: no such folder", file=sys.stderr)
        return USAGE_ERROR
    if args.command == "serve":
        return _serve(root, args)
    if args.command == "stop":
        stopped = warm.stop(root)
        print(f"dossier: {'warm process stopped' if stopped else 'no warm process runs'} "
              f"for {_shown(root)}")
        return OK
    if args.command == "new":
        from dossier import scaffold
        try:
            path = scaffold.new_article(root, args.title, datetime.date.today(), args.date)
        except OSError as exc:
            print(f"dossier: {exc}", file=sys.stderr)
            return USAGE_ERROR
        print(f"dossier: wrote {_shown(path)}: fill in the TODOs, then remove 'draft: true'")
        return OK
    if args.command == "import":
        return _import(root, args.files)
    if args.command == "links":
        return _links(root, args)
    try:
        if args.command == "check":
            result = build(root, write_output=False, strict=args.strict, drafts=args.drafts,
                           strict_sources=args.strict_sources, jobs=args.jobs,
                           progress=Progress(sys.stderr), after_load=_after_load)
            from dossier import links
            links.recorded(root, result.config.content_dir, result.problems)
            return _report(result, "checked")
        started = time.perf_counter()
        progress = Progress(sys.stderr)
        result = build(root, output=args.output, base_url=args.base_url, strict=args.strict,
                       drafts=args.drafts, use_disk_cache=not args.no_cache, jobs=args.jobs,
                       progress=progress, after_load=_after_load,
                       cache=BuildCache(reading=_reading_store))
        progress.done()
        if result.written and not warm.forked and \
                not args.no_cache and warm.start(root, result.pages):
            print("dossier: note: a warm process now keeps this dossier's cache decoded, so "
                  f"that the next builds start at once; it stops after {warm.IDLE_S // 60} "
                  f"minutes without one (DOSSIER_WARM=off: none)", file=sys.stderr)
    except OutputError as exc:
        print(f"dossier: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except (WorkerDied, OSError) as exc:  # a worker killed; a file gone or changed mid-build
        print(f"dossier: error: {exc}", file=sys.stderr)
        return BUILD_FAILED
    return _report(result, "built", time.perf_counter() - started)


def _after_load() -> None:
    """Between load and render: the cyclic collector on again (see _tune_collector), with
    what the load made frozen out of its sight; and freed memory returned to the system:
    once converted, a one-shot build drops the Markdown (140 MB at 10,000 articles), but the
    C allocator keeps freed blocks, and every forked worker would hold the idle pages too
    (peak 518 -> 430 MB over the processes of a 10,000-article build)."""
    gc.freeze()
    gc.enable()
    try:
        ctypes.CDLL(None).malloc_trim(0)      # glibc (Linux); elsewhere, nothing to do
    except (AttributeError, OSError):
        pass


args_one_shot = False                   # a build or check: see run()


def run() -> NoReturn:
    """The command line (build.py, `python -m dossier`, the `dossier` script): main(), then
    exit. A build or check ends without the interpreter's teardown, which would free its
    millions of objects one by one (0.85 s at 10,000 articles, after the summary line is
    out): nothing is left to do by then (workers joined, files moved in, caches written)."""
    try:
        code = main()
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:             # output piped into `head`: not an error
        os._exit(OK)
    if args_one_shot:
        os._exit(code)
    sys.exit(code)


def _tune_allocator() -> None:
    """Keep the C allocator's threshold for mapping large blocks at its start (128 kB)
    instead of letting it rise to the largest block freed so far (glibc's default): a
    build frees many large strings (a block of the printable dossier is ~0.5 MB), which,
    once that threshold has risen, come from the heap and leave it fragmented and never
    handed back (peak 512 -> 492 MB over the processes of a 10,000-article clean build).
    Elsewhere than glibc, nothing to do."""
    try:
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, 128 * 1024)
    except (AttributeError, OSError):
        pass


M_MMAP_THRESHOLD = -3                   # glibc's malloc.h


def _tune_collector() -> None:
    """A one-shot build makes millions of objects that live as long as it does (records,
    the graph, digests, what a cached build reads back) and few garbage cycles (Markdown's
    trees, templates' contexts): Python's cyclic collector, run every 700 new objects,
    traverses them again and again. Off while the build loads (at 10,000 articles, 24
    collections finding nothing took 0.35 s of a clean build's main process, 7 took 0.06-0.08 s
    of a body edit's), then on, collecting less often, with what was loaded frozen out of
    its sight (_after_load), garbage included: Markdown's cycles, most of it, are not made
    (markup._RawHtml, _Toc). A 10,000-article clean build's peak memory, taking turns with
    the collector on throughout: 472/450 MB against 508/466. The preview server keeps the
    defaults (it runs for hours)."""
    gc.freeze()
    gc.set_threshold(50_000, 50, 50)
    gc.disable()


@contextmanager
def _reading_store() -> Iterator[None]:
    """Around the decoding of a store of the build cache (BuildCache.reading) once the
    collector is on again (after the load: the page cache): the collector off (the state is
    725,000 objects at 10,000 articles, and no cycles; reading it 8 % faster), then what it
    made frozen out of the collector's sight, as what was loaded (_after_load)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            gc.freeze()


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date written YYYY-MM-DD (not {text!r})")


def _whole(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole number, 0 or more (not {text!r})")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, 0 to 3600 (not "
                                         f"{text!r})")
    return value


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of processes, 1 or more "
                                         f"(not {text!r})")
    return int(text)


class Progress:
    """How a long build goes: one line rewritten in place on a terminal, a plain line per
    stage otherwise (logs, CI). Quiet for builds that finish before anyone would wonder."""

    SHOW_AFTER = 1.0        # seconds

    def __init__(self, stream):
        self.stream, self.started = stream, time.perf_counter()
        self.terminal = stream.isatty()
        self.shown = ""                 # a line to clear on a terminal

    def __call__(self, stage: str, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.started
        if elapsed < self.SHOW_AFTER:
            return
        if self.terminal:
            line = f"dossier: {stage} {done:,}/{total:,} ({elapsed:.0f} s)"
            self.stream.write(f"\r{line:<60}")
            self.stream.flush()
            self.shown = stage
        elif done == total:
            print(f"dossier: {stage} {total:,} done ({elapsed:.1f} s)", file=self.stream)

    def done(self) -> None:
        if self.terminal and self.shown:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _init(args) -> int:
    try:
        from dossier import scaffold
        written = scaffold.init_dossier(args.folder, args.language, datetime.date.today())
    except FileExistsError as exc:
        print(f"dossier: {exc}", file=sys.stderr)
        return USAGE_ERROR
    for path in written:
        print(f"dossier: wrote {_shown(path)}")
    print(f"dossier: next: dossier serve --root {args.folder}")
    return OK


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _import(root: Path, files: list[str]) -> int:
    inputs = []
    for name in files:
        if name == "-":
            data = sys.stdin.buffer.read()
            inputs.append(("stdin.txt", _decoded(data), data))
            continue
        path = Path(name)
        if not path.is_file():
            print(f"dossier: {name}: no such file", file=sys.stderr)
            return USAGE_ERROR
        data = path.read_bytes()
        inputs.append((path.name, _decoded(data), data))
    from dossier import scaffold     # HTML parsing libraries: loaded only to import
    try:
        written = scaffold.import_clippings(root, inputs, datetime.date.today())
    except OSError as exc:
        print(f"dossier: {exc}", file=sys.stderr)
        return USAGE_ERROR
    for path, draft in written:
        print(f"dossier: wrote {_shown(path)} (a draft: not published until you remove "
              "'draft: true')")
        print(f"  actors proposed: {', '.join(draft.actors) or 'none'}")
        print(f"  resolutions proposed: {', '.join(draft.resolutions) or 'none'}")
        for note in draft.review:
            print(f"  review {note}")
    return OK


def _links(root: Path, args) -> int:
    from dossier import links
    from dossier.config import load_config
    from dossier.problems import Problems
    problems = Problems(root)
    config = load_config(root, problems)
    if problems.errors:
        return _report_links(problems, "")
    citations = links.cited(root, config.content_dir, problems)
    known = links.read_results(root)
    now = datetime.datetime.now(datetime.timezone.utc)
    asked = links.stale(sorted(citations), known, datetime.timedelta(days=args.max_age), now)
    checker = links.Checker(per_host=args.per_host, delay=args.delay, timeout=args.timeout,
                            retries=args.retries)
    from tqdm import tqdm
    with tqdm(total=len(asked), unit="link", file=sys.stderr, disable=None,
              desc="dossier: checking") as bar:
        results = links.check_all(asked, checker, known, progress=lambda url: bar.update())
    # Only what the dossier still cites is kept.
    links.save_results(root, {url: results[url] for url in citations if url in results})
    counts = links.report(citations, results, problems)
    reused = len(citations) - len(asked)
    summary = (f"{len(citations)} addresses: {counts['alive']} alive, {counts['moved']} "
               f"moved, {counts['dead']} dead ({len(asked)} asked now, {reused} checked less "
               f"than {args.max_age} days ago); results kept in {links.RESULTS_FILE}")
    return _report_links(problems, summary)


def _report_links(problems, summary: str) -> int:
    for problem in problems.sorted():
        print(problem, file=sys.stderr)
    if summary:
        print(f"dossier: {summary}", file=sys.stderr)
    return CONTENT_ERRORS if problems.errors else OK


def _serve(root: Path, args) -> int:
    from dossier.serve import PreviewServer   # tornado is only needed here
    try:
        server = PreviewServer(root, args.host, args.port, strict=args.strict,
                               drafts=args.drafts)
    except OSError as exc:
        print(f"dossier: cannot listen on {args.host}:{args.port}: {exc.strerror}; stop the "
              "other server or choose another --port (0 picks a free one)", file=sys.stderr)
        return USAGE_ERROR
    if args.open:
        import webbrowser
        threading.Thread(target=lambda: server.ready.wait() and webbrowser.open(server.url),
                         daemon=True).start()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    print("dossier: preview stopped")
    return OK


def _report_gone(gone: list[str]) -> None:
    """Pages the last build published that this one removed: if a file was renamed, or a
    claim's text edited (its address is made from it), links to its page from elsewhere now
    break, unless its address is kept: with `redirect_from`, or a claim's `id`."""
    addresses = [path.removesuffix("index.html") for path in gone]
    shown = ", ".join(addresses[:5]) + (f" and {len(addresses) - 5} more"
                                        if len(addresses) > 5 else "")
    one = len(gone) == 1
    print(f"dossier: note: {len(gone)} page{'' if one else 's'} of the last build "
          f"{'is' if one else 'are'} gone: {shown}", file=sys.stderr)
    kept = [a for a in addresses if not a.startswith("tags/")]     # a tag has no file
    claim = next((a for a in kept if a.startswith("claims/")), None)
    other = next((a for a in kept if not a.startswith("claims/")), None)
    if other:
        print(f"  if {'it' if one else 'one'} moved, keep its old address working: "
              f"'redirect_from: [{other}]' in the file that has it now", file=sys.stderr)
    if claim:
        print(f"  a claim whose text was edited keeps its address with "
              f"'id: {claim.split('/')[1]}' (in each article that reports it)",
              file=sys.stderr)


def _report(result: BuildResult, verb: str, seconds: float | None = None) -> int:
    for problem in result.problems.sorted():
        print(problem, file=sys.stderr)
    errors, warnings = len(result.problems.errors), len(result.problems.warnings)
    counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    in_drafts = len(result.problems.in_drafts)
    if in_drafts:    # shown, never fatal: the drafts are not published (--drafts: errors)
        counts += f", {in_drafts} in drafts (not published)"
    if not result.ok:
        strict = " (--strict: warnings count as errors)" if result.config.strict and \
            not errors else ""
        kept = "; the previous output is unchanged" if verb == "built" else ""
        print(f"dossier: {counts}{strict}{kept}", file=sys.stderr)
        return CONTENT_ERRORS
    if verb == "built":
        out = result.config.output_dir
        try:
            out = out.relative_to(Path.cwd())
        except ValueError:
            pass
        changed = result.written - result.unchanged
        how = " by the warm process" if warm.forked else ""
        print(f"dossier: {result.pages} pages ({result.rendered} rendered), {result.written} "
              f"files ({changed} changed, {result.unchanged} unchanged) written to {out} in "
              f"{seconds:.2f} s{how}; {counts}")
        if result.gone:
            _report_gone(result.gone)
    else:
        articles = len(result.dossier.articles) if result.dossier else 0
        print(f"dossier: {articles} article{'s' * (articles != 1)} checked, {result.pages} "
              f"pages; {counts}")
    return OK

"""Live preview: build into memory, serve the last good site, rebuild on save, reload browsers.

python-livereload provides the browser side: its LiveReload-protocol websocket handler and
livereload.js. Everything it gets wrong for a site generator is done here instead (see
docs/design.md): we watch files ourselves (one batch per burst of saves, nothing dropped), build
in a thread off the event loop, swap the new site in with one assignment, and only then send a
single reload. A failed build keeps serving the last good site, with its errors in an overlay.
"""
from __future__ import annotations

import asyncio
import gc
import html
import ipaddress
import json
import mimetypes
import re
import sys
import threading
import time
import traceback
from pathlib import Path

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado import httpserver, netutil, web

from dossier import watch
from dossier.parallel import default_jobs
from dossier.cache import BuildCache
from dossier.pipeline import build, template_problems
from dossier.problems import DRAFT, ERROR, WARNING, Problem
from dossier.outputs import Output

WAIT_FOR_BUILD_S = 30
RELOAD = {"command": "reload", "path": "*", "liveCSS": False, "liveImg": False}
IDLE_COLLECT_S = 10


class Preview:
    """The site in memory: rebuilt on demand, replaced only by a build that succeeded."""

    def __init__(self, root: Path, *, strict: bool = False, drafts: bool = False):
        self.root, self.strict, self.drafts = root, strict, drafts
        self.cache = BuildCache()
        self.site: dict[str, Output] = {}
        self.problems: list[Problem] = []          # the current build errors, for the overlay
        self.warnings: list[Problem] = []          # and its warnings (drafts' problems too)
        self.builds = 0
        self.last = ""                             # one-line summary of the last build
        self.output_dir = root / "_site"
        self.theme_dir = root / "theme"
        self._idle = threading.Event()
        self._idle.set()

    def rebuild(self, changed: set[Path] | None = None) -> bool:
        """Build now (`changed`: the only files changed since the last build, when known);
        True if the new site is being served."""
        self._idle.clear()
        started = time.perf_counter()
        # Only the first build, made before the server starts its threads, may fork workers
        # (forking a process that runs threads can copy a lock some thread holds).
        jobs = default_jobs() if threading.active_count() == 1 else 1
        try:
            result = build(self.root, write_output=False, cache=self.cache, lazy=True,
                           use_disk_cache=True, changed=changed, jobs=jobs,
                           strict=self.strict, drafts=self.drafts, show_drafts=True)
            self.output_dir = result.config.output_dir
            self.theme_dir = result.config.root / result.config.theme
            if result.ok:
                self.site = {out.path: out for out in result.outputs}
                self.problems = []
            else:
                self.problems = [p for p in result.problems.sorted()
                                 if p.severity == ERROR or self.strict and
                                 p.severity == WARNING]
            self.warnings = [p for p in result.problems.sorted()
                             if p.severity in (WARNING, DRAFT) and p not in self.problems]
            seconds = time.perf_counter() - started
            self.last = (f"{result.pages} pages ready in {seconds:.2f} s"
                         if result.ok else f"build failed in {seconds:.2f} s")
            return result.ok
        except Exception as exc:                   # a bug in dossier must not end the preview
            traceback.print_exc()
            self.problems = [Problem("dossier", 0, f"internal error: {exc!r}",
                                     "please report it with the traceback above")]
            self.last = "build crashed"
            return False
        finally:
            self.builds += 1
            self._idle.set()

    def wait_idle(self, timeout: float = WAIT_FOR_BUILD_S) -> bool:
        return self._idle.wait(timeout)

    def lookup(self, url_path: str) -> tuple[int, str, bytes, str | None]:
        """(status, content type, body, redirect) for a URL path of the site, decoded once
        (by the web server)."""
        path = url_path.lstrip("/")
        if path == "" or path.endswith("/"):
            path += "index.html"
        out = self.site.get(path)
        if out is None and f"{path}/index.html" in self.site:
            return 301, "", b"", "/" + path + "/"
        if out is None:
            missing = self.site.get("404.html")
            body = missing.content() if missing else b"<!doctype html><title>Not found</title>"
            return 404, "text/html; charset=utf-8", body, None
        try:
            body = out.content()
        except Exception as exc:         # a theme bug only this page's data meets
            problems = template_problems(exc, self.root)
            return 500, "text/html; charset=utf-8", (
                "<!doctype html><html><head><title>Page failed</title></head><body>"
                f"{overlay_html(problems)}</body></html>").encode(), None
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "image/svg+xml"):
            kind += "; charset=utf-8"
        return 200, kind, body, None


_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)


def inject(page: bytes, port: int, problems: list[Problem],
           warnings: list[Problem] = (), build: int = 0) -> bytes:
    """Add the reload script (wherever </head> is, any case), the error overlay if the build
    failed, and the build's warnings, folded, if it has any. The page tells the server, once
    its reload socket is open, which `build` it was served after (a livereload.js plugin's
    part of the `info` message): a build that ended while the page was loading, before the
    socket opened, sent its reload to nobody (MkDocs' live reload keeps an epoch likewise)."""
    script = ('<script>window.LiveReloadPluginDossier=function(){};'
              'LiveReloadPluginDossier.identifier="dossier";'
              'LiveReloadPluginDossier.version="1";'
              'LiveReloadPluginDossier.prototype.analyze=function(){return {build:'
              f'{int(build)}}}}};</script>'
              f'<script src="/livereload.js?port={port}"></script>').encode()
    match = _HEAD_END.search(page)
    page = page[:match.start()] + script + page[match.start():] if match else script + page
    added = (overlay_html(problems) if problems else "") + \
        (warnings_html(warnings) if warnings else "")
    if added:
        match = _BODY_END.search(page)
        data = added.encode()
        page = page[:match.start()] + data + page[match.start():] if match else page + data
    return page


def overlay_html(problems: list[Problem]) -> str:
    items = "".join(f"<li>{html.escape(str(p))}</li>" for p in problems)
    return ('<div id="dossier-build-errors" role="alert" style="position:fixed;left:0;right:0;'
            'bottom:0;max-height:60vh;overflow:auto;z-index:2147483647;margin:0;padding:1rem '
            '1.5rem;background:#fff1f0;color:#5c0011;border-top:4px solid #cf1322;'
            'font:14px/1.5 ui-monospace,monospace;box-shadow:0 -4px 16px #0003">'
            f'<strong>dossier: the build failed ({len(problems)} problem'
            f'{"s" * (len(problems) != 1)}). Showing the last good version; fix and save to '
            f'reload.</strong><ul style="margin:.5rem 0 0;padding-left:1.25rem">{items}</ul>'
            '</div>')


def warnings_html(warnings: list[Problem]) -> str:
    """The build's warnings (drafts' problems among them) as a folded panel in a corner:
    a count, and each PATH:LINE when opened."""
    count = len(warnings)
    items = "".join(f"<li>{html.escape(str(p))}</li>" for p in warnings)
    return ('<details id="dossier-build-warnings" style="position:fixed;right:1rem;bottom:1rem;'
            'max-width:min(60rem,90vw);max-height:50vh;overflow:auto;z-index:2147483646;'
            'padding:.5rem 1rem;background:#fffbe6;color:#3d2a00;border:2px solid #ad6800;'
            'border-radius:6px;font:14px/1.5 ui-monospace,monospace;box-shadow:0 4px 16px #0003">'
            f'<summary style="cursor:pointer">dossier: {count} warning{"s" * (count != 1)}'
            '</summary><ul style="margin:.5rem 0 0;padding-left:1.25rem">'
            f'{items}</ul></details>')


def allowed_hosts(bound: str) -> set[str]:
    """Host names a request may name: the one the server was bound to, and localhost."""
    return {bound.strip("[]").lower(), "localhost"}


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


class PreviewServer:
    """Serves a Preview on host:port; watches the dossier; reloads browsers after each build."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 8000, *,
                 strict: bool = False, drafts: bool = False, log=print):
        self.preview = Preview(root.resolve(), strict=strict, drafts=drafts)
        self.host, self.log = host, log
        self.sockets = netutil.bind_sockets(port, host)    # OSError if the port is taken
        self.port = self.sockets[0].getsockname()[1]
        self.url = f"http://{host if ':' not in host else f'[{host}]'}:{self.port}/"
        self.reloads = 0
        self._warned: set[Problem] = set()           # warnings printed already
        self.ready = threading.Event()
        self._stop_watching = threading.Event()
        self._watching = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._app: web.Application | None = None
        self._collect_at: float | None = None

    def run(self) -> None:
        """Build, then serve and watch until stop() (or Ctrl-C); blocks the calling thread."""
        self._built_from = watch.snapshot(self.preview.root, self.preview.theme_dir)
        self._build(None)
        self._report()
        asyncio.run(self._serve())

    def _build(self, changed: set[Path] | None) -> None:
        """Build with the cyclic collector off, then put what the preview holds out of its
        way until the preview is idle. At 10,000 articles the preview holds millions of
        objects: the collector, run every 700 new ones, traversed them again and again
        (first build 5.1 -> 3.6 s, a save's 126 -> 102 ms), and a full collection during a
        save (it picks its moment) cost ~0.4 s; a build leaves some 25 objects in cycles.
        Those are collected when no save has come for IDLE_COLLECT_S (_collect)."""
        gc.disable()
        try:
            self.preview.rebuild(changed)
        finally:
            gc.enable()
            gc.freeze()
            self._collect_at = time.monotonic() + IDLE_COLLECT_S

    def _collect(self) -> None:
        if self._collect_at is not None and time.monotonic() >= self._collect_at:
            self._collect_at = None
            gc.unfreeze()
            gc.collect()
            gc.freeze()

    def stop(self) -> None:
        if self._loop and self._stopped:
            self._loop.call_soon_threadsafe(self._stopped.set)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        preview, port = self.preview, self.port

        allowed = allowed_hosts(self.host)

        class LocalOnly:
            """Answers only requests addressed to this server by a name it was bound to, or
            by an IP address: a web page that makes a browser resolve its own domain to
            127.0.0.1 (DNS rebinding) would otherwise read the whole dossier, drafts too."""

            def prepare(self):
                if self.request.host_name.strip("[]").lower() not in allowed and \
                        not _is_ip(self.request.host_name):
                    raise web.HTTPError(403, "unknown Host")

        class Page(LocalOnly, web.RequestHandler):
            async def head(self, path):
                await self.get(path, head=True)

            async def get(self, path, head=False):
                # A request made while a rebuild runs waits for it: never a stale or half site.
                await asyncio.get_running_loop().run_in_executor(None, preview.wait_idle)
                build = preview.builds       # before the lookup: never newer than the page
                status, kind, body, redirect = preview.lookup(path)
                if redirect:
                    return self.redirect(redirect, permanent=False)
                if not preview.site:
                    status, kind, body = 500, "text/html; charset=utf-8", (
                        b"<!doctype html><html><head><title>Build failed</title></head>"
                        b"<body></body></html>")
                if kind.startswith("text/html"):
                    body = inject(body, port, preview.problems, preview.warnings, build)
                self.set_status(status)
                self.set_header("Content-Type", kind)
                self.set_header("Cache-Control", "no-store")
                if head:
                    self.set_header("Content-Length", len(body))
                else:
                    self.write(body)

        class Reloads(LocalOnly, LiveReloadHandler):
            def on_message(self, message):
                super().on_message(message)
                # Registered now (`info`), so every later build's reload reaches this page;
                # one that ended since the page was served is sent here (see inject).
                info = json.loads(message)
                shown = ((info.get("plugins") or {}).get("dossier") or {}).get("build") \
                    if info.get("command") == "info" else None
                if isinstance(shown, int) and shown < preview.builds:
                    self.send_message(RELOAD)

        class ReloadScript(LocalOnly, LiveReloadJSHandler):
            pass

        class Status(LocalOnly, web.RequestHandler):
            def get(self):
                self.set_header("Content-Type", "application/json")
                renderer = preview.cache.renderer
                self.write(json.dumps({"builds": preview.builds, "last": preview.last,
                                       "rendered": renderer.rendered if renderer else 0,
                                       "errors": [str(p) for p in preview.problems],
                                       "warnings": [str(p) for p in preview.warnings]}))

        self._app = web.Application([
            (r"/livereload", Reloads),
            (r"/livereload.js", ReloadScript),
            (r"/__dossier__/status", Status),
            (r"/(.*)", Page),
        ])
        server = httpserver.HTTPServer(self._app)
        server.add_sockets(self.sockets)
        watcher = threading.Thread(target=self._watch, name="dossier-watch", daemon=True)
        watcher.start()
        await self._loop.run_in_executor(None, self._watching.wait, 10)
        self.log(f"Serving {self.preview.root} on {self.url} (Ctrl-C to stop)")
        self.ready.set()
        try:
            await self._stopped.wait()
        finally:
            self._stop_watching.set()
            server.stop()
            await server.close_all_connections()
            watcher.join(timeout=5)

    def _watch(self) -> None:
        preview = self.preview
        while not self._stop_watching.is_set():
            # What to watch depends on dossier.yaml (theme:, output:): watched again as soon
            # as a build finds they changed.
            theme, output = preview.theme_dir, preview.output_dir
            for changed in watch.batches(preview.root, output, theme, self._stop_watching):
                if not self._watching.is_set() or self._built_from is not None:
                    # Saves made between the last build and this watch being in place. Caught
                    # up before the server says it is ready: a check made while the first
                    # saves it watches are being written would build them half-written.
                    if watch.snapshot(preview.root, theme) != self._built_from:
                        self._rebuild(None)
                        changed = set()          # that build saw them
                    self._built_from = None
                    self._watching.set()
                if changed:
                    self._rebuild({Path(p) for p in changed})
                else:
                    self._collect()
                if (preview.theme_dir, preview.output_dir) != (theme, output):
                    self._built_from = watch.snapshot(preview.root, preview.theme_dir)
                    break

    def _rebuild(self, changed: set[Path] | None) -> None:
        names = sorted(p.name for p in changed) if changed else ["(changed during start-up)"]
        self.log(f"changed: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}")
        self._build(changed)
        self._report()
        self._loop.call_soon_threadsafe(self._send_reload)

    def _send_reload(self) -> None:
        """One reload message per build, to the browsers of this server only."""
        self.reloads += 1
        for waiter in list(LiveReloadHandler.waiters):
            if waiter.application is self._app:    # (waiters is shared by every server)
                waiter.send_message(RELOAD)

    def _report(self) -> None:
        """The build's summary, its errors, and the warnings not printed after the last
        build (the same list on every save would hide the new one)."""
        self.log(f"dossier: {self.preview.last}")
        for problem in self.preview.problems:
            print(problem, file=sys.stderr)
        for problem in self.preview.warnings:
            if problem not in self._warned:
                print(problem, file=sys.stderr)
        self._warned = set(self.preview.warnings)

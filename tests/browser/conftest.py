"""Headless Debian Chromium driven by Playwright (Playwright's own browser download does not
work here). Skipped only when Chromium is truly absent, and never in CI."""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() or os.environ.get("CI"):
        return          # in CI a missing browser must fail the run, not skip it
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is absent: apt-get install -y chromium")
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page that records console errors, failed requests and every host contacted."""
    context = browser.new_context()
    page = context.new_page()
    page.problems = []
    page.hosts = set()
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    # ERR_ABORTED is the browser cancelling a request when the test navigates on: not a fault.
    page.on("requestfailed", lambda r: "ERR_ABORTED" not in (r.failure or "") and
            page.problems.append(f"failed {r.url}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and page.problems.append(f"{r.status} {r.url}"))

    def remember(request):
        from urllib.parse import urlsplit
        page.hosts.add(urlsplit(request.url).netloc)
    page.on("request", remember)
    yield page
    context.close()


@pytest.fixture(scope="session")
def serve_under(tmp_path_factory):
    """Serve a site folder under a sub-path on an ephemeral loopback port; return its URL."""
    servers = []

    def serve(site: Path, sub_path: str = "/") -> str:
        top = tmp_path_factory.mktemp("www")
        mount = top / sub_path.strip("/") if sub_path.strip("/") else top / "site"
        mount.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(site, mount)
        handler = functools.partial(_QuietHandler, directory=str(top))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/{mount.relative_to(top).as_posix()}/"

    yield serve
    for server in servers:
        server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

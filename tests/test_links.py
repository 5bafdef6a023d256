"""`dossier links` against a local HTTP server that misbehaves in every usual way — never
against the internet."""
from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers import article, run_cli, write_files


class Host(ThreadingHTTPServer):
    """A web server whose paths answer as dead, moved, busy or broken sites do; it counts
    what it is asked and how many requests it serves at once."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Answer)
        self.asked: list[tuple[str, float]] = []      # (path, time)
        self.active = self.most_active = 0
        self.lock = threading.Lock()
        self.gone: set[str] = set()                     # paths that now answer 404

    def handle_error(self, request, client_address):    # the reset path breaks its socket
        pass

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def times(self, path: str) -> list[float]:
        return [t for p, t in self.asked if p == path]


class _Answer(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        host, path = self.server, self.path
        with host.lock:
            host.asked.append((path, time.monotonic()))
            host.active += 1
            host.most_active = max(host.most_active, host.active)
            busy_before = len(host.times("/busy")) > 1
        try:
            self._answer(host, path, busy_before)
        finally:
            with host.lock:
                host.active -= 1

    def _answer(self, host, path, busy_before):
        if path in host.gone:
            return self._send(404)
        if path == "/reset":          # the connection dies: RST, no answer
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            return
        if path == "/slow":
            time.sleep(1.5)
        if path.startswith("/hold"):
            time.sleep(0.3)
        if path == "/moved":
            return self._send(301, Location="/moved-again")
        if path == "/moved-again":
            return self._send(301, Location="/new-home")
        if path == "/for-now":
            return self._send(302, Location="/new-home")
        if path == "/busy" and not busy_before:
            return self._send(429, **{"Retry-After": "1"})
        status = {"/gone": 404, "/deleted": 410, "/broken": 500}.get(path, 200)
        self._send(status)

    def _send(self, status: int, **headers):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


@contextlib.contextmanager
def serving():
    host = Host()
    thread = threading.Thread(target=host.serve_forever, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        host.shutdown()
        host.server_close()


def _dossier(tmp_path, host: Host):
    def sourced(path: str, archived: str = "") -> str:
        archive = f"\n  archived: {host.url(archived)}" if archived else ""
        return article(title=path, source=f"\n  name: Agence\n  url: {host.url(path)}{archive}")
    files = {"dossier.yaml": "title: Liens\nlanguage: fr\n"}
    for path in ("/ok", "/gone", "/deleted", "/broken", "/slow", "/reset", "/moved", "/for-now",
                 "/busy"):
        files[f"content/articles/{path.strip('/')}.md"] = sourced(path)
    files["content/articles/archived.md"] = sourced("/gone", archived="/ok")
    files["content/resolutions/r.md"] = (f"---\nsymbol: S/RES/2397 (2017)\nadopted: 2017-12-22\n"
                                         f"url: {host.url('/ok')}\n---\n")
    return write_files(tmp_path / "d", files)


FAST = ("--delay", "0", "--timeout", "0.6", "--retries", "1")


def test_links_reports_dead_and_moved_links_at_their_lines_and_keeps_the_results(tmp_path):
    with serving() as host:
        root = _dossier(tmp_path, host)
        result = run_cli("links", "--root", str(root), *FAST)
        out = result.stderr
        assert result.returncode == 1, out
        day = time.strftime("%Y-%m-%d", time.gmtime())
        # source: is on line 4 of each article; url on line 6.
        for name, said in (("gone", "404 Not Found"), ("deleted", "410 Gone"),
                           ("broken", "500 Internal Server Error"),
                           ("slow", "timed out after 0.6 s")):
            assert (f"content/articles/{name}.md:6: source.url {host.url('/' + name)} is dead: "
                    f"{said} (checked {day}; never seen alive)") in out, out
        assert "content/articles/reset.md:6: source.url" in out
        assert "connection reset" in out or "closed without an answer" in out, out
        # A chain of permanent redirects is a move, reported with where it ends.
        assert (f"content/articles/moved.md:6: warning: source.url {host.url('/moved')} moved "
                f"permanently (301) to {host.url('/new-home')} (cite the new address)") in out
        assert f"{host.url('/for-now')} moved" not in out      # a temporary redirect is not
        # 429 with Retry-After: asked again a second later, then alive.
        busy = host.times("/busy")
        assert len(busy) == 2 and busy[1] - busy[0] >= 0.9, busy
        assert "busy.md:6: source.url" not in out
        # Retries with backoff: the 500 was asked twice (one retry).
        assert len(host.times("/broken")) == 2
        # The dead original with an archived copy is reported, and its archive is alive.
        assert "content/articles/archived.md:6: source.url" in out
        assert "archived.md:6: warning: source.url: this source has no archived copy" not in out
        assert ("content/articles/ok.md:6: warning: source.url: this source has no archived "
                "copy") in out
        assert "resolutions/r.md:4: warning" not in out      # not a source: no archive asked
        assert "dossier: 9 addresses: 3 alive, 1 moved, 5 dead (9 asked now" in out, out

        kept = json.loads((root / ".dossier-links.json").read_text())["links"]
        assert kept[host.url("/moved")]["redirects"] == [[301, "/moved-again"],
                                                         [301, "/new-home"]]
        assert kept[host.url("/ok")]["last_alive"].startswith(day)
        assert kept[host.url("/gone")]["status"] == 404

        # A second run asks nothing that was checked less than --max-age days ago.
        asked = len(host.asked)
        again = run_cli("links", "--root", str(root), *FAST)
        assert len(host.asked) == asked
        assert again.returncode == 1 and "(0 asked now, 9 checked less than 7 days ago)" in \
            again.stderr
        assert f"gone.md:6: source.url {host.url('/gone')} is dead: 404 Not Found" in again.stderr

        # A page that was alive and died: check says when it was last seen alive.
        host.gone.add("/ok")
        run_cli("links", "--root", str(root), "--max-age", "0", *FAST)
        checked = run_cli("check", "--root", str(root))
        assert (f"content/articles/ok.md:6: warning: source.url {host.url('/ok')} was dead when "
                f"last checked ({day}: 404 Not Found); last seen alive {day}") in checked.stderr
        # ... a note only where the source gives an archived copy to fall back on.
        assert "content/articles/archived.md:6: note: source.url" in checked.stderr
        # ... and the dead archived copy itself is a warning.
        assert "content/articles/archived.md:7: warning: source.archived" in checked.stderr
        assert checked.returncode == 0, checked.stderr


def test_links_is_polite_to_each_host(tmp_path):
    with serving() as host:
        files = {"dossier.yaml": "title: Liens\n"}
        for n in range(6):
            files[f"content/articles/a{n}.md"] = article(
                title=f"A{n}", source=f"\n  name: X\n  url: {host.url(f'/hold{n}')}\n  "
                                      f"archived: {host.url(f'/hold{n}')}")
        root = write_files(tmp_path / "d", files)
        result = run_cli("links", "--root", str(root), "--per-host", "2", "--delay", "0.1")
        assert result.returncode == 0, result.stderr
        assert host.most_active == 2
        starts = sorted(t for _, t in host.asked)
        assert len(starts) == 6
        # Seen by the server, so each arrival may lag its start by a few milliseconds (a
        # thread's first request opens its connection): each gap is at least the delay less
        # that, and the six together span five delays.
        assert all(b - a >= 0.06 for a, b in zip(starts, starts[1:])), starts
        assert starts[-1] - starts[0] >= 0.48, starts


def test_build_never_asks_the_network(tmp_path):
    with serving() as host:
        root = _dossier(tmp_path, host)
        assert run_cli("build", "--root", str(root)).returncode == 0
        assert run_cli("check", "--root", str(root)).returncode == 0
        assert host.asked == []


@pytest.mark.parametrize("option", ["--delay=-1", "--timeout=abc", "--per-host=0",
                                    "--max-age=-2"])
def test_links_refuses_bad_options(tmp_path, option):
    result = run_cli("links", "--root", str(tmp_path), option)
    assert result.returncode == 2 and "links: error: argument" in result.stderr

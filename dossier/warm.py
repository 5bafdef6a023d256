"""A warm process for `build`, as Mercurial's chg or Gradle's daemon: a cached build of a
large dossier spends about a second starting Python, importing dossier and decoding its cache
(the state, the page cache, the piece store's index: 0.9 of a body edit's 2.3 s at 10,000
articles). A process that holds them decoded forks a child per build, which runs the
command line exactly as `build` would, with the stores it would have read (cache.Decoded:
each taken only while its files have the stamps they had when it was read). What it makes
is therefore what a cold build makes (tests/test_incremental.py compares them after random
edits); it only skips the start.

- `build` asks first (client): this module imports nothing of dossier's, so that asking
  costs a few milliseconds. With no warm process, or one that refuses (another Python,
  other packages or environment, dossier's own code changed since it started: it then
  stops), the build runs as ever.
- A cached `build` of a dossier of WARM_PAGES pages or more starts one when none answers
  (start); DOSSIER_WARM=on starts one for any dossier, DOSSIER_WARM=off never, nor asks.
  It stops after IDLE_S seconds without a build (DOSSIER_WARM_IDLE overrides), when its
  socket is gone, or when dossier's code changed.
- The child gets the command's arguments, folder, environment, umask and its standard
  streams themselves (passed over the socket): it prints and exits as the command would.
  The command forwards Ctrl-C and the like to it, and exits with its code (or signal).
- POSIX only (fork, passing file descriptors); elsewhere `build` runs as ever.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import stat
import sys
import time
from pathlib import Path

WARM_PAGES = 1000          # a dossier this large has a cached build of a second or more
IDLE_S = 600
ANSWER_S = 10.0            # how long a command waits for a warm process to take its build
LOOK_S = 1.0               # how often an idle warm process reads again the stores that changed
SETTING = "DOSSIER_WARM"   # auto (the default), on, off
FAILED = 1                 # cli.BUILD_FAILED
# What a build's result may depend on in the process it runs in, beyond the command line
# (besides the Python, its options and import path, see _shape): a client whose values
# differ is refused (then builds itself). Its whole environment is given to the child.
forked = False             # True in a build the warm process forked (its summary says so)
_SHAPING = ("PYTHON", "LC_", "LANG", "XDG_", "HOME", "TZ", "TMPDIR", "SOURCE_DATE_EPOCH")
_FORWARDED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
                   if hasattr(signal, name))       # (Windows has the first two only)


def run() -> None:
    """The command line (build.py, `python -m dossier`, the `dossier` command): a cached
    build in the dossier's warm process if one takes it, else anything here (cli.run)."""
    code = client(sys.argv[1:])
    if code is not None:
        exit_with(code)
    from dossier.cli import run as run_here
    run_here()


def client(argv: list[str]) -> int | None:
    """Run `build` ARGV in a warm process of its dossier, if one answers and takes it ->
    its exit code (a negative one: the signal that ended it); None: build here."""
    root = _build_root(argv)
    if root is None:
        return None
    try:
        connection = _connect(root)
    except OSError:
        return None
    with connection:
        reply = connection.makefile("rb")
        try:
            # Busy with another build (or stuck) for long: this one is made here, beside it
            # (the stores' and output's locks take turns), not after it.
            connection.settimeout(ANSWER_S)
            _send(connection, {"argv": [sys.argv[0], *argv], "cwd": os.getcwd(),
                               "umask": _umask(), "env": dict(os.environ),
                               "shape": _shape(), "streams": _streams()}, [0, 1, 2])
            if "ready" not in json.loads(reply.readline() or b"{}"):
                return None                  # refused: built here
            connection.sendall(b"go\n")
            connection.settimeout(None)
            child = json.loads(reply.readline() or b"{}").get("pid")
        except (OSError, ValueError):
            return None
        if child is None:
            return None

        def forward(number, _frame) -> None:
            try:
                os.kill(child, number)
            except OSError:
                pass
        for number in _FORWARDED:
            signal.signal(number, forward)
        try:
            ended = json.loads(reply.readline() or b"{}")
        except (OSError, ValueError):
            ended = {}
    if "exit" not in ended:
        try:                        # no one would wait for it, nor say how it ended
            os.kill(child, signal.SIGTERM)
        except OSError:
            pass
        print("dossier: error: the warm process building this dossier stopped before the "
              "build ended; build again (DOSSIER_WARM=off builds without it)", file=sys.stderr)
        return FAILED
    return ended["exit"]


def stop(root: Path) -> bool:
    """Stop the warm process of the dossier at ROOT -> True if one was running."""
    try:
        with _connect(root) as connection:
            connection.settimeout(ANSWER_S)
            _send(connection, {"stop": True}, [])
            return b"stopping" in connection.makefile("rb").readline()
    except OSError:
        return False


def exit_with(code: int) -> None:
    """Leave as the warm build did: with its code, or killed by its signal."""
    sys.stdout.flush()
    sys.stderr.flush()
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code if code >= 0 else 128 - code)


def start(root: Path, pages: int) -> bool:
    """After a cached build here: start the dossier's warm process if it is large enough
    (or DOSSIER_WARM=on) and none answers. True if one was started."""
    setting = os.environ.get(SETTING, "auto")
    if setting == "off" or not _possible() or setting != "on" and pages < WARM_PAGES:
        return False
    import subprocess
    try:
        address = _address(root)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(address)
                return False                             # one answers
            except FileNotFoundError:
                pass
            except OSError:
                _remove(address)                         # left by one that died
        code = ("import sys, json; sys.path[:] = json.loads(sys.argv[1]); "
                "from dossier.warm import serve; serve(sys.argv[2], sys.argv[3])")
        # In "/": a process left in the command's folder would keep its drive busy (a
        # dossier on a USB stick could not be ejected); each build runs in its own folder.
        # With the command's interpreter options (-O, -X utf8, …), as multiprocessing
        # starts its processes: a process started otherwise would refuse it (_shape).
        flags = getattr(subprocess, "_args_from_interpreter_flags", list)()
        subprocess.Popen([sys.executable, *flags, "-c", code, json.dumps(_import_path()),
                          str(root), address], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True, cwd="/")
    except OSError:                 # no folder of this user's own for it: built as ever
        return False
    return True


def serve(root: str, address: str) -> None:
    """The warm process of the dossier at ROOT, listening at ADDRESS until idle (IDLE_S)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(address)                       # one warm process per address
    except OSError:
        return
    listener.listen(8)
    mine = os.stat(address).st_ino
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))     # to take its socket away
    warm = Warm(Path(root), listener)
    idle = float(os.environ.get("DOSSIER_WARM_IDLE", IDLE_S))
    listener.settimeout(min(idle, LOOK_S))
    last = time.monotonic()
    try:
        while _still(address, mine):
            try:
                connection, _ = listener.accept()
            except socket.timeout:
                if time.monotonic() - last >= idle:
                    return
                warm.refresh()            # what other builds (the preview's) wrote since
                continue
            with connection:
                if warm.serve(connection) == "stop":
                    return
            last = time.monotonic()
    finally:
        if _still(address, mine):
            _remove(address)


class Warm:
    """dossier imported and one dossier's stores decoded (cache.Decoded), ready to fork."""

    def __init__(self, root: Path, listener: socket.socket | None = None):
        from dossier import cache, cli, render    # noqa: F401 (imported once, for the children)
        self.root, self.shape, self.listener = root, _shape(), listener
        self.cache, self.render = cache, render
        self.decoded = cache.Decoded()
        self.code = render.code_version()
        self.refresh()

    def refresh(self) -> None:
        """Read again the stores that changed since they were read (after each build). Only
        the children build with them (cache.DECODED): a build changes what it read."""
        import gc
        store = self.cache.BuildCache(folder=self.root / self.cache.CACHE_DIR)
        enabled = gc.isenabled()
        gc.disable()
        self.cache.DECODED = self.decoded
        try:
            store.read_stores()
        finally:
            self.cache.DECODED = None
            # Out of the collector's sight: in a child, as in a cold build (cli), what was
            # read is not traversed again.
            gc.freeze()
            if enabled:
                gc.enable()

    def serve(self, connection: socket.socket) -> str | None:
        """One build asked for on `connection` -> "stop" when this process should stop."""
        streams: list[int] = []
        try:
            connection.settimeout(ANSWER_S)
            request, streams = _receive(connection)
            if request.get("stop"):
                connection.sendall(b"stopping\n")
                return "stop"
            if request.get("shape") != self.shape or len(streams) != 3:
                connection.sendall(b'{"refused": "another environment"}\n')
                return None
            if self.render.code_version.__wrapped__() != self.code:
                connection.sendall(b'{"refused": "dossier changed"}\n')
                return "stop"
            connection.sendall(b'{"ready": true}\n')
            # Forked only once the command says go: one that gave up waiting is gone.
            if connection.makefile("rb").readline() != b"go\n":
                return None
            connection.settimeout(None)
            code = self.build(request, streams, lambda pid: connection.sendall(
                json.dumps({"pid": pid}).encode() + b"\n"), [connection, self.listener])
        except (OSError, ValueError):
            return None
        finally:
            for descriptor in streams:
                os.close(descriptor)
        try:
            connection.sendall(json.dumps({"exit": code}).encode() + b"\n")
        except OSError:
            pass                              # the command is gone; the build was done
        self.refresh()
        return None

    def build(self, request: dict, streams: list[int], started=lambda pid: None,
              sockets: list = ()) -> int:
        """Fork a child running the command line of `request` with `streams` as its standard
        input, output and error; wait for it -> its exit code, or minus its signal. The
        child lets go of `sockets` (the command waits for this process's answer, not the
        child's end)."""
        pid = os.fork()
        if pid == 0:
            try:
                for held in sockets:
                    if held is not None:
                        held.close()
                _become(request, streams)
                self.cache.DECODED = self.decoded
                from dossier import cli
                cli.run()                     # exits
            except KeyboardInterrupt:         # as Python ends: killed by the signal
                import traceback
                traceback.print_exc()
                sys.stderr.flush()
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGINT)
            except BaseException:
                import traceback
                traceback.print_exc()
            finally:
                os._exit(FAILED)
        try:
            started(pid)
        except OSError:                       # the command is gone: so is the build
            os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)


def _become(request: dict, streams: list[int]) -> None:
    """The child: the command's streams, folder, environment and arguments."""
    for number in _FORWARDED:
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for target, descriptor in enumerate(streams):
        os.dup2(descriptor, target)
    for descriptor in streams:
        if descriptor > 2:
            os.close(descriptor)
    import io
    kinds = request.get("streams") or {}
    for target, name in enumerate(("stdin", "stdout", "stderr")):
        encoding, errors = kinds.get(name) or ("utf-8", "strict")
        raw = io.FileIO(target, "rb" if target == 0 else "wb", closefd=False)
        buffered = io.BufferedReader(raw) if target == 0 else io.BufferedWriter(raw)
        # As Python's own: standard error by line, output by line on a terminal only.
        setattr(sys, name, io.TextIOWrapper(buffered, encoding, errors, line_buffering=(
            target == 2 or target == 1 and os.isatty(target))))
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = list(request["argv"])
    global forked
    forked = True


def _build_root(argv: list[str]) -> Path | None:
    """The dossier's folder if ARGV is a cached `build` that may go to a warm process."""
    if os.environ.get(SETTING) == "off" or not _possible():
        return None
    if argv and argv[0] != "build" and not (argv[0].startswith("-") and
                                             argv[0] not in ("-h", "--help", "--version")):
        return None
    root = "."
    for i, arg in enumerate(argv):
        if arg in ("-h", "--help", "--no-cache"):
            return None
        if arg == "--root" and i + 1 < len(argv):
            root = argv[i + 1]
        elif arg.startswith("--root="):
            root = arg.split("=", 1)[1]
    return Path(root).resolve()


def _address(root: Path) -> str:
    """The socket of ROOT's warm process: in a folder of this user's only (0700), named by
    the dossier's folder, this Python, its options and import path, and this copy of
    dossier (`python build.py` and the `dossier` command import from other paths: each
    has its own)."""
    folder = os.path.join(os.environ.get("XDG_RUNTIME_DIR") or "/tmp", f"dossier-{os.getuid()}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise OSError(f"{folder} is not this user's own folder")
    name = hashlib.sha256("\0".join((str(root), sys.executable, str(Path(__file__).parent),
                                     repr(sys.flags), *_import_path())).encode()
                          ).hexdigest()[:24]
    return os.path.join(folder, name)


def _shape() -> dict:
    return {"python": [sys.executable, sys.version, list(sys.flags)], "path": _import_path(),
            "package": str(Path(__file__).resolve().parent),
            "env": {k: v for k, v in os.environ.items()
                    if k.startswith(_SHAPING) and not k.startswith(SETTING)}}


def _import_path() -> list[str]:
    """sys.path, its "" (the current folder, for `python -c`) as the folder it is."""
    return [os.path.abspath(entry) for entry in sys.path]


def _streams() -> dict:
    return {name: [getattr(stream, "encoding", None) or "utf-8",
                   getattr(stream, "errors", None) or "strict"]
            for name, stream in (("stdin", sys.stdin), ("stdout", sys.stdout),
                                 ("stderr", sys.stderr)) if stream is not None}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _possible() -> bool:
    return hasattr(os, "fork") and hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds")


def _send(connection: socket.socket, request: dict, streams: list[int]) -> None:
    data = json.dumps(request).encode()
    socket.send_fds(connection, [len(data).to_bytes(8, "big")], streams)
    connection.sendall(data)


def _connect(root: Path) -> socket.socket:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(_address(root))
    except OSError:
        connection.close()
        raise
    return connection


def _receive(connection: socket.socket) -> tuple[dict, list[int]]:
    head, streams, _, _ = socket.recv_fds(connection, 8, 3)
    if len(head) != 8:
        for descriptor in streams:
            os.close(descriptor)
        raise ValueError("not a request")
    size, data = int.from_bytes(head, "big"), b""
    while len(data) < size:
        more = connection.recv(size - len(data))
        if not more:
            break
        data += more
    try:
        return json.loads(data), streams
    except ValueError:
        for descriptor in streams:
            os.close(descriptor)
        raise


def _still(address: str, inode: int) -> bool:
    try:
        return os.stat(address).st_ino == inode
    except OSError:
        return False


def _remove(address: str) -> None:
    try:
        os.unlink(address)
    except OSError:
        pass

"""The warm process (dossier/warm.py), through the real command line: a build it makes is the
build a cold process makes, it reports and exits as one, passes Ctrl-C on, fails at once
when it dies, and steps aside for another environment or a changed dossier package.
(tests/test_incremental.py compares builds forked as it forks them after random edits.)"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.run import warm_process
from dossier import warm
from tests.helpers import REPO, copy_sample, digest

pytestmark = pytest.mark.skipif(not warm._possible() or not Path("/proc/self/task").is_dir(),
                                reason="needs fork, Unix sockets and Linux's /proc")
WARM = {**os.environ, "DOSSIER_WARM": "on", "DOSSIER_WARM_IDLE": "120"}
BY_WARM = "by the warm process"


@pytest.fixture
def root(tmp_path):
    """A copy of the sample dossier; its warm process stopped at the end."""
    folder = copy_sample(tmp_path / "dossier")
    yield folder
    cli(folder, "stop")


def cli(root: Path, *args: str, env=None, command=None) -> subprocess.CompletedProcess:
    return subprocess.run([*(command or [sys.executable, str(REPO / "build.py")]), *args,
                           "--root", str(root)], env=env or WARM, capture_output=True,
                          text=True, timeout=180)


def started(root: Path, command=None) -> subprocess.CompletedProcess:
    """The first build, which leaves a warm process; -> once it listens (at the address
    the command gave it, the last of its arguments)."""
    first = cli(root, "build", command=command)
    assert first.returncode == 0, first.stderr
    assert "a warm process now keeps this dossier's cache" in first.stderr
    assert BY_WARM not in first.stdout
    deadline = time.monotonic() + 30
    while True:
        try:
            pid = warm_process(root)
            address = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[-2]
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(address)
            return first
        except (OSError, TypeError):
            assert time.monotonic() < deadline, "the warm process did not start"
            time.sleep(0.05)


def same_as_clean(root: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    made = cli(root, "build", "--no-cache", "--output", str(clean))
    assert made.returncode == 0, made.stderr
    assert digest(root / "_site") == digest(clean)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_builds_by_the_warm_process_are_cold_builds(root, tmp_path):
    started(root)
    articles = sorted((root / "content/articles").glob("*.md"))
    one, other = articles[0], articles[1]
    edits = [
        lambda: one.write_text(one.read_text(encoding="utf-8") + "\nUne phrase de plus.\n",
                               encoding="utf-8"),
        lambda: edit(one, "title: \"", "title: \"Nouveau titre — "),
        lambda: (root / "content/articles/2024-01-01-ajout.md").write_text(
            other.read_text(encoding="utf-8").replace("title: \"", "title: \"Ajout — ", 1),
            encoding="utf-8"),
        lambda: other.unlink(),
        lambda: edit(root / "dossier.yaml", "title: \"", "title: \"Dossier — "),
        lambda: None,                                    # nothing changed
    ]
    for number, change in enumerate(edits):
        change()
        made = cli(root, "build")
        assert made.returncode == 0, made.stderr
        assert BY_WARM in made.stdout, (number, made.stdout, made.stderr)
        same_as_clean(root, tmp_path)


def test_the_warm_process_reports_content_errors_as_a_cold_build(root):
    started(root)
    (root / "content/articles/zz-casse.md").write_text("---\ntitle: [non fermé\n---\nTexte.\n",
                                                      encoding="utf-8")
    ours = cli(root, "build")
    cold = cli(root, "build", env={**WARM, "DOSSIER_WARM": "off"})
    assert ours.returncode == cold.returncode == 1
    assert "zz-casse.md:2: invalid YAML" in ours.stderr
    assert ours.stderr == cold.stderr and ours.stdout == cold.stdout


def _the_warm_process(root: Path) -> int:
    pid = warm_process(root)
    assert pid is not None, "no warm process"
    return pid


def _its_build(daemon: int) -> int:
    """The child the warm process forked for a build, stopped (SIGSTOP) once it writes to
    the command's output (a pipe: the warm process's own is /dev/null)."""
    deadline = time.monotonic() + 30
    children = Path(f"/proc/{daemon}/task/{daemon}/children")
    while time.monotonic() < deadline:
        found = children.read_text().split()
        try:
            if found and os.readlink(f"/proc/{found[0]}/fd/1").startswith("pipe:"):
                os.kill(int(found[0]), signal.SIGSTOP)
                return int(found[0])
        except OSError:
            pass
        time.sleep(0.001)
    raise AssertionError("the warm process forked no build")


def _gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            return True
        if state == "Z":            # ended, not yet reaped
            return True
        time.sleep(0.02)
    return False


def test_ctrl_c_reaches_the_warm_build(root):
    started(root)
    daemon = _the_warm_process(root)
    edit(root / "dossier.yaml", "title: \"", "title: \"Dossier — ")      # every page again
    command = subprocess.Popen([sys.executable, str(REPO / "build.py"), "build", "--root",
                                str(root)], env=WARM, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    child = _its_build(daemon)
    command.send_signal(signal.SIGINT)
    time.sleep(0.2)
    os.kill(child, signal.SIGCONT)
    _, err = command.communicate(timeout=30)
    assert command.returncode == -signal.SIGINT, err     # as a cold build interrupted
    assert "KeyboardInterrupt" in err
    assert _gone(daemon, 0.5) is False                    # the warm process lives on


def test_a_warm_process_that_dies_fails_the_build_at_once_and_loses_nothing(root, tmp_path):
    started(root)
    before = digest(root / "_site")
    daemon = _the_warm_process(root)
    edit(root / "dossier.yaml", "title: \"", "title: \"Dossier — ")
    command = subprocess.Popen([sys.executable, str(REPO / "build.py"), "build", "--root",
                                str(root)], env=WARM, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    child = _its_build(daemon)
    os.kill(daemon, signal.SIGKILL)                      # as the OOM killer would
    assert command.wait(timeout=10) == 1
    os.kill(child, signal.SIGCONT)                       # the build it was making goes too
    assert _gone(child)
    _, err = command.communicate(timeout=10)             # (its output is the command's)
    assert "the warm process building this dossier stopped before the build ended" in err
    assert digest(root / "_site") == before              # the previous site, whole
    made = cli(root, "build")                            # a build without it, and a new one
    assert made.returncode == 0 and BY_WARM not in made.stdout, made.stderr
    assert "a warm process now keeps" in made.stderr
    same_as_clean(root, tmp_path)


def test_another_environment_is_built_without_the_warm_process(root, tmp_path):
    started(root)
    other = cli(root, "build", env={**WARM, "TZ": "Asia/Pyongyang"})
    assert other.returncode == 0 and BY_WARM not in other.stdout, other.stderr
    assert BY_WARM in cli(root, "build").stdout                  # still there for this one
    off = cli(root, "build", env={**WARM, "DOSSIER_WARM": "off"})
    assert off.returncode == 0 and BY_WARM not in off.stdout


def test_a_changed_dossier_package_stops_its_warm_process(root, tmp_path):
    """A developer's edit of dossier/ (or an upgrade) is never run by a process that
    imported the code before it: the warm process refuses the build and stops."""
    package = tmp_path / "package"
    shutil.copytree(REPO / "dossier", package / "dossier",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "theme", package / "theme")
    command = [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); "
               "sys.argv[0] = 'build.py'; from dossier.warm import run; run()", str(package)]
    started(root, command=command)
    assert BY_WARM in cli(root, "build", command=command).stdout
    daemon = _the_warm_process(root)
    with open(package / "dossier/labels.py", "a", encoding="utf-8") as source:
        source.write("\n# an edit\n")
    changed = cli(root, "build", command=command)
    assert changed.returncode == 0 and BY_WARM not in changed.stdout, changed.stderr
    assert _gone(daemon)
    same_as_clean(root, tmp_path)
    cli(root, "stop", command=command)          # the one the build after the edit started


def test_stop_stops_it(root):
    started(root)
    daemon = _the_warm_process(root)
    stopped = cli(root, "stop")
    assert stopped.returncode == 0 and "warm process stopped" in stopped.stdout
    assert _gone(daemon)
    assert "no warm process runs" in cli(root, "stop").stdout

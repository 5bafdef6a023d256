"""Helpers for tests: write tiny dossiers, run the real command line."""
from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def copy_sample(folder: Path) -> Path:
    """A copy of the repository's sample dossier (content/ and dossier.yaml) -> its folder."""
    shutil.copytree(REPO / "content", folder / "content")
    shutil.copy(REPO / "dossier.yaml", folder)
    return folder


def article(title="Un titre", date="2022-11-02", source="Associated Press", body="Texte.",
            **fields) -> str:
    """An article file; extra front-matter fields are written as given (YAML text)."""
    lines = [f'title: "{title}"', f"date: {date}", f"source: {source}"]
    lines += [f"{key}: {value}" for key, value in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def digest(folder: Path) -> dict[str, str]:
    """Every file of a folder by its relative path -> sha256 of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run_cli(*args: str, cwd: Path | None = None, stdin: str | None = None
            ) -> subprocess.CompletedProcess:
    """The real command line, as a user runs it."""
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=120, input=stdin)


@contextlib.contextmanager
def preview_server(root: Path):
    """A live-preview server for `root` on a free port, running in a thread."""
    from dossier.serve import PreviewServer
    server = PreviewServer(root, port=0, log=lambda *a: None)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert server.ready.wait(30), "the preview server did not start"
    try:
        yield server
    finally:
        server.stop()
        thread.join(10)
        assert not thread.is_alive(), "the preview server did not stop"

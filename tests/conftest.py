"""Fixtures that build tiny real dossiers in temporary folders, and the sample once."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dossier.pipeline import build

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


def article(title="Un titre", date="2022-11-02", source="Associated Press", body="Texte.",
            **fields) -> str:
    """An article file; extra front-matter fields are written as given (YAML text)."""
    lines = [f'title: "{title}"', f"date: {date}", f"source: {source}"]
    lines += [f"{key}: {value}" for key, value in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


@pytest.fixture
def make_dossier(tmp_path):
    """make_dossier({"content/articles/a.md": "..."}) -> the dossier's root folder."""
    def make(files: dict[str, str | bytes], config: str | None = None) -> Path:
        root = tmp_path / "dossier"
        root.mkdir(exist_ok=True)
        if config is not None:
            files = {**files, "dossier.yaml": config}
        return write_files(root, files)
    return make


@pytest.fixture
def build_site():
    """Build a dossier and return its output folder; fails the test on any error."""
    def run(root: Path, **options) -> Path:
        result = build(root, **options)
        assert result.ok, "\n".join(map(str, result.problems.sorted()))
        return result.config.output_dir
    return run


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real command line, as a user runs it."""
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], cwd=cwd or REPO,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """The repository's sample dossier, built once for the whole session."""
    out = tmp_path_factory.mktemp("sample") / "site"
    result = build(REPO, output=str(out))
    assert result.ok, "\n".join(map(str, result.problems.sorted()))
    return out

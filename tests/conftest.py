"""Fixtures that build tiny real dossiers in temporary folders, and the sample once."""
from __future__ import annotations

from pathlib import Path

import pytest

from dossier.pipeline import build
from tests.helpers import REPO, write_files


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


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """The repository's sample dossier, built once for the whole session."""
    out = tmp_path_factory.mktemp("sample") / "site"
    result = build(REPO, output=str(out))
    assert result.ok, "\n".join(map(str, result.problems.sorted()))
    return out


@pytest.fixture(scope="session")
def english_site(tmp_path_factory) -> Path:
    """The small English example dossier (docs/examples/english), built once."""
    out = tmp_path_factory.mktemp("english") / "site"
    result = build(REPO / "docs/examples/english", output=str(out))
    assert result.ok, "\n".join(map(str, result.problems.sorted()))
    return out

"""`pip install .` into a fresh virtual environment gives a `dossier` command that works
anywhere: the default theme travels as package data."""
import shutil
import subprocess
import sysconfig
import venv
from pathlib import Path

from tests.helpers import REPO, article, write_files


def test_installed_command_builds_a_dossier_outside_the_repository(tmp_path):
    source = tmp_path / "src"
    for name in ("dossier", "theme", "pyproject.toml", "README.md"):
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy
        copy(REPO / name, source / name)
    # The dependencies come from the environment running the tests (a virtual environment
    # or not: its site-packages, put on the new one's path), so nothing is downloaded; the
    # package itself is installed for real, from a copy of the source tree. A folder put on
    # the path this way has its .pth files ignored: an editable install of dossier there is
    # not seen.
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv/bin/python"
    inner = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                            "['purelib'])"], check=True, capture_output=True, text=True)
    outer = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    (Path(inner.stdout.strip()) / "dependencies.pth").write_text("\n".join(sorted(outer)))
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps",
                    str(source)], check=True, capture_output=True)
    shutil.rmtree(source)                         # nothing may be read from the source tree
    root = write_files(tmp_path / "elsewhere", {
        "content/articles/a.md": article(title="Installé"),
        "dossier.yaml": "language: fr\n"})
    result = subprocess.run([tmp_path / "venv/bin/dossier", "build", "--root", str(root)],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    page = (root / "_site/articles/a/index.html").read_text()
    assert "Installé" in page and "Chronologie" in page
    assert (root / "_site/static/style.css").is_file()

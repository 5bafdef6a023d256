"""Where the test suite finds the external validators; missing ones skip locally, fail in CI."""
import os
import shutil
from pathlib import Path

import pytest

NODE_MODULES = Path(__file__).resolve().parent / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar/build/dist/vnu.jar"
AXE_JS = NODE_MODULES / "axe-core/axe.min.js"


def require(path: Path, install: str) -> Path:
    """The tool at `path`; the test is skipped (outside CI) with how to install it."""
    if not path.exists():
        message = f"{path} is missing: {install}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def java() -> str:
    found = shutil.which("java")
    if not found:
        (pytest.fail if os.environ.get("CI") else pytest.skip)("java is missing")
    return found

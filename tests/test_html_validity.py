"""The Nu HTML checker (vnu.jar, the W3C validator's engine) finds no error in any page."""
import json
import subprocess

from tests.tools import VNU_JAR, java, require

INSTALL = "npm install --prefix tests --ignore-scripts"


def vnu_errors(site):
    files = sorted(str(p) for p in site.rglob("*.html"))     # files, not a folder
    result = subprocess.run([java(), "-jar", str(require(VNU_JAR, INSTALL)), "--errors-only",
                             "--format", "json", *files], capture_output=True, text=True,
                            timeout=300)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    return [f"{m.get('url', '').rsplit('/site/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
            for m in messages]


def test_sample_has_no_html_errors(sample_site):
    assert vnu_errors(sample_site) == []


def test_sample_with_base_url_has_no_html_errors(tmp_path):
    from tests.helpers import run_cli
    site = tmp_path / "site"
    assert run_cli("build", "--base-url", "https://example.org/d/", "--output", str(site)).returncode == 0
    assert vnu_errors(site) == []


def test_pages_at_old_addresses_have_no_html_errors(tmp_path):
    from tests.helpers import run_cli, write_files
    from tests.test_redirects import FILES
    root = write_files(tmp_path / "d", FILES)
    assert run_cli("build", "--root", str(root)).returncode == 0
    assert vnu_errors(root / "_site") == []

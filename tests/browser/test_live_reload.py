"""Live reload seen in a real browser: edit the Markdown, the open page changes by itself."""
import shutil

import pytest
from playwright.sync_api import expect

from tests.helpers import REPO, preview_server

SEED = "2022-11-02-coree-du-nord-obus-russie"


@pytest.fixture
def live(tmp_path):
    root = tmp_path / "dossier"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "dossier.yaml", root)
    with preview_server(root) as server:
        yield server


def test_edit_error_and_fix_show_up_in_the_open_page(page, live):
    source = live.preview.root / f"content/articles/{SEED}.md"
    text = source.read_text()
    page.goto(live.url + f"articles/{SEED}/index.html")
    expect(page.locator("h1")).to_contain_text("La Corée du Nord expédie secrètement")
    page.wait_for_function("window.LiveReload && LiveReload.connector && "
                           "LiveReload.connector._isSocketConnected()", timeout=10_000)

    source.write_text(text.replace("Il a refusé de fournir une estimation précise",
                                   "PHRASE AJOUTÉE EN DIRECT. Il a refusé de fournir une estimation précise"))
    expect(page.locator(".body")).to_contain_text("PHRASE AJOUTÉE EN DIRECT", timeout=10_000)

    source.write_text(text.replace("date: 2022-11-02\nsource:", "date: 2022-11-31\nsource:"))
    overlay = page.locator("#dossier-build-errors")
    expect(overlay).to_be_visible(timeout=10_000)
    expect(overlay).to_contain_text(f"content/articles/{SEED}.md:3: date: '2022-11-31' is not a valid date")
    expect(page.locator(".body")).to_contain_text("PHRASE AJOUTÉE EN DIRECT")  # last good site

    source.write_text(text)
    expect(overlay).to_have_count(0, timeout=10_000)
    expect(page.locator(".body")).not_to_contain_text("PHRASE AJOUTÉE EN DIRECT")
    assert page.problems == []

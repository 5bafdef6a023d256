"""Live reload seen in a real browser: edit the Markdown, the open page changes by itself."""
import time

import pytest
from playwright.sync_api import expect

from tests.helpers import copy_sample, preview_server

SEED = "2022-11-02-coree-du-nord-obus-russie"


@pytest.fixture
def live(tmp_path):
    root = copy_sample(tmp_path / "dossier")
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


def test_a_page_whose_reload_socket_connects_after_a_build_is_reloaded(page, live):
    """A save made while an open page is loading (between its HTML and its reload socket)
    is not lost: the page says which build it shows, and the server reloads it if a build
    finished since. Here the reload script is held back until the save's build is done."""
    source = live.preview.root / f"content/articles/{SEED}.md"
    held = []
    page.route("**/livereload.js*", lambda route: held.append(route), times=1)
    page.goto(live.url + f"articles/{SEED}/index.html", wait_until="commit")
    while not held:
        page.wait_for_timeout(20)
    builds = live.preview.builds
    source.write_text(source.read_text().replace(
        "Il a refusé de fournir une estimation précise",
        "SAUVEGARDE PENDANT LE CHARGEMENT. Il a refusé de fournir une estimation précise"))
    deadline = time.monotonic() + 10
    while live.preview.builds == builds or not live.preview.wait_idle(0):
        assert time.monotonic() < deadline, "the save was not built"
        time.sleep(0.02)
    time.sleep(0.2)                        # the build's reload message is sent (to nobody)
    held[0].continue_()
    expect(page.locator(".body")).to_contain_text("SAUVEGARDE PENDANT LE CHARGEMENT",
                                                  timeout=10_000)


def test_a_new_draft_shows_in_the_preview_with_its_problems_folded(page, live):
    """Saving a draft with TODOs does not turn the preview red: the draft is shown with a
    banner, and its problems are counted in a folded panel, each with its PATH:LINE."""
    page.goto(live.url + "index.html")
    page.wait_for_function("window.LiveReload && LiveReload.connector && "
                           "LiveReload.connector._isSocketConnected()", timeout=10_000)
    draft = live.preview.root / "content/articles/brouillon.md"
    draft.write_text('---\ntitle: "Brouillon en cours"\ndate: 2025-01-02\nsource:\n'
                     "  name: TODO\ndraft: true\n---\nÀ vérifier.\n", encoding="utf-8")
    panel = page.locator("#dossier-build-warnings")
    expect(panel).to_be_visible(timeout=10_000)
    expect(panel.locator("summary")).to_have_text("dossier: 1 warning")
    expect(page.locator("#dossier-build-errors")).to_have_count(0)
    panel.locator("summary").click()
    expect(panel).to_contain_text("content/articles/brouillon.md:5: draft: source.name is "
                                  "still TODO")
    page.goto(live.url + "articles/brouillon/index.html")
    expect(page.locator(".notice.draft")).to_contain_text("Brouillon non publié")
    assert page.problems == []

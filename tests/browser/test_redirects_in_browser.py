"""A reader at an old address (`redirect_from`) lands on the page where it is now, from a
USB stick (file://) or a host, under a sub-path, with scripts off too."""
import pytest

from tests.helpers import run_cli, write_files
from tests.test_redirects import FILES


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = write_files(tmp_path_factory.mktemp("redirects") / "d", FILES)
    assert run_cli("build", "--root", str(root)).returncode == 0
    return root / "_site"


@pytest.mark.parametrize("old, now", [
    ("articles/2022-11-02-livraisons/index.html", "Livraisons d’obus"),
    ("2022/11/livraisons.html", "Livraisons d’obus"),
    ("acteurs/russie/index.html", "Russie"),
    ("methodologie/index.html", "Méthode")])
def test_an_old_address_opens_the_page_where_it_is_now(page, site, serve_under, old, now):
    page.goto((site / old).as_uri())
    page.wait_for_url(lambda url: old not in url)
    assert page.locator("h1").inner_text() == now
    base = serve_under(site, "/sous/chemin/")
    page.goto(base + old.removesuffix("index.html"))
    page.wait_for_url(lambda url: old.removesuffix("index.html") not in url)
    assert page.locator("h1").inner_text() == now
    assert page.url.startswith(base)
    assert page.problems == []


def test_an_old_address_opens_the_page_with_scripts_off(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto((site / "resolutions/2397/index.html").as_uri())
    page.wait_for_url(lambda url: "/resolutions/2397/" not in url)
    assert "S/RES/2397 (2017)" in page.locator("h1").inner_text()
    context.close()

"""Every page type at a desktop and a phone size, in light and dark: no sideways scrolling,
a compact header on phones, the self-hosted fonts in use, no serious axe violation in dark."""
import pytest

from tests.tools import AXE_JS, require

PAGES = ["index.html", "articles/index.html", "articles/2022-11-02-coree-du-nord-obus-russie/index.html",
         "actors/index.html", "actors/coree-du-nord/index.html", "actors/vladivostok/index.html",
         "resolutions/index.html", "resolutions/s-res-2397-2017/index.html", "timeline/index.html",
         "map/index.html", "claims/index.html", "claims/dementi-iran/index.html",
         "sources/index.html", "corrections/index.html", "methodologie/index.html",
         "tags/munitions/index.html", "print/index.html"]
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(params=list(SIZES))
def sized(request, browser):
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.size = request.param
    yield page
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_no_page_scrolls_sideways_and_the_phone_header_is_compact(sized, sample_site, path):
    sized.goto((sample_site / path).as_uri())
    overflow = sized.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} is {overflow} px wider than the {sized.size} screen"
    header = sized.locator(".site-header").bounding_box()
    if sized.size == "phone":
        assert header["height"] <= 0.15 * 844, header            # issue #19: <= 15 %
    else:
        assert header["height"] <= 110, header                   # two rows at most


def test_the_self_hosted_fonts_are_used(page, sample_site):
    page.goto((sample_site / "articles/2022-11-02-coree-du-nord-obus-russie/index.html").as_uri())
    page.evaluate("document.fonts.ready")
    loaded = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded')"
                           ".map(f => f.family.replace(/\"/g, ''))")
    assert "Source Serif 4" in loaded and "Inter" in loaded, loaded
    assert page.hosts <= {""}                                     # from this site only


@pytest.mark.parametrize("path", ["index.html", "articles/2022-11-02-coree-du-nord-obus-russie/index.html",
                                  "timeline/index.html", "map/index.html", "claims/index.html"])
def test_dark_scheme_has_no_serious_accessibility_violations(browser, sample_site, path):
    axe = require(AXE_JS, "npm install --prefix tests --ignore-scripts")
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto((sample_site / path).as_uri())
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 23, 27)", background               # the dark paper
    page.add_script_tag(path=str(axe))
    violations = page.evaluate("""axe.run().then(r => r.violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))""")
    context.close()
    assert violations == []

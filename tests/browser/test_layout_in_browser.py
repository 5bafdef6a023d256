"""The self-hosted fonts in use, and no serious axe violation in the dark scheme (sizes and
the light scheme: test_screens_in_browser)."""
import pytest

from tests.tools import AXE_JS, require


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

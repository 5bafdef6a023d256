"""Every page type of the French sample and of the small English example dossier, in Chromium at
a desktop and a phone size: a screenshot of each (kept in the test's folder), no sideways
scrolling, a compact header on phones, no two words run together where one element meets the
next, every picture's labels whole inside the picture and never covering one another, and
axe-core with no violation at all."""
import pytest

from tests.tools import AXE_JS, require

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
PAGES = {
    "sample": ["index.html", "articles/index.html",
               "articles/2022-11-02-coree-du-nord-obus-russie/index.html", "actors/index.html",
               "actors/coree-du-nord/index.html", "actors/vladivostok/index.html",
               "resolutions/index.html", "resolutions/s-res-2397-2017/index.html",
               "timeline/index.html", "map/index.html", "claims/index.html",
               "claims/dementi-iran/index.html", "sources/index.html", "corrections/index.html",
               "methodologie/index.html", "tags/index.html", "tags/munitions/index.html",
               "search/index.html", "print/index.html", "404.html"],
    "english": ["index.html", "articles/index.html",
                "articles/2022-11-02-north-korea-covertly-shipping-shells/index.html",
                "actors/index.html", "actors/north-korea/index.html",
                "actors/vladivostok/index.html", "resolutions/index.html",
                "resolutions/s-res-1874-2009/index.html", "timeline/index.html",
                "map/index.html", "claims/index.html", "sources/index.html", "about/index.html",
                "tags/munitions/index.html", "search/index.html", "print/index.html", "404.html"],
}
CASES = [(name, path) for name, paths in PAGES.items() for path in paths]

# The boxes of the labels a reader sees in each picture, in the picture's own units.
LABELS = """() => [...document.querySelectorAll('figure svg')].filter(s => s.getClientRects().length)
  .map(svg => { const v = svg.viewBox.baseVal;
    const texts = [...svg.querySelectorAll('text')].filter(t => {
      const s = getComputedStyle(t); return s.visibility === 'visible' && s.display !== 'none'; });
    return {view: [v.x, v.y, v.x + v.width, v.y + v.height],
            boxes: texts.map(t => { const b = t.getBBox();
              return [t.textContent, b.x, b.y, b.x + b.width, b.y + b.height]; })}; })"""

# Two words run together where an element of the text meets the next with nothing between
# them ("2 médias indépendants</span><span>Statut…"): shown as one, copied as one, read as
# one by a screen reader. Elements laid out as blocks (a flex row's items) are apart anyway.
GLUED = """() => { const flowing = e => ['inline', 'inline-block'].includes(getComputedStyle(e).display);
  const word = /[\\p{L}\\p{N}]/u;
  return [...document.body.querySelectorAll('*')].filter(e => !e.closest('svg'))
    .filter(e => e.nextSibling && e.nextSibling.nodeType === Node.ELEMENT_NODE &&
                 flowing(e) && flowing(e.nextSibling) && e.getClientRects().length &&
                 word.test(e.innerText.slice(-1)) && word.test(e.nextSibling.innerText.slice(0, 1)))
    .map(e => e.innerText.slice(-30) + '|' + e.nextSibling.innerText.slice(0, 30)); }"""


@pytest.fixture
def site(request, sample_site, english_site):
    return {"sample": sample_site, "english": english_site}


@pytest.fixture(params=list(SIZES))
def sized(request, browser):
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.size = request.param
    yield page
    context.close()


@pytest.mark.parametrize("name, path", CASES)
def test_every_page_fits_the_screen_and_its_pictures_keep_their_labels(sized, site, name, path,
                                                                       tmp_path):
    sized.goto((site[name] / path).as_uri())
    sized.evaluate("document.fonts.ready")
    sized.screenshot(path=tmp_path / f"{name}-{path.replace('/', '_')}-{sized.size}.png",
                     full_page=True)
    overflow = sized.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} is {overflow} px wider than the {sized.size} screen"
    header = sized.locator(".site-header").bounding_box()
    if sized.size == "phone":
        assert header["height"] <= 0.15 * 844, header            # issue #19: <= 15 %
    else:
        assert header["height"] <= 110, header                   # two rows at most
    assert sized.evaluate(GLUED) == [], path
    for picture in sized.evaluate(LABELS):
        x0, y0, x1, y1 = picture["view"]
        boxes = picture["boxes"]
        for i, (text, a0, b0, a1, b1) in enumerate(boxes):
            assert x0 - 0.5 <= a0 and a1 <= x1 + 0.5 and y0 - 0.5 <= b0 and b1 <= y1 + 0.5, \
                f"{path}: label {text!r} leaves its picture {picture['view']}: {(a0, b0, a1, b1)}"
            for other, c0, d0, c1, d1 in boxes[i + 1:]:
                apart = a1 <= c0 + 0.5 or c1 <= a0 + 0.5 or b1 <= d0 + 0.5 or d1 <= b0 + 0.5
                assert apart, f"{path}: label {text!r} covers {other!r}"


@pytest.mark.parametrize("name, path", CASES)
def test_every_page_has_no_accessibility_violation(page, site, name, path):
    axe = require(AXE_JS, "npm install --prefix tests --ignore-scripts")
    page.goto((site[name] / path).as_uri())
    page.add_script_tag(path=str(axe))
    violations = page.evaluate("""axe.run().then(r => r.violations
        .map(v => v.impact + ' ' + v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))""")
    assert violations == []


def test_the_network_reads_whole_names_with_a_legend_and_gives_way_to_lists_on_phones(
        sized, sample_site):
    sized.goto((sample_site / "actors/index.html").as_uri())
    network = sized.locator("figure.network")
    pairs = sized.locator("ol.pairs > li")
    assert pairs.count() == 12 and pairs.first.is_visible()
    if sized.size == "phone":
        assert not network.is_visible()             # its labels would be ~5 px high
        return
    names = sized.locator("figure.network a.node text").all_text_contents()
    assert len(names) == 24 and not any(n.endswith("…") for n in names)
    assert "République populaire de Louhansk" in names
    # The legend names every kind drawn, in the colour its nodes are drawn in.
    legend = sized.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        'figure.network .legend .swatch')].map(s => [s.className.split('kind-')[1],
        getComputedStyle(s).backgroundColor]))""")
    drawn = sized.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        'figure.network a.node')].map(a => [a.getAttribute('class').split('kind-')[1],
        getComputedStyle(a.querySelector('circle')).fill]))""")
    assert drawn == legend and len(set(legend.values())) == len(legend)

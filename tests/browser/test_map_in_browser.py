"""The sample's map in Chromium: drawn from file:// with no request to any other host, its
marks lead to their places, the filter narrows marks and list together, and without
JavaScript the whole map and list stay."""


def test_map_renders_from_file_url_and_its_marks_lead_to_places(page, sample_site):
    page.goto((sample_site / "map/index.html").as_uri())
    svg = page.locator("svg.map-svg")
    assert svg.is_visible()
    box = svg.bounding_box()
    assert box["width"] > 600 and box["height"] > 300
    marks = page.locator("svg.map-svg a.mark-link")
    assert marks.count() >= 8
    # The land is drawn: a path with a real extent, inside the picture.
    land = page.evaluate("document.querySelector('svg.map-svg .land').getBBox().width")
    assert land > 300
    # Vladivostok's mark: where the shared projection puts it, east of Moscow's.
    vladivostok = page.locator('a.mark-link[href="../actors/vladivostok/index.html"] circle')
    moscow = page.locator('a.mark-link[href="../actors/moscou-ville/index.html"] circle')
    assert vladivostok.bounding_box()["x"] > moscow.bounding_box()["x"]
    # Labels never cover one another, and stay inside the picture.
    boxes = page.evaluate("""[...document.querySelectorAll('svg.map-svg text')].map(t => {
        const b = t.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; })""")
    assert len(boxes) >= 6
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[2] <= 880 and a[1] >= 0 and a[3] <= 480, a
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    vladivostok.click()
    assert page.locator("h1").inner_text() == "Vladivostok"
    assert page.locator("svg.map-svg").count() == 1           # its own small map
    assert page.problems == []
    assert page.hosts <= {""}, f"file:// page contacted {page.hosts}"


def test_map_filter_hides_marks_and_list_items_together(page, sample_site):
    page.goto((sample_site / "map/index.html").as_uri())
    marks = page.locator("svg.map-svg a.mark-link")
    total = marks.count()
    page.select_option("#map-actor", "iran")
    shown = [marks.nth(i) for i in range(total) if marks.nth(i).is_visible()]
    assert 0 < len(shown) < total
    items = page.locator("#places li[data-events]:visible")
    assert items.count() > 0
    for i in range(items.count()):
        assert "iran" in items.nth(i).get_attribute("data-events")
    page.select_option("#map-actor", "")
    page.select_option("#map-period", index=1)        # the first period of dossier.yaml
    assert sum(marks.nth(i).is_visible() for i in range(total)) < total
    page.select_option("#map-period", "")
    assert sum(marks.nth(i).is_visible() for i in range(total)) == total
    assert page.problems == []


def test_map_is_complete_without_javascript(browser, sample_site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto((sample_site / "map/index.html").as_uri())
    assert not page.locator(".map-filter").is_visible()
    marks = page.locator("svg.map-svg a.mark-link")
    assert all(marks.nth(i).is_visible() for i in range(marks.count()))
    assert page.locator("#places li[data-events]:visible").count() == \
        page.locator("#places li[data-events]").count()
    context.close()

"""The timeline picture in Chromium: the filter acts on the chart and the list together, a
keyboard user can skip the chart, and a focused mark shows its label (#19, part 3)."""
from __future__ import annotations

import re

from playwright.sync_api import expect


def test_the_filter_acts_on_chart_and_list_and_marks_show_labels_on_focus(page, sample_site):
    page.goto((sample_site / "timeline/index.html").as_uri())
    page.select_option("#actor-filter", "iran")
    items = page.locator("#timeline li.entry:visible").count()
    marks = page.locator(".timeline-chart .mark-link:visible").count()
    assert 0 < items == marks < page.locator("#timeline li.entry").count()
    # The first tab stops after the filter: the link that skips the chart.
    page.select_option("#actor-filter", "")
    skip = page.locator("a.skip-chart")
    skip.focus()
    page.keyboard.press("Enter")
    # A fragment link's navigation may end after the key press returns: waited for.
    expect(page).to_have_url(re.compile(r"#timeline$"))
    mark = page.locator(".timeline-chart .mark-link").first
    label = mark.locator(".mark-label")
    assert label.evaluate("t => getComputedStyle(t).visibility") == "hidden"
    mark.focus()
    assert label.evaluate("t => getComputedStyle(t).visibility") == "visible"
    box, picture = label.bounding_box(), page.locator(".timeline-chart svg").bounding_box()
    assert picture["x"] <= box["x"] and box["x"] + box["width"] <= picture["x"] + picture["width"]

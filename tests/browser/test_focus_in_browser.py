"""Keyboard focus is visible everywhere, at 3:1 against what surrounds it (WCAG 1.4.11)."""
from __future__ import annotations

import pytest

from tests.browser.test_screens_in_browser import CASES      # every page type of both dossiers

CONTRAST = """el => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const style = getComputedStyle(el);
  let node = el.parentElement, back = [253, 253, 251];
  for (; node; node = node.parentElement) {
    const [r, g, b, a] = rgb(getComputedStyle(node).backgroundColor);
    if (a === undefined || a > 0) { back = [r, g, b]; break; }
  }
  const ring = rgb(style.outlineColor), width = parseFloat(style.outlineWidth);
  const [hi, lo] = [lum(ring), lum(back)].sort((x, y) => y - x);
  return {tag: el.tagName, text: (el.textContent || "").trim().slice(0, 30),
          style: style.outlineStyle, width, ratio: (hi + 0.05) / (lo + 0.05)};
}"""


@pytest.mark.parametrize("name, path", CASES)
def test_every_focused_control_shows_a_ring_of_3_to_1(page, sample_site, english_site, name, path):
    site = {"sample": sample_site, "english": english_site}[name]
    page.goto(site.joinpath(path).as_uri() + ("?q=shells" if "search" in path else ""))
    seen = 0
    for _ in range(25):
        page.keyboard.press("Tab")
        found = page.evaluate("() => document.activeElement && document.activeElement !== "
                              "document.body")
        if not found:
            continue
        ring = page.evaluate_handle("() => document.activeElement").evaluate(CONTRAST)
        if ring["tag"] == "a" and ring["style"] == "none":
            continue                    # an SVG link (lower-case tag): drawn with a stroke
        assert ring["style"] != "none" and ring["width"] >= 2, ring
        assert ring["ratio"] >= 3, ring
        seen += 1
    assert seen >= 10

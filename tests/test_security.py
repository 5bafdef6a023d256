"""Untrusted (scraped) text can never run script in a reader's browser."""
import re
from html.parser import HTMLParser

import pytest

from tests.helpers import article, run_cli
from dossier.markup import Markup

PAYLOAD = '<script>alert(1)</script><img src=#a onerror=alert(2)>"\'><svg onload=alert(3)>'

BODY = f"""
{PAYLOAD}

[click](javascript:alert(4)) [data](data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg==)
<a href="JaVaScRiPt:alert(6)">x</a> <a href=" javascript:alert(7)">y</a>
<iframe src="https://evil.example/"></iframe>
<div style="background:url(javascript:alert(8))" onclick="alert(9)">z</div>
<form action="https://evil.example/"><input name=q></form>
[ok](https://example.org/) ![pic](https://tracker.example/pixel.gif)
"""


class _Audit(HTMLParser):
    """Collects everything in a page that could run script or load a third-party resource."""

    def __init__(self):
        super().__init__()
        self.findings = []
        self.chart = False

    def handle_endtag(self, tag):
        if tag == "figure":
            self.chart = False

    def handle_starttag(self, tag, attrs):
        # The theme's own pictures: <svg> inside <figure class="chart …">.
        if tag == "figure" and "chart" in (dict(attrs).get("class") or ""):
            self.chart = True
        elif tag == "svg" and self.chart:
            tag = "chart-svg"
        if tag == "script" and dict(attrs).get("type") != "application/ld+json":
            src = (dict(attrs).get("src") or "").split("?")[0]
            if not src.endswith(".js") or src.startswith(("http", "//")):
                self.findings.append(f"<script {attrs}>")
        # The theme's own search forms go to the site's results page; any other form is foreign.
        own_search = re.fullmatch(r"(/|(\.\./)*)search/index\.html", dict(attrs).get("action") or "")
        if tag in ("iframe", "object", "embed", "svg", "base", "foreignobject") or \
                tag == "form" and "action" in dict(attrs) and not own_search or \
                tag == "meta" and "http-equiv" in dict(attrs):
            self.findings.append(f"<{tag}>")
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") or name == "style" and "url(" in value:
                self.findings.append(f"{tag} {name}={value}")
            if name in ("href", "src", "action", "formaction") and \
                    value.startswith(("javascript:", "data:", "vbscript:")):
                self.findings.append(f"{tag} {name}={value}")
            if name == "src" and value.startswith(("http:", "https:", "//")):
                self.findings.append(f"third-party {tag} src={value}")
            if tag == "link" and name == "href" and value.startswith(("http:", "https:", "//")):
                self.findings.append(f"third-party link {value}")


def audit(site):
    findings = []
    for page in site.rglob("*.html"):
        auditor = _Audit()
        auditor.feed(page.read_text())
        findings += [f"{page.relative_to(site)}: {f}" for f in auditor.findings]
    # The theme's own stylesheet is inlined in the 404 page (served at any depth), and the
    # printable dossier sets its running head (the title, escaped by css_string); nothing else
    # may carry a <style> element, and the print page's holds only @page rules.
    styles = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                    if "<style" in p.read_text())
    assert set(styles) <= {"404.html", "print/index.html"}, styles
    if "print/index.html" in styles:
        text = (site / "print/index.html").read_text()
        style = text[text.index("<style>") + 7:text.index("</style>")]
        assert style.startswith("@page") and "url(" not in style and "<" not in style, style
        assert re.fullmatch(r'@page \{ @top-left \{ content: "[^"\\{}<>]*(\\[0-9a-f]+ '
                            r'[^"\\{}<>]*)*"; [^{}]*\} \} @page :first \{ @top-left \{ '
                            r'content: none; \} \}', style), style
    return findings


def test_payloads_everywhere_stay_inert(make_dossier, build_site):
    quoted = PAYLOAD.replace('"', '\\"')
    root = make_dossier({
        "content/articles/a.md": article(
            title=quoted, summary=f'"{quoted}"', tags=f'["{quoted}"]', body=BODY,
            source=f'{{name: "{quoted}", author: "{quoted}"}}',
            actors=f'["{quoted}"]',
            claims=f'[{{by: "{quoted}", status: alleged, text: "{quoted}"}}]',
            events=f'[{{date: 2022-01-01, title: "{quoted}"}}]'),
        "content/actors/x.md": f'---\nname: "Evil {quoted}"\naliases: ["{quoted} — autre nom"]\n---\n{BODY}',
    }, config=f'title: "{quoted}"\ndescription: "{quoted}"\n')
    result = run_cli("build", "--root", str(root))
    site = root / "_site"
    assert result.returncode == 0, result.stderr
    assert audit(site) == []
    page = (site / "articles/a/index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page        # shown as text, escaped
    assert 'href="https://example.org/"' in page
    assert "remote image https://tracker.example/pixel.gif is not shown" in result.stderr


@pytest.mark.parametrize("field", ["url", "archived"])
def test_script_urls_in_front_matter_are_errors(make_dossier, field):
    root = make_dossier({"content/articles/a.md": article(
        source=f"{{name: X, {field}: 'javascript:alert(1)'}}")})
    result = run_cli("check", "--root", str(root))
    assert result.returncode == 1
    assert f"content/articles/a.md:4: source.{field}: 'javascript:alert(1)' is not a web " \
           "address" in result.stderr


@pytest.mark.parametrize("markdown, forbidden", [
    ("<script>alert(1)</script>", "<script"),
    ("[x](javascript:alert(1))", "javascript:"),
    ("[x](  JAVASCRIPT:alert(1))", "javascript"),
    ("<a href='&#106;avascript:alert(1)'>x</a>", "avascript"),
    ("<img src=x onerror=alert(1)>", "onerror"),
    ("<p onmouseover=alert(1)>x</p>", "onmouseover"),
    ("[x](data:text/html,<script>alert(1)</script>)", "data:"),
    ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "onerror"),
    ("<svg><animate onbegin=alert(1) attributeName=x dur=1s>", "onbegin"),
])
def test_markup_sanitiser(markdown, forbidden):
    html = Markup().render(markdown, lambda target, tag: target)
    assert forbidden not in html.lower()

"""The printable dossier rendered to PDF by Chromium, as "Save as PDF" does."""
import io

from pypdf import PdfReader

from dossier.pipeline import build
from tests.helpers import REPO


def test_print_page_renders_to_a_pdf_with_every_article(page, sample_site):
    page.goto((sample_site / "print/index.html").as_uri())
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()        # no navigation chrome
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=False)))
    articles = build(REPO, write_output=False).dossier.articles
    assert len(pdf.pages) > len(articles) + 5                   # each article starts a page
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in pdf.pages)
    for article in articles:
        assert " ".join(article.title.split())[:40] in text, article.title
    assert "ALLÉGUÉ" in text.upper() and "https://mynorthwest.com" in text.replace("\n", "")


def test_print_is_a_briefing_with_page_numbers_running_heads_and_no_lone_headings(
        page, sample_site):
    page.goto((sample_site / "print/index.html").as_uri())
    page.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    total = len(pdf.pages)
    title = "Munitions nord-coréennes pour la Russie"
    first = pdf.pages[0].extract_text()
    assert f"1 / {total}" not in first                      # the title page stays clean
    for number, pdf_page in enumerate(pdf.pages[1:], start=2):
        lines = [" ".join(line.split()) for line in (pdf_page.extract_text() or "").splitlines()]
        lines = [line for line in lines if line]
        assert f"{number} / {total}" in lines, (number, lines[-3:])
        assert title in lines, (number, lines[:3])
        body = [line for line in lines if line not in (f"{number} / {total}", title)]
        # A page holding a heading only ("Articles") would be one short line.
        assert len(body) > 1 or len(" ".join(body)) > 80, (number, body)
    box = pdf.pages[1].mediabox
    assert abs(float(box.width) - 595) < 2 and abs(float(box.height) - 842) < 2   # A4


def test_print_holds_the_timeline_and_the_network_within_the_page(page, sample_site):
    page.goto((sample_site / "print/index.html").as_uri())
    page.emulate_media(media="print")
    main = page.locator("main").bounding_box()
    for picture in ("#p-timeline ~ .timeline-chart svg", "#p-actors ~ .network svg"):
        box = page.locator(picture).bounding_box()
        assert box and box["width"] > 300 and box["x"] + box["width"] <= main["x"] + main["width"] + 1
    pdf = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    pages = [" ".join((p.extract_text() or "").split()) for p in pdf.pages]
    timeline = next(i for i, text in enumerate(pages) if "Chronologie Mandat du Groupe" in text)
    assert "Invasion de l’Ukraine" in pages[timeline]           # the chart's period bands
    actors = next(i for i, text in enumerate(pages) if "Cercle : nombre d’articles" in text)
    assert "Vladimir Poutine" in pages[actors] and actors > timeline

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

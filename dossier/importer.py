"""`import`: a raw clipping (text, Markdown or HTML) -> a draft article to review.

Scraper junk is removed, the text kept as it was written (typographic quotes, non-breaking
spaces); title, date, language, actors and resolutions are proposed, and whatever could not be
found is left as a TODO that `check` reports.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import nh3
import yaml
from bs4 import BeautifulSoup
from markdownify import markdownify

from dossier.names import fold, resolution_key, resolution_symbol, slugify

TODO = "TODO"
JUNK_LINES = re.compile(
    r"^\s*(\[ad_\d+\]|source link\b.*|share( this)?:?|partager( sur .*)?|subscribe.*|"
    r"abonnez-vous.*|click to share.*|follow us.*|suivez-nous.*|read more:?|lire aussi:?|"
    r"advertisement|publicité)\s*$", re.IGNORECASE)
MONTHS = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"],
    "en": ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"],
}
STOPWORDS = {
    "fr": set("le la les des du une est et en que qui dans pour pas sur au aux avec ce cette "
              "ont été sont par plus".split()),
    "en": set("the of and to in is that for on with as was were by this from are have has "
              "it be".split()),
}
RESOLUTION_MENTION = re.compile(
    r"(?:r[ée]solutions?|resolutions?|UNSCR)\s+(?:n[°o]\s*)?(\d{3,4}(?:\s*\(\d{4}\))?)"
    r"|\bS/RES/\d{1,4}(?:\s*\(\d{4}\))?|\bA/RES/[\w./-]+\d", re.IGNORECASE)


@dataclass
class Draft:
    """What the import proposes, and what the user must still review."""

    title: str
    date: dt.date
    body: str
    language: str
    source_name: str = ""
    source_url: str = ""
    actors: list[str] = field(default_factory=list)
    resolutions: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    clipping: str = ""            # the kept original, relative to the article
    sha256: str = ""


def clean_text(text: str) -> str:
    """Drop scraper junk lines; one paragraph per non-empty line; no repeated blank lines."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    kept = [line for line in lines if not JUNK_LINES.match(line)]
    paragraphs = [line.strip() for line in kept if line.strip()]
    return "\n\n".join(paragraphs) + "\n"


def clean_markdown(text: str) -> str:
    """Drop junk lines and runs of blank lines, keeping the Markdown's own line structure."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")
             if not JUNK_LINES.match(line)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def from_html(html: str) -> tuple[str, dict]:
    """Markdown text and page metadata (title, url, site, date) of an HTML clipping."""
    soup = BeautifulSoup(html, "html.parser")

    def meta(*names):
        for name in names:
            tag = soup.find("meta", attrs={"property": name}) or \
                soup.find("meta", attrs={"name": name})
            if tag and tag.get("content"):
                return tag["content"].strip()
        return ""

    canonical = soup.find("link", rel="canonical")
    info = {"title": meta("og:title") or (soup.title.string.strip() if soup.title and
                                          soup.title.string else ""),
            "url": (canonical.get("href") if canonical else "") or meta("og:url"),
            "site": meta("og:site_name"),
            "date": meta("article:published_time", "date", "pubdate")}
    article = soup.find("article") or soup.body or soup
    # Drop scripts and their text first: the Markdown converter would keep their contents.
    safe = nh3.clean(str(article), clean_content_tags={"script", "style", "noscript",
                                                       "template", "iframe", "object"})
    # Images are dropped: a scraped page's images live on other hosts (pages load nothing from
    # them) or at addresses that mean nothing here. Save the ones you need beside the article.
    return markdownify(safe, heading_style="ATX", bullets="-", strip=["img"]), info


def propose(text: str, known_actors: dict[str, str], known_resolutions: dict[str, str],
            today: dt.date, name_hint: str = "", info: dict | None = None) -> Draft:
    """A Draft from cleaned Markdown text and what the dossier already knows."""
    info = info or {}
    review = []
    language = detect_language(text)
    title = info.get("title") or first_sentence(text)
    if not info.get("title"):
        review.append("title: proposed from the first sentence")
    date = (parse_any_date(info.get("date", "")) or find_date(text, language)
            or parse_any_date(name_hint))
    if date is None:
        date = today
        review.append("date: no date found; today's date was used")
    else:
        review.append("date: proposed from the clipping; check it is the publication date")
    url = info.get("url") or find_source_url(text)
    draft = Draft(title=title, date=date, body=text, language=language,
                  source_name=info.get("site", ""), source_url=url,
                  actors=match_actors(text, known_actors),
                  resolutions=match_resolutions(text, known_resolutions), review=review)
    if not draft.source_name:
        draft.review.append("source.name: unknown publisher (TODO)")
    if not draft.source_url:
        draft.review.append("source.url: no address of the original (TODO)")
    return draft


def detect_language(text: str) -> str:
    words = re.findall(r"[a-zà-ÿ']+", text.lower())
    scores = {lang: sum(w in stop for w in words) for lang, stop in STOPWORDS.items()}
    return max(scores, key=scores.get) if any(scores.values()) else "fr"


def first_sentence(text: str, limit: int = 90) -> str:
    paragraph = next((p for p in text.split("\n\n") if p.strip() and not p.startswith("#")),
                     text)
    sentence = re.split(r"(?<=[.!?])\s", paragraph.strip(), maxsplit=1)[0].rstrip(".")
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return sentence


def parse_any_date(value: str) -> dt.date | None:
    match = re.search(r"(\d{4})-(\d{2})-(\d{2})", value or "")
    if match:
        try:
            return dt.date(*map(int, match.groups()))
        except ValueError:
            return None
    return None


def find_date(text: str, language: str) -> dt.date | None:
    """The first full date written in the text (ISO, or '2 novembre 2022', 'November 2, 2022')."""
    found = parse_any_date(text)
    if found:
        return found
    for lang in (language, *(m for m in MONTHS if m != language)):
        names = "|".join(MONTHS[lang])
        for day, month, year in re.findall(rf"\b(\d{{1,2}})(?:er)?\s+({names})\s+(\d{{4}})\b",
                                           text, re.IGNORECASE):
            return _date(int(year), MONTHS[lang].index(month.lower()) + 1, int(day))
        for month, day, year in re.findall(rf"\b({names})\s+(\d{{1,2}}),?\s+(\d{{4}})\b",
                                           text, re.IGNORECASE):
            return _date(int(year), MONTHS[lang].index(month.lower()) + 1, int(day))
    return None


def _date(year, month, day) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def find_source_url(text: str) -> str:
    match = re.search(r"^\s*(?:source|url|lien|link)\s*:\s*(https?://\S+)", text,
                      re.IGNORECASE | re.MULTILINE)
    return match.group(1) if match else ""


def match_actors(text: str, known: dict[str, str]) -> list[str]:
    """Names of the dossier's actors whose name or an alias appears in the text."""
    def words(value: str) -> str:
        return " " + " ".join(re.findall(r"[\w'-]+", fold(value))) + " "

    haystack = words(text)
    found = []
    # Longest names first, each match blanked out, so that "Conseil de sécurité" does not
    # match inside "Conseil de sécurité nationale".
    for key, name in sorted(known.items(), key=lambda kv: -len(kv[0])):
        needle = words(key)
        if needle.strip() and needle in haystack:
            haystack = haystack.replace(needle, " | ")
            if name not in found:
                found.append(name)
    return sorted(found, key=lambda n: fold(n))


def match_resolutions(text: str, known: dict[str, str]) -> list[str]:
    """UN resolutions mentioned by number or symbol; the dossier's own symbol when it has one."""
    found = []
    for match in RESOLUTION_MENTION.finditer(text):
        key, year = resolution_key(match.group(1) or match.group(0))
        symbol = known.get(key) or resolution_symbol(key, year)
        if symbol not in found:
            found.append(symbol)
    return found


def render_article(draft: Draft, today: dt.date) -> str:
    """The article file: front matter with review comments, then the text."""
    def q(value) -> str:
        return yaml.safe_dump(value, allow_unicode=True, default_flow_style=True,
                              width=10_000).strip().removesuffix("\n...").strip()

    lines = ["---", "# Imported clipping: review the lines marked REVIEW and fill the TODOs.",
             f"title: {q(draft.title)}  # REVIEW", f"date: {draft.date.isoformat()}  # REVIEW",
             "source:",
             f"  name: {q(draft.source_name or TODO)}",
             f"  url: {q(draft.source_url or TODO)}",
             f"  language: {draft.language}",
             f"  retrieved: {today.isoformat()}",
             *([f"  clipping: {q(draft.clipping)}  # the clipping as received, kept unchanged",
                f"  sha256: {draft.sha256}"] if draft.clipping else []),
             f"language: {draft.language}",
             f"actors: {q(draft.actors)}  # proposed from names and aliases in the text",
             f"resolutions: {q(draft.resolutions)}  # proposed from mentions in the text",
             "tags: []",
             "draft: true  # not published until reviewed: remove this line to publish",
             "---", ""]
    return "\n".join(lines) + draft.body


def _shortened(slug: str, limit: int = 60) -> str:
    """At most `limit` characters, cut between words ("…-on-maersk", not "…-on-maersk-gi")."""
    if len(slug) <= limit:
        return slug
    return slug[:limit + 1].rsplit("-", 1)[0] or slug[:limit]


def keep_original(root: Path, draft: Draft, name: str, data: bytes) -> Path:
    """The clipping's bytes, exactly as received, in content/clippings/ (created exclusively,
    never through a link), named after the article and ending in .txt: whatever it holds
    (HTML, script), a host serves it as text."""
    folder = root / "content" / "clippings"
    folder.mkdir(parents=True, exist_ok=True)
    if not Path(os.path.realpath(folder)).is_relative_to(os.path.realpath(root)):
        raise OSError(f"{folder} leads out of the dossier: nothing is written there")
    stem = f"{draft.date.isoformat()}-{_shortened(slugify(draft.title)) or 'clipping'}"
    kind = slugify(Path(name).suffix)
    kind = "" if kind in ("", "txt") else f".{kind}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for number in range(1, 10_000):
        path = folder / (f"{stem}{kind}.txt" if number == 1 else f"{stem}-{number}{kind}.txt")
        try:
            descriptor = os.open(path, flags, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        return path
    raise OSError(f"no free file name for {stem} in {folder}")


def write_new(root: Path, draft: Draft, text: str) -> Path:
    """Write `text` to a new file of content/articles/ named after the draft, numbered
    rather than overwriting. Created exclusively, never through a link (a dangling link
    named like the file would send the text anywhere), and only in a content/articles/ that
    is inside the dossier."""
    articles = root / "content" / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    if not Path(os.path.realpath(articles)).is_relative_to(os.path.realpath(root)):
        raise OSError(f"{articles} leads out of the dossier: new files are not written there")
    stem = f"{draft.date.isoformat()}-{_shortened(slugify(draft.title)) or 'article'}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for number in range(1, 10_000):
        path = articles / (f"{stem}.md" if number == 1 else f"{stem}-{number}.md")
        try:
            descriptor = os.open(path, flags, 0o644)
        except FileExistsError:         # a file or a link of that name: the next number
            continue
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        return path
    raise OSError(f"no free file name for {stem}.md in {articles}")

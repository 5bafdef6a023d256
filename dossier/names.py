"""Names: ASCII slugs (transliterated from any script), accent- and case-insensitive matching
keys that keep every script, UN symbol normalisation."""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

from anyascii import anyascii

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00ab": '"',
                              "\u00bb": '"', "\u2013": "-", "\u2014": "-"})


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _without_marks(run: re.Match) -> str:
    return "".join(ch for ch in run.group() if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=1 << 16)   # the same few hundred names, thousands of times
def fold(text: str) -> str:
    """Matching key: no accents, no case, typographic quotes made plain, spaces collapsed.
    Only runs of non-ASCII characters are looked at one by one (claims' texts are long)."""
    text = str(text)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
        text = _NON_ASCII.sub(_without_marks, decomposed)
    return " ".join(text.casefold().split())


@functools.lru_cache(maxsize=1 << 12)
def _transliterate(ch: str) -> str:
    # Without the apostrophe a soft sign becomes ('Курськ' -> 'kursk', not 'kurs-k').
    return anyascii(ch).replace("'", "").lower()


@functools.lru_cache(maxsize=1 << 16)
def slugify(text: str) -> str:
    """ASCII slug made of [a-z0-9-] only, so it can never leave the output folder; other
    scripts transliterated ('Україна' -> 'ukraina', 'œuvre' -> 'oeuvre'). Empty for text
    with no letter or digit in any script: callers report it."""
    return _slug_of_folded(fold(text))


def _slug_of_folded(folded: str) -> str:
    ascii_text = folded if folded.isascii() else _NON_ASCII.sub(
        lambda run: "".join(map(_transliterate, run.group())), folded)
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


@functools.lru_cache(maxsize=1 << 16)   # events' titles and claims' texts, at every link
def words(text: str) -> str:
    """Matching key of a title or a sentence: folded, punctuation dropped, every script
    kept ('Drones arrive.' = 'drones arrive'; two Ukrainian titles stay two)."""
    return " ".join(re.findall(r"\w+", fold(text)))


# fold without its cache, for texts met once (claims' texts, the search index's): they would
# fill the cache (~10 MB at 10,000 claims) and push out the names it is for.
fold_once = fold.__wrapped__


def forget() -> None:
    """Empty the caches of names: a build that only renders from here on has little use for
    the tens of thousands of titles and texts linking met (~7 MB at 10,000 articles, which
    every forked worker would copy as it used them)."""
    for cached in (fold, slugify, words):
        cached.cache_clear()


def short_slug(text: str, limit: int = 60) -> str:
    """A slug of at most about `limit` characters for a long text (a claim): cut between
    words, with a short digest of the whole text so that two texts alike at the start keep
    different addresses; a digest alone when nothing of the text is ASCII."""
    folded = fold_once(text)           # a long text: not worth a place in the caches
    slug = _slug_of_folded(folded)
    if slug and len(slug) <= limit:
        return slug
    digest = hashlib.blake2b(folded.encode(), digest_size=4).hexdigest()
    cut = slug[:limit + 1].rsplit("-", 1)[0] if "-" in slug[:limit + 1] else slug[:limit]
    return f"{cut}-{digest}" if cut else digest


# "2397", "UNSCR 2397", "resolution 2397", "S/RES/2397", "S/RES/2397 (2017)", "S/RES/2397(2017)"
_SC_SYMBOL = re.compile(
    r"^(?:(?:S\s*/\s*RES\s*/|UNSCR|UNSC\s+resolution|r[ée]solution|resolution)\s*)?"
    r"(?P<number>\d{1,5})\s*(?:\(\s*(?P<year>\d{4})\s*\))?$", re.IGNORECASE)


@functools.lru_cache(maxsize=1 << 14)
def resolution_key(reference) -> tuple[str, str | None]:
    """Normalise a resolution reference -> (key, year or None).

    Security Council references of every usual spelling share the key "S/RES/<n>"; any other
    symbol (General Assembly "A/RES/ES-11/1") is kept as written, spaces collapsed.
    """
    text = " ".join(str(reference).split())
    match = _SC_SYMBOL.match(text)
    if match:
        return f"S/RES/{int(match['number'])}", match["year"]
    return text.upper(), None


def resolution_symbol(key: str, year: str | None) -> str:
    """Display symbol in the UN's own form: "S/RES/2397 (2017)"."""
    return f"{key} ({year})" if year and key.startswith("S/RES/") else key

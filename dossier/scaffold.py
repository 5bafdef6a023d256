"""`new` (an article skeleton) and `init` (a new dossier that builds and checks clean)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

from dossier.config import CONFIG_FILE, load_config
from dossier.importer import (Draft, clean_markdown, clean_text, from_html, propose,
                              keep_original, render_article, write_new)
from dossier.load import load
from dossier.names import fold
from dossier.problems import Problems
from dossier.validate import validate

SKELETON = """\
---
title: {title}
date: {date}              # publication date of the original: YYYY-MM-DD
source:                       # where the text comes from
  name: TODO                  # publisher, e.g. Associated Press
  url: TODO                   # address of the original
  # author: …
  # language: en              # language of the original
  # archived: https://web.archive.org/…   # a saved copy, shown beside the original
  retrieved: {today}
  # clipping: ../clippings/…  # the original as received and its SHA-256,
  # sha256: …                 # both written by `import`
# language: fr                # language of this text (default: the dossier's)
# summary: "…"                # default: the first paragraph
actors: []                    # names or aliases, e.g. [Corée du Nord, John Kirby]
resolutions: []               # e.g. ["S/RES/2397 (2017)", 1718, "A/RES/ES-11/1"]
tags: []
# events:                     # dated facts the article reports, for the timeline
#   - {{date: YYYY-MM-DD, title: "…", actors: [], resolutions: []}}
# claims:                     # who asserts what about whom; status: alleged, confirmed,
#   - {{by: …, about: [], status: alleged, text: "…"}}    # denied, disputed, refuted, retracted, unverified
# slug: custom-address        # default: from the file name
# redirect_from: []           # addresses it had before, e.g. [articles/old-name/]
# updated: YYYY-MM-DD         # when this text last changed in substance
# corrections:                # shown on the page, in the corrections log and feeds
#   - {{date: YYYY-MM-DD, text: "…"}}
draft: true                   # remove when ready: drafts are not published
---
Write the text here, in Markdown.
"""


def new_article(root: Path, title: str, today: dt.date, date: dt.date | None = None) -> Path:
    """A skeleton with every field shown, dated `date` (the original's publication date,
    which names the file; default today); never overwrites an existing file."""
    date = date or today
    import yaml
    draft = Draft(title=title, date=date, body="", language="")
    quoted = yaml.safe_dump(title, allow_unicode=True, width=10_000).strip().removesuffix("...")
    return write_new(root, draft, SKELETON.format(title=quoted.strip(), date=date.isoformat(),
                                                  today=today.isoformat()))


def import_clippings(root: Path, inputs: list[tuple], today: dt.date):
    """Write one article per (name, text[, bytes as received]) clipping -> [(path, review
    notes)]. The bytes are kept under content/clippings/, named *.txt so that a host serves
    them as inert text, with their SHA-256 in the article."""
    known_actors, known_resolutions = _known(root)
    written = []
    for name, raw, *received in inputs:
        info = None
        if name.lower().endswith((".html", ".htm")) or raw.lstrip().lower().startswith(
                ("<!doctype html", "<html")):
            body, info = from_html(raw)
            text = clean_markdown(body)
        elif "\n\n" in raw.strip():
            text = clean_markdown(raw)                # Markdown or text with paragraphs
        else:
            text = clean_text(raw)                    # one paragraph per line (scraped text)
        draft = propose(text, known_actors, known_resolutions, today, name, info)
        original = received[0] if received else raw.encode()
        kept = keep_original(root, draft, name, original)
        draft = dataclasses.replace(draft, clipping=f"../clippings/{kept.name}",
                                    sha256=hashlib.sha256(original).hexdigest())
        written.append((write_new(root, draft, render_article(draft, today)), draft))
    return written


def _known(root: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The dossier's actors (folded name or alias -> name) and resolutions (key -> symbol)."""
    problems = Problems(root)
    config = load_config(root, problems)
    loaded = load(config.content_dir, problems)
    records = [r for r in loaded.records if r.kind != "articles"]
    _, actors, resolutions, _ = validate(records, config.language, problems)
    names = {fold(label): actor.name for actor in actors for label in (actor.name, *actor.aliases)}
    return names, {r.key: r.symbol for r in resolutions}


SETUP = {
    ".gitignore": """\
_site/
._site.lock
.dossier-cache/
""",
    CONFIG_FILE: """\
title: "{title}"
description: "{description}"
language: {language}
# base_url: https://example.org/dossier/   # the public address, for feeds and the sitemap
""",
}

# The example content, in the dossier's language (English for languages without one here).
EXAMPLES = {
    "en": {
        "description": "A dossier of collected reporting, with its actors, UN resolutions "
                       "and timeline.",
        "content/articles/example-article.md": """\
---
title: "Example article: replace me"
date: {today}
source:
  name: Example Publisher
  url: "https://example.org/original-article"
  language: en
  retrieved: {today}
summary: "An example showing every part of an article; edit or delete it."
actors: [Example State]
resolutions: ["S/RES/1 (1946)"]
tags: [example]
events:
  - {{date: {today}, title: "Something the article reports", actors: [Example State]}}
claims:
  - {{by: Example State, about: [Example State], status: alleged, text: "What is asserted."}}
---
Write the article in Markdown. Link other files of the dossier by their path, for example
[the actor](../actors/example-state.md) or [the resolution](../resolutions/s-res-1-1946.md).
""",
        "content/actors/example-state.md": """\
---
name: Example State
aliases: [Exampleland]
kind: state
summary: "An example actor; actors referenced by name or alias link to this page."
---
""",
        "content/resolutions/s-res-1-1946.md": """\
---
symbol: "S/RES/1 (1946)"
body: Security Council
title: "An example entry: replace it with the resolutions your dossier cites"
url: "https://undocs.org/S/RES/1(1946)"
provisions:
  - "Each provision that matters to the dossier, as a line of text"
---
""",
    },
    "fr": {
        "description": "Un dossier d’articles rassemblés, avec ses acteurs, les résolutions "
                       "de l’ONU en jeu et sa chronologie.",
        "content/articles/article-exemple.md": """\
---
title: "Article d’exemple : à remplacer"
date: {today}
source:
  name: Éditeur d’exemple
  url: "https://example.org/article-original"
  language: fr
  retrieved: {today}
summary: "Un exemple qui montre chaque partie d’un article ; modifiez-le ou supprimez-le."
actors: [État d’exemple]
resolutions: ["S/RES/1 (1946)"]
tags: [exemple]
events:
  - {{date: {today}, title: "Un fait rapporté par l’article", actors: [État d’exemple]}}
claims:
  - {{by: État d’exemple, about: [État d’exemple], status: alleged, text: "Ce qui est affirmé."}}
---
Écrivez l’article en Markdown. Liez les autres fichiers du dossier par leur chemin, par
exemple [l’acteur](../actors/etat-d-exemple.md) ou
[la résolution](../resolutions/s-res-1-1946.md).
""",
        "content/actors/etat-d-exemple.md": """\
---
name: État d’exemple
aliases: [Exemplie]
kind: state
summary: "Un acteur d’exemple : les articles qui le nomment, par son nom ou un alias, renvoient à cette page."
---
""",
        "content/resolutions/s-res-1-1946.md": """\
---
symbol: "S/RES/1 (1946)"
body: Conseil de sécurité
title: "Une entrée d’exemple : remplacez-la par les résolutions que cite votre dossier"
url: "https://undocs.org/S/RES/1(1946)"
provisions:
  - "Chaque disposition utile au dossier, en une ligne de texte"
---
""",
    },
}


def init_dossier(folder: Path, language: str, today: dt.date) -> list[Path]:
    """A new dossier in an empty (or new) folder; refuses to touch existing files."""
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty: choose a new folder for the dossier")
    written = []
    title = folder.resolve().name.replace("-", " ").replace("_", " ").capitalize() or "Dossier"
    examples = dict(EXAMPLES.get(language.split("-")[0], EXAMPLES["en"]))
    description = examples.pop("description")
    for name, text in {**SETUP, **examples}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(today=today.isoformat(), language=language,
                                    title=title.replace('"', "'"), description=description),
                        encoding="utf-8")
        written.append(path)
    return written

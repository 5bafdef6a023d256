"""Deterministic generator of realistic synthetic dossiers for benchmarks.

    python benchmarks/generate.py OUT_DIR --articles 1000 [--seed 1]

N articles with Markdown bodies of 400-900 words (paragraphs, headings, lists, links, a table
now and then), about one actor per 20 articles (each with aliases), ~40 resolutions, events and
claims. The same N and seed always give the same files.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

WORDS = ("le la les un une des et en à dans pour sur avec par selon rapport livraison obus "
         "munitions missiles frontière sanctions résolution conseil sécurité armée ministère "
         "déclaration porte-parole gouvernement accord traité enquête images satellite navire "
         "cargaison port train dépôt artillerie drones troupes région territoire élections "
         "experts panel violation embargo exportation importation travailleurs rapatriement "
         "accusation démenti confirmé allégué source officiel renseignement diplomatique").split()
KINDS = ("state", "person", "organization", "territory", "armed-group")
STATUSES = ("alleged", "confirmed", "denied", "disputed", "unverified")


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def body(rng: random.Random, index: int, total: int, actor_slugs: list[str]) -> str:
    parts, words = [], 0
    target = rng.randint(400, 900)
    while words < target:
        kind = rng.random()
        if kind < 0.1:
            parts.append("## " + sentence(rng, 4)[:-1])
        elif kind < 0.2:
            parts.append("\n".join(f"- {sentence(rng, 8)}" for _ in range(rng.randint(2, 5))))
        elif kind < 0.25:
            parts.append("| a | b |\n|---|---|\n" + "\n".join(
                f"| {rng.choice(WORDS)} | {rng.randint(1, 999)} |" for _ in range(3)))
        elif kind < 0.3 and total > 1:
            other = rng.randrange(total)
            parts.append(f"Voir aussi [l’article {other}](a{other:05d}.md) et "
                         f"[cet acteur](../actors/{rng.choice(actor_slugs)}.md).")
        else:
            text = " ".join(sentence(rng, rng.randint(8, 20)) for _ in range(rng.randint(2, 5)))
            parts.append(text)
            words += len(text.split())
    return "\n\n".join(parts) + "\n"


def generate(out: Path, articles: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    content = out / "content"
    for folder in ("articles", "actors", "resolutions"):
        (content / folder).mkdir(parents=True, exist_ok=True)
    n_actors = max(5, articles // 20)
    actors = [f"acteur-{i:04d}" for i in range(n_actors)]
    for i, slug in enumerate(actors):
        (content / "actors" / f"{slug}.md").write_text(
            f"---\nname: Acteur {i:04d}\naliases: [Actor {i:04d}, A{i:04d}X]\n"
            f"kind: {KINDS[i % len(KINDS)]}\nsummary: \"{sentence(rng, 12)}\"\n---\n"
            f"{sentence(rng, 30)}\n", encoding="utf-8")
    resolutions = [2000 + i * 7 for i in range(40)]
    for number in resolutions:
        year = 2006 + (number - 2000) // 20
        (content / "resolutions" / f"s-res-{number}.md").write_text(
            f"---\nsymbol: \"S/RES/{number} ({year})\"\nbody: Conseil de sécurité\n"
            f"adopted: {year}-06-01\nurl: \"https://undocs.org/S/RES/{number}({year})\"\n"
            f"provisions:\n  - \"{sentence(rng, 10)}\"\n---\n", encoding="utf-8")
    start = dt.date(2006, 1, 1)
    for i in range(articles):
        date = start + dt.timedelta(days=rng.randrange(7300))
        # Actors follow a skewed distribution: a few main actors appear in many articles.
        named = sorted({actors[min(int(rng.paretovariate(1.2)) - 1, n_actors - 1)]
                        for _ in range(rng.randint(2, 6))})
        names = ", ".join(f"Acteur {a[-4:]}" if rng.random() < 0.7 else f"Actor {a[-4:]}"
                          for a in named)
        cited = ", ".join(str(rng.choice(resolutions)) for _ in range(rng.randint(0, 2)))
        event_date = date - dt.timedelta(days=rng.randrange(60))
        lines = [
            "---", f"title: \"{sentence(rng, 7)[:-1]} ({i})\"", f"date: {date.isoformat()}",
            "source:", f"  name: Agence {rng.randrange(30)}",
            f"  url: \"https://example.org/{i}\"", "  language: en",
            f"actors: [{names}]", f"resolutions: [{cited}]",
            f"tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]",
            "events:", f"  - {{date: {event_date.isoformat()}, title: \"{sentence(rng, 6)}\", "
            f"actors: [Acteur {named[0][-4:]}]}}",
            "claims:", f"  - {{by: Acteur {named[0][-4:]}, about: [Acteur {named[-1][-4:]}], "
            f"status: {rng.choice(STATUSES)}, text: \"{sentence(rng, 10)}\"}}",
            "---",
        ]
        (content / "articles" / f"a{i:05d}.md").write_text(
            "\n".join(lines) + "\n" + body(rng, i, articles, actors), encoding="utf-8")
    (out / "dossier.yaml").write_text(f"title: Synthetic dossier ({articles})\nlanguage: fr\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.out, args.articles, args.seed)


if __name__ == "__main__":
    main()

"""The same articles as a Hugo site and as a Pelican site, to time those tools beside dossier.

Each gets what the comparison asks for: actors and resolutions as taxonomies, an article page,
a page per term, a chronological index, and a page per claim with an index of them (dossier
makes one for each claim of an article: half its pages at 10,000 articles, so a peer without
them would build half the pages). Hugo gets minimal layouts (it has no default theme);
Pelican uses its default theme, with actors as tags and resolutions as authors (its two
many-valued taxonomies) and claims as its pages. Bodies are the same Markdown files, byte for
byte.

Those sites make the pages only, not the files that grow with the whole dossier, which dossier
makes too: a printable dossier holding every article, a search index, data exports and a
timeline page (at 10,000 articles, 192 MB of its 489 MB; Hugo's minimal site is 86 MB). A
second Hugo site (`hugo_site(..., whole=True)`) adds them, as a Hugo user would write them
(HUGO_WHOLE): a printable page with the contents, the actors, every article's text and the
claims; a search index and a data export in JSON and the articles in CSV (custom output
formats of the home page); a timeline page. Still less than dossier makes (no pictures,
events or per-record exports): a lower bound of what the same files cost Hugo.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from dossier.frontmatter import split

HUGO_CONFIG = """baseURL = "http://localhost/"
title = "Benchmark"
disableKinds = ["RSS", "sitemap", "robotsTXT", "404"]
[taxonomies]
  actor = "actors"
  resolution = "resolutions"
  tag = "tags"
[markup.goldmark.renderer]
  unsafe = true
"""
HUGO_LAYOUTS = {
    "_default/baseof.html": "<!doctype html><html><head><title>{{ .Title }}</title></head>"
                            "<body>{{ block \"main\" . }}{{ end }}</body></html>",
    "_default/single.html": "{{ define \"main\" }}<h1>{{ .Title }}</h1><time>{{ .Date }}</time>"
                            "{{ range .GetTerms \"actors\" }}<a href=\"{{ .RelPermalink }}\">"
                            "{{ .LinkTitle }}</a>{{ end }}{{ .Content }}{{ end }}",
    "_default/list.html": "{{ define \"main\" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}"
                          "<li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a> {{ .Date }}"
                          "</li>{{ end }}</ul>{{ end }}",
    "_default/terms.html": "{{ define \"main\" }}<ul>{{ range .Data.Terms.Alphabetical }}"
                           "<li><a href=\"{{ .Page.RelPermalink }}\">{{ .Page.Title }}</a> "
                           "{{ .Count }}</li>{{ end }}</ul>{{ end }}",
    "index.html": "{{ define \"main\" }}<ul>{{ range (where .Site.RegularPages \"Section\" "
                  "\"articles\").ByDate.Reverse }}<li><a href=\"{{ .RelPermalink }}\">"
                  "{{ .Title }}</a></li>{{ end }}</ul>{{ end }}",
    "claims/single.html": "{{ define \"main\" }}<h1>{{ .Title }}</h1><p>{{ .Params.status }}: "
                          "{{ .Params.by }} → {{ delimit .Params.about \", \" }}</p><a href="
                          "\"{{ relref . .Params.article }}\">{{ .Params.article_title }}</a>"
                          "{{ end }}",
}
HUGO_WHOLE_CONFIG = """[outputs]
  home = ["HTML", "JSON", "CSV", "DATA"]
[outputFormats.CSV]
  mediaType = "text/csv"
  baseName = "articles"
  isPlainText = true
[outputFormats.DATA]
  mediaType = "application/json"
  baseName = "articles-data"
  isPlainText = true
"""
_ARTICLES = '(where .Site.RegularPages "Section" "articles")'
HUGO_WHOLE_LAYOUTS = {
    "print/list.html": "{{ define \"main\" }}<h1>{{ .Site.Title }}</h1><ol>{{ range "
                       + _ARTICLES + ".ByDate }}<li><a href=\"#a-{{ .File.BaseFileName }}\">"
                       "{{ .Title }}</a></li>{{ end }}</ol><dl>{{ range .Site.Taxonomies.actors"
                       ".ByCount }}<dt>{{ .Page.Title }}</dt><dd>{{ .Count }}</dd>{{ end }}</dl>"
                       "{{ range " + _ARTICLES + ".ByDate }}<article id=\"a-{{ .File.BaseFileName"
                       " }}\"><h2>{{ .Title }}</h2><time>{{ .Date.Format \"2006-01-02\" }}"
                       "</time><p>{{ range .GetTerms \"actors\" }}<a href=\"{{ .RelPermalink }}"
                       "\">{{ .LinkTitle }}</a> {{ end }}</p>{{ .Content }}</article>{{ end }}"
                       "<ul>{{ range where .Site.RegularPages \"Section\" \"claims\" }}<li>"
                       "{{ .Params.status }}: {{ .Params.by }} — {{ .Title }}</li>{{ end }}</ul>"
                       "{{ end }}",
    "timeline/list.html": "{{ define \"main\" }}<ol>{{ range " + _ARTICLES + ".ByDate }}<li>"
                          "<time>{{ .Date.Format \"2006-01-02\" }}</time> <a href=\""
                          "{{ .RelPermalink }}\">{{ .Title }}</a> {{ range .GetTerms \"actors\""
                          " }}<a href=\"{{ .RelPermalink }}\">{{ .LinkTitle }}</a> {{ end }}"
                          "</li>{{ end }}</ol>{{ end }}",
    "index.json": "[{{ range $i, $p := " + _ARTICLES + " }}{{ if $i }},{{ end }}{{ dict \"t\" "
                  "$p.Title \"d\" ($p.Date.Format \"2006-01-02\") \"u\" $p.RelPermalink \"b\" "
                  "($p.Plain | truncate 2300) | jsonify }}{{ end }}]",   # dossier's: 2.3 kB an article
    "index.data.json": "[{{ range $i, $p := " + _ARTICLES + " }}{{ if $i }},{{ end }}{{ dict "
                       "\"slug\" $p.File.BaseFileName \"title\" $p.Title \"date\" ($p.Date"
                       ".Format \"2006-01-02\") \"actors\" $p.Params.actors \"resolutions\" "
                       "$p.Params.resolutions \"tags\" $p.Params.tags \"summary\" $p.Summary "
                       "| jsonify }}{{ end }}]",
    "index.csv": "slug,title,date,actors,resolutions,tags\n{{ range " + _ARTICLES + " }}"
                 "{{ .File.BaseFileName }},\"{{ replace .Title \"\\\"\" \"\\\"\\\"\" }}\","
                 "{{ .Date.Format \"2006-01-02\" }},\"{{ delimit (.Params.actors | default "
                 "slice) \";\" }}\",\"{{ delimit (.Params.resolutions | default slice) \";\" }}"
                 "\",\"{{ delimit (.Params.tags | default slice) \";\" }}\"\n{{ end }}",
}
PELICAN_CONFIG = """AUTHOR = "Benchmark"
SITENAME = "Benchmark"
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "fr"
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
DEFAULT_PAGINATION = False
DISPLAY_PAGES_ON_MENU = False
"""


def articles(root: Path):
    """(slug, title, date, actors, resolutions, tags, claims, body) of each article of a
    dossier; claims as (by, about, status, text)."""
    for path in sorted((root / "content/articles").glob("*.md")):
        parsed = split(path.read_text(encoding="utf-8"))
        data = parsed.data
        claims = [(str(c["by"]), [str(a) for a in c.get("about", [])], str(c["status"]),
                   str(c["text"])) for c in data.get("claims", [])]
        yield (path.stem, str(data["title"]), str(data["date"]), list(data.get("actors", [])),
               [f"S/RES/{r}" for r in data.get("resolutions", [])],
               list(data.get("tags", [])), claims, parsed.body)


def hugo_site(root: Path, out: Path, whole: bool = False) -> Path:
    """The Hugo site; with `whole`, making the files that grow with the whole dossier too."""
    shutil.rmtree(out, ignore_errors=True)
    (out / "content/articles").mkdir(parents=True)
    (out / "content/claims").mkdir()
    (out / "config.toml").write_text(HUGO_CONFIG + (HUGO_WHOLE_CONFIG if whole else ""))
    for name, text in {**HUGO_LAYOUTS, **(HUGO_WHOLE_LAYOUTS if whole else {})}.items():
        (out / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (out / "layouts" / name).write_text(text)
    for section in ("print", "timeline") if whole else ():
        (out / "content" / section).mkdir()
        (out / "content" / section / "_index.md").write_text(
            json.dumps({"title": section.title()}) + "\n")
    for slug, title, date, actors, resolutions, tags, claims, body in articles(root):
        front = {"title": title, "date": date, "actors": actors,
                 "resolutions": [r.replace("/", "-") for r in resolutions], "tags": tags}
        (out / f"content/articles/{slug}.md").write_text(
            json.dumps(front, ensure_ascii=False) + "\n\n" + body, encoding="utf-8")
        for i, (by, about, status, text) in enumerate(claims):
            claim = {"title": text, "date": date, "by": by, "about": about, "status": status,
                     "article": f"/articles/{slug}.md", "article_title": title}
            (out / f"content/claims/{slug}-{i}.md").write_text(
                json.dumps(claim, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def pelican_site(root: Path, out: Path) -> Path:
    shutil.rmtree(out, ignore_errors=True)
    (out / "content/pages").mkdir(parents=True)
    (out / "pelicanconf.py").write_text(PELICAN_CONFIG)
    for slug, title, date, actors, resolutions, tags, claims, body in articles(root):
        meta = [f"Title: {title}", f"Date: {date}", f"Slug: {slug}", "Category: articles",
                f"Tags: {', '.join(actors + tags)}"]
        if resolutions:
            meta.append(f"Authors: {', '.join(resolutions)}")
        (out / f"content/{slug}.md").write_text("\n".join(meta) + "\n\n" + body,
                                               encoding="utf-8")
        for i, (by, about, status, text) in enumerate(claims):
            (out / f"content/pages/{slug}-{i}.md").write_text(
                f"Title: {text}\nDate: {date}\nSlug: claim-{slug}-{i}\n\n"
                f"{status}: {by} → {', '.join(about)}\n\n[{title}]({{filename}}/{slug}.md)\n",
                encoding="utf-8")
    return out


def hugo_command(site: Path) -> list[str]:
    return ["hugo", "--quiet", "--source", str(site), "--destination", str(site / "public")]


def pelican_command(site: Path, cache: bool = False) -> list[str]:
    """Pelican's full build; with `cache`, its content cache on (LOAD_CONTENT_CACHE)."""
    settings = site / ("pelicanconf-cache.py" if cache else "pelicanconf.py")
    if cache and not settings.exists():
        settings.write_text(PELICAN_CONFIG + "CACHE_CONTENT = True\nLOAD_CONTENT_CACHE = True\n"
                            f"CACHE_PATH = {str(site / 'cache')!r}\n")
    return ["pelican", str(site / "content"), "--quiet", "--settings", str(settings),
            "--output", str(site / "output")]


def hugo_server(site: Path, port: int) -> list[str]:
    """`hugo server` as a Hugo user runs it (fast render on, pages in memory)."""
    return ["hugo", "server", "--source", str(site), "--bind", "127.0.0.1", "--port",
            str(port), "--baseURL", f"http://127.0.0.1:{port}/", "--appendPort=false"]


def free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def version(command: str) -> str | None:
    if shutil.which(command) is None:
        return None
    flag = "version" if command == "hugo" else "--version"
    done = subprocess.run([command, flag], capture_output=True, text=True)
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else None

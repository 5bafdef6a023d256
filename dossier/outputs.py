"""What a build produces: one Output per file of the site."""
from __future__ import annotations

import hashlib
import posixpath
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from functools import partial
from typing import Callable, Iterator

from dossier import depends, files, urls


@dataclass(slots=True)       # not frozen: its __init__ is 3x faster, for 10,000 pages a save
class Output:
    """One file of the site: rendered bytes, a file copied as it is, or bytes made on demand.

    Aggregates of the whole dossier (search index, data exports, feeds, the printable dossier)
    are made on demand: `build` asks for all of them, the preview server only for those a
    browser requests, so a save does not wait for files nobody is looking at."""

    path: str
    origin: str                  # what produced it, for double-write errors
    data: bytes | None = None
    source: Path | None = None
    make: Callable[[], bytes] | None = field(default=None, compare=False)
    # The same bytes in pieces, for writing a large page without holding it whole.
    chunks: Callable[[], Iterator[bytes]] | None = field(default=None, compare=False)
    # Made from the dossier through depends' recording views, or a file copied as it is:
    # what it read can be known (the page cache keeps it unless that changed).
    recorded: bool = False

    @classmethod
    def copied(cls, path: str, source: Path) -> "Output":
        """A file copied as it is: it reads its bytes, so the page cache keeps it too."""
        return cls(path, str(source), source=source, recorded=True)

    def content(self) -> bytes:
        if self.data is not None:
            return self.data
        if self.make is not None:
            return self.make()
        depends.note({depends.file_address(self.source)})
        return self.source.read_bytes()

    @property
    def is_page(self) -> bool:
        return self.path.endswith(".html") and self.source is None


# One for all outputs and preview pages: a lock per page costs more than it saves.
MAKING = threading.RLock()


def static_files(dirs: list[Path]) -> list[Output]:
    """Theme static files, the site's theme overriding the default file by file."""
    found: dict[str, Path] = {}
    for folder in reversed(dirs):
        for parts, path in files.walk(folder / "static"):
            if path.is_file() and not files.leaves(path, folder):
                found[urls.static("/".join(parts))] = path
    return [Output.copied(out, src) for out, src in sorted(found.items())]


# url(…) in a stylesheet, quoted or not.
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'"()\s]+)\1\s*\)""")


def fingerprinted(statics: list[Output]) -> tuple[list[Output], dict[str, str]]:
    """The theme's static files, and each one's version (a digest of its bytes, for asset()
    and templates' `?v=`), with every stylesheet's url() of another static file (fonts,
    images) given that file's version: hosts keep static/ for a year (docs/publishing.md),
    so a font or image changed under the same name must be asked for by a new address. A
    stylesheet's own version is its bytes' once rewritten."""
    versions = {o.path: _version(o.source.read_bytes()) for o in statics
                if not o.path.endswith(".css")}
    result = []
    for out in statics:
        if not out.path.endswith(".css"):
            result.append(out)
            continue
        text = out.source.read_text(encoding="utf-8")
        folder = posixpath.dirname(out.path)

        def versioned(match: re.Match) -> str:
            quote, url = match.groups()
            if re.match(r"[a-z][a-z0-9+.-]*:|/|#", url, re.I) or "?" in url or "#" in url:
                return match[0]            # elsewhere, absolute, or with a query already
            version = versions.get(posixpath.normpath(posixpath.join(folder, url)))
            return f"url({quote}{url}?v={version}{quote})" if version else match[0]

        data = _CSS_URL.sub(versioned, text).encode("utf-8")
        versions[out.path] = _version(data)
        result.append(Output(out.path, out.origin, source=out.source,
                             make=partial(_stylesheet, out.source, data), recorded=True))
    return result, versions


def _stylesheet(source: Path, data: bytes) -> bytes:
    """A stylesheet's bytes as rewritten: what it read is its file, as for a copied one."""
    depends.note({depends.file_address(source)})
    return data


def _version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]

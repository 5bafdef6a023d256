"""What a build produces: one Output per file of the site."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
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

"""Located content problems, collected rather than raised, printed as PATH:LINE: message."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_VISIBLE = re.compile("[\x00-\x1f\x7f-\x9f]")

ERROR = "error"
WARNING = "warning"
NOTE = "note"          # information only: never fatal, not counted
DRAFT = "draft"        # in an article marked draft: shown, never fatal (errors with --drafts)


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    hint: str = ""
    severity: str = ERROR

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        label = "" if self.severity == ERROR else f"{self.severity}: "
        hint = f" ({self.hint})" if self.hint else ""
        # Quoted content and file names may hold escape sequences: shown, never obeyed by
        # the terminal.
        text = f"{where}: {label}{self.message}{hint}"
        return _VISIBLE.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


@dataclass
class Problems:
    """Collects problems of one build; `root` makes paths short and relative."""

    root: Path = Path(".")
    items: list[Problem] = field(default_factory=list)

    def relpath(self, path: Path | str) -> str:
        path = Path(path)
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def error(self, path, line: int, message: str, hint: str = "") -> None:
        self.items.append(Problem(self.relpath(path), line, message, hint, ERROR))

    def warning(self, path, line: int, message: str, hint: str = "") -> None:
        self.items.append(Problem(self.relpath(path), line, message, hint, WARNING))

    def note(self, path, line: int, message: str, hint: str = "") -> None:
        self.items.append(Problem(self.relpath(path), line, message, hint, NOTE))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == WARNING]

    @property
    def in_drafts(self) -> list[Problem]:
        return [p for p in self.items if p.severity == DRAFT]

    def demote(self, paths: set[Path]) -> None:
        """Errors and warnings in the files at `paths` (drafts nobody publishes yet) become
        draft problems: shown, never fatal."""
        where = {self.relpath(path) for path in paths}
        self.items = [Problem(p.path, p.line, p.message, p.hint, DRAFT)
                      if p.path in where and p.severity in (ERROR, WARNING) else p
                      for p in self.items]

    def fatal(self, strict: bool = False) -> bool:
        """True when the build must not write: any error, or any warning under --strict."""
        return bool(self.errors) or (strict and bool(self.warnings))

    def sorted(self) -> list[Problem]:
        return sorted(set(self.items), key=lambda p: (p.path, p.line, p.message))

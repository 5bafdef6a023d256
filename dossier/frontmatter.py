"""Split a Markdown file's `---` block and parse it as YAML, keeping the line of every value.

The loader is PyYAML's safe loader with three changes that matter to authors:
- dates stay text, so an impossible date (2022-02-30) is reported on its own line by the
  validator instead of failing the whole block;
- only true/false are booleans (YAML 1.1 would read the country code `NO` as false);
- aliases (`*name`) are refused, so a "billion laughs" block cannot blow up time or memory
  (composing shares aliased nodes instead of copying them; the line walk stops at the first
  node met twice, before anything is constructed).
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


# libyaml's C parser when present (about 10x faster), with the same resolver rules.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    pass


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))

Path_ = tuple  # a path into the data: ("events", 0, "date")


@dataclass
class Parsed:
    """Front matter data, the file line of each value (by key path), and the body."""

    data: dict
    lines: dict[Path_, int] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1  # file line where the body starts
    # Of the file's bytes it was read from (files.file_digest): which version of the file.
    digest: str = field(default="", compare=False, repr=False)

    def line(self, *path) -> int:
        """Line of the value at `path`, or of its nearest located parent."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


class FrontMatterError(Exception):
    def __init__(self, line: int, message: str, hint: str = ""):
        super().__init__(message)
        self.line, self.message, self.hint = line, message, hint


def parse_yaml(text: str, first_line: int = 1) -> tuple[object, dict]:
    """Parse YAML text whose first line is file line `first_line` -> (data, lines)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: dict[Path_, int] = {}
        _collect_lines(node, (), first_line, lines, set())
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        # The context (where the unclosed bracket or quote opened) is where the fix goes.
        mark = exc.context_mark or exc.problem_mark
        line = first_line + (mark.line if mark else 0)
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise FrontMatterError(line, f"invalid YAML: {message}",
                               "check indentation, and quote values containing ': ' or '#'") from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(first_line, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise FrontMatterError(first_line, f"invalid YAML: nested more than {MAX_DEPTH} "
                               "levels deep", "front matter needs a few levels at most") \
            from None
    finally:
        loader.dispose()


MAX_DEPTH = 20


def _collect_lines(node, path, first_line, lines, seen):
    """Record the line of every value; a node met twice is an alias (*name): refused."""
    if id(node) in seen:
        line = next((lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in lines),
                    first_line)
        raise FrontMatterError(line, "invalid YAML: YAML alias is not "
                               "allowed here", "write the value out in full instead of *name")
    seen.add(id(node))
    lines.setdefault(path, first_line + node.start_mark.line)
    if len(path) > MAX_DEPTH:
        raise FrontMatterError(lines[path], f"invalid YAML: nested more than {MAX_DEPTH} "
                               "levels deep", "front matter needs a few levels at most")
    if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str):
        # Written as escapes ("\f", "\x1b"): control characters are dropped here, as raw
        # ones are from the text (see printable).
        node.value = _CONTROLS.sub("", node.value)
        if len(node.value) <= SHARED_TEXT:
            node.value = sys.intern(node.value)
    if isinstance(node, yaml.MappingNode):
        keys: dict[str, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if isinstance(key_node.value, str):
                    key_node.value = sys.intern(key_node.value)
                line = first_line + key_node.start_mark.line
                if key_node.value in keys:   # YAML keeps the last one, silently
                    raise FrontMatterError(line, f"'{key_node.value}' is given twice (also "
                                           f"line {keys[key_node.value]})",
                                           "keep one of the two")
                keys[key_node.value] = line
                child = _shared(path + (key_node.value,))
                lines[child] = line
                _collect_lines(value_node, child, first_line, lines, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, _shared(path + (index,)), first_line, lines, seen)


# Values and key paths that thousands of files repeat (a key, `("events", 0, "date")`, an
# actor's name, a tag, a language) are one object each in a process: the last build's state
# (cache.py) holds every record and its lines, and reads back 15-20 % faster when equal
# texts are one object there (a pickle writes an object it has seen as a reference to it).
SHARED_TEXT = 64
_PATHS: dict[Path_, Path_] = {}


def _shared(path: Path_) -> Path_:
    return _PATHS.setdefault(path, path)


def split(text: str) -> Parsed:
    """Split `---` front matter from the Markdown body; raise FrontMatterError if malformed."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        raise FrontMatterError(1, "no front matter: the file must start with a line '---'",
                               "add a '---' block with at least title, date and source")
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        raise FrontMatterError(1, "front matter is not closed",
                               "add a line '---' after the last front matter field")
    data, where = parse_yaml("\n".join(lines[1:end]), first_line=2)
    if data is None:
        data, where = {}, {}
    if not isinstance(data, dict):
        raise FrontMatterError(2, "front matter must be a mapping of 'key: value' lines")
    where.setdefault((), 1)
    return Parsed(data, where, "\n".join(lines[end + 1:]), end + 2)


def thawed(parsed: Parsed) -> list | None:
    """Parsed front matter as JSON-able lists, for the cache between runs; None when JSON
    would not give it back exactly (a YAML timestamp, a number as a key…)."""
    if not _plain(parsed.data):
        return None
    return [parsed.data, [[list(path), line] for path, line in parsed.lines.items()],
            parsed.body_line]


def _plain(value) -> bool:
    """Only what JSON keeps as it is: no tuples, sets, dates, bytes or non-text keys."""
    if isinstance(value, dict):
        return all(type(k) is str and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(map(_plain, value))
    return value is None or type(value) in (str, int, float, bool)


def frozen(saved: list, text: str) -> Parsed:
    """The Parsed front matter `thawed` saved, with the body taken from the file's text."""
    data, lines, body_line = saved
    if text.startswith("\ufeff"):
        text = text[1:]
    body = text.split("\n", body_line - 1)[-1] if text.count("\n") >= body_line - 1 else ""
    return Parsed(_interned(data), {_shared(tuple(map(_text, path))): line
                                    for path, line in lines}, body, body_line)


def _text(value):
    return sys.intern(value) if type(value) is str and len(value) <= SHARED_TEXT else value


def _interned(value):
    """JSON's front matter with its keys and short texts shared, as parse_yaml gives them."""
    kind = type(value)
    if kind is dict:
        return {sys.intern(k): _interned(v) for k, v in value.items()}
    if kind is list:
        return [_interned(item) for item in value]
    return _text(value)


# C0 controls but tab and newline, DEL, C1 controls, and the two non-characters XML 1.0
# forbids: a form feed from a PDF copy makes feed.xml unreadable, an ESC reaches terminals.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


def printable(text: str, path: Path, problems) -> str:
    """The text without control characters, each line that had some warned about once."""
    if not _CONTROLS.search(text):
        return text
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        found = _CONTROLS.findall(line)
        if found:
            codes = ", ".join(sorted({f"U+{ord(c):04X}" for c in found}))
            problems.warning(path, number, f"control characters removed ({codes})",
                             "they come from copying out of PDFs or terminals; nothing visible "
                             "is lost")
            lines[number - 1] = _CONTROLS.sub("", line)
    return "\n".join(lines)

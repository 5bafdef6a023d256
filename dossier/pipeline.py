"""build(): load -> validate -> link -> render -> write. The one function to read."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from dossier.config import SiteConfig, load_config
from dossier.link import link
from dossier.load import load
from dossier.model import Dossier
from dossier.problems import Problems
from dossier.render import render
from dossier.validate import validate
from dossier.write import check_outputs, write


@dataclass
class BuildResult:
    config: SiteConfig
    problems: Problems
    dossier: Dossier | None = None
    pages: int = 0                       # HTML pages rendered
    written: int = 0                     # files written (0 when nothing was written)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems.fatal(self.config.strict)


def build(root: Path, *, write_output: bool = True, **options) -> BuildResult:
    """Build the dossier at `root`; `options` override dossier.yaml (output, base_url, strict,
    drafts). With write_output=False (the `check` command) everything runs but nothing is
    written. Content problems are collected in the result, never raised."""
    clock = _Clock()
    problems = Problems(root.resolve())
    config = load_config(root, problems, **options)
    loaded = load(config.content_dir, problems)
    clock.lap("load")
    articles, actors, resolutions = validate(loaded.records, config.language, problems,
                                             drafts=config.drafts)
    clock.lap("validate")
    dossier = link(articles, actors, resolutions, problems)
    clock.lap("link")
    result = BuildResult(config, problems, dossier, timings=clock.laps)
    if problems.errors:                  # rendering broken records would only add noise
        return result
    outputs = render(config, dossier, loaded.assets, problems)
    check_outputs(outputs, problems)
    result.pages = sum(1 for o in outputs if o.path.endswith(".html") and o.data is not None)
    clock.lap("render")
    if write_output and result.ok:
        result.written = write(outputs, config.output_dir)
        clock.lap("write")
    return result


class _Clock:
    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now

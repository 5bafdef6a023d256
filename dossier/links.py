"""`dossier links`: are the dossier's source and archive addresses still alive?

Opt-in and never run by `build`: it asks other hosts about every address the dossier
cites, which a reader of a sensitive dossier may not want done from their machine. The
requests go out concurrently but politely (a few at a time per host, spaced out), are
retried with backoff (honouring Retry-After, within reason), follow redirects and record
them. Results are kept with their date in ROOT/.dossier-links.json, outside the disposable
build cache: a second run asks again only about what is older than --max-age, and `check`
can tell when a dead link was last seen alive.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dossier import __version__
from dossier.load import load
from dossier.problems import Problems

RESULTS_FILE = ".dossier-links.json"
URL_KEYS = ("url", "archived")
PERMANENT = (301, 308)
MAX_RETRY_AFTER = 60.0        # seconds: a server asking for an hour is treated as down


@dataclass(frozen=True)
class Citation:
    """Where the dossier cites an address: file, line and field ("claims[1].source.url")."""

    path: Path
    line: int
    field: str
    source: bool = False          # a source's own address (source.url)
    fallback: bool = False        # ... and that source gives an archived copy of it

    @property
    def unarchived(self) -> bool:
        return self.source and not self.fallback


@dataclass
class Result:
    """What the last request to an address found."""

    checked: str                  # ISO date and time, UTC
    status: int | None = None     # the final HTTP status; None when no answer came
    reason: str = ""              # "Not Found", or what went wrong ("timed out")
    final: str = ""               # the address the redirects led to
    redirects: list = field(default_factory=list)       # [[status, location], ...]
    last_alive: str | None = None

    @property
    def alive(self) -> bool:
        return self.status is not None and self.status < 400

    @property
    def moved(self) -> str:
        """The new address when the first redirect says the move is permanent."""
        if self.alive and self.redirects and self.redirects[0][0] in PERMANENT:
            return self.final
        return ""

    def said(self) -> str:
        return f"{self.status} {self.reason}".strip() if self.status else self.reason


def cited(root: Path, content_dir: Path, problems: Problems) -> dict[str, list[Citation]]:
    """Every http(s) address in the front matter of every record, drafts included, with
    where it is cited."""
    found: dict[str, list[Citation]] = defaultdict(list)
    for raw in load(content_dir, problems).records:
        _walk(raw.parsed.data, (), raw, found)
    return dict(found)


def _walk(value, at: tuple, raw, found: dict) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in URL_KEYS and isinstance(item, str) and \
                    item.startswith(("http://", "https://")):
                source = key == "url" and at[-1:] == ("source",)
                found[item].append(Citation(raw.path, raw.parsed.line(*at, key),
                                            _field((*at, key)), source,
                                            source and bool(value.get("archived"))))
            else:
                _walk(item, (*at, key), raw, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, (*at, index), raw, found)


def _field(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


class Checker:
    """Asks each address once, GET without reading the body (some servers refuse HEAD),
    `per_host` requests at a time per host and a new one every `delay` seconds at most."""

    def __init__(self, per_host: int = 2, delay: float = 1.0, timeout: float = 15.0,
                 retries: int = 3, backoff: float = 0.5):
        self.per_host, self.delay, self.timeout = per_host, delay, timeout
        self.retries, self.backoff = retries, backoff
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next: dict[str, float] = defaultdict(float)
        self._local = threading.local()

    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            import requests
            from requests.adapters import HTTPAdapter
            session = requests.Session()
            session.max_redirects = 10
            session.headers["User-Agent"] = f"dossier-links/{__version__} (link checker)"
            adapter = HTTPAdapter(max_retries=_retry(self.retries, self.backoff))
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
        return session

    def _wait_turn(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            slot = self._slots.setdefault(host, threading.BoundedSemaphore(self.per_host))
        slot.acquire()
        with self._lock:
            start = max(time.monotonic(), self._next[host])
            self._next[host] = start + self.delay
        time.sleep(max(0.0, start - time.monotonic()))
        return slot

    def check(self, url: str) -> Result:
        import requests
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
        slot = self._wait_turn(urlsplit(url).hostname or "")
        try:
            with self._session().get(url, stream=True, timeout=self.timeout,
                                     allow_redirects=True) as response:
                redirects = [[r.status_code, r.headers.get("Location", "")]
                             for r in response.history]
                return Result(now, response.status_code, response.reason or "",
                              response.url, redirects)
        except requests.exceptions.TooManyRedirects:
            return Result(now, None, "too many redirects (a loop?)")
        except (requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout):
            return Result(now, None, f"timed out after {self.timeout:g} s")
        except requests.exceptions.ConnectionError as exc:
            why = _why(exc)        # a timeout retried to the end arrives as a ConnectionError
            return Result(now, None, f"timed out after {self.timeout:g} s"
                          if why == "timed out" else why)
        except requests.exceptions.RequestException as exc:
            return Result(now, None, f"{type(exc).__name__}: {exc}")
        finally:
            slot.release()


def _retry(retries: int, backoff: float):
    """urllib3's retries: on connection and read errors and on 429/5xx, with exponential
    backoff; Retry-After is obeyed up to MAX_RETRY_AFTER seconds."""
    from urllib3.util.retry import Retry

    class Capped(Retry):
        def get_retry_after(self, response):
            after = super().get_retry_after(response)
            return None if after is None else min(after, MAX_RETRY_AFTER)

    return Capped(total=retries, backoff_factor=backoff, status_forcelist=(429, 500, 502,
                  503, 504), allowed_methods=None, raise_on_status=False,
                  respect_retry_after_header=True, redirect=False)


def _why(exc: Exception) -> str:
    text = str(exc)
    for needle, said in (("Read timed out", "timed out"), ("timed out", "timed out"),
                         ("Name or service not known", "no such host (DNS)"),
                         ("nodename nor servname", "no such host (DNS)"),
                         ("Temporary failure in name resolution", "no such host (DNS)"),
                         ("Connection refused", "connection refused"),
                         ("Connection reset", "connection reset"),
                         ("RemoteDisconnected", "connection closed without an answer"),
                         ("Connection aborted", "connection closed without an answer")):
        if needle in text:
            return said
    return "connection failed"


def read_results(root: Path) -> dict[str, Result]:
    try:
        data = json.loads((root / RESULTS_FILE).read_text(encoding="utf-8"))
        return {url: Result(**fields) for url, fields in data["links"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def save_results(root: Path, results: dict[str, Result]) -> None:
    data = {"about": "dossier links: the last answer of each address (dates in UTC)",
            "links": {url: asdict(results[url]) for url in sorted(results)}}
    path = root / RESULTS_FILE
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)


def stale(urls, known: dict[str, Result], max_age: dt.timedelta,
          now: dt.datetime) -> list[str]:
    """The addresses never checked, or last checked more than max_age ago."""
    def old(url: str) -> bool:
        try:
            return now - dt.datetime.fromisoformat(known[url].checked) >= max_age
        except (KeyError, ValueError, TypeError):
            return True
    return [url for url in urls if old(url)]


def check_all(urls: list[str], checker: Checker, known: dict[str, Result], workers: int = 16,
              progress=None) -> dict[str, Result]:
    """Ask each of `urls`; returns every result, `known` updated (last_alive carried on)."""
    results = dict(known)
    # Hosts interleaved, so that the per-host limit does not hold back the others.
    by_host = defaultdict(list)
    for url in urls:
        by_host[urlsplit(url).hostname].append(url)
    ordered = [url for group in _interleave(list(by_host.values())) for url in group]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(checker.check, url): url for url in ordered}
        for future in as_completed(futures):
            url, result = futures[future], future.result()
            before = known.get(url)
            result.last_alive = result.checked if result.alive else \
                (before.last_alive if before else None)
            results[url] = result
            if progress is not None:
                progress(url)
    return results


def _interleave(groups: list[list[str]]):
    for index in range(max((len(g) for g in groups), default=0)):
        yield [g[index] for g in groups if index < len(g)]


def report(citations: dict[str, list[Citation]], results: dict[str, Result],
           problems: Problems) -> dict[str, int]:
    """Dead links are errors, moved ones and sources without an archived copy warnings, each
    at the line that cites it. Returns the counts by outcome."""
    counts = {"alive": 0, "moved": 0, "dead": 0, "unchecked": 0}
    for url, places in sorted(citations.items()):
        result = results.get(url)
        for place in places:
            if place.unarchived:
                problems.warning(place.path, place.line,
                                 f"{place.field}: this source has no archived copy",
                                 "save the page in the Wayback Machine or archive.today and "
                                 "add its address as source.archived")
        if result is None:
            counts["unchecked"] += 1
            continue
        when = f"checked {_day(result.checked)}; " + (
            f"last seen alive {_day(result.last_alive)}" if result.last_alive
            else "never seen alive")
        if not result.alive:
            counts["dead"] += 1
            for place in places:
                archive = place.field.endswith("archived")
                problems.error(place.path, place.line,
                               f"{place.field} {url} is dead: {result.said()} ({when})",
                               "the archived copy is gone: archive the page again" if archive
                               else "find where it moved, or cite an archived copy as "
                               "source.archived")
        elif result.moved:
            counts["moved"] += 1
            for place in places:
                problems.warning(place.path, place.line,
                                 f"{place.field} {url} moved permanently "
                                 f"({result.redirects[0][0]}) to {result.moved}",
                                 "cite the new address")
        else:
            counts["alive"] += 1
    return counts


def recorded(root: Path, content_dir: Path, problems: Problems) -> None:
    """For `check`: what the last `dossier links` run found dead, at the lines citing it,
    with when each was last seen alive. A note when the source has an archived copy to fall
    back on, a warning when it has none. Nothing when links were never checked."""
    known = read_results(root)
    if not known:
        return
    for url, places in sorted(cited(root, content_dir, Problems(root)).items()):
        result = known.get(url)
        if result is None or result.alive:
            continue
        alive = f"last seen alive {_day(result.last_alive)}" if result.last_alive else \
            "never seen alive"
        for place in places:
            say = problems.note if place.fallback else problems.warning
            say(place.path, place.line,
                f"{place.field} {url} was dead when last checked ({_day(result.checked)}: "
                f"{result.said()}); {alive}",
                "run 'dossier links' again, or cite an archived copy")


def _day(stamp: str | None) -> str:
    return (stamp or "")[:10]

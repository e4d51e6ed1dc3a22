"""The policy's `web:` section: governance knobs for web ingest, named sources, freshness.

`WebPolicy.from_mapping(doc)` validates a plain mapping and raises PolicyError listing
every problem by field path (`web.allow_domains[1]: ...`); the policy loader uses
`parse_web` to report the same problems with file and line. robots.txt respect is not a
knob: `respect_robots: false` is an error. The refusal itself (`admit`) lives with ingest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Self
from urllib.parse import urlsplit

from symphony.errors import PolicyError
from symphony.policy.durations import parse_duration

FieldPath = tuple[str | int, ...]
Issues = list[tuple[FieldPath, str]]  # (field path, message)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_-]+(:\d+)?$")
_BOOL_KEYS = ("keep_snapshots", "sign_snapshots", "screenshots")
_INT_KEYS = ("max_documents", "max_depth", "cache_ttl_s")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_STRATEGIES = ("visit", "scrape")
DEFAULT_MAX_AGE_S = 7 * 86_400.0
MIN_REFRESH_S = 60.0
_LIMITS: dict[str, tuple[float, float]] = {
    "rps": (0.001, 100.0),
    "max_documents": (1, 1000),
    "max_depth": (0, 5),
    "timeout_s": (1, 120),
    "cache_ttl_s": (0, 30 * 86_400),
    "near_duplicate_similarity": (0.5, 1.0),
}


def _fmt(path: FieldPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def domain_matches(host: str, port: int, entry: str) -> bool:
    """`entry` covers `host` itself and its subdomains; `host:port` entries match exactly."""
    name, sep, entry_port = entry.partition(":")
    if sep and int(entry_port) != port:
        return False
    return host == name or host.endswith("." + name)


@dataclass(frozen=True, slots=True)
class WebSource:
    """A named set of seed URLs: ingested on request (`POST /ingest {"source"}`) and, with
    `refresh`, on a schedule; its documents are those whose URL starts with a seed URL
    (a seed `https://docs.example.com/guide/` covers every page under it)."""

    name: str
    urls: tuple[str, ...]
    strategy: str = "visit"  # visit (Chromium) | scrape (plain HTTP)
    refresh_s: float | None = None  # re-ingest every this many seconds (None: on request only)
    max_age_s: float | None = None  # evidence older than this is not fresh (None: web.max_age)

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The seed URLs: a document whose URL starts with one belongs to the source."""
        return self.urls

    def covers(self, url: str) -> bool:
        """Whether the document at `url` belongs to this source (under one of its seeds)."""
        return any(url.startswith(prefix) for prefix in self.urls)


@dataclass(frozen=True)
class WebPolicy:
    """The `web:` section: per-domain fetch rules, named sources and the freshness limit
    (hot-reloadable with the policy)."""

    allow_domains: tuple[str, ...] = ()  # empty: any domain not blocked
    block_domains: tuple[str, ...] = ()
    rps: float = 1.0  # requests per second per domain (robots crawl-delay wins if slower)
    domain_rps: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    max_documents: int = 20  # documents fetched by one ingest call (seeds + followed links)
    max_depth: int = 0  # 0: only the given URLs; n: follow same-site links n levels deep
    timeout_s: float = 45.0
    cache_ttl_s: int = 3600  # a URL fetched more recently than this is served from the corpus
    keep_snapshots: bool = True
    sign_snapshots: bool = True
    screenshots: bool = False
    tos_deny: tuple[str, ...] = ()  # domains or URL prefixes whose terms forbid automated access
    near_duplicate_similarity: float = 0.9  # Simhash similarity at or above which pages are dups
    sources: tuple[WebSource, ...] = ()
    max_age_s: float = DEFAULT_MAX_AGE_S  # evidence fetched longer ago than this is not fresh

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any] | None, *, root: str = "web") -> Self:
        """Validate `doc` (the `web:` section); raise PolicyError naming every bad field."""
        issues: Issues = []
        values = parse_web(doc or {}, (root,), issues)
        if issues:
            raise PolicyError([f"{_fmt(path)}: {message}" for path, message in issues])
        return cls(**values)

    def rps_for(self, host: str, port: int) -> float:
        """Requests per second allowed to `host` (the most specific domain_rps entry wins)."""
        best: tuple[int, float] | None = None
        for entry, rate in self.domain_rps.items():
            if domain_matches(host, port, entry) and (best is None or len(entry) > best[0]):
                best = (len(entry), rate)
        return best[1] if best is not None else self.rps

    def source(self, name: str) -> WebSource | None:
        return next((s for s in self.sources if s.name == name), None)

    def max_age_for(self, source: WebSource | None) -> float:
        """The freshness limit of `source` (its own, else the section's)."""
        if source is not None and source.max_age_s is not None:
            return source.max_age_s
        return self.max_age_s

    def refusal(self, url: str, host: str, port: int) -> tuple[str, str] | None:
        """(reason, sentence) when the ToS list, blocklist or allowlist forbid `url`."""
        for entry in self.tos_deny:
            if tos_matches(url, host, port, entry):
                return "tos_denied", f"{url} is on the terms-of-service deny list ({entry})"
        for entry in self.block_domains:
            if domain_matches(host, port, entry):
                return "domain_blocked", f"{host} is blocked ({entry})"
        if self.allow_domains and not any(
            domain_matches(host, port, entry) for entry in self.allow_domains
        ):
            allowed = ", ".join(self.allow_domains)
            return "not_allowlisted", f"{host} is not in the allowlist ({allowed})"
        return None


def tos_matches(url: str, host: str, port: int, entry: str) -> bool:
    if "://" in entry:
        return url.startswith(entry)
    return domain_matches(host, port, entry)


_SCALAR_KEYS = frozenset(WebPolicy.__dataclass_fields__) - {"sources", "max_age_s"}
KNOWN_KEYS = _SCALAR_KEYS | {"respect_robots", "sources", "max_age"}


def parse_web(doc: Any, root: FieldPath, issues: Issues) -> dict[str, Any]:
    """Validate the `web:` section into WebPolicy's keyword arguments; append every problem."""
    if not isinstance(doc, Mapping):
        issues.append((root, f"expected a mapping, got {type(doc).__name__}"))
        return {}
    values: dict[str, Any] = {}
    for key, raw in doc.items():
        path = (*root, str(key))
        if key not in KNOWN_KEYS:
            issues.append((path, f"unknown key (known: {', '.join(sorted(KNOWN_KEYS))})"))
        elif key == "respect_robots":
            if raw is not True:
                issues.append((path, "robots.txt is always respected; remove the key"))
        elif key in ("allow_domains", "block_domains"):
            values[key] = _domains(raw, path, issues)
        elif key == "tos_deny":
            values[key] = _tos(raw, path, issues)
        elif key == "domain_rps":
            values[key] = _domain_rps(raw, path, issues)
        elif key == "max_age":
            age = _duration(raw, path, issues)
            if age is not None:
                values["max_age_s"] = age
        elif key == "sources":
            continue  # after the rules: a source is checked against them
        elif key in _BOOL_KEYS:
            if isinstance(raw, bool):
                values[key] = raw
            else:
                issues.append((path, f"expected true or false, got {raw!r}"))
        else:
            number = _number(raw, path, issues, *_LIMITS[key], integer=key in _INT_KEYS)
            if number is not None:
                values[key] = number
    if "sources" in doc:
        rules = WebPolicy(**values)
        values["sources"] = _sources(doc["sources"], (*root, "sources"), issues, rules)
    return values


def _duration(raw: Any, path: FieldPath, issues: Issues) -> float | None:
    try:
        return parse_duration(raw).total_seconds()
    except ValueError as exc:
        issues.append((path, str(exc)))
        return None


def _sources(raw: Any, path: FieldPath, issues: Issues, rules: WebPolicy) -> tuple[WebSource, ...]:
    if not isinstance(raw, list):
        issues.append((path, "expected a list of sources ({name, urls, strategy, refresh})"))
        return ()
    out: list[WebSource] = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        source = _source(item, (*path, i), issues, rules)
        if source is None:
            continue
        if source.name in names:
            issues.append(((*path, i, "name"), f"duplicate source name '{source.name}'"))
            continue
        names.add(source.name)
        out.append(source)
    return tuple(out)


_SOURCE_KEYS = ("name", "urls", "strategy", "refresh", "max_age")


def _source(raw: Any, path: FieldPath, issues: Issues, rules: WebPolicy) -> WebSource | None:
    if not isinstance(raw, Mapping):
        issues.append((path, f"expected a mapping, got {type(raw).__name__}"))
        return None
    before = len(issues)
    for key in raw:
        if key not in _SOURCE_KEYS:
            issues.append(((*path, str(key)), f"unknown key (known: {', '.join(_SOURCE_KEYS)})"))
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        issues.append(
            ((*path, "name"), f"expected a name like docs-example (a-z 0-9 _ . -), got {name!r}")
        )
    urls = _source_urls(raw.get("urls"), (*path, "urls"), issues, rules)
    strategy = raw.get("strategy", "visit")
    if strategy not in _STRATEGIES:
        issues.append(((*path, "strategy"), f"expected visit or scrape, got {strategy!r}"))
    refresh = None
    if raw.get("refresh") is not None:
        refresh = _duration(raw["refresh"], (*path, "refresh"), issues)
        if refresh is not None and refresh < MIN_REFRESH_S:
            issues.append(((*path, "refresh"), f"{refresh:g}s is below the minimum of 60s"))
    max_age = None
    if raw.get("max_age") is not None:
        max_age = _duration(raw["max_age"], (*path, "max_age"), issues)
    if len(issues) > before:
        return None
    return WebSource(str(name), urls, str(strategy), refresh, max_age)


def _source_urls(raw: Any, path: FieldPath, issues: Issues, rules: WebPolicy) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        issues.append((path, "expected a non-empty list of http(s) URLs"))
        return ()
    out: list[str] = []
    for i, url in enumerate(raw):
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            issues.append(((*path, i), f"expected an http(s) URL, got {url!r}"))
            continue
        port = parts.port or (443 if parts.scheme == "https" else 80)
        refused = rules.refusal(url, parts.hostname, port)
        if refused is not None:
            issues.append(((*path, i), f"{refused[1]}: the source could never be fetched"))
            continue
        out.append(url)
    return tuple(out)


def _number(
    raw: Any, path: FieldPath, issues: Issues, low: float, high: float, *, integer: bool
) -> float | int | None:
    ok_type = isinstance(raw, int) if integer else isinstance(raw, (int, float))
    if isinstance(raw, bool) or not ok_type:
        kind = "an integer" if integer else "a number"
        issues.append((path, f"expected {kind}, got {raw!r}"))
        return None
    if not low <= raw <= high:
        issues.append((path, f"{raw} is outside {low:g}..{high:g}"))
        return None
    return int(raw) if integer else float(raw)


def _domain(raw: Any, path: FieldPath, issues: Issues) -> str | None:
    if not isinstance(raw, str) or not _DOMAIN.match(raw.strip().lower().rstrip(".")):
        issues.append(
            (path, f"expected a domain name like example.com (or host:port), got {raw!r}")
        )
        return None
    return raw.strip().lower().rstrip(".")


def _domains(raw: Any, path: FieldPath, issues: Issues) -> tuple[str, ...]:
    if not isinstance(raw, list):
        issues.append((path, "expected a list of domains"))
        return ()
    out = [_domain(item, (*path, i), issues) for i, item in enumerate(raw)]
    return tuple(d for d in out if d is not None)


def _tos(raw: Any, path: FieldPath, issues: Issues) -> tuple[str, ...]:
    if not isinstance(raw, list):
        issues.append((path, "expected a list of domains or URL prefixes"))
        return ()
    out: list[str] = []
    for i, item in enumerate(raw):
        if isinstance(item, str) and "://" in item:
            if urlsplit(item).scheme in ("http", "https") and urlsplit(item).hostname:
                out.append(item)
            else:
                issues.append(((*path, i), f"expected an http(s) URL prefix, got {item!r}"))
        else:
            domain = _domain(item, (*path, i), issues)
            if domain is not None:
                out.append(domain)
    return tuple(out)


def _domain_rps(raw: Any, path: FieldPath, issues: Issues) -> Mapping[str, float]:
    if not isinstance(raw, Mapping):
        issues.append((path, "expected a mapping of domain: requests per second"))
        return MappingProxyType({})
    out: dict[str, float] = {}
    for key, value in raw.items():
        domain = _domain(key, (*path, str(key)), issues)
        rate = _number(value, (*path, str(key)), issues, *_LIMITS["rps"], integer=False)
        if domain is not None and rate is not None:
            out[domain] = float(rate)
    return MappingProxyType(out)

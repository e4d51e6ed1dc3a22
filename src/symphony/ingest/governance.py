"""Governance knobs for web ingest, as they will appear under `web:` in the policy file.

`WebGovernance.from_mapping(doc)` validates a plain mapping and raises PolicyError listing
every problem by field path (`web.allow_domains[1]: ...`); the policy loader can prefix the
file and line. robots.txt respect is not a knob: `respect_robots: false` is an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from symphony.errors import PolicyError
from symphony.ingest.reasons import Reason, Refused

FieldPath = tuple[str | int, ...]
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_-]+(:\d+)?$")
_BOOL_KEYS = ("keep_snapshots", "sign_snapshots", "screenshots")
_INT_KEYS = ("max_documents", "max_depth", "cache_ttl_s")
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


@dataclass(frozen=True)
class WebGovernance:
    """Per-domain rules applied to every fetch (hot-reloadable with the policy)."""

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

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any] | None, *, root: str = "web") -> WebGovernance:
        """Validate `doc` (the `web:` section); raise PolicyError naming every bad field."""
        problems: list[str] = []
        values = _parse(doc or {}, (root,), problems)
        if problems:
            raise PolicyError(problems)
        return cls(**values)

    def rps_for(self, host: str, port: int) -> float:
        """Requests per second allowed to `host` (the most specific domain_rps entry wins)."""
        best: tuple[int, float] | None = None
        for entry, rate in self.domain_rps.items():
            if domain_matches(host, port, entry) and (best is None or len(entry) > best[0]):
                best = (len(entry), rate)
        return best[1] if best is not None else self.rps

    def admit(self, url: str, host: str, port: int) -> None:
        """Raise Refused when the terms of service list, blocklist or allowlist forbid `url`."""
        for entry in self.tos_deny:
            if _tos_matches(url, host, port, entry):
                raise Refused(
                    Reason.TOS_DENIED,
                    f"{url} is on the terms-of-service deny list ({entry})",
                    url=url,
                )
        for entry in self.block_domains:
            if domain_matches(host, port, entry):
                raise Refused(Reason.DOMAIN_BLOCKED, f"{host} is blocked ({entry})", url=url)
        if self.allow_domains and not any(
            domain_matches(host, port, entry) for entry in self.allow_domains
        ):
            raise Refused(
                Reason.NOT_ALLOWLISTED,
                f"{host} is not in the allowlist ({', '.join(self.allow_domains)})",
                url=url,
            )


def _tos_matches(url: str, host: str, port: int, entry: str) -> bool:
    if "://" in entry:
        return url.startswith(entry)
    return domain_matches(host, port, entry)


def _parse(doc: Mapping[str, Any], root: FieldPath, problems: list[str]) -> dict[str, Any]:
    if not isinstance(doc, Mapping):
        problems.append(f"{_fmt(root)}: expected a mapping, got {type(doc).__name__}")
        return {}
    known = set(WebGovernance.__dataclass_fields__) | {"respect_robots"}
    values: dict[str, Any] = {}
    for key, raw in doc.items():
        path = (*root, str(key))
        if key not in known:
            problems.append(f"{_fmt(path)}: unknown key (known: {', '.join(sorted(known))})")
        elif key == "respect_robots":
            if raw is not True:
                problems.append(f"{_fmt(path)}: robots.txt is always respected; remove the key")
        elif key in ("allow_domains", "block_domains"):
            values[key] = _domains(raw, path, problems)
        elif key == "tos_deny":
            values[key] = _tos(raw, path, problems)
        elif key == "domain_rps":
            values[key] = _domain_rps(raw, path, problems)
        elif key in _BOOL_KEYS:
            if isinstance(raw, bool):
                values[key] = raw
            else:
                problems.append(f"{_fmt(path)}: expected true or false, got {raw!r}")
        else:
            number = _number(raw, path, problems, *_LIMITS[key], integer=key in _INT_KEYS)
            if number is not None:
                values[key] = number
    return values


def _number(
    raw: Any, path: FieldPath, problems: list[str], low: float, high: float, *, integer: bool
) -> float | int | None:
    ok_type = isinstance(raw, int) if integer else isinstance(raw, (int, float))
    if isinstance(raw, bool) or not ok_type:
        kind = "an integer" if integer else "a number"
        problems.append(f"{_fmt(path)}: expected {kind}, got {raw!r}")
        return None
    if not low <= raw <= high:
        problems.append(f"{_fmt(path)}: {raw} is outside {low:g}..{high:g}")
        return None
    return int(raw) if integer else float(raw)


def _domain(raw: Any, path: FieldPath, problems: list[str]) -> str | None:
    if not isinstance(raw, str) or not _DOMAIN.match(raw.strip().lower().rstrip(".")):
        problems.append(
            f"{_fmt(path)}: expected a domain name like example.com (or host:port), got {raw!r}"
        )
        return None
    return raw.strip().lower().rstrip(".")


def _domains(raw: Any, path: FieldPath, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(raw, list):
        problems.append(f"{_fmt(path)}: expected a list of domains")
        return ()
    out = [_domain(item, (*path, i), problems) for i, item in enumerate(raw)]
    return tuple(d for d in out if d is not None)


def _tos(raw: Any, path: FieldPath, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(raw, list):
        problems.append(f"{_fmt(path)}: expected a list of domains or URL prefixes")
        return ()
    out: list[str] = []
    for i, item in enumerate(raw):
        if isinstance(item, str) and "://" in item:
            if urlsplit(item).scheme in ("http", "https") and urlsplit(item).hostname:
                out.append(item)
            else:
                problems.append(f"{_fmt((*path, i))}: expected an http(s) URL prefix, got {item!r}")
        else:
            domain = _domain(item, (*path, i), problems)
            if domain is not None:
                out.append(domain)
    return tuple(out)


def _domain_rps(raw: Any, path: FieldPath, problems: list[str]) -> Mapping[str, float]:
    if not isinstance(raw, Mapping):
        problems.append(f"{_fmt(path)}: expected a mapping of domain: requests per second")
        return MappingProxyType({})
    out: dict[str, float] = {}
    for key, value in raw.items():
        domain = _domain(key, (*path, str(key)), problems)
        rate = _number(value, (*path, str(key)), problems, *_LIMITS["rps"], integer=False)
        if domain is not None and rate is not None:
            out[domain] = float(rate)
    return MappingProxyType(out)

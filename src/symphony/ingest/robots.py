"""robots.txt per RFC 9309, parsed by Protego, cached per origin with a TTL.

When robots.txt cannot be read the RFC decides, not us: 4xx (and a redirect chain longer
than the fetcher follows) means "unavailable", so everything is allowed; 5xx, a timeout or
an unreachable server means "unreachable", so everything is disallowed. There is no switch
to ignore robots.txt.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from protego import Protego

from symphony.clock import Clock
from symphony.ingest.addresses import parse_target
from symphony.ingest.http import HttpFetcher
from symphony.ingest.reasons import Reason, Refused, WebError

log = logging.getLogger(__name__)

Availability = Literal["parsed", "unavailable", "unreachable"]
# RFC 9309 §2.5: crawlers MUST parse at least the first 500 KiB.
ROBOTS_MAX_BYTES = 512 * 1024


@dataclass(frozen=True)
class RobotsRules:
    """What one origin's robots.txt says (or what the RFC says when there is none)."""

    origin: str
    availability: Availability
    detail: str
    expires_at: datetime
    parser: Protego | None = None

    def allows(self, url: str, token: str) -> bool:
        """Whether `token` may fetch `url` (longest match; Allow wins a tie)."""
        if self.availability == "unavailable":
            return True
        if self.availability == "unreachable" or self.parser is None:
            return False
        return bool(self.parser.can_fetch(url, token))

    def delay_s(self, token: str) -> float:
        """Seconds between requests asked for by Crawl-delay or Request-rate (0 when none)."""
        if self.parser is None:
            return 0.0
        delay = float(self.parser.crawl_delay(token) or 0.0)
        rate = self.parser.request_rate(token)
        if rate is not None and rate.requests > 0:
            delay = max(delay, rate.seconds / rate.requests)
        return delay


def origin_of(url: str) -> str:
    """scheme://host[:port] of `url`, the unit robots.txt applies to."""
    parts, host, port = parse_target(url)
    scheme = parts.scheme.lower()
    shown = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{shown}" if port == default else f"{scheme}://{shown}:{port}"


class RobotsCache:
    """Fetch, cache and consult robots.txt; one fetch per origin at a time."""

    def __init__(
        self,
        http: HttpFetcher,
        clock: Clock,
        *,
        token: str,
        ttl_s: float,
        timeout_s: float = 15.0,
    ) -> None:
        self._http = http
        self._clock = clock
        self.token = token
        self._ttl = timedelta(seconds=ttl_s)
        self._timeout_s = timeout_s
        self._cache: dict[str, RobotsRules] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def check(self, url: str) -> float:
        """Raise Refused(robots_disallowed) unless allowed; return the requested delay (s)."""
        rules = await self.rules_for(url)
        if not rules.allows(url, self.token):
            why = "disallows it" if rules.availability == "parsed" else rules.detail
            raise Refused(
                Reason.ROBOTS_DISALLOWED,
                f"{rules.origin}/robots.txt {why} for {self.token}",
                url=url,
            )
        return rules.delay_s(self.token)

    async def rules_for(self, url: str) -> RobotsRules:
        """The cached rules for `url`'s origin, fetched when missing or expired."""
        origin = origin_of(url)
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            cached = self._cache.get(origin)
            if cached is not None and cached.expires_at > self._clock.now():
                return cached
            rules = await self._fetch(origin)
            self._cache[origin] = rules
            return rules

    def cached_delay(self, url: str) -> float:
        """The delay robots.txt asked for, if `url`'s origin is cached (0 otherwise)."""
        try:
            rules = self._cache.get(origin_of(url))
        except WebError:
            return 0.0
        return 0.0 if rules is None else rules.delay_s(self.token)

    def forget(self, url: str | None = None) -> None:
        """Drop the cached rules for `url`'s origin (all origins when None)."""
        if url is None:
            self._cache.clear()
        else:
            self._cache.pop(origin_of(url), None)

    async def _fetch(self, origin: str) -> RobotsRules:
        robots_url = f"{origin}/robots.txt"
        expires = self._clock.now() + self._ttl
        try:
            response = await self._http.fetch(
                robots_url, timeout_s=self._timeout_s, max_bytes=ROBOTS_MAX_BYTES
            )
        except Refused as exc:
            if exc.reason is Reason.TOO_MANY_REDIRECTS:
                return RobotsRules(origin, "unavailable", "redirects too often", expires)
            return RobotsRules(
                origin, "unreachable", f"could not be read ({exc.reason.value})", expires
            )
        except WebError as exc:
            log.info("robots.txt at %s unreachable: %s", origin, exc.message)
            return RobotsRules(
                origin, "unreachable", f"is unreachable ({exc.reason.value})", expires
            )
        status = response.status
        if 200 <= status < 300:
            parser = Protego.parse(response.text())
            return RobotsRules(origin, "parsed", f"HTTP {status}", expires, parser)
        if 400 <= status < 500:
            return RobotsRules(origin, "unavailable", f"answered HTTP {status}", expires)
        return RobotsRules(
            origin, "unreachable", f"answered HTTP {status}: treated as disallow-all", expires
        )

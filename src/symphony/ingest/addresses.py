"""The SSRF guard: only http(s), and only to public addresses unless a setting says otherwise.

Every address a host resolves to is checked (one bad address refuses the host, so a DNS
answer mixing public and private records cannot slip through), and the checked addresses
are returned so the fetcher connects to exactly those (pinning: no second DNS lookup).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import SplitResult, urlsplit

from symphony.ingest.reasons import FetchFailed, Reason, Refused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud instance-metadata endpoints: never fetched, whatever the settings say.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Categories SYMPHONY_WEB_ALLOW_PRIVATE (or an exact allowed target) may open.
RELAXABLE = frozenset({"loopback", "private", "link-local", "carrier-grade NAT"})
SCHEMES = frozenset({"http", "https"})


def _embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def classify(ip: IPAddress) -> str | None:
    """Name why `ip` is not a public unicast address, or None when it is public."""
    inner = _embedded_v4(ip)
    if inner is not None:
        return classify(inner)
    if ip in METADATA:
        return "cloud metadata"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_multicast:
        return "multicast"
    if ip.is_link_local:
        return "link-local"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "carrier-grade NAT"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "reserved"
    return None


class Resolver(Protocol):
    async def resolve(self, host: str, port: int) -> list[str]:
        """Return every address `host` resolves to for a TCP connection to `port`."""
        ...


class SystemResolver:
    """The operating system's resolver (getaddrinfo), off the event loop."""

    async def resolve(self, host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        seen: list[str] = []
        for _family, _type, _proto, _canon, sockaddr in infos:
            address = str(sockaddr[0]).split("%", 1)[0]
            if address not in seen:
                seen.append(address)
        return seen


@dataclass(frozen=True, slots=True)
class Target:
    """A URL that passed the guard, with the addresses the connection must use."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{_netloc(self.host, self.port, self.scheme)}"


def _netloc(host: str, port: int, scheme: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    return shown if port == default else f"{shown}:{port}"


def parse_target(url: str) -> tuple[SplitResult, str, int]:
    """Split `url`, refusing anything but an absolute http(s) URL without credentials."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise Refused(Reason.INVALID_URL, f"{url!r} is not a valid URL: {exc}", url=url) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise Refused(
            Reason.UNSUPPORTED_SCHEME,
            f"only http and https are fetched, not {scheme or 'a relative URL'!r}",
            url=url,
        )
    if parts.username is not None or parts.password is not None:
        raise Refused(Reason.CREDENTIALS_IN_URL, "URLs with user:password@ are refused", url=url)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused(Reason.INVALID_URL, f"{url!r} has no host", url=url)
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise Refused(Reason.INVALID_URL, f"{url!r}: host is not a valid name", url=url) from None
    return parts, host, port if port is not None else (443 if scheme == "https" else 80)


def _parse_allowed(entry: str) -> tuple[IPAddress, int]:
    host, _, port = entry.rpartition(":")
    return ipaddress.ip_address(host.strip("[]")), int(port)


class SsrfGuard:
    """Decide whether a URL may be fetched, and which addresses the connection may use."""

    def __init__(
        self,
        resolver: Resolver,
        *,
        allow_private: bool,
        allow_private_targets: Iterable[str],
    ) -> None:
        self._resolver = resolver
        self.allow_private = allow_private
        self._targets = frozenset(_parse_allowed(entry) for entry in allow_private_targets)

    def refusal(self, ip: IPAddress, port: int) -> str | None:
        """Why a connection to ip:port is refused, or None when it is allowed."""
        category = classify(ip)
        if category is None:
            return None
        if category in RELAXABLE and (self.allow_private or (ip, port) in self._targets):
            return None
        return category

    async def check(self, url: str) -> Target:
        """Resolve `url`'s host and return the target, or raise Refused/FetchFailed."""
        parts, host, port = parse_target(url)
        try:
            literal: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = await self._resolver.resolve(host, port)
            except (OSError, UnicodeError) as exc:
                raise FetchFailed(
                    Reason.DNS_FAILED, f"cannot resolve {host}: {exc}", url=url
                ) from None
            if not addresses:
                raise FetchFailed(Reason.DNS_FAILED, f"{host} has no address", url=url)
        for address in addresses:
            ip = ipaddress.ip_address(address)
            why = self.refusal(ip, port)
            if why is not None:
                shown = host if literal is not None else f"{host} resolves to {address}, which"
                raise Refused(
                    Reason.PRIVATE_ADDRESS,
                    f"{shown} is a {why} address; only public addresses are fetched",
                    url=url,
                )
        return Target(url, parts.scheme.lower(), host, port, tuple(addresses))

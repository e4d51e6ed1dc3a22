"""The counters seam: windowed counters with atomic check-and-add and reservations, and
token buckets.

Counters (contract; the shared suite in tests/store/ checks every backend)
--------------------------------------------------------------------------
- A counter is a key and the charges added to it, each at an instant. A `Claim` asks for
  `amount` on a key and may carry a `limit` and a window start `since`: the claim fits
  when (charges at or after `since`) + (live reservations on the key) + amount <= limit.
  So one primitive covers sliding windows (since = now - length), fixed, session and
  weekly windows (since = the window's start) and budgets (since = the period's start).
- `add(claims)` and `reserve(claims, ttl)` are all-or-nothing across every claim: either
  every claim fits and all are applied, or nothing is and the first claim that did not fit
  comes back as a `Refusal`. They are atomic against every other caller of the same
  store, in this process or (shared backends) another one: two callers can never both
  take the last unit.
- A reservation holds its amounts until `settle` (charge the actual amounts, by default
  the estimates, at the settle instant) or `release` (charge nothing: the call failed or
  was cancelled). One left behind by a crash expires at `expires_at` and is then charged
  its estimates at the instant it was made: expiry never frees quota that was spent.
  Settling or releasing an unknown, settled, released or expired reservation returns
  False and changes nothing.
- `levels` reports used (charges since the given instant, expired reservations included)
  and reserved (live reservations) per key, for the plan and the Model Matrix.
- Charges older than the store's retention may be forgotten; windows never look further.
- Time comes from the store's clock (tests inject one), so expiry is testable.

Token buckets (contract)
------------------------
`take(key, rate=, burst=, cost=)` spends `cost` tokens from a bucket that refills at
`rate` per second up to `burst` (a new bucket starts full); it returns None when spent,
else the seconds until `cost` tokens are back, and spends nothing. Atomic per key.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from symphony.errors import ValidationFailed

EPSILON = 1e-9  # float sums of many charges: never refuse a claim that fits exactly
RETENTION = timedelta(days=35)  # the longest window reasoned about (monthly budgets)


@dataclass(frozen=True, slots=True)
class Claim:
    """Take `amount` on `key`; refused when the window from `since` would pass `limit`."""

    key: str
    amount: float
    limit: float | None = None
    since: datetime | None = None  # None: every charge the store keeps


@dataclass(frozen=True, slots=True)
class Level:
    """A counter's state: charged in the window, and held by live reservations."""

    used: float
    reserved: float


@dataclass(frozen=True, slots=True)
class Refusal:
    """The claim that did not fit, and the counter as the store saw it."""

    key: str
    amount: float
    limit: float
    used: float
    reserved: float

    @property
    def available(self) -> float:
        return max(0.0, self.limit - self.used - self.reserved)

    def describe(self) -> str:
        """E.g. "win:claude:5h: 3 wanted, 1 of 45 left (40 used, 4 reserved)"."""
        return (
            f"{self.key}: {self.amount:g} wanted, {self.available:g} of {self.limit:g} left "
            f"({self.used:g} used, {self.reserved:g} reserved)"
        )


@dataclass(frozen=True, slots=True)
class Admission:
    """The answer to `add` or `reserve`: admitted (with the reservation) or refused."""

    admitted: bool
    reservation: str | None = None
    expires_at: datetime | None = None
    refusal: Refusal | None = None


class Counters(Protocol):
    """Windowed counters with reservations (see the module docstring for the contract)."""

    @property
    def where(self) -> str:
        """Where the counters live, for messages."""
        ...

    async def add(self, claims: Sequence[Claim], *, at: datetime | None = None) -> Admission:
        """Check every claim and charge them all at `at` (default now), or none."""
        ...

    async def reserve(self, claims: Sequence[Claim], *, ttl: timedelta) -> Admission:
        """Check every claim and hold them all until settle/release/expiry, or none."""
        ...

    async def settle(self, reservation: str, actual: Mapping[str, float] | None = None) -> bool:
        """Charge a live reservation's actual amounts (missing keys: the estimate)."""
        ...

    async def release(self, reservation: str) -> bool:
        """Drop a live reservation without charging it."""
        ...

    async def levels(self, keys: Mapping[str, datetime | None]) -> dict[str, Level]:
        """Used (since the instant given per key) and reserved, per key."""
        ...

    def close(self) -> None:
        """Release what the store opened."""
        ...


class TokenBuckets(Protocol):
    """Token buckets per key (see the module docstring for the contract)."""

    async def take(self, key: str, *, rate: float, burst: float, cost: float = 1.0) -> float | None:
        """Spend `cost` tokens: None when spent, else seconds until they are back."""
        ...

    async def tokens(self, key: str, *, rate: float, burst: float) -> float:
        """Tokens in `key`'s bucket now (a new bucket is full)."""
        ...

    def close(self) -> None:
        """Release what the store opened."""
        ...


def check_claims(claims: Sequence[Claim]) -> None:
    """Refuse empty keys and negative or non-finite amounts and limits."""
    for claim in claims:
        if not isinstance(claim.key, str) or not claim.key:
            raise ValidationFailed("a counter claim needs a non-empty key")
        if not 0 <= claim.amount < float("inf"):
            raise ValidationFailed(f"counter {claim.key}: amount must be >= 0, got {claim.amount}")
        if claim.limit is not None and not 0 <= claim.limit < float("inf"):
            raise ValidationFailed(f"counter {claim.key}: limit must be >= 0, got {claim.limit}")


def check_ttl(ttl: timedelta) -> None:
    """Refuse reservations that would expire at once."""
    if ttl <= timedelta(0):
        raise ValidationFailed(f"a reservation needs a positive ttl, got {ttl}")


def check_bucket(rate: float, burst: float, cost: float) -> None:
    """Refuse buckets that can never refill or hold a token."""
    if not (rate > 0 and burst >= 1 and 0 < cost <= burst):
        raise ValidationFailed(
            f"token bucket needs rate > 0, burst >= 1 and 0 < cost <= burst "
            f"(got rate {rate}, burst {burst}, cost {cost})"
        )


def totals(claims: Sequence[Claim]) -> dict[str, float]:
    """Amounts per key (claims on the same key add up)."""
    out: dict[str, float] = {}
    for claim in claims:
        out[claim.key] = out.get(claim.key, 0.0) + claim.amount
    return out


def new_reservation_id() -> str:
    """A fresh reservation id: "res_" + 16 url-safe characters."""
    return "res_" + secrets.token_urlsafe(12)


def first_refusal(
    claims: Sequence[Claim], used: Mapping[int, float], reserved: Mapping[str, float]
) -> Refusal | None:
    """The first claim that does not fit, given each claim's used amount (by position)
    and the live reservations per key; earlier claims on the same key count too."""
    pending: dict[str, float] = {}
    for i, claim in enumerate(claims):
        ahead = pending.get(claim.key, 0.0)
        pending[claim.key] = ahead + claim.amount
        if claim.limit is None:
            continue
        held = reserved.get(claim.key, 0.0) + ahead
        if used[i] + held + claim.amount > claim.limit + EPSILON:
            return Refusal(claim.key, claim.amount, claim.limit, used[i], held)
    return None

"""The lease seam: one holder per name at a time, for a bounded time (jobs, schedulers).

Contract (every backend; the shared suite in tests/store/ checks it)
--------------------------------------------------------------------
- `acquire(name, holder, ttl)` grants the lease when nobody holds it or the last grant
  expired, and returns None while another holder's grant is live. A holder that already
  holds it gets it renewed (same token). Atomic against every other caller of the store.
- Every new grant of a name carries a larger `token` than any earlier grant of that name
  (a fencing token): work guarded by a lease passes the token along, so a holder that
  lost its lease (paused, partitioned) can be refused by what it writes to.
- `renew(lease, ttl)` extends a live grant and returns it; None when the grant was lost
  (expired, released, or taken by someone else meanwhile).
- `release(lease)` ends a live grant early; False when it was not (or no longer) held.
- Time comes from the store's clock (tests inject one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from symphony.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class Lease:
    """A grant: who holds `name`, its fencing token, and until when."""

    name: str
    holder: str
    token: int
    expires_at: datetime


class Leases(Protocol):
    """Named leases with a TTL (see the module docstring for the contract)."""

    @property
    def where(self) -> str:
        """Where the leases live, for messages."""
        ...

    async def acquire(self, name: str, holder: str, ttl: timedelta) -> Lease | None:
        """Take (or renew our own) lease on `name`; None while someone else holds it."""
        ...

    async def renew(self, lease: Lease, ttl: timedelta) -> Lease | None:
        """Extend a live grant; None when it was lost."""
        ...

    async def release(self, lease: Lease) -> bool:
        """End a live grant early; False when it was no longer held."""
        ...

    async def current(self, name: str) -> Lease | None:
        """The live grant on `name`, or None."""
        ...

    def close(self) -> None:
        """Release what the store opened."""
        ...


def check_lease_args(name: str, holder: str, ttl: timedelta) -> None:
    """Refuse empty names or holders and non-positive TTLs."""
    if not name or not holder:
        raise ValidationFailed("a lease needs a name and a holder")
    if ttl <= timedelta(0):
        raise ValidationFailed(f"a lease needs a positive ttl, got {ttl}")

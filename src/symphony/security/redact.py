"""The one redaction module for every text that leaves the process.

Logs, audit records, SSE events, the output contract's ``logs`` and ticket bodies all go
through a :class:`Redactor`. It masks PII (emails, phones, Luhn-valid card numbers, US
SSNs, IPv4/IPv6 addresses) and secrets (provider key shapes, tokens, JWTs, bearer
values, credentials in URLs and ``password=``-style assignments, and the literal values of
every configured key) with typed, readable masks such as ``[REDACTED:email]``.

Contract:

* ``redact`` is idempotent (existing masks are left alone) and never raises.
* Configured literal secrets (8+ characters) are masked first, longest first; then every
  rule of the pattern table, leftmost match first, repeated until nothing changes (see
  ``redact_patterns`` for the rules and the choices on ambiguous shapes such as version
  strings vs IPv4).
* ``max_len`` is a hard cap on the output length: longer text keeps its head and ends with
  ``…[truncated N chars]`` where N counts the dropped characters, so truncating twice is a
  no-op. A cap shorter than the suffix just cuts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import unquote

from symphony.security.redact_extra import EXTRA_RULES
from symphony.security.redact_patterns import (
    MASK_KINDS,
    MaskKind,
    Rule,
    Span,
    ascii_lower,
    luhn_ok,
    mask,
)
from symphony.security.redact_patterns import RULES as BASE_RULES

RULES: Final[tuple[Rule, ...]] = (*BASE_RULES, *EXTRA_RULES)

__all__ = [
    "MASK_KINDS",
    "RULES",
    "MaskKind",
    "RedactingFilter",
    "Redactor",
    "luhn_ok",
    "mask",
    "truncate",
]

MIN_SECRET_LEN: Final = 8
_IP_RULES: Final = frozenset({"ipv4", "ipv6"})
_MAX_ROUNDS: Final = 8
_DIGIT: Final = re.compile(r"\d", re.ASCII)
_MASK_ONLY: Final = rf"\[REDACTED:(?:{'|'.join(MASK_KINDS)})\]"
_SUFFIX: Final = "…[truncated {} chars]"


def truncate(text: str, max_len: int | None) -> str:
    """Cap ``text`` at ``max_len`` characters, ending with a ``…[truncated N chars]`` note."""
    if max_len is None or len(text) <= max_len:
        return text
    # The note's length depends on N, which depends on the note's length: take the
    # smallest digit count that fits (it always matches N exactly).
    overflow = len(text) - max_len + len(_SUFFIX) - 2
    width = 1
    while len(str(overflow + width)) > width:
        width += 1
    dropped = overflow + width
    keep = len(text) - dropped
    if keep < 0:
        return text[:max_len]
    return text[:keep] + _SUFFIX.format(dropped)


class Redactor:
    """Masks PII and secrets in text and JSON-like data; immutable and thread-safe."""

    def __init__(
        self,
        secrets: Iterable[str] = (),
        *,
        mask_ips: bool = True,
        max_len: int | None = None,
    ) -> None:
        if max_len is not None and max_len < 0:
            raise ValueError(f"max_len must be >= 0 or None, got {max_len}")
        kept = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_LEN}
        self._secrets: tuple[str, ...] = tuple(sorted(kept, key=lambda s: (-len(s), s)))
        self._mask_ips = mask_ips
        self._max_len = max_len
        self._rules = tuple(r for r in RULES if mask_ips or r.name not in _IP_RULES)
        self._literal: re.Pattern[str] | None = None
        if self._secrets:
            alternatives = "|".join(re.escape(s) for s in self._secrets)
            self._literal = re.compile(f"(?P<mask>{_MASK_ONLY})|{alternatives}")

    def __repr__(self) -> str:  # never print the secrets themselves
        return (
            f"Redactor(secrets={len(self._secrets)}, mask_ips={self._mask_ips}, "
            f"max_len={self._max_len})"
        )

    @property
    def max_len(self) -> int | None:
        """The output cap of :meth:`redact`, or None."""
        return self._max_len

    def with_secrets(self, secrets: Iterable[str]) -> Redactor:
        """Return a new redactor that also masks these literal secret values."""
        return Redactor((*self._secrets, *secrets), mask_ips=self._mask_ips, max_len=self._max_len)

    def redact(self, text: str) -> str:
        """Return ``text`` with every sensitive value masked, capped at ``max_len``."""
        return truncate(self._redact(text), self._max_len)

    def contains_sensitive(self, text: str) -> bool:
        """Return True when :meth:`redact` would mask something in ``text``."""
        return self._redact(text) != text

    def redact_obj(self, obj: object) -> object:
        """Return a deep copy of JSON-like data with every string value redacted (keys kept)."""
        if isinstance(obj, str):
            redacted = self.redact(obj)
            return obj if redacted == obj else redacted  # keeps str subclasses (enums)
        if isinstance(obj, dict):
            return {key: self.redact_obj(value) for key, value in obj.items()}
        if isinstance(obj, list):
            return [self.redact_obj(value) for value in obj]
        if isinstance(obj, tuple):
            return tuple(self.redact_obj(value) for value in obj)
        return obj

    def _redact(self, text: str) -> str:
        if self._literal is not None:
            text = self._literal.sub(_literal_replacement, text)
        # Masking can change a neighbour's context (a phone glued to an email becomes
        # visible once the email is a mask), so repeat to a fixed point: that is also what
        # makes redact() idempotent. Each round removes unmasked text, so it ends quickly.
        for _ in range(_MAX_ROUNDS):
            redacted = _apply(text, self._rules)
            if redacted == text:
                break
            text = redacted
        return text


def _apply(text: str, rules: tuple[Rule, ...]) -> str:
    spans = _collect(text, rules)
    if not spans:
        return text
    kept = [(start, end) for start, priority, end, _ in spans if priority == 0]
    if kept:  # nothing may rewrite part of an existing mask
        spans = [s for s in spans if s[1] == 0 or not _overlaps(s[0], s[2], kept)]
    spans.sort(key=lambda item: (item[0], item[1]))
    out: list[str] = []
    cursor = 0
    for start, _priority, end, replacement in spans:
        if start < cursor:
            continue  # overlaps a span already taken (leftmost wins, then rule order)
        out.append(text[cursor:start])
        out.append(replacement)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def _collect(text: str, rules: tuple[Rule, ...]) -> list[tuple[int, int, int, str]]:
    found: list[tuple[int, int, int, str]] = []
    has_digit: bool | None = None
    lowered: str | None = None
    for priority, rule in enumerate(rules):
        if rule.needs_digit:
            if has_digit is None:
                has_digit = _DIGIT.search(text) is not None
            if not has_digit:
                continue
        subject = text
        if rule.lower:
            lowered = ascii_lower(text) if lowered is None else lowered
            subject = lowered
        if rule.triggers:
            for trigger in rule.triggers:
                if trigger in subject:
                    break
            else:
                continue
        if rule.gate is not None and not rule.gate(text):
            continue
        for match in rule.regex.finditer(subject):
            found.extend(_ranked(rule.spans(match, text), priority))
    return found


def _overlaps(start: int, end: int, ranges: list[tuple[int, int]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in ranges)


def _ranked(spans: list[Span], priority: int) -> list[tuple[int, int, int, str]]:
    return [(start, priority, end, replacement) for start, end, replacement in spans]


def _literal_replacement(match: re.Match[str]) -> str:
    return match.group() if match.group("mask") is not None else mask("secret")


# Loggers whose formatter reads the record's args itself (so they must stay a tuple).
ARGS_FORMATTERS = frozenset({"uvicorn.access"})


class RedactingFilter(logging.Filter):
    """Handler filter: formats ``msg % args`` once, redacts and caps it, clears ``args``.

    Install it on every handler (records are shared, so the first handler that runs it
    cleans the record for the rest). Tracebacks and stack info are redacted, not capped.
    Running it twice on one record is harmless.
    """

    def __init__(
        self,
        redactor: Redactor | None = None,
        *,
        max_len: int | None = 4096,
        name: str = "",
    ) -> None:
        super().__init__(name)
        self.redactor = redactor if redactor is not None else Redactor()
        self.max_len = max_len

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops a record."""
        if record.name in ARGS_FORMATTERS and isinstance(record.args, tuple):
            # uvicorn's access formatter unpacks `args` (client, method, path, version,
            # status): keep their shape, redact and cap each text argument instead.
            # The path is percent-decoded first: alice%40example.com is still an email.
            record.args = tuple(
                truncate(self.redactor.redact(unquote(a)), self.max_len)
                if isinstance(a, str)
                else a
                for a in record.args
            )
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line or leak its args
            message = f"{record.msg!s} {record.args!r}"
        record.msg = truncate(self.redactor.redact(message), self.max_len)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        return True


_SECRETS_ONLY = Redactor(mask_ips=False)


def contains_secret(text: str) -> bool:
    """True when `text` holds something the redactor would mask as a secret (key, token)."""
    return mask("secret") in _SECRETS_ONLY.redact(text)

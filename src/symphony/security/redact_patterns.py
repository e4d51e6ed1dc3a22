"""The rule table behind ``symphony.security.redact``: patterns, triggers and validators.

Each rule is a regex compiled once, gated by cheap substring triggers, plus a validator
that turns a match into the spans to mask (or none: a card failing Luhn, an SSN with
area 000, a dotted quad after ``version``). The redactor collects every rule's spans,
keeps the leftmost (ties: earlier rule) and drops overlaps, so a rejected candidate never
hides a real one. Patterns start with a literal or a character class where they can
(lookbehinds come after the first character) so the regex engine skips ahead quickly.

Choices worth knowing (the tests pin them):

* Dotted quads are IPs only when every octet is <= 255, the quad is not part of a longer
  dotted run (``1.2.3.4.5``), not glued to a word, ``.`` or ``-`` (``v1.2.3.4``,
  ``pkg-1.2.3.4``), and not preceded by ``v``/``ver``/``version`` or a ``==``-style pin.
  A bare ``2.0.0.1`` is masked: it is ambiguous, and over-masking is the safe side.
* Loopback and unspecified addresses (``127.0.0.1``, ``0.0.0.0``, ``::1``) stay: they
  identify nobody and startup lines such as ``http://127.0.0.1:8787`` stay readable.
* IPv6 candidates must parse (``ipaddress``) and contain a digit; compressed forms need a
  group of 3+ hex digits (``fe80::1``), so ``10:00:00``, ``::1`` and ``a[1::2]`` stay.
* Card numbers: 13-19 digits with single spaces/dashes, first digit 2-6 (every major
  network; keeps millisecond epochs such as ``1760000400000`` readable), Luhn-valid.
  Longer digit runs are searched group by group for an embedded card.
* US phones need NANP shape (area and exchange start 2-9) and a ``(303) 555-0142``,
  ``303-555-0142`` or ``303.555.0142`` layout; space-only ``303 555 0142`` stays (metric
  tables look like that). International numbers need a leading ``+`` and 8-15 digits.
* Keyword rules (``Authorization:``, ``Bearer``, ``password=``/``api_key=``/``token=``…)
  mask only the value, and only a token-like one (8+ chars with a digit or inner capital),
  except after an explicit scheme (``Bearer x``) or a password key.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal

__all__ = [
    "MASK_KINDS",
    "RULES",
    "MaskKind",
    "Rule",
    "Span",
    "ascii_lower",
    "card_windows",
    "luhn_ok",
    "mask",
]

MaskKind = Literal["email", "phone", "card", "ssn", "ip", "iban", "secret"]
MASK_KINDS: Final[tuple[MaskKind, ...]] = ("email", "phone", "card", "ssn", "ip", "iban", "secret")
Span = tuple[int, int, str]  # start, end, replacement
Handler = Callable[[re.Match[str], str], list[Span]]

_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, so every index still points at the same character."""
    return text.lower() if text.isascii() else text.translate(_LOWER)


def mask(kind: MaskKind) -> str:
    """Return the readable mask for one kind, e.g. ``[REDACTED:email]``."""
    return f"[REDACTED:{kind}]"


def luhn_ok(digits: str) -> bool:
    """Return True when the ASCII digits (spaces and dashes ignored) pass the Luhn check."""
    cleaned = digits.replace(" ", "").replace("-", "")
    if not cleaned or not (cleaned.isascii() and cleaned.isdigit()):
        return False
    total = 0
    for index, char in enumerate(reversed(cleaned)):
        value = ord(char) - 48
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


@dataclass(frozen=True, slots=True)
class Rule:
    """One pattern. ``handler`` maps a match to spans to mask; ``[]`` rejects the match."""

    name: str
    kind: MaskKind
    pattern: str
    handler: Handler | None = None  # None: mask the whole match
    triggers: tuple[str, ...] = ()  # run only if one of these occurs (empty: always)
    needs_digit: bool = False
    lower: bool = False  # match against ascii_lower(text); spans index the original
    gate: Callable[[str], bool] | None = None  # extra cheap precondition on the text
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern, re.ASCII))

    def spans(self, match: re.Match[str], text: str) -> list[Span]:
        """Return the spans this match masks in ``text`` (empty when rejected)."""
        if self.handler is None:
            return [(match.start(), match.end(), mask(self.kind))]
        return self.handler(match, text)


def _group(match: re.Match[str], group: str, kind: MaskKind) -> list[Span]:
    return [(match.start(group), match.end(group), mask(kind))]


def _token_like(value: str) -> bool:
    # Real tokens carry digits or inner capitals; "authentication" or "expired" do not.
    if len(value) < 8:
        return False
    has_digit = any(c.isdigit() for c in value)
    mixed = any(c.islower() for c in value) and any(c.isupper() for c in value[1:])
    return has_digit or mixed


def _value(match: re.Match[str], text: str, group: str) -> str:
    return text[match.start(group) : match.end(group)]


def _auth_header(match: re.Match[str], text: str) -> list[Span]:
    if match.group("ah_scheme") is None and not _token_like(_value(match, text, "ah_v")):
        return []
    return _group(match, "ah_v", "secret")


def _bearer(match: re.Match[str], text: str) -> list[Span]:
    return _group(match, "br_v", "secret") if _token_like(_value(match, text, "br_v")) else []


_ENV_NAME: Final = re.compile(r"\$?[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", re.ASCII)


def _credential(match: re.Match[str], text: str) -> list[Span]:
    value = _value(match, text, "ca_v")
    if _ENV_NAME.fullmatch(value):  # `api_key=OPENAI_API_KEY` names a variable, not a key
        return []
    if not match.group("ca_k").startswith("passw") and not _token_like(value):
        return []
    return _group(match, "ca_v", "secret")


def _openai(match: re.Match[str], text: str) -> list[Span]:
    body = match.group()[3:]
    # Random keys have digits or capitals; a lowercase slug like "sk-learn-…" is prose.
    if any(c.isdigit() or c.isupper() for c in body):
        return [(match.start(), match.end(), mask("secret"))]
    return []


_VERSION_BEFORE: Final = re.compile(r"(?:\bv|\bver\.?|\bversion|[=~<>!]=)\s*[:=]?\s*$", re.I)


def _ipv4(match: re.Match[str], text: str) -> list[Span]:
    octets = [int(octet) for octet in match.group().split(".")]
    if any(octet > 255 for octet in octets) or octets[0] == 127 or not any(octets):
        return []  # not an address, or loopback/unspecified (identifies nobody)
    if _VERSION_BEFORE.search(text[max(0, match.start() - 16) : match.start()]):
        return []
    return [(match.start(), match.end(), mask("ip"))]


def _ipv6(match: re.Match[str], text: str) -> list[Span]:
    address = match.group().split("%", 1)[0]
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return []
    groups = [g for g in address.split(":") if g]
    plausible = any(c.isdigit() for c in address) and (
        "::" not in address or any(len(g) >= 3 for g in groups)
    )
    return [(match.start(), match.end(), mask("ip"))] if plausible else []


def _ssn(match: re.Match[str], text: str) -> list[Span]:
    area, group, serial = match.group("ssn_a", "ssn_g", "ssn_s")
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return []
    return [(match.start(), match.end(), mask("ssn"))]


_US_STRICT: Final = re.compile(
    r"(?:\((?P<a1>\d{3})\)[ .-]?(?P<e1>\d{3})[ .-]\d{4})"
    r"|(?:1[.-])?(?P<a2>\d{3})(?P<sep>[.-])(?P<e2>\d{3})(?P=sep)\d{4}",
    re.ASCII,
)


def _phone_us(match: re.Match[str], text: str) -> list[Span]:
    strict = _US_STRICT.fullmatch(match.group())
    if strict is None:
        return []
    area = strict.group("a1") or strict.group("a2")
    exchange = strict.group("e1") or strict.group("e2")
    if area[0] in "01" or exchange[0] in "01":
        return []
    return [(match.start(), match.end(), mask("phone"))]


def _phone_intl(match: re.Match[str], text: str) -> list[Span]:
    count = sum(c.isdigit() for c in match.group())
    return [(match.start(), match.end(), mask("phone"))] if 8 <= count <= 15 else []


_DIGIT_RUN: Final = re.compile(r"\d+", re.ASCII)


# Printed layouts a card number inside a longer digit run may have (group sizes).
_CARD_LAYOUTS: Final[tuple[tuple[int, ...], ...]] = (
    (4, 4, 4, 4, 3),
    (4, 4, 4, 4, 2),
    (4, 4, 4, 4, 1),
    (4, 4, 4, 4),
    (4, 6, 5),
)


def card_windows(span: str) -> list[tuple[int, int]]:
    """Return the (start, end) offsets of card numbers inside a run of digit groups.

    The whole run counts when it has 13-19 digits and one kind of separator; inside a
    longer or mixed run only a 13-19 digit group or a printed layout (4-4-4-4, 4-6-5…)
    does, so SSNs, dates and phone numbers next to each other do not add up to a card.
    """
    groups = [(m.start(), m.end()) for m in _DIGIT_RUN.finditer(span)]
    separators = {span[a[1] : b[0]] for a, b in itertools.pairwise(groups)}
    if len(separators) <= 1 and _is_card(span.replace(" ", "").replace("-", "")):
        return [(0, len(span))]
    found: list[tuple[int, int]] = []
    index = 0
    while index < len(groups):
        end = _card_from(span, groups, index)
        if end is None:
            index += 1
            continue
        found.append((groups[index][0], groups[end - 1][1]))
        index = end
    return found


def _is_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_ok(digits)


def _card_from(span: str, groups: list[tuple[int, int]], first: int) -> int | None:
    sizes = [end - start for start, end in groups[first : first + 5]]
    layouts: list[tuple[int, ...]] = [(sizes[0],)] if 13 <= sizes[0] <= 19 else []
    layouts.extend(_CARD_LAYOUTS)
    for layout in layouts:
        last = first + len(layout)
        if tuple(sizes[: len(layout)]) != layout:
            continue
        separators = {span[groups[i][1] : groups[i + 1][0]] for i in range(first, last - 1)}
        if len(separators) <= 1 and _is_card(span[groups[first][0] : groups[last - 1][1]]):
            return last
    return None


def _card(match: re.Match[str], text: str) -> list[Span]:
    base = match.start()
    return [(base + s, base + e, mask("card")) for s, e in card_windows(match.group())]


def _maybe_ipv6(text: str) -> bool:
    # "::" or a full eight-group address; plain timestamps (10:00:00) never get here.
    return "::" in text or text.count(":") >= 7


def _keep(match: re.Match[str], text: str) -> list[Span]:
    return [(match.start(), match.end(), match.group())]


_KEY_NAMES: Final = r"api[_-]?key|secret(?:[_-]?(?:access[_-]?)?key)?|token|passw(?:or)?d"
MASK_RULE: Final = Rule(
    "mask", "secret", rf"\[REDACTED:(?:{'|'.join(MASK_KINDS)})\]", _keep, ("[REDACTED:",)
)

RULES: Final[tuple[Rule, ...]] = (
    MASK_RULE,  # existing masks: kept verbatim, and nothing may overlap them
    Rule(
        "pem",
        "secret",
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[A-Za-z0-9+/=\s]*"
        r"(?:-----END[A-Z0-9 ]*PRIVATE KEY-----)?",
        triggers=("-----BEGIN",),
    ),
    Rule(
        "url_creds",
        "secret",
        r"://[^\s/:@\[\]]{1,256}:(?P<uc_pw>[^\s/@\[\]]{1,256})@",
        lambda m, _t: _group(m, "uc_pw", "secret"),
        ("@",),
    ),
    Rule(
        "slack_hook",
        "secret",
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]+",
        triggers=("hooks.slack.com",),
    ),
    Rule(
        "auth_header",
        "secret",
        r"authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
        r"(?:(?P<ah_scheme>bearer|basic|token|digest)[ \t]+)?(?P<ah_v>[^\s\"',;\[\]]+)",
        _auth_header,
        ("authoriz",),
        lower=True,
    ),
    Rule(
        "bearer",
        "secret",
        r"bearer(?<![a-z0-9_-]bearer)\s+(?P<br_v>[a-z0-9._~+/=-]{8,})",
        _bearer,
        ("bearer",),
        lower=True,
    ),
    Rule(
        "jwt",
        "secret",
        r"eyJ(?<![A-Za-z0-9_-]eyJ)[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
        triggers=("eyJ",),
    ),
    Rule("sk", "secret", r"sk-(?<![A-Za-z0-9_-]sk-)[A-Za-z0-9_-]{20,}", _openai, ("sk-",)),
    Rule(
        "github",
        "secret",
        r"g(?<![A-Za-z0-9_]g)(?:h[pousr]_[A-Za-z0-9]{20,}|ithub_pat_[A-Za-z0-9_]{20,})",
        triggers=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    Rule(
        "slack", "secret", r"xox(?<![A-Za-z0-9-]xox)[abeprs]-[A-Za-z0-9-]{10,}", triggers=("xox",)
    ),
    Rule(
        "aws",
        "secret",
        r"A(?<![A-Za-z0-9]A)(?:KIA|SIA)[A-Z0-9]{16}(?![A-Za-z0-9])",
        triggers=("AKIA", "ASIA"),
    ),
    Rule("google", "secret", r"AIza(?<![A-Za-z0-9_-]AIza)[A-Za-z0-9_-]{30,}", triggers=("AIza",)),
    Rule(
        "vendor",
        "secret",
        r"(?<![A-Za-z0-9_-])(?:xai-|pplx-|gsk_|hf_)[A-Za-z0-9]{20,}",
        triggers=("xai-", "pplx-", "gsk_", "hf_"),
    ),
    Rule(
        "credential",
        "secret",
        rf"(?P<ca_k>{_KEY_NAMES})[\"']?[ \t]*[:=][ \t]*[\"']?(?P<ca_v>[^\s\"',;&\[\]{{}}()<>]+)",
        _credential,
        ("key", "secret", "token", "passw"),
        lower=True,
    ),
    Rule(
        "email",
        "email",
        r"[A-Za-z0-9](?<![A-Za-z0-9._%+-][A-Za-z0-9])[A-Za-z0-9._%+-]*@"
        r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])",
        triggers=("@",),
    ),
    Rule(
        "ipv6",
        "ip",
        r"(?<![\w:.%])(?:[0-9A-Fa-f]{0,4}:){2,7}"
        r"(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?:%[A-Za-z0-9_-]+)?(?![\w:]|\.\d)",
        _ipv6,
        needs_digit=True,
        gate=_maybe_ipv6,
    ),
    Rule(
        "ipv4",
        "ip",
        r"\d(?<![\w.-]\d)\d{0,2}(?:\.\d{1,3}){3}(?![\w]|\.\d)",
        _ipv4,
        (".",),
        needs_digit=True,
    ),
    Rule(
        "ssn",
        "ssn",
        r"(?P<ssn_a>\d(?<![\w-]\d)\d\d)-(?P<ssn_g>\d\d)-(?P<ssn_s>\d{4})(?![\w-]|\.\d)",
        _ssn,
        ("-",),
        needs_digit=True,
    ),
    Rule(
        "card",
        "card",
        r"\d(?<![\w-]\d)(?<!\d[ -]\d)(?:[ -]?\d){12,}(?![ -]?\d|\w)",
        _card,
        needs_digit=True,
    ),
    Rule(
        "phone_paren",
        "phone",
        r"\((?<![\w+#/.-]\()\d{3}\)[ .-]?\d{3}[ .-]\d{4}(?![\w-]|\.\d)",
        _phone_us,
        ("(",),
        needs_digit=True,
    ),
    Rule(
        "phone_us",
        "phone",
        r"\d(?<![\w+#/.-]\d)\d{0,2}(?:[.-]\d{3,4}){2,3}(?![\w-]|\.\d)",
        _phone_us,
        ("-", "."),
        needs_digit=True,
    ),
    Rule(
        "phone_intl",
        "phone",
        r"\+(?<![\w+]\+)(?>[1-9]\d*)(?:[ .-]?\(?(?>\d+)\)?)*(?![\w]|[.-]\d)",
        _phone_intl,
        ("+",),
        needs_digit=True,
    ),
)

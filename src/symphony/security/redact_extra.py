"""More rules for ``symphony.security.redact``: IBANs, Stripe keys, more phone layouts.

Added after upstream error texts were found carrying them into the audit trail (issue 11):

* IBANs: two letters, two check digits and the BBAN, compact or printed in groups of four.
  Masked only when the country's registered length matches and the ISO 7064 mod-97 check
  passes, so an order number that merely looks like one stays readable.
* Stripe secret and restricted keys (``sk_live_``, ``sk_test_``, ``rk_live_``,
  ``rk_test_``) and webhook signing secrets (``whsec_``). Publishable keys (``pk_``) are
  public by design and stay.
* Phones: a NANP number written with spaces only (``303 555 0142``), unless it sits in a
  run of numbers (``p50 250 300 1200``: a metrics row, not a phone); and international
  numbers dialled with ``00`` instead of ``+`` (``0044 20 7946 0958``).

Names and street addresses have no structure to check and are not detected.
"""

from __future__ import annotations

import re
from typing import Final

from symphony.security.redact_patterns import Rule, Span, mask

__all__ = ["EXTRA_RULES", "IBAN_LENGTHS", "iban_ok"]

# ISO 13616 registry: country → IBAN length.
IBAN_LENGTHS: Final[dict[str, int]] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def iban_ok(value: str) -> bool:
    """True when `value` (no spaces) has its country's length and passes mod-97."""
    if IBAN_LENGTHS.get(value[:2]) != len(value) or not value[2:4].isdigit():
        return False
    rearranged = value[4:] + value[:4]
    try:
        numeric = "".join(str(int(c, 36)) for c in rearranged)
    except ValueError:
        return False
    return int(numeric) % 97 == 1


def _iban(match: re.Match[str], text: str) -> list[Span]:
    """Take exactly the country's length of characters (spaces skipped), then check."""
    raw = match.group()
    length = IBAN_LENGTHS.get(raw[:2])
    if length is None:
        return []
    taken, end = 0, 0
    for index, char in enumerate(raw):
        if char != " ":
            taken += 1
            if taken == length:
                end = index + 1
                break
    if not end or not iban_ok(raw[:end].replace(" ", "")):
        return []
    after = text[match.start() + end : match.start() + end + 1]
    if after.isalnum():  # glued to more characters: part of something longer
        return []
    return [(match.start(), match.start() + end, mask("iban"))]


def _nanp_spaced(match: re.Match[str], text: str) -> list[Span]:
    area, exchange = match.group("ps_a"), match.group("ps_e")
    if area[0] in "01" or exchange[0] in "01":
        return []
    return [(match.start(), match.end(), mask("phone"))]


def _intl_00(match: re.Match[str], text: str) -> list[Span]:
    count = sum(c.isdigit() for c in match.group()) - 2  # the 00 is the dialling prefix
    return [(match.start(), match.end(), mask("phone"))] if 8 <= count <= 15 else []


EXTRA_RULES: Final[tuple[Rule, ...]] = (
    Rule(
        "iban",
        "iban",
        r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]\d\d(?: ?[A-Z0-9]){11,30}",
        _iban,
        needs_digit=True,
    ),
    Rule(
        "stripe",
        "secret",
        r"(?<![A-Za-z0-9_])(?:[sr]k_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,})",
        triggers=("_live_", "_test_", "whsec_"),
    ),
    Rule(
        "phone_spaced",
        "phone",
        r"(?P<ps_a>\d(?<![\w+#/.-]\d)(?<!\d[ \t]\d)(?<!\d,[ \t]\d)\d\d) (?P<ps_e>\d{3}) \d{4}"
        r"(?![\w-]|\.\d|,? \d)",
        _nanp_spaced,
        (" ",),
        needs_digit=True,
    ),
    Rule(
        "phone_00",
        "phone",
        r"0(?<![\w+]0)0[1-9]\d{0,2}[ .-](?:\(?\d+\)?[ .-]?)*\d(?![\w]|[.-]\d)",
        _intl_00,
        ("00",),
        needs_digit=True,
    ),
)

"""Generated sensitive values for the redaction recall test (seeded, not hand-picked).

Every generator draws from a `random.Random` the test seeds, in the way a Faker provider
would: realistic shapes and layouts, random content. None of these values were used to
write the patterns; the recall figures in the README come from these generators.
"""

from __future__ import annotations

import ipaddress
import string
from collections.abc import Callable
from random import Random

from symphony.security.redact_patterns import luhn_ok

SYLLABLES = (
    "al", "be", "cor", "dan", "el", "fra", "gi", "ho", "is", "ja", "ka", "lu", "mi",
    "no", "or", "pe", "qui", "ra", "so", "ti", "ur", "vi", "wen", "xa", "yo", "ze",
)  # fmt: skip
TLDS = ("com", "org", "net", "io", "co.uk", "de", "fr", "dev", "travel", "museum", "com.au")
ALNUM = string.ascii_letters + string.digits
# IBAN lengths by country (ISO 13616 registry), and whether the BBAN has letters.
IBAN_LENGTHS = {"DE": 22, "GB": 22, "FR": 27, "NL": 18, "ES": 24, "IT": 27, "CH": 21,
                "BE": 16, "PL": 28, "AT": 20, "IE": 22, "PT": 25, "SE": 24, "NO": 15,
                "DK": 18, "FI": 18, "LU": 20, "CZ": 24, "HU": 28, "RO": 24, "GR": 27,
                "SA": 24, "AE": 23, "TR": 26, "BR": 29, "MT": 31}  # fmt: skip
IBAN_LETTERS = {"GB": 4, "NL": 4, "IE": 4, "RO": 4, "MT": 4, "IT": 1, "BR": 0}


def word(rng: Random, parts: int = 2) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts))


def email(rng: Random) -> str:
    first, last = word(rng, rng.randint(1, 3)), word(rng, rng.randint(1, 3))
    local = rng.choice([
        f"{first}.{last}", f"{first}_{last}", f"{first}{rng.randint(1, 999)}",
        f"{first}+{word(rng, 1)}", f"{first[0]}{last}", first.capitalize(),
    ])  # fmt: skip
    domain = ".".join(word(rng, rng.randint(1, 3)) for _ in range(rng.randint(1, 2)))
    return f"{local}@{domain}.{rng.choice(TLDS)}"


def _nanp(rng: Random) -> tuple[str, str, str]:
    area = f"{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}"
    exchange = f"{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}"
    return area, exchange, f"{rng.randint(0, 9999):04d}"


def phone(rng: Random) -> str:
    a, e, n = _nanp(rng)
    layouts = [
        f"({a}) {e}-{n}", f"({a}){e}-{n}", f"{a}-{e}-{n}", f"{a}.{e}.{n}", f"1-{a}-{e}-{n}",
        f"+1 {a} {e} {n}", f"+1 ({a}) {e}-{n}", f"+1-{a}-{e}-{n}", f"+1.{a}.{e}.{n}",
        f"{a} {e} {n}", f"+1{a}{e}{n}",
    ]  # fmt: skip
    return rng.choice(layouts)


def phone_intl(rng: Random) -> str:
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    layouts = [
        f"+44 20 {digits(4)} {digits(4)}", f"+44 7{digits(3)} {digits(6)}",
        f"+33 {rng.randint(1, 9)} {digits(2)} {digits(2)} {digits(2)} {digits(2)}",
        f"+49 30 {digits(8)}", f"+49 (0)30 {digits(7)}",
        f"+61 4{digits(2)} {digits(3)} {digits(3)}",
        f"+91 {rng.randint(6, 9)}{digits(4)} {digits(5)}", f"0044 20 {digits(4)} {digits(4)}",
        f"+81-3-{digits(4)}-{digits(4)}", f"+34 6{digits(2)} {digits(3)} {digits(3)}",
    ]  # fmt: skip
    return rng.choice(layouts)


def _luhn_complete(rng: Random, prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        if luhn_ok(body + check):
            return body + check
    raise AssertionError("unreachable")


def card(rng: Random) -> str:
    kind = rng.choice(["visa", "mc", "mc2", "amex", "discover"])
    prefix, length = {
        "visa": ("4", 16), "mc": (str(rng.randint(51, 55)), 16),
        "mc2": (str(rng.randint(2221, 2720)), 16), "amex": (rng.choice(["34", "37"]), 15),
        "discover": ("6011", 16),
    }[kind]  # fmt: skip
    number = _luhn_complete(rng, prefix, length)
    sep = rng.choice(["", " ", "-"])
    if length == 15:
        return sep.join((number[:4], number[4:10], number[10:]))
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


def ssn(rng: Random) -> str:
    area = rng.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def ipv4(rng: Random) -> str:
    while True:
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        if not (address.is_loopback or address.is_unspecified or address.is_multicast):
            return str(address)


def ipv6(rng: Random) -> str:
    address = ipaddress.IPv6Address((0x2001 << 112) | rng.getrandbits(112))
    return address.exploded if rng.random() < 0.3 else address.compressed


def _iban_check(country: str, bban: str) -> str:
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{98 - int(numeric) % 97:02d}"


def iban(rng: Random) -> str:
    country = rng.choice(sorted(IBAN_LENGTHS))
    length = IBAN_LENGTHS[country] - 4
    letters = IBAN_LETTERS.get(country, 0)
    bban = "".join(rng.choice(string.ascii_uppercase) for _ in range(letters))
    bban += "".join(rng.choice(string.digits) for _ in range(length - letters))
    value = country + _iban_check(country, bban) + bban
    if rng.random() < 0.5:  # the printed form: groups of four
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return value


def stripe(rng: Random) -> str:
    prefix = rng.choice(["sk_live_", "sk_test_", "rk_live_", "rk_test_"])
    return prefix + "".join(rng.choice(ALNUM) for _ in range(rng.choice([24, 34, 99])))


def provider_key(rng: Random) -> str:
    def token(k: int, alphabet: str = ALNUM) -> str:
        return "".join(rng.choice(alphabet) for _ in range(k))

    return rng.choice([
        "sk-proj-" + token(48), "sk-ant-api03-" + token(40), "ghp_" + token(36),
        "AKIA" + token(16, string.ascii_uppercase + string.digits), "AIza" + token(35),
        "xoxb-" + token(12, string.digits) + "-" + token(24), "hf_" + token(34),
    ])  # fmt: skip


# Every category: (generator, mask kind expected, structured: recall must be 100%).
CATEGORIES: dict[str, tuple[Callable[[Random], str], str, bool]] = {
    "email": (email, "email", True),
    "phone_us": (phone, "phone", True),
    "phone_intl": (phone_intl, "phone", True),
    "card": (card, "card", True),
    "ssn": (ssn, "ssn", True),
    "ipv4": (ipv4, "ip", True),
    "ipv6": (ipv6, "ip", True),
    "iban": (iban, "iban", True),
    "stripe_key": (stripe, "secret", True),
    "provider_key": (provider_key, "secret", True),
}
# Where such values turn up: upstream error text, operator notes, log lines.
TEMPLATES = (
    "upstream 400: invalid request for customer {v}",
    'provider said: {{"error": {{"message": "field contains {v}"}}}}',
    "note from ops: contact {v} before the window resets",
    "{v}",
    "retry failed (value={v}); giving up",
    "Call me: {v}, thanks",
)

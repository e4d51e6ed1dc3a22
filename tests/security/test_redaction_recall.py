"""Redaction recall on generated values: every structured category is masked 100%.

The values come from seeded generators (`redaction_values`), placed in texts such as an
upstream's error message or an operator's note. Run with `-s` to print the table the
README quotes. Names and street addresses are not detected (no structured shape to match);
this test does not claim them.
"""

from __future__ import annotations

from random import Random

import pytest
from redaction_values import CATEGORIES, TEMPLATES, iban

from symphony.security.redact import Redactor

SAMPLES = 300
SEED = 20261201


def recall(category: str) -> tuple[int, list[str]]:
    generate, kind, _ = CATEGORIES[category]
    rng = Random(f"{SEED}-{category}")
    redactor = Redactor()
    missed: list[str] = []
    for _ in range(SAMPLES):
        value = generate(rng)
        out = redactor.redact(rng.choice(TEMPLATES).format(v=value))
        if value in out or f"[REDACTED:{kind}]" not in out:
            missed.append(f"{value!r} -> {out!r}")
    return SAMPLES - len(missed), missed


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_structured_categories_have_full_recall(category: str) -> None:
    found, missed = recall(category)
    print(f"redaction recall {category}: {found}/{SAMPLES} = {found / SAMPLES:.1%}")
    if CATEGORIES[category][2]:
        assert not missed, f"{len(missed)} missed, e.g.:\n" + "\n".join(missed[:10])


def test_an_iban_with_a_wrong_check_digit_is_not_called_an_iban() -> None:
    rng = Random(SEED)
    redactor = Redactor()
    for _ in range(100):
        value = iban(rng).replace(" ", "")
        check = int(value[2:4])
        wrong = value[:2] + f"{(check + 1) % 97 + 2:02d}"[-2:] + value[4:]
        assert "[REDACTED:iban]" not in redactor.redact(f"ref {wrong} ok"), wrong


def test_text_around_the_values_stays_readable() -> None:
    out = Redactor().redact("refund to DE89 3704 0044 0532 0130 00 failed: sk_live_" + "a1B2" * 6)
    assert out == "refund to [REDACTED:iban] failed: [REDACTED:secret]"

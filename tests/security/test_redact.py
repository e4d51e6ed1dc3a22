"""Redaction: the corpus, configured keys, structures, truncation, logging, properties."""

from __future__ import annotations

import enum
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from symphony.security.redact import (
    MASK_KINDS,
    RedactingFilter,
    Redactor,
    luhn_ok,
    mask,
    truncate,
)

CORPUS: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent.parent / "fixtures" / "redaction_corpus.yml").read_text("utf-8")
)
POSITIVE: list[dict[str, Any]] = CORPUS["positive"]
NEGATIVE: list[str] = CORPUS["negative"]

OPENAI_KEY = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zEXAMPLE"


def _kinds(case: dict[str, Any]) -> list[str]:
    kind = case["kind"]
    return list(kind) if isinstance(kind, list) else [kind]


def test_corpus_is_large_enough() -> None:
    assert len(POSITIVE) >= 60
    assert len(NEGATIVE) >= 40
    assert {k for case in POSITIVE for k in _kinds(case)} == set(MASK_KINDS)


@pytest.mark.parametrize("case", POSITIVE, ids=[c["text"][:40] for c in POSITIVE])
def test_positive_case_leaves_no_sensitive_substring(case: dict[str, Any]) -> None:
    out = Redactor().redact(case["text"])
    for leak in case["leaks"]:
        assert leak not in out, f"{leak!r} survived in {out!r}"
    for kind in _kinds(case):
        assert f"[REDACTED:{kind}]" in out
    assert Redactor().contains_sensitive(case["text"])


@pytest.mark.parametrize("text", NEGATIVE, ids=[t[:40] for t in NEGATIVE])
def test_negative_case_is_byte_identical(text: str) -> None:
    assert Redactor().redact(text) == text
    assert not Redactor().contains_sensitive(text)


# --- configured provider keys ------------------------------------------------------------


def test_configured_key_values_are_masked_anywhere() -> None:
    local_key = "ollama-local-key-42"  # no recognisable shape: only the literal match finds it
    redactor = Redactor([local_key, "short"])
    out = redactor.redact(f"upstream said: invalid key '{local_key}' (prefix{local_key}x)")
    assert local_key not in out
    assert out.count("[REDACTED:secret]") == 2
    # Values under 8 characters are ignored so ordinary words survive.
    assert redactor.redact("a short shortcut") == "a short shortcut"


def test_longest_configured_key_wins() -> None:
    redactor = Redactor(["abcdefgh", "abcdefgh1234"])
    assert redactor.redact("k=abcdefgh1234!") == "k=[REDACTED:secret]!"


def test_with_secrets_returns_a_new_redactor() -> None:
    base = Redactor(["first-secret-value"], mask_ips=False, max_len=100)
    extended = base.with_secrets(["second-secret-value"])
    text = "first-secret-value second-secret-value 10.0.0.1"
    assert base.redact(text) == "[REDACTED:secret] second-secret-value 10.0.0.1"
    assert extended.redact(text) == "[REDACTED:secret] [REDACTED:secret] 10.0.0.1"
    assert extended.max_len == 100


def test_repr_never_shows_secrets() -> None:
    text = repr(Redactor(["super-secret-value"]))
    assert "super-secret-value" not in text
    assert "secrets=1" in text


def test_configured_key_that_looks_like_a_mask_keeps_existing_masks() -> None:
    redactor = Redactor(["REDACTED:secret"])
    assert redactor.redact("[REDACTED:secret]") == "[REDACTED:secret]"
    assert redactor.redact("x REDACTED:secret y") == "x [REDACTED:secret] y"


# --- structures ---------------------------------------------------------------------------


class Tier(enum.StrEnum):
    GOLD = "gold"


def test_redact_obj_copies_nested_data_and_keeps_keys() -> None:
    original: dict[str, Any] = {
        "user": {"email": "bob@example.com", "tier": Tier.GOLD},
        "attempts": [
            {"auth": f"Bearer {OPENAI_KEY}", "status": 200, "ok": True},
            ("10.0.0.1", 3.5, None),
        ],
        "bob@example.com": "keys stay as they are",
    }
    out = Redactor().redact_obj(original)
    assert out == {
        "user": {"email": "[REDACTED:email]", "tier": Tier.GOLD},
        "attempts": [
            {"auth": "Bearer [REDACTED:secret]", "status": 200, "ok": True},
            ("[REDACTED:ip]", 3.5, None),
        ],
        "bob@example.com": "keys stay as they are",
    }
    assert isinstance(out, dict)
    assert out["user"]["tier"] is Tier.GOLD  # unchanged strings keep their type
    assert original["user"]["email"] == "bob@example.com"  # input untouched
    assert out["attempts"] is not original["attempts"]


def test_redact_obj_passes_other_objects_through() -> None:
    marker = object()
    assert Redactor().redact_obj(marker) is marker
    assert Redactor().redact_obj(b"bob@example.com") == b"bob@example.com"


# --- options ------------------------------------------------------------------------------


def test_mask_ips_false_keeps_addresses_but_masks_the_rest() -> None:
    text = "from 10.0.0.1 and [2001:db8::1]:443 by bob@example.com"
    assert Redactor(mask_ips=False).redact(text) == (
        "from 10.0.0.1 and [2001:db8::1]:443 by [REDACTED:email]"
    )


def test_max_len_caps_output_and_counts_dropped_characters() -> None:
    text = "x" * 50 + " " + OPENAI_KEY + " " + "y" * 100
    out = Redactor(max_len=60).redact(text)
    assert len(out) == 60
    assert out.endswith("chars]")
    kept, note = out.split("…[truncated ")
    redacted_len = len(Redactor().redact(text))
    assert note == f"{redacted_len - len(kept)} chars]"
    assert "sk-proj" not in out  # redaction happens before the cut


def test_max_len_is_idempotent_and_leaves_short_text_alone() -> None:
    redactor = Redactor(max_len=40)
    once = redactor.redact("z" * 500)
    assert redactor.redact(once) == once
    assert redactor.redact("short") == "short"
    assert Redactor(max_len=0).redact("abc") == ""


def test_truncate_below_the_suffix_size_just_cuts() -> None:
    assert truncate("abcdefghijklmnopqrstuvwxyz" * 4, 5) == "abcde"
    assert truncate("abc", None) == "abc"
    wide = truncate("q" * 100_000, 30)
    assert len(wide) == 30
    assert wide.endswith(f"[truncated {100_000 - wide.index('…')} chars]")


def test_negative_max_len_is_refused() -> None:
    with pytest.raises(ValueError, match="max_len"):
        Redactor(max_len=-1)


# --- behaviours worth pinning ------------------------------------------------------------


def test_keyword_stays_and_only_the_token_is_masked() -> None:
    redactor = Redactor()
    assert redactor.redact("Authorization: Bearer abc123def456") == (
        "Authorization: Bearer [REDACTED:secret]"
    )
    assert redactor.redact("Authorization: abc123def456ghi") == ("Authorization: [REDACTED:secret]")
    assert redactor.redact("use bearer Tok3nValue99 here") == ("use bearer [REDACTED:secret] here")


def test_credentials_keep_variable_names_and_mask_values() -> None:
    redactor = Redactor()
    assert redactor.redact("api_key=OPENAI_API_KEY") == "api_key=OPENAI_API_KEY"
    assert redactor.redact("token: expired") == "token: expired"
    assert redactor.redact("token: Abc123xyz789") == "token: [REDACTED:secret]"
    assert redactor.redact('password: "pw"') == 'password: "[REDACTED:secret]"'


def test_glued_values_are_all_masked() -> None:
    assert Redactor().redact("bob@example.com+13035550142") == ("[REDACTED:email][REDACTED:phone]")


def test_existing_masks_are_left_alone() -> None:
    text = "[REDACTED:email] [REDACTED:card] Authorization: Bearer [REDACTED:secret]"
    assert Redactor().redact(text) == text
    assert not Redactor().contains_sensitive(text)


def test_text_without_triggers_is_returned_as_is() -> None:
    text = "routing decision made for tenant acme"
    assert Redactor().redact(text) is text


def test_contains_sensitive() -> None:
    assert Redactor().contains_sensitive("reach me at bob@example.com")
    assert not Redactor().contains_sensitive("reach me on the usual channel")
    assert not Redactor(mask_ips=False).contains_sensitive("from 10.0.0.1")


@pytest.mark.parametrize(
    ("digits", "ok"),
    [
        ("4111111111111111", True),
        ("4111 1111 1111 1111", True),
        ("4111-1111-1111-1111", True),
        ("378282246310005", True),
        ("4111111111111112", False),
        ("", False),
        ("41a1", False),
        ("٤١١١", False),  # non-ASCII digits are not card digits
        ("0", True),
    ],
)
def test_luhn_ok(digits: str, ok: bool) -> None:
    assert luhn_ok(digits) is ok


def test_mask_names_the_kind() -> None:
    assert [mask(k) for k in MASK_KINDS] == [
        "[REDACTED:email]",
        "[REDACTED:phone]",
        "[REDACTED:card]",
        "[REDACTED:ssn]",
        "[REDACTED:ip]",
        "[REDACTED:iban]",
        "[REDACTED:secret]",
    ]


# --- logging -------------------------------------------------------------------------------


@pytest.fixture
def redacting_caplog(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    filt = RedactingFilter(Redactor(["configured-key-0042"]))
    caplog.handler.addFilter(filt)
    caplog.set_level(logging.INFO, logger="symphony.test.redact")
    yield caplog
    caplog.handler.removeFilter(filt)


def test_logging_filter_redacts_formatted_message(
    redacting_caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("symphony.test.redact")
    log.info("user %s used key %s and %s", "bob@example.com", OPENAI_KEY, "configured-key-0042")
    (record,) = redacting_caplog.records
    assert record.getMessage() == (
        "user [REDACTED:email] used key [REDACTED:secret] and [REDACTED:secret]"
    )
    assert record.args == ()
    assert "bob@example.com" not in redacting_caplog.text
    assert OPENAI_KEY not in redacting_caplog.text


def test_logging_filter_caps_long_messages(redacting_caplog: pytest.LogCaptureFixture) -> None:
    logging.getLogger("symphony.test.redact").info("%s", "w" * 10_000)
    message = redacting_caplog.records[0].getMessage()
    assert len(message) == 4096
    assert message.endswith("chars]")


def test_logging_filter_redacts_tracebacks_and_stacks(
    redacting_caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("symphony.test.redact")
    try:
        raise ValueError(f"upstream rejected {OPENAI_KEY}")
    except ValueError:
        log.exception("call failed")
    log.info("stack follows", stack_info=True)  # the stack quotes this file's source lines
    assert "[REDACTED:secret]" in redacting_caplog.text
    assert "Ab3dEf6hIj9kLm2nOp5qRs8t" not in redacting_caplog.text


def test_logging_filter_formats_and_redacts_exception_info() -> None:
    try:
        raise RuntimeError(f"bad key {OPENAI_KEY}")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), exc_info)
    RedactingFilter().filter(record)
    assert record.exc_text is not None
    assert record.exc_text.endswith("RuntimeError: bad key [REDACTED:secret]")


def test_logging_filter_redacts_cached_exception_text() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), None)
    record.exc_text = f"Traceback: token {OPENAI_KEY}"
    assert RedactingFilter().filter(record)
    assert record.exc_text == "Traceback: token [REDACTED:secret]"


def test_logging_filter_survives_bad_format_strings(
    redacting_caplog: pytest.LogCaptureFixture,
) -> None:
    logging.getLogger("symphony.test.redact").info("count %d", "bob@example.com")
    message = redacting_caplog.records[0].getMessage()
    assert "bob@example.com" not in message
    assert message.startswith("count %d")


def test_logging_filter_twice_on_one_record_is_harmless() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", ("q" * 5000,), None)
    filt = RedactingFilter(max_len=100)
    filt.filter(record)
    first = record.getMessage()
    filt.filter(record)
    assert record.getMessage() == first
    assert len(first) == 100


# --- properties ----------------------------------------------------------------------------

_FRAGMENTS = [
    *(case["text"] for case in POSITIVE),
    *NEGATIVE,
    *"@.:-+()[]/ _=%#'\"\n",
    "::",
    "[REDACTED:",
    "[REDACTED:ip]",
    "Bearer ",
    "Authorization: ",
    "password=",
    "token=",
    "version ",
    "sk-",
    "eyJ",
    "4111",
    "1111 ",
    "303",
    "555-0142",
    "10.0.0.1",
    "example.com",
]
_TEXT = st.lists(
    st.one_of(
        st.sampled_from(_FRAGMENTS),
        st.text(alphabet="0123456789 -.:+@abcxyzEFG()[]", max_size=12),
        st.text(max_size=8),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(_TEXT)
def test_redact_is_idempotent_and_total(text: str) -> None:
    redactor = Redactor(["configured-key-0042"])
    once = redactor.redact(text)
    assert redactor.redact(once) == once
    assert redactor.contains_sensitive(once) is False


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_redact_never_raises_on_arbitrary_text(text: str) -> None:
    out = Redactor(max_len=64).redact(text)
    assert len(out) <= 64

"""The web and RAG settings: env names, defaults, and errors that name the variable."""

from __future__ import annotations

import pytest

from symphony.ingest.config import WebSettings, load_settings
from symphony.rag.config import RagSettings
from symphony.settings import SettingsError


def test_variables_are_named_by_subsystem() -> None:
    assert WebSettings.env_name("allow_private") == "SYMPHONY_WEB_ALLOW_PRIVATE"
    assert RagSettings.env_name("stale_after_s") == "SYMPHONY_RAG_STALE_AFTER_S"


def test_load_reads_both_from_the_environment() -> None:
    web, rag = load_settings(
        {
            "SYMPHONY_WEB_ALLOW_PRIVATE_TARGETS": "127.0.0.1:8080, [::1]:9000",
            "SYMPHONY_RAG_DEFAULT_K": "7",
        }
    )
    assert web.allow_private_targets == ("127.0.0.1:8080", "[::1]:9000")
    assert rag.default_k == 7
    assert load_settings({}) == (WebSettings(), RagSettings())


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"SYMPHONY_WEB_MAX_BYTES": "10"}, "SYMPHONY_WEB_MAX_BYTES"),
        ({"SYMPHONY_WEB_ROBOTS_TTL_S": "90000"}, "SYMPHONY_WEB_ROBOTS_TTL_S"),
        ({"SYMPHONY_WEB_ALLOW_PRIVATE_TARGETS": "localhost"}, "SYMPHONY_WEB_ALLOW_PRIVATE_TARGETS"),
        ({"SYMPHONY_WEB_ALLOW_PRIVATE": "maybe"}, "SYMPHONY_WEB_ALLOW_PRIVATE"),
        ({"SYMPHONY_RAG_CHUNK_OVERLAP_TOKENS": "500"}, "SYMPHONY_RAG_CHUNK_OVERLAP_TOKENS"),
    ],
)
def test_a_bad_value_names_its_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(environ)

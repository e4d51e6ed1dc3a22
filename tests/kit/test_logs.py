"""SYMPHONY_LOG_FORMAT=json: one JSON object per line, redacted like text lines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from symphony.governance.privacy import Privacy
from symphony.kit.logs import configure_logging

SECRET = "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0" * 2


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    logger = logging.getLogger()
    saved = (logger.handlers[:], logger.level)
    try:
        yield logger
    finally:
        logger.handlers, logger.level = saved[0], saved[1]


def test_json_lines_are_one_redacted_object_each(root: logging.Logger) -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)
    privacy = Privacy([SECRET])
    privacy.install_logging()
    try:
        log = logging.getLogger("symphony.test")
        log.info("upstream key %s refused\nsecond line", SECRET)
        log.debug("not at INFO")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed with %s", SECRET)
    finally:
        privacy.uninstall_logging()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2  # newlines inside a message or a traceback stay inside the object
    first, second = (json.loads(line) for line in lines)
    assert set(first) == {"ts", "level", "logger", "message"}
    assert first["level"] == "INFO"
    assert first["logger"] == "symphony.test"
    assert first["ts"].endswith("+00:00")
    assert first["message"].startswith("upstream key ")
    assert first["message"].endswith(" refused\nsecond line")
    assert SECRET not in stream.getvalue()
    assert second["level"] == "ERROR"
    assert "ValueError: boom" in second["exc"]


def test_text_stays_the_default_format(root: logging.Logger) -> None:
    stream = io.StringIO()
    configure_logging("WARNING", "text", stream)
    logging.getLogger("symphony.test").warning("plain")
    assert stream.getvalue().endswith(" WARNING symphony.test: plain\n")

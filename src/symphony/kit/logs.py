"""Process logging: text for people, or one JSON object per line for log shippers
(SYMPHONY_LOG_FORMAT=json). Redaction is a filter on the handler (governance/privacy), so it
applies to both formats."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import IO, Any

import orjson

__all__ = ["TEXT_FORMAT", "JsonFormatter", "configure_logging"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message"[, "exc"]}`: one object, one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry).decode()


def configure_logging(level: str, fmt: str, stream: IO[str] | None = None) -> logging.Handler:
    """One root handler in `fmt` ("text" | "json"); returns it (redaction filters attach
    to it when the service starts)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    return handler

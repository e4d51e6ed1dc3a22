"""A lenient server-sent-events decoder fed one raw line at a time."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SseDecoder", "SseEvent"]


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One dispatched event: its ``event:`` name (empty if none) and joined ``data:`` bytes."""

    event: str
    data: bytes


class SseDecoder:
    """Decode SSE per the HTML spec, tolerating what real LLM upstreams send.

    Blank lines without pending data are ignored, ``:`` comment lines (DeepSeek's
    ``: keep-alive``) are skipped, unknown fields are ignored, and an event still pending
    at end of stream is dispatched by ``flush`` rather than dropped.
    """

    __slots__ = ("_data", "_event")

    def __init__(self) -> None:
        self._event = ""
        self._data: list[bytes] = []

    def feed(self, line: bytes) -> SseEvent | None:
        """Consume one line (without its line ending); return an event when one completes."""
        if not line:
            return self.flush()
        if line[:1] == b":":
            return None
        field, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if field == b"data":
            self._data.append(value)
        elif field == b"event":
            self._event = value.decode("utf-8", "replace").strip()
        return None

    def flush(self) -> SseEvent | None:
        """Dispatch the pending event, if any."""
        if not self._data:
            self._event = ""
            return None
        data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
        event = SseEvent(self._event, data)
        self._event = ""
        self._data = []
        return event

"""Content negotiation for routes that can answer JSON or Server-Sent Events."""

from __future__ import annotations

JSON = "application/json"
SSE = "text/event-stream"


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value.strip())))
            except ValueError:
                return 0.0
    return 1.0


def _score(accept: str, media: str) -> float:
    """The quality `accept` gives `media`: the most specific matching range wins (RFC 9110)."""
    kind = media.split("/", 1)[0]
    best: tuple[int, float] = (-1, 0.0)
    for item in accept.split(","):
        head, *params = item.split(";")
        pattern = head.strip().lower()
        if pattern == media:
            specificity = 2
        elif pattern == f"{kind}/*":
            specificity = 1
        elif pattern == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[0]:
            best = (specificity, _quality(params))
    return best[1]


def prefers_json(accept: str | None) -> bool:
    """Whether a client that asked for a stream wants one JSON document instead.

    JSON only when `Accept` ranks `application/json` strictly above `text/event-stream`
    (`Accept: application/json`); no Accept, `*/*`, `text/event-stream`, or a tie keeps
    the stream, as before.
    """
    if not accept:
        return False
    return _score(accept, JSON) > _score(accept, SSE)

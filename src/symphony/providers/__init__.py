"""Provider adapters: one per wire protocol behind one small async interface.

Import concrete things from their modules (``symphony.providers.registry.make_provider``,
``symphony.providers.transport.AiohttpTransport``); the contract types are re-exported here.
"""

from symphony.providers.base import (
    ChatMessage,
    ChatRequest,
    Completion,
    Provider,
    StreamDelta,
    StreamEnd,
    StreamEvent,
    StreamStart,
    Usage,
)
from symphony.providers.errors import ErrorKind, ProviderError

__all__ = [
    "ChatMessage",
    "ChatRequest",
    "Completion",
    "ErrorKind",
    "Provider",
    "ProviderError",
    "StreamDelta",
    "StreamEnd",
    "StreamEvent",
    "StreamStart",
    "Usage",
]

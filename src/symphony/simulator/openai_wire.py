"""OpenAI chat-completions wire format (also Ollama's, xAI's, DeepSeek's… compatible surface)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from symphony.simulator.behave import openai_extras
from symphony.simulator.headers import go_duration
from symphony.simulator.text import Completion, content_text
from symphony.simulator.wire import LimitInfo, Parsed, Reply, as_int, json_response, sse_data

DONE = b"data: [DONE]\n\n"
_SERVER_ERRORS = {
    500: "The server had an error while processing your request. Sorry about that!",
    503: "The engine is currently overloaded, please try again later.",
}


def error_body(message: str, type_: str, code: str | None, param: str | None = None) -> Any:
    """OpenAI's error envelope."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def bad_request(message: str, param: str | None = None) -> web.Response:
    """A 400 invalid_request_error."""
    return json_response(400, error_body(message, "invalid_request_error", None, param))


def parse(body: Any) -> Parsed | web.Response:
    """Validate a chat-completions body; answer OpenAI's 400 shape when it is unusable."""
    if not isinstance(body, dict):
        return bad_request("We could not parse the JSON body of your request.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return bad_request("you must provide a model parameter", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return bad_request("Missing required parameter: 'messages'.", "messages")
    chars = 0
    last_user = ""
    for message in messages:
        if not isinstance(message, dict):
            continue
        text = content_text(message.get("content"))
        chars += len(text)
        if message.get("role") == "user":
            last_user = text
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    max_tokens = as_int(body.get("max_completion_tokens"))
    if max_tokens is None:
        max_tokens = as_int(body.get("max_tokens"))
    return Parsed(
        model=model,
        stream=body.get("stream") is True,
        include_usage=include_usage,
        last_user=last_user,
        prompt_chars=chars,
        max_tokens=max_tokens,
        extras=openai_extras(body),
    )


class OpenAIWire:
    """Render OpenAI chat completions, chunks and errors."""

    id_prefix = "chatcmpl-"
    serves = frozenset({"openai", "ollama"})
    retry_after_on_429 = True

    def __init__(self, name: str = "openai", fingerprint: str = "fp_simulator") -> None:
        self.name = name
        self.fingerprint = fingerprint

    def not_found(self, model: str) -> web.Response:
        message = f"The model `{model}` does not exist or you do not have access to it."
        return json_response(404, error_body(message, "invalid_request_error", "model_not_found"))

    def rate_limited(self, model: str, info: LimitInfo, headers: dict[str, str]) -> web.Response:
        unit = "requests per min (RPM)" if info.kind == "requests" else "tokens per min (TPM)"
        cap = info.cap if info.cap is not None else 0
        message = (
            f"Rate limit reached for {model} in organization org-simulator on {unit}: "
            f"Limit {cap}, Used {cap}, Requested 1. "
            f"Please try again in {go_duration(info.retry_after_s)}. "
            "Visit https://platform.openai.com/account/rate-limits to learn more."
        )
        body = error_body(message, info.kind, "rate_limit_exceeded")
        return json_response(429, body, headers)

    def server_error(self, status: int) -> web.Response:
        message = _SERVER_ERRORS.get(status, "The server had an error.")
        return json_response(status, error_body(message, "server_error", None))

    def invalid(self, message: str) -> web.Response:
        return bad_request(message)

    def no_credit(self) -> web.Response:
        message = (
            "You exceeded your current quota, please check your plan and billing details."
            " For more information on this error, read the docs:"
            " https://platform.openai.com/docs/guides/error-codes/api-errors."
        )
        body = error_body(message, "insufficient_quota", "insufficient_quota")
        return json_response(429, body)

    @staticmethod
    def _finish(c: Completion) -> str:
        if c.tool_calls:
            return "tool_calls"
        return "length" if c.truncated else "stop"

    def full(self, reply: Reply) -> bytes:
        choices = []
        for index, c in enumerate(reply.all):
            message: dict[str, Any] = {
                "role": "assistant",
                "content": c.text if not c.tool_calls else None,
                "refusal": None,
            }
            if c.tool_calls:
                message["tool_calls"] = [
                    {
                        "id": t.id,
                        "type": "function",
                        "function": {"name": t.name, "arguments": t.arguments},
                    }
                    for t in c.tool_calls
                ]
            choices.append(
                {
                    "index": index,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": self._finish(c),
                }
            )
        c = reply.completion
        return orjson.dumps(
            {
                "id": reply.id,
                "object": "chat.completion",
                "created": reply.created,
                "model": reply.model,
                "system_fingerprint": self.fingerprint,
                "choices": choices,
                "usage": {
                    "prompt_tokens": c.prompt_tokens,
                    "completion_tokens": reply.completion_tokens,
                    "total_tokens": c.prompt_tokens + reply.completion_tokens,
                },
            }
        )

    def events(self, reply: Reply) -> list[bytes]:
        usage_field: dict[str, Any] = {"usage": None} if reply.include_usage else {}

        def chunk(index: int, delta: dict[str, Any], finish: str | None) -> bytes:
            return sse_data(
                {
                    "id": reply.id,
                    "object": "chat.completion.chunk",
                    "created": reply.created,
                    "model": reply.model,
                    "system_fingerprint": self.fingerprint,
                    "choices": [
                        {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
                    ],
                    **usage_field,
                }
            )

        out = []
        for index, c in enumerate(reply.all):
            out.append(chunk(index, {"role": "assistant", "content": "", "refusal": None}, None))
            out.extend(chunk(index, {"content": piece}, None) for piece in c.pieces)
            for n, call in enumerate(c.tool_calls):
                head = {
                    "index": n,
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": ""},
                }
                out.append(chunk(index, {"tool_calls": [head]}, None))
                out.extend(
                    chunk(index, {"tool_calls": [{"index": n, "function": {"arguments": p}}]}, None)
                    for p in call.pieces
                )
            out.append(chunk(index, {}, self._finish(c)))
        if reply.include_usage:
            c = reply.completion
            out.append(
                sse_data(
                    {
                        "id": reply.id,
                        "object": "chat.completion.chunk",
                        "created": reply.created,
                        "model": reply.model,
                        "system_fingerprint": self.fingerprint,
                        "choices": [],
                        "usage": {
                            "prompt_tokens": c.prompt_tokens,
                            "completion_tokens": reply.completion_tokens,
                            "total_tokens": c.prompt_tokens + reply.completion_tokens,
                        },
                    }
                )
            )
        out.append(DONE)
        return out


def models_list(models: dict[str, tuple[str, int]]) -> Any:
    """`GET /v1/models` body: name → (owner, created)."""
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": created, "owned_by": owner}
            for name, (owner, created) in models.items()
        ],
    }

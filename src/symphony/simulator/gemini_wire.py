"""Gemini generateContent wire format: body, SSE stream, and google.rpc error details."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

from symphony.simulator.behave import gemini_extras
from symphony.simulator.text import Completion, content_text
from symphony.simulator.wire import LimitInfo, Parsed, Reply, as_int, json_response, sse_data

RATE_DOC = "https://ai.google.dev/gemini-api/docs/rate-limits"
_SERVER_ERRORS = {
    500: (
        "INTERNAL",
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    ),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
}


def error(code: int, status: str, message: str, details: list[Any] | None = None) -> Any:
    """google.rpc.Status as Gemini renders it."""
    err: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        err["details"] = details
    return {"error": err}


def proto_duration(seconds: float) -> str:
    """Protobuf Duration JSON (`38s`, `38.5s`, up to 9 fractional digits)."""
    text = f"{max(0.0, seconds):.9f}".rstrip("0").rstrip(".")
    return f"{text}s"


def check_key(headers: Mapping[str, str], query: Mapping[str, str]) -> web.Response | None:
    """403 PERMISSION_DENIED when neither `x-goog-api-key` nor `?key=` is given."""
    if headers.get("x-goog-api-key") or query.get("key"):
        return None
    message = (
        "Method doesn't allow unregistered callers (callers without established identity). "
        "Please use API Key or other form of API consumer identity to call this API."
    )
    return json_response(403, error(403, "PERMISSION_DENIED", message))


def bad_request(message: str) -> web.Response:
    return json_response(400, error(400, "INVALID_ARGUMENT", message))


def parse(model: str, body: Any, stream: bool) -> Parsed | web.Response:
    """Validate a GenerateContentRequest; answer Gemini's 400 shape when it is unusable."""
    if not isinstance(body, dict):
        return bad_request("Invalid JSON payload received.")
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return bad_request("* GenerateContentRequest.contents: contents is not specified\n")
    chars = 0
    system = body.get("systemInstruction") or body.get("system_instruction")
    if isinstance(system, dict):
        chars += len(content_text(system.get("parts")))
    last_user = ""
    for item in contents:
        if not isinstance(item, dict):
            continue
        text = content_text(item.get("parts"))
        chars += len(text)
        if item.get("role", "user") == "user":
            last_user = text
    config = body.get("generationConfig") or body.get("generation_config")
    max_tokens = as_int(config.get("maxOutputTokens")) if isinstance(config, dict) else None
    return Parsed(
        model=model,
        stream=stream,
        include_usage=True,
        last_user=last_user,
        prompt_chars=chars,
        max_tokens=max_tokens,
        extras=gemini_extras(body),
    )


class GeminiWire:
    """Render GenerateContentResponses, SSE chunks and errors."""

    name = "gemini"
    id_prefix = "sim"
    serves = frozenset({"gemini"})
    retry_after_on_429 = False  # Gemini sends the delay in RetryInfo, not a header

    def not_found(self, model: str) -> web.Response:
        message = (
            f"models/{model} is not found for API version v1beta, or is not supported for "
            "generateContent. Call ListModels to see the list of available models and their "
            "supported methods."
        )
        return json_response(404, error(404, "NOT_FOUND", message))

    def rate_limited(self, model: str, info: LimitInfo, headers: dict[str, str]) -> web.Response:
        per = "PerDay" if info.window_s >= 86400 else "PerMinute"
        if info.kind == "requests":
            metric = "generativelanguage.googleapis.com/generate_content_free_tier_requests"
            quota_id = f"GenerateRequests{per}PerProjectPerModel-FreeTier"
        else:
            metric = (
                "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count"
            )
            quota_id = f"GenerateContentInputTokensPerModel{per}-FreeTier"
        delay = proto_duration(round(info.retry_after_s, 3))
        message = (
            "You exceeded your current quota, please check your plan and billing details. "
            f"For more information on this error, head to: {RATE_DOC}. "
            f"Please retry in {delay}."
        )
        violation = {
            "quotaMetric": metric,
            "quotaId": quota_id,
            "quotaDimensions": {"location": "global", "model": model},
            "quotaValue": str(info.cap if info.cap is not None else 0),
        }
        details = [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [violation]},
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [{"description": "Learn more about Gemini API quotas", "url": RATE_DOC}],
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay},
        ]
        body = error(429, "RESOURCE_EXHAUSTED", message, details)
        return json_response(429, body, headers)

    def server_error(self, status: int) -> web.Response:
        name, message = _SERVER_ERRORS.get(status, ("INTERNAL", "Internal error encountered."))
        return json_response(status, error(status, name, message))

    def invalid(self, message: str) -> web.Response:
        return bad_request(message)

    def no_credit(self) -> web.Response:
        message = "You exceeded your current quota, please check your plan and billing details."
        return json_response(429, error(429, "RESOURCE_EXHAUSTED", message))

    @staticmethod
    def _usage(reply: Reply) -> dict[str, int]:
        c = reply.completion
        return {
            "promptTokenCount": c.prompt_tokens,
            "candidatesTokenCount": reply.completion_tokens,
            "totalTokenCount": c.prompt_tokens + reply.completion_tokens,
        }

    @staticmethod
    def _finish(c: Completion) -> str:
        return "MAX_TOKENS" if c.truncated else "STOP"

    def _response(self, reply: Reply, parts: list[list[Any]], finish: bool, usage: bool) -> Any:
        candidates = []
        for index, (c, cparts) in enumerate(zip(reply.all, parts, strict=True)):
            candidate: dict[str, Any] = {
                "content": {"role": "model", "parts": cparts},
                "index": index,
            }
            if finish:
                candidate["finishReason"] = self._finish(c)
            candidates.append(candidate)
        body: dict[str, Any] = {"candidates": candidates}
        if usage:
            body["usageMetadata"] = self._usage(reply)
        body["modelVersion"] = reply.model
        body["responseId"] = reply.id
        return body

    @staticmethod
    def _calls(c: Completion) -> list[Any]:
        return [
            {"functionCall": {"name": t.name, "args": orjson.loads(t.arguments)}}
            for t in c.tool_calls
        ]

    def full(self, reply: Reply) -> bytes:
        parts = [
            ([{"text": c.text}] if c.text or not c.tool_calls else []) + self._calls(c)
            for c in reply.all
        ]
        return orjson.dumps(self._response(reply, parts, finish=True, usage=True))

    def events(self, reply: Reply) -> list[bytes]:
        """One chunk per word of the longest choice; tool calls come whole in the last."""
        streams = [c.pieces or ([] if c.tool_calls else [""]) for c in reply.all]
        count = max(1, *(len(p) for p in streams))
        out = []
        for n in range(count):
            last = n == count - 1
            parts = [
                ([{"text": p[n]}] if n < len(p) else []) + (self._calls(c) if last else [])
                for c, p in zip(reply.all, streams, strict=True)
            ]
            out.append(sse_data(self._response(reply, parts, finish=last, usage=last)))
        return out

    def json_array(self, reply: Reply) -> bytes:
        """`streamGenerateContent` without `alt=sse`: one JSON array of responses."""
        chunks = [event[len(b"data: ") :].rstrip(b"\n") for event in self.events(reply)]
        return b"[" + b",\n".join(chunks) + b"]"


def models_list(names: list[str], embedding: frozenset[str] = frozenset()) -> Any:
    """`GET /v1beta/models` body (`embedding`: the names that only embed)."""
    return {
        "models": [
            {
                "name": f"models/{name}",
                "displayName": name,
                "supportedGenerationMethods": ["embedContent", "batchEmbedContents"]
                if name in embedding
                else ["generateContent", "streamGenerateContent"],
            }
            for name in names
        ]
    }

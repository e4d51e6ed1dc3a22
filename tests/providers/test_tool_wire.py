"""Tool calls, several choices and JSON modes in each adapter, against documented wire shapes
(respx + httpx): what is sent for the neutral request, and what is read back."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
import respx

from symphony.providers.base import (
    ChatMessage,
    ChatRequest,
    StreamDelta,
    StreamEnd,
    StreamToolCall,
)
from symphony.providers.chat import ChatOptions, ResponseFormat, Tool, ToolCall, ToolChoice
from symphony.providers.gemini import gemini_schema
from symphony.providers.registry import make_provider
from symphony.providers.transport import HttpxTransport

BASE = "http://127.0.0.1:4200"
TOOL = Tool(
    "get_weather",
    "Weather",
    {"type": "object", "properties": {"city": {"type": ["string", "null"]}}, "required": ["city"]},
)
HISTORY = (
    ChatMessage("system", "Be brief."),
    ChatMessage("user", "Paris?"),
    ChatMessage(
        "assistant", "", tool_calls=(ToolCall("call_1", "get_weather", '{"city":"Paris"}'),)
    ),
    ChatMessage("tool", '{"temp": 18}', tool_call_id="call_1"),
)


def sse(*chunks: Any, event: bool = False) -> bytes:
    out = b""
    for chunk in chunks:
        if event:
            out += b"event: " + chunk["type"].encode() + b"\n"
        out += b"data: " + (chunk if isinstance(chunk, bytes) else orjson.dumps(chunk)) + b"\n\n"
    return out


async def collect(protocol: str, url: str, req: ChatRequest, body: bytes) -> list[Any]:
    async with httpx.AsyncClient() as client, respx.mock:
        respx.post(url).mock(
            return_value=httpx.Response(
                200, content=body, headers={"content-type": "text/event-stream"}
            )
        )
        provider = make_provider(protocol, BASE, "k", HttpxTransport(client))
        return [e async for e in provider.stream(req)]


async def test_openai_stream_with_two_tool_calls_and_two_choices() -> None:
    def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"choices": [{"index": index, "delta": delta, "finish_reason": finish}]}

    body = sse(
        chunk(0, {"role": "assistant", "content": ""}),
        chunk(0, {"tool_calls": [{"index": 0, "id": "a", "type": "function",
                                  "function": {"name": "f", "arguments": ""}}]}),
        chunk(0, {"tool_calls": [{"index": 1, "id": "b", "type": "function",
                                  "function": {"name": "g", "arguments": '{"x"'}}]}),
        chunk(0, {"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}),
        chunk(0, {"tool_calls": [{"index": 1, "function": {"arguments": ":1}"}}]}),
        chunk(1, {"content": "second"}),
        chunk(0, {}, "tool_calls"),
        chunk(1, {}, "stop"),
        {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 9}},
        b"[DONE]",
    )  # fmt: skip
    req = ChatRequest("m", (ChatMessage("user", "hi"),), options=ChatOptions(n=2, tools=(TOOL,)))
    events = await collect("openai", f"{BASE}/chat/completions", req, body)
    pieces = [e for e in events if isinstance(e, StreamToolCall)]
    assert [(p.index, p.id, p.name) for p in pieces[:2]] == [(0, "a", "f"), (1, "b", "g")]
    assert StreamDelta("second", 1) in events
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.finish_reason == "tool_calls"
    first, second = end.choices
    assert first.tool_calls == (ToolCall("a", "f", "{}"), ToolCall("b", "g", '{"x":1}'))
    assert (second.text, second.finish_reason) == ("second", "stop")


async def test_anthropic_request_and_streamed_tool_use() -> None:
    req = ChatRequest(
        "claude",
        HISTORY,
        options=ChatOptions(
            tools=(TOOL,), tool_choice=ToolChoice("required"), parallel_tool_calls=False
        ),
    )
    start = {"type": "message_start", "message": {"usage": {"input_tokens": 9, "output_tokens": 1}}}
    USE = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}
    body = sse(
        start,
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Ok"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": USE},
        {"type": "content_block_delta", "index": 1,
         "delta": {"type": "input_json_delta", "partial_json": '{"city":'}},
        {"type": "content_block_delta", "index": 1,
         "delta": {"type": "input_json_delta", "partial_json": '"Oslo"}'}},
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"},
         "usage": {"output_tokens": 12}},
        {"type": "message_stop"},
        event=True,
    )  # fmt: skip
    async with httpx.AsyncClient() as client, respx.mock:
        route = respx.post(f"{BASE}/v1/messages").mock(
            return_value=httpx.Response(200, content=body)
        )
        provider = make_provider("anthropic", BASE, "k", HttpxTransport(client))
        events = [e async for e in provider.stream(req)]
        sent = orjson.loads(route.calls.last.request.content)
    assert sent["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert sent["messages"][1]["content"][0]["type"] == "tool_use"
    assert sent["messages"][2]["content"][0]["tool_use_id"] == "call_1"
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.finish_reason == "tool_calls"
    assert end.choices[0].text == "Ok"
    assert end.choices[0].tool_calls == (ToolCall("toolu_1", "get_weather", '{"city":"Oslo"}'),)


async def test_anthropic_json_mode_is_a_forced_tool_read_back_as_text() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    req = ChatRequest(
        "claude",
        (ChatMessage("user", "hi"),),
        options=ChatOptions(response_format=ResponseFormat("json_schema", "r", schema)),
    )
    answer = {
        "content": [{"type": "tool_use", "id": "t", "name": "symphony_json_response",
                     "input": {"a": 1}}],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 3, "output_tokens": 4},
    }  # fmt: skip
    async with httpx.AsyncClient() as client, respx.mock:
        route = respx.post(f"{BASE}/v1/messages").mock(
            return_value=httpx.Response(200, json=answer)
        )
        provider = make_provider("anthropic", BASE, "k", HttpxTransport(client))
        done = await provider.complete(req)
        sent = orjson.loads(route.calls.last.request.content)
    assert sent["tool_choice"] == {"type": "tool", "name": "symphony_json_response"}
    assert sent["tools"][0]["input_schema"] == schema
    assert (done.text, done.finish_reason) == ('{"a":1}', "stop")
    assert done.choices[0].tool_calls == ()


async def test_gemini_request_and_function_call_answer() -> None:
    req = ChatRequest(
        "gemini-2.5-pro",
        HISTORY,
        options=ChatOptions(
            tools=(TOOL,),
            tool_choice=ToolChoice("function", "get_weather"),
            response_format=ResponseFormat("json_object"),
            n=2,
            seed=4,
        ),
    )
    CALL = {"name": "get_weather", "args": {"city": "X"}}
    answer = {
        "candidates": [
            {"index": 0, "finishReason": "STOP", "content": {"parts": [{"functionCall": CALL}]}},
            {"index": 1, "finishReason": "STOP", "content": {"parts": [{"text": "other"}]}},
        ],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 7},
    }  # fmt: skip
    async with httpx.AsyncClient() as client, respx.mock:
        route = respx.post(f"{BASE}/models/gemini-2.5-pro:generateContent").mock(
            return_value=httpx.Response(200, json=answer)
        )
        provider = make_provider("gemini", BASE, "k", HttpxTransport(client))
        done = await provider.complete(req)
        sent = orjson.loads(route.calls.last.request.content)
    assert sent["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert sent["contents"][1] == {
        "role": "model",
        "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}],
    }
    assert sent["contents"][2]["parts"][0] == {
        "functionResponse": {"name": "get_weather", "response": {"temp": 18}}
    }
    assert sent["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}
    }
    declared = sent["tools"][0]["functionDeclarations"][0]["parameters"]
    assert declared["properties"]["city"] == {"type": "string", "nullable": True}
    config = sent["generationConfig"]
    assert (config["candidateCount"], config["seed"]) == (2, 4)
    assert config["responseMimeType"] == "application/json"
    assert done.finish_reason == "tool_calls"
    assert done.choices[0].tool_calls[0].name == "get_weather"
    assert done.choices[1].text == "other"


def test_gemini_schema_refuses_references() -> None:
    with pytest.raises(ValueError, match=r"\$ref"):
        gemini_schema({"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}})
    assert gemini_schema({"type": "object", "additionalProperties": False}) == {"type": "object"}

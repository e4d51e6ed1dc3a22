"""The OpenAPI document declares every request and response, and the contract check holds
the app to it (a response its route does not declare fails the test that received it)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from contract_check import Contract, check_response, contract_for
from symphony.api.hotpath import HOT_PATH

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
ERROR_BODIES = {
    "ErrorBody",
    "OpenAIErrorBody",
    "AnthropicErrorBody",
    "NoEligibleModelBody",
    "UpstreamFailedBody",
}


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if method in HTTP_METHODS
    ]


def body_taking(app: Any) -> set[tuple[str, str]]:
    """(method, documented path) of every operation that reads a request body."""
    found = {("post", HOT_PATH)}  # the hot path reads its own body (a raw Request)
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema and route.body_field:
            found |= {(m.lower(), context.path_format) for m in route.methods}
    return found


def ref_name(media: dict[str, Any]) -> str:
    return str(media.get("schema", {}).get("$ref", "")).rsplit("/", 1)[-1]


async def test_every_operation_declares_its_request_and_every_response(harness: Any) -> None:
    doc = (await harness.client.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    takes_body = body_taking(harness.app)
    problems: list[str] = []
    for method, path, op in operations(doc):
        where = f"{method.upper()} {path}"
        responses = op["responses"]
        if (method, path) in takes_body:
            media = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            if ref_name(media) not in schemas:
                problems.append(f"{where}: no request body schema")
            for status in ("400", "413"):
                if status not in responses:
                    problems.append(f"{where}: {status} for a bad body is not declared")
        if "429" not in responses:
            problems.append(f"{where}: the rate limiter's 429 is not declared")
        if op["security"] and "401" not in responses:
            problems.append(f"{where}: protected but 401 is not declared")
        for status, response in responses.items():
            content = response.get("content") or {}
            if not content:
                problems.append(f"{where} {status}: no content declared")
            for media_type, media in content.items():
                if media_type == "application/json":
                    name = ref_name(media)
                    if name not in schemas:
                        problems.append(f"{where} {status}: no schema for its JSON body")
                    elif status >= "400" and name not in ERROR_BODIES | {"ReloadOutcome"}:
                        problems.append(f"{where} {status}: {name} is not an error body")
                elif media_type == "text/event-stream":
                    if not media.get("x-sse-events"):
                        problems.append(f"{where} {status}: SSE events are not declared")
                elif media.get("schema", {}).get("type") != "string":
                    problems.append(f"{where} {status}: {media_type} has no schema")
    assert not problems, "\n".join(problems)
    assert "HTTPValidationError" not in schemas  # FastAPI's 422 shape is not what we send


async def test_security_schemes_and_public_operations(harness: Any) -> None:
    doc = (await harness.client.get("/openapi.json")).json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "apiKey", "in": "header"}
    assert schemes["apiKey"]["name"] == "x-api-key"
    security = {f"{m.upper()} {p}": op["security"] for m, p, op in operations(doc)}
    public = {"GET /status/health.json", "GET /console"}  # /metrics: a key or scrape token
    assert {k for k, v in security.items() if v == []} == public
    keyed = [{"bearer": []}, {"apiKey": []}]
    assert all(v == keyed for k, v in security.items() if k not in public)


async def test_chat_completions_request_body_is_openais(harness: Any) -> None:
    doc = (await harness.client.get("/openapi.json")).json()
    body = doc["paths"]["/v1/chat/completions"]["post"]["requestBody"]
    assert body["required"] is True
    schema = doc["components"]["schemas"][ref_name(body["content"]["application/json"])]
    assert set(schema["required"]) == {"model", "messages"}
    assert {"stream", "max_tokens", "temperature", "stream_options"} <= set(schema["properties"])


def examples(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
    out = []
    for method, path, op in operations(doc):
        for status, response in op["responses"].items():
            media = response.get("content", {}).get("application/json", {})
            if "example" in media:
                out.append((f"{method.upper()} {path} {status}", media["schema"], media["example"]))
    return out


async def test_every_documented_example_matches_its_schema(harness: Any) -> None:
    contract = contract_for(harness.app)
    found = examples(contract.doc)
    assert len(found) >= 20
    problems = [
        f"{where}: {error.message} at /{'/'.join(map(str, error.instance_path))}"
        for where, schema, example in found
        for error in contract.validator(schema).iter_errors(example)
    ]
    assert not problems, "\n".join(problems)


# --- the contract check itself fails on what its route does not declare ----------------


@pytest.fixture
async def contract(harness: Any) -> Contract:
    return contract_for(harness.app)


PLAN = {"task": "qa", "input": "hi"}


async def test_a_real_plan_conforms_and_a_changed_one_does_not(harness: Any) -> None:
    contract = contract_for(harness.app)
    response = await harness.client.post("/route/plan", json=PLAN)
    body = response.json()
    ok = check_response(contract, "POST", "/route/plan", 200, "application/json", response.content)
    assert ok == []

    def broken(change: Any) -> list[str]:
        import orjson

        copy = orjson.loads(response.content)
        change(copy)
        return check_response(contract, "POST", "/route/plan", 200, "application/json",
                              orjson.dumps(copy))  # fmt: skip

    assert body["candidates"]
    extra = broken(lambda b: b["candidates"][0].update(surprise=1))
    assert "surprise" in extra[0]
    assert "POST /route/plan -> 200" in extra[0]
    missing = broken(lambda b: b["decision"].pop("fallbacks"))
    assert "fallbacks" in missing[0]
    wrong_type = broken(lambda b: b["candidates"][0].update(score="high"))
    assert wrong_type
    unknown_code = broken(
        lambda b: b["candidates"][0].update(deny_reasons=[{"code": "nope", "detail": "x"}])
    )
    assert unknown_code


def test_an_undeclared_status_or_content_type_fails(contract: Contract) -> None:
    body = b'{"error": {"code": "teapot", "message": "no"}}'
    teapot = check_response(contract, "POST", "/route/plan", 418, "application/json", body)
    assert teapot
    assert "status 418 is not declared" in teapot[0]
    html = check_response(contract, "GET", "/models", 200, "text/html", b"<p>")
    assert html
    assert "content type 'text/html' is not declared" in html[0]


def test_errors_are_checked_in_their_paths_dialect(contract: Contract) -> None:
    symphony = b'{"error": {"code": "not_found", "message": "Not Found"}}'
    openai = (
        b'{"error": {"message": "Not Found", "type": "invalid_request_error",'
        b' "param": null, "code": "not_found"}}'
    )
    assert check_response(contract, "GET", "/nope", 404, "application/json", symphony) == []
    assert check_response(contract, "GET", "/v1/nope", 404, "application/json", openai) == []
    assert check_response(contract, "GET", "/v1/nope", 404, "application/json", symphony)
    assert check_response(contract, "GET", "/nope", 404, "application/json", openai)
    assert check_response(contract, "GET", "/nope", 200, "application/json", b"{}")


def test_sse_events_are_checked_one_by_one(contract: Contract) -> None:
    def frames(*events: str) -> bytes:
        return "".join(events).encode()

    good = frames(
        'event: model\r\ndata: {"model":"local/ollama","attempts":1}\r\n\r\n',
        ": ping\r\n\r\n",
        'event: delta\r\ndata: {"text":"Hi"}\r\n\r\n',
    )
    assert check_response(contract, "POST", "/route/execute", 200, "text/event-stream", good) == []
    bad_data = frames('event: delta\r\ndata: {"txt":"Hi"}\r\n\r\n')
    found = check_response(contract, "POST", "/route/execute", 200, "text/event-stream", bad_data)
    assert found
    assert "event 'delta'" in found[0]
    unknown = frames("event: surprise\r\ndata: {}\r\n\r\n")
    found = check_response(contract, "POST", "/route/execute", 200, "text/event-stream", unknown)
    assert found
    assert "'surprise' is not declared" in found[0]
    done = b"data: [DONE]\n\n"
    assert check_response(contract, "POST", HOT_PATH, 200, "text/event-stream", done) == []


def test_every_error_code_is_declared() -> None:
    """A new error class must add its code to the contract (clients switch on codes)."""
    from typing import get_args

    import symphony.errors as errors
    from symphony.api.contracts.errors import ErrorCode
    from symphony.api.errors import HTTP_CODES

    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    codes = {c.code for c in subclasses(errors.SymphonyError) if c.__module__ == errors.__name__}
    assert codes | set(HTTP_CODES.values()) <= set(get_args(ErrorCode))

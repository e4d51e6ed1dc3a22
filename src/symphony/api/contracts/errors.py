"""Error bodies: Symphony's `{"error": {code, message, ...}}` and OpenAI's dialect for `/v1`."""

from __future__ import annotations

from typing import Any, Literal

from symphony.api.contracts.base import JSON, Responses, Wire, absent, ref
from symphony.api.contracts.plan import Decision, PlanCandidate, PlanControls, PlanPolicy

OpenAIErrorType = Literal[
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "rate_limit_error",
    "api_error",
]


# Every `error.code` Symphony sends (symphony/errors.py classes, the HTTP layer's own).
ErrorCode = Literal[
    "validation_error",
    "data_dir_mismatch",
    "policy_invalid",
    "not_found",
    "unknown_tenant",
    "unknown_model",
    "conflict",
    "no_eligible_model",
    "all_candidates_failed",
    "store_unavailable",
    "backend_unavailable",
    "unauthorized",
    "forbidden",
    "rate_limited",
    "internal_error",
    "method_not_allowed",
    "payload_too_large",
    "request_timeout",
    "http_error",
    "cors_forbidden",
    "no_fresh_evidence",
    "data_dir_mismatch",
]
# ... and under /v1, also what the OpenAI-compatible routes name themselves.
OpenAIErrorCode = Literal[
    ErrorCode,
    "invalid_json",
    "invalid_request",
    "invalid_header",
    "model_not_found",
    "model_not_supported",
    "context_length_exceeded",
    "unsupported_parameter",
    "stream_interrupted",
    "killed",
    "deadline_exceeded",
]
ROLE = "403 from the auth layer: the least role that may call this"
PERMISSION = "403 from the auth layer: the permission this route needs"
SERVICE_WIDE = (
    "A key bound to tenants: this reaches or describes the whole service (every tenant),"
    " so it needs a key not bound to tenants"
)
RETRY = "429 from the rate limiter: seconds until a request is allowed again"


class FieldError(Wire):
    """One invalid field: where (`body.overrides.temperature`), what, and the rule's type."""

    path: str
    message: str
    type: str


class ErrorInfo(Wire):
    """What went wrong: a stable machine-readable `code` and a sentence naming where."""

    code: ErrorCode
    message: str
    fields: list[FieldError] | None = absent("422: every invalid field with its path")
    detail: Any = absent("Structured context, e.g. a 502's attempts or a 403's tenants")
    required_role: str | None = absent(ROLE)
    permission: str | None = absent(PERMISSION)
    retry_after_s: float | None = absent(RETRY)


class ErrorBody(Wire):
    """Symphony's error body (every path outside `/v1`)."""

    model_config = Wire.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "error": {
                        "code": "validation_error",
                        "message": "body.task: String should have at least 1 character",
                        "fields": [
                            {
                                "path": "body.task",
                                "message": "String should have at least 1 character",
                                "type": "string_too_short",
                            }
                        ],
                    }
                }
            ]
        }
    }
    error: ErrorInfo


class NoEligibleError(Wire):
    code: Literal["no_eligible_model"]
    message: str


class NoEligibleModelBody(Wire):
    """409: every candidate was denied; the body carries the whole explanation."""

    error: NoEligibleError
    policy_version: str
    decision: Decision
    candidates: list[PlanCandidate]
    controls: PlanControls
    policy: PlanPolicy


class OpenAIErrorInfo(Wire):
    message: str
    type: OpenAIErrorType
    param: str | None
    code: OpenAIErrorCode
    required_role: str | None = absent(ROLE)
    permission: str | None = absent(PERMISSION)
    retry_after_s: float | None = absent(RETRY)


class OpenAIErrorBody(Wire):
    """OpenAI's error shape, answered on every path under `/v1`."""

    model_config = Wire.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "error": {
                        "message": "invalid or revoked API key",
                        "type": "authentication_error",
                        "param": None,
                        "code": "unauthorized",
                    }
                }
            ]
        }
    }
    error: OpenAIErrorInfo


STORE_DOWN = "A store (audit log, usage ledger, state file) cannot be read or written"
TENANT = "The key may not act for this tenant (or its role does not allow the operation)"
INVALID = "Invalid request: every invalid field with its path"


def problem(description: str, model: type[Wire] = ErrorBody) -> dict[str, Any]:
    """One error response entry: `model` as JSON."""
    return {"description": description, "content": {JSON: {"schema": ref(model)}}}


def problems(described: dict[int, str], model: type[Wire] = ErrorBody) -> Responses:
    """Error responses by status, each with Symphony's error body (or `model`)."""
    return {status: problem(text, model) for status, text in described.items()}


def openai_problems(described: dict[int, str]) -> Responses:
    """Error responses by status with OpenAI's error body (paths under `/v1`)."""
    return problems(described, OpenAIErrorBody)

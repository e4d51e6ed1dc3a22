"""Typed errors: each carries an HTTP status and a stable machine-readable code."""

from __future__ import annotations

from typing import Any


class SymphonyError(Exception):
    """Base of every domain error; the API turns it into JSON with `status` and `code`."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": {"code": self.code, "message": self.message}}
        if self.detail is not None:
            body["error"]["detail"] = self.detail
        return body


class PolicyError(SymphonyError):
    """A policy or windows file failed to load; `errors` lists every problem with its location."""

    status = 422
    code = "policy_invalid"

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors) if errors else "invalid policy", detail=errors)
        self.errors = errors


class NotFoundError(SymphonyError):
    status = 404
    code = "not_found"


class UnknownTenantError(NotFoundError):
    code = "unknown_tenant"


class UnknownModelError(NotFoundError):
    code = "unknown_model"


class ValidationFailed(SymphonyError):
    status = 422
    code = "validation_error"


class ConflictError(SymphonyError):
    status = 409
    code = "conflict"


class NoEligibleModelError(SymphonyError):
    """The planner denied every candidate; `detail` holds the full explanation."""

    status = 409
    code = "no_eligible_model"


class UpstreamFailedError(SymphonyError):
    """Every attempt failed; `detail` holds each attempt and its reason."""

    status = 502
    code = "all_candidates_failed"


class StoreError(SymphonyError):
    status = 503
    code = "store_unavailable"


class BackendUnavailable(StoreError):
    """A shared backend (Redis, PostgreSQL) cannot be reached: fail closed with a 503 that
    names it, never admit past a cap because a counter is unreachable."""

    code = "backend_unavailable"

    def __init__(self, backend: str, where: str, reason: str) -> None:
        super().__init__(
            f"{backend} at {where} is unavailable: {reason}",
            detail={"backend": backend, "where": where},
        )
        self.backend = backend
        self.where = where


class AuthError(SymphonyError):
    status = 401
    code = "unauthorized"


class ForbiddenError(SymphonyError):
    status = 403
    code = "forbidden"


class RateLimitedError(SymphonyError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message, detail={"retry_after_s": retry_after_s})
        self.retry_after_s = retry_after_s


class DataDirError(SymphonyError):
    """The data directory belongs to the other mode (demo records in a real service, or the
    reverse): refused at start, never mixed."""

    status = 500
    code = "data_dir_mismatch"


class NoEvidenceError(SymphonyError):
    """An execute demanded web evidence and the corpus has nothing fresh enough to cite."""

    status = 422
    code = "no_fresh_evidence"

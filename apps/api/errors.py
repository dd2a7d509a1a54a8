"""Error codes of the REST API and how an operation declares them in its OpenAPI schema.

Every error answers ``{"error": {"code", "message", "details"}}`` (docs/api.md). An operation
lists the codes it can answer with ``error_responses(...)`` in its ``extend_schema`` responses;
the schema generator (apps.api.schema.AutoSchema) adds the codes every operation of its kind
shares (authentication, throttling, request-body parsing, path ids), so views name only their
own. Each status becomes one response whose ``error.code`` is an enum of its codes.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse

from apps.common.exceptions import ApplicationError


@dataclass(frozen=True)
class ErrorCode:
    """One documented error: its stable ``code``, HTTP status and meaning."""

    code: str
    status: int
    description: "str | Promise"

    @classmethod
    def of(cls, error: "ErrorCode | type[ApplicationError]") -> "ErrorCode":
        if isinstance(error, ErrorCode):
            return error
        return cls(error.code, error.status_code, error.default_message)


ErrorLike = ErrorCode | type[ApplicationError]


class InvalidCursor(ApplicationError):
    code = "invalid_cursor"
    default_message = _("The cursor is not valid; start again from the first page.")


class JsonTooDeep(ApplicationError):
    code = "json_too_deep"
    default_message = _("The JSON body is nested too deeply.")


class PayloadTooLarge(ApplicationError):
    code = "payload_too_large"
    status_code = 413
    default_message = _("The request body is too large.")


class LengthRequired(ApplicationError):
    code = "length_required"
    status_code = 411
    default_message = _("Send the request body with a Content-Length header.")


# Codes the exception handler and the error views give to errors raised outside our code.
VALIDATION_ERROR = ErrorCode(
    "validation_error",
    400,
    _("The input failed validation; `details.fields` maps each field to its messages."),
)
MALFORMED_REQUEST = ErrorCode("malformed_request", 400, _("The body cannot be parsed."))
BAD_REQUEST = ErrorCode("bad_request", 400, _("The request is not valid HTTP for this server."))
NOT_AUTHENTICATED = ErrorCode("not_authenticated", 401, _("No credentials were sent."))
AUTHENTICATION_FAILED = ErrorCode(
    "authentication_failed", 401, _("The token or key is invalid, expired or revoked.")
)
PERMISSION_DENIED = ErrorCode(
    "permission_denied", 403, _("Authenticated, but this credential may not do this.")
)
NOT_FOUND = ErrorCode(
    "not_found", 404, _("No such object, or one the caller may not see (existence is not leaked).")
)
METHOD_NOT_ALLOWED = ErrorCode("method_not_allowed", 405, _("Wrong HTTP method."))
NOT_ACCEPTABLE = ErrorCode("not_acceptable", 406, _("The `Accept` header asks for no JSON."))
UNSUPPORTED_MEDIA_TYPE = ErrorCode(
    "unsupported_media_type", 415, _("The `Content-Type` of the body is not accepted here.")
)
RATE_LIMITED = ErrorCode(
    "rate_limited", 429, _("Throttled; retry after `details.retry_after` seconds.")
)
INTERNAL_ERROR = ErrorCode("internal_error", 500, _("A bug on our side; it was logged."))
UNAVAILABLE = ErrorCode(
    "unavailable",
    503,
    _("A backing service is down for a moment; retry after `Retry-After` seconds "
      "(`details.retry_after_ms`). Nothing was changed."),
)  # fmt: skip


def error_schema(codes: Iterable[str]) -> dict[str, Any]:
    """The JSON schema of the error envelope whose ``code`` is one of ``codes``."""
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {"type": "string", "enum": sorted(set(codes))},
                    "message": {"type": "string", "description": "For people; translated."},
                    "details": {"type": "object", "additionalProperties": True},
                },
            }
        },
    }


class ErrorResponse(OpenApiResponse):
    """The OpenAPI response of one status, made of its error codes (merged by AutoSchema)."""

    def __init__(self, errors: Iterable[ErrorCode]) -> None:
        self.errors = tuple(errors)
        lines = [f"- `{error.code}`: {error.description}" for error in self.errors]
        super().__init__(
            response=error_schema(error.code for error in self.errors),
            description="\n".join(lines),
        )


def error_responses(*errors: ErrorLike) -> dict[int, ErrorResponse]:
    """``extend_schema(responses={200: Out, **error_responses(NotFound, Blocked)})``."""
    by_status: dict[int, dict[str, ErrorCode]] = {}
    for error in map(ErrorCode.of, errors):
        by_status.setdefault(error.status, {})[error.code] = error
    return {
        status: ErrorResponse(sorted(codes.values(), key=lambda e: e.code))
        for status, codes in sorted(by_status.items())
    }

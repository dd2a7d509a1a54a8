"""One error envelope for the whole REST API (documented in docs/api.md).

``{"error": {"code": "<machine-readable>", "message": "<human, translated>", "details": {}}}``
"""

import math
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.api.errors import BAD_REQUEST, PayloadTooLarge
from apps.common.exceptions import ApplicationError
from apps.common.outage import database_unavailable, is_database_outage

# DRF's exception classes → our stable codes.
_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "malformed_request",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
}


def retry_after_header(retry_after_ms: int) -> str:
    """``Retry-After`` in whole seconds, rounded up (at least 1)."""
    return str(max(1, math.ceil(retry_after_ms / 1000)))


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def django_refusal(exc: Exception) -> Exception:
    """Django's request-size and suspicious-input errors, raised while DRF reads the body, as
    our errors (Django itself would answer them with its HTML 400 page)."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return PayloadTooLarge(details={"limit_bytes": limit})
    if isinstance(exc, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return PayloadTooLarge(details={"limit_fields": limit})
    if isinstance(exc, TooManyFilesSent):
        return PayloadTooLarge(details={"limit_files": settings.DATA_UPLOAD_MAX_NUMBER_FILES})
    if isinstance(exc, SuspiciousOperation):
        return ApplicationError(gettext("Bad request."), code=BAD_REQUEST.code)
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if is_database_outage(exc):
        return database_unavailable()
    return exc


def _application_error_response(error: ApplicationError) -> Response:
    response = Response(error_body(error.code, error.message, error.details),
                        status=error.status_code)  # fmt: skip
    retry_after_ms = error.details.get("retry_after_ms")
    if error.status_code == status.HTTP_503_SERVICE_UNAVAILABLE and retry_after_ms:
        response["Retry-After"] = retry_after_header(int(retry_after_ms))
    retry_after = error.details.get("retry_after")
    if error.status_code == status.HTTP_429_TOO_MANY_REQUESTS and retry_after:
        response["Retry-After"] = str(int(retry_after))
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = django_refusal(exc)
    if isinstance(exc, ApplicationError):
        return _application_error_response(exc)

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response  # unexpected errors propagate to Django's 500 handling and logging

    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    details: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        message = gettext("The input is not valid.")
        details = {
            "fields": exc.detail
            if isinstance(exc.detail, dict)
            else {"non_field_errors": exc.detail}
        }
    else:
        message = str(exc.detail)
    wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
    if wait is not None:
        details["retry_after"] = int(wait + 0.999)
    if response.status_code == status.HTTP_401_UNAUTHORIZED and code == "permission_denied":
        code = "not_authenticated"
    response.data = error_body(code, message, details)
    return response

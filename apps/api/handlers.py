"""Django's error views (``handler400/403/404/500`` in community/urls.py): under ``/api/``
they answer the REST API's JSON error envelope, elsewhere a small HTML page.

They answer what Django decides before or outside a DRF view — an unknown path, an id that
does not match its ``<int:…>`` converter, a request Django refuses, a crash — so a client of the
API never has to parse an HTML page. They never touch the database: a 500 may be the database
being down.
"""

import logging
import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from apps.api.errors import (
    BAD_REQUEST,
    INTERNAL_ERROR,
    NOT_FOUND,
    PERMISSION_DENIED,
    UNAVAILABLE,
    ErrorCode,
    PayloadTooLarge,
)
from apps.api.exceptions import django_refusal, error_body, retry_after_header
from apps.common.outage import database_unavailable, is_database_outage

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def error_response(
    request: HttpRequest,
    *,
    error: ErrorCode,
    message: "str | Promise",
    details: dict | None = None,
    title: "str | Promise | None" = None,
) -> HttpResponse:
    """The error as JSON under /api/ and as the HTML error page elsewhere."""
    if is_api_request(request):
        return JsonResponse(error_body(error.code, str(message), details), status=error.status)
    page = loader.render_to_string(
        "errors/error.html",
        {"status": error.status, "title": title or message, "message": message},
    )
    return HttpResponse(page, status=error.status, content_type="text/html; charset=utf-8")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    refusal = django_refusal(exception)
    if isinstance(refusal, PayloadTooLarge):  # Django answers a body over its limits with 400
        return error_response(
            request,
            error=ErrorCode.of(PayloadTooLarge),
            message=refusal.message,
            details=refusal.details,
            title=gettext_lazy("Request too large"),
        )
    return error_response(
        request,
        error=BAD_REQUEST,
        message=gettext("Bad request."),
        title=gettext_lazy("Bad request"),
    )


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_response(
        request,
        error=PERMISSION_DENIED,
        message=gettext("You do not have permission to perform this action."),
        title=gettext_lazy("Forbidden"),
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_response(
        request,
        error=NOT_FOUND,
        message=gettext("Not found."),
        title=gettext_lazy("Page not found"),
    )


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The database is down: ``unavailable`` (503, ``Retry-After``) under /api/, the error
    page with the same status elsewhere."""
    refusal = database_unavailable()
    response = error_response(
        request,
        error=UNAVAILABLE,
        message=refusal.message,
        details=refusal.details,
        title=gettext_lazy("Temporarily unavailable"),
    )
    response["Retry-After"] = retry_after_header(refusal.details["retry_after_ms"])
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception: a database outage is not a bug.
    error = sys.exc_info()[1]
    if error is not None and is_database_outage(error):
        return service_unavailable(request)
    return error_response(
        request,
        error=INTERNAL_ERROR,
        message=gettext("Something went wrong on our side. It was logged; please try again."),
        title=gettext_lazy("Server error"),
    )

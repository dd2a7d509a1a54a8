"""Every request gets an id (on its log lines and in ``X-Request-ID``) and its latency counted
by route (``community_http_request_seconds``)."""

import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from apps.common.logging import request_id
from apps.common.metrics import HTTP_REQUEST_SECONDS

_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _incoming_id(request: HttpRequest) -> str | None:
    """The proxy's request id (nginx's ``$request_id``), trusted only behind a proxy."""
    if not settings.TRUSTED_PROXY_COUNT:
        return None
    value = request.headers.get("X-Request-ID", "")
    return value if _ID.fullmatch(value) else None


def _route(request: HttpRequest, status: int) -> str:
    """The URL pattern, not the path: ids and slugs do not make new series. A response made
    before URL resolution (the liveness probe) is resolved here; unknown paths share one
    series."""
    match = getattr(request, "resolver_match", None)
    if match is None and status != 404:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
    return match.route if match is not None else "unmatched"


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = _incoming_id(request) or uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            method = request.method if request.method in _METHODS else "other"
            HTTP_REQUEST_SECONDS.labels(
                _route(request, response.status_code), method, str(response.status_code)
            ).observe(time.perf_counter() - started)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = rid
        return response

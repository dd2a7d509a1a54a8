"""Every request gets an id (on its log lines and in ``X-Request-ID``), its latency counted
by route (``community_http_request_seconds``) and, when OpenTelemetry export is on, a span."""

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from apps.common import telemetry
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
        try:
            if telemetry.active_tracer is None:
                response = self._respond(request)
            else:
                with telemetry.request_span(request.method or "", request.headers) as span:
                    response = self._respond(request, span=span, rid=rid)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = rid
        return response

    def _respond(self, request: HttpRequest, span: Any = None, rid: str = "") -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        route = _route(request, response.status_code)
        HTTP_REQUEST_SECONDS.labels(route, method, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        if span is not None:
            telemetry.request_span_finish(
                span, method=method, route=route, status=response.status_code, rid=rid
            )
        return response

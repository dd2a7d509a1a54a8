"""Request bodies sent with ``Transfer-Encoding: chunked`` (no ``Content-Length``).

Django sizes a request body by ``Content-Length`` alone: without it, WSGIRequest reads nothing
(``LimitedStream(wsgi.input, 0)``) and DRF treats the body as absent — a chunked JSON body
was silently ignored and the view ran as if nothing was sent. Both servers we run de-chunk the
body before Django sees it: Daphne buffers the whole request and hands it to the ASGI handler,
gunicorn gives a de-chunking ``wsgi.input`` and says so with ``wsgi.input_terminated``. This
middleware reads such a body (up to ``HTTP_CHUNKED_BODY_MAX_BYTES``) and sets
``CONTENT_LENGTH``, so everything after it — CSRF, DRF's parsers, Django's own size limits —
sees an ordinary request. A WSGI server that cannot tell where the body ends gets
``length_required`` (411); a body over the limit ``payload_too_large`` (413).
"""

import io
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from apps.accounts.services import API_TOKEN_KIND
from apps.api.errors import ErrorCode, LengthRequired, PayloadTooLarge
from apps.api.handlers import error_response
from apps.ops.views import healthz
from apps.titles.services import TITLE_KEY_KIND

_TOKEN_PREFIXES = (f"{API_TOKEN_KIND}_", f"{TITLE_KEY_KIND}_")


def _is_chunked(request: HttpRequest) -> bool:
    if request.META.get("CONTENT_LENGTH") not in (None, ""):
        return False
    transfer_encoding = request.META.get("HTTP_TRANSFER_ENCODING", "")
    return "chunked" in transfer_encoding.lower()


def _raw_body_stream(request: HttpRequest) -> Any:
    """Where the de-chunked body can be read, or None if this server cannot say where it ends."""
    if isinstance(request, ASGIRequest):
        return request._stream  # the handler's buffered body file
    if request.META.get("wsgi.input_terminated"):
        return request.META["wsgi.input"]
    return None


class ChunkedBodyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_chunked(request):
            refusal = self._read_body(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _read_body(self, request: HttpRequest) -> HttpResponse | None:
        stream = _raw_body_stream(request)
        if stream is None:
            return error_response(
                request,
                error=ErrorCode.of(LengthRequired),
                message=gettext("Send the request body with a Content-Length header."),
            )
        limit = settings.HTTP_CHUNKED_BODY_MAX_BYTES
        body = stream.read(limit + 1)
        if len(body) > limit:
            return error_response(
                request,
                error=ErrorCode.of(PayloadTooLarge),
                message=gettext("The request body is too large."),
                details={"limit_bytes": limit},
            )
        request._stream = io.BytesIO(body)
        request.META["CONTENT_LENGTH"] = str(len(body))
        return None


class LivenessMiddleware:
    """First in the chain: ``/healthz`` (liveness, touches no backing service) answers before
    sessions, locale, CSRF, authentication and the rest run, so probes cost what a bare
    Django view costs. The host is still checked against ALLOWED_HOSTS, as for any request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != "/healthz":
            return self.get_response(request)
        request.get_host()  # DisallowedHost: 400, as before
        return healthz(request)


class ViewCycleRelease:
    """Frees a REST response's page as soon as it is rendered.

    DRF leaves every response in a reference cycle: the view keeps the response
    (``view.response``), whose ``renderer_context`` keeps the view. Reference counting cannot
    free a cycle, so each response — with its data: a member page is 200 dicts of dicts — stayed
    in memory until the garbage collector's next pass, which then walked all of it (collection
    took 0.4 ms of a 4.7 ms member list, 0.3 ms with this). Once the response is rendered,
    neither link is needed: both are dropped here, and the page goes when the server lets go
    of the response. ``response.data`` stays for whoever holds the response (the test
    client)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        context = getattr(response, "renderer_context", None)
        if context is not None and getattr(response, "is_rendered", False):
            view = context.get("view")
            if getattr(view, "response", None) is response:
                view.response = None
            response.renderer_context = None  # type: ignore[attr-defined]
        return response


# The view handler below the portal's chain, handed from BearerApiShortcutEnd to
# BearerApiShortcut while Django builds a handler's chain (innermost first, on one thread).
_chain_end = threading.local()


def _decided_by_token(request: HttpRequest) -> bool:
    """An API request whose ``Authorization: Bearer`` secret names a player token or a title
    key: its authentication class either accepts it or refuses it (401), so the session, CSRF
    and the portal's per-user middlewares have nothing to decide for it."""
    if not request.path_info.startswith("/api/"):
        return False
    scheme, _separator, secret = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "bearer" and secret.startswith(_TOKEN_PREFIXES)


class BearerApiShortcut:
    """API requests authenticated by a bearer token go from here straight to the view.

    The middlewares between this one and ``BearerApiShortcutEnd`` (sessions, CSRF, the
    session's user, the player's portal preferences, messages, the sanctioned-session check,
    axes) serve the portal's session: for a request carrying a player token or a title key
    they would each load nothing and change nothing, but cost about a tenth of an API read's
    CPU. Everything above this one (request id, security headers, chunked bodies, language,
    common, frame and content-security headers) still runs for every request. A bearer secret
    of another kind takes the whole chain, so session authentication still sees what it
    needs; a request with both a session and a token is decided by the token, as DRF's
    authentication order already did.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        view_handler = getattr(_chain_end, "handler", None)
        if view_handler is None:
            raise ImproperlyConfigured(
                "BearerApiShortcutEnd must come after BearerApiShortcut in MIDDLEWARE."
            )
        _chain_end.handler = None
        self.view_handler = view_handler

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _decided_by_token(request):
            return self.view_handler(request)
        return self.get_response(request)


class BearerApiShortcutEnd:
    """Last in MIDDLEWARE: marks where ``BearerApiShortcut`` rejoins the chain (the view)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        _chain_end.handler = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

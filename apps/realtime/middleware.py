"""ASGI middleware for ``/ws/``: origin policy first, then authentication.

Browsers always send ``Origin`` on a websocket handshake, and only browsers attach the
session cookie on their own; so a handshake *with* an Origin must come from an allowed origin
and may use the cookie, while one *without* an Origin (a game client) must bring a bearer
token. This keeps cross-site websocket hijacking out without locking out game clients.
"""

from typing import Any

from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator
from channels.sessions import SessionMiddlewareStack
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import validate_host

from apps.common.outage import is_database_outage
from apps.realtime.auth import token_resolve

SUBPROTOCOL = "community.v1"
BEARER_SUBPROTOCOL_PREFIX = "bearer."


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class WebsocketOriginValidator(OriginValidator):
    """Rejects a handshake whose Origin is not this site's (ALLOWED_HOSTS) or an allowed one;
    a handshake without Origin passes on, marked as cookie-less."""

    def __init__(self, application: Any) -> None:
        super().__init__(application, allowed_origins=[])

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        # The scope is marked in place, not copied: each middleware's copy stays referenced
        # for the socket's whole life (its coroutine frame waits on the consumer), and the
        # server makes a fresh scope per connection.
        origin = _header(scope, b"origin")
        scope["has_origin"] = origin is not None
        if origin is None:
            return await self.application(scope, receive, send)
        return await super().__call__(scope, receive, send)

    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return False
        origin = f"{parsed_origin.scheme}://{parsed_origin.netloc}"
        if origin in settings.WEBSOCKET_ALLOWED_ORIGINS:
            return True
        return validate_host(parsed_origin.hostname or "", settings.ALLOWED_HOSTS)


def bearer_from_subprotocols(scope: dict[str, Any]) -> str | None:
    """The token carried as ``Sec-WebSocket-Protocol: community.v1, bearer.<token>``.

    Tokens never go in the URL, where proxies and servers log them.
    """
    for protocol in scope.get("subprotocols", []):
        if protocol.startswith(BEARER_SUBPROTOCOL_PREFIX):
            return protocol[len(BEARER_SUBPROTOCOL_PREFIX) :]
    return None


class _SessionUserMiddleware:
    """The session's user (what Channels' ``AuthMiddleware`` resolves), or, when the session
    cannot be read because the database is down, an anonymous user with
    ``scope["auth_error"] = "unavailable"``: the consumer then answers ``unavailable`` with a
    retry hint and closes 4503, as for a bearer token."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        try:
            scope["user"] = await get_user(scope)
        except Exception as error:
            if not is_database_outage(error):
                raise
            scope["user"] = AnonymousUser()
            scope["auth_error"] = "unavailable"
        return await self.inner(scope, receive, send)


class RealtimeAuthMiddleware:
    """Sets ``scope["user"]``, ``scope["auth_method"]`` (bearer, session or none) and, for a
    bearer token, ``scope["credential"]`` (``apps.realtime.auth.credential_of`` reads it).

    An invalid bearer token sets ``scope["auth_error"]`` so the consumer refuses the handshake;
    a token or session cookie that cannot be checked because the database is down sets it to
    ``unavailable`` (the consumer answers ``unavailable`` and closes 4503).
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.session_stack = SessionMiddlewareStack(_SessionUserMiddleware(inner))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        # Set in place, as the origin validator does (a copy would live as long as the socket).
        token = bearer_from_subprotocols(scope)
        if token is not None:
            try:
                # On a pool thread, not the process's one ORM thread: in a reconnect storm
                # the connects' lookups overlap instead of queueing one behind another.
                credential = await database_sync_to_async(token_resolve, thread_sensitive=False)(
                    token
                )
            except Exception as error:
                if not is_database_outage(error):
                    raise
                credential = None
                scope["auth_error"] = "unavailable"
            scope["user"] = credential.user if credential else AnonymousUser()
            scope["credential"] = credential
            scope["auth_method"] = "bearer"
            if credential is None:
                scope.setdefault("auth_error", "invalid_token")
            return await self.inner(scope, receive, send)
        if scope.get("has_origin"):
            scope["auth_method"] = "session"
            return await self.session_stack(scope, receive, send)
        scope["user"] = AnonymousUser()
        scope["auth_method"] = "none"
        return await self.inner(scope, receive, send)

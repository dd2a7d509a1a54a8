"""The language of a socket: what its ``error`` messages are written in.

The same precedence as the portal (docs/i18n.md): the signed-in player's own setting over the
language cookie over the handshake's ``Accept-Language`` over ``LANGUAGE_CODE``. The handshake
settles the last three when the socket connects; once it authenticates, a registered
``user_language`` provider (the players app) gives the player's setting. Frames that are data
(timestamps in UTC, codes) do not depend on it.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

# Registered by the players app: the player's chosen language for a user, or None. A user
# read with their player (a bearer token's lookup) is answered without a query.
UserLanguage = Callable[[Any], str | None]
_user_language: list[UserLanguage] = []


def user_language_register(provider: UserLanguage) -> None:
    if provider not in _user_language:
        _user_language.append(provider)


def _supported(code: str) -> str | None:
    try:
        return get_supported_language_variant(code)
    except LookupError:
        return None


def handshake_language(scope: dict[str, Any]) -> str:
    """The cookie's language, else the best of ``Accept-Language``, else the default."""
    cookie = scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME)
    if cookie and (language := _supported(cookie)):
        return language
    headers = dict(scope.get("headers", []))
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    for code, _quality in parse_accept_lang_header(accept):
        if code != "*" and (language := _supported(code)):
            return language
    return settings.LANGUAGE_CODE


def user_language(user: Any) -> str | None:
    """The player's own language setting, if a provider knows it. May run ORM queries: call
    it off the event loop."""
    for provider in _user_language:
        if language := provider(user):
            return language
    return None

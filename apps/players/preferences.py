"""A signed-in player's language and time zone, applied to every portal request.

Precedence for the language: the player's own setting (profile ``locale``) over the language
cookie over ``Accept-Language`` over ``LANGUAGE_CODE``. Django's ``LocaleMiddleware`` settles
the last three before anyone is signed in; ``PlayerPreferencesMiddleware`` (after
authentication) applies the first, and the player's time zone, so every time on a page is
shown in the viewer's zone. Times are stored in UTC either way.
"""

import zoneinfo
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from apps.players.models import Player


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone, by name (the settings page's searchable list)."""
    names = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return [(name, name.replace("_", " ")) for name in names]


def player_language(user: Any) -> str | None:
    """The signed-in player's own language setting, if it is one of the portal's (the
    websocket's ``user_language`` provider). No query when the player came with the user (a
    bearer token's lookup reads both in one row)."""
    loaded = getattr(getattr(user, "_state", None), "fields_cache", {})
    if "player" in loaded:
        locale = loaded["player"].locale if loaded["player"] is not None else None
    else:
        locale = Player.objects.filter(user_id=user.pk).values_list("locale", flat=True).first()
    return locale if locale in dict(settings.LANGUAGES) else None


def language_from_request(request: HttpRequest) -> str:
    """The language a new player starts with: what their browser and cookie chose here."""
    language = translation.get_language_from_request(request)
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class PlayerPreferencesMiddleware:
    """Activates the signed-in player's language and time zone (one indexed query)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        preferences = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            preferences = (
                Player.objects.filter(user_id=user.pk).values_list("locale", "time_zone").first()
            )
        if preferences is None:
            return self.get_response(request)
        locale, time_zone = preferences
        if locale in dict(settings.LANGUAGES):
            translation.activate(locale)
            request.LANGUAGE_CODE = locale
        try:
            timezone.activate(zoneinfo.ZoneInfo(time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


TIME_ZONE_HELP = _("Times on the portal are shown in this zone.")

"""The floor of bench/rest_reads.py: production settings with no middleware and bare views.

Used as both ``DJANGO_SETTINGS_MODULE`` and ``ROOT_URLCONF`` of a second gunicorn (not
collected by pytest). Each floor view reads the same page of rows as our endpoint with one
``.values()`` query and answers with ``JsonResponse``; the ``/auth/…`` views add our
authentication (token, login gates, player) in front of the same query, so the price of auth
shows on its own; ``/healthz`` is the bare liveness view; ``/sql/…`` are bench/guilds.py's
floors (one hand-written query, ``json.dumps``) served as requests.
"""

from typing import Any

from bench.floor_sql import BROWSE_SQL, MEMBERS_SQL
from community.settings.production import *  # noqa: F403

MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.rest_floor"
PAGE = 20


def _feed_rows(player_id: int) -> list[dict[str, Any]]:
    from django.db.models import Q

    from apps.players.models import ActivityEntry, Friendship

    friends = Q(player__in=Friendship.objects.filter(player_low_id=player_id).values("player_high"))
    friends |= Q(
        player__in=Friendship.objects.filter(player_high_id=player_id).values("player_low")
    )
    rows = (
        ActivityEntry.objects.filter(friends | Q(player_id=player_id))
        .order_by("-created_at", "-id")
        .values("id", "kind", "data", "created_at", "player_id", "player__display_name")
    )
    return list(rows[:PAGE])


def _notification_rows(player_id: int) -> list[dict[str, Any]]:
    from apps.players.models import Notification

    rows = (
        Notification.objects.filter(recipient_id=player_id)
        .order_by("-created_at")
        .values("id", "kind", "data", "read_at", "created_at", "actor_id", "actor__display_name")
    )
    return list(rows[:PAGE])


def _guild_member_rows(player_id: int, guild_id: int) -> list[dict[str, Any]]:
    from apps.guilds.models import GuildMembership

    rows = (
        GuildMembership.objects.filter(guild_id=guild_id)
        .order_by("joined_at")
        .values("player_id", "player__display_name", "role__name", "is_leader", "joined_at")
    )
    return list(rows[:PAGE])


def _sql_floor(sql: str) -> Any:
    """bench/guilds.py's floor as a request: the page's rows in one hand-written query
    (``bench.floor_sql``), encoded with ``json.dumps``; no authentication."""
    import json

    from django.db import connection
    from django.http import HttpResponse

    def view(request: Any) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(sql, {"guild": int(request.GET["guild"])} if "%(" in sql else None)
            body = json.dumps(cursor.fetchall(), default=str)
        return HttpResponse(body, content_type="application/json")

    return view


def _authenticated_player_id(request: Any) -> int | None:
    """Our authentication in front of the floor: the token class, then ``IsPlayer``."""
    from rest_framework.request import Request

    from apps.accounts.authentication import PlayerTokenAuthentication
    from apps.players.permissions import IsPlayer, player_of

    drf_request = Request(request)
    resolved = PlayerTokenAuthentication().authenticate(drf_request)
    if resolved is None:
        return None
    drf_request.user, drf_request.auth = resolved
    if not IsPlayer().has_permission(drf_request, view=None):
        return None
    return player_of(drf_request).id


def _floor(read: Any, *, authenticated: bool) -> Any:
    from django.http import JsonResponse

    def view(request: Any) -> Any:
        if authenticated:
            player_id = _authenticated_player_id(request)
            if player_id is None:
                return JsonResponse({}, status=401)
        else:
            player_id = int(request.GET.get("player", 0))
        if "guild" in request.GET:
            return JsonResponse({"results": read(player_id, int(request.GET["guild"]))})
        return JsonResponse({"results": read(player_id)})

    return view


def _healthz(request: Any) -> Any:
    from django.http import JsonResponse

    return JsonResponse({"status": "ok"})


def _urlpatterns() -> list[Any]:
    from django.urls import path

    return [
        path("floor/feed", _floor(_feed_rows, authenticated=False)),
        path("floor/notifications", _floor(_notification_rows, authenticated=False)),
        path("auth/feed", _floor(_feed_rows, authenticated=True)),
        path("auth/notifications", _floor(_notification_rows, authenticated=True)),
        path("floor/guild-members", _floor(_guild_member_rows, authenticated=False)),
        path("auth/guild-members", _floor(_guild_member_rows, authenticated=True)),
        path("healthz", _healthz),
        path("sql/guild-browse", _sql_floor(BROWSE_SQL)),
        path("sql/guild-members", _sql_floor(MEMBERS_SQL)),
    ]


def __getattr__(name: str) -> Any:
    # Django imports this module as settings before apps are ready; the URL list (which
    # imports models) is built only when the resolver first asks for it.
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)

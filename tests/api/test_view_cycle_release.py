"""A REST response's page leaves memory when the server lets go of the response, without
waiting for the garbage collector (apps/api/middleware.py ViewCycleRelease): DRF's view and
response hold each other, which kept every page alive until the collector's next pass."""

import gc

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory, override_settings

from apps.accounts.services import api_token_create
from apps.guilds.membership import guild_join
from apps.guilds.services import guild_create
from apps.titles.models import Title
from tests.players.factories import PlayerFactory

REQUESTS = 20


def _objects_left_behind(path: str, secret: str) -> int:
    """Objects still tracked after ``REQUESTS`` requests through the WSGI handler as a server
    runs it (response read and closed), with the garbage collector off."""
    handler = WSGIHandler()
    environ = RequestFactory().get(path, HTTP_AUTHORIZATION=f"Bearer {secret}").environ

    def start_response(status: str, headers: list) -> None:
        assert status.startswith("200"), status

    def serve() -> None:
        response = handler(dict(environ), start_response)
        b"".join(response)
        response.close()

    # As Django's test client does: the test's transaction keeps its connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        serve()  # warm: imports, compiled queries, caches
        gc.collect()
        gc.disable()
        before = len(gc.get_objects())
        for _ in range(REQUESTS):
            serve()
        return len(gc.get_objects()) - before
    finally:
        gc.enable()
        gc.collect()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_a_member_page_is_freed_with_its_response():
    leader = PlayerFactory()
    title = Title.objects.create(slug="cycles", name="Cycles")
    guild = guild_create(founder=leader, title=title, name="Cycle Breakers", tag="CB", capacity=60)
    for _ in range(40):
        guild_join(player=PlayerFactory(), guild=guild)
    secret = api_token_create(user=leader.user, name="t").secret
    path = f"/api/v1/guilds/{guild.id}/members?limit=50"

    released = _objects_left_behind(path, secret)
    without = [name for name in settings.MIDDLEWARE if not name.endswith(".ViewCycleRelease")]
    with override_settings(MIDDLEWARE=without):
        kept = _objects_left_behind(path, secret)

    # Without the release every response stays, with its 41 member dicts and their player
    # cards, until a collection; with it the page goes at once (what remains per request is
    # DRF's request and view, which hold each other but no page).
    assert kept - released >= REQUESTS * 41 * 2

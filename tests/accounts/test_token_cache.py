"""API token rows kept between requests (apps/accounts/token_cache.py): the lookup's query is
saved, and no change to what it reads is ever seen late.

Each change below is made after the row was kept, and the process's kept row is left alone:
what ends it is the user's version in Redis, exactly as for a row another worker kept."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create
from apps.moderation.models import Sanction
from apps.moderation.sanctions import sanction_issue
from apps.players.data_rights import player_deletion_request
from tests.players.factories import PlayerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def alice():
    return PlayerFactory(display_name="alice", display_name_key="alice")


def token_client(player, **options) -> tuple[APIClient, ApiToken]:
    created = api_token_create(user=player.user, name="game client", **options)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {created.secret}")
    return client, created.token


def token_lookups(queries: CaptureQueriesContext) -> int:
    return sum('"accounts_apitoken"."digest" =' in query["sql"] for query in queries)


def test_a_kept_token_costs_no_query_on_the_next_request(alice):
    client, _token = token_client(alice)

    with CaptureQueriesContext(connection) as first:
        assert client.get("/api/v1/me").status_code == 200
    with CaptureQueriesContext(connection) as second:
        again = client.get("/api/v1/me")

    assert token_lookups(first) == 2  # found, then read again after its version
    assert token_lookups(second) == 0
    assert again.status_code == 200 and again.json()["display_name"] == "alice"


def test_a_process_that_never_saw_a_token_reads_it_once(alice):
    """The clients of a node that died reconnect to others: those know the token's user from
    Redis, so each reconnect costs one lookup, not the two of a token nobody has read."""
    from apps.accounts.token_cache import local_state_clear

    client, _token = token_client(alice)
    assert client.get("/api/v1/me").status_code == 200
    local_state_clear()  # what another process holds: nothing

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/me").status_code == 200

    assert token_lookups(queries) == 1


def test_the_cache_can_be_turned_off(alice, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0
    client, _token = token_client(alice)
    client.get("/api/v1/me")

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/me").status_code == 200

    assert token_lookups(queries) == 1


def test_a_revoked_token_is_refused_on_the_next_request(alice):
    client, token = token_client(alice)
    assert client.get("/api/v1/me").status_code == 200

    assert client.delete(f"/api/v1/auth/tokens/{token.id}").status_code == 204
    refused = client.get("/api/v1/me")

    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"


def test_a_deactivated_user_is_refused_on_the_next_request(alice):
    client, _token = token_client(alice)
    assert client.get("/api/v1/me").status_code == 200

    alice.user.is_active = False
    alice.user.save(update_fields=["is_active"])

    assert client.get("/api/v1/me").status_code == 401


def test_a_player_asking_for_deletion_is_refused_on_the_next_request(alice):
    client, _token = token_client(alice)
    assert client.get("/api/v1/me").status_code == 200

    player_deletion_request(player=alice)

    assert client.get("/api/v1/me").status_code == 401


def test_a_suspension_is_enforced_on_the_next_request(alice):
    client, _token = token_client(alice)
    assert client.get("/api/v1/me").status_code == 200

    sanction_issue(player=alice, kind="suspension", duration=timedelta(hours=1))
    refused = client.get("/api/v1/me")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "suspended"


def test_a_suspension_set_to_start_later_is_enforced_when_it_starts(alice):
    client, _token = token_client(alice)
    starts = timezone.now() + timedelta(seconds=1.5)
    Sanction.objects.create(
        player=alice, kind="suspension", starts_at=starts, expires_at=starts + timedelta(hours=1)
    )  # as staff may set it in the admin

    before = client.get("/api/v1/me")
    kept = client.get("/api/v1/me")
    time.sleep(max(0.0, (starts - timezone.now()).total_seconds()) + 0.1)
    after = client.get("/api/v1/me")  # no write since: the kept row must still let it be seen

    assert before.status_code == 200 and kept.status_code == 200
    assert after.status_code == 403
    assert after.json()["error"]["code"] == "suspended"


def test_a_token_that_expires_while_kept_is_refused(alice):
    client, _token = token_client(alice, expires_at=timezone.now() + timedelta(seconds=1))
    assert client.get("/api/v1/me").status_code == 200

    time.sleep(1.1)

    assert client.get("/api/v1/me").status_code == 401


def test_a_renamed_player_reads_the_new_name_on_the_next_request(alice):
    client, _token = token_client(alice)
    assert client.get("/api/v1/me").json()["display_name"] == "alice"

    renamed = client.patch("/api/v1/me", {"display_name": "alicia"}, format="json")
    with CaptureQueriesContext(connection) as queries:
        after = client.get("/api/v1/me")

    assert renamed.status_code == 200
    assert after.json()["display_name"] == "alicia"
    assert token_lookups(queries) == 1  # a token seen before is read once, after its version


def test_a_row_is_asked_again_when_redis_loses_its_versions(alice):
    """Redis keeps nothing on disk: after a restart every version is new. A write that could
    not delete its version (here: made without the ORM's signals) is seen then."""
    from django.core.cache import cache

    client, token = token_client(alice)
    assert client.get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(id=token.id).update(revoked_at=timezone.now())  # no signal

    kept = client.get("/api/v1/me")
    cache.clear()  # what a Redis restart leaves
    after = client.get("/api/v1/me")

    assert kept.status_code == 200  # the write told nobody: the kept row stood, as documented
    assert after.status_code == 401


def test_with_redis_down_every_request_asks_postgresql(alice, settings):
    client, token = token_client(alice)
    assert client.get("/api/v1/me").status_code == 200
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    with CaptureQueriesContext(connection) as queries:
        asked = client.get("/api/v1/me")
    lookups = token_lookups(queries)  # (read before the next request resets the log)
    ApiToken.objects.filter(id=token.id).update(revoked_at=timezone.now())  # no signal either
    refused = client.get("/api/v1/me")

    assert asked.status_code == 200 and lookups == 1
    assert refused.status_code == 401


def test_every_request_gets_instances_of_its_own(alice):
    """A view that changes the request's user or player in memory changes nothing the next
    request reads."""
    from apps.accounts.selectors import api_token_get_active

    created = api_token_create(user=alice.user, name="game client")
    first = api_token_get_active(secret=created.secret)
    first.user.player.display_name = "changed in memory"
    first.user.player.notification_opt_outs.append("guild_invite")  # a JSON list, in place
    second = api_token_get_active(secret=created.secret)

    assert second is not first and second.user is not first.user
    assert second.user.player.display_name == "alice"
    assert second.user.player.notification_opt_outs == []
    assert second.user.player.user is second.user  # loaded both ways, as the query built it


def test_lookups_on_threads_that_come_and_go_open_no_redis_connection_each(alice):
    """Daphne runs each socket's synchronous work on a thread of its own, and Django makes a
    cache backend, with its own connection pool, per thread: the version is asked on one
    connection per process, not one per socket."""
    import threading

    import redis
    from django.core.cache import cache

    from apps.accounts.selectors import api_token_get_active

    created = api_token_create(user=alice.user, name="game client")
    assert api_token_get_active(secret=created.secret) is not None  # kept, client made
    server = redis.Redis.from_url(cache._servers[0])
    before = server.info("stats")["total_connections_received"]
    found = []

    def socket_thread() -> None:
        found.append(api_token_get_active(secret=created.secret))

    for _ in range(5):
        thread = threading.Thread(target=socket_thread)
        thread.start()
        thread.join()

    assert [token.user_id for token in found] == [alice.user.id] * 5
    assert server.info("stats")["total_connections_received"] == before

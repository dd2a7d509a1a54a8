"""What a list read costs with a real bearer token read on every request
(``API_TOKEN_CACHE_SECONDS=0``; a process that keeps the token's row saves its query:
tests/accounts/test_token_cache.py): the query count is fixed (token, user, player and the
login gates' hints in one query; the page) and does not grow with the page size; and a
revoked token fails at once, on every worker. A suspension refuses the very next request too,
though the gate's own query is skipped when its hint is false
(tests/moderation/test_enforcement.py)."""

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.accounts.services import api_token_create
from apps.players.friends import block_create, friend_request_send
from apps.players.models import Player, Privacy
from apps.players.services import activity_record, notification_create
from tests.players.factories import PlayerFactory, in_game

# One query resolves the token with its user and player and whether a login gate could refuse
# them (a banned or suspended player is refused at once); one reads the page.
LIST_QUERIES = 2


@pytest.fixture(autouse=True)
def _token_read_every_request(settings) -> None:  # type: ignore[no-untyped-def]
    settings.API_TOKEN_CACHE_SECONDS = 0


def token_client(player: Player) -> Client:
    assert isinstance(player.user, User)
    secret = api_token_create(user=player.user, name="game client").secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def befriend(one: Player, other: Player) -> None:
    friend_request_send(sender=one, recipient=other)
    friend_request_send(sender=other, recipient=one)


def viewer_with_friends(count: int) -> tuple[Player, list[Player]]:
    me = PlayerFactory()
    friends = [PlayerFactory() for _ in range(count)]
    for friend in friends:
        befriend(me, friend)
        for n in range(4):
            activity_record(player=friend, kind="match_completed", data={"n": n})
            notification_create(recipient=me, kind="mention", data={"n": n}, actor=friend)
    return me, friends


@pytest.mark.django_db
@pytest.mark.parametrize("limit", [2, 40])
@pytest.mark.parametrize("path", ["/api/v1/feed", "/api/v1/notifications"])
def test_a_list_read_costs_two_queries_at_any_page_size(django_assert_num_queries, path, limit):
    me, _friends = viewer_with_friends(12)
    client = token_client(me)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(f"{path}?limit={limit}")

    assert response.status_code == 200
    assert len(response.json()["results"]) == limit
    assert response.json()["next"] is not None


@pytest.mark.django_db
@pytest.mark.parametrize("limit", [2, 30])
def test_the_next_page_costs_the_same(django_assert_num_queries, limit):
    me, _friends = viewer_with_friends(12)
    client = token_client(me)
    first = client.get(f"/api/v1/feed?limit={limit}").json()

    with django_assert_num_queries(LIST_QUERIES):
        second = client.get(first["next"]).json()

    first_ids = {entry["id"] for entry in first["results"]}
    assert len(second["results"]) == limit
    assert first_ids.isdisjoint(entry["id"] for entry in second["results"])


@pytest.mark.django_db
@pytest.mark.parametrize("limit", [2, 40])
def test_a_players_activity_costs_one_more_query_for_the_player(django_assert_num_queries, limit):
    me, friends = viewer_with_friends(1)
    target = friends[0]
    for n in range(50):
        activity_record(player=target, kind="match_completed", data={"n": n})
    client = token_client(me)

    with django_assert_num_queries(LIST_QUERIES + 1):
        response = client.get(f"/api/v1/players/{target.id}/activity?limit={limit}")

    assert response.status_code == 200
    assert {entry["player"]["id"] for entry in response.json()["results"]} == {target.id}
    assert len(response.json()["results"]) == limit


@pytest.mark.django_db
def test_friends_list_query_count_does_not_grow_with_friends(django_assert_num_queries):
    """Each friend's game session (presence) is a column of the page, not a query of its own."""
    me, friends = viewer_with_friends(3)
    in_game(friends[0], match_id="m-1")
    client = token_client(me)
    client.get("/api/v1/friends")  # as a running worker: SQLite's JSON support is known
    with django_assert_num_queries(LIST_QUERIES):
        small = client.get("/api/v1/friends").json()
    for index in range(9):
        friend = PlayerFactory()
        befriend(me, friend)
        if index % 3 == 0:
            in_game(friend)
    with django_assert_num_queries(LIST_QUERIES):
        large = client.get("/api/v1/friends").json()

    assert (len(small), len(large)) == (3, 12)
    in_a_game = sorted(f["presence"]["status"] for f in large if f["presence"]["title"])
    assert in_a_game == ["in_game"] * 3 + ["in_match"]


@pytest.mark.django_db
def test_the_one_query_feed_keeps_every_privacy_rule():
    me, (public, friends_only, private, blocked) = viewer_with_friends(4)
    stranger = PlayerFactory()
    activity_record(player=stranger, kind="match_completed", data={})
    Player.objects.filter(id=friends_only.id).update(privacy=Privacy.FRIENDS)
    Player.objects.filter(id=private.id).update(privacy=Privacy.PRIVATE)
    own = activity_record(player=me, kind="match_completed", data={})
    block_create(blocker=blocked, blocked=me)  # ends the friendship too

    results = token_client(me).get("/api/v1/feed?limit=200").json()["results"]

    authors = {entry["player"]["id"] for entry in results}
    assert authors == {me.id, public.id, friends_only.id}
    assert own.id in {entry["id"] for entry in results}


@pytest.mark.django_db
def test_a_revoked_token_fails_on_the_next_request_on_every_worker():
    me, _friends = viewer_with_friends(1)
    assert isinstance(me.user, User)
    created = api_token_create(user=me.user, name="game client")
    # Two clients stand for two workers; each has served a request with the token.
    worker_a = Client(HTTP_AUTHORIZATION=f"Bearer {created.secret}")
    worker_b = Client(HTTP_AUTHORIZATION=f"Bearer {created.secret}")
    assert worker_a.get("/api/v1/feed").status_code == 200
    assert worker_b.get("/api/v1/notifications").status_code == 200

    revoked = worker_a.delete(f"/api/v1/auth/tokens/{created.token.id}")

    assert revoked.status_code == 204
    for worker, path in ((worker_b, "/api/v1/notifications"), (worker_a, "/api/v1/feed")):
        response = worker.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.django_db
def test_a_deleted_players_token_reads_nothing():
    me, _friends = viewer_with_friends(1)
    client = token_client(me)
    assert client.get("/api/v1/feed").status_code == 200

    Player.objects.filter(id=me.id).update(deleted_at="2026-01-01T00:00:00Z")

    assert client.get("/api/v1/feed").status_code == 403

"""Profiles over REST: /me, display-name safety, and the privacy matrix."""

import pytest
from rest_framework.test import APIClient

from apps.players.friends import block_create, friend_request_send
from apps.players.models import Player, Privacy
from apps.players.presence_store import presence_store
from apps.players.services import activity_record
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def client_for(player: Player) -> APIClient:
    client = APIClient()
    client.force_authenticate(player.user)
    return client


def befriend(one: Player, other: Player) -> None:
    friend_request_send(sender=one, recipient=other)
    friend_request_send(sender=other, recipient=one)


def test_me_returns_the_own_profile_with_private_settings():
    player = PlayerFactory(display_name="Hanako", privacy=Privacy.FRIENDS)

    body = client_for(player).get("/api/v1/me").json()

    assert body["id"] == player.id
    assert body["display_name"] == "Hanako"
    assert body["visibility"] == "self"
    assert body["privacy"] == "friends"
    assert body["notification_opt_outs"] == []


def test_me_patch_updates_profile_fields():
    player = PlayerFactory()

    response = client_for(player).patch(
        "/api/v1/me",
        {"display_name": "山田太郎", "bio": "<b>hi</b>", "time_zone": "Asia/Tokyo",
         "locale": "ja", "country": "JP", "privacy": "private"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 200
    player.refresh_from_db()
    assert (player.display_name, player.bio, player.time_zone) == (
        "山田太郎",
        "<b>hi</b>",
        "Asia/Tokyo",
    )
    assert (player.locale, player.country, player.privacy) == ("ja", "JP", "private")


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("time_zone", "Mars/Olympus", "unknown_time_zone"),
        ("locale", "xx", "unsupported_locale"),
        ("country", "jp", "invalid_country"),
    ],
)
def test_me_patch_rejects_bad_values_and_changes_nothing(field, value, code):
    player = PlayerFactory(display_name="Hanako")

    response = client_for(player).patch("/api/v1/me", {field: value}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    player.refresh_from_db()
    assert (player.time_zone, player.locale, player.country) == ("UTC", "en", "")


@pytest.mark.parametrize(
    "taken_by_variant",
    [
        "\uff33\uff4f\uff4e\uff49\uff43",  # fullwidth Sonic: NFKC maps it to "Sonic"
        "SONIC",  # case folding
        "S0nic",  # digit zero confusable with o
    ],
)
def test_display_names_that_look_the_same_are_taken(taken_by_variant):
    PlayerFactory(display_name="sonic")
    player = PlayerFactory(display_name="Tails")

    response = client_for(player).patch(
        "/api/v1/me", {"display_name": taken_by_variant}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "display_name_taken"
    player.refresh_from_db()
    assert player.display_name == "Tails"


def test_fullwidth_name_is_stored_normalized():
    player = PlayerFactory(display_name="Tails")

    client_for(player).patch(
        "/api/v1/me", {"display_name": "\uff33\uff4f\uff4e\uff49\uff43"}, format="json"
    )

    player.refresh_from_db()
    assert player.display_name == "Sonic"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("\u0405onic", "name_mixed_script"),  # Cyrillic DZE inside a Latin word
        ("so\u200dnic", "name_control_characters"),  # zero-width joiner
        ("so\u200bnic", "name_control_characters"),  # zero-width space
        ("\u202eevil", "name_control_characters"),  # right-to-left override
        ("ab", "name_too_short"),
        ("<script>", "name_invalid_characters"),
    ],
)
def test_unsafe_display_names_are_rejected_with_their_code(name, code):
    player = PlayerFactory(display_name="Tails")

    response = client_for(player).patch("/api/v1/me", {"display_name": name}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    player.refresh_from_db()
    assert player.display_name == "Tails"


def test_api_rejects_title_keys_and_anonymous_callers():
    assert APIClient().get("/api/v1/me").status_code == 401


# --- Privacy matrix ------------------------------------------------------------------------
# Each privacy level x (self, friend, stranger, blocked): profile level, presence, feed.
MATRIX = [
    # privacy, relation, profile visibility (None = 404), sees presence, sees activity
    (Privacy.PUBLIC, "self", "self", True, True),
    (Privacy.PUBLIC, "friend", "full", True, True),
    (Privacy.PUBLIC, "stranger", "full", True, True),
    (Privacy.PUBLIC, "blocked", None, False, False),
    (Privacy.FRIENDS, "self", "self", True, True),
    (Privacy.FRIENDS, "friend", "full", True, True),
    (Privacy.FRIENDS, "stranger", "limited", False, False),
    (Privacy.FRIENDS, "blocked", None, False, False),
    (Privacy.PRIVATE, "self", "self", True, True),
    (Privacy.PRIVATE, "friend", "limited", False, False),
    (Privacy.PRIVATE, "stranger", "limited", False, False),
    (Privacy.PRIVATE, "blocked", None, False, False),
]


def _viewer_for(target: Player, relation: str) -> Player:
    if relation == "self":
        return target
    viewer = PlayerFactory()
    if relation == "friend":
        befriend(viewer, target)
    if relation == "blocked":
        block_create(blocker=target, blocked=viewer)
    return viewer


@pytest.mark.parametrize(("privacy", "relation", "level", "sees_presence", "sees_feed"), MATRIX)
def test_privacy_matrix(privacy, relation, level, sees_presence, sees_feed):
    target = PlayerFactory(privacy=privacy, bio="my bio")
    viewer = _viewer_for(target, relation)
    presence_store().connection_open(user_id=target.user_id, connection_id="device-1")
    entry = activity_record(player=target, kind="match_completed", data={"won": True})
    client = client_for(viewer)

    profile = client.get(f"/api/v1/players/{target.id}")
    activity = client.get(f"/api/v1/players/{target.id}/activity")
    feed_ids = [item["id"] for item in client.get("/api/v1/feed").json()["results"]]
    friends = client.get("/api/v1/friends").json()

    if level is None:
        assert profile.status_code == 404
        assert activity.status_code == 404
    else:
        body = profile.json()
        assert body["visibility"] == level
        assert ("bio" in body) is (level in ("self", "full"))
        assert (body.get("presence", {}).get("status") == "online") is sees_presence
        assert (entry.id in [e["id"] for e in activity.json()["results"]]) is sees_feed
    if relation in ("self", "friend"):
        assert (entry.id in feed_ids) is sees_feed
    else:
        assert entry.id not in feed_ids  # strangers' activity never enters my feed
    listed = {friend["id"]: friend["presence"]["status"] for friend in friends}
    if relation == "friend":
        assert listed[target.id] == ("online" if sees_presence else "offline")


def test_blocked_players_do_not_find_each_other_in_search():
    alice = PlayerFactory(display_name="Alice")
    PlayerFactory(display_name="Alicia")
    blocker = PlayerFactory(display_name="Alison")
    block_create(blocker=blocker, blocked=alice)

    names = [p["display_name"] for p in client_for(alice).get("/api/v1/players?q=ali").json()]
    names_for_blocker = [
        p["display_name"] for p in client_for(blocker).get("/api/v1/players?q=ALI").json()
    ]

    assert names == ["Alice", "Alicia"]
    assert names_for_blocker == ["Alicia", "Alison"]

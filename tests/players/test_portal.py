"""Portal pages: server-rendered, escaped, and backed by the same services as REST."""

import pytest
from django.test import Client

from apps.players.friends import block_create, friend_request_accept, friend_request_send
from apps.players.models import FriendRequest, Friendship, Notification, Player, Privacy
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def browser_for(player: Player) -> Client:
    client = Client()
    client.force_login(player.user)
    return client


@pytest.mark.parametrize(
    "path",
    ["/players/me/", "/players/friends/", "/players/notifications/", "/players/settings/"],
)
def test_own_pages_render_and_link_the_live_badge(path):
    player = PlayerFactory()

    response = browser_for(player).get(path)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="notification-badge"' in body
    assert "/static/players/live.js" in body


def test_own_pages_need_a_login():
    response = Client().get("/players/me/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_login_without_player_creates_its_profile_first():
    player = PlayerFactory()
    user = player.user
    player.delete()
    client = Client()
    client.force_login(user)

    redirect = client.get("/players/friends/")
    created = client.post("/players/create/", {"display_name": "Newbie"})

    assert redirect["Location"] == "/players/create/"
    assert created["Location"] == "/players/me/"
    assert Player.objects.get(user=user).display_name == "Newbie"


def test_profile_edit_and_bio_is_rendered_escaped():
    player = PlayerFactory(display_name="Hanako")
    client = browser_for(player)

    client.post(
        "/players/me/",
        {"display_name": "Hanako", "bio": "<script>alert(1)</script>", "locale": "ja",
         "time_zone": "Asia/Tokyo", "country": "jp"},
    )  # fmt: skip
    page = Client().get(f"/players/{player.id}/").content.decode()

    player.refresh_from_db()
    assert (player.locale, player.country) == ("ja", "JP")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_profile_edit_shows_name_errors_and_changes_nothing():
    player = PlayerFactory(display_name="Hanako")

    response = browser_for(player).post(
        "/players/me/",
        {"display_name": "\u0405onic", "bio": "", "locale": "en", "time_zone": "UTC"},
        follow=True,
    )

    assert "look-alike alphabets" in response.content.decode()
    player.refresh_from_db()
    assert player.display_name == "Hanako"


def test_public_profile_honours_privacy_and_blocks():
    private = PlayerFactory(privacy=Privacy.PRIVATE, bio="secret bio")
    blocker = PlayerFactory(bio="blocker bio")
    viewer = PlayerFactory()
    block_create(blocker=blocker, blocked=viewer)

    anonymous = Client().get(f"/players/{private.id}/").content.decode()
    blocked = browser_for(viewer).get(f"/players/{blocker.id}/")

    assert "secret bio" not in anonymous
    assert "This profile is private." in anonymous
    assert blocked.status_code == 404


def test_friend_request_accept_through_pages():
    alice, bob = PlayerFactory(), PlayerFactory(display_name="Bobby")

    browser_for(alice).post(f"/players/{bob.id}/friend-request/")
    friends_page = browser_for(bob).get("/players/friends/").content.decode()
    request_id = FriendRequest.objects.get().id
    browser_for(bob).post(f"/players/requests/{request_id}/accept/")

    assert alice.display_name in friends_page
    assert Friendship.objects.count() == 1
    assert Notification.objects.filter(recipient=alice, kind="friend_accepted").count() == 1


def test_settings_save_privacy_and_opt_outs():
    player = PlayerFactory()

    browser_for(player).post(
        "/players/settings/", {"privacy": "friends", "opted_out": ["mention", "achievement"]}
    )

    player.refresh_from_db()
    assert player.privacy == "friends"
    assert player.notification_opt_outs == ["achievement", "mention"]


def test_deletion_needs_the_typed_confirmation():
    player = PlayerFactory()

    browser_for(player).post("/players/settings/delete/", {"confirm": "yes"})

    player.refresh_from_db()
    assert player.deletion_requested_at is None
    assert player.user.is_active is True


def test_showcase_is_curated_from_own_achievements_only():
    from django.utils import timezone

    from apps.players.models import Achievement
    from apps.players.services import achievement_unlock
    from tests.factories import TitleFactory

    player, other, title = PlayerFactory(), PlayerFactory(), TitleFactory()
    for owner, key in ((player, "a"), (player, "b"), (other, "c")):
        achievement_unlock(player=owner, title=title, key=key, name=key, unlocked_at=timezone.now())
    ids = dict(Achievement.objects.values_list("key", "id"))

    browser_for(player).post("/players/me/showcase/", {"achievement": [ids["b"], ids["c"]]})
    page = Client().get(f"/players/{player.id}/").content.decode()

    showcased = set(Achievement.objects.filter(is_showcased=True).values_list("key", flat=True))
    assert showcased == {"b"}
    assert "Showcase" in page


@pytest.mark.parametrize(
    ("privacy", "is_friend", "offers_message"),
    [
        (Privacy.PUBLIC, False, True),
        (Privacy.FRIENDS, False, False),
        (Privacy.FRIENDS, True, True),
    ],
)
def test_a_profile_offers_message_only_where_the_players_privacy_admits_it(
    privacy, is_friend, offers_message
):
    viewer = PlayerFactory()
    player = PlayerFactory(privacy=privacy)
    if is_friend:
        friend_request_accept(
            player=player, request=friend_request_send(sender=viewer, recipient=player)
        )

    body = browser_for(viewer).get(f"/players/{player.id}/").content.decode()

    assert ('data-testid="message-player"' in body) is offers_message

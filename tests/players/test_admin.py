"""The admin finds players by name, identity and email, and shows counts without N+1."""

import pytest
from django.test import Client

from apps.players.friends import friend_request_send
from apps.players.services import notification_create, player_get_or_create_by_identity
from tests.factories import UserFactory
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("query", ["Hanako", "hanako-login", "hanako@example.test", "765611"])
def test_admin_search_by_name_login_email_or_identity(admin_client, query):
    hanako = PlayerFactory(
        display_name="Hanako", user__username="hanako-login", user__email="hanako@example.test"
    )
    shadow = player_get_or_create_by_identity(provider="steam", external_id="765611")
    shadow.identities.update(player=hanako)
    PlayerFactory(display_name="Taro")

    page = admin_client.get("/admin/players/player/", {"q": query}).content.decode()

    assert "Hanako" in page
    assert "Taro" not in page


def test_admin_list_counts_friends_and_notifications_in_constant_queries(
    admin_client, django_assert_max_num_queries
):
    for _ in range(10):
        one, other = PlayerFactory(), PlayerFactory()
        friend_request_send(sender=one, recipient=other)
        notification_create(recipient=other, kind="mention", data={}, actor=one)

    with django_assert_max_num_queries(10):
        response = admin_client.get("/admin/players/player/")

    assert response.status_code == 200


def test_admin_player_page_shows_identities(admin_client):
    player = PlayerFactory()
    shadow = player_get_or_create_by_identity(provider="xbox", external_id="xuid-42")
    shadow.identities.update(player=player)

    page = admin_client.get(f"/admin/players/player/{player.id}/change/").content.decode()

    assert "xuid-42" in page

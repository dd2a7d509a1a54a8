"""Reaction emoji per title: set in the admin, enforced by `react`, announced to clients."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from rest_framework.test import APIClient

from apps.chat.channels import direct_channel_get_or_create, membership_ensure
from apps.chat.models import Reaction, TitleChatSettings
from tests.chat.support import open_socket
from tests.factories import UserFactory


def starfall_reactions(title) -> TitleChatSettings:
    return TitleChatSettings.objects.create(title=title, reaction_emoji=["⚔️", "GG", "🛡️"])


@pytest.mark.django_db(transaction=True)
async def test_react_accepts_only_the_titles_set_and_subscribed_announces_it(
    title, lobby, alice, bob
):
    await database_sync_to_async(starfall_reactions)(title)
    dm = await database_sync_to_async(direct_channel_get_or_create)(first=alice, second=bob)
    socket = await open_socket(alice.user)
    subscribed = await socket.call(
        {"type": "subscribe", "channels": [{"channel_id": lobby.id}, {"channel_id": dm.id}]}
    )
    in_lobby = await socket.call({"type": "send", "channel_id": lobby.id, "body": "gg"})
    in_dm = await socket.call({"type": "send", "channel_id": dm.id, "body": "hi"})

    sword = await socket.call({"type": "react", "message_id": in_lobby["message"]["id"],
                               "emoji": "⚔️"})  # fmt: skip
    default_only = await socket.call({"type": "react", "message_id": in_lobby["message"]["id"],
                                      "emoji": "👍"})  # fmt: skip
    in_dm_default = await socket.call({"type": "react", "message_id": in_dm["message"]["id"],
                                       "emoji": "👍"})  # fmt: skip
    in_dm_title_only = await socket.call({"type": "react", "message_id": in_dm["message"]["id"],
                                          "emoji": "⚔️"})  # fmt: skip

    sets = {entry["channel_id"]: entry["reactions"] for entry in subscribed["channels"]}
    assert sets == {lobby.id: ["⚔️", "GG", "🛡️"],
                    dm.id: ["👍", "❤️", "😂", "😮", "😢", "🎉", "🔥", "GG"]}  # fmt: skip
    assert (sword["type"], in_dm_default["type"]) == ("ack", "ack")
    assert default_only["code"] == "invalid_reaction"
    assert default_only["details"] == {"allowed": ["⚔️", "GG", "🛡️"]}
    assert in_dm_title_only["code"] == "invalid_reaction"
    stored = await database_sync_to_async(list)(Reaction.objects.values_list("emoji", flat=True))
    assert sorted(stored) == ["⚔️", "👍"]
    assert socket.welcome["limits"]["reactions"] == ["👍", "❤️", "😂", "😮", "😢", "🎉", "🔥", "GG"]
    await socket.close()


@pytest.mark.django_db
def test_channel_list_shows_each_channels_reaction_set(title, lobby, alice, bob):
    starfall_reactions(title)
    dm = direct_channel_get_or_create(first=alice, second=bob)
    membership_ensure(channel=lobby, player=alice)
    client = APIClient()
    client.force_authenticate(alice.user)

    channels = client.get("/api/v1/chat/channels").json()

    assert {c["id"]: c["reactions"][:2] for c in channels} == {
        lobby.id: ["⚔️", "GG"], dm.id: ["👍", "❤️"],
    }  # fmt: skip


@pytest.mark.django_db
def test_admin_edits_a_titles_set_as_one_line_and_refuses_bad_sets(title):
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = "/admin/chat/titlechatsettings/add/"

    duplicate = admin.post(url, {"title": title.id, "reaction_emoji": "GG GG"})
    created = admin.post(url, {"title": title.id, "reaction_emoji": " ⚔️  GG 🛡️ "})

    assert duplicate.status_code == 200  # the form again, with the error
    assert "Reaction emoji must be distinct." in duplicate.content.decode()
    assert created.status_code == 302
    assert TitleChatSettings.objects.get(title=title).reaction_emoji == ["⚔️", "GG", "🛡️"]
    row = TitleChatSettings.objects.get()
    change = admin.get(f"/admin/chat/titlechatsettings/{row.id}/change/")
    assert 'value="⚔️ GG 🛡️"' in change.content.decode()

"""A guild's ``manage_chat`` permission moderates its chat: deleting others' messages and slow
mode, over the real ASGI app (docs/guilds.md#guild-chat). Nothing else grants it, and it
reaches no other channel."""

import json

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from apps.chat.channels import lobby_channel_get_or_create
from apps.chat.models import Channel, Message, MessageEdit
from apps.guilds.chat import guild_channel
from apps.guilds.membership import guild_join
from apps.guilds.models import AuditAction, GuildAuditEntry, GuildRole, Permission, RoleKind
from apps.guilds.services import (
    guild_disband,
    guild_member_role_set,
    guild_role_create,
    guild_role_update,
)
from tests.chat.support import open_socket
from tests.guilds.factories import make_guild
from tests.players.factories import PlayerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def officers_guild():
    """A guild with its leader, an officer (default permissions), a moderator of a custom role
    holding only ``manage_chat``, and a plain member; and its main channel."""
    guild = make_guild()
    leader = guild.memberships.select_related("player__user").get(is_leader=True).player
    officer, custom, member = PlayerFactory(), PlayerFactory(), PlayerFactory()
    for player in (officer, custom, member):
        guild_join(player=player, guild=guild)
    officer_role = GuildRole.objects.get(guild=guild, kind=RoleKind.OFFICER)
    guild_member_role_set(actor=leader, guild=guild, target=officer, role=officer_role)
    helper_role = guild_role_create(
        actor=leader, guild=guild, name="Chat helper", rank=10, permission_names=["manage_chat"]
    )
    guild_member_role_set(actor=leader, guild=guild, target=custom, role=helper_role)
    return guild, leader, officer, custom, member, guild_channel(guild=guild)


def lobby_of(guild):
    return lobby_channel_get_or_create(title=guild.title)


def audit_of(guild, action) -> list[dict]:
    return list(GuildAuditEntry.objects.filter(guild=guild, action=action).values("actor", "data"))


async def test_holders_of_manage_chat_delete_members_messages_and_it_is_logged():
    guild, _leader, officer, custom, member, channel = await database_sync_to_async(
        officers_guild
    )()
    author, officer_socket, custom_socket = [
        await open_socket(player.user) for player in (member, officer, custom)
    ]
    await author.call({"type": "subscribe", "channels": [{"channel_id": channel.id}]})
    sent = [
        (await author.call({"type": "send", "channel_id": channel.id, "body": body}))["message"]
        for body in ("spam one", "spam two")
    ]

    by_officer = await officer_socket.call({"type": "delete", "message_id": sent[0]["id"]})
    by_custom = await custom_socket.call({"type": "delete", "message_id": sent[1]["id"]})
    deleted = [await author.next_of("message_deleted") for _ in range(2)]

    assert (by_officer["type"], by_custom["type"]) == ("ack", "ack")
    assert [(d["message_id"], d["by_moderator"]) for d in deleted] == [
        (sent[0]["id"], True),
        (sent[1]["id"], True),
    ]
    kept = await database_sync_to_async(list)(
        MessageEdit.objects.order_by("id").values_list("body", flat=True)
    )
    assert kept == ["spam one", "spam two"]  # the text stays as evidence
    logged = await database_sync_to_async(audit_of)(guild, AuditAction.CHAT_MESSAGE_DELETED)
    # Both deletions are logged with who did it (the two land within the same instant on
    # SQLite, so the log's own order between them is not asserted).
    assert sorted((entry["data"]["message_id"], entry["actor"]) for entry in logged) == [
        (sent[0]["id"], officer.id),
        (sent[1]["id"], custom.id),
    ]
    for socket in (author, officer_socket, custom_socket):
        await socket.close()


async def test_without_manage_chat_or_outside_the_guild_a_delete_is_forbidden_and_changes_nothing():
    guild, leader, officer, _custom, member, channel = await database_sync_to_async(
        officers_guild
    )()
    officer_role = await database_sync_to_async(GuildRole.objects.get)(
        guild=guild, kind=RoleKind.OFFICER
    )
    await database_sync_to_async(guild_role_update)(
        actor=leader,
        role=officer_role,
        permission_names=[p for p in Permission.values if p != Permission.MANAGE_CHAT],
    )
    lobby = await database_sync_to_async(lobby_of)(guild)
    outsider = await database_sync_to_async(PlayerFactory)()
    leader_socket, officer_socket, member_socket, outsider_socket = [
        await open_socket(player.user) for player in (leader, officer, member, outsider)
    ]
    in_guild = await leader_socket.call({"type": "send", "channel_id": channel.id, "body": "hi"})
    in_lobby = await outsider_socket.call({"type": "send", "channel_id": lobby.id, "body": "yo"})

    refusals = [
        await member_socket.call({"type": "delete", "message_id": in_guild["message"]["id"]}),
        await officer_socket.call({"type": "delete", "message_id": in_guild["message"]["id"]}),
        # The leader moderates the guild's chat, not a lobby of the guild's title.
        await leader_socket.call({"type": "delete", "message_id": in_lobby["message"]["id"]}),
    ]

    assert [refusal["code"] for refusal in refusals] == ["forbidden"] * 3
    deleted = await database_sync_to_async(Message.objects.filter(deleted_at__isnull=False).count)()
    assert deleted == 0
    logged = await database_sync_to_async(audit_of)(guild, AuditAction.CHAT_MESSAGE_DELETED)
    assert logged == []
    for socket in (leader_socket, officer_socket, member_socket, outsider_socket):
        await socket.close()


async def test_an_officer_sets_slow_mode_members_are_held_to_it_and_only_holders_may_set_it():
    guild, _leader, officer, _custom, member, channel = await database_sync_to_async(
        officers_guild
    )()
    lobby = await database_sync_to_async(lobby_of)(guild)
    officer_socket, member_socket = [await open_socket(player.user) for player in (officer, member)]
    await member_socket.call({"type": "subscribe", "channels": [{"channel_id": channel.id}]})

    by_member = await member_socket.call(
        {"type": "slow_mode", "channel_id": channel.id, "seconds": 60}
    )
    too_long = await officer_socket.call(
        {"type": "slow_mode", "channel_id": channel.id, "seconds": 6 * 3600 + 1}
    )
    in_lobby = await officer_socket.call(
        {"type": "slow_mode", "channel_id": lobby.id, "seconds": 60}
    )
    by_officer = await officer_socket.call(
        {"type": "slow_mode", "channel_id": channel.id, "seconds": 60}
    )
    updated = await member_socket.next_of("channel_updated")
    first = await member_socket.call({"type": "send", "channel_id": channel.id, "body": "one"})
    second = await member_socket.call({"type": "send", "channel_id": channel.id, "body": "two"})

    assert (by_member["code"], too_long["code"], in_lobby["code"]) == (
        "forbidden",
        "invalid_input",
        "forbidden",
    )
    assert by_officer == {
        "type": "ack",
        "id": by_officer["id"],
        "channel_id": channel.id,
        "slow_mode_seconds": 60,
    }
    assert updated == {"type": "channel_updated", "channel_id": channel.id, "slow_mode_seconds": 60}
    assert (first["type"], second["code"]) == ("sent", "rate_limited")
    modes = await database_sync_to_async(dict)(
        Channel.objects.filter(id__in=[channel.id, lobby.id]).values_list("id", "slow_mode_seconds")
    )
    assert modes == {channel.id: 60, lobby.id: 0}
    logged = await database_sync_to_async(audit_of)(guild, AuditAction.CHAT_SLOW_MODE_SET)
    assert [(e["actor"], e["data"]["before"], e["data"]["after"]) for e in logged] == [
        (officer.id, 0, 60)
    ]
    for socket in (officer_socket, member_socket):
        await socket.close()


def _moderated_on_chat_page(player) -> list[int]:
    client = Client()
    client.force_login(player.user)
    page = client.get("/chat/").content.decode()
    config = page.split('<script id="chat-config" type="application/json">', 1)[1]
    return json.loads(config.split("</script>", 1)[0])["moderated_channel_ids"]


def test_the_chat_page_offers_moderation_only_in_the_channels_the_player_moderates():
    guild = make_guild(members=1)
    leader = guild.memberships.get(is_leader=True).player
    member = guild.memberships.get(is_leader=False).player
    other_leader = make_guild().memberships.get().player
    main, officers = guild_channel(guild=guild), guild_channel(guild=guild, officers=True)

    assert _moderated_on_chat_page(leader) == sorted([main.id, officers.id])
    assert _moderated_on_chat_page(member) == []
    assert main.id not in _moderated_on_chat_page(other_leader)
    guild_disband(actor=leader, guild=guild)
    assert _moderated_on_chat_page(leader) == []

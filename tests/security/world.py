"""One small community the credential tests act on: two titles, players who play one or both,
every kind of channel, and a message in each, built through the services.

``alice`` plays Starfall Arena (its events created her identity) and Kaiju Kingdoms (its
events named it since); ``carol`` plays Tiny Racers only; ``mod`` is a staff login with the
``chat.delete_message`` permission who plays Starfall Arena.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Sum

from apps.accounts.models import ApiToken, User
from apps.chat.channels import (
    announcement_channel_get_or_create,
    direct_channel_get_or_create,
    lobby_channel_get_or_create,
    match_channel_open,
)
from apps.chat.models import Channel, ChatToken, Membership, Message, Reaction
from apps.chat.services import announcement_post, message_send
from apps.players.models import (
    Block,
    FriendRequest,
    IdentityClaimCode,
    IdentityTitleUse,
    Notification,
    Player,
    PlayerIdentity,
)
from apps.players.services import player_create
from apps.titles.models import Title, TitleCredential
from tests.factories import TitleFactory, UserFactory


@dataclass
class World:
    starfall: Title
    kaiju: Title
    racers: Title
    alice: Player
    bob: Player
    carol: Player
    mod: Player
    channels: dict[str, Channel] = field(default_factory=dict)
    # Per channel: a message of bob's (alice's other party) and one of alice's own.
    bobs: dict[str, Message] = field(default_factory=dict)
    alices: dict[str, Message] = field(default_factory=dict)


def _player(name: str, *, is_staff: bool = False) -> Player:
    return player_create(user=UserFactory(username=name.lower(), is_staff=is_staff),
                         display_name=name)  # fmt: skip


def _identity(player: Player, title: Title, *, also_used_by: tuple[Title, ...] = ()) -> None:
    identity = PlayerIdentity.objects.create(
        player=player, provider="steam", external_id=f"7656-{player.id}", title=title,
        is_verified=True,
    )  # fmt: skip
    for other in also_used_by:
        IdentityTitleUse.objects.create(identity=identity, title=other)


def world_build() -> World:
    world = World(
        starfall=TitleFactory(slug="starfall-arena", name="Starfall Arena"),
        kaiju=TitleFactory(slug="kaiju-kingdoms", name="Kaiju Kingdoms"),
        racers=TitleFactory(slug="tiny-racers", name="Tiny Racers"),
        alice=_player("Alice"),
        bob=_player("Bobby"),
        carol=_player("Carol"),
        mod=_player("Hana", is_staff=True),
    )
    world.mod.user.user_permissions.add(Permission.objects.get(codename="delete_message"))
    _identity(world.alice, world.starfall, also_used_by=(world.kaiju,))
    _identity(world.bob, world.starfall)
    _identity(world.carol, world.racers)
    _identity(world.mod, world.starfall)
    alice, bob = world.alice, world.bob
    both = [alice.id, bob.id, world.mod.id]
    world.channels = {
        "starfall_lobby": lobby_channel_get_or_create(title=world.starfall),
        "starfall_match": match_channel_open(title=world.starfall, match_id="m1", player_ids=both),
        "kaiju_lobby": lobby_channel_get_or_create(title=world.kaiju),
        "kaiju_match": match_channel_open(title=world.kaiju, match_id="m2", player_ids=both),
        "dm": direct_channel_get_or_create(first=alice, second=bob),
        "foreign_dm": direct_channel_get_or_create(first=bob, second=world.carol),
    }
    for name, channel in world.channels.items():
        world.bobs[name] = message_send(channel=channel, author=bob, body=f"hello {name}").message
        if name != "foreign_dm":
            own = message_send(channel=channel, author=alice, body=f"mine {name}").message
            world.alices[name] = own
    world.channels["starfall_news"] = announcement_channel_get_or_create(title=world.starfall)
    world.bobs["starfall_news"] = announcement_post(title=world.starfall, body="Patch 1.2")
    return world


def state_snapshot() -> dict[str, Any]:
    """Everything a denied request must leave as it was."""
    return {
        "messages": sorted(Message.objects.values_list("id", "body", "deleted_at", "edited_at")),
        "reactions": Reaction.objects.count(),
        "channels": Channel.objects.count(),
        "memberships": list(
            Membership.objects.order_by("channel_id", "player_id").values_list(
                "channel_id", "player_id", "last_read_seq"
            )
        ),
        "read_total": Membership.objects.aggregate(total=Sum("last_read_seq"))["total"],
        "chat_tokens": ChatToken.objects.count(),
        "players": sorted(Player.objects.values_list("id", "display_name", "bio", "deleted_at")),
        "identities": sorted(PlayerIdentity.objects.values_list("id", "player_id", "title_id")),
        "identity_uses": IdentityTitleUse.objects.count(),
        "claim_codes": IdentityClaimCode.objects.count(),
        "friend_requests": FriendRequest.objects.count(),
        "blocks": Block.objects.count(),
        "notifications": sorted(Notification.objects.values_list("id", "read_at")),
        "title_keys": sorted(TitleCredential.objects.values_list("id", "revoked_at", "expires_at")),
        "api_tokens": ApiToken.objects.count(),
        "users": sorted(User.objects.values_list("id", "is_active")),
    }

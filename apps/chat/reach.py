"""Which channels a socket's credential reaches, on top of what the player may read.

A chat token is minted by one title's game server for a player of that title; on its socket
the player reaches that title's channels (lobbies, announcements, its matches) and the
channels that follow the player across games (direct messages, guild chat) — never another
title's channels, even those the player may read through the portal. A portal session or
the player's own API token reaches every channel the player may read. Checked with the
player's rights on every frame (docs/websocket-protocol.md, "Chat tokens and what they
reach"); a channel out of reach answers ``unknown_channel``/``unknown_message`` like one the
player may not read.
"""

from dataclasses import dataclass

from apps.chat.kinds import kind_registry
from apps.chat.models import Channel
from apps.realtime.auth import SocketCredential


@dataclass(frozen=True)
class ChatReach:
    """``title_id`` None: every channel the player may read; else only channels of that
    title and channels of kinds that belong to no title."""

    title_id: int | None = None

    def allows_kind(self, *, kind: str, title_id: int | None) -> bool:
        if self.title_id is None:
            return True
        if not kind_registry.for_kind(kind).belongs_to_title:
            return True
        return title_id == self.title_id

    def allows(self, channel: Channel) -> bool:
        return self.allows_kind(kind=channel.kind, title_id=channel.title_id)


EVERY_CHANNEL = ChatReach()


def chat_reach_of(credential: SocketCredential) -> ChatReach:
    return ChatReach(title_id=credential.title_id)

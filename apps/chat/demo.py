# ruff: noqa: RUF001 -- the Japanese demo lines use fullwidth punctuation, as Japanese does
"""Demo chat: a lobby per demo title with a few messages, and a DM between alice and bob.
Idempotent: every message has a fixed ``client_msg_id``, so re-seeding stores nothing new."""

from apps.chat.channels import lobby_channel_get_or_create
from apps.chat.services import direct_message_send, message_send
from apps.players.models import Player
from apps.titles.models import Title

LOBBY_LINES = {
    "starfall-arena": [("alice", "Anyone up for ranked tonight?"), ("bob", "Sure, after 9 UTC"),
                       ("carol", "Count me in @alice")],
    "kaiju-kingdoms": [("daisuke", "新しいマップ最高！"), ("emi", "ボス強すぎ…")],
    "tiny-racers": [("bob", "My custom track is up, try it"), ("emi", "Fastest lap so far: 1:02")],
}  # fmt: skip
DIRECT_LINES = [("alice", "bob", "gg earlier!"), ("bob", "alice", "Thanks, rematch tomorrow?")]


def _players() -> dict[str, Player]:
    players = Player.objects.filter(user__username__in=["alice", "bob", "carol", "daisuke", "emi"])
    return {
        player.user.username: player for player in players.select_related("user") if player.user
    }


def seed() -> list[str]:
    players = _players()
    stored = 0
    for slug, lines in LOBBY_LINES.items():
        title = Title.objects.filter(slug=slug).first()
        if title is None:
            continue
        lobby = lobby_channel_get_or_create(title=title)
        for number, (username, body) in enumerate(lines):
            if username in players:
                result = message_send(channel=lobby, author=players[username], body=body,
                                      client_msg_id=f"demo-{slug}-{number}")  # fmt: skip
                stored += not result.is_duplicate
    for number, (sender, recipient, body) in enumerate(DIRECT_LINES):
        if sender in players and recipient in players:
            result = direct_message_send(sender=players[sender], recipient=players[recipient],
                                         body=body, client_msg_id=f"demo-dm-{number}")  # fmt: skip
            stored += not result.is_duplicate
    return [f"Demo chat: lobbies for {len(LOBBY_LINES)} titles, a DM alice↔bob ({stored} new)"]

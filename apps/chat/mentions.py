"""``@name`` mentions: resolved to players when the message is stored; each mentioned player
is notified after commit, unless either blocked the other (then nobody is notified)."""

import re
from functools import partial

from django.db import transaction
from django.db.models import Q

from apps.chat.models import Message
from apps.chat.relations import blocked_ids, mention_notify
from apps.common.text_safety import name_key
from apps.players.models import Player

# A mention is ``@`` then a name without spaces (names with spaces use ``_`` in mentions).
_MENTION = re.compile(r"(?<![\w@])@([^\s@]{1,32})")
MAX_MENTIONS = 10


def mentions_resolve(*, body: str, author: Player) -> list[Player]:
    tokens = {token.rstrip(".,!?:;") for token in _MENTION.findall(body)}
    tokens = {token for token in tokens if token}
    if not tokens:
        return []
    names = {token.replace("_", " ") for token in tokens} | tokens
    keys = {name_key(name) for name in names} | {name.casefold() for name in names}
    players = (
        Player.objects.filter(Q(display_name_key__in=keys))
        .exclude(id=author.id)
        .order_by("id")[:MAX_MENTIONS]
    )
    return list(players)


def mentions_notify_on_commit(*, message: Message, mentioned: list[Player], author: Player) -> None:
    if not mentioned:
        return
    blocked = blocked_ids(author.id)
    data = {"channel_id": message.channel_id, "message_id": message.id, "seq": message.seq}
    for player in mentioned:
        if player.id in blocked:
            continue
        transaction.on_commit(partial(mention_notify, recipient=player, actor=author, data=data))

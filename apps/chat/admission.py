"""What a message must pass before it is stored, checked for a whole batch at once.

The group committer (``apps.chat.commit``) admits every waiting message with a fixed number
of queries, whatever the batch size: the channels, the earlier messages with the same client
message ids, the senders' active sanctions, the members of closed channels; rate limits
in one Redis round trip. Per message, in this order (the first failing check answers):

a channel out of the sender's credential's reach (``unknown_channel``, ``apps.chat.reach``)
→ retry of a stored client message id (answered with the stored message, untouched by limits)
→ ``unknown_channel`` → ``muted`` / ``banned`` / ``suspended`` / ``dm_restricted`` (the
sender's sanctions, ``apps.moderation.enforcement``) → ``channel_closed`` → ``forbidden``
→ ``blocked`` (DMs) → ``rate_limited`` → automod (``message_rejected``, or masked / flagged)
→ flood and repeat spam (``message_rejected`` with ``details.reason``) → attachments
(``invalid_attachment``: each is resolved by the app that owns the item).
"""

import asyncio
import concurrent.futures
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection

from apps.chat.attachments import attachments_resolve
from apps.chat.exceptions import (
    Blocked,
    ChannelClosed,
    Forbidden,
    InvalidAttachment,
    RateLimited,
    UnknownChannel,
)
from apps.chat.kinds import kind_registry
from apps.chat.limits import Bucket, buckets_take_many, cooldown_start, retry_after_seconds
from apps.chat.mentions import mentions_resolve
from apps.chat.models import Channel, ChannelKind, Message
from apps.chat.moderation import spam_refusals, text_filter
from apps.chat.reach import EVERY_CHANNEL, ChatReach
from apps.chat.relations import may_direct_message
from apps.common.exceptions import ApplicationError
from apps.moderation.enforcement import Action, sanction_refusal, sanctions_active
from apps.players.models import Player


@dataclass(eq=False)
class Pending:
    """A message on its way to storage: what the sender gave, then what admission adds."""

    channel_id: int
    author: Player | None  # None: a system message (announcements), admitted as is
    body: str
    client_msg_id: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)  # parsed; resolved later
    body_translations: dict[str, str] = field(default_factory=dict)  # announcements only
    reach: ChatReach = EVERY_CHANNEL  # the sender's credential's (a chat token: one title)
    # Filled by admission:
    channel: Channel | None = None
    mentioned: list[Player] = field(default_factory=list)
    is_flagged: bool = False
    # Where the answer goes: an asyncio future on the server's event loop (publishing happens
    # on that loop too), or a thread's future (a sync caller).
    loop: asyncio.AbstractEventLoop | None = None
    waiter: asyncio.Future | None = None
    future: concurrent.futures.Future | None = None


@dataclass(slots=True)
class Stored:
    message: Message
    is_duplicate: bool


Outcome = Stored | Exception | None  # None: admitted, ready to store


def idempotency_key(pending: Pending) -> tuple[int, int, str] | None:
    if pending.client_msg_id is None or pending.author is None:
        return None
    return (pending.channel_id, pending.author.id, pending.client_msg_id)


def stored_before(batch: list[Pending]) -> dict[tuple, Message]:
    """Messages already stored under the batch's client message ids, by idempotency key."""
    keys = sorted({key for pending in batch if (key := idempotency_key(pending)) is not None})
    if not keys:
        return {}
    ids = _stored_ids(keys)
    if not ids:  # the common case: no send of the batch is a retry
        return {}
    found = Message.objects.select_related("author").filter(id__in=ids)
    return {(m.channel_id, m.author_id, m.client_msg_id): m for m in found}


def _stored_ids(keys: list[tuple[int, int, str]]) -> list[int]:
    """The ids of the messages stored under ``keys`` (channel, author, client message id):
    one row-value query (PostgreSQL and SQLite both read it) on the unique index of the three.
    Built as an ORM filter (one ``Q`` per key, OR-ed), compiling it cost more than the rest of
    admission for a batch of 100 messages."""
    if connection.vendor == "postgresql":
        row = "(%s::bigint, %s::bigint, %s::text)"
    else:
        row = "(%s, %s, %s)"
    values = ", ".join([row] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM chat_message WHERE client_msg_id IS NOT NULL "  # noqa: S608
            f"AND (channel_id, author_id, client_msg_id) IN (VALUES {values})",
            [value for key in keys for value in key],
        )
        return [row_id for (row_id,) in cursor.fetchall()]


def _readers(batch: list[Pending], outcomes: list[Outcome]) -> dict[int, set[int]]:
    """Per channel of the batch, which of its senders may read it (one query per channel
    kind that is not open)."""
    senders: dict[int, set[int]] = defaultdict(set)
    channels: dict[int, Channel] = {}
    for pending, outcome in zip(batch, outcomes, strict=True):
        if outcome is None and pending.author is not None:
            senders[pending.channel_id].add(pending.author.id)
            channels[pending.channel_id] = pending.channel  # type: ignore[assignment]
    return {
        channel_id: kind_registry.for_channel(channels[channel_id]).readers_among(
            channels[channel_id], player_ids
        )
        for channel_id, player_ids in senders.items()
    }


def _other_member_allows(channel: Channel, author: Player) -> bool:
    other = Player.objects.filter(chat_memberships__channel=channel).exclude(id=author.id).first()
    return other is not None and may_direct_message(author, other)


def _check_rights(batch: list[Pending], outcomes: list[Outcome]) -> None:
    players = [p for p, o in zip(batch, outcomes, strict=True) if o is None and p.author]
    sanctions = sanctions_active(player_ids={pending.author.id for pending in players})  # type: ignore[union-attr]
    readers = _readers(batch, outcomes)
    for index, pending in enumerate(batch):
        channel, author = pending.channel, pending.author
        if outcomes[index] is not None or author is None or channel is None:
            continue
        rules = kind_registry.for_channel(channel)
        action = Action.DM_SEND if channel.kind == ChannelKind.DIRECT else Action.CHAT_SEND
        refusal = sanction_refusal(
            sanctions.get(author.id, ()), action=action, title_id=channel.title_id
        )
        if author.id not in readers[channel.id]:
            outcomes[index] = UnknownChannel()  # not "forbidden": no hint that it exists
        elif refusal is not None:
            outcomes[index] = refusal
        elif channel.is_closed:
            outcomes[index] = ChannelClosed()
        elif not rules.is_player_writable:
            outcomes[index] = Forbidden()
        elif channel.kind == ChannelKind.DIRECT and not _other_member_allows(channel, author):
            outcomes[index] = Blocked()


def _check_rates(batch: list[Pending], outcomes: list[Outcome]) -> None:
    indexes = [i for i, p in enumerate(batch) if outcomes[i] is None and p.author is not None]
    requests = [
        [
            Bucket(
                f"player:{batch[index].author.id}",  # type: ignore[union-attr]
                settings.CHAT_RATE_PLAYER_CAPACITY,
                settings.CHAT_RATE_PLAYER_PER_SECOND,
            ),
            Bucket(
                f"channel:{batch[index].channel_id}",
                settings.CHAT_RATE_CHANNEL_CAPACITY,
                settings.CHAT_RATE_CHANNEL_PER_SECOND,
            ),
        ]
        for index in indexes
    ]
    for index, wait in zip(indexes, buckets_take_many(requests), strict=True):
        pending = batch[index]
        slow_mode = pending.channel.slow_mode_seconds  # type: ignore[union-attr]
        if wait == 0 and slow_mode:
            wait = cooldown_start(
                key=f"slow:{pending.channel_id}:{pending.author.id}",  # type: ignore[union-attr]
                seconds=slow_mode,
            )
        if wait > 0:
            outcomes[index] = RateLimited(details={"retry_after": retry_after_seconds(wait)})


def _moderate(batch: list[Pending], outcomes: list[Outcome]) -> None:
    checked: list[int] = []
    for index, pending in enumerate(batch):
        channel = pending.channel
        if outcomes[index] is not None or pending.author is None or channel is None:
            continue
        try:
            filtered = text_filter(body=pending.body, title_id=channel.title_id,
                                   locale=channel.locale, author=pending.author)  # fmt: skip
        except ApplicationError as error:  # message_rejected: refuse this one only
            outcomes[index] = error
            continue
        pending.body, pending.is_flagged = filtered.body, filtered.is_flagged
        pending.mentioned = mentions_resolve(body=pending.body, author=pending.author)
        checked.append(index)
    items = [(batch[i].author.id, batch[i].body, batch[i].channel.title_id) for i in checked]  # type: ignore[union-attr]
    for index, refusal in zip(checked, spam_refusals(items), strict=True):
        if refusal is not None:  # flood or repeat spam (one Redis round trip per batch)
            outcomes[index] = refusal


def _resolve_attachments(batch: list[Pending], outcomes: list[Outcome]) -> None:
    for index, pending in enumerate(batch):
        author, channel = pending.author, pending.channel
        if outcomes[index] is not None or not pending.attachments:
            continue
        if author is None or channel is None:  # system messages carry none
            continue
        try:
            pending.attachments = attachments_resolve(
                pending.attachments, author=author, channel=channel
            )
        except InvalidAttachment as error:
            outcomes[index] = error


def admit(batch: list[Pending]) -> list[Outcome]:
    """Check every message of ``batch``; the outcome per message is ``None`` (admitted: its
    channel, body after automod and mentions are filled in), the ``Stored`` message of an
    earlier send with its client message id, or the refusal to answer with."""
    outcomes: list[Outcome] = [None] * len(batch)
    channels = Channel.objects.select_related("title").in_bulk(
        {pending.channel_id for pending in batch}
    )
    earlier = stored_before(batch)
    for index, pending in enumerate(batch):
        key = idempotency_key(pending)
        channel = channels.get(pending.channel_id)
        if channel is not None and not pending.reach.allows(channel):
            outcomes[index] = UnknownChannel()  # before the retry check: no stored reply leaks
        elif key is not None and key in earlier:
            outcomes[index] = Stored(message=earlier[key], is_duplicate=True)
        elif channel is None:
            outcomes[index] = UnknownChannel()
        else:
            pending.channel = channel
    _check_rights(batch, outcomes)
    _check_rates(batch, outcomes)
    _moderate(batch, outcomes)
    _resolve_attachments(batch, outcomes)
    return outcomes

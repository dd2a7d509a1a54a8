"""Chat writes. Every interface (websocket command, REST, game events, admin) calls these.

A message is stored in the transaction that assigns its per-channel sequence number and is
fanned out only after that transaction commits (stored before delivered). Sequence numbers
come from ``UPDATE chat_channel SET last_seq = last_seq + n … RETURNING``, which holds the
channel row lock until commit: concurrent senders get strictly increasing numbers, and a
rolled-back send gives its numbers back, so there are no gaps. Sends are validated by the
sender (``message_prepare``) and stored in batches by the group committer
(``apps.chat.commit``).
"""

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from apps.chat.channels import (
    announcement_channel_get_or_create,
    direct_channel_get_or_create,
    lobby_channel_get_or_create,
    match_channel_close,
    match_channel_open,
    membership_ensure,
)
from apps.chat.commit import Pending, Stored, store_and_wait, store_inline, use_group_commit
from apps.chat.exceptions import (
    Blocked,
    ChannelClosed,
    EmptyMessage,
    Forbidden,
    Muted,
    RateLimited,
    TooLong,
)
from apps.chat.kinds import kind_registry
from apps.chat.limits import Bucket, buckets_take, cooldown_start, retry_after_seconds
from apps.chat.mentions import mentions_resolve
from apps.chat.models import Channel, ChannelKind, Membership, Message
from apps.chat.moderation import restriction_active, text_filter
from apps.chat.relations import may_direct_message
from apps.players.models import Player

__all__ = [
    "announcement_post",
    "direct_channel_get_or_create",
    "direct_message_send",
    "lobby_channel_get_or_create",
    "match_channel_close",
    "match_channel_open",
    "membership_ensure",
    "message_prepare",
    "message_send",
    "message_store",
]

SendResult = Stored  # the stored message, and whether it was a retry's duplicate


def clean_body(body: object) -> str:
    if not isinstance(body, str) or not body.strip():
        raise EmptyMessage()
    body = body.strip()
    if len(body) > settings.CHAT_MESSAGE_MAX_LENGTH:
        raise TooLong(details={"max_length": settings.CHAT_MESSAGE_MAX_LENGTH})
    return body


def _existing(channel: Channel, author: Player, client_msg_id: str | None) -> Message | None:
    if client_msg_id is None:
        return None
    return (
        Message.objects.select_related("author")
        .filter(channel=channel, author=author, client_msg_id=client_msg_id)
        .first()
    )


def _check_may_write(channel: Channel, author: Player) -> None:
    if restriction_active(player=author, kind="mute", title_id=channel.title_id) is not None:
        raise Muted()
    if channel.is_closed:
        raise ChannelClosed()
    if not kind_registry.for_channel(channel).can_write(channel, author):
        raise Forbidden()
    if channel.kind == ChannelKind.DIRECT:
        other = (
            Player.objects.filter(chat_memberships__channel=channel).exclude(id=author.id).first()
        )
        if other is None or not may_direct_message(author, other):
            raise Blocked()


def _check_rate(channel: Channel, author: Player) -> None:
    wait = buckets_take(
        [
            Bucket(
                f"player:{author.id}",
                settings.CHAT_RATE_PLAYER_CAPACITY,
                settings.CHAT_RATE_PLAYER_PER_SECOND,
            ),
            Bucket(
                f"channel:{channel.id}",
                settings.CHAT_RATE_CHANNEL_CAPACITY,
                settings.CHAT_RATE_CHANNEL_PER_SECOND,
            ),
        ]
    )
    if wait == 0 and channel.slow_mode_seconds:
        wait = cooldown_start(
            key=f"slow:{channel.id}:{author.id}", seconds=channel.slow_mode_seconds
        )
    if wait > 0:
        raise RateLimited(details={"retry_after": retry_after_seconds(wait)})


def message_prepare(
    *, channel: Channel, author: Player, body: object, client_msg_id: str | None = None
) -> SendResult | Pending:
    """Everything a send checks before storing: the stored message if ``client_msg_id`` was
    seen (a retry, untouched by limits), else the validated ``Pending`` message.

    Raises ``muted``, ``channel_closed``, ``forbidden``, ``blocked``, ``empty_message``,
    ``too_long``, ``rate_limited`` or ``message_rejected`` (automod) — storing nothing."""
    existing = _existing(channel, author, client_msg_id)
    if existing is not None:
        return SendResult(message=existing, is_duplicate=True)
    text = clean_body(body)
    _check_may_write(channel, author)
    _check_rate(channel, author)
    filtered = text_filter(body=text, title_id=channel.title_id)
    return Pending(
        channel=channel,
        author=author,
        body=filtered.body,
        client_msg_id=client_msg_id,
        mentioned=mentions_resolve(body=filtered.body, author=author),
        is_flagged=filtered.is_flagged,
    )


def message_store(pending: Pending) -> SendResult:
    """Store a prepared message: through the process's group committer, or in the caller's
    transaction when there is one (``apps.chat.commit``). Fanned out after the commit."""
    if use_group_commit():
        return store_and_wait(pending)
    try:
        return store_inline(pending)
    except IntegrityError:
        # A concurrent retry with the same client_msg_id won; its message is the answer.
        existing = _existing(pending.channel, pending.author, pending.client_msg_id)
        if existing is None:
            raise
        return SendResult(message=existing, is_duplicate=True)


def message_send(
    *, channel: Channel, author: Player, body: object, client_msg_id: str | None = None
) -> SendResult:
    """Store and fan out a player's message. Idempotent on ``client_msg_id`` (per author and
    channel): a retry returns the stored message and stores nothing. Refusals as
    ``message_prepare``."""
    prepared = message_prepare(
        channel=channel, author=author, body=body, client_msg_id=client_msg_id
    )
    if isinstance(prepared, Pending):
        return message_store(prepared)
    return prepared


def read_marker_advance(*, channel_id: int, player_id: int, seq: int) -> bool:
    """Move the marker forward only (a late ``read`` never moves it back)."""
    return bool(
        Membership.objects.filter(
            channel_id=channel_id, player_id=player_id, last_read_seq__lt=seq
        ).update(last_read_seq=seq, updated_at=timezone.now())
    )


def direct_message_prepare(
    *, sender: Player, recipient: Player, body: object, client_msg_id: str | None = None
) -> SendResult | Pending:
    """``message_prepare`` for a DM: the 1:1 channel is created with the first message (both
    members get ``channel_joined``). Refused with ``blocked`` when blocks or privacy forbid."""
    text = clean_body(body)
    if not may_direct_message(sender, recipient):
        raise Blocked()
    channel = direct_channel_get_or_create(first=sender, second=recipient)
    return message_prepare(channel=channel, author=sender, body=text, client_msg_id=client_msg_id)


def direct_message_send(
    *, sender: Player, recipient: Player, body: object, client_msg_id: str | None = None
) -> SendResult:
    prepared = direct_message_prepare(
        sender=sender, recipient=recipient, body=body, client_msg_id=client_msg_id
    )
    if isinstance(prepared, Pending):
        return message_store(prepared)
    return prepared


def announcement_post(*, title, body: str, locale: str | None = None) -> Message:  # type: ignore[no-untyped-def]
    """A system message (no author) in the title's announcement channel for ``locale``.
    Not rate-limited or filtered: only game servers (``chat:announce``) and staff post."""
    text = clean_body(body)
    channel = announcement_channel_get_or_create(title=title, locale=locale)
    return message_store(Pending(channel=channel, author=None, body=text)).message

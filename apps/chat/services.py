"""Chat writes. Every interface (websocket command, REST, game events, admin) calls these.

A message is stored in the transaction that assigns its per-channel sequence number and is
fanned out only after that transaction commits (stored before delivered). Sequence numbers
come from ``UPDATE chat_channel SET last_seq = last_seq + n … RETURNING``, which holds the
channel row lock until commit: concurrent senders get strictly increasing numbers, and a
rolled-back send gives its numbers back, so there are no gaps. Sends are validated by the
group committer in batches (``apps.chat.admission``, ``apps.chat.commit``).
"""

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from apps.chat.admission import Pending, Stored, stored_before
from apps.chat.attachments import attachments_parse
from apps.chat.channels import (
    announcement_channel_get_or_create,
    direct_channel_get_or_create,
    lobby_channel_get_or_create,
    match_channel_close,
    match_channel_open,
    membership_ensure,
)
from apps.chat.commit import store_and_wait, store_inline, use_group_commit
from apps.chat.exceptions import Blocked, EmptyMessage, TooLong
from apps.chat.models import Channel, Membership, Message
from apps.chat.reach import EVERY_CHANNEL, ChatReach
from apps.chat.relations import may_direct_message
from apps.common.localized_text import translations_clean
from apps.players.models import Player

__all__ = [
    "announcement_post",
    "direct_channel_get_or_create",
    "direct_message_send",
    "lobby_channel_get_or_create",
    "match_channel_close",
    "match_channel_open",
    "membership_ensure",
    "message_pending",
    "message_send",
    "message_store",
]

SendResult = Stored  # the stored message, and whether it was a retry's duplicate


def clean_body(body: object, *, required: bool = True) -> str:
    """The message text, stripped. ``required=False`` (a message with attachments) lets it be
    empty."""
    if not required and (body is None or (isinstance(body, str) and not body.strip())):
        return ""
    if not isinstance(body, str) or not body.strip():
        raise EmptyMessage()
    body = body.strip()
    if len(body) > settings.CHAT_MESSAGE_MAX_LENGTH:
        raise TooLong(details={"max_length": settings.CHAT_MESSAGE_MAX_LENGTH})
    return body


def message_pending(
    *,
    channel_id: int,
    author: Player,
    body: object,
    client_msg_id: str | None = None,
    attachments: object = None,
    reach: ChatReach = EVERY_CHANNEL,
) -> Pending:
    """A player's message ready for admission and storage: ``empty_message`` (no text and no
    attachment), ``too_long`` and malformed ``attachments`` (``invalid_attachment``) are
    refused here, before anything else is asked; admission resolves the attachments and
    answers ``unknown_channel`` for a channel out of ``reach`` (a chat token's title)."""
    references = attachments_parse(attachments)
    return Pending(
        channel_id=channel_id,
        author=author,
        body=clean_body(body, required=not references),
        client_msg_id=client_msg_id,
        attachments=references,
        reach=reach,
    )


def message_store(pending: Pending) -> SendResult:
    """Admit and store: through the process's group committer, or in the caller's transaction
    when there is one (``apps.chat.commit``). Fanned out after the commit.

    Refusals (``apps.chat.admission``): ``unknown_channel``, ``muted``, ``channel_closed``,
    ``forbidden``, ``blocked``, ``rate_limited``, ``message_rejected`` — storing nothing."""
    if use_group_commit():
        return store_and_wait(pending)
    try:
        return store_inline(pending)
    except IntegrityError:
        # A concurrent retry with the same client_msg_id won; its message is the answer.
        existing = stored_before([pending])
        if not existing:
            raise
        return SendResult(message=next(iter(existing.values())), is_duplicate=True)


def message_send(
    *,
    channel: Channel,
    author: Player,
    body: object,
    client_msg_id: str | None = None,
    attachments: object = None,
) -> SendResult:
    """Store and fan out a player's message. Idempotent on ``client_msg_id`` (per author and
    channel): a retry returns the stored message, untouched by limits, and stores nothing."""
    return message_store(
        message_pending(
            channel_id=channel.id,
            author=author,
            body=body,
            client_msg_id=client_msg_id,
            attachments=attachments,
        )
    )


def read_marker_advance(*, channel_id: int, player_id: int, seq: int) -> bool:
    """Move the marker forward only (a late ``read`` never moves it back)."""
    return bool(
        Membership.objects.filter(
            channel_id=channel_id, player_id=player_id, last_read_seq__lt=seq
        ).update(last_read_seq=seq, updated_at=timezone.now())
    )


def direct_message_pending(
    *,
    sender: Player,
    recipient: Player,
    body: object,
    client_msg_id: str | None = None,
    attachments: object = None,
) -> Pending:
    """A DM: the 1:1 channel is created with the first message (both members get
    ``channel_joined``). Refused with ``blocked`` when blocks or privacy forbid it."""
    attachments_parse(attachments)  # refuse a malformed message before creating a channel
    clean_body(body, required=not attachments)
    if not may_direct_message(sender, recipient):
        raise Blocked()
    channel = direct_channel_get_or_create(first=sender, second=recipient)
    return message_pending(
        channel_id=channel.id,
        author=sender,
        body=body,
        client_msg_id=client_msg_id,
        attachments=attachments,
    )


def direct_message_send(
    *,
    sender: Player,
    recipient: Player,
    body: object,
    client_msg_id: str | None = None,
    attachments: object = None,
) -> SendResult:
    return message_store(
        direct_message_pending(
            sender=sender,
            recipient=recipient,
            body=body,
            client_msg_id=client_msg_id,
            attachments=attachments,
        )
    )


def announcement_post(  # type: ignore[no-untyped-def]
    *, title, body: str, body_translations: object = None, locale: str | None = None
) -> Message:
    """A system message (no author) in the title's announcement channel for ``locale``
    (none: the title's one announcement channel, which every player reads in their own
    language when ``body_translations`` gives texts per language; ``body`` is the fallback).
    Not rate-limited or filtered, the translations no more than ``body``: only game servers
    (``chat:announce``) and staff post."""
    text = clean_body(body)
    # Each text is checked like ``body``: ``empty_message``, ``too_long`` (details.language).
    translations = translations_clean(
        body_translations, field="body_translations", clean=clean_body
    )
    channel = announcement_channel_get_or_create(title=title, locale=locale)
    pending = Pending(channel_id=channel.id, author=None, body=text, body_translations=translations)
    return message_store(pending).message

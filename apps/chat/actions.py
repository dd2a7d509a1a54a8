"""Changes to stored messages and per-player state: edit, delete, reactions, read markers,
typing. Each checks the caller's rights on the channel *now* (not at subscribe time).

Every change to a message (edit, delete, reaction added or removed) takes the channel's next
change number (``Channel.last_change_seq``), stamps it on the message (``change_seq``) and
carries it in its frame, so a client that was away can resume changes as it resumes messages
(``subscribe`` with ``last_change_seq``).
"""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.chat import events
from apps.chat.attachments import attachments_clean
from apps.chat.channels import membership_ensure
from apps.chat.exceptions import Forbidden, InvalidFrame, InvalidReaction
from apps.chat.kinds import kind_registry
from apps.chat.limits import Bucket, buckets_take
from apps.chat.models import Channel, Membership, Message, MessageEdit, Reaction
from apps.chat.moderation import text_filter
from apps.chat.reactions import reaction_emoji_for_channel
from apps.chat.services import clean_body, read_marker_advance
from apps.common.exceptions import InvalidInput
from apps.moderation.enforcement import Action, sanction_check
from apps.players.models import Player

# A player may wait at most this long between messages in slow mode (six hours).
SLOW_MODE_MAX_SECONDS = 6 * 60 * 60


def _check_writer(message: Message, player: Player, action: Action) -> None:
    channel = message.channel
    sanction_check(player=player, action=action, title_id=channel.title_id)  # muted, banned…
    if message.is_deleted or not kind_registry.for_channel(channel).can_write(channel, player):
        raise Forbidden()


def _reloaded(message_id: int) -> Message:
    return (
        Message.objects.select_related("author")
        .prefetch_related(Prefetch("reactions", queryset=Reaction.objects.order_by("id")))
        .get(id=message_id)
    )


def _change_stamp(*, message_id: int, channel_id: int) -> int:
    """Take the channel's next change number and stamp it on the message.

    Call inside the change's transaction, with the message row locked first: the lock order
    is message, then channel (the group committer locks channel rows only), so changes never
    deadlock with each other or with sends. The channel row stays locked until commit, so a
    channel's changes commit in ``change_seq`` order, and a rolled-back change gives its
    number back (no gaps)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE chat_channel SET last_change_seq = last_change_seq + 1 WHERE id = %s "
            "RETURNING last_change_seq",
            [channel_id],
        )
        change_seq = cursor.fetchone()[0]
    Message.objects.filter(id=message_id).update(change_seq=change_seq)
    return change_seq


def _is_blank(body: object) -> bool:
    return body is None or (isinstance(body, str) and not body.strip())


KEEP = object()  # ``message_edit(attachments=KEEP)``: leave the attachments as they are


def message_edit(
    *, message: Message, player: Player, body: object, attachments: object = KEEP
) -> Message:
    """The author edits their message; the previous body is kept (``MessageEdit``) for
    moderators. The new body passes the filter pipeline like a new message; ``attachments``,
    when given, replace the message's (``invalid_attachment`` as for a new message). The body
    may be empty only if the message keeps an attachment (``empty_message`` otherwise)."""
    if message.author_id != player.id:
        raise Forbidden()
    _check_writer(message, player, Action.CHAT_EDIT)
    fields = ["body", "is_flagged", "edited_at", "updated_at"]
    cleaned = None
    if attachments is not KEEP:
        cleaned = attachments_clean(attachments, author=player, channel=message.channel)
        fields.append("attachments")
    has_attachments = bool(cleaned if cleaned is not None else message.attachments)
    text = "" if has_attachments and _is_blank(body) else clean_body(body)
    filtered = text_filter(body=text, title_id=message.channel.title_id)
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(id=message.id)
        MessageEdit.objects.create(message=locked, body=locked.body)
        locked.body = filtered.body
        locked.is_flagged = locked.is_flagged or filtered.is_flagged
        locked.edited_at = timezone.now()
        if cleaned is not None:
            locked.attachments = cleaned
        locked.save(update_fields=fields)
        _change_stamp(message_id=locked.id, channel_id=locked.channel_id)
        updated = _reloaded(message.id)
        events.channel_publish_on_commit(
            channel_id=updated.channel_id, frame=events.message_updated_frame(updated)
        )
    return updated


def message_delete(
    *,
    message: Message,
    player: Player | None = None,
    moderator: User | None = None,
    by_moderation: bool = False,
) -> None:
    """Delete by its author, by a moderator (``chat.delete_message`` permission), by a player
    who moderates the channel (``KindRules.can_moderate``: a guild's ``manage_chat``), or by
    moderation itself (``by_moderation``: an escalated report hides it; the caller checked
    the rights). The text is kept as evidence (an edit-history row); every subscriber gets
    ``message_deleted``."""
    is_moderator = by_moderation or (
        moderator is not None and moderator.has_perm("chat.delete_message")
    )
    is_author = player is not None and message.author_id == player.id
    rules = kind_registry.for_channel(message.channel)
    channel_moderator = (
        player
        if not is_moderator and not is_author and player is not None
        and rules.can_moderate(message.channel, player)
        else None
    )  # fmt: skip
    if not (is_moderator or is_author or channel_moderator):
        raise Forbidden()
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(id=message.id)
        if locked.is_deleted:
            return
        MessageEdit.objects.create(message=locked, body=locked.body)
        locked.deleted_at = timezone.now()
        locked.deleted_by = moderator if is_moderator else (player.user if player else None)
        locked.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        locked.change_seq = _change_stamp(message_id=locked.id, channel_id=locked.channel_id)
        if channel_moderator is not None:
            data = {"message_id": locked.id, "author_id": locked.author_id}
            rules.moderation_record(message.channel, channel_moderator, "message_deleted", data)
        frame = events.message_deleted_frame(
            locked, by_moderator=is_moderator or channel_moderator is not None
        )
        events.channel_publish_on_commit(channel_id=locked.channel_id, frame=frame)


def channel_slow_mode_set(
    *, channel: Channel, seconds: int, player: Player | None = None, moderator: User | None = None
) -> int:
    """Set ``channel``'s slow mode (one message per player per ``seconds``; 0 turns it off,
    at most ``SLOW_MODE_MAX_SECONDS``) as staff (``chat.change_channel``) or as a player who
    moderates the channel (``KindRules.can_moderate``); ``forbidden`` otherwise. Subscribers
    get ``channel_updated``. Returns the seconds now in force."""
    if not 0 <= seconds <= SLOW_MODE_MAX_SECONDS:
        raise InvalidInput(details={"fields": {"seconds": [f"0 to {SLOW_MODE_MAX_SECONDS}"]}})
    is_staff = moderator is not None and moderator.has_perm("chat.change_channel")
    rules = kind_registry.for_channel(channel)
    if not is_staff and (player is None or not rules.can_moderate(channel, player)):
        raise Forbidden()
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(id=channel.id)
        before = locked.slow_mode_seconds
        if before == seconds:
            return seconds
        locked.slow_mode_seconds = seconds
        locked.save(update_fields=["slow_mode_seconds", "updated_at"])
        if not is_staff and player is not None:
            data = {"before": before, "after": seconds}
            rules.moderation_record(locked, player, "slow_mode_set", data)
        frame = {"type": "channel_updated", "channel_id": locked.id, "slow_mode_seconds": seconds}
        events.channel_publish_on_commit(channel_id=locked.id, frame=frame)
    return seconds


def message_restore_hidden(*, message: Message, hidden_at: datetime) -> bool:
    """Undo moderation's own hide (``message_delete(by_moderation=True)`` with no moderator,
    at ``hidden_at``) once the report behind it is dismissed: the message shows again and every
    subscriber gets ``message_updated`` with it. A message deleted otherwise (by its author, by
    a moderator, or hidden again later) stays deleted. Returns whether it was restored."""
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(id=message.id)
        if locked.deleted_at != hidden_at or locked.deleted_by_id is not None:
            return False
        locked.deleted_at = None
        locked.save(update_fields=["deleted_at", "updated_at"])
        _change_stamp(message_id=locked.id, channel_id=locked.channel_id)
        restored = _reloaded(locked.id)
        events.channel_publish_on_commit(
            channel_id=restored.channel_id, frame=events.message_updated_frame(restored)
        )
    return True


def _reaction_frame(message: Message, player: Player, emoji: str, action: str) -> dict:
    """Stamps the change, then counts: counts are taken in change order (channel lock)."""
    change_seq = _change_stamp(message_id=message.id, channel_id=message.channel_id)
    count = Reaction.objects.filter(message=message, emoji=emoji).count()
    return {"type": "reaction", "channel_id": message.channel_id, "message_id": message.id,
            "emoji": emoji, "player_id": player.id, "action": action, "count": count,
            "change_seq": change_seq}  # fmt: skip


def reaction_add(*, message: Message, player: Player, emoji: object) -> None:
    """Idempotent: reacting twice with the same emoji stores one reaction."""
    allowed = reaction_emoji_for_channel(message.channel)
    if not isinstance(emoji, str) or emoji not in allowed:
        raise InvalidReaction(details={"allowed": allowed})
    _check_writer(message, player, Action.CHAT_REACT)
    try:
        with transaction.atomic():
            Message.objects.select_for_update().filter(id=message.id).first()  # lock order
            Reaction.objects.create(message=message, player=player, emoji=emoji)
            frame = _reaction_frame(message, player, emoji, "added")
            events.channel_publish_on_commit(channel_id=message.channel_id, frame=frame)
    except IntegrityError:
        return


def reaction_remove(*, message: Message, player: Player, emoji: object) -> None:
    if not isinstance(emoji, str):
        raise InvalidReaction(details={"allowed": reaction_emoji_for_channel(message.channel)})
    with transaction.atomic():
        Message.objects.select_for_update().filter(id=message.id).first()  # lock order
        deleted, _ = Reaction.objects.filter(message=message, player=player, emoji=emoji).delete()
        if deleted:
            frame = _reaction_frame(message, player, emoji, "removed")
            events.channel_publish_on_commit(channel_id=message.channel_id, frame=frame)


def read_marker_set(*, channel: Channel, player: Player, seq: object) -> int:
    """Move the player's read marker to ``seq`` (clamped to the channel head; never
    backwards). Their other sockets get ``read``. Returns the marker."""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise InvalidFrame(_("seq must be a non-negative integer."), details={"field": "seq"})
    seq = min(seq, channel.last_seq)
    membership, _created = membership_ensure(channel=channel, player=player)
    with transaction.atomic():
        if read_marker_advance(channel_id=channel.id, player_id=player.id, seq=seq):
            if player.user_id is not None:
                events.read_marker_on_commit(user_id=player.user_id, channel=channel, seq=seq)
            return seq
    return Membership.objects.get(id=membership.id).last_read_seq


def typing_notify(*, channel: Channel, player: Player) -> bool:
    """Tell the channel's subscribers ``player`` is typing (nothing stored). At most
    ``CHAT_TYPING_BURST`` at once, refilled at ``CHAT_TYPING_PER_SECOND``, per player per
    channel (a token bucket in Redis, shared by every process); the excess is dropped, not
    refused — a typing indicator is worth no error. Returns whether it was fanned out."""
    if not kind_registry.for_channel(channel).can_write(channel, player):
        raise Forbidden()
    bucket = Bucket(f"typing:{channel.id}:{player.id}", settings.CHAT_TYPING_BURST,
                    settings.CHAT_TYPING_PER_SECOND)  # fmt: skip
    if buckets_take([bucket]) > 0:
        return False
    frame = {"type": "typing", "channel_id": channel.id,
             "player": {"id": player.id, "display_name": player.display_name}}  # fmt: skip
    events.channel_publish_on_commit(channel_id=channel.id, frame=frame)
    return True

"""What a subscriber missed while away: new messages (``last_seq``) and changes to messages
it already has (``last_change_seq``), each replayed as the messages are now and bounded by
``CHAT_RESUME_MAX_MESSAGES`` (past the bound the client is told to fetch history instead).

The channel row is read first, so the heads reported are never ahead of what is replayed;
anything committed after that read reaches the socket live (the subscription was opened
before this runs) and may also be replayed — clients drop what they already have (a
message's ``seq``; a change's ``change_seq`` against the one the message carries).
"""

from dataclasses import dataclass, field

from django.conf import settings

from apps.chat import events, selectors
from apps.chat.models import Channel
from apps.realtime.publish import encode_frame


@dataclass
class Missed:
    resume: str  # replayed | history_required | none
    head_seq: int
    frames: list[tuple[int, str]] = field(default_factory=list)  # (seq, encoded message)
    change_resume: str = "none"  # replayed | reload_required | none
    head_change_seq: int = 0
    change_frames: list[str] = field(default_factory=list)


def _messages(missed: Missed, channel: Channel, last_seq: int | None) -> None:
    head = missed.head_seq
    if last_seq is None or last_seq >= head:
        missed.resume = "none" if last_seq is None else "replayed"
        return
    if head - last_seq > settings.CHAT_RESUME_MAX_MESSAGES:
        missed.resume = "history_required"
        return
    messages = selectors.messages_after(
        channel=channel, after_seq=last_seq, limit=settings.CHAT_RESUME_MAX_MESSAGES
    )
    missed.resume = "replayed"
    missed.frames = [
        (m.seq, encode_frame(events.message_replay_frame(m, m.reactions))) for m in messages
    ]


def _changes(
    missed: Missed, channel: Channel, last_seq: int | None, last_change_seq: int | None
) -> None:
    """Changes to messages up to ``last_seq`` (later ones are replayed, or fetched, whole)."""
    if last_change_seq is None:
        return
    missed.change_resume = "replayed"
    if last_change_seq >= missed.head_change_seq:
        return
    bound = settings.CHAT_RESUME_MAX_MESSAGES
    changed = selectors.messages_changed_since(
        channel=channel,
        after_change_seq=last_change_seq,
        up_to_seq=missed.head_seq if last_seq is None else min(last_seq, missed.head_seq),
        limit=bound + 1,
    )
    if len(changed) > bound:
        missed.change_resume = "reload_required"
        return
    missed.change_frames = [encode_frame(events.change_frame(m)) for m in changed]
    # A change committed after the channel was read may be among them already.
    missed.head_change_seq = max([missed.head_change_seq, *(m.change_seq for m in changed)])


def missed_get(
    *, channel_id: int, last_seq: int | None, last_change_seq: int | None = None
) -> Missed:
    return missed_for_channel(
        channel=Channel.objects.get(id=channel_id),
        last_seq=last_seq,
        last_change_seq=last_change_seq,
    )


def missed_for_channel(
    *, channel: Channel, last_seq: int | None, last_change_seq: int | None = None
) -> Missed:
    """``missed_get`` with the channel row already read — after the subscription started."""
    missed = Missed(
        resume="none", head_seq=channel.last_seq, head_change_seq=channel.last_change_seq
    )
    _messages(missed, channel, last_seq)
    _changes(missed, channel, last_seq, last_change_seq)
    return missed

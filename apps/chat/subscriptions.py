"""The ``subscribe`` and ``unsubscribe`` commands: a socket's live subscriptions to channels,
each resumed from where the client left off (docs/websocket-protocol.md). Authorization is
re-checked on every ``subscribe`` by the selectors it calls."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from apps.chat import events, selectors, services
from apps.chat.exceptions import TooManySubscriptions
from apps.chat.frames import int_field, is_count, list_field, refused
from apps.chat.models import Channel
from apps.chat.reach import ChatReach
from apps.chat.realtime import ChatSession, call, error_entry, reply, session_of, stop_subscription
from apps.chat.resume import Missed, missed_for_channel, missed_get
from apps.common.exceptions import ApplicationError
from apps.players.models import Player
from apps.realtime.fanout import Subscription, hub


def _subscribe_requests(frame: dict[str, Any]) -> dict[int, tuple[int | None, int | None]]:
    """channel id → (last_seq, last_change_seq) as the client gave them."""
    entries = list_field(frame, "channels")
    if not entries:
        raise refused(_("channels must be a non-empty list."), field="channels")
    requests = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise refused(_("Each channel is an object."), field="channels", index=index)
        requests[int_field(entry, "channel_id", index=index)] = (
            int_field(entry, "last_seq", required=False, index=index),
            int_field(entry, "last_change_seq", required=False, index=index),
        )
    return requests


Resume = dict[int, tuple[int | None, int | None]]  # channel id → (last_seq, last_change_seq)


@dataclass
class _Authorized:
    channels: list[Channel]  # the requested channels the player may read, in request order
    errors: list[dict]  # refusals, per channel
    reactions: dict[int | None, list[str]]  # the reaction set of each allowed channel's title
    missed: dict[int, Missed]  # what the allowed channels of ``early`` missed


def _authorize(
    *, player: Player, channel_ids: list[int], reach: ChatReach, early: Resume
) -> _Authorized:
    """Which channels ``player`` may read (within ``reach``); for those in ``early``, whose
    subscriptions already started, also what they missed, from the rows read here."""
    authorized = _Authorized(channels=[], errors=[], reactions={}, missed={})
    for channel_id in channel_ids:
        try:
            found = selectors.channel_get_for_subscriber(
                channel_id=channel_id, player=player, reach=reach
            )
        except ApplicationError as error:
            authorized.errors.append(error_entry(channel_id, error))
            continue
        channel = found.channel
        if not found.is_member:
            services.membership_ensure(channel=channel, player=player)
        authorized.channels.append(channel)
        authorized.reactions[channel.title_id] = found.reaction_emoji
        if channel_id in early:
            last_seq, last_change_seq = early[channel_id]
            authorized.missed[channel_id] = missed_for_channel(
                channel=channel, last_seq=last_seq, last_change_seq=last_change_seq
            )
    return authorized


def _missed_many(*, resume: Resume) -> dict[int, Missed]:
    return {
        channel_id: missed_get(channel_id=channel_id, last_seq=last_seq,
                               last_change_seq=last_change_seq)
        for channel_id, (last_seq, last_change_seq) in resume.items()
    }  # fmt: skip


async def _open(consumer: Any, session: ChatSession, channel_id: int) -> None:
    """A subscription in replay mode (frames buffered until ``_go_live``), replacing any."""
    await stop_subscription(session, channel_id)
    subscription = Subscription(
        topic=events.channel_topic(channel_id),
        write=consumer.send_text_later,
        write_now=consumer.send_texts_now,
    )
    session.subscriptions[channel_id] = subscription
    await hub().subscribe(subscription)


async def _go_live(consumer: Any, session: ChatSession, channel_id: int, missed: Missed,
                   last_seq: int | None) -> dict[str, Any]:  # fmt: skip
    """Send what was missed, then the frames buffered meanwhile, without duplicates."""
    await consumer.send_texts([text for _seq, text in missed.frames] + list(missed.change_frames))
    replayed_to = missed.frames[-1][0] if missed.frames else (last_seq or 0)
    await session.subscriptions[channel_id].go_live(last_seq=max(replayed_to, missed.head_seq))
    return {"channel_id": channel_id, "resume": missed.resume, "head_seq": missed.head_seq,
            "replayed": len(missed.frames), "change_resume": missed.change_resume,
            "head_change_seq": missed.head_change_seq,
            "changes_replayed": len(missed.change_frames)}  # fmt: skip


async def subscribe(consumer: Any, frame: dict[str, Any]) -> None:
    """Subscriptions start in replay mode *before* what was missed is read
    (``apps.chat.resume``): a message committed in between is both buffered and replayed, and
    sent once. A channel this process already carries (or another socket is opening: a
    reconnect storm's first sockets of a channel arrive together), new on this socket, is
    opened before the authorization, so one hop to the database both authorizes it and reads
    what it missed (the common reconnect); if refused it is closed again, its buffer never
    written.
    Others are opened once authorized, and what they missed is read in one more hop. The hops
    run on pool threads (``parallel``): a reconnect storm's subscribes overlap their round
    trips instead of queueing on the process's one ORM thread."""
    session = session_of(consumer)
    requests = _subscribe_requests(frame)
    new_ids = set(requests) - set(session.subscriptions)
    if len(session.subscriptions) + len(new_ids) > settings.CHAT_SUBSCRIPTIONS_PER_SOCKET:
        raise TooManySubscriptions(details={"max": settings.CHAT_SUBSCRIPTIONS_PER_SOCKET})
    early = {
        channel_id: requests[channel_id]
        for channel_id in requests
        if channel_id in new_ids and hub().knows(events.channel_topic(channel_id))
    }
    for channel_id in early:
        await _open(consumer, session, channel_id)
    try:
        authorized = await call(_authorize, parallel=True, player=session.player,
                                channel_ids=list(requests), reach=session.reach,
                                early=early)  # fmt: skip
    except BaseException:
        for channel_id in early:
            await stop_subscription(session, channel_id)
        raise
    for channel_id in set(early) - {channel.id for channel in authorized.channels}:
        await stop_subscription(session, channel_id)  # refused: its buffer is never written
    late = {c.id: requests[c.id] for c in authorized.channels if c.id not in early}
    for channel_id in late:
        await _open(consumer, session, channel_id)
    if late:
        authorized.missed |= await call(_missed_many, parallel=True, resume=late)
    missed = authorized.missed
    channels = []
    for channel in authorized.channels:
        started = await _go_live(consumer, session, channel.id, missed[channel.id],
                                 requests[channel.id][0])  # fmt: skip
        channels.append(started | {"reactions": authorized.reactions[channel.title_id]})
    await reply(consumer, frame, {"type": "subscribed", "channels": channels,
                                  "errors": authorized.errors})  # fmt: skip


async def unsubscribe(consumer: Any, frame: dict[str, Any]) -> None:
    session = session_of(consumer)
    channel_ids = list_field(frame, "channels")
    for index, channel_id in enumerate(channel_ids or []):
        if not is_count(channel_id):
            raise refused(_("channels is a list of channel ids."), field="channels", index=index)
    for channel_id in channel_ids or []:
        await stop_subscription(session, channel_id)
    await reply(consumer, frame, {"type": "unsubscribed", "channels": channel_ids})

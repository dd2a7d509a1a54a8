"""A small, complete client of the chat websocket protocol: the reference for game teams.

What it shows, in order of importance:

* **auth** — the bearer token goes in ``Sec-WebSocket-Protocol: community.v1, bearer.<token>``
  (never in the URL);
* **finding channels** — ``lobbies(title)`` lists a title's lobby and announcement channels
  (channel objects with ``can_send``), so ids are never guessed;
* **in-order, gapless delivery** — per channel it remembers the last sequence delivered;
  a duplicate is dropped, a hole (the server's realtime path is lossy) is filled by
  re-subscribing with ``last_seq``, and frames after the hole wait until it is filled;
* **resume** — after a reconnect every channel is re-subscribed with its ``last_seq``; when
  the server answers ``history_required`` the missed range is fetched with ``history``;
* **resume of changes** — edits, deletes and reactions carry the channel's ``change_seq``;
  the client re-subscribes with ``last_change_seq`` so changes made while it was away are
  replayed (as ``message_updated`` / ``message_deleted`` with the message as it is now), and
  passes each change on once: a change frame whose ``change_seq`` is not newer than the one
  it holds for that message is a duplicate; a gap in a channel's ``change_seq`` (a frame the
  lossy live path dropped) is filled by re-subscribing;
* **idempotent sends** — every send carries a ``client_msg_id``; a send interrupted by a
  disconnect is retried with the same id after reconnecting, so it is stored once;
* **reconnect with jittered exponential backoff**, honouring ``rate_limited.retry_after`` —
  except after a ban or suspension (close 4008 / 4009): then it stops, ``stopped_by`` holds
  the last ``sanction`` frame (why and until when) and ``events`` gets ``closed_by_moderation``.

Only depends on the ``websockets`` library.
"""

import asyncio
import collections
import contextlib
import json
import random
import uuid
from dataclasses import dataclass
from typing import Any

import websockets

SUBPROTOCOL = "community.v1"
# Close codes of a ban and a suspension (docs/websocket-protocol.md): never reconnect after them.
SANCTION_CLOSE_CODES = (4008, 4009)


class ChatError(Exception):
    """An ``error`` frame answering a request: ``code`` is the documented error code."""

    def __init__(self, frame: dict[str, Any]) -> None:
        super().__init__(f"{frame.get('code')}: {frame.get('message')}")
        self.code = frame.get("code")
        self.details = frame.get("details", {})
        self.frame = frame


@dataclass(frozen=True)
class Delivery:
    channel_id: int
    message: dict[str, Any]


class ChatClient:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        request_timeout: float = 10.0,
        backoff_initial: float = 0.2,
        backoff_max: float = 10.0,
        origin: str | None = None,
    ) -> None:
        self.url = url
        self.token = token
        self.origin = origin
        self.request_timeout = request_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.last_seq: dict[int, int] = {}  # channel id → last sequence delivered
        # channel id → every change up to here was passed on (-1: not known yet)
        self.last_change_seq: dict[int, int] = {}
        # message id → the change_seq of the newest state passed on (changed messages only)
        self._message_change: collections.OrderedDict[int, int] = collections.OrderedDict()
        self._replaying: set[int] = set()  # channels with a subscribe on its way
        self.deliveries: asyncio.Queue[Delivery] = asyncio.Queue()
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()  # every other frame
        self.welcome: dict[str, Any] = {}
        self._held: dict[int, dict[int, dict[str, Any]]] = {}  # frames waiting behind a hole
        self._resyncing: set[int] = set()
        self._pending: dict[str, asyncio.Future] = {}
        self._socket: Any = None
        self._reader: asyncio.Task | None = None
        self._connected = asyncio.Event()
        self._closing = False
        self._supervisor: asyncio.Task | None = None
        self.reconnects = 0
        self.sanction: dict[str, Any] | None = None  # the last ``sanction`` frame
        self.stopped_by: dict[str, Any] | None = None  # set when a ban/suspension closed us

    # --- connection -------------------------------------------------------------------------

    async def connect(self) -> dict[str, Any]:
        """Open the socket, say hello, and keep it open (reconnecting) until ``close``."""
        await self._open()
        self._supervisor = asyncio.create_task(self._supervise())
        return self.welcome

    async def _open(self) -> None:
        self._socket = await websockets.connect(
            self.url,
            subprotocols=[SUBPROTOCOL, f"bearer.{self.token}"],
            origin=self.origin,
            open_timeout=self.request_timeout,
            max_size=2**20,
        )
        self._reader = asyncio.create_task(self._read(self._socket))
        self.welcome = await self._request({"type": "hello", "version": 1})
        self._connected.set()
        if self.last_seq:
            await self._resubscribe(list(self.last_seq))

    def _stop_if_sanctioned(self) -> bool:
        """A ban or suspension closed the socket: reconnecting would only be refused."""
        code = getattr(self._socket, "close_code", None)
        if code not in SANCTION_CLOSE_CODES:
            return False
        self.stopped_by = self.sanction or {"type": "sanction", "kind": None}
        self._closing = True
        self.events.put_nowait({"type": "closed_by_moderation", "code": code,
                                "sanction": self.stopped_by})  # fmt: skip
        return True

    async def _supervise(self) -> None:
        delay = self.backoff_initial
        while not self._closing:
            assert self._reader is not None
            with contextlib.suppress(Exception):
                await self._reader
            if self._closing:
                return
            self._connected.clear()
            if self._stop_if_sanctioned():
                return
            while not self._closing:
                # Full jitter: a server restart must not become a synchronized stampede.
                await asyncio.sleep(random.uniform(0, delay))  # noqa: S311 - jitter
                delay = min(self.backoff_max, delay * 2)
                try:
                    await self._open()
                    self.reconnects += 1
                    delay = self.backoff_initial
                    break
                except (OSError, websockets.WebSocketException, ChatError, TimeoutError):
                    if self._stop_if_sanctioned():
                        return
                    continue

    async def close(self) -> None:
        self._closing = True
        if self._socket is not None:
            await self._socket.close()
        for task in (self._reader, self._supervisor):
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    async def drop_connection(self) -> None:
        """Tests and demos: cut the TCP connection abruptly, as a network failure would."""
        self._socket.transport.abort()

    # --- requests ---------------------------------------------------------------------------

    async def _request(self, frame: dict[str, Any]) -> dict[str, Any]:
        request_id = uuid.uuid4().hex
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self._socket.send(json.dumps({**frame, "id": request_id}))
            reply = await asyncio.wait_for(future, self.request_timeout)
        finally:
            self._pending.pop(request_id, None)
        if reply["type"] == "error":
            raise ChatError(reply)
        return reply

    async def request(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send a request once connected; raises ``ChatError`` on an ``error`` reply and
        ``ConnectionError`` when the socket dropped before the reply."""
        await asyncio.wait_for(self._connected.wait(), self.request_timeout)
        return await self._request(frame)

    async def lobbies(self, title: str | None = None) -> list[dict[str, Any]]:
        """The open channels (lobbies, then announcement channels) of ``title`` (a slug) or of
        every active title, as channel objects: how to find a lobby's channel id."""
        reply = await self.request({"type": "lobbies", "title": title})
        return reply["channels"]

    async def subscribe(self, channel_ids: list[int]) -> dict[str, Any]:
        for channel_id in channel_ids:
            self.last_seq.setdefault(channel_id, -1)
            self.last_change_seq.setdefault(channel_id, -1)
        return await self._resubscribe(channel_ids)

    async def _resubscribe(self, channel_ids: list[int]) -> dict[str, Any]:
        entries = []
        for channel_id in channel_ids:
            last = self.last_seq.get(channel_id, -1)
            last_change = self.last_change_seq.get(channel_id, -1)
            entries.append(
                {
                    "channel_id": channel_id,
                    "last_seq": None if last < 0 else last,
                    "last_change_seq": None if last_change < 0 else last_change,
                }
            )
        self._replaying.update(channel_ids)
        try:
            reply = await self._request({"type": "subscribe", "channels": entries})
        finally:
            self._replaying.difference_update(channel_ids)
        for entry in reply["channels"]:
            channel_id = entry["channel_id"]
            if self.last_seq.get(channel_id, -1) < 0:
                self.last_seq[channel_id] = entry["head_seq"]
            elif entry["resume"] == "history_required":
                await self._catch_up(channel_id, entry["head_seq"])
            self._changes_caught_up(channel_id, entry)
            self._resyncing.discard(channel_id)
            self._flush_held(channel_id)
        return reply

    def _changes_caught_up(self, channel_id: int, entry: dict[str, Any]) -> None:
        """Every change up to ``head_change_seq`` was replayed (or is in messages replayed
        or fetched whole). Past the bound (``reload_required``) the application is told to
        reload the messages it shows, with a ``changes_reload_required`` event."""
        if "head_change_seq" not in entry:
            return  # a server without change resume
        if entry.get("change_resume") == "reload_required":
            self.events.put_nowait({"type": "changes_reload_required", "channel_id": channel_id})
        self.last_change_seq[channel_id] = max(
            self.last_change_seq.get(channel_id, -1), entry["head_change_seq"]
        )

    async def _catch_up(self, channel_id: int, head: int) -> None:
        while self.last_seq[channel_id] < head:
            page = await self._request(
                {"type": "history", "channel_id": channel_id,
                 "after": self.last_seq[channel_id], "limit": 100}
            )  # fmt: skip
            if not page["messages"]:
                return
            for message in page["messages"]:
                self._accept(channel_id, message)

    async def send(
        self,
        channel_id: int | None,
        body: str,
        *,
        to_player_id: int | None = None,
        client_msg_id: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
        attempts: int = 5,
    ) -> dict[str, Any]:
        """Send a message (``attachments``: ``[{"kind", "id"}]`` references; the body may then
        be empty); retried with the same ``client_msg_id`` across reconnects and rate limits,
        so the server stores it exactly once. Returns the ``sent`` reply."""
        frame: dict[str, Any] = {"type": "send", "body": body,
                                 "client_msg_id": client_msg_id or uuid.uuid4().hex}  # fmt: skip
        if attachments:
            frame["attachments"] = attachments
        if to_player_id is not None:
            frame["to_player_id"] = to_player_id
        else:
            frame["channel_id"] = channel_id
        for attempt in range(attempts):
            try:
                return await self.request(frame)
            except ChatError as error:
                if error.code != "rate_limited" or attempt == attempts - 1:
                    raise
                await asyncio.sleep(error.details.get("retry_after", 1))
            except (ConnectionError, TimeoutError, websockets.ConnectionClosed):
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    # --- receiving --------------------------------------------------------------------------

    async def _read(self, socket: Any) -> None:
        try:
            async for text in socket:
                frame = json.loads(text)
                future = self._pending.get(frame.get("id") or "")
                if future is not None and not future.done():
                    future.set_result(frame)
                elif frame["type"] == "message":
                    self._on_message(frame["channel_id"], frame["message"])
                elif frame["type"] == "sanction":
                    self.sanction = frame
                    self.events.put_nowait(frame)
                elif frame.get("change_seq") is not None:
                    self._on_change(frame)
                else:
                    self.events.put_nowait(frame)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("the socket closed"))

    def _on_message(self, channel_id: int, message: dict[str, Any]) -> None:
        last = self.last_seq.get(channel_id)
        if last is None:
            return  # not subscribed
        seq = message["seq"]
        if last < 0:
            # Live frames can overtake the ``subscribed`` reply: hold them until it says
            # where the channel stood.
            self._held.setdefault(channel_id, {})[seq] = message
            return
        if seq <= last:
            return  # duplicate
        if seq == last + 1:
            self._accept(channel_id, message)
            self._flush_held(channel_id)
            return
        self._held.setdefault(channel_id, {})[seq] = message
        if channel_id not in self._resyncing and self._connected.is_set():
            self._resyncing.add(channel_id)
            asyncio.get_running_loop().create_task(self._fill_hole(channel_id))

    async def _fill_hole(self, channel_id: int) -> None:
        with contextlib.suppress(Exception):
            await self._resubscribe([channel_id])

    def _accept(self, channel_id: int, message: dict[str, Any]) -> None:
        if message["seq"] != self.last_seq[channel_id] + 1:
            return
        self.last_seq[channel_id] = message["seq"]
        if message.get("change_seq"):
            self._seen_change(message["id"], message["change_seq"])
        self.deliveries.put_nowait(Delivery(channel_id=channel_id, message=message))

    def _seen_change(self, message_id: int, change_seq: int) -> bool:
        """Remember the newest state of a message; False if ``change_seq`` is not newer."""
        if self._message_change.get(message_id, 0) >= change_seq:
            return False
        self._message_change[message_id] = change_seq
        self._message_change.move_to_end(message_id)
        while len(self._message_change) > 10_000:
            self._message_change.popitem(last=False)
        return True

    def _on_change(self, frame: dict[str, Any]) -> None:
        """``message_updated``, ``message_deleted`` or ``reaction``: passed on to ``events``
        once per change."""
        channel_id, change_seq = frame["channel_id"], frame["change_seq"]
        message_id = frame["message"]["id"] if "message" in frame else frame["message_id"]
        if self._seen_change(message_id, change_seq):
            self.events.put_nowait(frame)
        last = self.last_change_seq.get(channel_id, -1)
        if last < 0 or channel_id in self._replaying or change_seq <= last:
            return  # replayed frames are not contiguous: the reply sets the mark
        if change_seq == last + 1:
            self.last_change_seq[channel_id] = change_seq
        elif channel_id not in self._resyncing and self._connected.is_set():
            # A change before this one was lost (or is late): replay what changed since.
            self._resyncing.add(channel_id)
            asyncio.get_running_loop().create_task(self._fill_hole(channel_id))

    def _flush_held(self, channel_id: int) -> None:
        held = self._held.get(channel_id, {})
        while self.last_seq[channel_id] + 1 in held:
            self._accept(channel_id, held.pop(self.last_seq[channel_id] + 1))
        for seq in [seq for seq in held if seq <= self.last_seq[channel_id]]:
            del held[seq]

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
* **presence** — a ``ping`` every ``limits.heartbeat_seconds`` (from ``welcome``) keeps the
  player online (the server forgets a socket that has not pinged for its presence timeout);
  a ``pong`` that does not come within ``request_timeout`` means the connection is dead
  (a half-open TCP connection shows no error): the client drops it and reconnects;
* **idempotent sends** — every send carries a ``client_msg_id``; a send whose outcome is
  unknown (the socket dropped or no reply came) or that the server could not store
  (``internal_error``, ``unavailable``, ``rate_limited``) is retried with the same id, after
  reconnecting if need be, so it is stored once;
* **reconnect with jittered exponential backoff** (``backoff.py``), honouring any
  ``details.retry_after`` (or ``retry_after_ms``) the server sends — except after a ban or
  suspension (close 4008 / 4009): then it stops, ``stopped_by`` holds the last ``sanction``
  frame (why and until when) and ``events`` gets ``closed_by_moderation``.

Only depends on the ``websockets`` library.
"""

import asyncio
import collections
import contextlib
import inspect
import json
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import websockets

from community_chat.backoff import Backoff

SUBPROTOCOL = "community.v1"
# Close codes of a ban and a suspension (docs/websocket-protocol.md): never reconnect after them.
SANCTION_CLOSE_CODES = (4008, 4009)
# Refusals of a ``send`` that stored nothing and may pass later: retried with the same id.
RETRIED_SEND_CODES = frozenset({"rate_limited", "unavailable", "internal_error"})
# The interval the protocol documents, for a server whose ``welcome`` does not say.
DEFAULT_HEARTBEAT_SECONDS = 30.0
# What a dead or half-open connection raises; the request's outcome is unknown.
CONNECTION_LOST = (ConnectionError, TimeoutError, websockets.ConnectionClosed)
# A token, or what fetches a fresh one (a chat token lives minutes; a socket may outlive it).
TokenSource = str | Callable[[], str | Awaitable[str]]


def retry_hint(details: dict[str, Any]) -> float:
    """Seconds the server asked us to wait: ``retry_after`` (seconds, e.g. ``rate_limited``)
    or ``retry_after_ms`` (``unavailable`` during a database outage); 0 when it named none."""
    if details.get("retry_after_ms") is not None:
        return float(details["retry_after_ms"]) / 1000
    return float(details.get("retry_after") or 0)


class ChatError(Exception):
    """An ``error`` frame answering a request: ``code`` is the documented error code."""

    def __init__(self, frame: dict[str, Any]) -> None:
        super().__init__(f"{frame.get('code')}: {frame.get('message')}")
        self.code = frame.get("code")
        self.details = frame.get("details", {})
        self.frame = frame


def message_text(message: dict[str, Any], language: str | None) -> str:
    """The text to show in ``language``: an announcement may carry ``body_translations``
    (language code → text); ``ja-JP`` also finds ``ja``; otherwise ``body``."""
    texts = message.get("body_translations") or {}
    if language:
        language = language.lower()
        for candidate in (language, language.split("-")[0]):
            if texts.get(candidate):
                return str(texts[candidate])
    return str(message.get("body", ""))


@dataclass(frozen=True)
class Delivery:
    channel_id: int
    message: dict[str, Any]
    # The message's text in the client's ``language`` (``message_text``): what to show.
    text: str = ""


class ChatClient:
    """``token``: a token, or a function (sync or async) returning a fresh one, called before
    every connect — a chat token only opens sockets and expires within minutes, so a
    reconnect after that needs a new one from your game server.
    ``heartbeat_seconds``: how often to ``ping`` (None: the server's
    ``limits.heartbeat_seconds``). ``backoff_initial``/``backoff_max``: the reconnect schedule
    (``Backoff``); ``rng`` draws its jitter (seed one to reproduce a schedule).
    ``send_timeout``: how long ``send`` keeps retrying an outcome-unknown message.
    ``language``: the player's language (``"ja"``): each ``Delivery.text`` is the message's
    text in it (an announcement's translation, else its ``body``)."""

    def __init__(
        self,
        url: str,
        token: TokenSource,
        *,
        request_timeout: float = 10.0,
        backoff_initial: float = 0.2,
        backoff_max: float = 10.0,
        heartbeat_seconds: float | None = None,
        send_timeout: float = 60.0,
        rng: random.Random | None = None,
        origin: str | None = None,
        language: str | None = None,
    ) -> None:
        self.url = url
        self.language = language
        self.token = token
        self.origin = origin
        self.request_timeout = request_timeout
        self.send_timeout = send_timeout
        self.heartbeat_seconds = heartbeat_seconds
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not secrets
        self.backoff = Backoff(initial=backoff_initial, maximum=backoff_max, rng=self.rng)
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
        self._heartbeat: asyncio.Task | None = None
        self._connected = asyncio.Event()
        self._connected_at = 0.0
        self._closing = False
        self._supervisor: asyncio.Task | None = None
        self._retry_after = 0.0  # the server's last "not before" hint for reconnecting
        self.reconnects = 0
        self.pongs = 0
        self.sanction: dict[str, Any] | None = None  # the last ``sanction`` frame
        self.stopped_by: dict[str, Any] | None = None  # set when a ban/suspension closed us

    # --- connection -------------------------------------------------------------------------

    async def connect(self) -> dict[str, Any]:
        """Open the socket, say hello, and keep it open (reconnecting) until ``close``."""
        await self._open()
        self._supervisor = asyncio.create_task(self._supervise())
        return self.welcome

    async def _current_token(self) -> str:
        if isinstance(self.token, str):
            return self.token
        token = self.token()
        return await token if inspect.isawaitable(token) else token

    async def _open(self) -> None:
        """Connect, ``hello``, start the heartbeat, resume every channel. On any failure the
        new socket is dropped before raising, so no half-open socket is left behind."""
        token = await self._current_token()
        socket = await websockets.connect(
            self.url,
            subprotocols=[SUBPROTOCOL, f"bearer.{token}"],
            origin=self.origin,
            open_timeout=self.request_timeout,
            max_size=2**20,
        )
        self._socket = socket
        self._reader = asyncio.create_task(self._read(socket))
        try:
            self.welcome = await self._request({"type": "hello", "version": 1})
            self._connected.set()
            self._connected_at = asyncio.get_running_loop().time()
            self._heartbeat = asyncio.create_task(self._keep_alive(socket))
            if self.last_seq:
                await self._resubscribe(list(self.last_seq))
        except BaseException as error:
            if isinstance(error, ChatError):
                self._retry_after = retry_hint(error.details)
            await self._discard(socket)
            raise

    async def _discard(self, socket: Any) -> None:
        self._connected.clear()
        self._stop_heartbeat()
        socket.transport.abort()
        if self._reader is not None:
            with contextlib.suppress(BaseException):
                await self._reader

    def _stop_heartbeat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None

    def heartbeat_interval(self) -> float:
        """Seconds between pings: the override, else what ``welcome`` says."""
        if self.heartbeat_seconds is not None:
            return self.heartbeat_seconds
        limits = self.welcome.get("limits") or {}
        return float(limits.get("heartbeat_seconds") or DEFAULT_HEARTBEAT_SECONDS)

    async def _keep_alive(self, socket: Any) -> None:
        """Ping every interval: it keeps the player online (presence expires without it), and
        a missing ``pong`` is the only sign of a connection that died without a close."""
        while True:
            await asyncio.sleep(self.heartbeat_interval())
            try:
                await self._request({"type": "ping"}, socket=socket)
            except ChatError:
                pass  # an answer all the same: the connection is alive
            except CONNECTION_LOST:
                socket.transport.abort()  # the supervisor reconnects
                return
            self.pongs += 1

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
        loop = asyncio.get_running_loop()
        while not self._closing:
            assert self._reader is not None
            with contextlib.suppress(Exception):
                await self._reader
            if self._closing:
                return
            self._connected.clear()
            self._stop_heartbeat()
            if self._stop_if_sanctioned():
                return
            # Only a connection that held longer than the longest wait starts the schedule
            # again: a server that accepts and drops at once is not hammered.
            if loop.time() - self._connected_at >= self.backoff.maximum:
                self.backoff.reset()
            if not await self._reconnect():
                return

    async def _reconnect(self) -> bool:
        """Reconnect with jittered back-off until it works; False if it must stop."""
        while not self._closing:
            hint, self._retry_after = self._retry_after, 0.0
            await asyncio.sleep(self.backoff.next_delay(at_least=hint))
            try:
                await self._open()
            except Exception:  # refused, unreachable, or the token source failed: try again
                if self._stop_if_sanctioned():
                    return False
                continue
            self.reconnects += 1
            return True
        return False

    async def close(self) -> None:
        self._closing = True
        self._stop_heartbeat()
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

    async def _request(self, frame: dict[str, Any], *, socket: Any = None) -> dict[str, Any]:
        request_id = uuid.uuid4().hex
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await (socket or self._socket).send(json.dumps({**frame, "id": request_id}))
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
        be empty) and return the ``sent`` reply (``duplicate`` true when an earlier attempt
        was stored). Up to ``attempts`` frames within ``send_timeout``: a send whose outcome
        is unknown (the socket dropped, no reply) is sent again with the same
        ``client_msg_id`` once reconnected, and one refused for a passing reason
        (``RETRIED_SEND_CODES``) after ``details.retry_after`` or a jittered back-off — the
        server stores it exactly once. Other refusals raise ``ChatError`` at once."""
        frame: dict[str, Any] = {"type": "send", "body": body,
                                 "client_msg_id": client_msg_id or uuid.uuid4().hex}  # fmt: skip
        if attachments:
            frame["attachments"] = attachments
        if to_player_id is not None:
            frame["to_player_id"] = to_player_id
        else:
            frame["channel_id"] = channel_id
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.send_timeout
        backoff = Backoff(initial=self.backoff.initial, maximum=self.backoff.maximum, rng=self.rng)
        for attempt in range(1, attempts + 1):
            is_last = attempt == attempts
            try:
                await asyncio.wait_for(self._connected.wait(), max(0.0, deadline - loop.time()))
                return await self._request(frame)
            except ChatError as error:
                if error.code not in RETRIED_SEND_CODES or is_last:
                    raise
                hint = retry_hint(error.details)
                await asyncio.sleep(backoff.next_delay(at_least=hint))
            except CONNECTION_LOST:
                # Maybe stored, maybe not: only the same client_msg_id makes a retry safe.
                if is_last or loop.time() >= deadline:
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
            if socket is self._socket:
                self._connected.clear()  # before the senders below wake up and retry
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
        text = message_text(message, self.language)
        self.deliveries.put_nowait(Delivery(channel_id=channel_id, message=message, text=text))

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

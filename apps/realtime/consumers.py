"""The one websocket consumer: a player's socket, multiplexing all of their channels.

Frames are JSON objects with a ``type``; requests carry an ``id`` that the reply echoes.
The full protocol is in docs/websocket-protocol.md.
"""

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.utils import await_many_dispatch
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from apps.common.exceptions import ApplicationError
from apps.common.logging import connection_id as log_connection_id
from apps.common.metrics import WS_FRAMES, WS_OPEN_SOCKETS
from apps.common.outage import database_unavailable, is_database_outage
from apps.realtime.auth import token_resolve
from apps.realtime.backpressure import (
    CLOSE_TOO_SLOW,
    SendQueue,
    send_queue_for,
    texts_writer_of,
)
from apps.realtime.fanout import hub, write_batches
from apps.realtime.hooks import connection_hooks, run_hooks
from apps.realtime.language import handshake_language, user_language
from apps.realtime.middleware import SUBPROTOCOL
from apps.realtime.outage import OUTAGE_ERRORS, retry_after_ms, watch
from apps.realtime.publish import encode_frame
from apps.realtime.registry import (
    SessionSetup,
    SocketRefused,
    commands,
    event_handlers,
    session_hooks,
)

logger = logging.getLogger(__name__)

PROTOCOL_VERSIONS = (1,)

# The frame counters' children, looked up once (``labels()`` costs a lock and a dict lookup
# on every frame).
_FRAMES_OUT = WS_FRAMES.labels("out")
_FRAMES_IN = WS_FRAMES.labels("in")

# Close codes (documented in docs/websocket-protocol.md).
CLOSE_AUTH_TIMEOUT = 4001
CLOSE_AUTH_FAILED = 4003
# "Try again later" (as HTTP 503; the standard 1013 is not available to servers on Daphne,
# which only sends 1000 or 3000-4999): the socket cannot be set up because the database (its
# credentials cannot be checked) or Redis (it cannot join its groups) is unreachable. An
# ``unavailable`` error frame with ``details.retry_after_ms`` comes first.
CLOSE_TRY_AGAIN_LATER = 4503


def _is_request_id(value: object) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _hello_field_refusal(version: object, token: object) -> tuple[str, str] | None:
    """The ``invalid_frame`` field and message for a malformed ``hello``, if it is one. (A
    missing ``token`` where one is needed is an authentication failure, not a malformed
    frame: ``invalid_token``, close 4003.)"""
    if not isinstance(version, int) or isinstance(version, bool):
        return "version", _("version must be an integer.")
    if token is not None and not isinstance(token, str):
        return "token", _("token must be a string.")
    return None


class RealtimeConsumer(AsyncJsonWebsocketConsumer):
    auth_timer: asyncio.Task | None = None
    joined_user_id: int | None = None  # receiving the user's events (the hub)
    is_present = False  # announced online (the ``on_connect`` hooks ran)
    is_closing = False
    is_counted = False  # in community_ws_open_sockets
    send_queue: SendQueue | None = None  # None: no transport to watch (in-process tests)
    write_texts_now: Callable[[Sequence[str]], bool] | None = None  # Daphne's protocol
    inbox: asyncio.Queue
    # The language of this socket's error messages (apps.realtime.language).
    language: str = settings.LANGUAGE_CODE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per-socket state of domain apps, by app label (e.g. chat's subscriptions).
        self.sessions: dict[str, Any] = {}
        self.unfinished: set[asyncio.Task] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """The consumer loop. Unlike stock Channels, a socket has no channel-layer channel of
        its own (no receive task, queue or group membership per socket: what an idle socket
        costs in memory): its user's events come through the process's hub
        (``apps.realtime.fanout``), which ``push``es them into the queue Daphne feeds this
        socket's frames into, so they are handled in this task, in order, as before."""
        self.scope = scope
        self.send_queue = send_queue_for(send)
        self.network_send = send
        # Fan-out frames go straight to Daphne's protocol (``send_texts_now``) when it offers it.
        self.write_texts_now = texts_writer_of(send) if self.send_queue is not None else None
        self.base_send = self._send_bounded
        inbox = getattr(receive, "__self__", None)
        with contextlib.suppress(StopConsumer):
            if isinstance(inbox, asyncio.Queue):  # Daphne's and the test communicator's
                self.inbox = inbox
                while True:
                    await self.dispatch(await receive())
            self.inbox = asyncio.Queue()  # another server: a queue of our own beside it
            await await_many_dispatch([receive, self.inbox.get], self.dispatch)

    def push(self, event: dict[str, Any]) -> None:
        """An event for this socket's user (from the hub): handled in this socket's task."""
        if not self.is_closing:
            self.inbox.put_nowait(event)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch without its ``close_old_connections`` thread hop before every
        message: each ORM call here goes through ``database_sync_to_async``, which does the
        same around the call, so the hop only cost a round trip to the ORM thread per frame."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def _send_bounded(self, message: dict[str, Any]) -> None:
        """Every ASGI message goes out here: a frame for a socket whose outgoing queue is past
        its bound is not written, and the socket is closed with 4010 instead (it stopped
        reading; ``apps.realtime.backpressure``)."""
        if message["type"] == "websocket.send" and self.send_queue is not None:
            if self.send_queue.is_over:
                return
            payload = message.get("text") or message.get("bytes") or b""
            if not self.send_queue.admit(len(payload)):
                await self._close_too_slow()
                return
        await self.network_send(message)

    async def _close_too_slow(self) -> None:
        logger.warning("websocket closed: the client stopped reading (slow consumer)")
        self.is_closing = True
        await self.network_send({"type": "websocket.close", "code": CLOSE_TOO_SLOW})

    async def connect(self) -> None:
        auth_error = self.scope.get("auth_error")
        if auth_error and auth_error != "unavailable":
            await self.close()  # before accept: the handshake is refused with HTTP 403
            return
        self.connection_id = uuid.uuid4().hex
        # This connection's handlers run in this task: its log lines carry the id.
        log_connection_id.set(self.connection_id)
        self.language = handshake_language(self.scope)
        subprotocol = SUBPROTOCOL if SUBPROTOCOL in self.scope.get("subprotocols", []) else None
        await self.accept(subprotocol=subprotocol)
        WS_OPEN_SOCKETS.inc()
        self.is_counted = True
        if auth_error:
            with translation.override(self.language):
                await self.refuse_unavailable(None)
        elif self.scope["user"].is_authenticated:
            await self.on_authenticated()
        else:
            self.auth_timer = asyncio.create_task(self._close_if_unauthenticated())

    async def refuse_unavailable(self, request_id: Any) -> None:
        """The token or session could not be checked (the database is down): say when to
        retry, then close with 4503 (try again later)."""
        refusal = database_unavailable()
        await self.send_error(request_id, refusal.code, refusal.message, **refusal.details)
        await self.close(code=CLOSE_TRY_AGAIN_LATER)

    async def on_authenticated(self, request_id: Any = None) -> bool:
        """Set the socket up for its user in one hop off the loop (the apps'
        ``on_authenticated`` setups, then the ``on_connect`` hooks: presence), then, on the
        loop, the setups' ``finish`` and the user's events. A refused socket (a setup's
        ``SocketRefused``; the database down: ``unavailable``, 4503; Redis down: 4503) is
        never announced online, or goes offline again if it was refused after that."""
        user_id = self.scope["user"].id
        setups = [hook for hook in session_hooks.on_authenticated if isinstance(hook, SessionSetup)]
        try:
            # A pool thread (reads, the slot and presence in Redis): connects overlap their
            # round trips, and a connect's work off the loop is this one hop.
            prepared, presence_outage = await database_sync_to_async(
                self._prepare, thread_sensitive=False
            )(setups)
            self.is_present = True
            if presence_outage:
                watch().outage_seen()
            with translation.override(self.language):
                await self._finish(prepared)
            await hub().user_join(user_id, self)
            self.joined_user_id = user_id
            return True
        except SocketRefused as refused:
            await self._absent_after_refusal()
            with translation.override(self.language):
                await self._refuse(refused)
            return False
        except Exception as error:
            await self._absent_after_refusal()
            with translation.override(self.language):
                if is_database_outage(error):
                    await self.refuse_unavailable(request_id)
                elif isinstance(error, OUTAGE_ERRORS):
                    await self._refuse_during_outage()
                else:
                    raise
            return False

    def _prepare(self, setups: list[SessionSetup]) -> tuple[dict[int, Any], bool]:
        """Off the loop, in one hop: the player's language, then every setup's ``prepare``, in
        order and in that language (a refusal's message is written in it), by ``id(setup)``;
        then, once none refused, the ``on_connect`` hooks (presence), last so that a refused
        socket is never announced. Also whether Redis was unreachable for those hooks (they
        are then skipped: the next heartbeat after it is back puts the socket online)."""
        self.language = user_language(self.scope["user"]) or self.language
        with translation.override(self.language):
            prepared = {id(setup): setup.prepare(self) for setup in setups}
        try:
            run_hooks(connection_hooks.on_connect, user_id=self.scope["user"].id,
                      connection_id=self.connection_id)  # fmt: skip
        except OUTAGE_ERRORS:
            return prepared, True
        return prepared, False

    async def _finish(self, prepared: dict[int, Any]) -> None:
        for hook in session_hooks.on_authenticated:
            if not isinstance(hook, SessionSetup):
                await hook(self)
            elif hook.finish is not None:
                await hook.finish(self, prepared[id(hook)])

    async def _absent_after_refusal(self) -> None:
        """A socket refused after it was announced online (a ``finish`` refused, or Redis
        failed the user's events) goes offline again."""
        if self.is_present:
            self.is_present = False
            await self._run_connection_hooks(connection_hooks.on_disconnect)

    async def _refuse(self, refused: SocketRefused) -> None:
        if refused.frame is not None:
            await self.send_json(refused.frame)
        await self.send_error(None, refused.code, refused.message)
        await self.close(code=refused.close_code)

    async def _refuse_during_outage(self) -> None:
        """Redis is unreachable, so the socket cannot join its groups or take its slot: say
        when to come back (jittered, so refused clients do not return together) and close."""
        watch().outage_seen()
        await self.send_error(
            None, "unavailable", _("The service is briefly unavailable. Reconnect later."),
            retry_after_ms=retry_after_ms(),
        )  # fmt: skip
        self.is_closing = True
        await self.close(code=CLOSE_TRY_AGAIN_LATER)

    async def _run_connection_hooks(self, hooks: list) -> None:
        """Presence hooks keep their state in Redis; while it is unreachable they are skipped
        (the next heartbeat after it is back puts the socket online again). They run on a pool
        thread, not queued behind the ORM thread's database work (a database outage does not
        hold up heartbeats; a connect storm's hooks overlap)."""
        try:
            await database_sync_to_async(run_hooks, thread_sensitive=False)(
                hooks, user_id=self.scope["user"].id, connection_id=self.connection_id
            )
        except OUTAGE_ERRORS:
            watch().outage_seen()

    async def disconnect(self, code: int) -> None:
        self.is_closing = True
        if self.is_counted:
            WS_OPEN_SOCKETS.dec()
            self.is_counted = False
        if self.auth_timer is not None:
            self.auth_timer.cancel()
        for task in self.unfinished:
            task.cancel()  # what they wait for (a commit) still happens; the reply can't
        for hook in session_hooks.on_closed:
            try:
                await hook(self)
            except Exception:
                logger.exception("session close hook failed")
        if self.joined_user_id is not None:
            await hub().user_leave(self.joined_user_id, self)
        if self.is_present:
            await self._run_connection_hooks(connection_hooks.on_disconnect)

    async def frame_send(self, event: dict[str, Any]) -> None:
        """A frame pushed by ``apps.realtime.broadcast`` to a group this socket is in."""
        await self.send_json(event["frame"])

    async def realtime_event(self, event: dict[str, Any]) -> None:
        """A server-side event for this socket's user, handled by the registered handler."""
        handler = event_handlers.get(event["name"])
        if handler is not None and not self.is_closing:
            with translation.override(self.language):
                await handler(self, event["payload"])

    async def realtime_close(self, event: dict[str, Any]) -> None:
        """Close this socket at once (a ban), after an optional explaining frame."""
        if event.get("frame"):
            await self.send_json(event["frame"])
        self.is_closing = True
        await self.close(code=event["code"])

    async def send_text(self, text: str) -> None:
        """Write an already-encoded frame (fan-out encodes once for every socket)."""
        await self.send_texts((text,))

    async def send_texts(self, texts: Sequence[str]) -> None:
        """Write already-encoded frames in order, in as few writes as ``send_texts_now``
        can (a resume's replay: one write, not one per message)."""
        _FRAMES_OUT.inc(len(texts))
        for start, end, chars in write_batches(texts):
            run = texts[start:end]
            if not self.send_texts_now(run, chars):
                for text in run:
                    await self.send_text_later(text)

    def send_texts_now(self, texts: Sequence[str], size: int) -> bool:
        """Write already-encoded frames (``size``: their length in all) now, without a
        coroutine: the hub's path (``apps.realtime.fanout``), once per socket and message
        or batch of messages. Frames are not counted here: the hub counts them once per batch.

        Under our Daphne the frames go to the socket's protocol directly, bounded as
        ``_send_bounded`` bounds a frame: the ASGI ``send`` chain (Channels' session wrapper,
        Daphne's ``handle_reply`` coroutine) does nothing for a text frame on an open socket
        but cost time per socket and message. True when done: written, or dropped because
        the socket is being closed as too slow. False when ``send_text_later`` must take each
        of them: no protocol to write to, a socket not open (or frames Daphne must refuse or
        fragment), or a socket that has just gone past its bound (closing it is not done
        without a coroutine)."""
        write_now, queue = self.write_texts_now, self.send_queue
        if write_now is None or queue is None:
            return False
        if queue.is_over:
            return True
        return queue.admit(size, len(texts)) and write_now(texts)

    async def send_text_later(self, text: str) -> None:
        """A frame ``send_texts_now`` did not write (it was admitted there, if it could be)."""
        queue = self.send_queue
        if self.write_texts_now is None or queue is None:
            await self.base_send({"type": "websocket.send", "text": text})
        elif queue.is_over:
            if not self.is_closing:
                await self._close_too_slow()
        else:
            await self.network_send({"type": "websocket.send", "text": text})

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        if text_data is not None or bytes_data is not None:
            _FRAMES_OUT.inc()
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def send_json(self, content: Any, close: bool = False) -> None:
        """A frame of this socket's own (a reply, an error, a user's event): encoded as fan-out
        frames are (compact, UTF-8) and written as they are (``send_text``), without Channels'
        ``send`` chain in between; bounded by the send queue the same way."""
        await self.send_text(encode_frame(content))
        if close:
            await self.close(close)

    async def _close_if_unauthenticated(self) -> None:
        await asyncio.sleep(settings.WEBSOCKET_AUTH_TIMEOUT_SECONDS)
        if not self.scope["user"].is_authenticated:
            await self.close(code=CLOSE_AUTH_TIMEOUT)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        _FRAMES_IN.inc()
        with translation.override(self.language):
            await self._receive_frame(text_data)

    async def _receive_frame(self, text_data: str | None) -> None:
        if text_data is None:
            await self.send_error(None, "invalid_frame", _("Binary frames are not supported."))
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self.send_error(None, "invalid_frame", _("The frame is not valid JSON."))
            return
        if not isinstance(frame, dict):
            await self.send_error(None, "invalid_frame", _("A frame is a JSON object."))
            return
        request_id = frame.get("id")
        if request_id is not None and not _is_request_id(request_id):
            await self.send_error(None, "invalid_frame", _("id must be a string or a number."),
                                  field="id")  # fmt: skip
            return
        if not isinstance(frame.get("type"), str):
            await self.send_error(request_id, "invalid_frame", _("type must be a string."),
                                  field="type")  # fmt: skip
            return
        await self.receive_json(frame)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        request_id = content.get("id")
        frame_type = content["type"]
        if frame_type == "hello":
            await self.handle_hello(content)
        elif not self.scope["user"].is_authenticated:
            await self.send_error(
                request_id, "not_authenticated", _("Send hello with a token first.")
            )
        elif self.joined_user_id is None:
            await self.send_error(request_id, "not_authenticated", _("Send hello first."))
        elif frame_type == "ping":
            await self.send_json({"type": "pong", "id": request_id})
            await self._run_connection_hooks(connection_hooks.on_heartbeat)
        elif frame_type in commands:
            await self.run_command(frame_type, content)
        else:
            await self.send_error(
                request_id,
                "unknown_type",
                _("Unknown frame type %(type)s.") % {"type": repr(frame_type)},
            )

    async def run_command(self, frame_type: str, content: dict[str, Any]) -> None:
        """Run a registered command; a refusal becomes an ``error`` frame with its code and the
        socket stays usable."""
        await self._answering_errors(content, commands[frame_type](self, content))

    async def _answering_errors(self, content: dict[str, Any], work: Awaitable[None]) -> None:
        try:
            await work
        except ApplicationError as error:
            await self.send_error(content.get("id"), error.code, error.message, **error.details)
        except Exception as error:
            if is_database_outage(error):  # logged once, by apps.common.outage
                refusal = database_unavailable()
                await self.send_error(
                    content.get("id"), refusal.code, refusal.message, **refusal.details
                )
                return
            logger.exception("websocket command failed", extra={"frame_type": content["type"]})
            await self.send_error(content.get("id"), "internal_error", _("Something went wrong."))

    def finish_later(self, content: dict[str, Any], work: Awaitable[None]) -> None:
        """Finish a command without holding up the socket's next frame (a ``send`` waiting
        for its group commit); errors are answered as ``run_command`` answers them."""
        task = asyncio.create_task(self._answering_errors(content, work))
        self.unfinished.add(task)
        task.add_done_callback(self.unfinished.discard)

    async def handle_hello(self, content: dict[str, Any]) -> None:
        request_id = content.get("id")
        version = content.get("version")
        if version is None:
            version = PROTOCOL_VERSIONS[0]
        token = content.get("token")
        refusal = _hello_field_refusal(version, token)
        if refusal is not None:
            field, message = refusal
            await self.send_error(request_id, "invalid_frame", message, field=field)
            return
        if version not in PROTOCOL_VERSIONS:
            await self.send_error(
                request_id,
                "unsupported_version",
                _("This protocol version is not supported."),
                supported=list(PROTOCOL_VERSIONS),
            )
            return
        if not self.scope["user"].is_authenticated:
            try:
                resolve = database_sync_to_async(token_resolve, thread_sensitive=False)
                credential = await resolve(token) if token else None
            except Exception as error:
                if not is_database_outage(error):
                    raise
                await self.refuse_unavailable(request_id)
                return
            if credential is None:
                await self.send_error(request_id, "invalid_token", _("The token is not valid."))
                await self.close(code=CLOSE_AUTH_FAILED)
                return
            self.scope["user"] = credential.user
            self.scope["credential"] = credential
            self.scope["auth_method"] = "bearer"
            if self.auth_timer is not None:
                self.auth_timer.cancel()
            if not await self.on_authenticated(request_id):
                return
        elif self.joined_user_id is None:
            return  # refused on connect; the socket is closing
        user = self.scope["user"]
        welcome = {"type": "welcome", "id": request_id, "version": version, "user_id": user.id}
        for provider in session_hooks.welcome_providers:
            welcome.update(provider(self))
        await self.send_json(welcome)

    async def send_error(self, request_id: Any, code: str, message: str, **details: Any) -> None:
        frame: dict[str, Any] = {
            "type": "error",
            "id": request_id,
            "code": code,
            "message": message,
        }
        if details:
            frame["details"] = details
        await self.send_json(frame)

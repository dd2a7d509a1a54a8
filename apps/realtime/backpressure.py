"""A bound on what a socket that stopped reading may hold (docs/websocket-protocol.md, close
4010; docs/operations.md, ``WEBSOCKET_SEND_QUEUE_MAX_*``).

Daphne hands every frame to Twisted at once, and Twisted keeps what the network has not taken
in its write buffer, without limit: a stalled client of a busy lobby held megabytes until the
ping timeout cut it. The ASGI ``send`` that Daphne gives the application is
``functools.partial(server.handle_reply, protocol)``, so the consumer can reach the socket's
transport and read how many bytes are still waiting there before it writes the next frame.
Frames are counted as written since that buffer was last seen empty (an upper bound of those
still waiting). Past either bound — after handing the kernel what it will take, so a burst
to a socket that reads is not mistaken for one that stopped — the socket is closed with 4010.

Where no transport can be reached (the in-process test communicator) nothing is bounded.
"""

import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings

from apps.common.metrics import WS_SLOW_CONSUMERS_CLOSED

CLOSE_TOO_SLOW = 4010


def protocol_of(send: Any) -> Any | None:
    """Daphne's websocket protocol under an ASGI ``send`` from Daphne, through Channels'
    session wrapper (``real_send``); None elsewhere."""
    for _ in range(4):
        if isinstance(send, functools.partial):
            return next((arg for arg in send.args if hasattr(arg, "transport")), None)
        wrapper = getattr(send, "__self__", None)
        send = getattr(wrapper, "real_send", None)
        if send is None:
            return None
    return None


def transport_of(send: Any) -> Any | None:
    """The network transport under an ASGI ``send`` from Daphne; None elsewhere."""
    return _innermost(getattr(protocol_of(send), "transport", None))


def texts_writer_of(send: Any) -> Callable[[Sequence[str]], bool] | None:
    """Our Daphne protocol's ``write_texts`` under an ASGI ``send``
    (``community.daphne_server``): writes text frames now, or returns False for ``send`` to
    take them. None under another server (or stock Daphne)."""
    return getattr(protocol_of(send), "write_texts", None)


def _innermost(transport: Any) -> Any | None:
    """The socket's own transport: Daphne's websocket protocol writes through the HTTP channel
    it was upgraded from (Twisted's ``_GenericHTTPChannelProtocol``), which writes to TCP."""
    for _ in range(4):
        if transport is None or _is_buffering(transport):
            return transport
        transport = getattr(transport, "transport", None)
    return None


def _is_buffering(transport: Any) -> bool:
    return hasattr(transport, "get_write_buffer_size") or hasattr(transport, "dataBuffer")


def _flush(transport: Any) -> None:
    """Write what the kernel will take now (Twisted's ``IWriteDescriptor.doWrite``, which the
    reactor calls when the socket is writable; calling it early is harmless). Asyncio
    transports write at once and need nothing."""
    do_write = getattr(transport, "doWrite", None)
    if do_write is None or getattr(transport, "disconnecting", False):
        return
    do_write()  # an error is seen again, and handled, by the reactor's own call


class SendQueue:
    """One socket's outgoing queue, as seen from the application."""

    # No __dict__: one per socket.
    __slots__ = ("frames", "is_over", "is_twisted", "max_bytes", "max_frames", "transport")

    def __init__(self, transport: Any) -> None:
        self.transport = transport
        self.frames = 0  # written since the buffer was last seen empty
        self.is_over = False
        # Read once per socket: a settings lookup per frame cost ~5 % of fan-out at 1,000 sockets.
        self.max_bytes: int = settings.WEBSOCKET_SEND_QUEUE_MAX_BYTES
        self.max_frames: int = settings.WEBSOCKET_SEND_QUEUE_MAX_FRAMES
        # Which kind of buffer to read (``waiting``), found once: looking it up per frame
        # (three ``getattr``s with defaults) was a tenth of a fan-out write at 1,000 sockets.
        self.is_twisted = not hasattr(transport, "get_write_buffer_size")

    def admit(self, size: int, frames: int = 1) -> bool:
        """Whether ``frames`` frames of ``size`` bytes in all may be written; False once the
        socket is too far behind (then it stays False: the socket is being closed)."""
        if self.is_over:
            return False
        self.frames += frames
        if not self._is_past_bound(size, frames):
            return True
        # Twisted writes on the next turn of the loop, so a burst written in one turn (a group
        # commit's batch) waits here even for a socket that reads: hand it to the kernel now,
        # and judge by what the kernel would not take.
        _flush(self.transport)
        if not self._is_past_bound(size, frames):
            return True
        self.is_over = True
        WS_SLOW_CONSUMERS_CLOSED.inc()
        return False

    def waiting(self) -> int:
        """Bytes written to the transport that the network has not taken yet."""
        transport = self.transport
        if self.is_twisted:
            # Twisted's FileDescriptor: the unsent part of dataBuffer plus writes not yet
            # joined to it.
            return len(transport.dataBuffer) - transport.offset + transport._tempDataLen
        return int(transport.get_write_buffer_size())  # asyncio

    def _is_past_bound(self, size: int, frames: int) -> bool:
        waiting = self.waiting()
        if waiting == 0:
            self.frames = frames  # only the frames being written
        return waiting + size > self.max_bytes or self.frames > self.max_frames


def send_queue_for(send: Any) -> SendQueue | None:
    transport = transport_of(send)
    return None if transport is None else SendQueue(transport)

"""Daphne, with its websockets closed by the protocol rather than by a TCP reset.

Run as ``python -m community.daphne_server <daphne arguments>``; ``community.server`` builds
the arguments (``daphne_argv``), so `make run`, the test fixtures, the benchmarks and
production all start it the same way.

Autobahn, which Daphne's websockets run on, fails a connection *by dropping it* unless told
otherwise (its ``failByDrop`` option, which Daphne does not expose): a frame over
``--websocket-max-message-size`` reset the TCP connection and the client saw 1006, with no
hint of what it did wrong. With ``failByDrop`` off, Autobahn sends the close frame the
websocket RFC gives for the failure — 1009 for a frame too big (1002 a protocol error, 1007
invalid UTF-8) — waits at most its close-handshake timeout (1 s) for the client's reply, then
drops the connection. The rest of an oversized frame is read and discarded, never buffered.

Its websockets are ``FramedOnceProtocol``: a text frame is framed once for every socket it
goes to, and a connection costs no debug formatting nobody reads (below).

Its garbage collector collects less often (``_collect_less``): in a reconnect storm Python's
defaults spent a tenth of the process's CPU walking objects that were not garbage.
"""

import gc
from collections.abc import Sequence
from typing import Any

from autobahn.websocket.protocol import WebSocketServerProtocol
from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import reactor, tcp, unix

_OPEN = WebSocketProtocol.STATE_OPEN


class FramedOnceProtocol(WebSocketProtocol):
    """Daphne's websocket protocol, with a text frame framed once per message, not per socket.

    Fan-out (``apps.realtime.fanout``) hands the *same* ``str`` object (or the same sequence
    of them, ``write_texts``) to every local socket in a row. Daphne would UTF-8 encode and
    frame it again for each (``serverSend`` → ``sendMessage``); here the factory keeps the last
    text it framed (Autobahn's ``prepareMessage``), and a socket given that very object writes
    the same bytes. A text that
    is equal but another object is simply framed again: identity, not equality, so the cache
    costs one comparison and never a hash of a large frame.

    Everything else takes Daphne's own path, unchanged: accept, close, binary frames, a socket
    that is not open (which raises as before), a socket with per-message compression
    negotiated (its frames differ per socket), and a frame over the size or fragment limits.
    Frames on one socket keep their order: both paths write to the transport at once.
    """

    # Autobahn copies its options from the factory at every connection and formats all of
    # them with ``pformat`` for a debug line, whatever the log level (~5 % of a connect's
    # time). With none listed here it formats an empty list; ``_connectionMade`` copies them.
    CONFIG_ATTRS: tuple[str, ...] = ()

    def _connectionMade(self) -> None:
        for name in WebSocketServerProtocol.CONFIG_ATTRS:
            if not hasattr(self, name):
                setattr(self, name, getattr(self.factory, name))
        super()._connectionMade()

    def handle_reply(self, message: dict[str, Any]) -> None:
        if message.get("type") == "websocket.send" and not message.get("bytes"):
            text = message.get("text")
            if text and self.write_text(text):
                return
        super().handle_reply(message)

    def write_text(self, text: str) -> bool:
        """Write ``text`` as one text frame now. False, with nothing written, where Daphne's
        own path must take it (``handle_reply``): a socket not open, compression negotiated,
        a frame over the size or fragment limits."""
        if self.state != _OPEN or self._perMessageCompress is not None:
            return False
        factory = self.factory
        if text is factory.framed_text:
            frame, size = factory.framed
        else:
            payload = text.encode()
            size = len(payload)
            frame = factory.prepareMessage(payload, isBinary=False).payloadHybi
            factory.framed_text, factory.framed = text, (frame, size)
        return self._write_frames(frame, size)

    def write_texts(self, texts: Sequence[str]) -> bool:
        """Write each of ``texts`` as a text frame, all now and in one write to the transport
        (a group commit's messages to one channel are one write per socket, not one each).
        False, with nothing written, where Daphne's own path must take them, as
        ``write_text``.

        The application calls it directly instead of going through ASGI ``send`` (the hub's
        fan-out, ``apps.realtime.fanout``, through the consumer): the frames are the same,
        and written at once, as Daphne's path would have. The hub hands the *same* sequence
        object to every socket in a row: a sequence that is the one framed last reuses its
        bytes (identity, not equality: one comparison, never a hash of the frames)."""
        if self.state != _OPEN or self._perMessageCompress is not None:
            return False
        factory = self.factory
        if texts is factory.framed_texts:
            frames, largest = factory.framed_many
        else:
            largest, parts = 0, []
            for text in texts:
                payload = text.encode()
                largest = max(largest, len(payload))
                parts.append(factory.prepareMessage(payload, isBinary=False).payloadHybi)
            frames = b"".join(parts)
            factory.framed_texts, factory.framed_many = texts, (frames, largest)
        return self._write_frames(frames, largest, now=True)

    def _write_frames(self, frames: bytes, largest: int, *, now: bool = False) -> bool:
        """``now``: sent to the socket at once (``send_now``), for the hub's batches — one
        write per socket and batch already; a single frame (a reply, anything through ASGI
        ``send``) is left to Twisted's buffer, which joins the frames a socket is given in one
        loop pass into one send."""
        if 0 < self.maxMessagePayloadSize < largest or 0 < self.autoFragmentSize < largest:
            return False  # Daphne's path: refused (PayloadExceededError) or fragmented
        if self.send_queue:  # Autobahn's own queue of chopped writes: stay behind it
            self.sendData(frames)
        else:
            # What ``sendData`` does, less its debug line (its arguments are formatted, with
            # terminal colours, on every write whatever the log level: a quarter of the time
            # of a fan-out write at 1,000 sockets) and its traffic counters (Autobahn's
            # ``trafficStats``: neither Daphne nor this project reads them).
            if now:
                send_now(self.transport, frames)
            else:
                self.transport.write(frames)
        return True


def send_now(transport: Any, data: bytes) -> None:
    """Write ``data`` to a plain TCP (or Unix) socket at once when nothing is waiting before
    it, leaving Twisted to buffer only what the kernel does not take.

    Twisted's ``write`` buffers every write and registers the socket for a writable event,
    sends from the next loop pass and unregisters it: two ``epoll_ctl`` calls, a selector
    wake-up and a Python pass per write — per socket and batch in a fan-out, the largest part
    of a write's cost. Here a write is one ``send``. Order holds: anything already buffered
    (a partial earlier write, a ping, a close) goes first, so then ``data`` is buffered
    behind it; so is everything on a TLS transport, one that is closing, or another kind."""
    if (
        type(transport) in _DIRECT
        and not transport.TLS
        and not transport.disconnecting
        and transport.connected
        and not transport._writeDisconnected
        and not transport._tempDataLen
        and len(transport.dataBuffer) == transport.offset
    ):
        sent = transport.writeSomeData(data)
        if isinstance(sent, int) and sent >= 0:
            if sent == len(data):
                return
            data = data[sent:]
        # Otherwise the connection is lost: Twisted's next write attempt finds it and closes.
    transport.write(data)


# Transports whose ``writeSomeData`` is a plain ``send`` on the socket (Daphne's ``tcp:`` and
# ``unix:`` endpoints); TLS endpoints wrap them in another protocol and take ``write``.
_DIRECT = (tcp.Server, unix.Server)


# Allocations (less deallocations) between two young-generation collections; Python's
# default is 700. A connect allocates a few thousand objects, most of them freed by reference
# counting within the connect; at 700 a 1,000-socket storm ran 220-270 young, 20-25 middle and
# 2 full collections, the full ones walking every object of the process.
GC_YOUNG_THRESHOLD = 10_000


def _collect_less() -> None:
    """Once the application is loaded: move what exists now (Django, the project's modules,
    the URL and template machinery: ~150,000 objects that live as long as the process) out of
    the collector's sight, so a full collection walks only what came after, and collect the
    young generation every ``GC_YOUNG_THRESHOLD`` allocations. Cyclic garbage is still
    collected, later; reference counting frees the rest at once, as before. Measured with
    ``bench/chat_fanout.py --only storm``: 0.43 s of collection per 1,000 connects before,
    0.15 s after (docs/performance.md)."""
    gc.collect()
    gc.freeze()
    _young, *older = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *older)


class ClosingServer(Server):
    def run(self) -> None:
        # ``Server.run`` makes the websocket factory and then runs the reactor; startup
        # callbacks run before the reactor accepts the first connection.
        reactor.callWhenRunning(self._close_instead_of_drop)
        reactor.callWhenRunning(_collect_less)
        super().run()

    def _close_instead_of_drop(self) -> None:
        self.ws_factory.setProtocolOptions(failByDrop=False)
        self.ws_factory.protocol = FramedOnceProtocol
        # The last text frame framed, and its (frame bytes, encoded size): one per process;
        # the same for the last sequence of texts (``write_texts``: their frames' bytes
        # joined, and the largest one's encoded size).
        self.ws_factory.framed_text = None
        self.ws_factory.framed = None
        self.ws_factory.framed_texts = None
        self.ws_factory.framed_many = None


class ClosingCommandLine(CommandLineInterface):
    server_class = ClosingServer


if __name__ == "__main__":
    ClosingCommandLine.entrypoint()

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
"""

from typing import Any

from autobahn.websocket.protocol import PreparedMessage, WebSocketServerProtocol
from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import reactor


class FramedOnceProtocol(WebSocketProtocol):
    """Daphne's websocket protocol, with a text frame framed once per message, not per socket.

    Fan-out (``apps.realtime.fanout``) hands the *same* ``str`` object to every local socket
    in a row. Daphne would UTF-8 encode and frame it again for each (``serverSend`` →
    ``sendMessage``); here the factory keeps the last text it framed, and a socket given that
    very object writes the same bytes (``sendPreparedMessage``). A text that is equal but
    another object is simply framed again: identity, not equality, so the cache costs one
    comparison and never a hash of a large frame.

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
        text = message.get("text")
        if (
            text
            and message["type"] == "websocket.send"
            and not message.get("bytes")
            and self.state == self.STATE_OPEN
            and self._perMessageCompress is None
        ):
            prepared = self._prepared(text)
            if prepared is not None:
                self.sendPreparedMessage(prepared)
                return
        super().handle_reply(message)

    def _prepared(self, text: str) -> PreparedMessage | None:
        """The framed bytes of ``text``: the factory's last ones when ``text`` is the object it
        framed last. None for a frame Autobahn would not send unfragmented as it is."""
        factory = self.factory
        if text is factory.framed_text:
            prepared, size = factory.framed
        else:
            payload = text.encode()
            size = len(payload)
            prepared = factory.prepareMessage(payload, isBinary=False)
            factory.framed_text, factory.framed = text, (prepared, size)
        if 0 < self.maxMessagePayloadSize < size or 0 < self.autoFragmentSize < size:
            return None  # Daphne's path: refused (PayloadExceededError) or fragmented
        return prepared


class ClosingServer(Server):
    def run(self) -> None:
        # ``Server.run`` makes the websocket factory and then runs the reactor; startup
        # callbacks run before the reactor accepts the first connection.
        reactor.callWhenRunning(self._close_instead_of_drop)
        super().run()

    def _close_instead_of_drop(self) -> None:
        self.ws_factory.setProtocolOptions(failByDrop=False)
        self.ws_factory.protocol = FramedOnceProtocol
        # The last text frame framed, and its (PreparedMessage, encoded size): one per process.
        self.ws_factory.framed_text = None
        self.ws_factory.framed = None


class ClosingCommandLine(CommandLineInterface):
    server_class = ClosingServer


if __name__ == "__main__":
    ClosingCommandLine.entrypoint()

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
"""

from daphne.cli import CommandLineInterface
from daphne.server import Server
from twisted.internet import reactor


class ClosingServer(Server):
    def run(self) -> None:
        # ``Server.run`` makes the websocket factory and then runs the reactor; startup
        # callbacks run before the reactor accepts the first connection.
        reactor.callWhenRunning(self._close_instead_of_drop)
        super().run()

    def _close_instead_of_drop(self) -> None:
        self.ws_factory.setProtocolOptions(failByDrop=False)


class ClosingCommandLine(CommandLineInterface):
    server_class = ClosingServer


if __name__ == "__main__":
    ClosingCommandLine.entrypoint()

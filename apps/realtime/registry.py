"""What domain apps plug into the one websocket consumer (registered in ``AppConfig.ready()``).

- ``command_register(frame_type, handler)``: a client frame type and its async handler
  ``handler(consumer, frame)``. Handlers raise ``ApplicationError`` for refusals; the consumer
  turns it into an ``error`` frame with the same code the REST API would use.
- ``event_handler_register(name, handler)``: a server-side event pushed to a user's sockets
  with ``apps.realtime.broadcast.event_send_to_user_on_commit`` and handled per socket
  (e.g. leave a channel's subscription when the player is removed from it).
- ``session_hooks``: run when a socket authenticates (may raise ``SocketRefused`` to close
  it) and when it closes; ``welcome_providers`` add keys (limits, session info) to the
  ``welcome`` frame. An ``on_authenticated`` hook is either an async callable
  ``hook(consumer)`` or a ``SessionSetup``, whose sync ``prepare`` runs off the event loop
  together with every other setup's and the language lookup: a connect's database work in one
  thread hop instead of one per hook (a connect storm queues them all on the one ORM thread).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

CommandHandler = Callable[[Any, dict[str, Any]], Awaitable[None]]
EventHandler = Callable[[Any, dict[str, Any]], Awaitable[None]]
SessionHook = Callable[[Any], Awaitable[None]]
WelcomeProvider = Callable[[Any], dict[str, Any]]


class SocketRefused(Exception):
    """Raised by an ``on_authenticated`` hook: send ``frame`` (if any, e.g. the ``sanction``
    that explains why), then ``error`` with ``code``, then close with ``close_code``."""

    def __init__(
        self, *, code: str, message: str, close_code: int, frame: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code
        self.frame = frame


@dataclass(frozen=True)
class SessionSetup:
    """An ``on_authenticated`` hook in two parts. ``prepare(consumer)`` is sync and runs on the
    ORM thread (queries and Redis calls allowed; the socket's language is active; may raise
    ``SocketRefused``); ``finish(consumer, prepared)`` then runs on the event loop with what it
    returned. Setups run in registration order, so an earlier one's refusal stops the later
    ones before they take anything (a banned player's socket takes no slot)."""

    prepare: Callable[[Any], Any]
    finish: Callable[[Any, Any], Awaitable[None]] | None = None


@dataclass
class _SessionHooks:
    on_authenticated: list[SessionHook | SessionSetup] = field(default_factory=list)
    on_closed: list[SessionHook] = field(default_factory=list)
    welcome_providers: list[WelcomeProvider] = field(default_factory=list)


session_hooks = _SessionHooks()
commands: dict[str, CommandHandler] = {}
event_handlers: dict[str, EventHandler] = {}


def command_register(frame_type: str, handler: CommandHandler) -> None:
    commands[frame_type] = handler


def event_handler_register(name: str, handler: EventHandler) -> None:
    event_handlers[name] = handler

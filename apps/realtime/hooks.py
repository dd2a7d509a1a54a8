"""Connection lifecycle hooks other apps register (presence lives in apps.players).

Hooks are plain sync callables run off the event loop; they receive the user id and a
``connection_id`` unique per socket. Register them in ``AppConfig.ready()``. ``on_connect``
hooks run in the connect's setup hop, after every ``SessionSetup.prepare`` passed (a refused
socket is never announced); the others in their own hop.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

ConnectionHook = Callable[..., None]


@dataclass
class _Hooks:
    on_connect: list[ConnectionHook] = field(default_factory=list)
    on_heartbeat: list[ConnectionHook] = field(default_factory=list)
    on_disconnect: list[ConnectionHook] = field(default_factory=list)


connection_hooks = _Hooks()


def run_hooks(hooks: list[ConnectionHook], *, user_id: int, connection_id: str) -> None:
    for hook in hooks:
        hook(user_id=user_id, connection_id=connection_id)

"""Login gates: checks other apps register to refuse a user's login, sessions and tokens.

Moderation registers one (a banned or suspended player is refused) in its
``AppConfig.ready()``; accounts sits below moderation in the app order, so it asks through
this registry instead of importing it. A gate raises an ``ApplicationError`` (its code and
details reach the client) or returns None.
"""

from collections.abc import Callable
from typing import Any

LoginGate = Callable[[Any], None]

_gates: list[LoginGate] = []


def login_gate_register(gate: LoginGate) -> None:
    if gate not in _gates:
        _gates.append(gate)


def login_gates_check(user: Any) -> None:
    """Raise the first refusal of a registered gate for ``user``; None: let them in."""
    for gate in _gates:
        gate(user)

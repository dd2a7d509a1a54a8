"""Login gates: checks other apps register to refuse a user's login, sessions and tokens.

Moderation registers one (a banned or suspended player is refused) in its
``AppConfig.ready()``; accounts sits below moderation in the app order, so it asks through
this registry instead of importing it. A gate raises an ``ApplicationError`` (its code and
details reach the client) or returns None.

A gate may also register a **hint**: an ``Exists`` over the user's rows, given the user id
as an expression and the time to judge at, that is false only when the gate cannot refuse.
Reads that already query the user (an API token's lookup, on every request) add the hints to
their own query (``login_gate_hints``) and pass the answers to ``login_gates_check``, which
then skips the gate's own query unless its hint is true: one query per request instead of two.
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

LoginGate = Callable[[Any], None]
# (user id expression, now) -> a boolean expression (Exists). ``now`` is given, not read inside,
# so a query compiled once (apps.common.compiled_query) binds the request's time each run.
GateHint = Callable[[Any, datetime], Any]

_gates: list[tuple[LoginGate, GateHint | None]] = []


def login_gate_register(gate: LoginGate, *, hint: GateHint | None = None) -> None:
    if all(registered is not gate for registered, _hint in _gates):
        _gates.append((gate, hint))


def _hint_name(index: int) -> str:
    return f"login_gate_hint_{index}"


def login_gate_hints(user_id: Any, *, now: datetime) -> dict[str, Any]:
    """Annotations for a query that reads the user (``user_id``: e.g. ``OuterRef("user_id")``),
    judged at ``now``; give their values to ``login_gates_check(hints=…)``."""
    return {
        _hint_name(index): hint(user_id, now) for index, (_gate, hint) in enumerate(_gates) if hint
    }


def login_gate_hint_values(row: Any) -> dict[str, bool]:
    """The hint annotations read back from a row fetched with ``login_gate_hints``."""
    names = (_hint_name(index) for index, (_gate, hint) in enumerate(_gates) if hint)
    return {name: bool(getattr(row, name)) for name in names if hasattr(row, name)}


def login_gates_check(user: Any, *, hints: Mapping[str, bool] | None = None) -> None:
    """Raise the first refusal of a registered gate for ``user``; None: let them in. A gate
    whose hint (read in the caller's query) is false cannot refuse and is not asked."""
    for index, (gate, _hint) in enumerate(_gates):
        if hints is not None and hints.get(_hint_name(index)) is False:
            continue
        gate(user)

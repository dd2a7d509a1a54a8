"""Bearer tokens accepted on the websocket, by kind prefix (``ct_`` player API tokens, …), and
the credential a socket authenticated with.

Other apps register a resolver for their own kind (chat registers short-lived chat tokens)
in ``AppConfig.ready()``; a resolver returns the ``SocketCredential`` or None when the token is
not valid. Domain apps read the credential (``credential_of``) to decide what a socket may
reach: the same login reaches less through a token a game server minted than through the
person's own session.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apps.accounts.gates import login_gate_hint_values, login_gates_check
from apps.accounts.models import User
from apps.accounts.selectors import api_token_get_active
from apps.accounts.services import API_TOKEN_KIND
from apps.common.exceptions import ApplicationError

SESSION = "session"
PLAYER_API_TOKEN = "api_token"  # noqa: S105 - a credential kind, not a secret


@dataclass(frozen=True, slots=True)  # one per socket: no __dict__
class SocketCredential:
    """Who a socket authenticated as (``user``) and with what (``kind``).

    ``title_id`` is set for credentials a title's game server minted (chat tokens): they act
    for the player only within that title (docs/websocket-protocol.md, "Chat tokens and what
    they reach"). Staff powers come only with the person's own login — a portal session or
    their own API token — never with a credential a game server minted.
    """

    user: User
    kind: str
    title_id: int | None = None
    # True when the token's own lookup already settled that no login gate refuses the user
    # (no ban or suspension active when it was read: ``apps.accounts.gates`` hints): the
    # connect's sanction check need not ask again. False: ask (it then says why, and closes).
    login_gates_passed: bool = False

    @property
    def carries_staff_powers(self) -> bool:
        return self.kind in (SESSION, PLAYER_API_TOKEN)


TokenResolver = Callable[[str], SocketCredential | None]

_resolvers: dict[str, TokenResolver] = {}


def token_resolver_register(*, kind: str, resolver: TokenResolver) -> None:
    _resolvers[kind] = resolver


def token_resolve(token: str) -> SocketCredential | None:
    """The credential ``token`` is, or None. Runs ORM queries: call it off the loop."""
    kind, separator, _rest = token.partition("_")
    resolver = _resolvers.get(kind) if separator else None
    return resolver(token) if resolver else None


def credential_of(scope: dict[str, Any]) -> SocketCredential:
    """The authenticated socket's credential: the bearer token's, or the session's."""
    credential = scope.get("credential")
    if isinstance(credential, SocketCredential):
        return credential
    return SocketCredential(user=scope["user"], kind=SESSION)


def _player_api_token(token: str) -> SocketCredential | None:
    api_token = api_token_get_active(secret=token)
    if api_token is None:
        return None
    return SocketCredential(
        user=api_token.user, kind=PLAYER_API_TOKEN,
        login_gates_passed=_login_gates_pass(api_token.user, login_gate_hint_values(api_token)),
    )  # fmt: skip


def _login_gates_pass(user: User, hints: dict[str, bool]) -> bool:
    """Whether no login gate refuses ``user``, judged from the hints read with the token (no
    query when every gate has a false hint). A refusal is not raised here: the socket's
    sanction check (moderation's connect setup) reads it again and sends its frame."""
    if any(hints.values()):
        return False
    try:
        login_gates_check(user, hints=hints)
    except ApplicationError:
        return False
    return True


token_resolver_register(kind=API_TOKEN_KIND, resolver=_player_api_token)

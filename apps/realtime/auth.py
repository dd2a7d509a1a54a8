"""Bearer tokens accepted on the websocket, by kind prefix (``ct_`` player API tokens, …).

Other apps register a resolver for their own kind (chat registers short-lived chat tokens)
in ``AppConfig.ready()``; a resolver returns the user or None when the token is not valid.
"""

from collections.abc import Callable

from apps.accounts.models import User
from apps.accounts.selectors import api_token_get_active
from apps.accounts.services import API_TOKEN_KIND

TokenResolver = Callable[[str], User | None]

_resolvers: dict[str, TokenResolver] = {}


def token_resolver_register(*, kind: str, resolver: TokenResolver) -> None:
    _resolvers[kind] = resolver


def token_resolve(token: str) -> User | None:
    """The user ``token`` authenticates, or None. Runs ORM queries: call it off the loop."""
    kind, separator, _rest = token.partition("_")
    resolver = _resolvers.get(kind) if separator else None
    return resolver(token) if resolver else None


def _player_api_token(token: str) -> User | None:
    api_token = api_token_get_active(secret=token)
    return api_token.user if api_token else None


token_resolver_register(kind=API_TOKEN_KIND, resolver=_player_api_token)

"""Short-lived chat tokens: a title's game server mints one for a player (``POST
/api/v1/chat/tokens``, scope ``chat:tokens``) and hands it to the game client, which opens
the websocket with it. Stored as a SHA-256 digest, like every bearer secret here."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apps.accounts.gates import login_gates_check
from apps.chat.exceptions import NoPlayer, UnknownPlayer
from apps.chat.models import ChatToken
from apps.common.secrets import secret_digest, secret_issue
from apps.players.models import Player
from apps.players.selectors import player_is_known_to_title
from apps.realtime.auth import SocketCredential
from apps.titles.models import Title

CHAT_TOKEN_KIND = "chat"  # noqa: S105 - a prefix, not a secret
CHAT_TOKEN_CREDENTIAL = "chat_token"  # noqa: S105 - a credential kind, not a secret


@dataclass(frozen=True)
class IssuedChatToken:
    token: str
    expires_at: datetime


def chat_token_issue(*, title: Title, player: Player) -> IssuedChatToken:
    """A token for ``player`` valid ``CHAT_TOKEN_TTL_SECONDS``, acting within ``title`` only.

    Only for a player with an identity ``title`` created or used (its game events or resolve
    calls named it): ``unknown_player`` otherwise, the same answer as for a player that does
    not exist, so a title learns nothing about other titles' players. Shadow players (no
    login yet) cannot chat: ``no_player``; a banned or suspended one gets none
    (``banned``/``suspended``)."""
    if not player_is_known_to_title(player=player, title=title):
        raise UnknownPlayer()
    if player.user_id is None:
        raise NoPlayer()
    login_gates_check(player.user)
    issued = secret_issue(kind=CHAT_TOKEN_KIND)
    expires_at = timezone.now() + timedelta(seconds=settings.CHAT_TOKEN_TTL_SECONDS)
    ChatToken.objects.create(
        title=title, player=player, prefix=issued.prefix, digest=issued.digest,
        expires_at=expires_at,
    )  # fmt: skip
    return IssuedChatToken(token=issued.secret, expires_at=expires_at)


def chat_token_resolve(token: str) -> SocketCredential | None:
    """The credential a chat token is — its player's login, bound to the title that minted
    it, without staff powers — or None (unknown, expired, or no active login)."""
    chat_token = (
        ChatToken.objects.select_related("player__user")
        .filter(digest=secret_digest(token), expires_at__gt=timezone.now())
        .first()
    )
    if chat_token is None or chat_token.player.user is None:
        return None
    user = chat_token.player.user
    if not user.is_active:
        return None
    return SocketCredential(user=user, kind=CHAT_TOKEN_CREDENTIAL, title_id=chat_token.title_id)

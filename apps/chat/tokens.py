"""Short-lived chat tokens: a title's game server mints one for a player (``POST
/api/v1/chat/tokens``, scope ``chat:tokens``) and hands it to the game client, which opens
the websocket with it. Stored as a SHA-256 digest, like every bearer secret here."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apps.accounts.gates import login_gates_check
from apps.accounts.models import User
from apps.chat.exceptions import NoPlayer
from apps.chat.models import ChatToken
from apps.common.secrets import secret_digest, secret_issue
from apps.players.models import Player
from apps.titles.models import Title

CHAT_TOKEN_KIND = "chat"  # noqa: S105 - a prefix, not a secret


@dataclass(frozen=True)
class IssuedChatToken:
    token: str
    expires_at: datetime


def chat_token_issue(*, title: Title, player: Player) -> IssuedChatToken:
    """A token for ``player`` valid ``CHAT_TOKEN_TTL_SECONDS``. Shadow players (no login yet)
    cannot chat: ``no_player``; a banned or suspended one gets none (``banned``/``suspended``)."""
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


def chat_token_resolve(token: str) -> User | None:
    """The login a chat token authenticates, or None (unknown, expired, or no login)."""
    chat_token = (
        ChatToken.objects.select_related("player__user")
        .filter(digest=secret_digest(token), expires_at__gt=timezone.now())
        .first()
    )
    if chat_token is None or chat_token.player.user is None:
        return None
    user = chat_token.player.user
    return user if user.is_active else None

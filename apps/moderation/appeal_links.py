"""Appeal links: how a banned or suspended player, who cannot log in, appeals.

The login refusal, the websocket's ``sanction`` frame (and the refusal's ``details``) and the
sanction notice carry ``appeal_url``: a signed link to ``/moderation/appeal/<token>/`` that
names one sanction of one player. Opening it needs no session; it shows that sanction (what,
until when, why) and takes one appeal for it — never for another sanction. A link is valid for
``MODERATION_APPEAL_LINK_DAYS`` (a fresh one comes with every refused login) and its use is
rate-limited per sanction, and bad tokens per client address (``rate_limited``).
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.chat.limits import Bucket, buckets_take, retry_after_seconds
from apps.common.exceptions import NotFound
from apps.moderation.exceptions import RateLimited
from apps.moderation.models import Sanction, SanctionKind

_SALT = "moderation.appeal-link"
# Sanctions that keep a player from logging in: they appeal through a link, not the portal.
LINKED_KINDS = frozenset({SanctionKind.BAN, SanctionKind.SUSPENSION})


class UnknownAppealLink(NotFound):
    code = "unknown_appeal_link"
    default_message = _(
        "This appeal link is not valid or has expired. Log in again to get a new one."
    )


def appeal_link_token(*, sanction_id: int, player_id: int) -> str:
    return signing.dumps([sanction_id, player_id], salt=_SALT)


def appeal_link_url(*, sanction_id: int, player_id: int, kind: str, is_global: bool) -> str | None:
    """The appeal link of a sanction that ends sessions (a global ban or suspension); None for
    the others, which a logged-in player appeals from "My sanctions"."""
    if kind not in LINKED_KINDS or not is_global:
        return None
    token = appeal_link_token(sanction_id=sanction_id, player_id=player_id)
    return reverse("moderation:appeal-link", kwargs={"token": token})


def appeal_link_url_of(sanction: Sanction) -> str | None:
    return appeal_link_url(sanction_id=sanction.id, player_id=sanction.player_id,
                           kind=sanction.kind, is_global=sanction.title_id is None)  # fmt: skip


def _take(key: str) -> None:
    per_hour = settings.MODERATION_APPEAL_LINK_PER_HOUR
    bucket = Bucket(key, settings.MODERATION_APPEAL_LINK_BURST, per_hour / 3600)
    wait = buckets_take([bucket])
    if wait > 0:
        raise RateLimited(details={"retry_after": retry_after_seconds(wait)})


def appeal_link_sanction(*, token: str, client_address: str | None) -> Sanction:
    """The sanction ``token`` names (with its player), after the rate limits: every use of a
    link counts against its sanction, and every bad token against the client's address.
    ``unknown_appeal_link`` (404) for a forged, altered or expired token."""
    try:
        sanction_id, player_id = signing.loads(
            token, salt=_SALT, max_age=settings.MODERATION_APPEAL_LINK_DAYS * 86400
        )
    except (signing.BadSignature, ValueError, TypeError) as error:
        _take(f"appeal-link-address:{client_address or 'unknown'}")
        raise UnknownAppealLink() from error
    _take(f"appeal-link:{sanction_id}")
    sanction = (
        Sanction.objects.select_related("player", "title")
        .filter(id=sanction_id, player_id=player_id)
        .first()
    )
    if sanction is None:
        raise UnknownAppealLink()
    return sanction

from datetime import datetime

from django.db.models import OuterRef, Q, QuerySet
from django.utils import timezone

from apps.accounts.gates import login_gate_hints
from apps.accounts.models import ApiToken, User
from apps.accounts.token_cache import token_row
from apps.common.compiled_query import CompiledQuery, instance_copy
from apps.common.exceptions import NotFound
from apps.common.secrets import secret_digest


def _active_token_query(*, digest: str, now: datetime) -> QuerySet[ApiToken]:
    # No ORDER BY and no LIMIT: the digest is unique, so this is one row or none. A LIMIT 1
    # let PostgreSQL pick a plan that stops early — a sequential scan of the players for the
    # caller's profile — whenever it guessed that many players match one user (when few
    # players have accounts: players known only from games); that read every player on every
    # request (0.35 ms at 3,400 players, growing with the table) instead of one index entry.
    return (
        ApiToken.objects.select_related("user", "user__player")
        .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .annotate(**login_gate_hints(OuterRef("user_id"), now=now))
        .order_by()
    )


# Compiled once per thread: building and compiling this query cost several times what
# PostgreSQL spends answering it, on every authenticated request.
_active_token = CompiledQuery(
    _active_token_query,
    digest=ApiToken._meta.get_field("digest"),
    now=ApiToken._meta.get_field("expires_at"),
)


def api_token_get_active(*, secret: str) -> ApiToken | None:
    """The live token for ``secret`` (not revoked, not expired, user active), or None.

    One query: the user and their player profile (if any) come in the same row, so
    ``apps.players`` finds ``user.player`` loaded instead of asking again, and so do the login
    gates' hints (``login_gate_hint_values(token)`` for ``login_gates_check``). What it read is
    kept between requests (``apps.accounts.token_cache``) while nothing it holds changes, and
    every request gets a copy of its own (``instance_copy``: about a third of the CPU of
    building the three instances from the row again); a revoked or expired token fails on the
    very next request on every worker."""
    digest, now = secret_digest(secret), timezone.now()
    kept = token_row(
        digest,
        user_of=_user_id,
        fetch=lambda: _token_read(digest=digest, now=now),
    )
    if kept is None:
        return None
    if kept.expires_at is not None and kept.expires_at <= now:
        return None  # kept from before it expired
    return instance_copy(kept)


def _token_read(*, digest: str, now: datetime) -> ApiToken | None:
    """The token with its user and player, as kept between requests: never handed out itself
    (each request gets its own copy)."""
    row = _active_token.first_row(digest=digest, now=now)
    return None if row is None else _active_token.from_row(row)


def _user_id(token: ApiToken) -> int:
    return token.user_id


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at")


def api_token_get_for_user(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, id=token_id, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound()
    return token

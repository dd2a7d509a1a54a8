from django.db.models import OuterRef, Q, QuerySet
from django.utils import timezone

from apps.accounts.gates import login_gate_hints
from apps.accounts.models import ApiToken, User
from apps.common.exceptions import NotFound
from apps.common.secrets import secret_digest


def api_token_get_active(*, secret: str) -> ApiToken | None:
    """The live token for ``secret`` (not revoked, not expired, user active), or None.

    One query, read on every request: the user and their player profile (if any) come in the
    same row, so ``apps.players`` finds ``user.player`` loaded instead of asking again, and so
    do the login gates' hints (``login_gate_hint_values(token)`` for ``login_gates_check``).
    Nothing is cached, so a revoked or expired token fails on the very next request on every
    worker."""
    now = timezone.now()
    return (
        ApiToken.objects.select_related("user", "user__player")
        .filter(digest=secret_digest(secret), revoked_at__isnull=True, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .annotate(**login_gate_hints(OuterRef("user_id")))
        .first()
    )


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at")


def api_token_get_for_user(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, id=token_id, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound()
    return token

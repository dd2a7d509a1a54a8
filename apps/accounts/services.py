from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import ApiToken, User
from apps.accounts.token_cache import user_changed
from apps.common.exceptions import Conflict, InvalidInput
from apps.common.secrets import secret_issue

API_TOKEN_KIND = "ct"  # noqa: S105 - a prefix, not a secret


@dataclass(frozen=True)
class CreatedApiToken:
    token: ApiToken
    secret: str


def user_create(*, username: str, email: str, password: str, is_staff: bool = False) -> User:
    """Create a login. Raises ``Conflict`` when the username or email is taken (any case)."""
    user = User(username=username.strip(), email=email.strip().lower(), is_staff=is_staff)
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise InvalidInput(
            " ".join(error.messages), code="weak_password", details={"password": error.messages}
        ) from error
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise Conflict(
            _("That username or email is already registered."), code="account_exists"
        ) from error
    return user


def api_token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> CreatedApiToken:
    """Issue a token for ``user``; the returned secret is never retrievable again."""
    issued = secret_issue(kind=API_TOKEN_KIND)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=issued.prefix, digest=issued.digest, expires_at=expires_at
    )
    return CreatedApiToken(token=token, secret=issued.secret)


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(id=token.id, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), updated_at=timezone.now()
    )
    user_changed(token.user_id)  # a bulk update sends no signal (apps/accounts/token_cache.py)

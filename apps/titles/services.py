from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.common.secrets import secret_issue
from apps.titles.exceptions import CredentialNotUsable, UnknownScope
from apps.titles.models import Title, TitleCredential
from apps.titles.scopes import SCOPES

TITLE_KEY_KIND = "tk"


@dataclass(frozen=True)
class IssuedCredential:
    credential: TitleCredential
    key: str


def _validate_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - SCOPES.keys())
    if unknown:
        raise UnknownScope(details={"unknown": unknown, "known": sorted(SCOPES)})
    return sorted(set(scopes))


def title_credential_create(
    *,
    title: Title,
    name: str,
    scopes: list[str],
    created_by: User | None = None,
    expires_at: datetime | None = None,
) -> IssuedCredential:
    """Issue a new key for ``title``. The key is returned once and never stored in clear."""
    issued = secret_issue(kind=TITLE_KEY_KIND)
    credential = TitleCredential.objects.create(
        title=title,
        name=name,
        prefix=issued.prefix,
        digest=issued.digest,
        scopes=_validate_scopes(scopes),
        created_by=created_by,
        expires_at=expires_at,
    )
    return IssuedCredential(credential=credential, key=issued.secret)


def title_credential_revoke(*, credential: TitleCredential) -> None:
    """Stop the key working at once. Idempotent."""
    now = timezone.now()
    TitleCredential.objects.filter(id=credential.id, revoked_at__isnull=True).update(
        revoked_at=now, updated_at=now
    )
    credential.refresh_from_db(fields=["revoked_at", "updated_at"])


@transaction.atomic
def title_credential_rotate(
    *,
    credential: TitleCredential,
    grace: timedelta | None = None,
    rotated_by: User | None = None,
) -> IssuedCredential:
    """Issue a successor with the same scopes and the same ``expires_at``; the old key keeps
    working for ``grace`` (never past its own expiry).

    Rotation replaces the secret, never the lifetime: a key that expires keeps expiring at
    the same moment through any number of rotations, so a leaked key cannot be rotated into
    one that lives forever. Extending a lifetime is an operator's decision (a new key in the
    admin). ``grace`` of zero revokes the old key at once. Locks the old credential's row so
    two concurrent rotations cannot both succeed.
    """
    locked = TitleCredential.objects.select_for_update().get(id=credential.id)
    if not locked.is_usable or TitleCredential.objects.filter(rotated_from=locked).exists():
        raise CredentialNotUsable()
    grace = settings.TITLE_CREDENTIAL_ROTATION_GRACE if grace is None else grace
    issued = title_credential_create(
        title=locked.title,
        name=locked.name,
        scopes=locked.scopes,
        created_by=rotated_by or locked.created_by,
        expires_at=locked.expires_at,
    )
    issued.credential.rotated_from = locked
    issued.credential.save(update_fields=["rotated_from", "updated_at"])
    now = timezone.now()
    if grace <= timedelta(0):
        locked.revoked_at = now
        locked.save(update_fields=["revoked_at", "updated_at"])
    else:
        new_expiry = now + grace
        if locked.expires_at is None or locked.expires_at > new_expiry:
            locked.expires_at = new_expiry
            locked.save(update_fields=["expires_at", "updated_at"])
    credential.refresh_from_db()
    return issued


def title_credential_mark_used(*, credential_id: int, used_at: datetime) -> None:
    """Record the latest use; never moves ``last_used_at`` backwards (tasks may run late)."""
    TitleCredential.objects.filter(id=credential_id).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=used_at)
    ).update(last_used_at=used_at)

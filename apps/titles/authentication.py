from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.accounts.authentication import bearer_secret
from apps.titles.models import Title, TitleCredential
from apps.titles.selectors import title_credential_get_usable
from apps.titles.services import TITLE_KEY_KIND
from apps.titles.tasks import title_credential_mark_used_task

# Record use at most once a minute per key: a write per request would cost more than the call.
LAST_USED_RESOLUTION_SECONDS = 60


def _use_record(credential: TitleCredential) -> None:
    """Record the use when the row's ``last_used_at`` (read with the key) is older than the
    resolution; ``cache.add`` keeps workers from sending the same record twice. A key in
    steady use costs no Redis round trip here."""
    now = timezone.now()
    last_used_at = credential.last_used_at
    if last_used_at is not None and (now - last_used_at).total_seconds() < (
        LAST_USED_RESOLUTION_SECONDS
    ):
        return
    if cache.add(f"titlecred:used:{credential.id}", 1, LAST_USED_RESOLUTION_SECONDS):
        title_credential_mark_used_task.delay(credential.id, now.isoformat())


@dataclass(frozen=True)
class TitleClient:
    """The caller when a game server authenticates with a title key (``request.user``)."""

    title: Title
    credential: TitleCredential
    scopes: frozenset[str] = field(default_factory=frozenset)

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    id = None
    pk = None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def __str__(self) -> str:
        return f"title:{self.title.slug}"


class TitleKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer tk_…`` — a title credential used by game servers."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        secret = bearer_secret(request, kind=TITLE_KEY_KIND)
        if secret is None:
            return None
        credential = title_credential_get_usable(secret=secret)
        if credential is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked title key."))
        _use_record(credential)
        client = TitleClient(
            title=credential.title, credential=credential, scopes=frozenset(credential.scopes)
        )
        return client, credential

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'

from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.common.compiled_query import CompiledQuery
from apps.common.exceptions import NotFound
from apps.common.secrets import secret_digest
from apps.common.text_safety import ReservedNames
from apps.titles.models import Title, TitleCredential


def title_list_active() -> QuerySet[Title]:
    return Title.objects.filter(is_active=True).order_by("name")


def title_get_active(*, slug: str) -> Title:
    title = Title.objects.filter(slug=slug, is_active=True).first()
    if title is None:
        raise NotFound()
    return title


def _usable_credential_query(*, digest: str, now: datetime) -> QuerySet[TitleCredential]:
    return (
        TitleCredential.objects.select_related("title")
        .filter(digest=digest, revoked_at__isnull=True, title__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("pk")[:1]
    )


# Compiled once per thread, as the player tokens' lookup (apps.accounts.selectors): read on
# every game-server call.
_usable_credential = CompiledQuery(
    _usable_credential_query,
    digest=TitleCredential._meta.get_field("digest"),
    now=TitleCredential._meta.get_field("expires_at"),
)


def title_credential_get_usable(*, secret: str) -> TitleCredential | None:
    """The usable credential for ``secret`` whose title is active, or None. Nothing but the
    compiled SQL is kept, so a revoked key fails on the next call on every worker."""
    return _usable_credential.first(digest=secret_digest(secret), now=timezone.now())


def reserved_names() -> ReservedNames:
    """Names no player or guild may take: ``settings.RESERVED_NAMES`` (staff words, the
    brand, ``RESERVED_NAMES_EXTRA``) and every title's name (in every language) and slug,
    active or not."""
    titles = Title.objects.values_list("name", "slug", "name_translations")
    texts = [text for name, slug, names in titles for text in (name, slug, *names.values())]
    return ReservedNames([*settings.RESERVED_NAMES, *texts])

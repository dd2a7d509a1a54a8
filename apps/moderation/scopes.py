"""Which titles a moderator may act in (``ModeratorScope``); ``None`` means every title."""

from typing import Any

from django.db.models import Q, QuerySet

from apps.moderation.exceptions import NotAllowed
from apps.moderation.models import ModeratorScope


def moderator_title_ids(*, moderator: Any) -> set[int] | None:
    """The title ids ``moderator`` is limited to, or None (every title). Superusers are
    never limited."""
    if getattr(moderator, "is_superuser", False) or getattr(moderator, "id", None) is None:
        return None
    scope = ModeratorScope.objects.filter(user_id=moderator.id).first()
    if scope is None:
        return None
    ids = set(scope.titles.values_list("id", flat=True))
    return ids or None


def moderator_scope_check(*, moderator: Any, title_id: int | None) -> None:
    """``moderation_forbidden`` when a title-limited moderator acts outside their titles,
    or account-wide (``title_id`` None)."""
    allowed = moderator_title_ids(moderator=moderator)
    if allowed is not None and title_id not in allowed:
        raise NotAllowed(details={"problem": "title_scope"})


def cases_in_scope(queryset: QuerySet, *, moderator: Any) -> QuerySet:
    allowed = moderator_title_ids(moderator=moderator)
    return queryset if allowed is None else queryset.filter(Q(title_id__in=allowed))

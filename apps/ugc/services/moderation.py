"""What moderators do to UGC — the services moderation's queue and the admin call.

* Review (titles with "review before publish"): ``version_review_approve`` /
  ``version_review_reject`` — the queue holds versions waiting for review; approving the first
  version publishes the item, approving a later one makes it current and notifies subscribers.
* ``item_hide`` / ``item_restore``: reversible; a hidden item is gone for everyone but its
  creator and moderators.
* ``item_remove``: final (state ``removed``); files are kept as evidence and only moderators
  can still fetch them.
* ``comment_hide`` / ``comment_restore`` / ``comment_remove``.

Every function is idempotent (repeating it changes nothing) and logs the moderator's id. The
immutable audit log belongs to moderation, which calls these.
"""

import logging

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.ugc.exceptions import InvalidState
from apps.ugc.models import Comment, Item, ItemVersion, ReviewState, VersionReview
from apps.ugc.services.items import published_effects
from apps.ugc.services.versions import subscribers_notify_on_commit, version_make_current

logger = logging.getLogger(__name__)
# Who acted (for the log): a staff login, or None when moderation's automation calls.
Moderator = AbstractBaseUser | AnonymousUser | None

# What the moderator roles may do with content (apps.moderation.roles; migration 0003).
MODERATOR_PERMISSIONS = [
    "ugc.moderate_item",
    "ugc.view_item",
    "ugc.view_reviewqueueentry",
    "ugc.view_comment",
    "ugc.view_titlesettings",
    "ugc.change_titlesettings",
]


def _notify_creator(*, item: Item, event: str, reason: str = "") -> None:
    from apps.players.services import notification_create

    notification_create(
        recipient=item.creator,
        kind="moderation",
        data={"ugc": event, "item_id": item.id, "name": item.name, "reason": reason},
    )


def _log(action: str, *, moderator: Moderator, **ids: int) -> None:
    logger.info(
        "ugc moderation", extra={"action": action, "moderator_id": getattr(moderator, "pk", None),
                                 **ids},
    )  # fmt: skip


def version_review_approve(*, version: ItemVersion, moderator: Moderator) -> None:
    with transaction.atomic():
        locked = ItemVersion.objects.select_for_update().get(id=version.id)
        if locked.review_state == VersionReview.APPROVED:
            return
        item = (
            Item.objects.select_for_update(of=("self",))
            .select_related("creator", "title", "current_version")
            .get(id=locked.item_id)
        )
        if item.state == ReviewState.REMOVED:
            raise InvalidState(details={"state": item.state})
        locked.review_state = VersionReview.APPROVED
        locked.save(update_fields=["review_state", "updated_at"])
        version_make_current(item=item, version=locked)
        if item.state in (ReviewState.PENDING_REVIEW, ReviewState.REJECTED):
            item.state, item.state_reason = ReviewState.PUBLISHED, ""
            item.published_at = item.published_at or timezone.now()
            item.save(update_fields=["state", "state_reason", "published_at", "updated_at"])
            published_effects(item=item)
            _notify_creator(item=item, event="approved")
        elif item.state == ReviewState.PUBLISHED:
            subscribers_notify_on_commit(version=locked)
    _log("version_approve", moderator=moderator, item_id=locked.item_id, version_id=locked.id)


def version_review_reject(*, version: ItemVersion, moderator: Moderator, reason: str = "") -> None:
    """Reject a waiting version; an item with no approved version left is rejected too."""
    with transaction.atomic():
        locked = ItemVersion.objects.select_for_update().get(id=version.id)
        if locked.review_state != VersionReview.PENDING:
            return
        locked.review_state = VersionReview.REJECTED
        locked.save(update_fields=["review_state", "updated_at"])
        item = (
            Item.objects.select_for_update(of=("self",))
            .select_related("creator")
            .get(id=locked.item_id)
        )
        has_approved = ItemVersion.objects.filter(
            item=item, review_state=VersionReview.APPROVED
        ).exists()
        if item.state == ReviewState.PENDING_REVIEW and not has_approved:
            item.state, item.state_reason = ReviewState.REJECTED, reason[:500]
            item.save(update_fields=["state", "state_reason", "updated_at"])
        _notify_creator(item=item, event="rejected", reason=reason[:500])
    _log("version_reject", moderator=moderator, item_id=locked.item_id, version_id=locked.id)


def item_hide(*, item: Item, moderator: Moderator, reason: str = "") -> None:
    Item.objects.filter(id=item.id, is_hidden=False).update(
        is_hidden=True, hidden_reason=reason[:500], updated_at=timezone.now()
    )
    _log("item_hide", moderator=moderator, item_id=item.id)


def item_restore(*, item: Item, moderator: Moderator) -> None:
    Item.objects.filter(id=item.id, is_hidden=True).update(
        is_hidden=False, hidden_reason="", updated_at=timezone.now()
    )
    _log("item_restore", moderator=moderator, item_id=item.id)


def item_remove(*, item: Item, moderator: Moderator, reason: str = "") -> None:
    """Final: nobody but moderators sees the item or its files again; the creator is told."""
    with transaction.atomic():
        removed = (
            Item.objects.filter(id=item.id)
            .exclude(state=ReviewState.REMOVED)
            .update(state=ReviewState.REMOVED, state_reason=reason[:500], updated_at=timezone.now())
        )
        if removed:
            item.refresh_from_db()
            _notify_creator(item=item, event="removed", reason=reason[:500])
    _log("item_remove", moderator=moderator, item_id=item.id)


def _comment_count_moved(*, comment: Comment, delta: int) -> None:
    if delta < 0:
        Item.objects.filter(id=comment.item_id, comment_count__gt=0).update(
            comment_count=F("comment_count") - 1
        )
    else:
        Item.objects.filter(id=comment.item_id).update(comment_count=F("comment_count") + 1)


def comment_hide(*, comment: Comment, moderator: Moderator) -> None:
    with transaction.atomic():
        changed = Comment.objects.filter(
            id=comment.id, is_hidden=False, removed_at__isnull=True, deleted_at__isnull=True
        ).update(is_hidden=True, updated_at=timezone.now())
        if changed:
            _comment_count_moved(comment=comment, delta=-1)
    _log("comment_hide", moderator=moderator, comment_id=comment.id)


def comment_restore(*, comment: Comment, moderator: Moderator) -> None:
    with transaction.atomic():
        changed = Comment.objects.filter(
            id=comment.id, is_hidden=True, removed_at__isnull=True, deleted_at__isnull=True
        ).update(is_hidden=False, updated_at=timezone.now())
        if changed:
            _comment_count_moved(comment=comment, delta=1)
    _log("comment_restore", moderator=moderator, comment_id=comment.id)


def comment_remove(*, comment: Comment, moderator: Moderator) -> None:
    """Final; the text stays stored (evidence) but is never shown again."""
    with transaction.atomic():
        was_counted = Comment.objects.filter(
            id=comment.id, is_hidden=False, removed_at__isnull=True, deleted_at__isnull=True
        ).exists()
        changed = Comment.objects.filter(id=comment.id, removed_at__isnull=True).update(
            removed_at=timezone.now(), updated_at=timezone.now()
        )
        if changed and was_counted:
            _comment_count_moved(comment=comment, delta=-1)
    _log("comment_remove", moderator=moderator, comment_id=comment.id)

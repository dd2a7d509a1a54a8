"""Versions: a new file makes a new version with a changelog and a game-version range.

A version is approved at once unless the title reviews content first; then it waits in the
review queue (``services.moderation.version_review_approve``/``_reject``). Approval makes it
the item's current version (what others download), copies its compatibility range onto the
item, and — for an item already published — notifies its subscribers (a Celery task; a
version notifies them once, whatever retries happen).
"""

import logging

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from apps.players.models import Player
from apps.titles.models import Title
from apps.ugc import enforcement, selectors
from apps.ugc.enforcement import ACTION_UPLOAD
from apps.ugc.exceptions import Duplicate, InvalidState, UnsupportedType
from apps.ugc.models import (
    Item,
    ItemVersion,
    Kind,
    ReviewState,
    ThumbnailState,
    VersionReview,
)
from apps.ugc.services import policy
from apps.ugc.services.fields import CleanVersion, VersionInput, version_clean
from apps.ugc.services.files import StoredFiles, files_committed_or_deleted, files_store
from apps.ugc.validation import PreparedFile, ReceivedFile, file_prepare

logger = logging.getLogger(__name__)


def duplicate_check(*, title: Title, sha256: str, viewer: selectors.Viewer) -> None:
    """``duplicate`` when the title already has these exact bytes; ``details.item_id`` only
    if the uploader may see that item (existence is not leaked)."""
    existing = ItemVersion.objects.filter(title=title, sha256=sha256).select_related(
        "item", "item__creator"
    )
    found = existing.first()
    if found is None:
        return
    visible = selectors.item_can_view(viewer=viewer, item=found.item)
    raise Duplicate(details={"item_id": found.item_id} if visible else {})


def file_prepare_checked(
    *, title: Title, kind: str, creator: Player, received: ReceivedFile | None,
    preview: ReceivedFile | None,
) -> PreparedFile:  # fmt: skip
    """Validate an upload for ``kind`` and refuse exact duplicates in ``title``."""
    if kind == Kind.CLIP or received is None:
        raise UnsupportedType(details={"allowed": [], "detected": None})
    prepared = file_prepare(kind=kind, received=received, preview=preview)
    duplicate_check(title=title, sha256=prepared.sha256, viewer=selectors.Viewer(player=creator))
    return prepared


def version_record(
    *, item: Item, prepared: PreparedFile, stored: StoredFiles, clean: CleanVersion,
    is_approved: bool,
) -> ItemVersion:  # fmt: skip
    """Insert the version row (next number under the item's row lock). Call inside
    ``transaction.atomic``; raises ``Duplicate`` when the title has these bytes already."""
    Item.objects.select_for_update().filter(id=item.id).first()
    latest = ItemVersion.objects.filter(item=item).aggregate(latest=Max("number"))["latest"]
    has_preview = prepared.file_type != "zip" or bool(stored.preview_name)
    version = ItemVersion(
        item=item, title_id=item.title_id, number=(latest or 0) + 1,
        file_name=stored.file_name, size=prepared.size, sha256=prepared.sha256,
        content_type=prepared.content_type, original_filename=prepared.original_filename,
        changelog=clean.changelog, game_version_min=clean.game_version_min,
        game_version_max=clean.game_version_max, compat_min_key=clean.compat_min_key,
        compat_max_key=clean.compat_max_key, preview_name=stored.preview_name,
        width=prepared.width, height=prepared.height, entry_count=prepared.entry_count,
        uncompressed_size=prepared.uncompressed_size,
        thumbnail_state=ThumbnailState.PENDING if has_preview else ThumbnailState.NONE,
        review_state=VersionReview.APPROVED if is_approved else VersionReview.PENDING,
    )  # fmt: skip
    try:
        with transaction.atomic():
            version.save()
    except IntegrityError as error:
        if ItemVersion.objects.filter(title_id=item.title_id, sha256=prepared.sha256).exists():
            raise Duplicate() from error
        raise
    if has_preview:
        from apps.ugc.tasks import thumbnails_make_task

        transaction.on_commit(lambda: thumbnails_make_task.delay(version.id), robust=True)
    return version


def version_make_current(*, item: Item, version: ItemVersion) -> None:
    """``version`` (approved) becomes what others get, unless a newer one already is."""
    current = item.current_version
    if current is not None and current.number > version.number:
        return
    item.current_version = version
    item.compat_min_key = version.compat_min_key
    item.compat_max_key = version.compat_max_key
    item.save(update_fields=["current_version", "compat_min_key", "compat_max_key", "updated_at"])


def subscribers_notify_on_commit(*, version: ItemVersion) -> None:
    from apps.ugc.tasks import subscribers_notify_task

    transaction.on_commit(lambda: subscribers_notify_task.delay(version.id), robust=True)


def version_add(
    *, item: Item, creator: Player, received: ReceivedFile | None, data: VersionInput,
    preview: ReceivedFile | None = None, is_rate_counted: bool = False,
) -> ItemVersion:  # fmt: skip
    """A new file for one of ``creator``'s items (``item`` comes from ``item_get_own``).
    Counts against the upload rate limit unless ``is_rate_counted`` (``policy.upload_admit``
    took it); refused when the title no longer accepts the item's kind. Stores the file,
    then commits the version; nothing is left behind on failure. Call outside a transaction
    (``services.files``)."""
    enforcement.ugc_sanction_check(player=creator, action=ACTION_UPLOAD, title=item.title)
    if not is_rate_counted:
        policy.upload_rate_take(player=creator, title=item.title)
    policy.kind_allowed_check(title=item.title, kind=item.kind)
    if item.state == ReviewState.REMOVED:
        raise InvalidState(details={"state": item.state})
    clean = version_clean(data, title=item.title)
    prepared = file_prepare_checked(
        title=item.title, kind=item.kind, creator=creator, received=received, preview=preview
    )
    is_approved = not selectors.title_requires_review(title=item.title)
    stored = files_store(prepared)
    with files_committed_or_deleted(stored):
        version = version_record(
            item=item, prepared=prepared, stored=stored, clean=clean, is_approved=is_approved
        )
        if is_approved:
            version_make_current(item=item, version=version)
            if item.state == ReviewState.PUBLISHED:
                subscribers_notify_on_commit(version=version)
    logger.info("ugc version added", extra={"item_id": item.id, "version": version.number})
    return version


def subscribers_notify(*, version_id: int) -> int:
    """Tell the item's subscribers about a new approved version; once per version (the
    version row is locked and stamped), so a retried or repeated task notifies nobody twice.
    Returns how many were notified."""
    from apps.players.services import notification_create
    from apps.ugc.models import Subscription

    with transaction.atomic():
        version = (
            ItemVersion.objects.select_for_update(of=("self",))
            .select_related("item", "item__creator")
            .filter(id=version_id, subscribers_notified_at__isnull=True)
            .first()
        )
        if version is None or version.review_state != VersionReview.APPROVED:
            return 0
        item = version.item
        subscribers = Subscription.objects.filter(item=item).exclude(player=item.creator)
        notified = 0
        for subscription in subscribers.select_related("player"):
            viewer = selectors.Viewer(player=subscription.player)
            if not selectors.item_can_view(viewer=viewer, item=item):
                continue
            data = {"item_id": item.id, "name": item.name, "version": version.number}
            stored = notification_create(
                recipient=subscription.player, kind="ugc_new_version", data=data,
                actor=item.creator,
            )  # fmt: skip
            notified += stored is not None
        version.subscribers_notified_at = timezone.now()
        version.save(update_fields=["subscribers_notified_at", "updated_at"])
    return notified

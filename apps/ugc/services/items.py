"""Items: create (with the first file), edit, publish, delete; items published in game.

Review states: ``draft`` → (``pending_review`` when the title reviews first) → ``published``
or ``rejected``; moderators may set ``removed``. A creator publishes a draft with
``item_publish``; ``publish=True`` at creation does it at once.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.players.models import Player
from apps.titles.models import Title
from apps.ugc import enforcement, selectors
from apps.ugc.enforcement import ACTION_UPLOAD
from apps.ugc.exceptions import FileRequired, InvalidState, InvalidVisibility, UnsupportedType
from apps.ugc.models import Item, ItemVersion, ItemVisibility, Kind, ReviewState, Source, Thumbnail
from apps.ugc.services import policy
from apps.ugc.services.fields import (
    ItemInput,
    VersionInput,
    description_clean,
    description_translations_clean,
    name_clean,
    search_vector_update,
    tags_clean,
    tags_set,
    version_clean,
)
from apps.ugc.services.files import (
    StoredFiles,
    files_committed_or_deleted,
    files_delete_on_commit,
    files_store,
)
from apps.ugc.services.versions import file_prepare_checked, version_make_current, version_record
from apps.ugc.text import clip_link_clean
from apps.ugc.validation import PreparedFile, ReceivedFile

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _CleanFields:
    name: str
    description: str
    description_translations: dict[str, str]
    visibility: str
    tags: list[str]


def _fields_clean(*, title: Title, data: ItemInput) -> _CleanFields:
    if data.visibility not in ItemVisibility.values:
        raise InvalidVisibility(details={"allowed": list(ItemVisibility.values)})
    return _CleanFields(
        name=name_clean(data.name, title=title),
        description=description_clean(data.description, title=title),
        description_translations=description_translations_clean(
            data.description_translations, title=title
        ),
        visibility=data.visibility,
        tags=tags_clean(data.tags),
    )


def published_effects(*, item: Item) -> None:
    """What publishing means for others: a feed entry for public items (friends-only and
    unlisted items are not announced, so the feed never leaks them)."""
    if item.visibility != ItemVisibility.PUBLIC:
        return
    from apps.players.services import activity_record

    activity_record(
        player=item.creator,
        kind="content_shared",
        data={"item_id": item.id, "name": item.name, "kind": item.kind},
        title=item.title,
    )


def _state_after_submit(*, publish: bool, requires_review: bool) -> str:
    if not publish:
        return ReviewState.DRAFT
    return ReviewState.PENDING_REVIEW if requires_review else ReviewState.PUBLISHED


def _prepare(
    *, title: Title, data: ItemInput, creator: Player, received: ReceivedFile | None,
    preview: ReceivedFile | None,
) -> tuple[PreparedFile | None, str]:  # fmt: skip
    if data.kind not in Kind.values:
        raise UnsupportedType(details={"kind": data.kind})
    if data.kind == Kind.CLIP:
        if received is not None:
            raise UnsupportedType(details={"allowed": [], "detected": None})
        return None, clip_link_clean(data.link_url)
    if received is None:
        raise FileRequired()
    prepared = file_prepare_checked(
        title=title, kind=data.kind, creator=creator, received=received, preview=preview
    )
    return prepared, ""


def item_create(
    *, creator: Player, title: Title, data: ItemInput, received: ReceivedFile | None = None,
    preview: ReceivedFile | None = None, version: VersionInput | None = None,
    publish: bool = True, is_rate_counted: bool = False,
) -> Item:  # fmt: skip
    """Create an item with its first file (or a clip link). Checks run before anything is
    stored (sanctions, the upload rate limit unless ``is_rate_counted`` — the interface
    already took it with ``policy.upload_admit`` —, the title's kinds, text, tags, versions,
    the file by content, duplicates); the file is stored, then the rows committed — a failure
    at any point leaves nothing behind. Call outside a transaction (``services.files``)."""
    enforcement.ugc_sanction_check(player=creator, action=ACTION_UPLOAD, title=title)
    if not is_rate_counted:
        policy.upload_rate_take(player=creator, title=title)
    if data.kind in Kind.values:
        policy.kind_allowed_check(title=title, kind=data.kind)
    fields = _fields_clean(title=title, data=data)
    clean_version = version_clean(version or VersionInput(), title=title)
    prepared, link_url = _prepare(
        title=title, data=data, creator=creator, received=received, preview=preview
    )
    requires_review = selectors.title_requires_review(title=title)
    state = _state_after_submit(publish=publish, requires_review=requires_review)
    stored = files_store(prepared) if prepared is not None else StoredFiles()
    with files_committed_or_deleted(stored):
        item = Item.objects.create(
            title=title, creator=creator, kind=data.kind, name=fields.name,
            description=fields.description,
            description_translations=fields.description_translations,
            visibility=fields.visibility, state=state,
            link_url=link_url, source=Source.PLAYER,
            published_at=timezone.now() if state == ReviewState.PUBLISHED else None,
        )  # fmt: skip
        tags_set(item=item, slugs=fields.tags)
        item.save(update_fields=["tags_text"])
        if prepared is not None:
            new_version = version_record(
                item=item, prepared=prepared, stored=stored, clean=clean_version,
                is_approved=not requires_review,
            )  # fmt: skip
            if not requires_review:
                version_make_current(item=item, version=new_version)
        search_vector_update(item=item)
        if state == ReviewState.PUBLISHED:
            published_effects(item=item)
    logger.info("ugc item created", extra={"item_id": item.id, "title_id": title.id})
    return item


def item_update(*, item: Item, creator: Player, data: dict[str, object]) -> Item:
    """Edit name, description (and its other languages' texts: ``description_translations``
    replaces them all), tags or visibility of one of the creator's own items."""
    current = ItemInput(
        kind=item.kind, name=str(data.get("name", item.name)),
        description=str(data.get("description", item.description)),
        description_translations=data.get(
            "description_translations", item.description_translations
        ),
        tags=data.get("tags", item.tags_text.split()),  # type: ignore[arg-type]
        visibility=str(data.get("visibility", item.visibility)),
    )  # fmt: skip
    if item.state == ReviewState.REMOVED:
        raise InvalidState(details={"state": item.state})
    fields = _fields_clean(title=item.title, data=current)
    with transaction.atomic():
        item.name = fields.name
        item.description = fields.description
        item.description_translations = fields.description_translations
        item.visibility = fields.visibility
        tags_set(item=item, slugs=fields.tags)
        item.save(update_fields=["name", "description", "description_translations",
                                 "visibility", "tags_text", "updated_at"])  # fmt: skip
        search_vector_update(item=item)
    return item


def item_publish(*, item: Item, creator: Player) -> Item:
    """Submit a draft: published at once, or to the review queue when the title reviews."""
    with transaction.atomic():
        locked = Item.objects.select_for_update().get(id=item.id)
        if locked.state != ReviewState.DRAFT:
            raise InvalidState(details={"state": locked.state})
        policy.kind_allowed_check(title=item.title, kind=locked.kind)
        requires_review = selectors.title_requires_review(title=item.title)
        locked.state = _state_after_submit(publish=True, requires_review=requires_review)
        if locked.state == ReviewState.PUBLISHED:
            locked.published_at = timezone.now()
            published_effects(item=locked)
        locked.save(update_fields=["state", "published_at", "updated_at"])
    item.refresh_from_db()
    return item


def item_files(item: Item) -> list[str]:
    """Every stored file of an item: versions, previews, thumbnails."""
    versions = ItemVersion.objects.filter(item=item)
    names = [
        name for row in versions.values_list("file_name", "preview_name") for name in row if name
    ]
    names += list(Thumbnail.objects.filter(version__item=item).values_list("name", flat=True))
    return names


def item_delete(*, item: Item, creator: Player) -> None:
    """The creator deletes an item: rows now, files once that commits. A removed item stays
    (moderation keeps it as evidence)."""
    if item.state == ReviewState.REMOVED:
        raise InvalidState(details={"state": item.state})
    with transaction.atomic():
        names = item_files(item)
        Item.objects.filter(id=item.id, creator=creator).delete()
        files_delete_on_commit(names)
    logger.info("ugc item deleted", extra={"item_id": item.id})


def item_publish_from_game(
    *, title: Title, creator: Player, external_id: str, kind: str, name: str, url: str = ""
) -> Item:
    """An item a player published in game (``ugc.published``): created once per title and
    game id (a repeated event renames it at most); public, no file until the title uploads
    one (``version_add`` through a title key). A new item of a kind the title does not accept
    raises ``kind_not_allowed``. Events do not count against the upload rate limit (the
    title's file upload does). Runs inside the event's transaction."""
    enforcement.ugc_sanction_check(player=creator, action=ACTION_UPLOAD, title=title)
    clean_name = name_clean(name, title=title)
    existing = Item.objects.filter(title=title, external_id=external_id).first()
    if existing is not None:
        if existing.name != clean_name and existing.creator_id == creator.id:
            existing.name = clean_name
            existing.save(update_fields=["name", "updated_at"])
            search_vector_update(item=existing)
        return existing
    policy.kind_allowed_check(title=title, kind=kind)
    requires_review = selectors.title_requires_review(title=title)
    state = _state_after_submit(publish=True, requires_review=requires_review)
    item = Item.objects.create(
        title=title, creator=creator, kind=kind, name=clean_name, state=state,
        source=Source.GAME, external_id=external_id,
        external_url=url if url.startswith(("https://", "http://")) else "",
        published_at=timezone.now() if state == ReviewState.PUBLISHED else None,
    )  # fmt: skip
    search_vector_update(item=item)
    if state == ReviewState.PUBLISHED:
        published_effects(item=item)
    return item

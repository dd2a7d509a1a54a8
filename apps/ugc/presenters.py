"""JSON-safe shapes of UGC objects, shared by the REST API, the portal and the chat card.
Built from rows the selectors loaded (``select_related`` creator, title, current version), so
a page of items costs no query per item; ``engagement`` comes from one
``selectors.engagement_of`` call per page."""

from typing import Any

from django.templatetags.static import static
from django.urls import reverse

from apps.common.localized_text import localized
from apps.players.avatars import avatar_url
from apps.players.models import Player
from apps.ugc.models import Comment, Item, ItemVersion, ThumbnailState
from apps.ugc.selectors import Viewer
from apps.ugc.services.thumbnails import THUMBNAIL_SIZES


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def player_card(player: Player) -> dict[str, Any]:
    return {
        "id": player.id,
        "display_name": player.display_name,
        "avatar_url": avatar_url(player, "small"),
    }


def placeholder_url(kind: str) -> str:
    """The static image shown until thumbnails exist (or for items without a picture)."""
    return static(f"ugc/placeholder-{kind}.svg")


def thumbnail_urls(item: Item) -> dict[str, str]:
    """Stable URLs of the item's thumbnails: each answers with a short-lived link (or the
    placeholder) for whoever asks, after checking they may see the item."""
    return {
        size: reverse("ugc-thumbnail", kwargs={"item_id": item.id, "size": size})
        for size in THUMBNAIL_SIZES
    }


def version_dict(version: ItemVersion, *, with_review: bool = False) -> dict[str, Any]:
    data = {
        "number": version.number,
        "size": version.size,
        "sha256": version.sha256,
        "content_type": version.content_type,
        "filename": version.original_filename,
        "changelog": version.changelog,
        "game_version_min": version.game_version_min or None,
        "game_version_max": version.game_version_max or None,
        "width": version.width,
        "height": version.height,
        "entry_count": version.entry_count,
        "thumbnail_state": version.thumbnail_state,
        "created_at": _iso(version.created_at),
    }
    if with_review:
        data["review_state"] = version.review_state
    return data


def item_dict(
    item: Item,
    *,
    viewer: Viewer,
    engagement: dict[str, set[int]] | None = None,
    with_translations: bool = False,
) -> dict[str, Any]:
    """The item as the API and the portal show it; ``description`` in the viewer's language
    (else the default text). ``with_translations`` (one item's read) adds every language's
    text, for editors and clients."""
    is_creator = viewer.player_id == item.creator_id
    privileged = is_creator or viewer.is_moderator
    version = item.current_version
    thumbnails_ready = version is not None and version.thumbnail_state == ThumbnailState.READY
    engagement = engagement or {}
    data: dict[str, Any] = {
        "id": item.id,
        "title": item.title.slug,
        "title_name": item.title.localized_name,
        "kind": item.kind,
        "name": item.name,
        "description": localized(item.description_translations, item.description),
        "tags": item.tags_text.split(),
        "visibility": item.visibility,
        "state": item.state,
        "creator": player_card(item.creator),
        "link_url": item.link_url or None,
        "external_url": item.external_url or None,
        "source": item.source,
        "counts": {
            "likes": item.like_count,
            "favourites": item.favourite_count,
            "subscribers": item.subscriber_count,
            "downloads": item.download_count,
            "comments": item.comment_count,
        },
        "trending_score": item.trending_score,
        "current_version": version_dict(version) if version is not None else None,
        "thumbnail": {
            "ready": thumbnails_ready,
            "urls": thumbnail_urls(item),
            "placeholder_url": placeholder_url(item.kind),
        },
        "viewer": {
            "is_creator": is_creator,
            "liked": item.id in engagement.get("liked", ()),
            "favourited": item.id in engagement.get("favourited", ()),
            "subscribed": item.id in engagement.get("subscribed", ()),
        },
        "published_at": _iso(item.published_at),
        "created_at": _iso(item.created_at),
        "updated_at": _iso(item.updated_at),
    }
    if privileged:
        data["moderation"] = {
            "is_hidden": item.is_hidden,
            "state_reason": item.state_reason or None,
            "hidden_reason": item.hidden_reason or None,
        }
    if with_translations:
        data["description_translations"] = item.description_translations
    return data


def comment_dict(comment: Comment, *, viewer: Viewer) -> dict[str, Any]:
    is_deleted = comment.deleted_at is not None
    return {
        "id": comment.id,
        "item_id": comment.item_id,
        "parent_id": comment.parent_id,
        "author": None if is_deleted else player_card(comment.author),
        "body": "" if is_deleted else comment.body,
        "is_deleted": is_deleted,
        "is_mine": viewer.player_id == comment.author_id and not is_deleted,
        "created_at": _iso(comment.created_at),
    }


def comment_thread_dict(comment: Comment, *, viewer: Viewer) -> dict[str, Any]:
    data = comment_dict(comment, viewer=viewer)
    data["replies"] = [comment_dict(reply, viewer=viewer) for reply in comment.replies.all()]
    return data

"""Reads of UGC, scoped to the viewer. Visibility is decided here, once (docs/ugc.md,
"Who sees what"), on top of players' one visibility rule (``players.selectors.visibility_of``:
blocks either way, deleted or leaving accounts → nothing):

| item visibility | creator | friend | anyone else (and anonymous) | blocked either way |
|---|---|---|---|---|
| public   | yes | yes | yes, listed in galleries and search | no (404) |
| unlisted | yes | yes, by link | yes, by link; never listed | no (404) |
| friends  | yes | yes, listed | no (404) | no (404) |
| private  | yes | no (404) | no (404) | no (404) |

Others see an item only while it is ``published`` and not hidden; its creator sees it in every
state (files not once removed); moderators (``ugc.moderate_item``) see everything. A title key
sees public and unlisted items of its own title.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet

from apps.players.models import Player
from apps.players.selectors import (
    Visibility,
    are_friends,
    blocked_player_ids,
    friend_ids,
    visibility_of,
)
from apps.titles.models import Title
from apps.ugc.exceptions import UnknownComment, UnknownItem, UnknownTitle
from apps.ugc.models import (
    Comment,
    Favourite,
    Item,
    ItemVersion,
    ItemVisibility,
    Kind,
    Like,
    ReviewState,
    Subscription,
    TitleSettings,
    VersionReview,
)
from apps.ugc.text import game_version_key


@dataclass(frozen=True)
class Viewer:
    """Who is asking: a player (or nobody), a moderator, or a title's game server."""

    player: Player | None = None
    is_moderator: bool = False
    title_id: int | None = None  # a title key: that title's items only

    @property
    def player_id(self) -> int | None:
        return self.player.id if self.player is not None else None


ANONYMOUS = Viewer()


def title_get(*, slug: str) -> Title:
    title = Title.objects.filter(slug=slug, is_active=True).first()
    if title is None:
        raise UnknownTitle()
    return title


def title_requires_review(*, title: Title) -> bool:
    return TitleSettings.objects.filter(title=title, requires_review=True).exists()


def title_allowed_kinds(*, title: Title) -> list[str]:
    """The kinds ``title``'s players may share, in the kinds' order (no settings row: all)."""
    allowed = TitleSettings.objects.filter(title=title).values_list("allowed_kinds", flat=True)
    chosen = next(iter(allowed), None)
    if chosen is None:
        return list(Kind.values)
    return [kind for kind in Kind.values if kind in chosen]


def item_can_view(*, viewer: Viewer, item: Item) -> bool:
    """May ``viewer`` see ``item`` at all (its page, metadata)? See the module table."""
    if viewer.is_moderator:
        return True
    if viewer.title_id is not None:
        return (
            item.title_id == viewer.title_id
            and item.state == ReviewState.PUBLISHED
            and not item.is_hidden
            and item.visibility in (ItemVisibility.PUBLIC, ItemVisibility.UNLISTED)
            and visibility_of(viewer=None, target=item.creator) != Visibility.NONE
        )
    level = visibility_of(viewer=viewer.player, target=item.creator)
    if level == Visibility.NONE:
        return False
    if level == Visibility.SELF:
        return True
    if item.state != ReviewState.PUBLISHED or item.is_hidden:
        return False
    if item.visibility in (ItemVisibility.PUBLIC, ItemVisibility.UNLISTED):
        return True
    if item.visibility == ItemVisibility.FRIENDS and viewer.player is not None:
        return are_friends(player_id=viewer.player.id, other_player_id=item.creator_id)
    return False


def item_can_fetch_files(*, viewer: Viewer, item: Item) -> bool:
    """Files (downloads, thumbnails) too: as ``item_can_view``, but a removed item's files
    are for moderators only (kept as evidence)."""
    if not item_can_view(viewer=viewer, item=item):
        return False
    return viewer.is_moderator or item.state != ReviewState.REMOVED


def _items() -> QuerySet[Item]:
    return Item.objects.select_related("creator", "title", "current_version")


def item_get_visible(*, viewer: Viewer, item_id: int) -> Item:
    """The item, or ``unknown_item`` when it does not exist or ``viewer`` may not see it."""
    item = _items().filter(id=item_id).first()
    if item is None or not item_can_view(viewer=viewer, item=item):
        raise UnknownItem()
    return item


def item_get_own(*, player: Player, item_id: int) -> Item:
    """One of ``player``'s own items (any state); ``unknown_item`` for anyone else's."""
    item = _items().filter(id=item_id, creator=player).first()
    if item is None:
        raise UnknownItem()
    return item


def item_get_by_external_id(*, title: Title, external_id: str) -> Item:
    item = _items().filter(title=title, external_id=external_id).first()
    if item is None:
        raise UnknownItem()
    return item


def version_for_viewer(*, viewer: Viewer, item: Item, number: int | None = None) -> ItemVersion:
    """The version ``viewer`` gets: the current (approved) one, or ``number``. The creator
    and moderators may have any version, others approved ones only."""
    versions = ItemVersion.objects.filter(item=item)
    is_privileged = viewer.is_moderator or viewer.player_id == item.creator_id
    if not is_privileged:
        versions = versions.filter(review_state=VersionReview.APPROVED)
    if number is not None:
        version = versions.filter(number=number).first()
    elif item.current_version_id is not None and not is_privileged:
        version = versions.filter(id=item.current_version_id).first()
    else:
        version = versions.order_by("-number").first()
    if version is None:
        raise UnknownItem(details={"version": number})
    return version


def versions_for_viewer(*, viewer: Viewer, item: Item) -> QuerySet[ItemVersion]:
    versions = ItemVersion.objects.filter(item=item).order_by("-number")
    if viewer.is_moderator or viewer.player_id == item.creator_id:
        return versions
    return versions.filter(review_state=VersionReview.APPROVED)


def _listed(viewer: Viewer, *, with_unlisted: bool = False) -> Q:
    """Items a gallery or search shows ``viewer`` (unlisted and private never are; a list of
    items the viewer chose, like their subscriptions, may include unlisted ones)."""
    listed = Q(
        state=ReviewState.PUBLISHED,
        is_hidden=False,
        creator__deleted_at__isnull=True,
        creator__deletion_requested_at__isnull=True,
    )
    if viewer.title_id is not None:
        return listed & Q(title_id=viewer.title_id, visibility=ItemVisibility.PUBLIC)
    if viewer.player is None:
        return listed & Q(visibility=ItemVisibility.PUBLIC)
    player_id = viewer.player.id
    friends = friend_ids(player_id=player_id) | {player_id}
    shown = Q(visibility=ItemVisibility.PUBLIC) | Q(
        visibility=ItemVisibility.FRIENDS, creator_id__in=friends
    )
    if with_unlisted:
        shown |= Q(visibility=ItemVisibility.UNLISTED)
    return listed & shown & ~Q(creator_id__in=blocked_player_ids(player_id=player_id))


@dataclass(frozen=True)
class ItemFilters:
    title: Title | None = None
    kind: str = ""
    tag: str = ""
    creator_id: int | None = None
    query: str = ""
    game_version: str = ""


def _search(query: str) -> Q:
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery

        words = SearchQuery(query, config="simple", search_type="websearch")
        # Full text for words; a substring match on the name for scripts without spaces (CJK).
        return Q(search_vector=words) | Q(name__icontains=query)
    return (
        Q(name__icontains=query) | Q(description__icontains=query) | Q(tags_text__icontains=query)
    )


def _filtered(items: QuerySet[Item], filters: ItemFilters) -> QuerySet[Item]:
    if filters.title is not None:
        items = items.filter(title=filters.title)
    if filters.kind:
        items = items.filter(kind=filters.kind)
    if filters.tag:
        items = items.filter(tags__slug=filters.tag)
    if filters.creator_id is not None:
        items = items.filter(creator_id=filters.creator_id)
    if filters.query:
        items = items.filter(_search(filters.query))
    if filters.game_version:
        key = game_version_key(filters.game_version)
        items = items.filter(
            Q(compat_min_key__isnull=True) | Q(compat_min_key__lte=key),
            Q(compat_max_key__isnull=True) | Q(compat_max_key__gte=key),
        )
    return items


def items_list(*, viewer: Viewer, filters: ItemFilters) -> QuerySet[Item]:
    """Galleries, search, top/new/trending and creator pages: listed items only, filtered;
    the caller orders and paginates (``apps.ugc.pagination``)."""
    return _filtered(_items().filter(_listed(viewer)), filters)


def items_of_creator_for_self(*, player: Player, filters: ItemFilters) -> QuerySet[Item]:
    """ "My content": every item of the player's, whatever its state or visibility."""
    return _filtered(_items().filter(creator=player), filters)


def engagement_of(*, player: Player | None, item_ids: list[int]) -> dict[str, set[int]]:
    """Which of ``item_ids`` the player liked, favourited, subscribed to (three queries)."""
    if player is None or not item_ids:
        return {"liked": set(), "favourited": set(), "subscribed": set()}
    mine = {"player": player, "item_id__in": item_ids}
    return {
        "liked": set(Like.objects.filter(**mine).values_list("item_id", flat=True)),
        "favourited": set(Favourite.objects.filter(**mine).values_list("item_id", flat=True)),
        "subscribed": set(Subscription.objects.filter(**mine).values_list("item_id", flat=True)),
    }


def items_subscribed(*, viewer: Viewer) -> QuerySet[Item]:
    """Items the player subscribed to and may still see (unlisted ones included)."""
    assert viewer.player is not None
    ids = Subscription.objects.filter(player=viewer.player).values("item_id")
    return _items().filter(_listed(viewer, with_unlisted=True), id__in=ids)


def _comments_visible(viewer: Viewer) -> Q:
    shown = Q(is_hidden=False, removed_at__isnull=True)
    if viewer.is_moderator:
        return Q()
    if viewer.player is None:
        return shown
    return shown & ~Q(author_id__in=blocked_player_ids(player_id=viewer.player.id))


def comments_of_item(*, viewer: Viewer, item: Item) -> QuerySet[Comment]:
    """Top-level comments, oldest first, with their visible replies prefetched (the caller
    paginates). Comments of players blocked either way, hidden and removed ones are left out;
    a comment its author deleted stays as a placeholder so replies keep their thread."""
    visible = _comments_visible(viewer)
    replies = Comment.objects.filter(visible).select_related("author").order_by("created_at", "id")
    return (
        Comment.objects.filter(visible, item=item, parent__isnull=True)
        .select_related("author")
        .prefetch_related(Prefetch("replies", queryset=replies))
    )


def comment_get_visible(*, viewer: Viewer, comment_id: int) -> Comment:
    comment = (
        Comment.objects.filter(_comments_visible(viewer), id=comment_id, deleted_at__isnull=True)
        .select_related("item", "item__creator", "author")
        .first()
    )
    if comment is None or not item_can_view(viewer=viewer, item=comment.item):
        raise UnknownComment()
    return comment

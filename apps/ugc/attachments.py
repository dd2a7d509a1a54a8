"""The ``ugc`` chat attachment kind: sharing an item in a channel shows its card.

Chat stores the resolved card with the message and shows it to every reader, so an item may
only be attached where every reader may see it:

* public and unlisted items (published, not hidden) — in any channel the author may write;
* friends-only items — only in channels with a member list (direct, match, guild; at most
  ``FRIENDS_ITEM_MAX_MEMBERS`` members) whose every member may see the item;
* private items, drafts, items under review, hidden or removed ones — never.

The card holds the name, kind, creator and the item's thumbnail URL; that URL is checked
again for each viewer when fetched (a reader who blocked the creator gets 404, and a card of
an item removed later shows no picture).
"""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.chat.exceptions import InvalidAttachment
from apps.chat.models import Channel
from apps.chat.selectors import channel_member_player_ids
from apps.players.models import Player
from apps.ugc import selectors
from apps.ugc.exceptions import UnknownItem
from apps.ugc.models import ItemVisibility, ReviewState
from apps.ugc.presenters import thumbnail_urls

ATTACHMENT_KIND = "ugc"
FRIENDS_ITEM_MAX_MEMBERS = 50


def _every_member_sees(item: Any, channel: Channel) -> bool:
    if getattr(channel, "kind", "") in ("lobby", "announcement"):
        return False
    member_ids = channel_member_player_ids(channel_id=channel.id)
    if not member_ids or len(member_ids) > FRIENDS_ITEM_MAX_MEMBERS:
        return False
    members = Player.objects.filter(id__in=member_ids)
    return all(
        selectors.item_can_view(viewer=selectors.Viewer(player=member), item=item)
        for member in members
    )


def item_card_resolve(item_id: object, *, author: Player, channel: Channel) -> dict[str, Any]:
    """Chat's resolver: the card of an item ``author`` may share in ``channel``, or
    ``InvalidAttachment``."""
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        raise InvalidAttachment(message=_("A content item is attached by its numeric id."))
    try:
        item = selectors.item_get_visible(viewer=selectors.Viewer(player=author), item_id=item_id)
    except UnknownItem as error:
        raise InvalidAttachment(message=_("No such content item.")) from error
    is_shown = item.state == ReviewState.PUBLISHED and not item.is_hidden
    is_open = item.visibility in (ItemVisibility.PUBLIC, ItemVisibility.UNLISTED)
    is_friends = item.visibility == ItemVisibility.FRIENDS
    if not is_shown or not (is_open or (is_friends and _every_member_sees(item, channel))):
        raise InvalidAttachment(
            message=_("This item cannot be shared here: not everyone in the channel may see it.")
        )
    return {
        "name": item.name,
        "item_kind": item.kind,
        "title": item.title.slug,
        "creator": {"id": item.creator_id, "display_name": item.creator.display_name},
        "thumbnail_url": thumbnail_urls(item)["small"],
        "url": reverse("ugc:item", kwargs={"item_id": item.id}),
    }

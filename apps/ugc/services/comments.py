"""Comments on items: threaded one level, through the sanction check and automod, and
reportable (``enforcement.ugc_report_submit``). The creator is notified of comments, the
parent's author of replies (players' ``notification_create`` skips blocked pairs)."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.players.models import Player
from apps.ugc import enforcement
from apps.ugc.enforcement import ACTION_COMMENT, ugc_text_check
from apps.ugc.exceptions import EmptyComment, NotAuthor, NotPublished, ReplyDepth, TextTooLong
from apps.ugc.models import Comment, Item, ReviewState
from apps.ugc.text import plain_text

COMMENT_MAX = 2000


def _notify(*, comment: Comment, item: Item, parent: Comment | None) -> None:
    from apps.players.services import notification_create

    data = {"item_id": item.id, "name": item.name, "comment_id": comment.id}
    recipients = {item.creator_id: item.creator}
    if parent is not None:
        recipients[parent.author_id] = parent.author
    for player_id, recipient in recipients.items():
        if player_id != comment.author_id:
            notification_create(
                recipient=recipient, kind="ugc_comment", data=data, actor=comment.author
            )


def _parent(*, item: Item, parent_id: int | None) -> Comment | None:
    if parent_id is None:
        return None
    parent = (
        Comment.objects.filter(id=parent_id, item=item, is_hidden=False, removed_at__isnull=True)
        .select_related("author")
        .first()
    )
    if parent is None or parent.parent_id is not None:
        raise ReplyDepth(details={"parent_id": parent_id})
    return parent


def comment_create(
    *, item: Item, author: Player, body: str, parent_id: int | None = None
) -> Comment:
    """Comment on (or reply in) a published item the author may see."""
    enforcement.ugc_sanction_check(player=author, action=ACTION_COMMENT, title=item.title)
    if item.state != ReviewState.PUBLISHED:
        raise NotPublished()
    text = plain_text(body or "", multiline=True)
    if not text:
        raise EmptyComment()
    if len(text) > COMMENT_MAX:
        raise TextTooLong(details={"field": "body", "max_length": COMMENT_MAX})
    checked = ugc_text_check(text=text, title=item.title, is_comment=True)
    parent = _parent(item=item, parent_id=parent_id)
    with transaction.atomic():
        comment = Comment.objects.create(
            item=item, author=author, parent=parent, body=checked.text,
            is_flagged=checked.is_flagged,
        )  # fmt: skip
        Item.objects.filter(id=item.id).update(comment_count=F("comment_count") + 1)
        _notify(comment=comment, item=item, parent=parent)
    return comment


def comment_delete(*, comment: Comment, author: Player) -> None:
    """The author deletes their comment: the text goes, a placeholder keeps the thread."""
    if comment.author_id != author.id:
        raise NotAuthor()
    with transaction.atomic():
        deleted = Comment.objects.filter(
            id=comment.id, author=author, deleted_at__isnull=True
        ).update(deleted_at=timezone.now(), body="", updated_at=timezone.now())
        if deleted:
            Item.objects.filter(id=comment.item_id, comment_count__gt=0).update(
                comment_count=F("comment_count") - 1
            )

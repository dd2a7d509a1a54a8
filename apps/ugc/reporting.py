"""UGC items and comments as moderation report targets (``apps.moderation.targets``).

``reporting_register`` (called in ``UgcConfig.ready()``) registers the ``ugc`` (item) and
``comment`` target kinds with moderation's registry — resolve scoped to the reporter with an
evidence snapshot, hide when a case escalates, restore when it is dismissed, remove from the
queue — and moderation's ``report_submit`` as the receiver of ``ugc_report_submit``, so a
report filed through UGC's API or page becomes a moderation report on the same case as one
filed through ``POST /api/v1/moderation/reports``.
"""

from typing import Any

from apps.common.exceptions import ApplicationError
from apps.moderation.models import ReasonCategory, TargetType
from apps.moderation.targets import (
    HiddenState,
    ResolvedTarget,
    TargetKind,
    UnknownTarget,
    target_kind_register,
)
from apps.players.models import Player
from apps.ugc.enforcement import ReportTarget, report_receiver_register, ugc_report_target
from apps.ugc.models import Comment, Item

# UGC's report reasons that moderation has no category for are filed as "other", the reason
# kept at the start of the report's text.
_CATEGORY_OF_REASON = {
    "spam": ReasonCategory.SPAM,
    "harassment": ReasonCategory.HARASSMENT,
    "hate": ReasonCategory.HATE,
    "sexual": ReasonCategory.SEXUAL,
    "cheating": ReasonCategory.CHEATING,
}
_KIND_OF_TARGET: dict[str, str] = {TargetType.UGC: "item", TargetType.COMMENT: "comment"}
_TARGET_OF_KIND = {kind: target for target, kind in _KIND_OF_TARGET.items()}


def _resolve(target_type: str) -> Any:
    def resolve(target_id: str, reporter: Any) -> ResolvedTarget:
        try:
            target = ugc_report_target(
                viewer=reporter, kind=_KIND_OF_TARGET[target_type], target_id=int(target_id)
            )
        except (ValueError, ApplicationError) as error:
            raise UnknownTarget() from error
        author = Player.objects.filter(id=target.author_id).first()
        snapshot = {"type": target_type, "kind": target.kind, "id": target.id,
                    "author_id": target.author_id, **target.snapshot}  # fmt: skip
        summary = snapshot.get("name") or snapshot.get("body") or ""
        return ResolvedTarget(
            target_id=str(target.id), owner=author, title=_title(target), summary=summary[:200],
            snapshot=snapshot,
        )  # fmt: skip

    return resolve


def _title(target: ReportTarget) -> Any:
    from apps.titles.models import Title

    return Title.objects.filter(id=target.title_id).first()


def _item_hide(target_id: str) -> HiddenState | None:
    from apps.ugc.services.moderation import item_hide

    item = Item.objects.filter(id=int(target_id), is_hidden=False).first()
    if item is None:
        return None
    item_hide(item=item, moderator=None, reason="reported: hidden pending review")
    return {"hidden": True}


def _item_restore(target_id: str, state: HiddenState) -> None:
    from apps.ugc.services.moderation import item_restore

    item = Item.objects.filter(id=int(target_id)).first()
    if item is not None and state.get("hidden"):
        item_restore(item=item, moderator=None)


def _item_remove(target_id: str, moderator: Any) -> None:
    from apps.ugc.services.moderation import item_remove

    item = Item.objects.filter(id=int(target_id)).first()
    if item is not None:
        item_remove(item=item, moderator=moderator, reason="removed by moderation")


def _comment_hide(target_id: str) -> HiddenState | None:
    from apps.ugc.services.moderation import comment_hide

    comment = Comment.objects.filter(id=int(target_id), is_hidden=False).first()
    if comment is None:
        return None
    comment_hide(comment=comment, moderator=None)
    return {"hidden": True}


def _comment_restore(target_id: str, state: HiddenState) -> None:
    from apps.ugc.services.moderation import comment_restore

    comment = Comment.objects.filter(id=int(target_id)).first()
    if comment is not None and state.get("hidden"):
        comment_restore(comment=comment, moderator=None)


def _comment_remove(target_id: str, moderator: Any) -> None:
    from apps.ugc.services.moderation import comment_remove

    comment = Comment.objects.filter(id=int(target_id)).first()
    if comment is not None:
        comment_remove(comment=comment, moderator=moderator)


def _item_links(target_id: str) -> dict[str, str]:
    from django.urls import reverse

    return {"item": reverse("admin:ugc_item_change", args=[target_id])}


def _comment_links(target_id: str) -> dict[str, str]:
    from django.urls import reverse

    return {"comment": reverse("admin:ugc_comment_change", args=[target_id])}


def ugc_report_receive(
    *, reporter: Player, target: ReportTarget, reason: str, details: str = ""
) -> None:
    """The receiver of ``ugc_report_submit``: files the report with moderation (evidence,
    one report per reporter per case, rate limit, escalation; its refusals propagate)."""
    from apps.moderation.reports import report_submit

    category = _CATEGORY_OF_REASON.get(reason, ReasonCategory.OTHER)
    text = details if category != ReasonCategory.OTHER or reason == "other" else (
        f"[{reason}] {details}".strip()
    )  # fmt: skip
    report_submit(reporter=reporter, target_type=_TARGET_OF_KIND[target.kind],
                  target_id=target.id, category=category, text=text[:1000])  # fmt: skip


def reporting_register() -> None:
    target_kind_register(TargetKind(
        TargetType.UGC, _resolve(TargetType.UGC), _item_hide, _item_remove, _item_links,
        _item_restore,
    ))  # fmt: skip
    target_kind_register(TargetKind(
        TargetType.COMMENT, _resolve(TargetType.COMMENT), _comment_hide, _comment_remove,
        _comment_links, _comment_restore,
    ))  # fmt: skip
    report_receiver_register(ugc_report_receive)

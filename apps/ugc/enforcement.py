"""Where UGC meets moderation (``apps.moderation``).

Three seams, each one named function that every UGC interface goes through:

* ``ugc_sanction_check`` — moderation's sanctions (upload bans, mutes, suspensions, bans;
  global or per title). Called
  by every upload path (portal, REST, resumable uploads, title-key uploads, ``ugc.published``
  events) and every comment path, before anything is read or stored.
* ``ugc_text_check`` — automod for names, descriptions, changelogs and comments.
* ``ugc_report_submit`` — reports on items and comments, handed to the receiver moderation
  registers with ``report_receiver_register`` (``ugc_report_target`` gives it the scoped
  target and an evidence snapshot).

The other direction — hide, restore, remove, review approve/reject — are UGC services
(``apps.ugc.services.moderation``) that moderation calls.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.chat.exceptions import MessageRejected
from apps.chat.moderation import text_filter
from apps.moderation.enforcement import Action, sanction_check
from apps.players.models import Player
from apps.titles.models import Title
from apps.ugc.exceptions import CommentRejected, ContentRejected, ReportsUnavailable

ACTION_UPLOAD = "ugc_upload"
ACTION_COMMENT = "ugc_comment"


def ugc_sanction_check(*, player: Player, action: str, title: Title) -> None:
    """Moderation's enforcement for UGC: raises if ``player`` may not perform ``action`` in
    ``title`` — ``"ugc_upload"``: an upload ban (``upload_banned``); ``"ugc_comment"``: a chat
    mute silences comments too (``muted``); a suspension or ban holds both (``suspended`` /
    ``banned``), global or in this title, with the expiry in ``details``. Every UGC interface
    calls this first and stores nothing when it raises."""
    sanction_check(player=player, action=Action(action), title=title)


@dataclass(frozen=True)
class CheckedText:
    text: str
    is_flagged: bool


def ugc_text_check(*, text: str, title: Title, is_comment: bool = False) -> CheckedText:
    """Automod seam: the title's word rules (today chat's filter pipeline,
    ``apps.chat.moderation.text_filter``; moderation's automod replaces it here). ``block``
    raises ``comment_rejected`` / ``content_rejected``; ``mask`` returns the masked text;
    ``flag`` keeps the text and marks it for review."""
    if not text:
        return CheckedText(text=text, is_flagged=False)
    try:
        filtered = text_filter(body=text, title_id=title.id)
    except MessageRejected as rejected:
        error = CommentRejected if is_comment else ContentRejected
        raise error() from rejected
    return CheckedText(text=filtered.body, is_flagged=filtered.is_flagged)


REPORT_REASONS = [
    ("spam", _("Spam")),
    ("harassment", _("Harassment")),
    ("hate", _("Hate")),
    ("sexual", _("Sexual content")),
    ("violence", _("Violence")),
    ("cheating", _("Cheating / exploits")),
    ("copyright", _("Not theirs (copyright)")),
    ("malware", _("Malware")),
    ("other", _("Something else")),
]


@dataclass(frozen=True)
class ReportTarget:
    """What a report is about, as the reporter saw it: ``kind`` is ``"item"`` or
    ``"comment"``; ``snapshot`` is the evidence kept even if the content changes later."""

    kind: str
    id: int
    title_id: int
    author_id: int
    snapshot: dict[str, Any] = field(default_factory=dict)


ReportReceiver = Callable[..., None]  # receiver(*, reporter, target, reason, details) -> None
_report_receiver: list[ReportReceiver] = []


def report_receiver_register(receiver: ReportReceiver) -> None:
    """Moderation registers the one function that files UGC reports (in its ``ready()``)."""
    _report_receiver[:] = [receiver]


def report_receiver_unregister() -> None:
    _report_receiver.clear()


def ugc_report_target(*, viewer: Player, kind: str, target_id: int) -> ReportTarget:
    """The target of a report, scoped to what ``viewer`` may see (``unknown_item`` /
    ``unknown_comment`` otherwise), with its evidence snapshot."""
    from apps.ugc import selectors

    if kind == "comment":
        comment = selectors.comment_get_visible(
            viewer=selectors.Viewer(player=viewer), comment_id=target_id
        )
        return ReportTarget(
            kind="comment",
            id=comment.id,
            title_id=comment.item.title_id,
            author_id=comment.author_id,
            snapshot={"item_id": comment.item_id, "body": comment.body},
        )
    item = selectors.item_get_visible(viewer=selectors.Viewer(player=viewer), item_id=target_id)
    version = item.current_version
    return ReportTarget(
        kind="item",
        id=item.id,
        title_id=item.title_id,
        author_id=item.creator_id,
        snapshot={
            "name": item.name,
            "description": item.description,
            # Evidence in every language: a reported text may be a translation only.
            "description_translations": item.description_translations,
            "kind": item.kind,
            "version": version.number if version else None,
            "sha256": version.sha256 if version else None,
            "file_name": version.file_name if version else None,
        },
    )


def ugc_report_submit(
    *, reporter: Player, kind: str, target_id: int, reason: str, details: str = ""
) -> ReportTarget:
    """File a report on an item or comment through moderation's receiver; raises
    ``reports_unavailable`` (503) while no receiver is registered — nothing is stored then."""
    target = ugc_report_target(viewer=reporter, kind=kind, target_id=target_id)
    if not _report_receiver:
        raise ReportsUnavailable()
    _report_receiver[0](reporter=reporter, target=target, reason=reason, details=details)
    return target

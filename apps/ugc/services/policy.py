"""What a title lets its players upload, and how fast (docs/ugc.md, "Title policy").

* ``kind_allowed_check`` — the title's allowed kinds (``TitleSettings.allowed_kinds``; no row:
  every kind). Every creation path calls it: portal, REST, resumable sessions, title-key
  versions, ``ugc.published`` events, publishing a draft.
* ``upload_rate_take`` — the upload rate limit per player and title: a token bucket of
  ``UGC_UPLOAD_RATE_COUNT`` uploads refilled at that many per
  ``UGC_UPLOAD_RATE_WINDOW_SECONDS``, counted in Redis by the flood-control buckets chat and
  reports use (``apps.chat.limits``: atomic across processes, one round trip). It is its own
  limit, apart from the REST throttles, so the portal, REST and title keys share it.
* ``upload_admit`` — both checks an interface makes before it reads an upload's body.
"""

from django.conf import settings
from django.utils.translation import ngettext

from apps.chat.limits import Bucket, buckets_take, retry_after_seconds
from apps.players.models import Player
from apps.titles.models import Title
from apps.ugc import enforcement, selectors
from apps.ugc.enforcement import ACTION_UPLOAD
from apps.ugc.exceptions import KindNotAllowed, UploadRateLimited


def kind_allowed_check(*, title: Title, kind: str) -> None:
    """``kind_not_allowed`` (``details.allowed``) unless ``title`` accepts ``kind``."""
    allowed = selectors.title_allowed_kinds(title=title)
    if kind not in allowed:
        raise KindNotAllowed(details={"kind": kind, "allowed": allowed})


def upload_rate_take(*, player: Player, title: Title) -> None:
    """Count one upload by ``player`` in ``title``; ``upload_rate_limited`` (nothing counted)
    when the bucket is empty, with ``details.retry_after`` seconds until one is allowed.
    Every attempt that gets past this counts, refused files too: the limit bounds the work
    uploads cause, not only what they store."""
    count = settings.UGC_UPLOAD_RATE_COUNT
    window = settings.UGC_UPLOAD_RATE_WINDOW_SECONDS
    bucket = Bucket(f"ugc_upload:{player.id}:{title.id}", count, count / window)
    wait = buckets_take([bucket])
    if wait > 0:
        seconds = retry_after_seconds(wait)
        message = ngettext(
            "You are uploading too much to this game. Try again in %(seconds)d second.",
            "You are uploading too much to this game. Try again in %(seconds)d seconds.",
            seconds,
        ) % {"seconds": seconds}
        details = {"retry_after": seconds, "limit": count, "window_seconds": window}
        raise UploadRateLimited(message, details=details)


def upload_admit(*, player: Player, title: Title) -> None:
    """Before an upload's body is read: the sanction seam, then the rate limit. An interface
    that calls this passes ``is_rate_counted=True`` to ``item_create``/``version_add``."""
    enforcement.ugc_sanction_check(player=player, action=ACTION_UPLOAD, title=title)
    upload_rate_take(player=player, title=title)

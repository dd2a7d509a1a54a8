"""Handing out files: every download and thumbnail goes through a visibility check and ends
in a short-lived signed URL (``storage.blob_signed_url``) — never a public blob URL."""

from dataclasses import dataclass

from apps.ugc import selectors
from apps.ugc.exceptions import NoFile, UnknownItem
from apps.ugc.models import Item, ItemVersion, Kind, Thumbnail, ThumbnailState
from apps.ugc.services.engagement import download_record
from apps.ugc.storage import SignedUrl, blob_signed_url


@dataclass(frozen=True)
class DownloadLink:
    signed: SignedUrl
    version: ItemVersion
    counted: bool


def item_download_link(
    *, viewer: selectors.Viewer, item: Item, number: int | None = None
) -> DownloadLink:
    """A download of the version ``viewer`` gets (``number``, else the current one); counts
    once per player per day. ``unknown_item`` when the viewer may not have the files."""
    if not selectors.item_can_fetch_files(viewer=viewer, item=item):
        raise UnknownItem()
    if item.kind == Kind.CLIP or not item.versions.exists():
        raise NoFile()
    version = selectors.version_for_viewer(viewer=viewer, item=item, number=number)
    signed = blob_signed_url(
        name=version.file_name, filename=version.original_filename,
        content_type=version.content_type, as_attachment=True,
    )  # fmt: skip
    counted = download_record(item=item, player=viewer.player)
    return DownloadLink(signed=signed, version=version, counted=counted)


def item_thumbnail_link(*, viewer: selectors.Viewer, item: Item, size: str) -> SignedUrl | None:
    """A signed link to one thumbnail of the version ``viewer`` sees; None while there is
    none (show the placeholder). ``unknown_item`` when the viewer may not see it."""
    if not selectors.item_can_fetch_files(viewer=viewer, item=item):
        raise UnknownItem()
    try:
        version = selectors.version_for_viewer(viewer=viewer, item=item)
    except UnknownItem:
        return None
    if version.thumbnail_state != ThumbnailState.READY:
        return None
    thumbnail = Thumbnail.objects.filter(version=version, size=size).first()
    if thumbnail is None:
        return None
    return blob_signed_url(
        name=thumbnail.name, filename=f"{item.id}-{size}.webp", content_type="image/webp",
        as_attachment=False,
    )  # fmt: skip

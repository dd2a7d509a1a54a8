"""Thumbnails: WebP renditions of a version's image (screenshots, artwork) or preview
(archives), made by the Celery task ``ugc.thumbnails_make`` after the version is committed.

Sizes (longest side, never upscaled): large 1280, medium 640, small 320 — each made from the
next larger one. Idempotent: sizes that exist are skipped, and a rendition made twice by two
runs keeps one row (the unique constraint) and deletes the other's file. Until the version is
``ready`` the portal and API show a placeholder. A source Pillow cannot decode marks the
version ``failed`` (not retried); storage errors propagate so the task retries them.
"""

import io
import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from PIL import Image

from apps.common.images import ImageRejected, image_encode, image_open_checked
from apps.ugc.models import ItemVersion, Thumbnail, ThumbnailState
from apps.ugc.storage import blob_delete, blob_read, blob_save, file_name_new

logger = logging.getLogger(__name__)

# Largest first: each is made from the previous one (cheaper than from the original).
THUMBNAIL_SIZES = {"large": 1280, "medium": 640, "small": 320}
THUMBNAIL_QUALITY = 80


Rendition = tuple[bytes, int, int]  # WebP bytes, width, height


def thumbnail_renditions_each(image: Image.Image) -> Iterator[tuple[str, Rendition]]:
    """(size name, rendition) for every size in ``THUMBNAIL_SIZES``, largest first, each
    yielded as soon as it is encoded. Pure Pillow: the bench compares the task with the same
    resizes and encodes. ``image`` is shrunk in place (each rendition is bytes by the time
    the next, smaller one is made, so no pixel copy is needed): pass an image you own."""
    current = image if image.mode in ("RGB", "RGBA") else image.convert("RGBA")
    for size, box in THUMBNAIL_SIZES.items():
        current.thumbnail((box, box), Image.Resampling.LANCZOS, reducing_gap=2.0)
        data = image_encode(current, image_format="WEBP", quality=THUMBNAIL_QUALITY)
        yield size, (data, current.width, current.height)


def thumbnail_renditions(image: Image.Image) -> dict[str, Rendition]:
    return dict(thumbnail_renditions_each(image))


def _source_name(version: ItemVersion) -> str:
    if version.preview_name:
        return version.preview_name
    return version.file_name if version.content_type.startswith("image/") else ""


def _state_set(version_id: int, state: str) -> None:
    ItemVersion.objects.filter(id=version_id, thumbnail_state=ThumbnailState.PENDING).update(
        thumbnail_state=state
    )


def _load(name: str) -> Image.Image | None:
    data = blob_read(name)
    try:
        return image_open_checked(io.BytesIO(data), max_pixels=settings.UGC_IMAGE_MAX_PIXELS)
    except ImageRejected:
        return None


def _save(size: str, data: bytes) -> str:
    return blob_save(
        name=file_name_new(role=f"thumb-{size}", extension="webp"),
        source=io.BytesIO(data),
        content_type="image/webp",
    )


def _store(version: ItemVersion, renditions: Iterable[tuple[str, Rendition]]) -> None:
    """Write the files — each one while the next size is being encoded — then their rows in
    one statement; a size another run recorded first keeps that run's row, and this run's
    file for it is deleted."""
    rows: list[Thumbnail] = []
    with ThreadPoolExecutor(max_workers=len(THUMBNAIL_SIZES)) as pool:
        saving = [
            (pool.submit(_save, size, data), size, width, height)
            for size, (data, width, height) in renditions
        ]
        failure: BaseException | None = None
        for future, size, width, height in saving:
            try:
                rows.append(
                    Thumbnail(version=version, size=size, name=future.result(), width=width,
                              height=height)
                )  # fmt: skip
            except BaseException as error:
                failure = failure or error
    try:
        if failure is not None:
            raise failure
        Thumbnail.objects.bulk_create(rows, ignore_conflicts=True)
    except BaseException:
        blob_delete([row.name for row in rows])
        raise
    kept = set(Thumbnail.objects.filter(version=version).values_list("name", flat=True))
    blob_delete([row.name for row in rows if row.name not in kept])


def version_thumbnails_make(*, version_id: int) -> str:
    """Make the missing thumbnails of a version; returns its thumbnail state afterwards."""
    version = ItemVersion.objects.filter(id=version_id).first()
    if version is None:
        return "gone"
    if version.thumbnail_state != ThumbnailState.PENDING:
        return version.thumbnail_state
    source_name = _source_name(version)
    if not source_name:
        _state_set(version.id, ThumbnailState.NONE)
        return ThumbnailState.NONE
    image = _load(source_name)
    if image is None:
        logger.warning("ugc thumbnail source undecodable", extra={"version_id": version.id})
        _state_set(version.id, ThumbnailState.FAILED)
        return ThumbnailState.FAILED
    existing = set(Thumbnail.objects.filter(version=version).values_list("size", flat=True))
    if existing != set(THUMBNAIL_SIZES):
        _store(
            version,
            (item for item in thumbnail_renditions_each(image) if item[0] not in existing),
        )
    _state_set(version.id, ThumbnailState.READY)
    return ThumbnailState.READY

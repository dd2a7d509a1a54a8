"""Cleaning of an item's own fields (shared by create, update and game events): plain text,
automod, tags, visibility, clip links, game-version ranges."""

from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import Value

from apps.common.exceptions import InvalidInput
from apps.common.localized_text import translations_clean
from apps.titles.models import Title
from apps.ugc.enforcement import ugc_text_check
from apps.ugc.exceptions import InvalidName, TextTooLong
from apps.ugc.models import Item, ItemTag, ItemVisibility, Tag
from apps.ugc.text import game_version_range, plain_text, tags_normalize

NAME_MAX = 120
DESCRIPTION_MAX = 5000
CHANGELOG_MAX = 2000


@dataclass
class ItemInput:
    """What a creator sends for an item (everything but the files)."""

    kind: str
    name: str
    description: str = ""
    tags: list[str] | str = field(default_factory=list)  # a list, or comma-separated
    visibility: str = ItemVisibility.PUBLIC
    link_url: str = ""
    # Language code → description (``description`` is the fallback); None: left as it is.
    description_translations: object = None


@dataclass
class VersionInput:
    changelog: str = ""
    game_version_min: str = ""
    game_version_max: str = ""


@dataclass(frozen=True)
class CleanVersion:
    changelog: str
    game_version_min: str
    game_version_max: str
    compat_min_key: int | None
    compat_max_key: int | None


def text_clean(raw: str, *, title: Title, field_name: str, max_length: int, multiline: bool) -> str:
    text = plain_text(raw or "", multiline=multiline)
    if len(text) > max_length:
        raise TextTooLong(details={"field": field_name, "max_length": max_length})
    return ugc_text_check(text=text, title=title).text


def description_clean(raw: str, *, title: Title) -> str:
    return text_clean(
        raw, title=title, field_name="description", max_length=DESCRIPTION_MAX, multiline=True
    )


def description_translations_clean(raw: object, *, title: Title) -> dict[str, str]:
    """Each language's description goes through the description's own checks (plain text,
    ``text_too_long``, automod's ``content_rejected``, with ``details.language``)."""

    def clean(text: object) -> str:
        if not isinstance(text, str):
            raise InvalidInput(details={"fields": {"description_translations": ["not text"]}})
        return text_clean(
            text, title=title, field_name="description_translations",
            max_length=DESCRIPTION_MAX, multiline=True,
        )  # fmt: skip

    return translations_clean(raw, field="description_translations", clean=clean)


def name_clean(raw: str, *, title: Title) -> str:
    name = text_clean(raw, title=title, field_name="name", max_length=NAME_MAX, multiline=False)
    if not name:
        raise InvalidName()
    return name


def version_clean(data: VersionInput, *, title: Title) -> CleanVersion:
    low, high = game_version_range(data.game_version_min, data.game_version_max)
    changelog = text_clean(
        data.changelog, title=title, field_name="changelog", max_length=CHANGELOG_MAX,
        multiline=True,
    )  # fmt: skip
    return CleanVersion(
        changelog=changelog,
        game_version_min=data.game_version_min.strip() if low is not None else "",
        game_version_max=data.game_version_max.strip() if high is not None else "",
        compat_min_key=low,
        compat_max_key=high,
    )


def tags_set(*, item: Item, slugs: list[str]) -> None:
    """Replace the item's tags (rows per title, created on first use; race-safe through the
    unique constraint) and the denormalized ``tags_text``."""
    tags = []
    for slug in slugs:
        tag, _created = Tag.objects.get_or_create(title_id=item.title_id, slug=slug)
        tags.append(tag)
    ItemTag.objects.filter(item=item).exclude(tag__in=tags).delete()
    existing = set(ItemTag.objects.filter(item=item).values_list("tag_id", flat=True))
    ItemTag.objects.bulk_create(
        [ItemTag(item=item, tag=tag) for tag in tags if tag.id not in existing]
    )
    item.tags_text = " ".join(slugs)


def tags_clean(raw: list[str] | str) -> list[str]:
    return tags_normalize(raw)


def _descriptions(item: Item) -> str:
    return "\n".join([item.description, *item.description_translations.values()])


def search_vector_update(*, item: Item) -> None:
    """PostgreSQL: refresh the item's full-text vector (name A, tags B, the description in
    every language C; the 'simple' configuration, since titles are multilingual). Other
    databases search with substring matches and keep no vector."""
    if connection.vendor != "postgresql":
        return
    vector = (
        SearchVector(Value(item.name), weight="A", config="simple")
        + SearchVector(Value(item.tags_text), weight="B", config="simple")
        + SearchVector(Value(_descriptions(item)), weight="C", config="simple")
    )
    Item.objects.filter(id=item.id).update(search_vector=vector)

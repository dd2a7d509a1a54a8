from typing import Any

from apps.titles.models import Title

DEMO_TITLES: list[dict[str, Any]] = [
    {
        "slug": "starfall-arena",
        "name": "Starfall Arena",
        "publisher": "Demo Publisher",
        "description": "A 5v5 arena shooter.",
        "platforms": ["pc", "xbox", "playstation"],
        "default_locale": "en",
    },
    {
        "slug": "kaiju-kingdoms",
        "name": "Kaiju Kingdoms",
        "publisher": "Demo Publisher",
        "description": "怪獣ストラテジー — a kaiju strategy game.",
        "platforms": ["pc", "nintendo"],
        "default_locale": "ja",
    },
    {
        "slug": "tiny-racers",
        "name": "Tiny Racers",
        "publisher": "Demo Publisher",
        "description": "Kart racing with custom tracks.",
        "platforms": ["pc", "steam", "epic"],
        "default_locale": "en",
    },
]


def seed() -> list[str]:
    for fields in DEMO_TITLES:
        Title.objects.get_or_create(slug=fields["slug"], defaults=fields)
    return [f"Demo titles: {', '.join(t['slug'] for t in DEMO_TITLES)}"]

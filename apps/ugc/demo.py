"""Demo content for `make run`: per demo title a few screenshots and an artwork, a level and a
replay (ZIP packages with a preview), all drawn by code — no binary files in git. They go
through the same services as uploads (validation, storage, thumbnails), with likes, a comment
thread, a subscription, one friends-only item, and a trending recompute.

Idempotent: an item is only created when its creator has none of that name in that title.
Runs after the players and chat demos (INSTALLED_APPS order)."""

import hashlib
import io
import json
import math
import random
import tempfile
import zipfile

from PIL import Image, ImageDraw

from apps.players.models import Player
from apps.titles.models import Title
from apps.ugc.models import Item
from apps.ugc.services.comments import comment_create
from apps.ugc.services.engagement import like_set, subscription_set
from apps.ugc.services.fields import ItemInput, VersionInput
from apps.ugc.services.items import item_create
from apps.ugc.services.trending import trending_recompute
from apps.ugc.validation import ReceivedFile

# title → (creator username, kind, name, tags, visibility)
DEMO_ITEMS = {
    "starfall-arena": [
        ("alice", "screenshot", "Orbital sunrise", "sky,sunrise", "public"),
        ("daisuke", "screenshot", "Last stand on Io", "ranked,clutch", "public"),
        ("alice", "artwork", "Starfall fan poster", "fanart", "public"),
        ("daisuke", "level", "Zero-G Foundry", "arena,5v5", "public"),
        ("alice", "replay", "Grand final, game 5", "tournament", "friends"),
    ],
    "kaiju-kingdoms": [
        ("daisuke", "screenshot", "夜の怪獣都市", "night,city", "public"),
        ("emi", "artwork", "かわいい怪獣", "fanart,cute", "public"),
        ("carol", "level", "Volcano Bay", "coast,hard", "public"),
        ("carol", "replay", "Kaiju rush (speedrun)", "speedrun", "public"),
    ],
    "tiny-racers": [
        ("bob", "screenshot", "Photo finish", "photo-finish", "public"),
        ("emi", "screenshot", "Drift on ice", "drift,ice", "public"),
        ("bob", "level", "Neon Canyon", "night,desert", "public"),
        ("bob", "replay", "1:02 world record", "speedrun,record", "public"),
    ],
}
LIKES = [("bob", "Orbital sunrise"), ("daisuke", "Orbital sunrise"), ("alice", "Neon Canyon"),
         ("emi", "Neon Canyon"), ("daisuke", "Neon Canyon"), ("alice", "Volcano Bay")]  # fmt: skip
COMMENTS = [("bob", "Neon Canyon", "Best track in the game."), ("emi", "Neon Canyon", "+1!"),
            ("alice", "Zero-G Foundry", "The low-gravity jumps are brilliant.")]  # fmt: skip
SUBSCRIPTIONS = [("alice", "Neon Canyon"), ("emi", "Volcano Bay")]


def _picture(seed: str, size: tuple[int, int] = (960, 540)) -> Image.Image:
    """A deterministic scene: a sky gradient, a sun, hills and stars."""
    rng = random.Random(seed)  # noqa: S311 - decoration, not security
    width, height = size
    top = tuple(rng.randrange(0, 120) for _ in range(3))
    bottom = tuple(rng.randrange(120, 255) for _ in range(3))
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        mix = y / height
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)),
        )
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height // 2)
        draw.point((x, y), fill=(255, 255, 255))
    sun_x, sun_y, radius = rng.randrange(width), rng.randrange(height // 3), rng.randrange(30, 80)
    draw.ellipse([sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius],
                 fill=(255, rng.randrange(150, 240), 80))  # fmt: skip
    for layer in range(3):
        shade = tuple(max(0, c - 60 - 40 * layer) for c in bottom)
        phase, amplitude = rng.random() * math.tau, 20 + 15 * layer
        base = int(height * (0.6 + 0.12 * layer))
        points = [
            (x, base + int(amplitude * math.sin(x / 90 + phase))) for x in range(0, width + 20, 20)
        ]
        draw.polygon([(0, height), *points, (width, height)], fill=shade)
    return image


def _image_bytes(seed: str, image_format: str) -> bytes:
    out = io.BytesIO()
    _picture(seed).save(
        out, format=image_format, **({"quality": 90} if image_format == "JPEG" else {})
    )
    return out.getvalue()


def _package(seed: str, kind: str) -> bytes:
    """A level (map data) or a replay (frames), with a preview picture inside."""
    rng = random.Random(seed)  # noqa: S311
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if kind == "level":
            tiles = [[rng.randrange(8) for _ in range(64)] for _ in range(64)]
            archive.writestr("level.json", json.dumps({"format": 1, "name": seed, "tiles": tiles}))
        else:
            frames = [{"t": t, "x": rng.random(), "y": rng.random()} for t in range(600)]
            archive.writestr("replay.json", json.dumps({"format": 1, "frames": frames}))
        preview = io.BytesIO()
        _picture(f"{seed}-preview", (640, 360)).save(preview, format="PNG")
        archive.writestr("preview.png", preview.getvalue())
    return out.getvalue()


def _content(title: Title, kind: str, name: str) -> tuple[bytes, str]:
    seed = f"{title.slug}:{name}"
    if kind == "screenshot":
        return _image_bytes(seed, "PNG"), "screenshot.png"
    if kind == "artwork":
        return _image_bytes(seed, "JPEG"), "artwork.jpg"
    return _package(seed, kind), f"{kind}.zip"


def _create(
    title: Title, creator: Player, kind: str, name: str, tags: str, visibility: str
) -> None:
    data, filename = _content(title, kind, name)
    with tempfile.TemporaryFile() as spool:
        spool.write(data)
        received = ReceivedFile(
            file=spool, size=len(data), sha256=hashlib.sha256(data).hexdigest(), filename=filename
        )
        item_create(
            creator=creator, title=title,
            data=ItemInput(kind=kind, name=name, tags=tags, visibility=visibility,
                           description=f"Demo {kind} for {title.name}."),
            received=received,
            version=VersionInput(changelog="First version", game_version_min="1.0"),
        )  # fmt: skip


def _engagement(players: dict[str, Player]) -> None:
    items = {item.name: item for item in Item.objects.filter(state="published")}
    for username, name in LIKES:
        if username in players and name in items:
            like_set(item=items[name], player=players[username], liked=True)
    for username, name in SUBSCRIPTIONS:
        if username in players and name in items:
            subscription_set(item=items[name], player=players[username], subscribed=True)
    for username, name, body in COMMENTS:
        item = items.get(name)
        if (
            username in players
            and item is not None
            and not item.comments.filter(body=body).exists()
        ):
            comment_create(item=item, author=players[username], body=body)


def seed() -> list[str]:
    players = {
        player.user.username: player
        for player in Player.objects.filter(
            user__username__in=["alice", "bob", "carol", "daisuke", "emi"]
        ).select_related("user")
        if player.user
    }
    created = 0
    for slug, entries in DEMO_ITEMS.items():
        title = Title.objects.filter(slug=slug).first()
        if title is None:
            continue
        for username, kind, name, tags, visibility in entries:
            creator = players.get(username)
            if (
                creator is None
                or Item.objects.filter(title=title, creator=creator, name=name).exists()
            ):
                continue
            _create(title, creator, kind, name, tags, visibility)
            created += 1
    _engagement(players)
    trending_recompute()
    return [
        f"UGC: {created} demo items made by code ({Item.objects.count()} in all); the moderator"
        " login reviews, hides and removes content in the admin (User-generated content)"
    ]

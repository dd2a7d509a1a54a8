"""The malicious-upload corpus, built by the tests: every file gets its documented error code
and leaves nothing behind — no stored file, no row, no spool file."""

import io

import pytest
from PIL import Image

from apps.ugc.models import Item, ItemVersion
from tests.ugc import corpus
from tests.ugc.conftest import client_for, stored_files, upload

pytestmark = pytest.mark.django_db


def assert_nothing_stored(storage_root, spool) -> None:  # type: ignore[no-untyped-def]
    assert stored_files(storage_root) == []
    assert list(spool.iterdir()) == []
    assert Item.objects.count() == 0
    assert ItemVersion.objects.count() == 0


CORPUS = [
    # (case, kind, filename, content, code, details subset)
    ("zip named .png", "screenshot", "cat.png", corpus.level_zip(), "unsupported_type",
     {"detected": "zip"}),
    ("png named .zip", "level", "level.zip", corpus.image_bytes("PNG"), "unsupported_type",
     {"detected": "png"}),
    ("html named .jpg", "screenshot", "photo.jpg", b"<!DOCTYPE html><html><script>alert(1)"
     b"</script></html>", "unsupported_type", {"detected": "html"}),
    ("gif+js polyglot", "artwork", "art.gif", corpus.gif_js_polyglot(), "unsupported_type",
     {"detected": "gif"}),
    ("jpeg+zip polyglot", "screenshot", "shot.jpg", corpus.jpeg_zip_polyglot(), "polyglot", {}),
    ("jpeg+zip as a level", "level", "level.zip", corpus.jpeg_zip_polyglot(), "unsupported_type",
     {"detected": "jpeg"}),
    ("png with data after IEND", "screenshot", "shot.png",
     corpus.image_bytes("PNG") + b"<script>alert(1)</script>", "polyglot", {}),
    ("svg with script", "artwork", "logo.svg", corpus.svg_with_script(), "unsupported_type",
     {"detected": "svg"}),
    ("decompression bomb (header)", "screenshot", "bomb.png", corpus.png_bomb(),
     "decompression_bomb", {}),
    ("decompression bomb (over our limit)", "screenshot", "big.png",
     corpus.png_bomb(8000, 8000), "decompression_bomb", {}),
    ("truncated png", "screenshot", "half.png", corpus.truncated(corpus.noisy_png()),
     "corrupt_file", {}),
    ("truncated jpeg", "screenshot", "half.jpg",
     corpus.truncated(corpus.image_bytes("JPEG", (400, 300), quality=95)), "corrupt_file", {}),
    ("zip bomb (ratio)", "level", "level.zip", corpus.zip_ratio_bomb(), "archive_unsafe",
     {"reason": "compression_ratio"}),
    ("zip bomb (lying sizes)", "level", "level.zip", corpus.zip_lying_size(), "archive_unsafe",
     {"reason": "entry_mismatch"}),
    ("zip bomb (overlapping entries)", "mod", "mod.zip", corpus.zip_overlapping(),
     "archive_unsafe", {"reason": "overlapping_entries"}),
    ("path traversal", "mod", "mod.zip", corpus.zip_traversal(), "archive_unsafe",
     {"reason": "path_traversal"}),
    ("absolute path", "mod", "mod.zip", corpus.zip_traversal("/etc/passwd"), "archive_unsafe",
     {"reason": "path_traversal"}),
    ("windows drive path", "mod", "mod.zip", corpus.zip_traversal("C:/Windows/evil.dll"),
     "archive_unsafe", {"reason": "path_traversal"}),
    ("backslash traversal", "mod", "mod.zip", corpus.zip_traversal("..\\..\\evil.dll"),
     "archive_unsafe", {"reason": "path_traversal"}),
    ("symlink", "level", "level.zip", corpus.zip_symlink(), "archive_unsafe",
     {"reason": "symlink"}),
    ("encrypted entry", "level", "level.zip", corpus.zip_encrypted(), "archive_unsafe",
     {"reason": "encrypted"}),
    ("truncated zip", "level", "level.zip", corpus.truncated(corpus.level_zip()), "corrupt_file",
     {}),
    ("empty file", "screenshot", "empty.png", b"", "empty_file", {}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "filename", "content", "code", "details"),
    [case[1:] for case in CORPUS],
    ids=[case[0] for case in CORPUS],
)
def test_each_malicious_file_gets_its_code_and_stores_nothing(
    ugc_storage, spooled, title, alice, kind, filename, content, code, details
):
    response = upload(client_for(alice), title.slug, kind=kind, content=content, filename=filename)

    assert response.status_code in (400, 413), response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert details.items() <= error["details"].items()
    assert_nothing_stored(ugc_storage, spooled)


def test_too_many_entries_is_refused(ugc_storage, spooled, settings, title, alice):
    settings.UGC_ARCHIVE_MAX_ENTRIES = 10

    response = upload(client_for(alice), title.slug, kind="level",
                      content=corpus.zip_many_entries(11), filename="level.zip")  # fmt: skip

    assert response.json()["error"]["details"] == {"reason": "too_many_entries"}
    assert_nothing_stored(ugc_storage, spooled)


def test_an_oversized_file_is_refused_with_413(ugc_storage, spooled, settings, title, alice):
    settings.UGC_MAX_BYTES = {**settings.UGC_MAX_BYTES, "screenshot": 2000}

    response = upload(client_for(alice), title.slug, kind="screenshot",
                      content=corpus.noisy_png(), filename="big.png")  # fmt: skip

    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "too_large",
        "message": "The file is larger than allowed for this kind of content.",
        "details": {"max_bytes": 2000},
    }
    assert_nothing_stored(ugc_storage, spooled)


def test_a_body_larger_than_any_kind_allows_is_refused_unread(
    ugc_storage, spooled, settings, title, alice
):
    settings.UGC_MAX_BYTES = dict.fromkeys(settings.UGC_MAX_BYTES, 1000)

    response = upload(client_for(alice), title.slug, kind="mod",
                      content=bytes(4 << 20), filename="mod.zip")  # fmt: skip

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert_nothing_stored(ugc_storage, spooled)


def test_exif_gps_is_stripped_from_an_accepted_jpeg(ugc_storage, title, alice):
    original = corpus.jpeg_with_gps_exif()
    with Image.open(io.BytesIO(original)) as check:
        assert check.getexif().get_ifd(0x8825)  # the corpus file really carries GPS

    response = upload(client_for(alice), title.slug, kind="screenshot", content=original,
                      filename="holiday.jpg")  # fmt: skip

    assert response.status_code == 201, response.content
    version = ItemVersion.objects.get()
    stored = (ugc_storage / version.file_name).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "exif" not in image.info and "comment" not in image.info
    assert b"SpyCam" not in stored and b"secret comment" not in stored
    assert version.content_type == "image/jpeg"
    assert version.original_filename == "holiday.jpg"


@pytest.mark.parametrize(
    ("raw_name", "expected"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\me\\shot.png", "shot.png"),
        ("evil<script>;x.html.png", "evil_script_x.html.png"),
        ("\u202egnp.exe", "gnp.png"),
        ("shot.exe", "shot.png"),
    ],
)
def test_filenames_are_sanitized_and_take_the_verified_extension(
    ugc_storage, title, alice, raw_name, expected
):
    response = upload(client_for(alice), title.slug, kind="screenshot",
                      content=corpus.image_bytes("PNG"), filename=raw_name)  # fmt: skip

    assert response.status_code == 201, response.content
    assert response.json()["current_version"]["filename"] == expected
    assert all(raw_name not in name for name in stored_files(ugc_storage))


def test_an_exact_duplicate_is_refused_and_names_the_item_only_if_visible(
    ugc_storage, spooled, title, alice, bob
):
    content = corpus.level_zip(seed=7)
    first = upload(client_for(alice), title.slug, kind="level", content=content,
                   filename="level.zip", visibility="private")  # fmt: skip
    files_before = stored_files(ugc_storage)

    again = upload(client_for(alice), title.slug, kind="level", content=content,
                   filename="copy.zip")  # fmt: skip
    other = upload(client_for(bob), title.slug, kind="level", content=content,
                   filename="stolen.zip")  # fmt: skip

    assert first.status_code == 201
    assert (again.status_code, again.json()["error"]["code"]) == (409, "duplicate")
    assert again.json()["error"]["details"] == {"item_id": first.json()["id"]}
    assert (other.status_code, other.json()["error"]) == (409, {
        "code": "duplicate",
        "message": "This exact file has already been published for this title.",
        "details": {},  # bob may not see alice's private item: its id is not leaked
    })  # fmt: skip
    assert stored_files(ugc_storage) == files_before
    assert Item.objects.count() == 1
    assert list(spooled.iterdir()) == []

"""A player's data export includes their content, comments and engagement."""

import pytest

from apps.players.data_rights import player_export
from tests.ugc import corpus
from tests.ugc.conftest import client_for, upload

pytestmark = pytest.mark.django_db


def test_the_export_has_a_ugc_section(title, alice, bob):
    item = upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(),
                  filename="canyon.zip", name="Neon Canyon", tags="night").json()  # fmt: skip
    client_for(alice).put(f"/api/v1/ugc/items/{item['id']}/like")
    client_for(alice).post(f"/api/v1/ugc/items/{item['id']}/comments", {"body": "v2 soon"})

    section = player_export(player=alice)["ugc"]

    [exported] = section["items"]
    assert (exported["name"], exported["tags"], exported["state"]) == (
        "Neon Canyon", ["night"], "published")  # fmt: skip
    assert [v["original_filename"] for v in exported["versions"]] == ["canyon.zip"]
    assert [c["body"] for c in section["comments"]] == ["v2 soon"]
    assert section["likes"] == [item["id"]]
    assert player_export(player=bob)["ugc"]["items"] == []


def test_erasing_an_account_deletes_its_content_and_files_and_empties_its_comments(
    title, alice, bob, ugc_storage, django_capture_on_commit_callbacks
):
    from apps.players.data_rights import player_erase
    from apps.ugc.models import Comment, Item, Like
    from tests.ugc.conftest import stored_files

    mine = upload(client_for(alice), title.slug, kind="level", content=corpus.level_zip(),
                  filename="canyon.zip", name="Neon Canyon").json()  # fmt: skip
    theirs = upload(client_for(bob), title.slug, kind="level", content=corpus.level_zip(1),
                    filename="bay.zip", name="Bob's Bay").json()  # fmt: skip
    client_for(alice).put(f"/api/v1/ugc/items/{theirs['id']}/like")
    client_for(alice).post(f"/api/v1/ugc/items/{theirs['id']}/comments", {"body": "my words"})
    files_before = stored_files(ugc_storage)

    with django_capture_on_commit_callbacks(execute=True):
        player_erase(player=alice)

    bobs = Item.objects.get(id=theirs["id"])
    assert not Item.objects.filter(id=mine["id"]).exists()
    assert len(stored_files(ugc_storage)) < len(files_before)  # alice's archive is gone
    assert stored_files(ugc_storage) and all(
        "canyon" not in name for name in stored_files(ugc_storage)
    )
    comment = Comment.objects.get(item=bobs)
    assert (comment.body, comment.deleted_at is not None) == ("", True)
    assert (bobs.comment_count, bobs.like_count) == (0, 0)
    assert not Like.objects.filter(player=alice).exists()

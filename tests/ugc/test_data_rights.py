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

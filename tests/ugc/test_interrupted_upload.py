"""An upload cut off in the middle of its body leaves nothing behind — on Daphne (ASGI, the
websocket server that also serves everything under ``make run``) and on gunicorn (WSGI, the
production HTTP server) — while a complete upload to the same server is stored."""

import os

import pytest

from apps.accounts.services import api_token_create
from apps.ugc.models import Item, ItemVersion
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory
from tests.support.live import run_daphne
from tests.ugc import corpus
from tests.ugc.live import post_upload, response_json, run_gunicorn, wait_until_empty

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SERVERS = {"daphne": run_daphne, "gunicorn": run_gunicorn}


@pytest.mark.parametrize("server_name", list(SERVERS))
def test_an_interrupted_upload_leaves_nothing(tmp_path, server_name):
    title = TitleFactory(slug="starfall-arena")
    player = PlayerFactory()
    token = api_token_create(user=player.user, name="uploader").secret
    storage, spool = tmp_path / "storage", tmp_path / "spool"
    storage.mkdir()
    spool.mkdir()
    content = corpus.zip_bytes({"mod/data.bin": os.urandom(6 << 20)})
    path = f"/api/v1/ugc/titles/{title.slug}/items"
    fields = {"kind": "mod", "name": "Half a mod"}

    with SERVERS[server_name](
        tmp_path, UGC_STORAGE_LOCATION=str(storage), UGC_SPOOL_DIR=str(spool)
    ) as server:
        post_upload(server.url, path, token, fields, content, cut_after=3 << 20)
        left_in_spool = wait_until_empty(spool)
        left_in_storage = wait_until_empty(storage, timeout=1)
        rows_after_cut = Item.objects.count()
        complete = post_upload(server.url, path, token, {**fields, "name": "Whole"}, content)

    assert left_in_spool == [] and left_in_storage == []
    assert rows_after_cut == 0
    status, created = response_json(complete)
    assert status == 201, created
    version = ItemVersion.objects.get()
    assert (created["name"], version.size) == ("Whole", len(content))
    assert [p.name for p in storage.rglob("*") if p.is_file()] == ["file.zip"]
    assert wait_until_empty(spool) == []

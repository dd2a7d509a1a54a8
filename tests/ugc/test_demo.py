"""seed_demo makes a living gallery by code (images, levels, replays), idempotently."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from apps.ugc.models import Item, ItemVersion
from tests.ugc.conftest import stored_files

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_the_galleries_once(ugc_storage, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=StringIO())
    files = stored_files(ugc_storage)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)

    kinds = set(Item.objects.values_list("title__slug", "kind"))
    assert {("starfall-arena", "screenshot"), ("starfall-arena", "level"),
            ("kaiju-kingdoms", "replay"), ("tiny-racers", "level")} <= kinds  # fmt: skip
    assert Item.objects.count() == 13
    assert set(ItemVersion.objects.values_list("thumbnail_state", flat=True)) == {"ready"}
    assert Item.objects.get(name="Neon Canyon").like_count == 3
    assert Item.objects.get(name="Neon Canyon").trending_score > 0
    assert "UGC: 0 demo items made by code (13 in all);" in out.getvalue()
    assert stored_files(ugc_storage) == files
    moderators = Group.objects.get(name="moderators")
    assert moderators.permissions.filter(codename="moderate_item").exists()

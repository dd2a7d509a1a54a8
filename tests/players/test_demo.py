import pytest
from django.core.management import call_command

from apps.players.models import Achievement, Friendship, Player, PlayerIdentity, PlayerTitleStats

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_a_lively_idempotent_community():
    call_command("seed_demo")
    counts = [
        model.objects.count()
        for model in (Player, Friendship, PlayerIdentity, PlayerTitleStats, Achievement)
    ]
    call_command("seed_demo")

    assert counts == [5, 4, 4, 5, 4]
    assert [model.objects.count() for model in (
        Player, Friendship, PlayerIdentity, PlayerTitleStats, Achievement
    )] == counts  # fmt: skip
    assert Player.objects.get(user__username="daisuke").display_name == "大輔"
    assert Player.objects.get(user__username="alice").friend_requests_received.count() == 1

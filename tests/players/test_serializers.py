"""List rows are written by hand for speed; what they hold must stay what the OpenAPI schema
(the serializers' declared fields) documents, field for field."""

import pytest
from django.utils import timezone
from rest_framework import serializers

from apps.players.apis.serializers import (
    ActivitySerializer,
    NotificationSerializer,
    PlayerCardSerializer,
    PlayerWithPresenceSerializer,
)
from apps.players.models import ActivityEntry
from apps.players.presence import presence_visible_to
from apps.players.services import notification_create
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory


def declared(serializer_class, instance, context=None):
    """The output DRF builds from the declared fields."""
    return serializers.Serializer.to_representation(
        serializer_class(context=context or {}), instance
    )


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo"])
def test_hand_written_rows_equal_the_documented_fields(zone):
    player, actor = PlayerFactory(display_name="Aiko"), PlayerFactory(display_name="Bob")
    with_title = ActivityEntry.objects.create(
        player=player, kind="match_completed", data={"won": True}, title=TitleFactory()
    )
    without_title = ActivityEntry.objects.create(player=player, kind="joined", data={})
    from_actor = notification_create(recipient=player, kind="mention", data={"c": 1}, actor=actor)
    from_nobody = notification_create(recipient=player, kind="moderation", data={})
    from_nobody.read_at = timezone.now()

    with timezone.override(zone):
        pairs = [
            (PlayerCardSerializer, player),
            (ActivitySerializer, with_title),
            (ActivitySerializer, without_title),
            (NotificationSerializer, from_actor),
            (NotificationSerializer, from_nobody),
        ]
        for serializer_class, instance in pairs:
            assert serializer_class(instance).data == declared(serializer_class, instance)


@pytest.mark.django_db
def test_a_friend_row_with_presence_equals_the_documented_fields():
    viewer, friend = PlayerFactory(), PlayerFactory(display_name="Chika")
    context = {"presence": presence_visible_to(viewer=viewer, players=[friend])}

    served = PlayerWithPresenceSerializer(friend, context=context).data

    assert served == declared(PlayerWithPresenceSerializer, friend, context)
    assert served["presence"]["status"] == "offline"

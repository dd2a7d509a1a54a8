"""List rows are written by hand for speed; what they hold must stay what the OpenAPI schema
(the serializers' declared fields) documents, field for field."""

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from apps.api.renderers import OrjsonRenderer
from apps.players import selectors
from apps.players.apis.serializers import (
    ActivitySerializer,
    NotificationSerializer,
    PlayerCardSerializer,
    PlayerWithPresenceSerializer,
    activity_rows,
    friend_rows,
    notification_rows,
)
from apps.players.friends import friend_request_send
from apps.players.models import ActivityEntry, Notification, Privacy
from apps.players.presence import presence_visible_to
from apps.players.presence_store import presence_store
from apps.players.services import notification_create
from tests.factories import TitleFactory
from tests.players.factories import PlayerFactory


def body(rows) -> bytes:
    """What a client receives for hand-written rows (UTC times stay ``datetime`` until here)."""
    return OrjsonRenderer().render(rows, "application/json")


def reference(data) -> bytes:
    """DRF's own renderer, for what its serializers built."""
    return JSONRenderer().render(data, "application/json")


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


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo"])
def test_api_pages_read_as_rows_equal_the_documented_fields(zone):
    """The feed, a player's activity and notifications are served from rows
    (``activity_rows`` / ``notification_rows``), not serializer instances."""
    player = PlayerFactory(display_name="Aiko", avatar_large="avatars/1/ab12-l.webp",
                           avatar_small="avatars/1/ab12-s.webp")  # fmt: skip
    gone = PlayerFactory(avatar_large="avatars/2/cd34-l.webp", deleted_at=timezone.now())
    entries = [
        ActivityEntry.objects.create(
            player=player, kind="match_completed", data={"won": True}, title=TitleFactory()
        ),
        ActivityEntry.objects.create(player=gone, kind="joined", data={}),
    ]
    notifications = [
        notification_create(recipient=player, kind="mention", data={"c": 1}, actor=gone),
        notification_create(recipient=player, kind="moderation", data={}),
    ]
    Notification.objects.filter(id=notifications[1].id).update(read_at=timezone.now())
    notifications[1].refresh_from_db()

    with timezone.override(zone):
        activity = ActivityEntry.objects.filter(id__in=[e.id for e in entries]).order_by("id")
        served = activity_rows(activity.values(*selectors.ACTIVITY_ROW))
        assert body(served) == reference([declared(ActivitySerializer, e) for e in entries])
        assert served[0]["player"]["avatar_url"] is not None
        assert served[1]["player"]["avatar_url"] is None  # a deleted player shows no avatar

        rows = Notification.objects.filter(recipient=player).order_by("id")
        served = notification_rows(rows.values(*selectors.NOTIFICATION_ROW))
        assert body(served) == reference(
            [declared(NotificationSerializer, n) for n in notifications]
        )
        assert served[1]["actor"] is None and served[1]["read_at"] is not None


@pytest.mark.django_db
def test_the_friends_list_read_as_rows_equals_the_documented_fields():
    viewer = PlayerFactory()
    shown = PlayerFactory(display_name="Chika", avatar_large="avatars/3/ef56-l.webp",
                          avatar_small="avatars/3/ef56-s.webp")  # fmt: skip
    private = PlayerFactory(display_name="Daichi", privacy=Privacy.PRIVATE)
    for friend in (shown, private):
        friend_request_send(sender=viewer, recipient=friend)
        friend_request_send(sender=friend, recipient=viewer)
    presence_store().connection_open(user_id=shown.user_id, connection_id="c1")
    presence_store().connection_open(user_id=private.user_id, connection_id="c2")

    friends = selectors.friends_of(player=viewer)
    context = {"presence": presence_visible_to(viewer=viewer, players=friends)}
    served = friend_rows(selectors.friend_rows_of(player=viewer))

    assert served == [declared(PlayerWithPresenceSerializer, f, context) for f in friends]
    assert [row["presence"]["status"] for row in served] == ["online", "offline"]

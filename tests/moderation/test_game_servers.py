"""Game servers: in-game sanction events become sanctions; REST reads and writes by scope."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.game_events.envelope import envelope_validate
from apps.game_events.models import Channel as IngestChannel
from apps.game_events.models import InboxEvent
from apps.game_events.services import events_apply_pending, events_ingest
from apps.moderation.enforcement import Action, sanction_holds
from apps.moderation.models import AuditEntry, Sanction
from apps.players.services import player_get_or_create_by_identity
from apps.titles import scopes
from apps.titles.services import title_credential_create
from tests.game_events.events import cloud_event

pytestmark = pytest.mark.django_db

REF = {"provider": "steam", "external_id": "76561198000000003"}


def server(title, *scope_list) -> APIClient:
    client = APIClient()
    key = title_credential_create(title=title, name="server", scopes=list(scope_list)).key
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def ingest(*events) -> None:
    events_ingest(events=[envelope_validate(e) for e in events], channel=IngestChannel.HTTP)
    events_apply_pending()


def test_an_in_game_ban_event_becomes_a_title_sanction_once(title, other_title):
    until = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    data = {"player": REF, "sanction_id": "ban-7", "kind": "ban", "reason": "aimbot",
            "expires_at": until.isoformat().replace("+00:00", "Z")}  # fmt: skip

    ingest(cloud_event("player.sanctioned", event_id="e1", data=data))
    ingest(cloud_event("player.sanctioned", event_id="e2", data=data))  # the game resent it

    sanction = Sanction.objects.get()
    player = sanction.player
    assert (sanction.kind, sanction.title, sanction.issuer_kind) == ("ban", title, "game_server")
    assert (sanction.external_id, sanction.expires_at, sanction.reason) == ("ban-7", until,
                                                                            "aimbot")  # fmt: skip
    assert sanction_holds(player=player, action=Action.CHAT_SEND, title=title)
    assert not sanction_holds(player=player, action=Action.CHAT_SEND, title=other_title)
    assert not sanction_holds(player=player, action=Action.LOGIN)
    assert set(InboxEvent.objects.values_list("state", flat=True)) == {"applied"}

    unsanctioned = {"player": REF, "sanction_id": "ban-7", "reason": "appeal"}
    ingest(cloud_event("player.unsanctioned", event_id="e3", data=unsanctioned))
    sanction.refresh_from_db()
    assert sanction.lift_reason == "appeal"
    assert not sanction_holds(player=player, action=Action.CHAT_SEND, title=title)
    actors = list(AuditEntry.objects.order_by("id").values_list("actor_kind", "action"))
    assert actors == [("game_server", "sanction.issued"), ("game_server", "sanction.lifted")]


def test_a_sanction_event_delivered_after_it_ran_out_is_history_only(title):
    data = {"player": REF, "sanction_id": "mute-1", "kind": "chat_mute",
            "expires_at": "2026-11-25T04:00:00Z"}  # fmt: skip

    ingest(cloud_event("player.sanctioned", event_id="late", data=data,
                       time="2026-11-25T03:00:00Z"))  # fmt: skip

    sanction = Sanction.objects.get()
    assert not sanction.is_active_at(timezone.now())
    assert InboxEvent.objects.get().state == "applied"


def test_game_servers_read_active_sanctions_of_their_title_with_the_read_scope(
    title, other_title, alice
):
    player = player_get_or_create_by_identity(title=title, **REF)
    from apps.moderation.sanctions import sanction_issue

    mine = sanction_issue(player=player, kind="chat_mute", title=title)
    sanction_issue(player=player, kind="chat_mute", title=other_title)
    sanction_issue(player=player, kind="warning")
    everywhere = sanction_issue(player=player, kind="upload_ban")

    by_identity = server(title, scopes.MODERATION_READ).get("/api/v1/moderation/sanctions", REF)
    by_id = server(title, scopes.MODERATION_READ).get(
        "/api/v1/moderation/sanctions", {"player_id": player.id}
    )
    no_scope = server(title, scopes.PLAYERS_READ).get("/api/v1/moderation/sanctions", REF)
    unknown = server(title, scopes.MODERATION_READ).get(
        "/api/v1/moderation/sanctions", {"provider": "steam", "external_id": "nobody"}
    )

    assert by_identity.status_code == 200
    assert sorted(s["id"] for s in by_identity.json()) == sorted([mine.id, everywhere.id])
    assert by_id.json() == by_identity.json()
    assert no_scope.status_code == 403
    assert unknown.json()["error"]["code"] == "unknown_player"


def test_game_servers_issue_idempotently_in_their_title_and_lift_only_their_own(title, other_title):
    player = player_get_or_create_by_identity(title=title, **REF)
    writer = server(title, scopes.MODERATION_WRITE)
    body = {**REF, "kind": "chat_mute", "sanction_id": "m-1", "reason": "toxic voice"}

    first = writer.post("/api/v1/moderation/sanctions/new", body, format="json")
    again = writer.post("/api/v1/moderation/sanctions/new", body, format="json")
    reader_only = server(title, scopes.MODERATION_READ).post(
        "/api/v1/moderation/sanctions/new", body, format="json"
    )
    foreign_lift = server(other_title, scopes.MODERATION_WRITE).post(
        f"/api/v1/moderation/sanctions/{first.json()['id']}/lift", {}, format="json"
    )
    lifted = writer.post(f"/api/v1/moderation/sanctions/{first.json()['id']}/lift",
                         {"reason": "ok"}, format="json")  # fmt: skip
    lifted_again = writer.post(f"/api/v1/moderation/sanctions/{first.json()['id']}/lift",
                               {}, format="json")  # fmt: skip

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["title"] == "starfall-arena"
    assert first.json()["id"] == again.json()["id"]
    assert reader_only.status_code == 403
    assert foreign_lift.json()["error"]["code"] == "unknown_sanction"
    assert (lifted.status_code, lifted.json()["status"]) == (200, "lifted")
    assert lifted_again.json()["error"]["code"] == "sanction_not_active"
    assert Sanction.objects.filter(player=player).count() == 1

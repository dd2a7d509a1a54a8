"""The one enforcement function on every surface, and expiry restoring each (exactly: the
check compares times, no job runs)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.services import api_token_create
from apps.chat.models import Message
from apps.chat.services import message_send
from apps.moderation.enforcement import Action, sanction_check
from apps.moderation.exceptions import GuildCreationBanned, Muted, Suspended, UploadBanned
from apps.moderation.models import AuditEntry, Sanction
from apps.moderation.sanctions import sanction_issue, sanction_lift
from apps.players.friends import friend_request_send
from apps.players.models import FriendRequest, PlayerIdentity
from apps.titles import scopes
from apps.titles.services import title_credential_create
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def token_client(player) -> APIClient:
    client = APIClient()
    secret = api_token_create(user=player.user, name="test").secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def expire(sanction: Sanction) -> None:
    """Let the sanction's time pass: it ended a millisecond ago."""
    now = timezone.now()
    Sanction.objects.filter(id=sanction.id).update(
        starts_at=now - timedelta(hours=1), expires_at=now - timedelta(milliseconds=1)
    )


def send(client: APIClient, channel, body: str = "hi"):
    return client.post(f"/api/v1/chat/channels/{channel.id}/messages", {"body": body})


def test_a_muted_player_cannot_send_over_rest_until_the_mute_ends(lobby, alice):
    client = token_client(alice)
    mute = sanction_issue(player=alice, kind="chat_mute", duration=timedelta(hours=1),
                          reason="spam", reason_category="spam")  # fmt: skip

    refused = send(client, lobby)
    expire(mute)
    allowed = send(client, lobby, "back")

    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "muted"
    assert error["details"]["expires_at"] == mute.expires_at.isoformat().replace("+00:00", "Z")
    assert error["details"]["reason"] == "spam"
    assert allowed.status_code == 201
    assert list(Message.objects.values_list("body", flat=True)) == ["back"]


def test_a_banned_player_is_told_banned_not_muted_with_the_expiry(lobby, alice):
    client = token_client(alice)
    until = timezone.now() + timedelta(days=3)
    sanction_issue(player=alice, kind="ban", expires_at=until, reason="abuse")

    refused = send(client, lobby)

    assert refused.status_code == 403
    error = refused.json()["error"]
    assert (error["code"], error["details"]["kind"]) == ("banned", "ban")
    assert error["details"]["expires_at"] == until.isoformat().replace("+00:00", "Z")
    assert "abuse" in error["message"]
    assert Message.objects.count() == 0


def test_a_title_ban_answers_banned_in_that_title_only(title, other_title, lobby, alice):
    from apps.chat.channels import lobby_channel_get_or_create

    other_lobby = lobby_channel_get_or_create(title=other_title)
    client = token_client(alice)
    sanction_issue(player=alice, kind="chat_mute", title=title)
    sanction_issue(player=alice, kind="ban", title=title)

    here = send(client, lobby)
    elsewhere = send(client, other_lobby)

    assert here.json()["error"]["code"] == "banned"  # the stronger sanction answers
    assert elsewhere.status_code == 201


def test_a_suspended_player_cannot_log_in_until_it_ends_and_is_told_until_when(alice):
    suspension = sanction_issue(player=alice, kind="suspension", duration=timedelta(hours=5),
                                reason_category="cheating")  # fmt: skip
    form = {"username": alice.user.username, "password": TEST_PASSWORD}

    refused = Client().post("/accounts/login/", form)
    expire(suspension)
    allowed = Client().post("/accounts/login/", form)

    assert refused.status_code == 200  # the form again, with the reason
    page = refused.content.decode()
    assert "Your account is suspended until" in page
    assert "Cheating" in page
    assert allowed.status_code == 302


def test_an_open_session_and_tokens_end_when_the_player_is_suspended(alice):
    portal = Client()
    portal.force_login(alice.user)
    api = token_client(alice)
    assert api.get("/api/v1/me").status_code == 200

    sanction_issue(player=alice, kind="suspension", duration=timedelta(hours=1))
    page = portal.get("/players/me/")
    token_call = api.get("/api/v1/me")
    again = portal.get("/players/me/")

    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    assert token_call.status_code == 403
    assert token_call.json()["error"]["code"] == "suspended"
    assert again.status_code == 302  # logged out, not just refused once


def test_game_servers_get_no_chat_token_for_a_suspended_player(title, alice):
    server = APIClient()
    key = title_credential_create(title=title, name="server", scopes=[scopes.CHAT_TOKENS]).key
    server.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    # A player the title knows (chat tokens are minted only for those), suspended.
    PlayerIdentity.objects.create(player=alice, provider="steam", external_id="alice", title=title)
    sanction_issue(player=alice, kind="suspension", duration=timedelta(hours=1))
    response = server.post("/api/v1/chat/tokens", {"player_id": alice.id}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "suspended"


def test_a_dm_restriction_holds_dms_and_friend_requests_but_not_lobby_chat(lobby, alice, bob):
    client = token_client(alice)
    restriction = sanction_issue(player=alice, kind="dm_restriction")

    dm = client.post("/api/v1/chat/direct-channels", {"player_id": bob.id})
    with pytest.raises(Exception) as friend:
        friend_request_send(sender=alice, recipient=bob)
    lobby_send = send(client, lobby)
    expire(restriction)
    friend_request_send(sender=alice, recipient=bob)

    assert dm.json()["error"]["code"] == "dm_restricted"
    assert getattr(friend.value, "code", None) == "dm_restricted"
    assert lobby_send.status_code == 201
    assert FriendRequest.objects.filter(from_player=alice, to_player=bob).count() == 1


def test_a_suspended_player_cannot_edit_their_profile(alice):
    from apps.players.services import player_profile_update

    sanction = sanction_issue(player=alice, kind="suspension", duration=timedelta(hours=1))
    with pytest.raises(Suspended):
        player_profile_update(player=alice, data={"bio": "new"})
    alice.refresh_from_db()
    assert alice.bio == ""
    expire(sanction)
    player_profile_update(player=alice, data={"bio": "new"})
    alice.refresh_from_db()
    assert alice.bio == "new"


def test_upload_and_guild_creation_bans_hold_only_their_action_in_their_title(
    title, other_title, alice
):
    sanction_issue(player=alice, kind="upload_ban", title=title)
    sanction_issue(player=alice, kind="guild_creation_ban")

    with pytest.raises(UploadBanned) as upload:
        sanction_check(player=alice, action=Action.UGC_UPLOAD, title=title)
    sanction_check(player=alice, action=Action.UGC_UPLOAD, title=other_title)
    with pytest.raises(GuildCreationBanned):
        sanction_check(player=alice, action=Action.GUILD_CREATE, title=other_title)
    sanction_check(player=alice, action=Action.GUILD_JOIN, title=title)
    sanction_check(player=alice, action=Action.APPEAL)

    assert upload.value.details["title"] == "starfall-arena"


def test_lifting_restores_at_once_and_both_steps_are_audited(lobby, alice, senior):
    client = token_client(alice)
    mute = sanction_issue(player=alice, kind="chat_mute", issued_by=senior)

    refused = send(client, lobby)
    sanction_lift(sanction=mute, reason="appeal accepted", lifted_by=senior)
    allowed = send(client, lobby)

    assert refused.json()["error"]["code"] == "muted"
    assert allowed.status_code == 201
    entries = list(AuditEntry.objects.order_by("id").values_list("action", "actor_name", "reason"))
    assert entries == [
        ("sanction.issued", "senior-a", ""),
        ("sanction.lifted", "senior-a", "appeal accepted"),
    ]


def test_a_warning_holds_nothing(lobby, alice):
    sanction_issue(player=alice, kind="warning", reason="be nice")

    message_send(channel=lobby, author=alice, body="ok")
    sanction_check(player=alice, action=Action.LOGIN)

    assert Message.objects.count() == 1


def test_a_mute_holds_reactions_and_edits_too(lobby, alice):
    from apps.chat.actions import message_edit, reaction_add

    message = message_send(channel=lobby, author=alice, body="before").message
    sanction_issue(player=alice, kind="chat_mute")

    with pytest.raises(Muted):
        reaction_add(message=message, player=alice, emoji="👍")
    with pytest.raises(Muted):
        message_edit(message=message, player=alice, body="after")
    message.refresh_from_db()
    assert message.body == "before"

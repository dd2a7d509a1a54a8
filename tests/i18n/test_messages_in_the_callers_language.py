"""Error messages follow the caller's language (REST: ``Accept-Language``; websocket: the
player's own setting, else the handshake's ``Accept-Language``); error codes never change."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from apps.accounts.services import api_token_create
from community.asgi import application
from tests.chat.support import TIMEOUT, ChatSocket, open_socket
from tests.players.factories import PlayerFactory


def _api(player, language: str) -> Client:
    secret = api_token_create(user=player.user, name="game").secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [("ja", "自分自身にはその操作はできません。"), ("en", "You cannot do that to yourself.")],
)
def test_a_domain_error_is_in_the_callers_language_with_the_same_code(language, message):
    player = PlayerFactory(locale="en")

    response = _api(player, language).post(
        "/api/v1/friends/requests/new", {"player_id": player.id}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == {"code": "self_relation", "message": message, "details": {}}


@pytest.mark.django_db
def test_a_validation_error_and_its_field_messages_are_in_japanese():
    player = PlayerFactory(locale="en", time_zone="UTC")

    refused = _api(player, "ja").patch(
        "/api/v1/me", {"time_zone": "Mars/Olympus"}, content_type="application/json"
    )
    malformed = _api(player, "ja").patch("/api/v1/me", {"bio": 12}, content_type="application/json")

    assert refused.json()["error"]["code"] == "unknown_time_zone"
    assert refused.json()["error"]["message"] == "不明なタイムゾーンです。"
    assert malformed.json()["error"]["code"] == "validation_error"
    assert malformed.json()["error"]["message"] == "入力内容が正しくありません。"
    assert malformed.json()["error"]["details"]["fields"] == {
        "bio": ["有効な文字列ではありません。"]
    }
    player.refresh_from_db()
    assert player.time_zone == "UTC"


@pytest.mark.django_db
def test_an_unauthenticated_api_call_is_answered_in_japanese():
    response = Client(HTTP_ACCEPT_LANGUAGE="ja,en;q=0.5").get("/api/v1/notifications")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.json()["error"]["message"] == "認証情報が含まれていません。"


async def _socket_speaking(language: str) -> ChatSocket:
    communicator = WebsocketCommunicator(
        application, "/ws/", headers=[(b"accept-language", language.encode())]
    )
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return ChatSocket(communicator)


@pytest.mark.django_db(transaction=True)
async def test_a_japanese_players_socket_answers_errors_in_japanese():
    player = await database_sync_to_async(PlayerFactory)(locale="ja")
    socket = await open_socket(player.user)

    unknown = await socket.call({"type": "teleport"})

    assert unknown["code"] == "unknown_type"
    assert unknown["message"] == "不明なフレーム種別 'teleport' です。"
    await socket.close()


@pytest.mark.django_db(transaction=True)
async def test_the_players_own_language_wins_over_the_handshake_header():
    player = await database_sync_to_async(PlayerFactory)(locale="en")
    secret = await database_sync_to_async(lambda: api_token_create(user=player.user, name="t"))()
    socket = await _socket_speaking("ja")

    await socket.call({"type": "hello", "version": 1, "token": secret.secret})
    unknown = await socket.call({"type": "teleport"})

    assert unknown["message"] == "Unknown frame type 'teleport'."
    await socket.close()


@pytest.mark.django_db(transaction=True)
async def test_before_hello_the_socket_speaks_the_handshakes_language():
    socket = await _socket_speaking("ja-JP,ja;q=0.9,en;q=0.8")

    early = await socket.call({"type": "ping"})
    bad_version = await socket.call({"type": "hello", "version": "one"})

    assert early["code"] == "not_authenticated"
    assert early["message"] == "最初に token 付きの hello を送ってください。"
    assert bad_version["code"] == "invalid_frame"
    assert bad_version["message"] == "version は整数で指定してください。"
    await socket.close()

"""The portal chat page: server-rendered shell; the live part is static/chat/chat.js on the
same websocket protocol as game clients (docs/websocket-protocol.md)."""

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render

from apps.accounts.models import User
from apps.chat.channels import lobby_channel_get_or_create
from apps.chat.relations import player_for_user
from apps.titles.models import Title


@login_required
def chat_page(request: HttpRequest) -> HttpResponse:
    player = player_for_user(cast(User, request.user))  # login_required
    if player is None:
        return redirect("players:create")
    lobbies = [
        {"id": lobby.id, "name": lobby.name, "kind": lobby.kind}
        for lobby in (
            lobby_channel_get_or_create(title=title)
            for title in Title.objects.filter(is_active=True).order_by("name")
        )
    ]
    # The page's script opens direct-message channels over REST, which checks CSRF.
    config = {"player_id": player.id, "lobbies": lobbies, "csrf_token": get_token(request)}
    return render(request, "chat/page.html", {"chat_config": config})

"""The portal chat page: server-rendered shell; the live part is static/chat/chat.js on the
same websocket protocol as game clients (docs/websocket-protocol.md)."""

from datetime import timedelta
from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import timezone

from apps.accounts.models import User
from apps.chat.channels import title_open_channels
from apps.chat.naming import channel_display_name
from apps.chat.relations import blocked_ids, player_for_user
from apps.chat.selectors import channel_ids_moderated_by, match_channels_ended_before

# Ended match channels stay in the "Ended" section this long, then leave the page's list.
ENDED_SHOWN_FOR = timedelta(days=1)


@login_required
def chat_page(request: HttpRequest) -> HttpResponse:
    player = player_for_user(cast(User, request.user))  # login_required
    if player is None:
        return redirect("players:create")
    open_channels = [
        {"id": channel.id, "name": channel_display_name(channel), "kind": channel.kind}
        for channel in title_open_channels()
    ]
    config = {
        "player_id": player.id,
        "lobbies": open_channels,
        # The page's script opens direct-message channels over REST, which checks CSRF.
        "csrf_token": get_token(request),
        "time_zone": player.time_zone,
        # Shown collapsed (the server still delivers lobby messages to everyone).
        "blocked_player_ids": sorted(blocked_ids(player.id)),
        "hidden_channel_ids": match_channels_ended_before(
            player=player, before=timezone.now() - ENDED_SHOWN_FOR
        ),
        # Where the page offers deleting others' messages and slow mode (as of page load).
        "moderated_channel_ids": channel_ids_moderated_by(player=player),
    }
    return render(request, "chat/page.html", {"chat_config": config})

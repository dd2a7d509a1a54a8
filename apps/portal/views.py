"""The portal's own pages: the home page (a player's or a visitor's) and the icon path."""

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_safe

from apps.players.selectors import notification_unread_count, player_get_optional_for_user
from apps.portal import selectors


@require_safe
def home_page(request: HttpRequest) -> HttpResponse:
    player = player_get_optional_for_user(user=request.user)
    context: dict[str, object] = {"player": player}
    if player is not None:
        context["home"] = selectors.home_for_player(player=player)
        context["unread_notifications"] = notification_unread_count(player_id=player.id)
    else:
        context["numbers"] = selectors.public_numbers()
    return render(request, "portal/home.html", context)


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and crawlers ask for /favicon.ico whatever the page declares. Resolved per
    request: the hashed static name exists only once collectstatic wrote its manifest."""
    return HttpResponsePermanentRedirect(static("portal/favicon-32.png"))

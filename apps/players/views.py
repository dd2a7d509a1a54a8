"""Portal pages: thin wrappers over the same services and selectors as the REST API."""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from apps.accounts.models import User
from apps.common.exceptions import ApplicationError, NotFound
from apps.players import selectors, services
from apps.players.apis.profile import profile_body
from apps.players.avatars import avatar_set
from apps.players.data_rights import player_deletion_request, player_export
from apps.players.forms import (
    AvatarForm,
    ClaimCodeForm,
    PlayerCreateForm,
    ProfileForm,
    SettingsForm,
)
from apps.players.friends import (
    block_create,
    block_remove,
    friend_remove,
    friend_request_accept,
    friend_request_decline,
    friend_request_send,
)
from apps.players.identities import identity_claim_redeem, identity_unlink
from apps.players.models import Player
from apps.players.notifications import notification_mark_all_read, notifications_grouped
from apps.players.preferences import language_from_request
from apps.players.presence import presence_visible_to

View = Callable[..., HttpResponse]


def player_required(view: View) -> View:
    """Logged in with a player profile; without one, the player creates it first."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        player = selectors.player_get_optional_for_user(user=request.user)
        if player is None:
            return redirect("players:create")
        return view(request, player, *args, **kwargs)

    return wrapper


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    """Call a service; show its error code's message instead of failing the page."""
    try:
        action()
    except ApplicationError as error:
        messages.error(request, error.message)
        return False
    if success:
        messages.success(request, success)
    return True


@login_required
@require_http_methods(["GET", "POST"])
def player_create_page(request: HttpRequest) -> HttpResponse:
    if selectors.player_get_optional_for_user(user=request.user) is not None:
        return redirect("players:me")
    form = PlayerCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["display_name"]
        user = cast(User, request.user)  # login_required
        # A new player starts in the language and the time zone of the browser they signed up in.
        start = {"locale": language_from_request(request)}
        if form.cleaned_data["time_zone"]:
            start["time_zone"] = form.cleaned_data["time_zone"]

        def create() -> None:
            player = services.player_create(user=user, display_name=name)
            services.player_profile_update(player=player, data=start)

        if _run(request, create, ""):
            return redirect("players:me")
    return render(request, "players/create.html", {"form": form})


@player_required
@require_http_methods(["GET", "POST"])
def me_page(request: HttpRequest, player: Player) -> HttpResponse:
    initial = {field: getattr(player, field) for field in ProfileForm.base_fields}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        update = lambda: services.player_profile_update(player=player, data=form.cleaned_data)  # noqa: E731
        if _run(request, update, _("Profile saved.")):
            return redirect("players:me")
    achievements = player.achievements.select_related("title").order_by("-unlocked_at")
    context = {
        "form": form,
        "avatar_form": AvatarForm(),
        "player": player,
        "achievements": achievements,
    }
    context["profile"] = profile_body(
        viewer=player, player=player, visibility=selectors.Visibility.SELF
    )
    return render(request, "players/me.html", context)


@player_required
@require_POST
def avatar_upload(request: HttpRequest, player: Player) -> HttpResponse:
    form = AvatarForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["image"]
        _run(request, lambda: avatar_set(player=player, upload=upload), _("Avatar updated."))
    else:
        messages.error(request, _("Choose an image file."))
    return redirect("players:me")


@player_required
@require_POST
def showcase_update(request: HttpRequest, player: Player) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("achievement") if value.isdigit()]
    save = lambda: services.achievement_showcase_set(player=player, achievement_ids=ids)  # noqa: E731
    _run(request, save, _("Showcase saved."))
    return redirect("players:me")


@require_GET
def avatar_file(request: HttpRequest, player_id: int, size: str) -> FileResponse:
    """The avatar follows its profile: whoever gets a 404 for the profile (blocked either way,
    deleted, leaving) gets one for the avatar."""
    try:
        player, _visibility = selectors.player_get_visible(
            viewer=_viewer(request), player_id=player_id
        )
    except NotFound as error:
        raise Http404 from error
    name = player.avatar_large if size == "large" else player.avatar_small
    if not name or not default_storage.exists(name):
        raise Http404
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/webp")
    # Who may see it depends on the viewer: browsers may keep it, shared caches may not.
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


def _viewer(request: HttpRequest) -> Player | None:
    return selectors.player_get_optional_for_user(user=request.user)


@require_GET
def profile_page(request: HttpRequest, player_id: int) -> HttpResponse:
    viewer = _viewer(request)
    try:
        player, visibility = selectors.player_get_visible(viewer=viewer, player_id=player_id)
    except NotFound as error:
        raise Http404 from error
    context: dict[str, Any] = {
        "player": player,
        "profile": profile_body(viewer=viewer, player=player, visibility=visibility),
        "activity": list(selectors.activity_of_player(viewer=viewer, target=player)[:20]),
    }
    if viewer is not None and viewer.id != player.id:
        context["relation"] = _relation(viewer, player)
    return render(request, "players/profile.html", context)


def _relation(viewer: Player, player: Player) -> dict[str, Any]:
    received = selectors.friend_requests_received(player=viewer).filter(from_player=player)
    return {
        "is_friend": selectors.are_friends(player_id=viewer.id, other_player_id=player.id),
        "request_sent": selectors.friend_requests_sent(player=viewer)
        .filter(to_player=player)
        .exists(),
        "request_received": received.first(),
        "is_blocked": selectors.blocks_made(player=viewer).filter(blocked=player).exists(),
        "can_message": selectors.can_direct_message(sender=viewer, recipient=player),
    }


@player_required
@require_POST
def friend_request_page_action(
    request: HttpRequest, player: Player, player_id: int
) -> HttpResponse:
    try:
        recipient, _visibility = selectors.player_get_visible(viewer=player, player_id=player_id)
    except NotFound as error:
        raise Http404 from error
    send = lambda: friend_request_send(sender=player, recipient=recipient)  # noqa: E731
    _run(request, send, _("Friend request sent."))
    return redirect("players:profile", player_id=player_id)


@player_required
@require_POST
def friend_request_answer(
    request: HttpRequest, player: Player, request_id: int, answer: str
) -> HttpResponse:
    try:
        friend_request = selectors.friend_request_get_for_player(
            player=player, request_id=request_id
        )
    except NotFound as error:
        raise Http404 from error
    if answer == "accept":
        accept = lambda: friend_request_accept(player=player, request=friend_request)  # noqa: E731
        _run(request, accept, _("You are now friends."))
    else:
        decline = lambda: friend_request_decline(player=player, request=friend_request)  # noqa: E731
        _run(request, decline, "")
    return redirect("players:friends")


@player_required
@require_POST
def relation_action(
    request: HttpRequest, player: Player, player_id: int, action: str
) -> HttpResponse:
    other = Player.objects.filter(id=player_id, deleted_at__isnull=True).first()
    if other is None or other.id == player.id:
        raise Http404
    actions = {
        "unfriend": (lambda: friend_remove(player=player, friend=other), _("Friend removed.")),
        "block": (lambda: block_create(blocker=player, blocked=other), _("Player blocked.")),
        "unblock": (lambda: block_remove(blocker=player, blocked_id=other.id), _("Unblocked.")),
    }
    if action not in actions:
        raise Http404
    call, success = actions[action]
    _run(request, call, success)
    if action == "block":
        return redirect("players:friends")
    return redirect("players:profile", player_id=player_id)


@player_required
@require_GET
def friends_page(request: HttpRequest, player: Player) -> HttpResponse:
    friends = selectors.friends_of(player=player)
    presence = presence_visible_to(viewer=player, players=friends)
    # Message and Invite follow the friend's privacy (a private friend gets neither); the
    # direct-message rule is the one guild invitations follow too.
    reachable = selectors.direct_message_recipients(
        sender=player, recipient_ids=[friend.id for friend in friends]
    )
    query = request.GET.get("q", "")[:64]
    context = {
        "viewer": player,
        "friends": [(friend, presence[friend.id], friend.id in reachable) for friend in friends],
        "received": selectors.friend_requests_received(player=player),
        "sent": selectors.friend_requests_sent(player=player),
        "blocked": [block.blocked for block in selectors.blocks_made(player=player)],
        "query": query,
        "results": selectors.player_search(viewer=player, query=query) if query else [],
    }
    return render(request, "players/friends.html", context)


@player_required
@require_GET
def notifications_page(request: HttpRequest, player: Player) -> HttpResponse:
    notifications = list(selectors.notification_list(player=player)[:100])
    groups = notifications_grouped(notifications)
    return render(request, "players/notifications.html", {"groups": groups})


@player_required
@require_POST
def notifications_read_all(request: HttpRequest, player: Player) -> HttpResponse:
    notification_mark_all_read(player=player)
    return redirect("players:notifications")


@player_required
@require_GET
def unread_count(request: HttpRequest, player: Player) -> HttpResponse:
    """The badge's starting value (the websocket keeps it current afterwards)."""
    return JsonResponse({"unread_count": selectors.notification_unread_count(player_id=player.id)})


@player_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest, player: Player) -> HttpResponse:
    initial = {"privacy": player.privacy, "opted_out": player.notification_opt_outs}
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save() -> None:
            services.player_profile_update(player=player, data={"privacy": data["privacy"]})
            services.player_notification_preferences_set(player=player, opted_out=data["opted_out"])

        if _run(request, save, _("Settings saved.")):
            return redirect("players:settings")
    context = {
        "form": form,
        "claim_form": ClaimCodeForm(),
        "identities": selectors.identities_of(player=player),
    }
    return render(request, "players/settings.html", context)


@player_required
@require_POST
def identity_claim(request: HttpRequest, player: Player) -> HttpResponse:
    form = ClaimCodeForm(request.POST)
    if form.is_valid():
        code = form.cleaned_data["code"]
        redeem = lambda: identity_claim_redeem(player=player, code=code)  # noqa: E731
        _run(request, redeem, _("Game account linked."))
    return redirect("players:settings")


@player_required
@require_POST
def identity_unlink_page(request: HttpRequest, player: Player, identity_id: int) -> HttpResponse:
    unlink = lambda: identity_unlink(player=player, identity_id=identity_id)  # noqa: E731
    _run(request, unlink, _("Game account unlinked."))
    return redirect("players:settings")


@player_required
@require_GET
def export_download(request: HttpRequest, player: Player) -> HttpResponse:
    response = JsonResponse(player_export(player=player), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="my-community-data.json"'
    return response


@player_required
@require_POST
def deletion_request(request: HttpRequest, player: Player) -> HttpResponse:
    if request.POST.get("confirm") != "delete":
        messages.error(request, _("Type delete to confirm."))
        return redirect("players:settings")
    if _run(request, lambda: player_deletion_request(player=player), ""):
        logout(request)
        messages.info(request, _("Your account is scheduled for deletion."))
        return redirect("home")
    return redirect("players:settings")


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The portal's language menu: Django's ``set_language`` (cookie, redirect to ``next``),
    and for a signed-in player the choice is kept on their profile, so it follows them."""
    response = set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES):
        player = selectors.player_get_optional_for_user(user=user)
        if player is not None:
            services.player_profile_update(player=player, data={"locale": language})
    return response

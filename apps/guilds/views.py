"""Portal pages of guilds (docs/guilds.md "Portal"): thin wrappers over the same selectors and
services as the REST API. Templates live in templates/guilds/. A service's refusal (guild full,
banned, leader must transfer…) is shown as the action form's error on the guild page."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.files.storage import default_storage
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.common.exceptions import ApplicationError, NotFound
from apps.guilds import membership as membership_services
from apps.guilds import permissions, selectors, services
from apps.guilds.forms import GuildActionForm, GuildCreateForm, GuildFilterForm
from apps.guilds.models import Guild, GuildJoinRequest, GuildStats
from apps.players.models import Player
from apps.players.selectors import player_get_optional_for_user, player_get_visible

PAGE_SIZE = 20
MEMBERS_SHOWN = 100
FEED_SHOWN = 20
# sort → the (descending) value the cursor keeps beside the id.
_SORT_VALUES = {"members": "member_count", "activity": "activity", "created": "created_at"}
_CURSOR_SALT = "guilds.browse"


def _player(request: HttpRequest) -> Player | None:
    return player_get_optional_for_user(user=request.user)


def _player_required(request: HttpRequest) -> Player:
    player = _player(request)
    if player is None:
        raise Http404
    return player


def _guild_or_404(guild_id: int) -> Guild:
    try:
        return selectors.guild_get(guild_id=guild_id)
    except NotFound as error:
        raise Http404 from error


def _browse_page(guilds: QuerySet[Guild], sort: str, cursor: str | None) -> tuple[list, str | None]:
    """One page of guilds by keyset: the cursor (signed, so never trusted blindly) holds the
    last row's sort value and id; a bad cursor starts from the first page."""
    field = _SORT_VALUES[sort]
    guilds = guilds.annotate(activity=Coalesce(F("last_activity_at"), F("created_at")))
    guilds = guilds.order_by(f"-{field}", "-id")
    if cursor:
        try:
            value, last_id = signing.loads(cursor, salt=_CURSOR_SALT)
        except (signing.BadSignature, TypeError, ValueError):
            value = last_id = None
        if last_id is not None:
            if field != "member_count":
                value = parse_datetime(value)
            guilds = guilds.filter(**{f"{field}__lt": value}) | guilds.filter(
                **{field: value, "id__lt": last_id}
            )
    rows = list(guilds[: PAGE_SIZE + 1])
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        last = rows[-1]
        value = getattr(last, field)
        value = value if isinstance(value, int) else value.isoformat()
        next_cursor = signing.dumps([value, last.id], salt=_CURSOR_SALT)
    return rows, next_cursor


@require_GET
def browse_page(request: HttpRequest) -> HttpResponse:
    form = GuildFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    title = data.get("title")
    guilds = selectors.guild_browse(
        title_slug=title.slug if title else None,
        language=data.get("language") or None,
        region=data.get("region") or None,
        join_policy=data.get("join_policy") or None,
        has_room=bool(data.get("has_room")),
        query=(data.get("q") or "").strip(),
    )
    sort = data.get("sort") or "members"
    rows, next_cursor = _browse_page(guilds, sort, request.GET.get("cursor"))
    next_url = None
    if next_cursor:
        params = request.GET.copy()
        params["cursor"] = next_cursor
        next_url = f"?{params.urlencode()}"
    player = _player(request)
    invites = list(selectors.invites_received(player=player)) if player else []
    context = {
        "form": form, "guilds": rows, "next_url": next_url, "player": player, "invites": invites,
    }  # fmt: skip
    return render(request, "guilds/browse.html", context)


def _guild_context(request: HttpRequest, guild: Guild, action_form: GuildActionForm) -> dict:
    player = _player(request)
    membership = selectors.membership_get(guild=guild, player=player) if player else None
    has_request = bool(
        player
        and membership is None
        and GuildJoinRequest.objects.filter(guild=guild, player=player).exists()
    )
    members = selectors.guild_members(guild=guild).order_by("-role__rank", "joined_at", "id")
    feed = guild.feed.select_related("player").order_by("-created_at", "-id")[:FEED_SHOWN]
    stats = GuildStats.objects.filter(guild=guild).select_related("title")
    return {
        "guild": guild,
        "player": player,
        "membership": membership,
        "has_request": has_request,
        "members": members[:MEMBERS_SHOWN],
        "more_members": max(guild.member_count - MEMBERS_SHOWN, 0),
        "feed": feed,
        "stats": stats.order_by("title__name", "-season"),
        "action_form": action_form,
        "can_manage": bool(permissions.managing_permissions(membership)),
    }


@require_GET
def guild_page(request: HttpRequest, guild_id: int) -> HttpResponse:
    guild = _guild_or_404(guild_id)
    context = _guild_context(request, guild, GuildActionForm())
    return render(request, "guilds/guild.html", context)


def _guild_action(
    request: HttpRequest, guild_id: int, action: Callable[[Player, Guild], Any], success: str
) -> HttpResponse:
    """Run a membership service; on refusal, the guild page again with the refusal as the
    action form's error (status 409 or 403 like the REST API's code)."""
    player = _player_required(request)
    guild = _guild_or_404(guild_id)
    form = GuildActionForm(request.POST)
    form.is_valid()
    try:
        result = action(player, guild)
    except ApplicationError as error:
        form.add_error(None, str(error.message))
        context = _guild_context(request, guild, form)
        return render(request, "guilds/guild.html", context, status=error.status_code)
    if isinstance(result, GuildJoinRequest):
        messages.success(request, _("Your join request was sent to the guild's officers."))
    else:
        messages.success(request, success)
    if result is None:  # left (a last leader's leaving disbands the guild)
        return redirect("guilds:browse")
    return redirect("guilds:detail", guild_id=guild.id)


@login_required
@require_POST
def join_post(request: HttpRequest, guild_id: int) -> HttpResponse:
    return _guild_action(
        request,
        guild_id,
        lambda player, guild: membership_services.guild_join(player=player, guild=guild),
        _("You joined the guild."),
    )


@login_required
@require_POST
def leave_post(request: HttpRequest, guild_id: int) -> HttpResponse:
    return _guild_action(
        request,
        guild_id,
        lambda player, guild: membership_services.guild_leave(player=player, guild=guild),
        _("You left the guild."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def create_page(request: HttpRequest) -> HttpResponse:
    player = _player_required(request)
    form = GuildCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            guild = services.guild_create(
                founder=player, title=data["title"], name=data["name"], tag=data["tag"],
                description=data["description"], language=data["language"],
                region=data["region"], join_policy=data["join_policy"],
            )  # fmt: skip
        except ApplicationError as error:
            field = {"name_taken": "name", "tag_taken": "tag"}.get(error.code)
            form.add_error(field, str(error.message))
        else:
            messages.success(request, _("Your guild was created."))
            return redirect("guilds:detail", guild_id=guild.id)
    return render(request, "guilds/create.html", {"form": form}, status=200)


@login_required
@require_POST
def invite_post(request: HttpRequest, guild_id: int, player_id: int) -> HttpResponse:
    """ "Invite to guild" from a profile; the outcome shows as a message on the profile."""
    inviter = _player_required(request)
    guild = _guild_or_404(guild_id)
    try:
        invitee, _visibility = player_get_visible(viewer=inviter, player_id=player_id)
    except NotFound as error:
        raise Http404 from error
    try:
        membership_services.guild_invite_send(inviter=inviter, guild=guild, player=invitee)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Invitation sent."))
    return redirect("players:profile", player_id=invitee.id)


@login_required
@require_POST
def invite_respond_post(request: HttpRequest, invite_id: int, answer: str) -> HttpResponse:
    """Accept or decline one's own invitation (listed on the browse page)."""
    player = _player_required(request)
    if answer not in ("accept", "decline"):
        raise Http404
    try:
        invite = selectors.invite_get_for_player(player=player, invite_id=invite_id)
    except NotFound as error:
        raise Http404 from error
    accept = answer == "accept"
    try:
        membership_services.guild_invite_respond(player=player, invite=invite, accept=accept)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("guilds:browse")
    if not accept:
        messages.success(request, _("Invitation declined."))
        return redirect("guilds:browse")
    messages.success(request, _("You joined the guild."))
    return redirect("guilds:detail", guild_id=invite.guild_id)


@require_GET
def emblem_file(request: HttpRequest, guild_id: int, size: str) -> FileResponse:
    """The emblem follows its guild: a disbanded (or unknown) guild's emblem is a 404."""
    guild = _guild_or_404(guild_id)
    name = guild.emblem_large if size == "large" else guild.emblem_small
    if size not in ("large", "small") or not name or not default_storage.exists(name):
        raise Http404
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/webp")
    # Disbanding removes it: shared caches may keep it a short while only.
    response["Cache-Control"] = "public, max-age=300"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response

"""The guild manage page (docs/guilds.md "Portal"): settings, members with role change, kick
and ban, and join requests, for members whose role holds the matching permission. Each form
posts to one service (the same as REST), which checks the permission and ranks again; a
refusal comes back as the page's error message."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.common.exceptions import ApplicationError, NotFound
from apps.guilds import membership as membership_services
from apps.guilds import permissions, selectors, services
from apps.guilds.forms import (
    GuildDisbandForm,
    GuildEmblemForm,
    GuildInviteForm,
    GuildRoleCreateForm,
    GuildRolePermissionsForm,
    GuildSettingsForm,
    GuildTransferForm,
)
from apps.guilds.models import Guild, GuildMembership, Permission, RoleKind
from apps.guilds.views import MEMBERS_SHOWN, _guild_or_404, _player_required

BANS_SHOWN = 100
INVITES_SHOWN = 100
AUDIT_SHOWN = 50


def manager_of(request: HttpRequest, guild_id: int) -> tuple[Guild, GuildMembership]:
    player = _player_required(request)
    guild = _guild_or_404(guild_id)
    membership = selectors.membership_get(guild=guild, player=player)
    if not permissions.managing_permissions(membership):
        raise PermissionDenied
    assert membership is not None
    return guild, membership


def _member_rows(guild: Guild, manager: GuildMembership, held: frozenset[str]) -> list[dict]:
    """Members by rank, each with the actions the manager may take on them (a strictly
    higher rank, as the services require) and the roles they may give (below their rank)."""
    rank = manager.role.rank
    roles = [
        role
        for role in selectors.guild_roles(guild=guild)
        if role.kind != RoleKind.LEADER and role.rank < rank
    ]
    members = selectors.guild_members(guild=guild).order_by("-role__rank", "joined_at", "id")
    rows = []
    for member in members[:MEMBERS_SHOWN]:
        below = member.role.rank < rank and member.id != manager.id
        rows.append({
            "member": member,
            "roles": roles if below and Permission.MANAGE_ROLES in held else [],
            "can_kick": below and Permission.KICK in held,
            "can_ban": below and Permission.BAN in held,
        })  # fmt: skip
    return rows


def _roles_rows(guild: Guild, manager: GuildMembership, forms: dict[str, Any]) -> list[dict]:
    """Roles below the manager's rank, each with its permission form (a bound one when it
    was just refused) and how many members hold it (a held role cannot be deleted)."""
    roles = selectors.guild_roles_with_holders(guild=guild).filter(rank__lt=manager.role.rank)
    bound = forms.get("role_forms", {})
    return [
        {
            "role": role,
            "form": bound.get(role.id)
            or GuildRolePermissionsForm(
                initial={"permissions": role.permissions}, prefix=f"role-{role.id}"
            ),
        }
        for role in roles
    ]


def _leader_forms(guild: Guild, manager: GuildMembership, forms: dict[str, Any]) -> dict:
    """Transfer and disband, for the leader only."""
    if not manager.is_leader:
        return {}
    members = [
        (member.player_id, member.player.display_name)
        for member in selectors.guild_members(guild=guild).order_by("-role__rank", "joined_at")
        if member.id != manager.id
    ]
    transfer = forms.get("transfer_form") or GuildTransferForm(members=members)
    return {
        "transfer_form": transfer if members else None,
        "disband_form": forms.get("disband_form") or GuildDisbandForm(),
    }


def manage_context(guild: Guild, manager: GuildMembership, **forms: Any) -> dict[str, Any]:
    """Everything the manage page shows to ``manager``; ``forms`` are bound forms to show with
    their errors in place of the blank ones (``invite_form``, ``role_form``, ``role_forms``
    by role id, ``transfer_form``, ``disband_form``)."""
    held = permissions.managing_permissions(manager)
    player = manager.player
    settings_form = None
    if Permission.EDIT_GUILD in held:
        forms.setdefault("emblem_form", GuildEmblemForm())
        settings_form = GuildSettingsForm(initial={
            "description": guild.description,
            "description_translations": guild.description_translations,
            "join_policy": guild.join_policy,
            "language": guild.language, "region": guild.region,
        })  # fmt: skip
    context: dict[str, Any] = {
        "guild": guild,
        "held": held,
        "settings_form": settings_form,
        "emblem_form": forms.get("emblem_form"),
        "members": _member_rows(guild, manager, held),
        "more_members": max(guild.member_count - MEMBERS_SHOWN, 0),
        "requests": [],
        "bans": [],
        "audit": [],
        **_leader_forms(guild, manager, forms),
    }
    if Permission.ACCEPT_REQUESTS in held:
        context["requests"] = list(selectors.join_requests_for(guild=guild, viewer=player))
    if Permission.BAN in held:
        context["bans"] = list(selectors.bans_of(guild=guild, viewer=player)[:BANS_SHOWN])
    if Permission.INVITE in held:
        context["invites"] = list(
            selectors.invites_sent(guild=guild, viewer=player)[:INVITES_SHOWN]
        )
        context["invite_form"] = forms.get("invite_form") or GuildInviteForm()
    if Permission.MANAGE_ROLES in held:
        context["roles"] = _roles_rows(guild, manager, forms)
        context["role_form"] = forms.get("role_form") or GuildRoleCreateForm()
    if manager.role.rank >= permissions.OFFICER_RANK:
        entries = selectors.audit_log_for(guild=guild, viewer=player)
        context["audit"] = list(entries[:AUDIT_SHOWN])
    return context


def manage_render(
    request: HttpRequest, guild: Guild, manager: GuildMembership, *, status: int = 200, **forms: Any
) -> HttpResponse:
    context = manage_context(guild, manager, **forms)
    return render(request, "guilds/manage.html", context, status=status)


@login_required
@require_GET
def manage_page(request: HttpRequest, guild_id: int) -> HttpResponse:
    guild, manager = manager_of(request, guild_id)
    return manage_render(request, guild, manager)


def _act(request: HttpRequest, guild: Guild, action: Callable[[], Any], success: str) -> None:
    try:
        action()
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)


@login_required
@require_POST
def settings_post(request: HttpRequest, guild_id: int) -> HttpResponse:
    guild, manager = manager_of(request, guild_id)
    form = GuildSettingsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The settings were not saved: check the values."))
        return redirect("guilds:manage", guild_id=guild.id)
    _act(
        request,
        guild,
        lambda: services.guild_update(actor=manager.player, guild=guild, data=form.cleaned_data),
        _("The guild's settings were saved."),
    )
    return redirect("guilds:manage", guild_id=guild.id)


def _role_set(request: HttpRequest, guild: Guild, manager: GuildMembership, target: Any) -> None:
    try:
        role = selectors.guild_role_get(guild=guild, role_id=int(request.POST.get("role", "")))
    except (NotFound, ValueError):
        messages.error(request, _("Choose one of the guild's roles."))
        return
    _act(
        request,
        guild,
        lambda: services.guild_member_role_set(
            actor=manager.player, guild=guild, target=target, role=role
        ),
        _("The member's role was changed."),
    )


@login_required
@require_POST
def member_post(request: HttpRequest, guild_id: int, player_id: int, action: str) -> HttpResponse:
    """``action``: ``role`` (POST ``role``: a role id of this guild), ``kick`` or ``ban``."""
    guild, manager = manager_of(request, guild_id)
    target = selectors.guild_members(guild=guild).filter(player_id=player_id).first()
    if target is None or action not in ("role", "kick", "ban"):
        raise Http404
    player = target.player
    if action == "role":
        _role_set(request, guild, manager, player)
    elif action == "kick":
        _act(
            request,
            guild,
            lambda: membership_services.guild_member_kick(
                actor=manager.player, guild=guild, target=player
            ),
            _("The member was removed from the guild."),
        )
    else:
        _act(
            request,
            guild,
            lambda: membership_services.guild_member_ban(
                actor=manager.player, guild=guild, target=player
            ),
            _("The player was banned from the guild."),
        )
    return redirect("guilds:manage", guild_id=guild.id)


@login_required
@require_POST
def request_post(request: HttpRequest, guild_id: int, request_id: int, answer: str) -> HttpResponse:
    """Approve or deny a join request of this guild."""
    guild, manager = manager_of(request, guild_id)
    if answer not in ("approve", "deny"):
        raise Http404
    try:
        join_request = selectors.join_request_get(guild=guild, request_id=request_id)
    except NotFound as error:
        raise Http404 from error
    approve = answer == "approve"
    _act(
        request,
        guild,
        lambda: membership_services.guild_request_decide(
            actor=manager.player, join_request=join_request, approve=approve
        ),
        _("The player joined the guild.") if approve else _("The request was denied."),
    )
    return redirect("guilds:manage", guild_id=guild.id)


@login_required
@require_POST
def ban_lift_post(request: HttpRequest, guild_id: int, player_id: int) -> HttpResponse:
    """Lift a ban of this guild (``ban``); a player this guild has not banned is a 404."""
    guild, manager = manager_of(request, guild_id)
    ban = guild.bans.select_related("player").filter(player_id=player_id).first()
    if ban is None:
        raise Http404
    _act(
        request,
        guild,
        lambda: membership_services.guild_ban_lift(
            actor=manager.player, guild=guild, target=ban.player
        ),
        _("The ban was lifted."),
    )
    return redirect("guilds:manage", guild_id=guild.id)

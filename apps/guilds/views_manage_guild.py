"""The manage page's invitations, custom roles, leadership transfer and disband (docs/guilds.md
"Portal"). Each form posts to the same service as REST, which checks the permission and rank
again; a refusal is shown under the field it concerns (or above the form) on the re-rendered
page, and changes nothing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.common.exceptions import ApplicationError, NotFound
from apps.guilds import membership as membership_services
from apps.guilds import selectors, services
from apps.guilds.emblems import guild_emblem_remove, guild_emblem_set
from apps.guilds.forms import (
    GuildDisbandForm,
    GuildEmblemForm,
    GuildInviteForm,
    GuildRoleCreateForm,
    GuildRolePermissionsForm,
    GuildTransferForm,
)
from apps.guilds.models import Guild, GuildMembership
from apps.guilds.views_manage import manage_render, manager_of

# Which form field a service refusal belongs under (others go above the form).
_FIELD_OF_CODE = {
    "rank_too_low": "rank",
    "permission_not_held": "permissions",
    "not_found": "name",
    "invite_refused": "name",
    "invite_exists": "name",
    "already_member": "name",
    "guild_banned": "name",
}


def _refusal_to_form(form: Form, error: ApplicationError) -> None:
    fields = error.details.get("fields") if isinstance(error.details, dict) else None
    if fields and "name" in fields and "name" in form.fields:
        form.add_error("name", _("This name is taken in the guild."))
        return
    field = _FIELD_OF_CODE.get(error.code)
    if error.code.startswith("name_"):
        field = "name"
    form.add_error(field if field in form.fields else None, str(error.message))


def _leader_of(request: HttpRequest, guild_id: int) -> tuple[Guild, GuildMembership]:
    """The guild and its leader's membership; 403 for anyone else (the services check again,
    under the guild's lock)."""
    guild, manager = manager_of(request, guild_id)
    if not manager.is_leader:
        raise PermissionDenied
    return guild, manager


def _back(guild_id: int, success: str, request: HttpRequest) -> HttpResponse:
    messages.success(request, success)
    return redirect("guilds:manage", guild_id=guild_id)


@login_required
@require_POST
def invite_post(request: HttpRequest, guild_id: int) -> HttpResponse:
    """Invite a player by name (``invite``)."""
    guild, manager = manager_of(request, guild_id)
    form = GuildInviteForm(request.POST)
    if form.is_valid():
        try:
            target = selectors.invite_target_by_name(
                viewer=manager.player, name=form.cleaned_data["name"]
            )
            membership_services.guild_invite_send(
                inviter=manager.player, guild=guild, player=target
            )
        except NotFound:
            form.add_error("name", _("No player has this name."))
        except ApplicationError as error:
            _refusal_to_form(form, error)
        else:
            return _back(guild.id, _("The invitation was sent."), request)
    return manage_render(request, guild, manager, invite_form=form)


@login_required
@require_POST
def invite_revoke_post(request: HttpRequest, guild_id: int, invite_id: int) -> HttpResponse:
    """Withdraw a pending invitation of this guild; another guild's is a 404."""
    guild, manager = manager_of(request, guild_id)
    try:
        invite = selectors.invite_get_for_guild(guild=guild, invite_id=invite_id)
        membership_services.guild_invite_revoke(actor=manager.player, invite=invite)
    except NotFound as error:
        raise Http404 from error
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("guilds:manage", guild_id=guild.id)
    return _back(guild.id, _("The invitation was revoked."), request)


@login_required
@require_POST
def role_create_post(request: HttpRequest, guild_id: int) -> HttpResponse:
    guild, manager = manager_of(request, guild_id)
    form = GuildRoleCreateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.guild_role_create(
                actor=manager.player, guild=guild, name=data["name"], rank=data["rank"],
                permission_names=data["permissions"],
            )  # fmt: skip
        except ApplicationError as error:
            _refusal_to_form(form, error)
        else:
            return _back(guild.id, _("The role was created."), request)
    return manage_render(request, guild, manager, role_form=form)


@login_required
@require_POST
def role_post(request: HttpRequest, guild_id: int, role_id: int, action: str) -> HttpResponse:
    """``action``: ``permissions`` (set the role's permission set) or ``delete``."""
    guild, manager = manager_of(request, guild_id)
    if action not in ("permissions", "delete"):
        raise Http404
    try:
        role = selectors.guild_role_get(guild=guild, role_id=role_id)
    except NotFound as error:
        raise Http404 from error
    if action == "delete":
        try:
            services.guild_role_delete(actor=manager.player, role=role)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("guilds:manage", guild_id=guild.id)
        return _back(guild.id, _("The role was deleted."), request)
    form = GuildRolePermissionsForm(request.POST, prefix=f"role-{role.id}")
    if form.is_valid():
        try:
            services.guild_role_update(
                actor=manager.player, role=role, permission_names=form.cleaned_data["permissions"]
            )
        except ApplicationError as error:
            if role.rank >= manager.role.rank:  # not on the page: no form to show it under
                messages.error(request, error.message)
                return redirect("guilds:manage", guild_id=guild.id)
            _refusal_to_form(form, error)
        else:
            return _back(guild.id, _("The role's permissions were saved."), request)
    return manage_render(request, guild, manager, role_forms={role.id: form})


@login_required
@require_POST
def transfer_post(request: HttpRequest, guild_id: int) -> HttpResponse:
    """Hand the leadership to another member (the leader only, after confirming)."""
    guild, manager = _leader_of(request, guild_id)
    members = [
        (member.player_id, member.player.display_name)
        for member in selectors.guild_members(guild=guild)
        if member.id != manager.id
    ]
    form = GuildTransferForm(request.POST, members=members)
    if form.is_valid():
        target = selectors.guild_members(guild=guild).get(player_id=form.cleaned_data["new_leader"])
        try:
            services.guild_leader_transfer(
                actor=manager.player, guild=guild, new_leader=target.player
            )
        except ApplicationError as error:
            form.add_error(None, str(error.message))
        else:
            return _back(guild.id, _("You handed the leadership over."), request)
    return manage_render(request, guild, manager, transfer_form=form)


@login_required
@require_POST
def disband_post(request: HttpRequest, guild_id: int) -> HttpResponse:
    """Disband the guild (the leader only, after confirming)."""
    guild, manager = _leader_of(request, guild_id)
    form = GuildDisbandForm(request.POST)
    if form.is_valid():
        try:
            services.guild_disband(actor=manager.player, guild=guild)
        except ApplicationError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("The guild was disbanded."))
            return redirect("guilds:browse")
    return manage_render(request, guild, manager, disband_form=form)


@login_required
@require_POST
def emblem_post(request: HttpRequest, guild_id: int) -> HttpResponse:
    """Upload a new emblem (``edit_guild``); a refused image is shown under the field."""
    guild, manager = manager_of(request, guild_id)
    form = GuildEmblemForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            guild_emblem_set(actor=manager.player, guild=guild, upload=form.cleaned_data["image"])
        except ApplicationError as error:
            form.add_error("image" if error.code.startswith("avatar_") else None, error.message)
        else:
            return _back(guild.id, _("The emblem was updated."), request)
    return manage_render(request, guild, manager, emblem_form=form)


@login_required
@require_POST
def emblem_remove_post(request: HttpRequest, guild_id: int) -> HttpResponse:
    guild, manager = manager_of(request, guild_id)
    try:
        guild_emblem_remove(actor=manager.player, guild=guild)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("guilds:manage", guild_id=guild.id)
    return _back(guild.id, _("The emblem was removed."), request)

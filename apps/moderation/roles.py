"""The moderator roles as they are now (migrations 0003 and 0005 created them; a migration
keeps its own frozen copy of these lists). ``roles_ensure`` recreates them where a database
lost them (a test flush) or drifted."""

from django.contrib.auth.models import Group, Permission

MODERATOR_PERMISSIONS = [
    "players.view_player",
    "chat.view_channel",
    "chat.view_message",
    "chat.delete_message",
    "moderation.view_sanction",
    "moderation.add_sanction",
    "moderation.view_auditentry",
    "moderation.view_reportcase",
    "moderation.handle_reportcase",
    "moderation.view_report",
    "moderation.view_appeal",
    "moderation.view_automodhit",
    "moderation.view_filterrule",
]
SENIOR_PERMISSIONS = [
    *MODERATOR_PERMISSIONS,
    "moderation.issue_ban",
    "moderation.lift_sanction",
    "moderation.export_auditentry",
    "moderation.change_appeal",
    "moderation.decide_appeal",
    "moderation.add_filterrule",
    "moderation.change_filterrule",
    "moderation.delete_filterrule",
    "moderation.view_allowedphrase",
    "moderation.add_allowedphrase",
    "moderation.change_allowedphrase",
    "moderation.delete_allowedphrase",
    "moderation.view_titlemoderationsettings",
    "moderation.add_titlemoderationsettings",
    "moderation.change_titlemoderationsettings",
]
ROLES = {"moderators": MODERATOR_PERMISSIONS, "senior moderators": SENIOR_PERMISSIONS}
# Apps whose content moderators handle add their own permissions to the roles (UGC's review
# queue, for one) from their AppConfig.ready(); their migrations grant them in the database.
_registered: dict[str, list[str]] = {}


def role_permissions_register(*, role: str, permissions: list[str]) -> None:
    """``permissions`` (``app_label.codename``) belong to ``role`` from now on."""
    if role not in ROLES:
        raise ValueError(f"unknown moderation role {role!r}")
    _registered.setdefault(role, []).extend(
        permission for permission in permissions if permission not in _registered.get(role, [])
    )


def role_permissions(role: str) -> list[str]:
    return [*ROLES[role], *_registered.get(role, [])]


def roles_ensure() -> None:
    """Each role group exists with exactly its permissions (idempotent)."""
    for name in ROLES:
        dotted = role_permissions(name)
        group, _created = Group.objects.get_or_create(name=name)
        wanted = [codename.split(".", 1) for codename in dotted]
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in wanted
        ]
        group.permissions.set(permissions)

"""Moderator roles as groups with real permissions (docs/moderation.md, "Roles").

``moderators``: read players, chat and reports, delete messages, warn, mute, restrict and
suspend briefly. ``senior moderators``: everything moderators may, plus bans, long
suspensions, lifting, and exporting the audit log. Later migrations extend the lists as new
models arrive; each run sets a group's permissions to exactly its list."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATOR = [
    "players.view_player",
    "chat.view_channel",
    "chat.view_message",
    "chat.delete_message",
    "moderation.view_sanction",
    "moderation.add_sanction",
    "moderation.view_auditentry",
]
SENIOR = [
    *MODERATOR,
    "moderation.issue_ban",
    "moderation.lift_sanction",
    "moderation.export_auditentry",
]
ROLES = {"moderators": MODERATOR, "senior moderators": SENIOR}


def roles_sync(apps, roles):
    # Permissions are normally created after migrations; a fresh database needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in roles.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = [codename.split(".", 1) for codename in codenames]
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in wanted
        ]
        group.permissions.set(permissions)


def roles_create(apps, schema_editor):
    roles_sync(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0002_chat_restrictions"),
        ("accounts", "0002_moderators_group"),
        ("chat", "0005_delete_restriction"),
        ("players", "0003_notification_kind_match_result"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(roles_create, migrations.RunPython.noop)]

"""Moderator roles as groups with real permissions (docs/moderation.md, "Roles").

``moderators``: read players, chat and reports, delete messages, warn, mute, restrict and
suspend briefly. ``senior moderators``: everything moderators may, plus bans, long
suspensions, lifting, and exporting the audit log. Later migrations extend the lists as new
models arrive; each run sets a group's permissions to exactly its list."""

from django.db import migrations

from apps.moderation.migrations import _roles

ROLES = {
    "moderators": _roles.MODERATOR_0003,
    "senior moderators": [*_roles.MODERATOR_0003, *_roles.SENIOR_EXTRA_0003],
}


def roles_create(apps, schema_editor):
    _roles.roles_sync(apps, ROLES)


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

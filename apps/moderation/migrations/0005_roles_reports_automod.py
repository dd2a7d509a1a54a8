"""Roles get the permissions of reports, appeals and automod (see 0003_roles)."""

from django.db import migrations

from apps.moderation.migrations import _roles

MODERATOR = [
    *_roles.MODERATOR_0003,
    "moderation.view_reportcase",
    "moderation.handle_reportcase",
    "moderation.view_report",
    "moderation.view_appeal",
    "moderation.view_automodhit",
    "moderation.view_filterrule",
]
SENIOR = [
    *MODERATOR,
    *_roles.SENIOR_EXTRA_0003,
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


def roles_update(apps, schema_editor):
    _roles.roles_sync(apps, {"moderators": MODERATOR, "senior moderators": SENIOR})


class Migration(migrations.Migration):
    dependencies = [("moderation", "0004_reports_appeals_automod")]

    operations = [migrations.RunPython(roles_update, migrations.RunPython.noop)]

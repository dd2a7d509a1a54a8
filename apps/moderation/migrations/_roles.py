"""Shared by the roles migrations: set each group's permissions to exactly a list."""

from django.contrib.auth.management import create_permissions

MODERATOR_0003 = [
    "players.view_player",
    "chat.view_channel",
    "chat.view_message",
    "chat.delete_message",
    "moderation.view_sanction",
    "moderation.add_sanction",
    "moderation.view_auditentry",
]
SENIOR_EXTRA_0003 = [
    "moderation.issue_ban",
    "moderation.lift_sanction",
    "moderation.export_auditentry",
]


def roles_sync(apps, roles):
    # Permissions are normally created after migrations; a fresh database needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, codenames in roles.items():
        group, _created = group_model.objects.get_or_create(name=name)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".", 1)
            permissions.append(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)

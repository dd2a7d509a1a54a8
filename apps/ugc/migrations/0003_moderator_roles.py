"""The moderator roles (apps.moderation) review, hide and remove content."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = [
    "moderate_item",
    "view_item",
    "view_reviewqueueentry",
    "view_comment",
    "view_titlesettings",
    "change_titlesettings",
]
ROLES = ["moderators", "senior moderators"]


def grant(apps, schema_editor):
    # Permissions are normally created after migrations; a fresh database needs them now.
    config = apps.get_app_config("ugc")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    permission_model = apps.get_model("auth", "Permission")
    permissions = permission_model.objects.filter(
        content_type__app_label="ugc", codename__in=PERMISSIONS
    )
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLES):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    permission_model = apps.get_model("auth", "Permission")
    permissions = permission_model.objects.filter(
        content_type__app_label="ugc", codename__in=PERMISSIONS
    )
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLES):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("ugc", "0002_search_vector_gin"), ("moderation", "0007_moderator_scope")]

    operations = [migrations.RunPython(grant, revoke)]

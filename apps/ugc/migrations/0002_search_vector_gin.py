"""A GIN index for the items' full-text vector, on PostgreSQL only (other databases search
by substring and keep no vector; Django's GinIndex would fail there)."""

from django.db import migrations

INDEX = "ugc_item_search_gin"


def create_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON ugc_item USING gin (search_vector)"
        )


def drop_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("ugc", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]

"""Chat's word rules (``chat.WordRule``) become automod rules: same title, pattern and action,
kind ``word`` (whole words in spaced scripts, anywhere in CJK: the old default), every locale."""

from django.db import migrations


def word_rules_to_filter_rules(apps, schema_editor):
    WordRule = apps.get_model("chat", "WordRule")
    FilterRule = apps.get_model("moderation", "FilterRule")
    FilterRule.objects.bulk_create(
        [
            FilterRule(title_id=row.title_id, locale="", kind="word", pattern=row.pattern,
                       action=row.action)
            for row in WordRule.objects.order_by("id").iterator()
        ],
        batch_size=1000,
    )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0005_roles_reports_automod"),
        ("chat", "0005_delete_restriction"),
    ]

    operations = [migrations.RunPython(word_rules_to_filter_rules, migrations.RunPython.noop)]

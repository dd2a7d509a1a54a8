"""Chat's own mutes and bans (``chat.Restriction``) become sanctions: mute → chat_mute, ban →
ban, same player, title, start, expiry, lift and moderator. Every row moves (lifted and
expired ones too, as history), so no active sanction is lost."""

from datetime import timedelta

from django.db import migrations

KINDS = {"mute": "chat_mute", "ban": "ban"}


def restrictions_to_sanctions(apps, schema_editor):
    Restriction = apps.get_model("chat", "Restriction")
    Sanction = apps.get_model("moderation", "Sanction")
    rows = [
        Sanction(
            player_id=row.player_id,
            kind=KINDS.get(row.kind, "chat_mute"),
            title_id=row.title_id,
            # A restriction created already expired still has to start before it ends.
            starts_at=row.created_at
            if row.expires_at is None or row.expires_at > row.created_at
            else row.expires_at - timedelta(seconds=1),
            expires_at=row.expires_at,
            reason_category="other",
            reason=row.reason,
            evidence=[{"kind": "chat_restriction", "id": row.id}],
            issuer_kind="moderator" if row.created_by_id else "system",
            issued_by_id=row.created_by_id,
            issuer_detail="" if row.created_by_id else "chat restriction",
            lifted_at=row.lifted_at,
            lift_reason="",
        )
        for row in Restriction.objects.order_by("id").iterator()
    ]
    Sanction.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("chat", "0004_change_seq"),
    ]

    operations = [
        migrations.RunPython(restrictions_to_sanctions, migrations.RunPython.noop),
    ]

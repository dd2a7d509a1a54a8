import json
import logging
from io import StringIO

from django.core.management import call_command

from apps.accounts.models import User
from apps.common.logging import JsonFormatter
from apps.titles.models import Title


def _counts() -> dict[str, int]:
    from django.apps import apps

    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "titles", "players", "chat", "game_events"}
    }


def test_seed_demo_prints_the_logins_and_is_idempotent(db):
    first = StringIO()
    call_command("seed_demo", stdout=first)
    after_first = _counts()

    call_command("seed_demo", stdout=StringIO())

    assert _counts() == after_first
    assert "alice" in first.getvalue()
    assert "community-demo" in first.getvalue()
    assert User.objects.get(username="moderator").groups.filter(name="moderators").exists()
    assert Title.objects.filter(slug="kaiju-kingdoms", default_locale="ja").exists()


def test_the_printed_moderator_login_opens_the_moderation_queue(db, client):
    """The printout promises the admin panel's moderation queue: the seeded moderator (its
    group's permissions come from migrations) must really open it."""
    from apps.moderation.roles import roles_ensure

    roles_ensure()  # transactional tests elsewhere may have flushed the migrations' groups
    out = StringIO()
    call_command("seed_demo", stdout=out)
    client.force_login(User.objects.get(username="moderator"))

    queue = client.get("/admin/moderation/reportcase/")
    admin_index = client.get("/admin/").content.decode()

    assert "admin panel: the moderation queue and content review" in out.getvalue()
    assert queue.status_code == 200
    assert "User-generated content" in admin_index


def test_json_log_lines_carry_ids_from_extra():
    record = logging.LogRecord("apps.chat", logging.WARNING, __file__, 1, "send refused", (), None)
    record.player_id = 42
    record.channel_id = 7

    line = json.loads(JsonFormatter().format(record))

    assert line["level"] == "WARNING"
    assert line["logger"] == "apps.chat"
    assert line["message"] == "send refused"
    assert (line["player_id"], line["channel_id"]) == (42, 7)
    assert line["time"].endswith("+00:00")

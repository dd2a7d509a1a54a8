from datetime import timedelta

import pytest
from django.utils import timezone

from apps.moderation.models import AutomodHit, ReportCase
from apps.moderation.tasks import moderation_cleanup_task

pytestmark = pytest.mark.django_db


def test_cleanup_prunes_old_hits_and_releases_lapsed_claims_only(alice, moderator):
    old = AutomodHit.objects.create(player=alice, action="block",
                                    created_at=timezone.now() - timedelta(days=31))  # fmt: skip
    recent = AutomodHit.objects.create(player=alice, action="block")
    lapsed = ReportCase.objects.create(target_type="message", target_id="1", claimed_by=moderator,
                                       claimed_at=timezone.now() - timedelta(hours=2))  # fmt: skip
    fresh = ReportCase.objects.create(target_type="message", target_id="2", claimed_by=moderator,
                                      claimed_at=timezone.now())  # fmt: skip

    outcome = moderation_cleanup_task()
    again = moderation_cleanup_task()

    assert outcome == {"hits_pruned": 1, "claims_released": 1}
    assert again == {"hits_pruned": 0, "claims_released": 0}
    assert list(AutomodHit.objects.values_list("id", flat=True)) == [recent.id]
    assert not AutomodHit.objects.filter(id=old.id).exists()
    lapsed.refresh_from_db()
    fresh.refresh_from_db()
    assert (lapsed.claimed_by, fresh.claimed_by) == (None, moderator)


def test_the_role_groups_match_what_the_migrations_made():
    from django.contrib.auth.models import Group

    from apps.moderation.roles import ROLES, role_permissions

    for name in ROLES:
        dotted = role_permissions(name)
        have = Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
        assert sorted(f"{app}.{code}" for app, code in have) == sorted(dotted)

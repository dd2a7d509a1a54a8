from django.contrib.auth.models import Group


def test_moderators_group_exists_after_migrate(db):
    assert Group.objects.filter(name="moderators").exists()

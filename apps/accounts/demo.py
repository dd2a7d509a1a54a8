"""Demo logins (embedded default only; never use these passwords anywhere real)."""

from django.contrib.auth.models import Group

from apps.accounts.models import User

DEMO_PASSWORD = "community-demo"  # noqa: S105 - documented demo login, local only
DEMO_PLAYERS = ["alice", "bob", "carol", "daisuke", "emi"]


def _ensure_user(username: str, *, is_staff: bool = False, is_superuser: bool = False) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "email": f"{username}@demo.invalid",
            "is_staff": is_staff,
            "is_superuser": is_superuser,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def seed() -> list[str]:
    for username in DEMO_PLAYERS:
        _ensure_user(username)
    _ensure_user("admin", is_staff=True, is_superuser=True)
    moderator = _ensure_user("moderator", is_staff=True)
    moderator.groups.add(Group.objects.get_or_create(name="moderators")[0])
    return [
        f"Demo logins (password {DEMO_PASSWORD!r}): {', '.join(DEMO_PLAYERS)};"
        " moderator (admin panel: the moderation queue and content review, moderators group);"
        " admin (superuser)",
    ]

"""Demo moderation: a senior moderator next to the seeded moderator, a few automod rules, and
open reports to handle (idempotent: reports repeat as updates, rules are looked up first)."""

from django.contrib.auth.models import Group

from apps.accounts.demo import DEMO_PASSWORD
from apps.accounts.models import User
from apps.chat.channels import lobby_channel_get_or_create
from apps.chat.models import Message
from apps.chat.services import message_send
from apps.moderation.automod.services import filter_rule_save
from apps.moderation.models import FilterRule, ReportCase
from apps.moderation.reports import report_submit
from apps.moderation.roles import roles_ensure
from apps.players.models import Player
from apps.titles.models import Title

DEMO_RULES = [
    ("wildcard", "noob*", "mask", "en"),
    ("word", "idiot", "block", "en"),
    ("word", "ばか", "block", "ja"),
    ("word", "馬鹿", "block", "ja"),
    ("word", "かす", "block", "ja"),
]
OFFENSIVE = "you are all trash, uninstall the game"


def _senior_moderator() -> User:
    user, created = User.objects.get_or_create(
        username="senior-moderator",
        defaults={"email": "senior-moderator@demo.invalid", "is_staff": True},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    roles_ensure()  # a flushed database (transactional tests) lost the migrations' groups
    user.groups.add(Group.objects.get(name="senior moderators"))
    return user


def _rules() -> None:
    for kind, pattern, action, locale in DEMO_RULES:
        if not FilterRule.objects.filter(pattern=pattern, title__isnull=True).exists():
            filter_rule_save(rule=FilterRule(kind=kind, pattern=pattern, action=action,
                                             locale=locale))  # fmt: skip


def _reports() -> int:
    players = {p.user.username: p for p in Player.objects.select_related("user")
               if p.user is not None}  # fmt: skip
    title = Title.objects.filter(slug="starfall-arena").first()
    if title is None or not {"alice", "bob", "carol", "daisuke"} <= set(players):
        return 0
    lobby = lobby_channel_get_or_create(title=title)
    message = Message.objects.filter(client_msg_id="demo-moderation-1").first()
    if message is None:
        message = message_send(channel=lobby, author=players["carol"], body=OFFENSIVE,
                               client_msg_id="demo-moderation-1").message  # fmt: skip
    for reporter, category in (("alice", "harassment"), ("bob", "harassment")):
        report_submit(reporter=players[reporter], target_type="message",
                      target_id=message.id, category=category, text="Rude to everyone")  # fmt: skip
    report_submit(reporter=players["alice"], target_type="profile",
                  target_id=players["daisuke"].id, category="spam",
                  text="Advertises gold selling in the bio")  # fmt: skip
    return ReportCase.objects.filter(status="open").count()


def seed() -> list[str]:
    _senior_moderator()
    _rules()
    open_cases = _reports()
    return [
        f"Demo moderation: senior-moderator (password {DEMO_PASSWORD!r}, senior moderators "
        f"group); {len(DEMO_RULES)} automod rules; {open_cases} open report cases for the "
        "moderator's queue (admin → Moderation → Report cases)"
    ]

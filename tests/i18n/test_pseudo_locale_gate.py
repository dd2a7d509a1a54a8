"""The translation gate: every portal page and the main admin pages, rendered in the en-xa
pseudo-locale in headless Chromium, show no visible text that is neither pseudo-translated
(accented, between fullwidth brackets) nor user content (inside ``<bdi>`` or
``[data-user-content]``).

A page that forgets to mark a string fails here with the words it shows untranslated; a new
portal URL that is not listed below fails ``test_every_portal_url_is_visited_by_the_gate``.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from playwright.sync_api import Page, sync_playwright

from apps.chat.models import Channel
from apps.players.models import Player
from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.support.services import CHROMIUM

DEMO_PASSWORD = "community-demo"
NOT_PORTAL_PREFIXES = ("admin/", "api/", "i18n/", "healthz", "readyz", "metrics")

# Portal pages by URL name → who views them. Arguments are filled from the demo data.
PAGES: dict[str, str] = {
    "home": "visitor",
    "accounts:login": "visitor",
    "accounts:signup": "visitor",
    "accounts:signup_sent": "visitor",
    "accounts:signup_complete": "visitor",
    "accounts:password_reset": "visitor",
    "accounts:password_reset_done": "visitor",
    "accounts:password_reset_confirm": "visitor",
    "accounts:password_reset_complete": "visitor",
    "players:create": "newcomer",
    "players:me": "alice",
    "players:friends": "alice",
    "players:notifications": "alice",
    "players:settings": "alice",
    "players:profile": "alice",
    "chat:page": "alice",
    "moderation:report": "alice",
    "moderation:my-sanctions": "alice",
    "moderation:appeal-link": "visitor",
    "ugc:index": "alice",
    "ugc:upload": "alice",
    "ugc:mine": "alice",
    "ugc:gallery": "alice",
    "ugc:item": "alice",
    "ugc:creator": "alice",
    "ugc:report": "alice",
    "guilds:browse": "alice",
    "guilds:create": "alice",
    "guilds:detail": "alice",
    "guilds:manage": "alice",
}
# URLs that are not pages: each says what it is instead.
NOT_PAGES: dict[str, str] = {
    "accounts:logout": "POST only, redirects",
    "favicon": "a redirect to the icon image",
    "javascript-catalog": "JavaScript: the scripts' catalog (test_javascript_catalog.py)",
    "players:avatar-upload": "POST only, redirects",
    "players:showcase": "POST only, redirects",
    "players:request-answer": "POST only, redirects",
    "players:notifications-read-all": "POST only, redirects",
    "players:notifications-unread-count": "JSON",
    "players:unread-count": "JSON",
    "players:identity-claim": "POST only, redirects",
    "players:identity-unlink": "POST only, redirects",
    "players:export": "a JSON download",
    "players:delete": "POST only, redirects",
    "players:avatar": "an image",
    "players:friend-request": "POST only, redirects",
    "players:relation": "POST only, redirects",
    "moderation:appeal": "POST only, redirects",
    "ugc:comment": "POST only, redirects",
    "ugc:version-upload": "POST only, redirects",
    "ugc:manage": "POST only, redirects",
    "ugc:engage": "POST only, redirects",
    "ugc:comment-delete": "POST only, redirects",
    "ugc:blob": "a file (signed link)",
    "guilds:join": "POST only, redirects",
    "guilds:leave": "POST only, redirects",
    "guilds:invite": "POST only, redirects",
    "guilds:invite-respond": "POST only, redirects",
    "guilds:manage-settings": "POST only, redirects",
    "guilds:manage-member": "POST only, redirects",
    "guilds:manage-request": "POST only, redirects",
    "guilds:manage-ban-lift": "POST only, redirects",
    "guilds:manage-invite-revoke": "POST only, redirects",
    "guilds:manage-disband": "POST only, redirects",
    # POST only: redirect, or the manage page (in PAGES) again with the form's errors.
    "guilds:manage-invite": "POST only, redirects or re-renders guilds:manage",
    "guilds:manage-roles": "POST only, redirects or re-renders guilds:manage",
    "guilds:manage-role": "POST only, redirects or re-renders guilds:manage",
    "guilds:manage-transfer": "POST only, redirects or re-renders guilds:manage",
    "guilds:manage-emblem": "POST only, redirects or re-renders guilds:manage",
    "guilds:manage-emblem-remove": "POST only, redirects",
    "guilds:emblem": "an image file (WebP), no text",
}
# The main admin pages: the index, the changelists moderators work in, and adding a sanction.
ADMIN_PAGES: list[str] = [
    "/admin/",
    "/admin/players/player/",
    "/admin/moderation/sanction/",
    "/admin/moderation/sanction/add/",
    "/admin/moderation/reportcase/",
    "/admin/moderation/appeal/",
    "/admin/moderation/auditentry/",
    "/admin/ugc/item/",
    "/admin/titles/title/",
    "/admin/chat/message/",
    "/admin/game_events/inboxevent/",
]
# Admin cells and headings show data (object names, field values, the staff member's login,
# filter choices drawn from the data such as title names), not interface text.
ADMIN_DATA = (
    "#result_list tbody td, #result_list tbody th, .readonly, .breadcrumbs, #content h2, "
    "#user-tools strong, #changelist-filter li"
)
# [data-intl]: dates and times a script formats with Intl (the browser's locale data, which
# knows no pseudo-locale), never a string of ours.
USER_CONTENT = "bdi, [data-user-content], [data-intl]"

VISIBLE_TEXT = """(userContent) => {
  const text = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || parent.closest("script, style, noscript, template, textarea")) continue;
    if (!parent.checkVisibility({ visibilityProperty: true })) continue;
    text.push(parent.closest(userContent) ? " \\u2063 " : node.nodeValue);
  }
  const attributes = [];
  for (const element of document.body.querySelectorAll(
      "[placeholder], [aria-label], [title], img[alt], input[type=submit], input[type=button]")) {
    if (element.closest(userContent)) continue;
    for (const name of ["placeholder", "aria-label", "title", "alt", "value"]) {
      const value = element.getAttribute(name);
      if (value && (name !== "value" || element.type === "submit" || element.type === "button"))
        attributes.push(`${name}=${value}`);
    }
  }
  return { text: text.join(""), attributes: attributes, title: document.title };
}"""
_PSEUDO_SEGMENT = re.compile(r"［[^［］]*］")  # noqa: RUF001
_WORD = re.compile(r"[^\W\d_]{2,}")


def untranslated_words(text: str) -> list[str]:
    """Letters left once every pseudo-translated segment is removed (innermost first, since a
    translated string may hold another)."""
    while True:
        stripped = _PSEUDO_SEGMENT.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    return _WORD.findall(text)


def page_problems(page: Page, url: str, user_content: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    seen = page.evaluate(VISIBLE_TEXT, user_content)
    problems = []
    for words, where in [
        (untranslated_words(seen["text"]), "text"),
        (untranslated_words(seen["title"]), "title"),
        *[(untranslated_words(value.split("=", 1)[1]), value) for value in seen["attributes"]],
    ]:
        if words:
            problems.append(f"{url} {where}: {' '.join(words)}")
    return problems


def portal_url_names() -> set[str]:
    """Every named URL that is not the admin, the API, a health probe or the language menu."""
    names = set()

    def walk(patterns: list, namespace: str | None, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace, route)
            elif (
                isinstance(pattern, URLPattern)
                and pattern.name
                and not route.startswith(NOT_PORTAL_PREFIXES)
            ):
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None, "")
    return names


def test_every_portal_url_is_visited_by_the_gate():
    unlisted = portal_url_names() - PAGES.keys() - NOT_PAGES.keys()
    assert unlisted == set(), "add each new portal URL to PAGES (or NOT_PAGES, with what it is)"


def test_the_pseudo_locale_accents_and_brackets_but_keeps_placeholders():
    from apps.ops.pseudo_locale import pseudo_text

    assert pseudo_text("Settings") == "［Šéţţîñĝš］"  # noqa: RUF001
    assert pseudo_text("Hi %(name)s, <b>{count}</b> &amp; %d") == (
        "［Ĥî %(name)s, <b>{count}</b> &amp; %d］"  # noqa: RUF001
    )
    assert untranslated_words("［Ĥî］ 12:05 · alice") == ["alice"]  # noqa: RUF001
    assert untranslated_words("［Ŵéļçöɱé ［ƀáçķ］, ］ 3") == []  # noqa: RUF001


def _log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form.login-form button[type=submit], main form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


def _emailed_links(base_url: str) -> dict[str, str]:
    """The signup and password-reset links, as a visitor gets them: from the emails."""
    from django.core import mail

    from apps.accounts.signup import signup_start

    mail.outbox.clear()
    with transaction.atomic():
        signup_start(email="new-player@example.com", site_url=base_url)
    Client().post(reverse("accounts:password_reset"), {"email": "alice@demo.invalid"})
    # The links' paths, on the live server (the reset request went through the test client).
    links = [
        base_url + urlsplit(re.search(r"https?://\S+", message.body).group()).path
        for message in mail.outbox
    ]
    signup = next(link for link in links if "/signup/" in link)
    reset = next(link for link in links if "/reset/" in link)
    return {"accounts:signup_complete": signup, "accounts:password_reset_confirm": reset}


def _urls(base_url: str, alice: Player, emailed: dict[str, str]) -> dict[str, str]:
    """Every page's URL, with its arguments from the demo data (before the browser starts:
    Playwright's sync API runs an event loop, where the ORM may not)."""
    from apps.guilds.models import Guild
    from apps.ugc.models import Item

    # A public item of another creator, which alice may view and report.
    item = Item.objects.filter(visibility="public", state="published").exclude(creator=alice)
    item_id = item.values_list("id", flat=True).first()
    # A banned demo player's appeal link (they cannot log in: the link needs no session).
    from apps.moderation.appeal_links import appeal_link_token
    from apps.moderation.sanctions import sanction_issue

    banned = Player.objects.filter(user__isnull=False).exclude(id=alice.id).first()
    ban = sanction_issue(player=banned, kind="ban", reason_category="spam")
    kwargs: dict[str, dict[str, object]] = {
        "moderation:appeal-link": {
            "token": appeal_link_token(sanction_id=ban.id, player_id=banned.id)
        },
        "players:profile": {"player_id": alice.id},
        "guilds:detail": {"guild_id": Guild.objects.filter(disbanded_at=None).first().id},
        # A guild alice leads: every part of the manage page shows.
        "guilds:manage": {"guild_id": Guild.objects.get(name="Orbital Vanguard").id},
        "ugc:creator": {"player_id": alice.id},
        "ugc:gallery": {"slug": "starfall-arena"},
        "ugc:item": {"item_id": item_id},
        "ugc:report": {"kind": "item", "target_id": item_id},
    }
    return {
        name: emailed.get(name) or base_url + reverse(name, kwargs=kwargs.get(name, {}))
        for name in PAGES
    }


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_page_is_translated_in_the_pseudo_locale(daphne_server):
    from apps.accounts.models import User

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    User.objects.create_user(username="newcomer", password=DEMO_PASSWORD)
    alice = Player.objects.get(user__username="alice")
    # A player's own language wins over the cookie (apps/players/preferences.py).
    Player.objects.filter(user__isnull=False).update(locale="en-xa")
    assert Channel.objects.exists()
    base = daphne_server.url
    urls = _urls(base, alice, _emailed_links(base))
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for who in ("visitor", "newcomer", "alice", "admin"):
                context = browser.new_context()
                context.add_cookies([{"name": "django_language", "value": "en-xa", "url": base}])
                page = context.new_page()
                if who != "visitor":
                    _log_in(page, base, who)
                for name, viewer in PAGES.items():
                    if viewer == who:
                        problems += page_problems(page, urls[name], USER_CONTENT)
                if who == "admin":
                    for path in ADMIN_PAGES:
                        url = base + path.format(alice=alice.id)
                        problems += page_problems(page, url, f"{USER_CONTENT}, {ADMIN_DATA}")
                context.close()
        finally:
            browser.close()
    assert not problems, "\n".join(problems)

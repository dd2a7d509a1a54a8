"""The main player pages in Japanese, in headless Chromium: a player whose language is 日本語
sees the portal in Japanese (known strings of the ja catalog), with ``lang="ja"`` and their
zone (which the portal's JavaScript formats times in) on the page.
Screenshots are kept under ``var/screenshots/ja/`` (CI keeps them as artifacts)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import sync_playwright

from apps.players.models import Player
from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.i18n.test_pseudo_locale_gate import DEMO_PASSWORD
from tests.support.services import CHROMIUM

SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots" / "ja"
# Page → Japanese text the player must see there (the navigation is checked on every page).
PAGES: dict[str, list[str]] = {
    "home": ["おかえりなさい、"],
    "players:me": ["プロフィールを保存", "タイムゾーン", "ショーケース"],
    "players:friends": ["プレイヤーを探す", "フレンド一覧", "届いた申請"],
    "players:notifications": ["すべて既読にする"],
    "players:settings": ["プロフィールの公開範囲", "設定を保存", "アカウントを削除"],
    "chat:page": ["送信"],
    "moderation:my-sanctions": ["自分のペナルティと異議申し立て"],
    "ugc:index": ["コミュニティの作品"],
}
NAVIGATION = ["フレンド", "通知", "設定", "ログアウト"]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_main_player_pages_are_in_japanese(daphne_server):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    Player.objects.filter(user__username="alice").update(locale="ja", time_zone="Asia/Tokyo")
    base = daphne_server.url
    urls = {name: base + reverse(name) for name in PAGES}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seen: dict[str, tuple[str, str]] = {}  # page → ("<lang> <zone>", its visible text)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base}/accounts/login/")
            page.locator("input[name=username]").fill("alice")
            page.locator("input[name=password]").fill(DEMO_PASSWORD)
            page.locator("main form button[type=submit]").first.click()
            page.wait_for_load_state("networkidle")
            for name, url in urls.items():
                page.goto(url)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(SCREENSHOTS / f"{name.replace(':', '-')}.png"))
                html = page.locator("html")
                seen[name] = (
                    f"{html.get_attribute('lang')} {html.get_attribute('data-time-zone')}",
                    page.inner_text("body"),
                )
        finally:
            browser.close()

    for name, expected in PAGES.items():
        language_and_zone, text = seen[name]
        assert language_and_zone == "ja Asia/Tokyo", name
        missing = [words for words in [*NAVIGATION, *expected] if words not in text]
        assert missing == [], f"{name} lacks {missing}"

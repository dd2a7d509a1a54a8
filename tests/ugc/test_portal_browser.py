"""The portal upload form in headless Chromium: the progress bar follows the upload, the new
item opens, the gallery shows it with its thumbnail, and a refused file says why."""

import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from playwright.sync_api import expect, sync_playwright

from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.factories import TEST_PASSWORD, TitleFactory, UserFactory
from tests.players.factories import PlayerFactory
from tests.support.live import run_daphne
from tests.support.services import CHROMIUM
from tests.ugc import corpus

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Records every value the progress bar takes (its value attribute) into Python.
RECORD_PROGRESS = """
const bar = document.getElementById('ugc-upload-progress');
new MutationObserver(() => window.recordProgress(Number(bar.getAttribute('value'))))
  .observe(bar, {attributes: true, attributeFilter: ['value']});
"""


def test_upload_with_progress_then_the_gallery(tmp_path, live_tmp):
    TitleFactory(slug="starfall-arena", name="Starfall Arena")
    PlayerFactory(
        user=UserFactory(username="alice"), display_name="alice", display_name_key="alice"
    )
    screenshot = tmp_path / "sunset.png"
    screenshot.write_bytes(corpus.noisy_png((1280, 720), seed=5))
    mod = tmp_path / "big-mod.zip"
    mod.write_bytes(corpus.zip_bytes({"mod/data.bin": os.urandom(24 << 20)}, method=0))
    svg = tmp_path / "logo.svg"
    svg.write_bytes(corpus.svg_with_script())
    storage = tmp_path / "storage"
    environment = {
        "UGC_STORAGE_LOCATION": str(storage),
        "UGC_SPOOL_DIR": str(tmp_path),
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }  # thumbnails made in the server process

    with run_daphne(live_tmp, **environment) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            # Loopback moves 24 MB in milliseconds, faster than progress events come: a
            # player's uplink (8 MB/s) makes the upload take long enough to be seen.
            network = page.context.new_cdp_session(page)
            network.send("Network.enable")
            network.send("Network.emulateNetworkConditions", {
                "offline": False, "latency": 0, "downloadThroughput": -1,
                "uploadThroughput": 8 * 1024 * 1024,
            })  # fmt: skip
            progress: list[float] = []
            page.expose_function("recordProgress", lambda value: progress.append(value))
            page.goto(f"{server.url}/accounts/login/?next=/ugc/upload/")
            page.get_by_label("Username or email").fill("alice")
            page.get_by_label("Password").fill(TEST_PASSWORD)
            page.get_by_role("button", name="Log in").click()

            def submit(kind: str, name: str, path) -> None:  # type: ignore[no-untyped-def]
                page.goto(f"{server.url}/ugc/upload/")
                page.locator("#id_title").select_option("starfall-arena")
                page.locator("#id_kind").select_option(kind)
                page.locator("#id_name").fill(name)
                page.locator("#id_file").set_input_files(str(path))
                page.evaluate(RECORD_PROGRESS)
                page.get_by_role("button", name="Upload").click()

            submit("mod", "Big mod", mod)
            expect(page.get_by_test_id("ugc-item-name")).to_have_text("Big mod", timeout=60_000)
            mod_progress = list(progress)

            submit("screenshot", "Sunset", screenshot)
            expect(page.get_by_test_id("ugc-item-name")).to_have_text("Sunset", timeout=30_000)

            progress.clear()
            submit("artwork", "Logo", svg)
            expect(page.get_by_test_id("upload-status")).to_contain_text(
                "(unsupported_type)", timeout=30_000
            )

            page.goto(f"{server.url}/ugc/t/starfall-arena/")
            cards = page.get_by_test_id("ugc-card-name")
            expect(cards).to_have_text(["Sunset", "Big mod"])
            thumbnail = page.locator(".ugc-card img").first
            expect(thumbnail).to_have_attribute(
                "src", re.compile(r"^/api/v1/ugc/items/\d+/thumbnails/small$")
            )
            # The thumbnail decodes at its small size (polled from outside the page: the CSP
            # forbids the eval that wait_for_function would need).
            for _ in range(300):
                if thumbnail.evaluate("img => img.naturalWidth") == 320:
                    break
                page.wait_for_timeout(100)
            assert thumbnail.evaluate("img => img.naturalWidth") == 320
        finally:
            browser.close()

    assert mod_progress[-1] == 100
    assert any(0 < value < 100 for value in mod_progress), mod_progress
    assert mod_progress == sorted(mod_progress)


def test_a_shared_item_shows_its_card_in_the_portal_chat(daphne_server):
    from apps.chat.channels import lobby_channel_get_or_create
    from apps.chat.services import message_send
    from apps.players.models import Player
    from apps.titles.models import Title
    from apps.ugc.services.fields import ItemInput
    from apps.ugc.services.items import item_create
    from tests.chat.test_portal_browser import alice_and_bob_in_the_lobby

    def share() -> int:
        """alice shares a clip in the lobby (in a thread: Playwright's loop runs in this one)."""
        title = Title.objects.get(slug="starfall-arena")
        alice = Player.objects.get(display_name="alice")
        clip = ItemInput(kind="clip", name="Ace <clutch>", link_url="https://youtu.be/x")
        item = item_create(creator=alice, title=title, data=clip)
        message_send(channel=lobby_channel_get_or_create(title=title), author=alice,
                     body="look", attachments=[{"kind": "ugc", "id": item.id}])  # fmt: skip
        connection.close()
        return item.id

    with alice_and_bob_in_the_lobby(daphne_server.url) as (_alice_page, bob_page):
        with ThreadPoolExecutor(1) as pool:
            item_id = pool.submit(share).result()
        bob_page.reload()
        bob_page.get_by_role("button", name="Starfall Arena").click()

        card = bob_page.get_by_test_id("ugc-card")
        expect(card).to_contain_text("Ace <clutch>")
        expect(card).to_contain_text("alice")
        expect(card).to_have_attribute("href", f"/ugc/items/{item_id}/")

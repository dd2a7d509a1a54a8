"""The moderation queue worked through in headless Chromium as the seeded moderator: log in,
claim a report, mute, see it in the audit log; a senior action is refused."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect, sync_playwright

from apps.accounts.demo import DEMO_PASSWORD
from apps.moderation.models import ReportCase, Sanction
from apps.moderation.roles import roles_ensure
from tests.browser.test_portal_login import CHROMIUM_ARGS
from tests.support.services import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_the_seeded_moderator_claims_a_report_mutes_and_sees_it_in_the_audit_log(daphne_server):
    roles_ensure()  # a transactional test's flush drops the groups the migrations made
    call_command("seed_demo")
    base = daphne_server.url

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base}/admin/")
            page.get_by_label("Username").fill("moderator")
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("link", name="Report cases").click()
            expect(page.locator("#result_list tbody tr")).to_have_count(2)
            # Escalation and severity order the queue: the harassing message comes first.
            page.locator("#result_list tbody tr").first.locator("th a").click()
            expect(page.get_by_test_id("evidence")).to_contain_text("you are all trash")
            page.get_by_test_id("claim").click()
            expect(page.get_by_test_id("case-claimed-by")).to_have_text("moderator")
            page.get_by_label("Reason").fill("Insulting the lobby")
            page.get_by_test_id("act-mute_24h").click()
            expect(page.locator(".messagelist")).to_contain_text("Done: Mute 24 h.")
            expect(page.get_by_test_id("case-status")).to_have_text("Action taken")

            page.goto(f"{base}/admin/moderation/reportcase/?status=open")
            page.locator("#result_list tbody tr").first.locator("th a").click()
            page.get_by_test_id("act-ban").click()
            expect(page.locator(".messagelist")).to_contain_text(
                "Your moderator role does not allow this action."
            )
            expect(page.get_by_test_id("case-status")).to_have_text("Open")

            page.get_by_role("link", name="Audit log").first.click()
            rows = page.locator("#result_list tbody tr")
            expect(rows.filter(has_text="case.mute_24h")).to_have_count(1)
            expect(rows.filter(has_text="sanction.issued")).to_have_count(1)
            expect(rows.filter(has_text="case.claimed")).to_have_count(1)
        finally:
            browser.close()

    mute = Sanction.objects.get(kind="chat_mute")
    assert (mute.player.user.username, mute.issued_by.username) == ("carol", "moderator")
    assert mute.reason == "Insulting the lobby"
    assert ReportCase.objects.filter(status="open").count() == 1
    assert not Sanction.objects.filter(kind="ban").exists()

"""Shared pieces of the portal's browser tests: the vendored axe-core, screenshots kept as
artifacts, and console errors collected per page."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import ConsoleMessage, Page

from tests.support.services import REQUIRE_SERVICES

# `make axe` installs the npm package here (var/ is never committed).
AXE_JS = Path(settings.VAR_DIR) / "axe/node_modules/axe-core/axe.min.js"
ARTIFACTS = Path(settings.VAR_DIR) / "artifacts/portal"
WIDTHS = {"desktop": 1280, "phone": 390}
BLOCKING_IMPACTS = {"serious", "critical"}


def axe_source() -> str:
    if not AXE_JS.exists():
        reason = f"axe-core is not installed ({AXE_JS}; run `make axe`)"
        if REQUIRE_SERVICES:
            pytest.fail(f"COMMUNITY_REQUIRE_SERVICES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return AXE_JS.read_text()


def axe_violations(page: Page, source: str) -> list[str]:
    """The serious and critical violations axe finds on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's CSP (no inline script) stays on.
        page.evaluate(source)
    results = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{page.url} [{violation['impact']}] {violation['id']}: "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in violation["nodes"][:5])
        for violation in results
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def record_console_errors(page: Page, into: list[str]) -> None:
    def keep(message: ConsoleMessage) -> None:
        if message.type == "error":
            into.append(f"{page.url}: {message.text}")

    page.on("console", keep)
    page.on("pageerror", lambda error: into.append(f"{page.url}: {error}"))

"""The portal's shell: designed error pages, the icon, the design system's stylesheet, and form
errors placed under their own field."""

from django.test import Client

from tests.players.factories import PlayerFactory


def test_an_unknown_page_answers_the_designed_404(db):
    response = Client().get("/no-such-page/")

    page = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="error-page"' in page
    assert "Page not found" in page
    assert "/static/portal/portal.css" in page
    assert 'href="/"' in page


def test_the_api_keeps_its_json_404(db):
    response = Client().get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_favicon_ico_leads_to_the_icon(db):
    client = Client()
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content).startswith(b"\x89PNG")


def test_every_page_links_the_design_system_and_the_icons(db):
    page = Client().get("/accounts/login/").content.decode()

    assert "/static/portal/portal.css" in page
    assert 'rel="icon" href="/static/portal/favicon.svg"' in page
    assert 'class="skip-link" href="#content"' in page


def test_the_stylesheet_follows_the_system_theme_and_styles_errors_apart_from_success():
    from pathlib import Path

    from django.conf import settings

    css = (Path(settings.BASE_DIR) / "static/portal/portal.css").read_text()
    assert "@media (prefers-color-scheme: dark)" in css
    assert ".messages li.error" in css
    assert ".messages li.success" in css


def test_a_field_error_sits_under_its_field_and_is_tied_to_it(db):
    player = PlayerFactory()
    client = Client()
    client.force_login(player.user)

    page = client.post("/players/me/", {"display_name": ""}).content.decode()

    before, after = page.split('id="id_display_name"', 1)
    input_tag = before.rsplit("<input", 1)[1] + after.split(">", 1)[0]
    assert 'aria-invalid="true"' in input_tag
    assert 'aria-describedby="id_display_name_error"' in input_tag
    # The message comes after the input, inside the same field group
    assert after.index('<ul class="errorlist" id="id_display_name_error">') < after.index("</div>")

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from apps.titles import scopes
from apps.titles.exceptions import CredentialNotUsable, UnknownScope
from apps.titles.models import TitleCredential
from apps.titles.services import (
    title_credential_create,
    title_credential_revoke,
    title_credential_rotate,
)
from tests.factories import TitleFactory, UserFactory

ALL_SCOPES = [scopes.EVENTS_PUBLISH, scopes.CREDENTIALS_ROTATE]


def call_me(key: str):
    return Client().get("/api/v1/title-client/me", HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def title(db):
    return TitleFactory(slug="starfall", name="Starfall")


def test_a_new_key_authenticates_as_its_title_with_its_scopes(title):
    issued = title_credential_create(title=title, name="eu servers", scopes=ALL_SCOPES)

    response = call_me(issued.key)

    assert response.status_code == 200
    assert response.json()["title"]["slug"] == "starfall"
    assert response.json()["credential"]["scopes"] == sorted(ALL_SCOPES)
    assert response.json()["credential"]["prefix"] == issued.key[:12]


def test_the_key_is_never_stored_in_clear(title):
    issued = title_credential_create(title=title, name="eu", scopes=ALL_SCOPES)

    row = TitleCredential.objects.filter(id=issued.credential.id).values().get()

    assert all(issued.key not in str(value) for value in row.values())
    assert row["digest"] != issued.key
    assert len(row["digest"]) == 64


def test_a_revoked_key_stops_working_at_once(title):
    issued = title_credential_create(title=title, name="eu", scopes=ALL_SCOPES)
    title_credential_revoke(credential=issued.credential)

    response = call_me(issued.key)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_rotation_issues_a_successor_and_the_old_key_works_only_for_the_grace(title):
    issued = title_credential_create(title=title, name="eu", scopes=ALL_SCOPES)

    successor = title_credential_rotate(credential=issued.credential, grace=timedelta(hours=1))

    assert call_me(successor.key).status_code == 200
    assert call_me(issued.key).status_code == 200
    assert successor.credential.scopes == issued.credential.scopes
    assert successor.credential.rotated_from_id == issued.credential.id
    # Once the grace has passed, the old key is refused.
    TitleCredential.objects.filter(id=issued.credential.id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert call_me(issued.key).status_code == 401
    assert call_me(successor.key).status_code == 200


def test_rotation_without_grace_revokes_the_old_key(title):
    issued = title_credential_create(title=title, name="eu", scopes=ALL_SCOPES)

    successor = title_credential_rotate(credential=issued.credential, grace=timedelta(0))

    assert call_me(issued.key).status_code == 401
    assert call_me(successor.key).status_code == 200


def test_a_key_can_be_rotated_only_once(title):
    issued = title_credential_create(title=title, name="eu", scopes=ALL_SCOPES)
    title_credential_rotate(credential=issued.credential)

    with pytest.raises(CredentialNotUsable):
        title_credential_rotate(credential=issued.credential)
    assert TitleCredential.objects.count() == 2


def test_game_server_rotates_its_own_key_over_the_api(title):
    issued = title_credential_create(title=title, name="eu", scopes=ALL_SCOPES)

    response = Client().post(
        "/api/v1/title-client/credentials/rotate",
        {"grace_seconds": 0},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {issued.key}",
    )

    assert response.status_code == 201
    new_key = response.json()["key"]
    assert new_key.startswith("tk_")
    assert call_me(new_key).status_code == 200
    assert call_me(issued.key).status_code == 401


def test_a_key_without_the_scope_is_forbidden_and_nothing_changes(title):
    issued = title_credential_create(title=title, name="eu", scopes=[scopes.EVENTS_PUBLISH])

    response = Client().post(
        "/api/v1/title-client/credentials/rotate",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {issued.key}",
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert TitleCredential.objects.count() == 1


def test_a_key_of_an_inactive_title_is_refused(title):
    issued = title_credential_create(title=title, name="eu", scopes=ALL_SCOPES)
    title.is_active = False
    title.save(update_fields=["is_active"])

    assert call_me(issued.key).status_code == 401


def test_unknown_scopes_are_rejected_and_nothing_is_created(title):
    with pytest.raises(UnknownScope) as error:
        title_credential_create(title=title, name="eu", scopes=["events:publish", "root"])

    assert error.value.details["unknown"] == ["root"]
    assert TitleCredential.objects.count() == 0


def test_use_is_recorded_on_the_credential(title):
    issued = title_credential_create(title=title, name="eu", scopes=ALL_SCOPES)
    before = timezone.now()

    call_me(issued.key)

    issued.credential.refresh_from_db()
    assert issued.credential.last_used_at is not None
    assert issued.credential.last_used_at >= before


def test_use_is_recorded_at_most_once_a_minute_and_again_after_it(title):
    issued = title_credential_create(title=title, name="eu", scopes=ALL_SCOPES)
    call_me(issued.key)
    issued.credential.refresh_from_db()
    first_use = issued.credential.last_used_at

    cache.clear()  # another worker's view: no dedup key, only the row's own time
    call_me(issued.key)
    issued.credential.refresh_from_db()
    within_the_minute = issued.credential.last_used_at

    TitleCredential.objects.filter(id=issued.credential.id).update(
        last_used_at=first_use - timedelta(minutes=2)
    )
    cache.clear()
    call_me(issued.key)
    issued.credential.refresh_from_db()

    assert within_the_minute == first_use
    assert issued.credential.last_used_at > first_use


def test_staff_issue_a_key_in_the_admin_and_see_it_once(title):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin_user)

    response = client.post(
        "/admin/titles/titlecredential/add/",
        {"title": title.id, "name": "asia", "scopes": [scopes.EVENTS_PUBLISH], "expires_at_0": "",
         "expires_at_1": ""},
        follow=True,
    )  # fmt: skip

    shown = [str(m) for m in response.context["messages"]]
    key = next(m.split(": ")[-1] for m in shown if "tk_" in m)
    assert call_me(key).status_code == 200
    credential = TitleCredential.objects.get()
    assert credential.created_by == admin_user
    # The change page afterwards does not show the key again.
    page = client.get(f"/admin/titles/titlecredential/{credential.id}/change/")
    assert key not in page.content.decode()


def test_rotation_keeps_the_expiry_so_an_expiring_key_never_becomes_a_permanent_one(title):
    expires_at = timezone.now() + timedelta(hours=1)
    issued = title_credential_create(
        title=title, name="eu", scopes=ALL_SCOPES, expires_at=expires_at
    )

    first = Client().post(
        "/api/v1/title-client/credentials/rotate",
        {"grace_seconds": 60},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {issued.key}",
    )
    second = Client().post(
        "/api/v1/title-client/credentials/rotate",
        {"grace_seconds": 60},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {first.json()['key']}",
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["expires_at"] is not None
    assert second.json()["expires_at"] == first.json()["expires_at"]
    newest = TitleCredential.objects.order_by("id").last()
    assert newest.expires_at == expires_at
    # The keys it replaced expire with the grace, never later than the original hour.
    assert all(
        key.expires_at is not None and key.expires_at <= expires_at
        for key in TitleCredential.objects.all()
    )


def test_rotating_a_key_without_expiry_gives_a_successor_without_expiry(title):
    issued = title_credential_create(title=title, name="eu", scopes=ALL_SCOPES)

    successor = title_credential_rotate(credential=issued.credential, grace=timedelta(hours=1))

    assert successor.credential.expires_at is None

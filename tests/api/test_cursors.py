"""Pagination cursors are signed: what the server made comes back, anything else is refused,
and a rotated secret key keeps the cursors clients hold working."""

import pytest
from django.core import signing
from django.test import override_settings

from apps.api.cursors import cursor_sign, cursor_unsign

SALT = "tests.cursor"


def test_a_cursor_comes_back_as_the_values_it_was_made_of():
    values = [1, "2026-12-06T20:00:00.123456+00:00", 12345]

    cursor = cursor_sign(values, salt=SALT)

    assert cursor_unsign(cursor, salt=SALT) == values
    assert cursor.isascii() and " " not in cursor and "=" not in cursor  # URL-safe, no padding


@pytest.mark.parametrize(
    "forged",
    [
        lambda cursor: cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"),
        lambda cursor: "W" + cursor,
        lambda cursor: cursor.partition(".")[0],
        lambda cursor: cursor + "=",
        lambda cursor: "." + cursor.partition(".")[2],
        lambda cursor: cursor_sign([0, 5, 1], salt="another.salt"),
        lambda cursor: signing.dumps([0, 5, 1], salt=SALT, compress=False),  # Django's format
        lambda cursor: "\uff57" + cursor,  # a fullwidth letter
        lambda cursor: cursor.replace(".", ".!"),  # a character base64 would skip
    ],
)
def test_anything_the_server_did_not_sign_for_this_list_is_refused(forged):
    with pytest.raises(ValueError):
        cursor_unsign(forged(cursor_sign([0, 5, 1], salt=SALT)), salt=SALT)


def test_a_cursor_made_before_a_key_rotation_still_verifies_and_not_after_the_key_is_dropped():
    with override_settings(SECRET_KEY="old-key-" + "x" * 50, SECRET_KEY_FALLBACKS=[]):
        held = cursor_sign([0, 5, 1], salt=SALT)

    with override_settings(
        SECRET_KEY="new-key-" + "y" * 50, SECRET_KEY_FALLBACKS=["old-key-" + "x" * 50]
    ):
        assert cursor_unsign(held, salt=SALT) == [0, 5, 1]
    with (
        override_settings(SECRET_KEY="new-key-" + "y" * 50, SECRET_KEY_FALLBACKS=[]),
        pytest.raises(ValueError),
    ):
        cursor_unsign(held, salt=SALT)


def test_no_other_spelling_of_the_signature_passes():
    """Base64's last character carries unused bits: every other letter there is refused."""
    cursor = cursor_sign([0, 5, 1], salt=SALT)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    others = [cursor[:-1] + letter for letter in alphabet if letter != cursor[-1]]

    assert len(others) == 63
    for other in others:
        with pytest.raises(ValueError):
            cursor_unsign(other, salt=SALT)

"""REST bodies are encoded by orjson (apps/api/renderers.py) into the very bytes DRF's own JSON
renderer gives: a client cannot tell which encoder answered."""

import datetime
import decimal
import json
import uuid

import pytest
from django.test import Client
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from apps.accounts.services import api_token_create
from apps.api.renderers import OrjsonRenderer
from tests.players.factories import PlayerFactory

UTC = datetime.UTC
TOKYO = datetime.timezone(datetime.timedelta(hours=9))

BODIES = [
    {"results": [], "next": None, "previous": None},
    {
        "name": "\uff33\uff25\uff27\uff21 日本語 ñ é 🎮",  # fullwidth SEGA
        "separators": "line\u2028paragraph\u2029end",
        "quote": 'say "hi"\\ \n\t\x01',
        "numbers": [0, -1, 2**63 - 1, -(2**63), 1.5, 0.1, 123456789.125, True, False],
        "nested": {"a": [{"b": None}], "empty": {}},
    },
    {
        "at": datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        "tokyo": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=TOKYO),
        "naive": datetime.datetime(2026, 1, 2, 3, 4, 5),  # noqa: DTZ001 (DRF writes no zone)
        "day": datetime.date(2026, 12, 6),
        "clock": datetime.time(23, 59, 1, 500),
        "span": datetime.timedelta(days=1, seconds=3),
        "amount": decimal.Decimal("12.50"),
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "lazy": gettext_lazy("Not found."),
        "tuple": (1, "two"),
        "bytes": b"raw",
        "int keys": {1: "one", 2: "two"},
    },
    {"huge": 2**70, "also": "falls back to DRF's encoder, which handles it"},
]


@pytest.mark.parametrize("body", BODIES)
def test_same_bytes_as_drf(body):
    assert OrjsonRenderer().render(body, "application/json") == JSONRenderer().render(
        body, "application/json"
    )


def test_a_float_in_exponent_form_has_the_same_value():
    """The one difference in bytes: Python writes ``1e-07``, orjson ``1e-7``."""
    body = {"small": 1e-7, "large": 1e20}

    rendered = OrjsonRenderer().render(body, "application/json")

    assert json.loads(rendered) == json.loads(JSONRenderer().render(body, "application/json"))
    assert rendered == b'{"small":1e-7,"large":1e+20}'


def test_indented_output_when_asked_for():
    body = {"a": [1, 2]}

    rendered = OrjsonRenderer().render(body, "application/json; indent=4")

    assert rendered == JSONRenderer().render(body, "application/json; indent=4")
    assert b"\n    " in rendered


def test_a_value_neither_can_encode_is_refused_as_drf_refuses_it():
    with pytest.raises(TypeError):
        JSONRenderer().render({"x": object()}, "application/json")
    with pytest.raises(TypeError):
        OrjsonRenderer().render({"x": object()}, "application/json")


def test_no_body_is_empty():
    assert OrjsonRenderer().render(None, "application/json") == b""


@pytest.mark.django_db
def test_the_api_answers_through_it():
    player = PlayerFactory(display_name="\uff33\uff25\uff27\uff21\u2028x")  # fullwidth SEGA
    secret = api_token_create(user=player.user, name="t").secret

    response = Client().get(f"/api/v1/players/{player.id}", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 200
    assert response.json()["display_name"] == player.display_name
    assert "\\u2028" in response.content.decode()

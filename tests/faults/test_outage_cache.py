"""REST throttles with Redis down (docs/api.md, "Rate limits"): the general per-caller limits
fail open, the ``auth`` scope (password checks) fails closed with ``unavailable``; once Redis
is back, the same server counts again (each thread's Redis connection is made anew)."""

import json
import urllib.error
import urllib.request

import pytest

from apps.accounts.services import api_token_create
from tests.factories import UserFactory
from tests.support.live import run_daphne

pytestmark = [
    pytest.mark.faults,
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def call(url: str, *, token: str | None = None, body: dict | None = None) -> tuple[int, dict, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data)  # noqa: S310 - loopback test URL
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_with_redis_down_reads_go_through_and_password_checks_are_refused(
    throwaway_redis, tmp_path
):
    user = UserFactory(username="ada")
    user.set_password("correct horse")
    user.save()
    token = api_token_create(user=user, name="cache").secret
    with run_daphne(tmp_path, REDIS_URL=throwaway_redis.url(0)) as server:
        before = call(f"{server.url}/api/v1/auth/tokens/mine", token=token)
        throwaway_redis.stop()
        mine = call(f"{server.url}/api/v1/auth/tokens/mine", token=token)
        login = call(f"{server.url}/api/v1/auth/tokens",
                     body={"login": "ada", "password": "correct horse"})  # fmt: skip
        tokens_while_down = user.api_tokens.count()
        throwaway_redis.start()
        login_after = call(f"{server.url}/api/v1/auth/tokens",
                           body={"login": "ada", "password": "correct horse"})  # fmt: skip
        mine_after = call(f"{server.url}/api/v1/auth/tokens/mine", token=token)

    assert before[0] == 200
    assert mine[0] == 200  # the user throttle fails open
    status, headers, body = login  # the auth throttle fails closed
    assert status == 503
    assert body["error"]["code"] == "unavailable"
    assert int(headers["Retry-After"]) >= 1
    assert tokens_while_down == 1  # nothing was minted
    assert login_after[0] == 201  # the password check is counted again
    assert mine_after[0] == 200

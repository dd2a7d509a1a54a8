"""Schemathesis over the whole OpenAPI schema against a real Daphne, as anonymous, as a player
(API token) and as a game server (title key with every scope): all checks, every phase
(examples, coverage, fuzzing, stateful), a bounded number of examples per operation.

Zero 5xx and zero conformance failures is the bar: a failure prints schemathesis' report with
a curl line to reproduce it. ``SCHEMATHESIS_MAX_EXAMPLES`` and ``SCHEMATHESIS_SEED`` widen or
vary a run (CI keeps the defaults, so a run is repeatable).

Operations that end the caller's own credential — revoking the token in use, requesting the
account's deletion, rotating the key with no grace — would turn the rest of a run into 401s, so
each runs alone with a credential of its own after the main run.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from apps.accounts.models import User
from apps.accounts.services import api_token_create
from apps.titles.models import Title
from apps.titles.scopes import SCOPES
from apps.titles.services import title_credential_create
from tests.support.live import BASE_DIR, LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FUZZ_DIR = Path(__file__).parent / "fuzz"
MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8")
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261205")
TIMEOUT_SECONDS = 600

# Operations that end the credential they are called with (one regex each: schemathesis keeps
# only the last of repeated --include/--exclude-path-regex options).
ENDS_PLAYER_TOKEN = "^/api/v1/(auth/tokens/\\{token_id\\}|me/deletion)$"
ENDS_TITLE_KEY = "^/api/v1/title-client/credentials/rotate$"


def schemathesis_run(
    server: LiveServer,
    workdir: Path,
    *,
    bearer: str | None = None,
    include_paths: str | None = None,
    exclude_paths: str | None = None,
) -> str:
    argv = [
        sys.executable, "-m", "schemathesis.cli",
        "--config-file", str(FUZZ_DIR / "schemathesis.toml"),
        "run", f"{server.url}/api/schema/",
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", MAX_EXAMPLES,
        "--seed", SEED,
        "--workers", "1",
        "--generation-database", "none",
        "--request-timeout", "30",
        "--no-color",
    ]  # fmt: skip
    if bearer is not None:
        argv += ["--header", f"Authorization: Bearer {bearer}"]
    if include_paths is not None:
        argv += ["--include-path-regex", include_paths]
    if exclude_paths is not None:
        argv += ["--exclude-path-regex", exclude_paths]
    env = dict(os.environ, SCHEMATHESIS_HOOKS="tests.api.fuzz.hooks", PYTHONPATH=str(BASE_DIR))
    # Run in a scratch directory: schemathesis keeps a crash cache in its working directory.
    result = subprocess.run(
        argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"schemathesis found failures:\n{report[-20000:]}"
    return report


def operation_count() -> int:
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    methods = {"get", "post", "put", "patch", "delete"}
    return sum(method in methods for item in schema["paths"].values() for method in item)


def operations_tested(report: str) -> str:
    """``Tested: 44`` from the summary: how many operations the run reached."""
    return next(line.strip() for line in report.splitlines() if line.strip().startswith("Tested:"))


@pytest.fixture
def community() -> None:
    """The demo community: titles, players with friends, DMs, lobbies, notifications and
    activity, so generated ids and links land on real objects."""
    # A transactional test empties every table afterwards, rows from data migrations too.
    Group.objects.get_or_create(name="moderators")
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


def player_token(username: str) -> str:
    return api_token_create(user=User.objects.get(username=username), name="schemathesis").secret


def title_key() -> str:
    title = Title.objects.get(slug="starfall-arena")
    return title_credential_create(title=title, name="schemathesis", scopes=list(SCOPES)).key


def test_the_api_holds_its_schema_for_anonymous_callers(daphne_server, community, tmp_path):
    report = schemathesis_run(daphne_server, tmp_path)

    assert operations_tested(report) == f"Tested: {operation_count()}"


def test_the_api_holds_its_schema_for_a_player(daphne_server, community, tmp_path):
    alice, carol = player_token("alice"), player_token("carol")
    report = schemathesis_run(
        daphne_server, tmp_path, bearer=alice, exclude_paths=ENDS_PLAYER_TOKEN
    )
    last = schemathesis_run(daphne_server, tmp_path, bearer=carol, include_paths=ENDS_PLAYER_TOKEN)

    assert operations_tested(report) == f"Tested: {operation_count() - 2}"
    assert operations_tested(last) == "Tested: 2"
    assert User.objects.get(username="alice").is_active


def test_the_api_holds_its_schema_for_a_game_server(daphne_server, community, tmp_path):
    key, rotated_key = title_key(), title_key()
    report = schemathesis_run(daphne_server, tmp_path, bearer=key, exclude_paths=ENDS_TITLE_KEY)
    last = schemathesis_run(
        daphne_server, tmp_path, bearer=rotated_key, include_paths=ENDS_TITLE_KEY
    )

    assert operations_tested(report) == f"Tested: {operation_count() - 1}"
    assert operations_tested(last) == "Tested: 1"

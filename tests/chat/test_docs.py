"""The protocol documents (docs/websocket-protocol.md and docs/asyncapi.yaml) name exactly the
frames, fields and error codes the code has, so an integrator reading them is not misled."""

import inspect
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.utils import timezone

from apps.chat import events, exceptions
from apps.chat.commands import COMMANDS
from apps.chat.models import Channel, Message
from apps.common.exceptions import ApplicationError
from apps.players.models import NotificationKind
from apps.players.presence import PresenceState

BASE = Path(settings.BASE_DIR)
DOCS = BASE / "docs"
# The modules that build websocket frames and answer websocket errors.
FRAME_MODULES = [*(BASE / "apps/realtime").glob("*.py"), *(BASE / "apps/chat").glob("*.py"),
                 *(BASE / "apps").glob("*/realtime.py")]  # fmt: skip
CONNECTION_FRAMES = {"hello", "ping"}  # handled by the consumer itself, not a chat command


@pytest.fixture(scope="module")
def asyncapi() -> dict:
    return yaml.safe_load((DOCS / "asyncapi.yaml").read_text())


@pytest.fixture(scope="module")
def prose() -> str:
    return (DOCS / "websocket-protocol.md").read_text()


def section(prose: str, title: str) -> str:
    return prose.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def chat_error_codes() -> set[str]:
    return {
        cls.code
        for _name, cls in inspect.getmembers(exceptions, inspect.isclass)
        if issubclass(cls, ApplicationError) and cls.__module__ == exceptions.__name__
    }


def literal_error_codes() -> set[str]:
    """Codes written out where the consumer and chat answer or refuse sockets."""
    pattern = re.compile(r'(?:send_error\(\s*[^,]+,\s*|code=)"([a-z_]+)"')
    return {code for path in FRAME_MODULES for code in pattern.findall(path.read_text())}


def built_frame_types() -> set[str]:
    pattern = re.compile(r'"type":\s*"([a-z_]+)"')
    return {name for path in FRAME_MODULES for name in pattern.findall(path.read_text())}


def payload_types(asyncapi: dict, operation: str) -> set[str]:
    messages = asyncapi["components"]["messages"]
    names = set()
    for ref in asyncapi["operations"][operation]["messages"]:
        key = ref["$ref"].rsplit("/", 1)[1]
        payload = messages[key]["payload"]
        parts = payload.get("allOf", [payload])
        names |= {part["properties"]["type"]["const"] for part in parts if "properties" in part
                  and "type" in part["properties"]}  # fmt: skip
    return names


def schema_properties(asyncapi: dict, name: str) -> set[str]:
    return set(asyncapi["components"]["schemas"][name]["properties"])


def test_every_error_code_is_documented_in_both_protocol_documents(asyncapi, prose):
    enum = set(asyncapi["components"]["schemas"]["errorCode"]["enum"])

    assert (chat_error_codes() | literal_error_codes()) - enum == set()
    assert {code for code in enum if f"| `{code}` |" not in prose} == set()
    assert asyncapi["asyncapi"] == "3.0.0"


def test_the_client_frames_documented_are_the_ones_the_server_handles(asyncapi, prose):
    handled = set(COMMANDS) | CONNECTION_FRAMES
    client_table = section(prose, "Client → server")

    assert payload_types(asyncapi, "clientRequests") == handled
    assert {name for name in handled if f"`{name}`" not in client_table} == set()


def test_the_server_frames_documented_are_the_ones_the_code_builds(asyncapi, prose):
    built = built_frame_types()
    documented = payload_types(asyncapi, "serverFrames")
    described = section(prose, "Client → server") + section(prose, "Server → client")

    assert documented == built
    assert {name for name in built if f'"type": "{name}"' not in described
            and f"| `{name}` |" not in described} == set()  # fmt: skip


def test_the_objects_documented_have_the_fields_the_code_sends(asyncapi, prose, db):
    title_less = Channel(id=1, kind="direct", name="a · b")
    channel = events.channel_data(title_less, can_send=True, reactions=[])
    message = events.message_data(
        # An announcement in several languages: the one kind of message with every field.
        Message(
            id=1,
            channel=title_less,
            seq=1,
            body="gg",
            created_at=timezone.now(),
            body_translations={"ja": "ナイス"},
        ),
        is_new=True,
    )
    welcome = asyncapi["components"]["messages"]["welcome"]["payload"]["properties"]
    presence = asyncapi["components"]["schemas"]["playerPresence"]["properties"]
    kinds = asyncapi["components"]["schemas"]["notificationObject"]["properties"]["kind"]["enum"]
    from apps.chat.realtime import welcome_limits

    limits = welcome_limits(type("Consumer", (), {"sessions": {}})())["limits"]

    assert schema_properties(asyncapi, "chatChannel") == set(channel)
    assert schema_properties(asyncapi, "chatMessage") == set(message)
    assert all(f'"{key}"' in prose for key in channel)
    assert set(welcome["limits"]["properties"]) == set(limits)
    assert set(presence) == set(PresenceState(status="online").as_dict())
    assert set(kinds) == set(NotificationKind.values)

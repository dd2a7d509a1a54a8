"""The protocol documents list every error code the chat code can produce."""

import inspect
from pathlib import Path

import yaml
from django.conf import settings

from apps.chat import exceptions
from apps.common.exceptions import ApplicationError

DOCS = Path(settings.BASE_DIR) / "docs"


def chat_error_codes() -> set[str]:
    return {
        cls.code
        for _name, cls in inspect.getmembers(exceptions, inspect.isclass)
        if issubclass(cls, ApplicationError) and cls.__module__ == exceptions.__name__
    }


def test_every_chat_error_code_is_documented_in_both_protocol_documents():
    asyncapi = yaml.safe_load((DOCS / "asyncapi.yaml").read_text())
    enum = set(asyncapi["components"]["schemas"]["errorCode"]["enum"])
    prose = (DOCS / "websocket-protocol.md").read_text()

    assert chat_error_codes() <= enum
    assert {code for code in enum if f"| `{code}` |" not in prose} == set()
    assert asyncapi["asyncapi"] == "3.0.0"

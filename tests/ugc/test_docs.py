"""The documents stay true to the code: every UGC error code is in docs/ugc.md, and the
OpenAPI schema names each operation's error codes (the upload operation all of its checks)."""

import inspect
from pathlib import Path

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from apps.common.exceptions import ApplicationError
from apps.ugc import exceptions

DOCS = Path(settings.BASE_DIR) / "docs"


def ugc_error_codes() -> set[str]:
    return {
        cls.code
        for _name, cls in inspect.getmembers(exceptions, inspect.isclass)
        if issubclass(cls, ApplicationError) and cls.__module__ == exceptions.__name__
    }


def test_every_ugc_error_code_is_in_the_table_of_docs_ugc():
    prose = (DOCS / "ugc.md").read_text()

    assert {code for code in ugc_error_codes() if f"| `{code}` |" not in prose} == set()


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _error_codes(response: dict) -> set[str]:
    """The codes an error response lists (the API's one form: an enum of ``error.code``)."""
    schema = response["content"]["application/json"]["schema"]
    return set(schema["properties"]["error"]["properties"]["code"]["enum"])


def _codes(operation: dict) -> set[str]:
    return {
        code
        for status, response in operation["responses"].items()
        if status >= "400"
        for code in _error_codes(response)
    }


def test_the_upload_operation_names_every_code_it_can_return(schema):
    upload = schema["paths"]["/api/v1/ugc/titles/{slug}/items"]["post"]
    described = _codes(upload)

    expected = ["too_large", "unsupported_type", "decompression_bomb", "corrupt_file", "polyglot",
                "archive_unsafe", "duplicate", "upload_banned", "empty_file"]  # fmt: skip
    assert set(expected) <= described
    assert "413" in upload["responses"] and "409" in upload["responses"]
    assert "multipart/form-data" in upload["requestBody"]["content"]


def test_every_ugc_operation_documents_its_errors_and_only_known_codes(schema):
    # The API's own codes every operation may answer (apps/api/schema.py adds them).
    common = {"validation_error", "not_authenticated", "permission_denied", "authentication_failed",
              "rate_limited", "not_found", "json_too_deep", "malformed_request",
              "unsupported_media_type", "payload_too_large", "invalid_cursor", "muted",
              "suspended", "banned", "upload_banned",
              "unknown_language",  # descriptions per language (apps.common.localized_text)
              "self_report"}  # moderation refuses a report on your own content  # fmt: skip
    codes = ugc_error_codes() | common
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items() if path.startswith("/api/v1/ugc/")
        for method, operation in methods.items()
    ]  # fmt: skip

    assert len(operations) >= 25
    for path, method, operation in operations:
        errors = {status: r for status, r in operation["responses"].items() if status >= "400"}
        assert errors, (path, method)
        for response in errors.values():
            named = _error_codes(response)
            assert named, (path, method)
            assert named <= codes, (path, method, named - codes)

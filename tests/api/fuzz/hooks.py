"""Loaded into the schemathesis process (``SCHEMATHESIS_HOOKS``) by tests/api/test_schemathesis.py.

``positive_data_acceptance`` expects any request that fits the schema to succeed, but a schema
cannot state every rule: a display name's script mixing, an unknown time zone, an attachment
that is not yours. Those requests get a documented domain code (400, in the operation's enum).
The run lets 400 through that check (schemathesis.toml) and holds this stricter one instead:
a schema-valid request may be refused by a domain rule, never by the generic input checks —
``validation_error`` or ``malformed_request`` there means the schema promises more than the
serializers accept.
"""

from typing import Any

import schemathesis

GENERIC_INPUT_CODES = {"validation_error", "malformed_request", "json_too_deep"}


@schemathesis.check
def schema_valid_input_refused_only_by_domain_rules(ctx: Any, response: Any, case: Any) -> None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return  # response_schema_conformance reports a body that is not the error envelope
    if code in GENERIC_INPUT_CODES:
        raise AssertionError(
            f"A request that fits the schema was refused with {code!r}: the schema allows "
            f"input the API refuses ({response.text[:300]})"
        )

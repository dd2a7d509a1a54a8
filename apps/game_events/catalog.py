"""The versioned catalog of event types: one JSON Schema per type and version.

Schemas live in ``apps/game_events/schemas/<type>.v<version>.json`` (JSON Schema 2020-12, each
with ``examples``). They are the contract titles code against; docs/events.md describes them.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker

from apps.game_events.envelope import rfc3339_parse
from apps.game_events.schema_check import Check, compile_check

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

# jsonschema checks "date-time" and "uri" only when optional packages are installed; without
# them every string passes. The catalog's own checks, so the schemas mean what they say.
FORMATS = FormatChecker()


@FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    """RFC 3339 with a zone (the form CloudEvents ``time`` takes)."""
    return not isinstance(value, str) or rfc3339_parse(value) is not None


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    """An absolute URI: a scheme, and no spaces or control characters."""
    if not isinstance(value, str):
        return True
    if any(ord(char) <= 0x20 or char == "\x7f" for char in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


@FORMATS.checks("account-id")
def _is_account_id(value: object) -> bool:
    """What players' ``identity_validate`` will take, checked on arrival so that a bad id is a
    schema violation, not a handler failure: printable throughout (no tab, newline, or
    invisible character such as U+200B, even at the ends, which players would strip), and not
    only spaces. The ``pattern`` beside it says the control-character part to titles' own
    validators, which ignore a format they do not know."""
    return not isinstance(value, str) or (value.isprintable() and bool(value.strip()))


@dataclass(frozen=True)
class CatalogEntry:
    event_type: str
    version: int
    schema: dict[str, Any]
    validator: Draft202012Validator
    # "Certainly valid?" in a fraction of the validator's time (None: validator only).
    accepts: Check | None = None

    @property
    def examples(self) -> list[dict[str, Any]]:
        return list(self.schema.get("examples", []))


def _parse_name(path: Path) -> tuple[str, int]:
    """``match.completed.v1.json`` -> ``("match.completed", 1)``."""
    stem = path.name.removesuffix(".json")
    event_type, _, version = stem.rpartition(".v")
    return event_type, int(version)


@cache
def catalog() -> dict[tuple[str, int], CatalogEntry]:
    entries = {}
    for path in sorted(SCHEMA_DIR.glob("*.v*.json")):
        event_type, version = _parse_name(path)
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema, format_checker=FORMATS)
        entries[(event_type, version)] = CatalogEntry(
            event_type, version, schema, validator, compile_check(schema, FORMATS)
        )
    return entries


def catalog_entry(event_type: str, version: int) -> CatalogEntry | None:
    return catalog().get((event_type, version))


def catalog_types() -> list[str]:
    return sorted({event_type for event_type, _ in catalog()})


def schema_violation(entry: CatalogEntry, data: Any) -> str | None:
    """The first (most relevant) schema error as ``"<json path>: <message>"``, or None.
    Valid data is usually recognised by the entry's compiled check alone."""
    if entry.accepts is not None and entry.accepts(data):
        return None
    errors = sorted(entry.validator.iter_errors(data), key=lambda error: list(error.path))
    if not errors:
        return None
    error = errors[0]
    return f"{error.json_path}: {error.message}"[:500]

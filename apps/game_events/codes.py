"""Every per-event result code of ingest, in one place: the OpenAPI schema of
``POST /api/v1/events`` lists them, docs/events.md describes them, and a test holds the code,
the schema and the docs to the same set."""

# ``rejected``: the event is refused (HTTP result / Service Bus dead-letter reason).
REJECTION_CODES = (
    "invalid_json",
    "invalid_body",
    "event_too_large",
    "not_an_object",
    "missing_attribute",
    "invalid_attribute",
    "time_out_of_range",
    "invalid_character",
    "invalid_number",
    "nesting_too_deep",
    "invalid_source",
    "unsupported_specversion",
    "unsupported_content_type",
    "invalid_data",
    "schema_violation",
    "source_mismatch",
    "source_not_allowed",
    "unknown_title",
    "storage_refused",
)

# ``ignored``: kept in the inbox without effect.
IGNORED_CODES = ("unknown_type", "unknown_version", "no_handler")

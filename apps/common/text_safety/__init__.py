"""Text safety: normalization keys, display-name validation and automod word matching.

See ``folding`` (Unicode folds), ``names`` (display/guild names) and ``word_filter``
(automod). Everything here is pure Python and process-local; nothing touches the database.
"""

from apps.common.text_safety.errors import FilterRuleInvalid, NameRejected, TextRejected
from apps.common.text_safety.folding import normalize_text
from apps.common.text_safety.names import (
    ReservedNames,
    name_key,
    reject_reserved,
    validate_display_name,
)
from apps.common.text_safety.word_filter import (
    Action,
    FilterMatch,
    FilterResult,
    FilterRule,
    WordFilter,
)

__all__ = [
    "Action",
    "FilterMatch",
    "FilterResult",
    "FilterRule",
    "FilterRuleInvalid",
    "NameRejected",
    "ReservedNames",
    "TextRejected",
    "WordFilter",
    "name_key",
    "normalize_text",
    "reject_reserved",
    "validate_display_name",
]

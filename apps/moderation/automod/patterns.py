"""Moderator-written patterns: validation and translation to the matcher's forms.

Regular expressions run through google-re2 (linear time, no backreferences or lookaround), so
no pattern can hang a worker; each is at most ``MAX_REGEX_LENGTH`` characters and its compiled
program at most ``MAX_REGEX_PROGRAM_SIZE`` instructions (the size guard: ``a{1000}{1000}`` and
friends are refused when saved, not when a message arrives).
"""

from typing import Literal

import re2
from django.utils.translation import gettext_lazy as _

from apps.common.exceptions import InvalidInput
from apps.common.text_safety import FilterRule, FilterRuleInvalid

MAX_REGEX_LENGTH = 260
MAX_REGEX_PROGRAM_SIZE = 2_000
REGEX_MAX_MEMORY = 8 << 20  # bytes per compiled pattern

Boundary = Literal["word", "start", "end", "none"]


class InvalidPattern(InvalidInput):
    code = "invalid_pattern"
    default_message = _("The pattern is not valid.")


def regex_options() -> re2.Options:
    options = re2.Options()
    options.max_mem = REGEX_MAX_MEMORY
    options.log_errors = False
    return options


def regex_compile(pattern: str) -> re2._Regexp:
    """Compile a moderator's regex (matched against the folded text: lower case, kana as
    hiragana) or raise ``InvalidPattern`` saying why."""
    if not pattern or len(pattern) > MAX_REGEX_LENGTH:
        raise InvalidPattern(
            _("A regular expression has 1 to %(max)d characters.") % {"max": MAX_REGEX_LENGTH},
            details={"problem": "length"},
        )
    try:
        compiled = re2.compile(pattern, regex_options())
    except re2.error as error:
        raise InvalidPattern(
            _("Not a valid RE2 regular expression: %(error)s") % {"error": _decoded(error)},
            details={"problem": "syntax"},
        ) from error
    if compiled.programsize > MAX_REGEX_PROGRAM_SIZE:
        raise InvalidPattern(
            _("The regular expression is too complex (%(size)d > %(max)d).")
            % {"size": compiled.programsize, "max": MAX_REGEX_PROGRAM_SIZE},
            details={"problem": "size"},
        )
    if compiled.search("") is not None:
        raise InvalidPattern(
            _("The regular expression matches empty text."), details={"problem": "empty_match"}
        )
    return compiled


def _decoded(error: Exception) -> str:
    text = error.args[0] if error.args else error
    return text.decode(errors="replace") if isinstance(text, bytes) else str(text)


def wildcard_parts(pattern: str) -> tuple[str, Boundary]:
    """``noob*`` → ("noob", "start"); ``*fest`` → ("fest", "end"); ``*xx*`` → ("xx", "none");
    no star → (pattern, "word"). Stars inside the pattern are refused."""
    stem = pattern.strip()
    leading, trailing = stem.startswith("*"), stem.endswith("*")
    stem = stem.strip("*")
    if not stem or "*" in stem:
        raise InvalidPattern(
            _("Use * only at the start or end of a wildcard."), details={"problem": "wildcard"}
        )
    boundary: Boundary = (
        "none" if leading and trailing else "start" if trailing else "end" if leading else "word"
    )
    return stem, boundary


def literal_rule(*, kind: str, pattern: str, action: str) -> FilterRule:
    """The matcher rule of a word, wildcard or substring rule (``InvalidPattern`` if bad)."""
    if kind == "wildcard":
        stem, boundary = wildcard_parts(pattern)
    elif kind == "substring":
        stem, boundary = pattern, "none"
    else:
        stem, boundary = pattern, None  # None: the default per script
    try:
        return FilterRule(stem, action, boundary=boundary)  # type: ignore[arg-type]
    except FilterRuleInvalid as error:
        raise InvalidPattern(error.message, details={"problem": error.code}) from error

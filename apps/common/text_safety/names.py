# ruff: noqa: RUF002 -- look-alike characters are this module's subject
"""Display-name and guild-name safety: a uniqueness key and a validator.

The validator follows the reference's recommendation (§3):

1. invisible/format/control characters are refused outright (``name_control_characters``);
2. the name is NFKC-normalized and trimmed; its length is measured in *display columns*
   (East Asian Wide/Fullwidth characters count 2, combining marks 0), which is how game UIs
   fit names: the default 3..32 allows "山田" (4 columns) and 16 kanji at most;
3. only letters, combining marks, decimal digits, single spaces, ``_``, ``-`` and ``.`` are
   allowed, with at most two combining marks per letter (no "zalgo");
4. ICU's spoof checker (UTS #39, ``uspoof_check``) at restriction level
   ``NAME_RESTRICTION_LEVEL`` = *Highly Restrictive*, on each word (run between spaces,
   ``_``, ``-``, ``.``): one script, or Latin + Han + Hiragana + Katakana (Japanese),
   Latin + Han + Bopomofo, or Latin + Han + Hangul. Common (ー, ASCII digits) and inherited
   (marks) characters are ignored. "たろう", "Taro太郎", "ソニック2" and "Алексей Smith" pass;
   "pаypal" (Cyrillic а), "ЅЕGА" (Cyrillic Ѕ, Е, А around a Latin G) and "Αdmin" (Greek Α)
   fail with ``name_mixed_script``. The same checker's ``INVISIBLE`` check (the same mark
   twice on one letter) answers ``name_invalid_characters``, and its ``MIXED_NUMBERS`` check
   (digits of several decimal systems in the whole name, "١٢٣abc123") ``name_mixed_script``.

Words are checked one by one so that a name made of words in different scripts ("Алексей
Smith") stays allowed: a look-alike attack needs the scripts mixed inside one word.
"""

import unicodedata
from collections.abc import Iterable
from functools import cache

import icu
from django.utils.translation import gettext_lazy as _

from apps.common.text_safety.errors import NameRejected
from apps.common.text_safety.folding import is_ignorable, skeleton

_ALLOWED_PUNCTUATION = frozenset(" _-.")
_ASCII_DIGITS = "0123456789"
_WORD_SEPARATORS = frozenset(" _-.")
_MAX_MARKS_PER_LETTER = 2
# The UTS #39 restriction level every word of a name must meet (documented in docs/players.md).
NAME_RESTRICTION_LEVEL = icu.URestrictionLevel.HIGHLY_RESTRICTIVE
_WORD_CHECKS = icu.USpoofChecks.RESTRICTION_LEVEL | icu.USpoofChecks.INVISIBLE
_NAME_CHECKS = icu.USpoofChecks.MIXED_NUMBERS


def name_key(name: str) -> str:
    """Uniqueness key for display and guild names.

    NFKC + casefold + confusable skeleton, invisible characters removed and whitespace
    collapsed: "Ｓｏｎｉｃ", "sonic", "SONIC", "Ѕonic" (Cyrillic Ѕ), "S0nic" and "so\\u200bnic"
    share one key. Store it in a uniquely indexed column; compare reserved names by it too.
    The key is opaque (it maps i→l, for example): never display it.
    """
    return skeleton(name)


def validate_display_name(name: str, *, min_length: int = 3, max_length: int = 32) -> str:
    """Return the display form of ``name`` (NFKC, trimmed) or raise ``NameRejected``.

    Lengths are display columns (see the module docstring). Codes: ``name_control_characters``,
    ``name_too_short``, ``name_too_long``, ``name_invalid_characters``, ``name_mixed_script``.
    """
    if any(_is_control(character) for character in name):
        raise NameRejected(
            "name_control_characters",
            _("Names cannot contain invisible, formatting or control characters."),
        )
    cleaned = unicodedata.normalize("NFKC", name).strip()
    width = display_width(cleaned)
    if width < min_length:
        raise NameRejected("name_too_short", _("This name is too short."))
    if width > max_length:
        raise NameRejected("name_too_long", _("This name is too long."))
    spoof_checks = _spoof_failures(cleaned)
    if not _has_valid_characters(cleaned) or spoof_checks & icu.USpoofChecks.INVISIBLE:
        raise NameRejected(
            "name_invalid_characters",
            _("Names can use letters, digits, single spaces, '_', '-' and '.' only."),
        )
    if spoof_checks:
        raise NameRejected(
            "name_mixed_script",
            _("Names cannot mix look-alike alphabets (such as Latin and Cyrillic) in one word."),
        )
    return cleaned


class ReservedNames:
    """Names nobody may take as a display or guild name: staff words, the brand, game titles.

    A name is reserved when one entry's words appear in it as consecutive words, or when the
    whole name, its separators removed, is an entry (its separators removed). Both sides are
    compared word by word through ``name_key`` (NFKC, casefold, confusable skeleton), so
    "ΑDMIN" (Greek Α), "Adm1n", "ＭＯＤ" and "a_d_m_i_n" all hit "admin". Words are split at
    spaces, ``_``, ``-``, ``.`` and case changes ("ModeratorMike" → Moderator, Mike), and
    digits at a word's ends are ignored ("Admin2", "GM007"). "Badminton", "Supportive" and
    "Sigma" stay free: a word must *be* the reserved word, not contain it.
    """

    def __init__(self, entries: Iterable[str]) -> None:
        self._sequences: set[tuple[str, ...]] = set()
        self._joined: set[str] = set()
        for entry in entries:
            keys = tuple(_word_keys(entry))
            if keys:
                self._sequences.add(keys)
                self._joined.add("".join(keys))
        self._lengths = sorted({len(keys) for keys in self._sequences})

    def is_reserved(self, name: str) -> bool:
        keys = _word_keys(name)
        if not keys:
            return False
        if "".join(keys) in self._joined:
            return True
        return any(
            tuple(keys[start : start + length]) in self._sequences
            for length in self._lengths
            for start in range(len(keys) - length + 1)
        )


def reject_reserved(name: str, reserved: ReservedNames) -> None:
    """Raise ``NameRejected("name_reserved")`` when ``name`` is one of ``reserved``."""
    if reserved.is_reserved(name):
        raise NameRejected(
            "name_reserved",
            _("This name is reserved: it looks like a staff, brand or game name."),
        )


def _word_keys(text: str) -> list[str]:
    """The ``name_key`` of each word of ``text`` (see ``ReservedNames``)."""
    keys = []
    for part in _words(unicodedata.normalize("NFKC", text).replace(" ", "_")):
        for word in _case_words(part):
            key = name_key(word.strip(_ASCII_DIGITS))
            if key:
                keys.append(key)
    return keys


def _case_words(word: str) -> list[str]:
    """Split at lower→upper ("modMike") and UPPER→Upper+lower ("GMBob" → GM, Bob)."""
    pieces: list[str] = []
    start = 0
    for index in range(1, len(word)):
        before, here = word[index - 1], word[index]
        after = word[index + 1] if index + 1 < len(word) else ""
        if here.isupper() and (before.islower() or (before.isupper() and after.islower())):
            pieces.append(word[start:index])
            start = index
    pieces.append(word[start:])
    return pieces


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospaced game UI: wide/fullwidth 2, marks 0, others 1."""
    width = 0
    for character in text:
        if unicodedata.category(character) in ("Mn", "Me"):
            continue
        width += 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1
    return width


def _is_control(character: str) -> bool:
    return is_ignorable(character) or unicodedata.category(character) in ("Cc", "Zl", "Zp")


def _has_valid_characters(cleaned: str) -> bool:
    if "  " in cleaned:
        return False
    marks_in_a_row = 0
    previous = ""
    for character in cleaned:
        category = unicodedata.category(character)
        if category[0] == "M":
            marks_in_a_row += 1
            if marks_in_a_row > _MAX_MARKS_PER_LETTER or not previous[:1].isalnum():
                return False
            continue
        marks_in_a_row = 0
        previous = character
        if category[0] != "L" and category != "Nd" and character not in _ALLOWED_PUNCTUATION:
            return False
    return True


@cache
def _spoof_checker(checks: int) -> icu.SpoofChecker:
    """A configured checker; ICU's checks are thread-safe once it is configured."""
    checker = icu.SpoofChecker()
    checker.setRestrictionLevel(NAME_RESTRICTION_LEVEL)
    checker.setChecks(checks)
    return checker


def _spoof_failures(cleaned: str) -> int:
    """The ICU checks (``USpoofChecks`` bits) ``cleaned`` fails: per word, then whole."""
    failures = _spoof_checker(_NAME_CHECKS).check(cleaned)
    for word in _words(cleaned):
        failures |= _spoof_checker(_WORD_CHECKS).check(word)
    return int(failures)


def _words(cleaned: str) -> list[str]:
    words: list[str] = []
    current: list[str] = []
    for character in cleaned:
        if character in _WORD_SEPARATORS:
            words.append("".join(current))
            current = []
        else:
            current.append(character)
    words.append("".join(current))
    return [word for word in words if word]

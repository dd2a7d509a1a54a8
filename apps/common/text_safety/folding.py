"""Unicode folding: search keys, name skeletons and the offset-tracking matcher fold.

Python's ``unicodedata`` NFKC + casefold keeps zero-width spaces, soft hyphens and variation
selectors (see docs/reference text-safety §0.3), so every fold here first drops
*ignorable* characters: format characters (category Cf: ZWSP, ZWJ, ZWNJ, BOM, bidi controls,
soft hyphen…), control characters other than whitespace, and the remaining
Default_Ignorable_Code_Point ranges (variation selectors, CGJ, Hangul fillers, tags…).

Per-character results are cached in ``dict`` subclasses used as ``str.translate`` tables, so
the Unicode database is consulted once per distinct character per process. Filling a cache
entry is idempotent, which keeps concurrent use from several threads safe.
"""

import unicodedata
from collections.abc import Callable
from typing import NamedTuple

from apps.common.text_safety.confusables import (
    ASCII_SKELETON,
    ASCII_SKELETON_SEQUENCES,
    LOOKALIKES,
)

# Default_Ignorable_Code_Point ranges whose category is not Cf (those are caught by category),
# plus U+2800 BRAILLE PATTERN BLANK, a popular "invisible name" character.
_IGNORABLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul choseong/jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian free variation selectors
    (0x2060, 0x206F),  # word joiner, invisible operators, deprecated format characters
    (0x2800, 0x2800),  # braille pattern blank
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFFA0, 0xFFA0),  # half-width Hangul filler
    (0xFFF0, 0xFFF8),  # unassigned specials
    (0xE0000, 0xE0FFF),  # tags and variation selectors supplement
)
KANA_VOICING_MARKS = frozenset("\u3099\u309a")
# Spacing forms of the voicing marks; NFKC would turn them into "space + combining mark".
_SPACING_VOICING_MARKS = {"\u309b": "\u3099", "\u309c": "\u309a"}
# Katakana → hiragana: the U+30A1..U+30F6 block sits 0x60 above hiragana; ヽヾ → ゝゞ.
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)} | {
    0x30FD: 0x309D,
    0x30FE: 0x309E,
}


def is_ignorable(character: str) -> bool:
    """True for invisible format/control characters that every fold removes."""
    category = unicodedata.category(character)
    if category == "Cf":
        return True
    if category == "Cc":
        return not character.isspace()
    code = ord(character)
    return any(low <= code <= high for low, high in _IGNORABLE_RANGES)


def _casefold_lookalikes(text: str) -> str:
    """Casefold, mapping look-alike capitals before and look-alike small letters after."""
    folded = []
    for character in text:
        latin = LOOKALIKES.get(character)
        if latin is not None:
            folded.append(latin)
            continue
        folded.extend(LOOKALIKES.get(lower, lower) for lower in character.casefold())
    return "".join(folded)


class _LazyTranslation(dict[int, str | None]):
    """A ``str.translate`` table that computes and caches each character's replacement."""

    def __init__(self, fold_character: Callable[[str], str | None]) -> None:
        super().__init__()
        self._fold_character = fold_character

    def __missing__(self, code: int) -> str | None:
        value = self._fold_character(chr(code))
        self[code] = value
        return value


def _strip_ignorable(character: str) -> str | None:
    return None if is_ignorable(character) else character


_STRIP_IGNORABLE = _LazyTranslation(_strip_ignorable)


def strip_ignorable(text: str) -> str:
    """``text`` without invisible format and control characters (ZWSP, soft hyphen, bidi
    controls, variation selectors…), otherwise unchanged."""
    return text.translate(_STRIP_IGNORABLE)


def normalize_text(text: str) -> str:
    """Search/uniqueness key: NFKC + casefold, invisible characters removed, spaces collapsed.

    Accents, scripts and kana are kept as they are: "Café" and "cafe" stay different keys.
    Leading and trailing whitespace is dropped and any whitespace run becomes one space.
    """
    visible = text.translate(_STRIP_IGNORABLE)
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    return " ".join(folded.split())


def _skeleton_character(character: str) -> str:
    return _casefold_lookalikes(character)


_SKELETON = _LazyTranslation(_skeleton_character)


def skeleton(text: str) -> str:
    """Confusable skeleton of ``text`` for uniqueness keys (TR39-like, Latin-oriented).

    NFKC, casefold, Cyrillic/Greek/Armenian/small-capital look-alikes → Latin, then the
    ASCII-internal confusables 0→o, 1/i/|→l, rn→m, vv→w. Han, kana and Hangul are untouched.
    """
    visible = text.translate(_STRIP_IGNORABLE)
    folded = unicodedata.normalize("NFKC", visible).translate(_SKELETON)
    folded = unicodedata.normalize("NFKC", folded).translate(ASCII_SKELETON)
    for sequence, replacement in ASCII_SKELETON_SEQUENCES:
        folded = folded.replace(sequence, replacement)
    return " ".join(folded.split())


# --- matcher fold -------------------------------------------------------------------------


def _strip_marks(text: str) -> str:
    """Drop combining marks (accents, strike-through, zalgo) but keep kana voicing marks.

    Stripping every Mn after NFD would turn ば into は (reference §0.4).
    """
    return "".join(
        character
        for character in text
        if character in KANA_VOICING_MARKS or unicodedata.category(character) not in ("Mn", "Me")
    )


def _match_fold_character(character: str) -> str:
    if is_ignorable(character):
        return ""
    if character.isspace():
        return " "
    if character in _SPACING_VOICING_MARKS:
        return _SPACING_VOICING_MARKS[character]
    base = unicodedata.normalize("NFKC", _strip_marks(unicodedata.normalize("NFKD", character)))
    folded = _casefold_lookalikes(base)
    return unicodedata.normalize("NFC", folded).translate(_KATAKANA_TO_HIRAGANA)


class _MatchFoldTable(_LazyTranslation):
    """Match-fold cache that also remembers which characters do not fold one-to-one."""

    def __init__(self) -> None:
        super().__init__(_match_fold_character)
        self.not_one_to_one: set[str] = set()

    def __missing__(self, code: int) -> str | None:
        value = _match_fold_character(chr(code))
        if len(value) != 1 or value in KANA_VOICING_MARKS:
            # Added before the entry itself, so a reader that sees the entry sees this too.
            self.not_one_to_one.add(chr(code))
        self[code] = value
        return value


_MATCH_FOLD = _MatchFoldTable()


class FoldedText(NamedTuple):
    """``text`` folded for matching, with each folded character's span in the source.

    ``starts``/``ends`` are None when the fold was one-to-one (the common case), meaning
    folded index i is source index i.
    """

    text: str
    starts: list[int] | None
    ends: list[int] | None

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def match_fold(text: str) -> FoldedText:
    """Fold for automod matching: ignorables dropped, NFKC, marks stripped, casefold,
    look-alikes → Latin, katakana → hiragana, whitespace → " " (one for one)."""
    if text.isascii() and text.isprintable():
        # Printable ASCII (no controls, no whitespace but the space) folds to its lower case.
        return FoldedText(text.lower(), None, None)
    folded = text.translate(_MATCH_FOLD)
    if len(folded) == len(text) and _MATCH_FOLD.not_one_to_one.isdisjoint(text):
        return FoldedText(folded, None, None)
    return _match_fold_with_offsets(text)


def _match_fold_with_offsets(text: str) -> FoldedText:
    characters: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for index, character in enumerate(text):
        piece = _MATCH_FOLD[ord(character)] or ""
        if not piece and characters and unicodedata.category(character) in ("Mn", "Me"):
            ends[-1] = index + 1  # a stripped accent or overlay belongs to its letter
            continue
        if piece in KANA_VOICING_MARKS:
            # Half-width ﾊﾞ arrives as は + U+3099: compose it onto the previous kana.
            if characters:
                composed = unicodedata.normalize("NFC", characters[-1] + piece)
                if len(composed) == 1:
                    characters[-1] = composed
                ends[-1] = index + 1
            continue
        for folded_character in piece:
            characters.append(folded_character)
            starts.append(index)
            ends.append(index + 1)
    return FoldedText("".join(characters), starts, ends)

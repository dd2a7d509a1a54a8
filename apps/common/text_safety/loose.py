# ruff: noqa: RUF001 -- look-alike characters are this module's subject
"""The *loose* matching view: leetspeak, separators, stretched letters and ー removed.

It is derived from the match fold (``folding.match_fold``) and only ever deletes characters
or replaces them one for one, so any position in it maps back to the fold, and from there to
the original message. The rules, applied to the message and to every pattern alike:

1. **Leetspeak.** Digits 0→o, 1→i, 3→e, 4→a, 5→s, 7→t, 8→b, 9→g everywhere. The symbols
   @→a and $→s when touching a letter or digit ("a$$", "b@d"); !→i, |→i and +→t only when a
   letter or digit follows ("!d!0t"), so "idiot!!!" keeps its final punctuation. "1" and "|"
   can also stand for "l": the filter runs a second loose pass reading them as "l" when the
   message contains either. ``_`` counts as a space.
2. **Separators** (at most 3 characters each) are deleted in two cases only:
   between single-letter tokens ("b a d", "b. a. d", "ば か"), and punctuation without
   whitespace inside a word ("b.a.d", "i-d-i-o-t"). Apostrophes never count ("he'll" must not
   become "hell"), and a separator next to a longer word is kept ("a bad day" stays as is).
   Kanji that look like kana (力 for カ, 口 for ロ, 工 for エ, 二 for ニ, 八 for ハ, 夕 for タ,
   卜 for ト) are read as the kana only next to kana ("バ力" → "ばか"), never after another
   kanji, so "努力する" never becomes "努かする".
3. **Long-vowel marks and wave dashes** ー 〜 ~ are deleted ("ばーか" → "ばか").
4. **Repeated letters** collapse to one ("baaaad" → "bad"). Each loose character remembers
   how long its run was, and a match stands only when every run in the message is at least as
   long as the pattern's: "baaaad" matches "bad", "asss" matches "ass", but "as" never matches
   "ass" and "god" never matches "good".
"""

import re
from bisect import bisect_right
from typing import NamedTuple

import re2

_DIGITS = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "_": " "}
_SYMBOLS = {"@": "a", "$": "s", "!": "i", "+": "t"}
DIGITS_AS_I = str.maketrans(_DIGITS | {"1": "i"})
DIGITS_AS_L = str.maketrans(_DIGITS | {"1": "l"})
SYMBOLS_AS_I = str.maketrans(_SYMBOLS | {"|": "i"})
SYMBOLS_AS_L = str.maketrans(_SYMBOLS | {"|": "l"})
AMBIGUOUS_LEET = ("1", "|")

_DIGIT_OR_UNDERSCORE = re.compile(r"[\d_]")
_KANJI_AS_KANA = str.maketrans(
    {"力": "か", "口": "ろ", "工": "え", "二": "に", "八": "は", "夕": "た", "卜": "と"}
)
_KANJI_LOOKALIKE = re.compile(r"(?<=[ぁ-ゖ])[力口工二八夕卜]|(?<!\w)[力口工二八夕卜](?=[ぁ-ゖ])")
_SYMBOL = re.compile(r"[@$!|+]")
_SYMBOL_RUN = re.compile(r"(?<=\w)[@$]+|[@$!|+]+(?=\w)")
# Both separator regexes start with a non-word character class, so the regex engine skips
# letters quickly; the "preceded by a letter" conditions are checked in Python.
_PUNCTUATION_BEFORE_LETTER = re.compile(r"[^\w\s'’]{1,3}(?=\w)")
_SEPARATOR_BEFORE_SINGLE_LETTER = re.compile(r"[^\w'’]{1,3}(?=\w(?:\W|$))")
_LONG_VOWELS = re.compile(r"[ー〜~]+")
_REPEATS = re.compile(r"(.)\1+")


class SegmentMap(NamedTuple):
    """Maps positions of a string with deletions back to the string before deletion."""

    output_starts: list[int]
    source_starts: list[int]

    def to_source(self, index: int) -> int:
        segment = bisect_right(self.output_starts, index) - 1
        return self.source_starts[segment] + index - self.output_starts[segment]


def _delete_spans(text: str, spans: list[tuple[int, int]]) -> tuple[str, SegmentMap | None]:
    if not spans:
        return text, None
    pieces: list[str] = []
    output_starts: list[int] = []
    source_starts: list[int] = []
    output_length = 0
    kept_from = 0
    for start, end in [*spans, (len(text), len(text))]:
        if start > kept_from:
            pieces.append(text[kept_from:start])
            output_starts.append(output_length)
            source_starts.append(kept_from)
            output_length += start - kept_from
        kept_from = max(kept_from, end)
    if not pieces:
        return "", None
    return "".join(pieces), SegmentMap(output_starts, source_starts)


def _map(segment_map: SegmentMap | None, index: int) -> int:
    return index if segment_map is None else segment_map.to_source(index)


class LooseText(NamedTuple):
    """A loose view plus what is needed to map its positions back to the fold."""

    text: str
    joined: str  # after separator/ー deletion, before run collapse
    to_joined: SegmentMap | None
    to_fold: SegmentMap | None

    def run_length(self, index: int) -> int:
        """How many times the character at loose ``index`` was repeated in the message."""
        position = _map(self.to_joined, index)
        character = self.joined[position]
        end = position + 1
        while end < len(self.joined) and self.joined[end] == character:
            end += 1
        return end - position

    def _has_gap_before(self, index: int) -> bool:
        """Whether separators (or ー) were deleted between loose ``index - 1`` and ``index``."""
        if index <= 0 or index >= len(self.text):
            return False
        previous_end = _map(self.to_joined, index - 1) + self.run_length(index - 1) - 1
        return (
            _map(self.to_fold, _map(self.to_joined, index)) - _map(self.to_fold, previous_end) > 1
        )

    def is_spaced_edge(self, index: int, *, forward: bool) -> bool:
        """Is loose position ``index`` a word boundary that spacing hid? True when a separator
        was deleted there and at most one spaced letter lies beyond it ("a b a d": the "a"
        before "bad"), so "c l a s s" never yields "ass"."""
        if not self._has_gap_before(index):
            return False
        letters, position = 1, index if forward else index - 1
        step = 1 if forward else -1
        while True:
            following = position + step
            gap_at = following if forward else position
            if not 0 <= following < len(self.text) or not self.text[following].isalnum():
                break
            if not self._has_gap_before(gap_at):
                return False  # the stray letters belong to an ordinary word
            letters += 1
            position = following
        return letters <= 1

    def run_lengths(self, start: int, end: int) -> list[int]:
        return [self.run_length(index) for index in range(start, end)]

    def fold_span(self, start: int, end: int) -> tuple[int, int]:
        """Span in the match fold covered by loose ``[start, end)``, whole last run included."""
        joined_start = _map(self.to_joined, start)
        joined_last = _map(self.to_joined, end - 1)
        joined_end = joined_last + self.run_length(end - 1)
        return _map(self.to_fold, joined_start), _map(self.to_fold, joined_end - 1) + 1


def _deletable_spans(text: str) -> list[tuple[int, int]]:
    spans = {
        match.span()
        for match in _PUNCTUATION_BEFORE_LETTER.finditer(text)
        if match.start() > 0 and text[match.start() - 1].isalnum()
    }
    spans.update(
        match.span()
        for match in _SEPARATOR_BEFORE_SINGLE_LETTER.finditer(text)
        if _is_single_letter_before(text, match.start())
    )
    if "ー" in text or "〜" in text or "~" in text:
        spans.update(match.span() for match in _LONG_VOWELS.finditer(text))
    return sorted(spans)


def _is_single_letter_before(text: str, index: int) -> bool:
    return index > 0 and text[index - 1].isalnum() and (index == 1 or not text[index - 2].isalnum())


# Signs of what the loose view undoes: leetspeak touching a letter (n00b, a$$, !d!0t, i_d),
# a Latin letter three times in a row (but not www, Japanese laughter) or a run of spaces
# ("kill   yourself"), punctuation inside a Latin word (b.a.d; Japanese writes 、 and 。
# between words in every sentence), single letters separated by non-letters (b a d, ば か),
# and look-alike kanji next to kana (バ力). Digits, "!" and ー on their own are everyday text
# and no sign. One RE2 pass (a DFA: about 4x cheaper here than Python's re with the same
# alternatives; the triples are spelled out because RE2 has no backreferences).
_W = r"[\p{L}\p{N}_]"
_NOT_W = r"[^\p{L}\p{N}_]"
_LOOKALIKE_KANJI = "力口工二八夕卜"
_SIGNALS = "|".join(
    [
        r"[a-z][0-9@$]|[0-9@$!|+][a-z]|[a-z]_[a-z]",
        "|".join(letter * 3 for letter in "abcdefghijklmnopqrstuvxyz"),
        r"\s\s",
        r"[a-z0-9][^\p{L}\p{N}_\s'’]{1,3}[a-z0-9]",
        rf"(?:^|{_NOT_W}){_W}[^\p{{L}}\p{{N}}_'’]{{1,3}}{_W}(?:{_NOT_W}|$)",
        rf"[ぁ-ゖ][{_LOOKALIKE_KANJI}]|(?:^|{_NOT_W})[{_LOOKALIKE_KANJI}][ぁ-ゖ]",
    ]
)


def _signal_regex() -> "re2._Regexp":
    options = re2.Options()
    options.never_capture = True
    options.log_errors = False
    return re2.compile(_SIGNALS, options)


_SIGNAL = _signal_regex()
LONG_VOWELS = str.maketrans("", "", "ー〜~")


# The yes/no question goes straight to the compiled RE2 object: the module's ``search`` wrapper
# maps byte offsets back to characters for a match object, which costs more than the search.
_SIGNAL_MATCH = _SIGNAL._regexp.Match
_UNANCHORED = re2._Anchor.UNANCHORED
_NO_MATCH = re2._NULL_SPAN


def may_need_loose_view(folded: str) -> bool:
    """False when the loose view of ``folded`` cannot match anything the strict view did not,
    long-vowel marks aside (see ``WordFilter.check``): most messages."""
    data = folded.encode()
    return _SIGNAL_MATCH(_UNANCHORED, data, 0, len(data))[0] != _NO_MATCH


def loose_view(folded: str, *, is_one_as_l: bool = False) -> LooseText:
    """Apply the module's loose rules to already match-folded text."""
    digits, symbols = (DIGITS_AS_L, SYMBOLS_AS_L) if is_one_as_l else (DIGITS_AS_I, SYMBOLS_AS_I)
    text = folded
    if _DIGIT_OR_UNDERSCORE.search(text):
        text = text.translate(digits)
    if _SYMBOL.search(text):
        text = _SYMBOL_RUN.sub(lambda match: match.group().translate(symbols), text)
    if not text.isascii() and _KANJI_LOOKALIKE.search(text):
        text = _KANJI_LOOKALIKE.sub(lambda match: match.group().translate(_KANJI_AS_KANA), text)
    joined, to_fold = _delete_spans(text, _deletable_spans(text))
    repeats = [(match.start() + 1, match.end()) for match in _REPEATS.finditer(joined)]
    loose, to_joined = _delete_spans(joined, repeats)
    return LooseText(loose, joined, to_joined, to_fold)

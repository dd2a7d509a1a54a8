"""Automod word/phrase matching that survives common evasions.

Every rule pattern is folded once into two forms and compiled into two Aho-Corasick automata
(ahocorasick-rs, the reference's measured pick for literal lists):

* the **strict** form, matched against ``match_fold(message)``: ignorable characters
  removed, NFKC (fullwidth, half-width kana, math/circled letters), combining marks stripped
  except kana voicing, casefold, Cyrillic/Greek/Armenian/small-capital look-alikes → Latin,
  katakana → hiragana;
* the **loose** form, matched against the loose view of that fold (see ``loose.py``:
  leetspeak, separators between letters, ー/〜, repeated letters).

**Whole words.** Patterns with no CJK/Thai/Korean character are whole-word by default
(``is_whole_word=None``): the characters just before and after a hit must not be letters or
digits of a space-separated script, so "class" and "assassin" never match "ass" and
"Scunthorpe" never matches "cunt". Han, kana and Hangul neighbours count as boundaries
(Japanese writes "バカidiotだ" without spaces), and so do digits in the strict view
("idiot123"). CJK patterns are substrings by default, because Japanese has no spaces.

**Boundaries.** ``boundary`` overrides the default per rule: ``"word"`` (both sides),
``"start"`` (a prefix/stem rule: ``noob*`` catches "noobs"), ``"end"`` (a suffix rule) or
``"none"`` (anywhere). In the loose view a deleted separator between single letters is a word
boundary, with at most one stray letter of the spaced run on either side: "a b a d" is
"a bad", but "c l a s s" is not "ass".

**Japanese substring limits.** Short kana patterns also occur inside harmless words (かす in
カスタム and 動かす, ばか in ばかり). ``allow_phrases`` lists such words; a hit lying inside an
allowed phrase is dropped. Kanji spellings (馬鹿) and kana/kanji look-alikes (バ力) are not
folded: list them as extra patterns.

Building costs about one fold per pattern plus the automaton compile; a ``WordFilter`` never
changes after ``__init__``, so one instance can be shared by every thread of a process.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple

import ahocorasick_rs
from django.utils.translation import gettext_lazy as _

from apps.common.text_safety.errors import FilterRuleInvalid
from apps.common.text_safety.folding import FoldedText, match_fold
from apps.common.text_safety.loose import (
    AMBIGUOUS_LEET,
    LONG_VOWELS,
    LooseText,
    loose_view,
    may_need_loose_view,
)

Action = Literal["block", "mask", "flag"]
Boundary = Literal["word", "start", "end", "none"]
ACTION_STRENGTH: dict[str, int] = {"flag": 1, "mask": 2, "block": 3}
MAX_PATTERN_LENGTH = 260
# The reference measured the DFA fastest up to ~1k patterns and the contiguous NFA beyond.
_DFA_PATTERN_LIMIT = 1_000

# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, Hangul, kana, Han.
_UNSPACED_RANGES: tuple[tuple[int, int], ...] = (
    (0x0E00, 0x0EFF),
    (0x1000, 0x109F),
    (0x1100, 0x11FF),
    (0x1780, 0x17FF),
    (0x3005, 0x3007),
    (0x3040, 0x30FF),
    (0x3130, 0x318F),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0xFF66, 0xFF9F),
    (0x20000, 0x3FFFF),
)


def is_unspaced_script(character: str) -> bool:
    code = ord(character)
    return any(low <= code <= high for low, high in _UNSPACED_RANGES)


def _fold_pattern(pattern: str) -> str:
    return " ".join(match_fold(pattern).text.split())


@dataclass(frozen=True, slots=True)
class FilterRule:
    """One automod rule. ``is_whole_word=None`` means whole-word unless the pattern is CJK."""

    pattern: str
    action: Action
    is_whole_word: bool | None = None
    boundary: Boundary | None = None

    def __post_init__(self) -> None:
        if self.action not in ACTION_STRENGTH:
            raise FilterRuleInvalid(
                "filter_rule_action_invalid", _("The action must be block, mask or flag.")
            )
        if len(self.pattern) > MAX_PATTERN_LENGTH:
            raise FilterRuleInvalid(
                "filter_rule_pattern_too_long", _("The pattern is too long (260 characters max).")
            )
        if not _fold_pattern(self.pattern):
            raise FilterRuleInvalid(
                "filter_rule_pattern_empty", _("The pattern has no visible characters.")
            )

    @property
    def matches_whole_word(self) -> bool:
        return self.resolved_boundary == "word"

    @property
    def resolved_boundary(self) -> Boundary:
        if self.boundary is not None:
            return self.boundary
        if self.is_whole_word is not None:
            return "word" if self.is_whole_word else "none"
        return "none" if any(is_unspaced_script(c) for c in self.pattern) else "word"


class FilterMatch(NamedTuple):
    """A hit: the rule and its ``[start, end)`` span in the original message."""

    rule: FilterRule
    start: int
    end: int


class FilterResult(NamedTuple):
    """A NamedTuple, not a dataclass: one is made per message, and at 100,000 messages a
    second a frozen dataclass's ``__init__`` costs as much as the matching."""

    action: Action | None
    matches: list[FilterMatch]
    masked_text: str = ""
    # Matches found only in the loose view (leet, spacing, stretching): lower confidence.
    loose_matches: frozenset[FilterMatch] = frozenset()


class _CompiledRule(NamedTuple):
    index: int  # type: ignore[assignment]  # shadows tuple.index, on purpose
    check_start: bool
    check_end: bool
    is_cjk: bool
    runs: tuple[int, ...]  # loose form only: run length each loose character needs


class _Automaton:
    """Patterns → compiled rules, searched with overlapping matches."""

    def __init__(self, entries: dict[str, list[_CompiledRule]]) -> None:
        self._patterns = list(entries)
        self.has_patterns = bool(self._patterns)
        self._rules = [entries[pattern] for pattern in self._patterns]
        self._matcher: ahocorasick_rs.AhoCorasick | None = None
        if self._patterns:
            implementation = (
                ahocorasick_rs.Implementation.DFA
                if len(self._patterns) <= _DFA_PATTERN_LIMIT
                else ahocorasick_rs.Implementation.ContiguousNFA
            )
            self._matcher = ahocorasick_rs.AhoCorasick(
                self._patterns,
                matchkind=ahocorasick_rs.MatchKind.Standard,
                implementation=implementation,
            )

    def find(self, text: str) -> list[tuple[list[_CompiledRule], int, int]]:
        if self._matcher is None or not text:
            return []
        return [
            (self._rules[pattern], start, end)
            for pattern, start, end in self._matcher.find_matches_as_indexes(text, overlapping=True)
        ]


def _is_word_character(character: str, *, is_digit_boundary: bool) -> bool:
    if not character.isalnum() or is_unspaced_script(character):
        return False
    return not (is_digit_boundary and character.isdigit())


def _edge_ok(character: str, *, is_cjk: bool, is_digit_boundary: bool) -> bool:
    if is_cjk:  # an explicitly whole-word CJK pattern: no letter at all next to it
        return not character.isalnum()
    return not _is_word_character(character, is_digit_boundary=is_digit_boundary)


def _edge_holds(
    text: str, position: int, neighbour: int, rule: _CompiledRule, *, strict: bool,
    loose: LooseText | None, forward: bool,
) -> bool:  # fmt: skip
    """Is there a word boundary at ``position`` (``neighbour`` is the letter beside it)?"""
    if _edge_ok(text[neighbour], is_cjk=rule.is_cjk, is_digit_boundary=strict):
        return True
    return loose is not None and loose.is_spaced_edge(position, forward=forward)


def _boundary_ok(
    rule: _CompiledRule, text: str, start: int, end: int, *, strict: bool,
    loose: LooseText | None = None,
) -> bool:  # fmt: skip
    start_ok = not (rule.check_start and start > 0) or _edge_holds(
        text, start, start - 1, rule, strict=strict, loose=loose, forward=False
    )
    return start_ok and (
        not (rule.check_end and end < len(text))
        or _edge_holds(text, end, end, rule, strict=strict, loose=loose, forward=True)
    )


_DASHES = frozenset("ー〜~")


class WordFilter:
    """Immutable matcher for one rule set; build once per rule-set version and share it."""

    __slots__ = ("_allowed", "_loose", "_rules", "_strict")

    def __init__(self, rules: Iterable[FilterRule], *, allow_phrases: Iterable[str] = ()) -> None:
        self._rules: tuple[FilterRule, ...] = tuple(rules)
        strict: dict[str, list[_CompiledRule]] = {}
        loose: dict[str, list[_CompiledRule]] = {}
        for index, rule in enumerate(self._rules):
            folded = _fold_pattern(rule.pattern)
            is_cjk = any(is_unspaced_script(character) for character in folded)
            boundary = rule.resolved_boundary
            compiled = _CompiledRule(
                index, boundary in ("word", "start"), boundary in ("word", "end"), is_cjk, ()
            )
            strict.setdefault(folded, []).append(compiled)
            loose_pattern = loose_view(folded)
            if loose_pattern.text:
                runs = tuple(loose_pattern.run_lengths(0, len(loose_pattern.text)))
                loose.setdefault(loose_pattern.text, []).append(compiled._replace(runs=runs))
        allowed: dict[str, list[_CompiledRule]] = {
            folded_phrase: []
            for phrase in allow_phrases
            if (folded_phrase := _fold_pattern(phrase))
        }
        self._strict = _Automaton(strict)
        self._loose = _Automaton(loose)
        self._allowed = _Automaton(allowed)

    @property
    def rules(self) -> tuple[FilterRule, ...]:
        return self._rules

    def check(self, text: str, *, folded: FoldedText | None = None) -> FilterResult:
        """Match ``text``; spans in the result index the original, unnormalized ``text``.
        ``folded``: ``match_fold(text)`` when the caller has it already."""
        folded = folded if folded is not None else match_fold(text)
        hits: set[tuple[int, int, int]] = set()
        self._match_strict(folded, hits)
        loose_hits: set[tuple[int, int, int]] = set()
        # The loose view costs more than the rest together; most messages carry no sign of
        # the evasions it undoes, and then it could only find what the strict view found.
        needs_loose = self._loose.has_patterns and (
            may_need_loose_view(folded.text) or self._dashes_hide_a_match(folded.text)
        )
        if not hits and not needs_loose:
            return FilterResult(None, [], text)  # the common case, without the bookkeeping
        if needs_loose:
            strict_hits = set(hits)
            self._match_loose(folded, loose_view(folded.text), hits)
            if AMBIGUOUS_LEET[0] in folded.text or AMBIGUOUS_LEET[1] in folded.text:
                self._match_loose(folded, loose_view(folded.text, is_one_as_l=True), hits)
            loose_hits = hits - strict_hits
        if hits:
            hits = self._drop_allowed(folded, hits)
        return self._result(text, hits, loose_hits)

    def _dashes_hide_a_match(self, text: str) -> bool:
        """ー and 〜 are everywhere in Japanese (げーむ): run the loose view for them only when
        deleting them makes a loose pattern appear (ばーか)."""
        if _DASHES.isdisjoint(text):
            return False
        return bool(self._loose.find(text.translate(LONG_VOWELS)))

    def _match_strict(self, folded: FoldedText, hits: set[tuple[int, int, int]]) -> None:
        for rules, start, end in self._strict.find(folded.text):
            for rule in rules:
                if not (rule.check_start or rule.check_end) or _boundary_ok(
                    rule, folded.text, start, end, strict=True
                ):
                    hits.add((rule.index, *folded.source_span(start, end)))

    def _match_loose(
        self, folded: FoldedText, loose: LooseText, hits: set[tuple[int, int, int]]
    ) -> None:
        for rules, start, end in self._loose.find(loose.text):
            runs: list[int] | None = None
            for rule in rules:
                if not _boundary_ok(rule, loose.text, start, end, strict=False, loose=loose):
                    continue
                runs = runs if runs is not None else loose.run_lengths(start, end)
                if any(found < needed for found, needed in zip(runs, rule.runs, strict=True)):
                    continue
                source_start, source_end = folded.source_span(*loose.fold_span(start, end))
                # "カスすぎ": the strict hit カス already covers this; a second, longer span
                # for the same rule would only blur the report.
                if not any(
                    index == rule.index and low < source_end and source_start < high
                    for index, low, high in hits
                ):
                    hits.add((rule.index, source_start, source_end))

    def _drop_allowed(
        self, folded: FoldedText, hits: set[tuple[int, int, int]]
    ) -> set[tuple[int, int, int]]:
        allowed = [
            folded.source_span(start, end) for _, start, end in self._allowed.find(folded.text)
        ]
        if not allowed:
            return hits
        return {
            hit
            for hit in hits
            if not any(low <= hit[1] and hit[2] <= high for low, high in allowed)
        }

    def _result(
        self, text: str, hits: set[tuple[int, int, int]], loose_hits: set[tuple[int, int, int]]
    ) -> FilterResult:
        if not hits:
            return FilterResult(action=None, matches=[], masked_text=text)
        ordered = sorted(hits, key=lambda hit: (hit[1], hit[2], hit[0]))
        matches = [FilterMatch(self._rules[index], start, end) for index, start, end in ordered]
        loose = frozenset(
            FilterMatch(self._rules[index], start, end) for index, start, end in loose_hits
        )
        return filter_result(text, matches, loose_matches=loose)


def filter_result(
    text: str, matches: list[FilterMatch], *, loose_matches: frozenset[FilterMatch] = frozenset()
) -> FilterResult:
    """The result for ``matches`` on ``text``: the strongest action, the text with the
    ``mask`` matches starred. Callers that drop or add matches (a second stage) rebuild with
    it."""
    if not matches:
        return FilterResult(action=None, matches=[], masked_text=text)
    action = max((match.rule.action for match in matches), key=ACTION_STRENGTH.__getitem__)
    masked_spans = [(m.start, m.end) for m in matches if m.rule.action == "mask"]
    return FilterResult(
        action=action, matches=matches, masked_text=_mask(text, masked_spans),
        loose_matches=loose_matches & frozenset(matches),
    )  # fmt: skip


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace each span by as many ``*`` as it has characters; overlapping spans merge."""
    if not spans:
        return text
    pieces: list[str] = []
    kept_from = 0
    for start, end in sorted(spans):
        start = max(start, kept_from)
        if end <= start:
            continue
        pieces.append(text[kept_from:start])
        pieces.append("*" * (end - start))
        kept_from = end
    pieces.append(text[kept_from:])
    return "".join(pieces)

"""A compiled automod rule set (no database): literal rules through the evasion-resistant
matcher (``apps.common.text_safety``), regex rules through RE2, links against allowed domains,
and the Japanese second stage on flagged short-kana hits. Immutable once built: one instance
is shared by every thread of a process.

The check, in order: fold + Aho-Corasick (strict view; the loose view only when the message
shows a sign of evasion), allow-lists, the second stage for short kana hits of the strict
view (loose-view hits are evasions — spacing, ー, look-alike kanji — that no tokenizer reads,
so they stand), RE2 rules on the folded text (only when the set has any), links (only when the
text has a dot). The strongest action of what remains wins; ``mask`` hits are starred.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import re2

from apps.common.text_safety import FilterMatch, FilterRule, WordFilter
from apps.common.text_safety.folding import FoldedText, match_fold
from apps.common.text_safety.word_filter import filter_result
from apps.moderation.automod import japanese
from apps.moderation.automod.patterns import literal_rule, regex_compile, regex_options


@dataclass(frozen=True)
class RuleSpec:
    """An automod rule as the engine needs it (``FilterRule`` rows become these)."""

    id: int
    kind: str  # word | wildcard | substring | regex
    pattern: str
    action: str  # block | mask | flag
    category: str = "other"
    allow_phrases: tuple[str, ...] = ()
    auto_mute_after: int | None = None
    auto_mute_minutes: int = 60


@dataclass(frozen=True)
class Policy:
    """A title's non-rule settings: links, flood and repeat limits."""

    link_action: str = "flag"  # off | flag | block
    allowed_domains: tuple[str, ...] = ()
    flood_messages: int = 0  # 0: off (chat's per-player rate limit still holds)
    flood_seconds: int = 10
    repeat_limit: int = 0  # 0: off


@dataclass(frozen=True)
class Hit:
    rule_id: int | None  # None: the link filter
    pattern: str
    action: str
    start: int
    end: int
    view: str  # strict | loose | regex | link
    text: str  # the matched part of the message as written
    note: str = ""  # why a dropped hit was dropped


@dataclass(frozen=True)
class Verdict:
    action: str | None
    body: str  # the text with mask hits starred
    hits: tuple[Hit, ...] = ()
    dropped: tuple[Hit, ...] = ()  # for the admin's "test this text"
    categories: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_blocked(self) -> bool:
        return self.action == "block"

    @property
    def is_flagged(self) -> bool:
        return self.action == "flag"


_LINK = re.compile(
    r"(?i)\b(?:https?://[^\s/$.?#]+\.[^\s]*|www\.[^\s]+|"
    r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|gg|jp|ly|me|co|xyz|ru|tk|info|app|dev|"
    r"link|site|shop|top|live|tv|cc|biz|us|uk|de)\b(?:/[^\s]*)?)"
)
_LINK_RULE = FilterRule("link", "flag")
# Most sentences end with a dot; a link has a dot followed by a letter (or "://").
_MAYBE_LINK = re2.compile(r"\.[A-Za-z]|://", regex_options())


def _domain(link: str) -> str:
    address = link if "://" in link else f"http://{link}"
    try:
        return (urlsplit(address).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


class RuleSet:
    __slots__ = ("_by_rule", "_filter", "_policy", "_regex", "_regex_set", "_short_kana",
                 "specs")  # fmt: skip

    def __init__(
        self, specs: Iterable[RuleSpec], *, allow_phrases: Iterable[str] = (),
        policy: Policy | None = None,
    ) -> None:  # fmt: skip
        self.specs = tuple(specs)
        self._policy = policy or Policy()
        literal: list[FilterRule] = []
        self._by_rule: dict[int, RuleSpec] = {}
        self._short_kana: set[int] = set()
        allowed = list(allow_phrases)
        self._regex: list[tuple[RuleSpec, re2._Regexp, FilterRule]] = []
        for spec in self.specs:
            allowed.extend(spec.allow_phrases)
            if spec.kind == "regex":
                rule = FilterRule(spec.pattern, spec.action, boundary="none")  # type: ignore[arg-type]
                self._regex.append((spec, regex_compile(spec.pattern), rule))
                continue
            rule = literal_rule(kind=spec.kind, pattern=spec.pattern, action=spec.action)
            literal.append(rule)
            self._by_rule[id(rule)] = spec
            if japanese.is_short_kana(match_fold(rule.pattern).text.strip()):
                self._short_kana.add(id(rule))
        self._filter = WordFilter(literal, allow_phrases=allowed)
        self._regex_set: re2.Set | None = None
        if self._regex:
            self._regex_set = re2.Set.SearchSet(regex_options())
            for _spec, compiled, _rule in self._regex:
                self._regex_set.Add(compiled.pattern)
            self._regex_set.Compile()

    @property
    def policy(self) -> Policy:
        return self._policy

    def spec_of(self, rule: FilterRule) -> RuleSpec | None:
        return self._by_rule.get(id(rule))

    def check(self, text: str) -> Verdict:
        folded = match_fold(text)
        result = self._filter.check(text, folded=folded)
        kept: list[FilterMatch] = []
        dropped: list[Hit] = []
        forms: set[str] | None = None
        for match in result.matches:
            if id(match.rule) in self._short_kana and match not in result.loose_matches:
                forms = forms if forms is not None else japanese.token_forms(text)
                if match_fold(match.rule.pattern).text.strip() not in forms:
                    dropped.append(self._hit(match, text, "strict", note="not a token"))
                    continue
            kept.append(match)
        if self._regex_set is not None:
            kept.extend(self._regex_matches(folded))
        if self._policy.link_action != "off" and "." in text and _MAYBE_LINK.search(text):
            kept.extend(self._link_matches(text))
        if not kept:
            return Verdict(action=None, body=text, dropped=tuple(dropped))
        final = filter_result(text, kept)
        hits = tuple(
            self._hit(m, text, "loose" if m in result.loose_matches else "strict") for m in kept
        )
        categories = frozenset(
            spec.category for m in kept if (spec := self._spec_for(m)) is not None
        )
        return Verdict(action=final.action, body=final.masked_text, hits=hits,
                       dropped=tuple(dropped), categories=categories)  # fmt: skip

    def _spec_for(self, match: FilterMatch) -> RuleSpec | None:
        spec = self._by_rule.get(id(match.rule))
        if spec is not None:
            return spec
        return next((s for s, _c, rule in self._regex if rule is match.rule), None)

    def _hit(self, match: FilterMatch, text: str, view: str, note: str = "") -> Hit:
        spec = self._spec_for(match)
        if match.rule is _LINK_RULE or (spec is None and match.rule.pattern == "link"):
            view = "link"
        elif spec is not None and spec.kind == "regex":
            view = "regex"
        return Hit(
            rule_id=spec.id if spec is not None else None,
            pattern=spec.pattern if spec is not None else match.rule.pattern,
            action=match.rule.action, start=match.start, end=match.end, view=view,
            text=text[match.start : match.end], note=note,
        )  # fmt: skip

    def _regex_matches(self, folded: FoldedText) -> list[FilterMatch]:
        matches = []
        for index in self._regex_set.Match(folded.text) or ():  # type: ignore[union-attr]
            _spec, compiled, rule = self._regex[index]
            found = compiled.search(folded.text)
            if found is not None and found.end() > found.start():
                matches.append(FilterMatch(rule, *folded.source_span(*found.span())))
        return matches

    def _link_matches(self, text: str) -> list[FilterMatch]:
        rule = FilterRule("link", self._policy.link_action)  # type: ignore[arg-type]
        matches = []
        for found in _LINK.finditer(text):
            domain = _domain(found.group())
            if domain and not any(
                domain == allowed or domain.endswith("." + allowed)
                for allowed in self._policy.allowed_domains
            ):
                matches.append(FilterMatch(rule, found.start(), found.end()))
        return matches

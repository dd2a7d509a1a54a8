# ruff: noqa: RUF001 -- look-alike characters are this module's subject
"""Throughput of the automod WordFilter against baselines measured in the same run.

Run: ``.venv/bin/python bench/text_filter.py`` (about 15 s on the 2-core project machine).

Generates ~20,000 seeded messages (70 % Latin, 30 % Japanese; 20 % carry an evasion:
fullwidth, zero-width space, Cyrillic look-alikes, leetspeak or stretched letters) and
~1,000 rules (70 % Latin words, 30 % kana); 10 % of the messages contain one banned term.
Then it reports messages per second for:

* ``WordFilter.check`` (fold + loose view + two Aho-Corasick passes + spans + masking);
* a naive stdlib ``re`` alternation over ``NFKC(text).casefold()`` (longest pattern first),
  which catches none of the evasions except fullwidth;
* a ``str.casefold`` loop: the floor for touching every message once in Python.

Each figure is the median of three runs. Absolute numbers depend on the machine; read the
ratios.
"""

import random
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import django
from django.conf import settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if not settings.configured:
    settings.configure(USE_I18N=False)
    django.setup()

from apps.common.text_safety import FilterRule, WordFilter

SEED = 20261125
MESSAGE_COUNT = 20_000
RULE_COUNT = 1_000
REPEATS = 3

_CONSONANTS = "bcdfghjklmnprstvwz"
_VOWELS = "aeiou"
_KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわん"
_KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモラリルレロン"
_KANJI = "日本語学生先年大中小山川田人名時間分今前後話会社電車気天雨"
_CYRILLIC = str.maketrans("aceopxy", "асеорху")
_LEET = str.maketrans("aeiost", "431057")


def _latin_word(rng: random.Random) -> str:
    return "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(rng.randint(1, 4)))


def _japanese_chunk(rng: random.Random) -> str:
    pool = rng.choice((_KANA, _KATAKANA, _KANJI))
    return "".join(rng.choice(pool) for _ in range(rng.randint(2, 5)))


def _evade(rng: random.Random, message: str) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in message)
    if kind == 1:
        return "\u200b".join(message[i : i + 3] for i in range(0, len(message), 3))
    if kind == 2:
        return message.translate(_CYRILLIC)
    if kind == 3:
        return message.translate(_LEET)
    return re.sub(r"([aeiou])", lambda m: m.group() * rng.randint(1, 3), message)


def build_corpus() -> tuple[list[FilterRule], list[str]]:
    """Rules are mostly absent from normal chat; 10 % of messages carry one banned term."""
    rng = random.Random(SEED)
    vocabulary = [_latin_word(rng) for _ in range(3_000)]
    japanese = [_japanese_chunk(rng) for _ in range(1_500)]
    actions = ("block", "mask", "flag")
    latin_terms = [_latin_word(rng) + _latin_word(rng) for _ in range(int(RULE_COUNT * 0.7))]
    japanese_terms = [
        "".join(rng.choice(_KANA + _KATAKANA) for _ in range(rng.randint(4, 5)))
        for _ in range(RULE_COUNT - len(latin_terms))
    ]
    rules = [
        FilterRule(pattern=term, action=rng.choice(actions))
        for term in latin_terms + japanese_terms
    ]
    messages = []
    for _ in range(MESSAGE_COUNT):
        is_latin = rng.random() < 0.7
        if is_latin:
            words = [rng.choice(vocabulary) for _ in range(rng.randint(10, 18))]
        else:
            words = [rng.choice(japanese) for _ in range(rng.randint(8, 14))]
        if rng.random() < 0.1:
            words[rng.randrange(len(words))] = rng.choice(
                latin_terms if is_latin else japanese_terms
            )
        message = " ".join(words) if is_latin else "".join(words)
        messages.append(_evade(rng, message) if rng.random() < 0.2 else message)
    return rules, messages


def _throughput(check: Callable[[str], object], messages: list[str]) -> tuple[float, int]:
    timings = []
    hits = 0
    for _ in range(REPEATS):
        started = time.perf_counter()
        hits = sum(1 for message in messages if check(message))
        timings.append(time.perf_counter() - started)
    return len(messages) / statistics.median(timings), hits


def main() -> None:
    rules, messages = build_corpus()
    average_length = sum(map(len, messages)) / len(messages)
    print(f"{len(messages)} messages (avg {average_length:.0f} chars), {len(rules)} rules")

    started = time.perf_counter()
    word_filter = WordFilter(rules)
    print(f"WordFilter build: {(time.perf_counter() - started) * 1000:.1f} ms")

    folded_patterns = sorted(
        {unicodedata.normalize("NFKC", rule.pattern).casefold() for rule in rules},
        key=len,
        reverse=True,
    )
    started = time.perf_counter()
    alternation = re.compile("|".join(map(re.escape, folded_patterns)))
    print(f"re alternation compile: {(time.perf_counter() - started) * 1000:.1f} ms")

    results = {
        "WordFilter.check": _throughput(
            lambda message: word_filter.check(message).matches, messages
        ),
        "re alternation (NFKC+casefold)": _throughput(
            lambda message: alternation.findall(unicodedata.normalize("NFKC", message).casefold()),
            messages,
        ),
        "str.casefold floor": _throughput(lambda message: message.casefold() == "", messages),
    }
    ours = results["WordFilter.check"][0]
    print(f"{'engine':34} {'msgs/s':>10} {'us/msg':>8} {'flagged':>8} {'ours/this':>10}")
    for name, (rate, hits) in results.items():
        print(f"{name:34} {rate:10,.0f} {1e6 / rate:8.1f} {hits:8} {ours / rate:10.2f}x")


if __name__ == "__main__":
    main()

"""Automod throughput per core: the whole check against the bare matcher, in one run.

Run: ``.venv/bin/python bench/automod.py`` (about a minute on the 2-core project machine;
``--messages`` and ``--repeats`` change the load).

Corpus: 20,000 seeded messages, 70 % Latin / 30 % Japanese, built from the ordinary sentences
of tests/moderation/data/automod_corpus.json (1-3 per message, ~60-100 characters); 5 % carry
one rule pattern, 5 % one of the corpus's evasions (fullwidth, zero-width, Cyrillic, leet,
spacing, ﾊﾞｶ, バ力…). Rule sets: the corpus's starter rules (wildcards, a regex, the short kana
patterns ばか/かす/しね that need the second stage) plus generated patterns (70 % Latin, 30 %
kana/kanji) up to 1,000 and 10,000 rules.

Rows, per rule-set size, all on the same messages, repeats interleaved (order rotated):

* ``whole check``: ``RuleSet.check`` as chat calls it — fold, strict Aho-Corasick, the loose
  view when the message shows a sign of evasion, allow-lists, RE2 rules, links, and the
  Japanese second stage on the messages whose short-kana hits need it;
* ``fast stage``: the same without RE2, links and the second stage (``WordFilter.check``:
  normalization + matching + allow-lists) — the figure the ≥ 100,000 msgs/s target refers to;
* ``bare matcher``: ahocorasick-rs over the same literal patterns on *pre-folded* text (the
  floor: no normalization, no views, no spans) — the calibration line;
* ``second stage``: the tokenizer alone (fugashi + unidic-lite) on the messages that reach it,
  in µs per such message, with their share of all messages.

Figures are CPU time of this process (``time.process_time``: per core, steadier than wall time
on a shared machine), medians of the repeats with min-max; ``/proc/loadavg`` is printed before
and after each block. The figures are single-threaded; a process uses one core for this.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings.test")

import django  # noqa: E402

django.setup()

import ahocorasick_rs  # noqa: E402

from apps.common.text_safety.folding import match_fold  # noqa: E402
from apps.moderation.automod import japanese  # noqa: E402
from apps.moderation.automod.engine import RuleSet, RuleSpec  # noqa: E402

SEED = 20261205
CORPUS = json.loads((ROOT / "tests/moderation/data/automod_corpus.json").read_text())
_CV = ("bcdfghjklmnprstvwz", "aeiou")
_KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわん"
_KANJI = "日本語学生先年大中小山川田人名時間分今前後話会社電車気天雨"


def _latin_term(rng: random.Random) -> str:
    return "".join(rng.choice(_CV[0]) + rng.choice(_CV[1]) for _ in range(rng.randint(3, 5)))


def _japanese_term(rng: random.Random) -> str:
    return "".join(rng.choice(_KANA + _KANJI) for _ in range(rng.randint(3, 5)))


def rule_specs(count: int, rng: random.Random) -> list[RuleSpec]:
    starter = [RuleSpec(id=index, kind=rule["kind"], pattern=rule["pattern"],
                        action=rule["action"], allow_phrases=tuple(rule.get("allow_phrases", ())))
               for index, rule in enumerate(CORPUS["rules"])]  # fmt: skip
    generated: set[str] = set()
    while len(generated) < count - len(starter):
        generated.add(_latin_term(rng) if rng.random() < 0.7 else _japanese_term(rng))
    actions = ("block", "mask", "flag")
    extra = [
        RuleSpec(id=len(starter) + index, kind="word", pattern=pattern, action=rng.choice(actions))
        for index, pattern in enumerate(sorted(generated))
    ]
    return starter + extra


def ordinary(language: str) -> list[str]:
    entries = CORPUS["ordinary"][language]
    return entries["sentences"] + [t.format(f) for t in entries["templates"]
                                   for f in entries["fillers"]]  # fmt: skip


def messages(count: int, specs: list[RuleSpec], rng: random.Random) -> list[str]:
    english, japanese_sentences = ordinary("en"), ordinary("ja")
    evasions = [entry["text"] for entry in CORPUS["evasions"]]
    literal = [spec.pattern.strip("*") for spec in specs if spec.kind != "regex"]
    out = []
    for _ in range(count):
        is_latin = rng.random() < 0.7
        pool = english if is_latin else japanese_sentences
        parts = [rng.choice(pool) for _ in range(rng.randint(1, 3))]
        roll = rng.random()
        if roll < 0.05:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(literal))
        elif roll < 0.10:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(evasions))
        out.append((" " if is_latin else "").join(parts))
    return out


def cpu_rate(check: Callable[[str], object], texts: list[str]) -> float:
    started = time.process_time()
    for text in texts:
        check(text)
    return len(texts) / (time.process_time() - started)


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()
    except OSError:
        return "n/a"


def block(size: int, texts: list[str], repeats: int, rng: random.Random) -> dict[str, object]:
    specs = rule_specs(size, rng)
    started = time.process_time()
    rule_set = RuleSet(specs)
    build_ms = (time.process_time() - started) * 1000
    fast = rule_set._filter  # the fast stage: fold + views + Aho-Corasick + allow-lists
    folded = [match_fold(text).text for text in texts]
    patterns = sorted({match_fold(s.pattern.strip("*")).text for s in specs if s.kind != "regex"})
    bare = ahocorasick_rs.AhoCorasick(
        patterns, implementation=ahocorasick_rs.Implementation.ContiguousNFA
    )
    variants: dict[str, tuple[Callable[[str], object], list[str]]] = {
        "whole check": (rule_set.check, texts),
        "fast stage": (fast.check, texts),
        "bare matcher (pre-folded)": (
            lambda text: bare.find_matches_as_indexes(text, overlapping=True), folded),
    }  # fmt: skip
    rates: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    before = loadavg()
    for repeat in range(repeats):
        for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
            check, inputs = variants[name]
            rates[name].append(cpu_rate(check, inputs))
    second = [t for t in texts if any(
        spec is not None and japanese.is_short_kana(match_fold(m.rule.pattern).text.strip())
        and m not in result.loose_matches
        for result in [fast.check(t)] for m in result.matches
        for spec in [rule_set.spec_of(m.rule)])]  # fmt: skip
    stage_two: list[float] = []
    for _ in range(repeats):
        if second:
            stage_two.append(cpu_rate(japanese.token_forms, second))
    verdicts = [rule_set.check(text) for text in texts]
    return {
        "size": len(specs), "build_ms": build_ms, "rates": rates, "load": (before, loadavg()),
        "second_share": len(second) / len(texts), "second_rates": stage_two,
        "blocked": sum(v.is_blocked for v in verdicts),
        "flagged_or_masked": sum(v.action in ("flag", "mask") for v in verdicts),
    }  # fmt: skip


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=ROOT, check=False).stdout.strip()  # fmt: skip
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    args = parser.parse_args()
    rng = random.Random(SEED)
    texts = messages(args.messages, rule_specs(max(args.sizes), random.Random(SEED)), rng)
    latin = sum(text.isascii() for text in texts) / len(texts)
    print(
        f"commit {commit()}; {len(texts)} messages, avg "
        f"{sum(map(len, texts)) / len(texts):.0f} chars, {latin:.0%} ASCII; "
        f"median of {args.repeats} interleaved repeats (min-max), CPU time of one core"
    )
    print(f"{'rules':>6} {'variant':28} {'msgs/s/core':>12} {'µs/msg':>7} {'min-max msgs/s':>18}")
    for size in args.sizes:
        result = block(size, texts, args.repeats, random.Random(SEED + size))
        for name, values in result["rates"].items():  # type: ignore[union-attr]
            median = statistics.median(values)
            print(f"{result['size']:>6} {name:28} {median:>12,.0f} {1e6 / median:>7.1f} "
                  f"{min(values):>8,.0f}-{max(values):<9,.0f}")  # fmt: skip
        stage = result["second_rates"]
        if stage:
            median = statistics.median(stage)  # type: ignore[arg-type]
            share = result["second_share"]
            print(f"{result['size']:>6} {'second stage (tokenizer)':28} {median:>12,.0f} "
                  f"{1e6 / median:>7.1f}   on {share:.1%} of messages")  # fmt: skip
        print(f"       build {result['build_ms']:.0f} ms; blocked {result['blocked']}, "
              f"flagged or masked {result['flagged_or_masked']}; loadavg before/after "
              f"{result['load'][0]} / {result['load'][1]}")  # type: ignore[index]  # fmt: skip


if __name__ == "__main__":
    main()

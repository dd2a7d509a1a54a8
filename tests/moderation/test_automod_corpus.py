"""The automod corpus, both directions: every evasion caught, every ordinary sentence and word
(≥ 2,000, Japanese and English) passes — through the real rule set built from the database."""

import json
from pathlib import Path

import pytest

from apps.moderation.automod.services import automod_check, filter_rule_save
from apps.moderation.automod.store import rule_sets_reset
from apps.moderation.models import FilterRule

pytestmark = pytest.mark.django_db

CORPUS = json.loads((Path(__file__).parent / "data" / "automod_corpus.json").read_text())


def ordinary(language: str) -> list[str]:
    entries = CORPUS["ordinary"][language]
    filled = [t.format(f) for t in entries["templates"] for f in entries["fillers"]]
    return entries["words"] + entries["sentences"] + filled


@pytest.fixture
def starter_rules(title):
    for rule in CORPUS["rules"]:
        filter_rule_save(rule=FilterRule(title=title, **rule))
    rule_sets_reset()
    return title


def test_the_corpus_has_at_least_2000_ordinary_entries_in_both_languages():
    assert len(ordinary("en")) + len(ordinary("ja")) >= 2000
    assert min(len(ordinary("en")), len(ordinary("ja"))) >= 800


@pytest.mark.parametrize("locale", ["en", "ja"])
def test_every_ordinary_entry_passes(starter_rules, locale):
    flagged = {}
    for text in ordinary(locale):
        verdict = automod_check(text=text, title_id=starter_rules.id, locale=locale)
        if verdict.hits:
            flagged[text] = [(hit.pattern, hit.text, hit.view) for hit in verdict.hits]

    assert flagged == {}


@pytest.mark.parametrize("entry", CORPUS["evasions"], ids=lambda entry: entry["technique"])
def test_every_evasion_is_caught_by_its_rule(starter_rules, entry):
    locale = "ja" if any(ord(c) > 0x2E80 for c in entry["rule"]) else "en"

    verdict = automod_check(text=entry["text"], title_id=starter_rules.id, locale=locale)

    assert entry["rule"] in {hit.pattern for hit in verdict.hits}, verdict
    assert verdict.action is not None

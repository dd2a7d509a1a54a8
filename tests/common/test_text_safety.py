# ruff: noqa: RUF001, RUF003 -- look-alike characters are this module's subject
import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.common.text_safety import (
    FilterMatch,
    FilterRule,
    FilterRuleInvalid,
    NameRejected,
    TextRejected,
    WordFilter,
    name_key,
    normalize_text,
    validate_display_name,
)

ZWSP = "\u200b"
ZWJ = "\u200d"

BAD = FilterRule("bad", "mask")
ASS = FilterRule("ass", "block")
CUNT = FilterRule("cunt", "block")
IDIOT = FilterRule("idiot", "flag")
KILL = FilterRule("kill", "block")
BAKA = FilterRule("ばか", "mask")
KASU = FilterRule("かす", "mask")
FILTER = WordFilter([BAD, ASS, CUNT, IDIOT, KILL, BAKA, KASU], allow_phrases=["カスタム"])


def spans(text: str) -> list[tuple[str, int, int]]:
    return [(match.rule.pattern, match.start, match.end) for match in FILTER.check(text).matches]


# --- normalize_text -----------------------------------------------------------------------


def test_normalize_text_folds_width_case_and_invisible_characters():
    text = f"  Ｓｏｎｉｃ{ZWSP}  the\u00adHedge\ufe0fhog\u202e\t\n Straße "

    assert normalize_text(text) == "sonic thehedgehog strasse"


def test_normalize_text_keeps_accents_and_kana():
    assert normalize_text("Café ソニック") == "café ソニック"


# --- name_key -----------------------------------------------------------------------------


def test_name_key_same_for_fullwidth_lowercase_cyrillic_and_zero_width():
    keys = {name_key(name) for name in ("Ｓｏｎｉｃ", "sonic", "SONIC", "Ѕonic", f"so{ZWSP}nic")}

    assert keys == {name_key("Sonic")}


def test_name_key_maps_ascii_confusables_and_greek_capitals():
    assert name_key("S0NIC") == name_key("sonic")
    assert name_key("ΑDMIN") == name_key("admin")
    assert name_key("Ηello") == name_key("hello")


def test_name_key_keeps_japanese_and_distinct_names_apart():
    assert name_key("山田たろう") == "山田たろう"
    assert name_key("ソニック") != name_key("そにっく")
    assert name_key("Sonic") != name_key("Tonic")


# --- validate_display_name ----------------------------------------------------------------


def test_validate_display_name_returns_nfkc_trimmed_form():
    assert validate_display_name("  Ｓｏｎｉｃ ") == "Sonic"


@pytest.mark.parametrize(
    "name",
    [
        "山田たろう",
        "ソニック2",
        "Taro太郎",
        "サトシ_ケッチャム",
        "ゲーマー123",
        "Алексей",
        "Αλέξανδρος",
        "Jöhn.Doe-2",
        "김철수",
    ],
)
def test_validate_display_name_accepts_single_script_and_japanese_names(name):
    assert validate_display_name(name) == name


def test_validate_display_name_rejects_cyrillic_lookalike_in_latin_word():
    with pytest.raises(NameRejected) as excinfo:
        validate_display_name("Ѕonic")

    assert excinfo.value.code == "name_mixed_script"
    assert isinstance(excinfo.value, TextRejected)
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize("name", ["pаypal", "Αdmin", "١٢٣abc", "Sonic١"])
def test_validate_display_name_rejects_mixed_scripts_and_digit_systems(name):
    with pytest.raises(NameRejected) as excinfo:
        validate_display_name(name)

    assert excinfo.value.code == "name_mixed_script"


def test_validate_display_name_accepts_different_scripts_in_different_words():
    assert validate_display_name("Алексей Smith") == "Алексей Smith"


@pytest.mark.parametrize(
    "name", [f"So{ZWJ}nic", f"So{ZWSP}nic", "Sonic\u202e", "Son\tic", "Sonic\ufe0f", "So\u00adnic"]
)
def test_validate_display_name_rejects_control_and_invisible_characters(name):
    with pytest.raises(NameRejected) as excinfo:
        validate_display_name(name)

    assert excinfo.value.code == "name_control_characters"


def test_validate_display_name_length_limits_count_display_columns():
    assert validate_display_name("abc") == "abc"
    assert validate_display_name("山田") == "山田"  # two wide characters: 4 columns
    assert validate_display_name("x" * 32) == "x" * 32
    assert validate_display_name("山" * 16) == "山" * 16

    for name, code in [
        ("ab", "name_too_short"),
        ("   ab   ", "name_too_short"),
        ("x" * 33, "name_too_long"),
        ("山" * 17, "name_too_long"),
    ]:
        with pytest.raises(NameRejected) as excinfo:
            validate_display_name(name)
        assert excinfo.value.code == code


def test_validate_display_name_custom_limits():
    assert validate_display_name("ab", min_length=2, max_length=4) == "ab"
    with pytest.raises(NameRejected) as excinfo:
        validate_display_name("abcde", min_length=2, max_length=4)
    assert excinfo.value.code == "name_too_long"


@pytest.mark.parametrize(
    "name", ["Sonic!", "So  nic", "Sonic@home", "Sonic🎮", "z\u0336\u0336\u0336oe"]
)
def test_validate_display_name_rejects_invalid_characters(name):
    with pytest.raises(NameRejected) as excinfo:
        validate_display_name(name)

    assert excinfo.value.code == "name_invalid_characters"


# --- FilterRule ---------------------------------------------------------------------------


def test_filter_rule_whole_word_defaults_by_script():
    assert BAD.matches_whole_word is True
    assert BAKA.matches_whole_word is False
    assert FilterRule("ass", "block", is_whole_word=False).matches_whole_word is False


@pytest.mark.parametrize(
    ("pattern", "action", "code"),
    [
        ("bad", "delete", "filter_rule_action_invalid"),
        (f" {ZWSP} ", "block", "filter_rule_pattern_empty"),
        ("x" * 261, "block", "filter_rule_pattern_too_long"),
    ],
)
def test_filter_rule_rejects_invalid_rules(pattern, action, code):
    with pytest.raises(FilterRuleInvalid) as excinfo:
        FilterRule(pattern, action)

    assert excinfo.value.code == code


# --- WordFilter: evasions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("you are bad", [("bad", 8, 11)]),
        ("you are BAD", [("bad", 8, 11)]),
        ("ｂａｄ", [("bad", 0, 3)]),  # fullwidth
        ("𝐛𝐚𝐝", [("bad", 0, 3)]),  # mathematical bold (NFKC)
        ("bаd", [("bad", 0, 3)]),  # Cyrillic а
        ("ΙDΙΟΤ", [("idiot", 0, 5)]),  # Greek capitals
        ("ɪᴅɪᴏᴛ", [("idiot", 0, 5)]),  # small capitals
        (f"b{ZWSP}a{ZWJ}d", [("bad", 0, 5)]),  # zero-width characters
        ("b\u0336a\u0336d\u0336", [("bad", 0, 6)]),  # strike-through marks
        ("b4d", [("bad", 0, 3)]),  # leet digit
        ("a$$", [("ass", 0, 3)]),  # leet symbols
        ("!d!0t", [("idiot", 0, 5)]),
        ("1d10t", [("idiot", 0, 5)]),  # 1 read as i
        ("k1ll", [("kill", 0, 4)]),  # 1 read as i
        ("ki11", [("kill", 0, 4)]),  # 1 read as l
        ("baaaad", [("bad", 0, 6)]),  # stretched
        ("asssss", [("ass", 0, 6)]),
        ("b.a.d", [("bad", 0, 5)]),  # punctuation inside a word
        ("b a d", [("bad", 0, 5)]),  # spaced single letters
        ("so b. a. d!", [("bad", 3, 10)]),
        ("idiot!!!", [("idiot", 0, 5)]),
        ("idiot123", [("idiot", 0, 5)]),
        ("Idiot", [("idiot", 0, 5)]),
    ],
)
def test_filter_catches_latin_evasions(text, expected):
    assert spans(text) == expected


@pytest.mark.parametrize(
    "text",
    ["classic", "class", "Scunthorpe", "assassin", "as", "bass", "badge", "good", "he'll", "ba d"],
)
def test_filter_avoids_scunthorpe_false_positives(text):
    result = FILTER.check(text)

    assert result.action is None
    assert result.matches == []
    assert result.masked_text == text


def test_filter_run_rule_needs_each_doubled_letter():
    word_filter = WordFilter([FilterRule("good", "flag")])

    assert word_filter.check("god").matches == []
    assert word_filter.check("goooood").matches == [FilterMatch(word_filter.rules[0], 0, 7)]


def test_filter_substring_rule_matches_inside_words():
    word_filter = WordFilter([FilterRule("ass", "block", is_whole_word=False)])

    assert [(m.start, m.end) for m in word_filter.check("classic assassin").matches] == [
        (2, 5),
        (8, 11),
        (11, 14),
    ]


# --- WordFilter: Japanese -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("お前はばかだな", [("ばか", 3, 5)]),  # inside a sentence without spaces
        ("お前はバカだな", [("ばか", 3, 5)]),  # katakana → hiragana
        ("お前はﾊﾞｶだな", [("ばか", 3, 6)]),  # half-width katakana with a separate voicing mark
        ("ﾊﾞｶじゃね", [("ばか", 0, 3)]),
        ("ば か", [("ばか", 0, 3)]),  # spaced
        ("ばーか", [("ばか", 0, 3)]),  # long-vowel mark
        ("あいつマジでカスすぎ", [("かす", 6, 8)]),
        ("バカidiotだ", [("ばか", 0, 2), ("idiot", 2, 7)]),  # Latin word between kana
    ],
)
def test_filter_catches_japanese(text, expected):
    assert spans(text) == expected


def test_filter_allow_phrases_suppress_hits_inside_them():
    assert spans("カスタムマッチやろう") == []
    assert spans("カスタムのカス") == [("かす", 5, 7)]


# --- WordFilter: result -------------------------------------------------------------------


def test_filter_mask_output_exact_string():
    result = FILTER.check("you are bad, b.a.d and ﾊﾞｶ")

    assert result.masked_text == "you are ***, ***** and ***"
    assert result.action == "mask"


def test_filter_masks_only_mask_rules():
    result = FILTER.check("bad idiot")

    assert result.masked_text == "*** idiot"
    assert result.action == "mask"


def test_filter_strongest_action_wins():
    assert FILTER.check("idiot").action == "flag"
    assert FILTER.check("bad idiot").action == "mask"
    assert FILTER.check("idiot bad ass").action == "block"
    assert FILTER.check("hello").action is None


def test_filter_matches_map_to_original_text_with_fullwidth_and_zero_width():
    text = f"ok Ｂ{ZWSP}ａ\u200cｄ then ki{ZWSP}ll"

    result = FILTER.check(text)

    assert result.matches == [FilterMatch(BAD, 3, 8), FilterMatch(KILL, 14, 19)]
    assert text[3:8] == f"Ｂ{ZWSP}ａ\u200cｄ"
    assert result.masked_text == f"ok ***** then ki{ZWSP}ll"


def test_filter_matches_map_to_original_text_with_expanding_characters():
    text = "Straße bad"

    assert FILTER.check(text).matches == [FilterMatch(BAD, 7, 10)]


def test_filter_reports_every_rule_with_the_same_pattern():
    flag = FilterRule("bad", "flag")
    word_filter = WordFilter([flag, BAD])

    result = word_filter.check("bad")

    assert result.matches == [FilterMatch(flag, 0, 3), FilterMatch(BAD, 0, 3)]
    assert result.action == "mask"


def test_empty_filter_matches_nothing():
    assert WordFilter([]).check("bad").matches == []


# --- properties ---------------------------------------------------------------------------

_INVISIBLE_CHARACTERS = [ZWSP, ZWJ, "\u200c", "\ufeff", "\u00ad", "\u2060", "\ufe0f", "\u202e"]
_RULE_FOR_WORD = {"bad": BAD, "idiot": IDIOT, "kill": KILL, "ばか": BAKA, "バカ": BAKA}


@given(
    word=st.sampled_from(sorted(_RULE_FOR_WORD)),
    inserts=st.lists(
        st.tuples(st.integers(min_value=0, max_value=5), st.sampled_from(_INVISIBLE_CHARACTERS)),
        max_size=6,
    ),
)
def test_inserting_invisible_characters_never_evades(word, inserts):
    evasive = word
    for position, invisible in inserts:
        position = min(position, len(evasive))
        evasive = evasive[:position] + invisible + evasive[position:]
    text = f"so {evasive} now"

    result = FILTER.check(text)

    assert [match.rule for match in result.matches] == [_RULE_FOR_WORD[word]]
    matched = text[result.matches[0].start : result.matches[0].end]
    assert "".join(c for c in matched if c not in _INVISIBLE_CHARACTERS) == word


@given(text=st.text(max_size=80))
def test_masked_text_always_has_the_original_length(text):
    word_filter = WordFilter([FilterRule("bad", "mask"), FilterRule("ばか", "mask")])

    result = word_filter.check(text)

    assert len(result.masked_text) == len(text)
    for match in result.matches:
        assert 0 <= match.start < match.end <= len(text)

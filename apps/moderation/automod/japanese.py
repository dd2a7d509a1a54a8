"""The Japanese second stage: a tokenizer whose dictionary ships in its package (fugashi +
unidic-lite, offline), run only on messages the fast stage flagged with a short kana pattern.

Short kana patterns (ばか, かす, しね) also occur inside harmless words (ばかり "only",
バカンス "vacances", カスタム "custom", シネマ "cinema"). Such a hit stands only when a token
of the message *is* the pattern — by its reading or its surface — so 始めたばかりです passes
and お前ほんとバカだな, 馬鹿じゃないの (read バカ) and ﾊﾞｶじゃね are caught.

Known limit: the tokenizer can misread a short all-hiragana insult glued to a particle
(あほか is read あ + ほか); such a hit is dropped. Katakana (アホか) and most phrasings
(あほやな) are read right. A rule's allow phrases cover the opposite case, a harmless word the
tokenizer splits (ばかでかい "enormous" is read ばか + でかい).
"""

import threading
import unicodedata

import fugashi

from apps.common.text_safety.folding import strip_ignorable

SHORT_KANA_MAX = 3
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
_local = threading.local()


def is_short_kana(folded_pattern: str) -> bool:
    """Hiragana only (the fold turned katakana into hiragana), at most ``SHORT_KANA_MAX``."""
    return 0 < len(folded_pattern) <= SHORT_KANA_MAX and all(
        "\u3041" <= character <= "\u309f" for character in folded_pattern
    )


def _tagger() -> fugashi.Tagger:
    # A MeCab tagger is not safe to share between threads; one per thread, made once.
    tagger = getattr(_local, "tagger", None)
    if tagger is None:
        tagger = _local.tagger = fugashi.Tagger()
    return tagger


def token_forms(text: str) -> set[str]:
    """Every token's reading and surface, in hiragana (invisible characters dropped and NFKC
    first: fugashi knows no half-width kana, and a zero-width space would split a word)."""
    forms: set[str] = set()
    for word in _tagger()(unicodedata.normalize("NFKC", strip_ignorable(text))):
        forms.add(word.surface.translate(_KATAKANA_TO_HIRAGANA))
        reading = getattr(word.feature, "kana", None)
        if reading:
            forms.add(reading.translate(_KATAKANA_TO_HIRAGANA))
    return forms

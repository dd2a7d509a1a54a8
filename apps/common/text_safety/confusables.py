# ruff: noqa: RUF001, RUF002 -- look-alike characters are this module's subject
"""Look-alike tables: a hand-picked subset of Unicode TR39 confusables, folded to Latin.

Only letters from scripts that are used to impersonate Latin text are listed: Cyrillic,
Greek, Armenian and the IPA / small-capital letters. Han, kana and Hangul are deliberately
absent: the full TR39 skeleton rewrites common Japanese (カ→力, ロ→口, ー→一) and makes
努力する match カス, so Japanese is left alone.

Capital forms are looked up *before* casefolding, lower-case forms after it: Greek Η looks
like H while its lower case η looks like n, so one table keyed after casefold would be wrong
for one of them.
"""

# (confusable characters, the Latin letter they pass for)
_GROUPS: tuple[tuple[str, str], ...] = (
    ("АΑᎪᴀɑа", "a"),
    ("ВΒʙвβЬь", "b"),
    ("Ссᴄ", "c"),
    ("Ԁԁᴅ", "d"),
    ("ЕΕеεᴇ", "e"),
    ("ꜰ", "f"),
    ("ɢɡց", "g"),
    ("НΗһҺʜհн", "h"),
    ("ІΙіιɪıɩ", "i"),
    ("Јјȷᴊ", "j"),
    ("КΚкκᴋ", "k"),
    ("Ӏӏʟǀ", "l"),
    ("МΜᴍм", "m"),
    ("ΝɴηпոՈ", "n"),
    ("ОΟоοᴏօՕ", "o"),
    ("РΡрρᴘ", "p"),
    ("ԚԛզԶ", "q"),
    ("ʀг", "r"),
    ("ЅѕꜱՏ", "s"),
    ("ТΤτᴛт", "t"),
    ("υսՍᴜ", "u"),
    ("Ѵѵνᴠ", "v"),
    ("Ԝԝᴡω", "w"),
    ("ХΧхχ", "x"),
    ("УҮΥуүγʏ", "y"),
    ("Ζᴢ", "z"),
)

LOOKALIKES: dict[str, str] = {
    character: latin for characters, latin in _GROUPS for character in characters
}

# ASCII-internal confusables used only for the display-name uniqueness key (TR39 maps
# 0→O, 1→l and I→l; after casefold I and i are one letter, so i→l as well).
ASCII_SKELETON = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l"})
ASCII_SKELETON_SEQUENCES: tuple[tuple[str, str], ...] = (("rn", "m"), ("vv", "w"))

"""Automod: rules per title and locale, matched fast and right on Japanese.

``engine`` compiles a rule set (no database); ``japanese`` is the tokenizer second stage;
``patterns`` validates moderator-written patterns (wildcards, RE2 regex); ``store`` builds
and caches the rule set of a (title, locale) from the database; ``services`` is what chat
calls (verdict, auto-mute, flood and repeat spam) and what the admin's "test this text" uses.
"""

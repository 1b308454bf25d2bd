"""Which option completes which words: the one place to change when an option is added.

A kind is a key of `words.KINDS` (asked of claudechat at Tab time) or `FILES` (the shell's own
file completion). Options not yet in the parser are listed in `NOT_YET_IN_PARSER`; their
entries are skipped until they exist, and a test fails when an entry names an option that is
neither in the parser nor listed there.
"""

from __future__ import annotations

__all__ = ["FILES", "NOT_YET_IN_PARSER", "OPTION_WORDS"]

FILES = "files"

# option string (the long one where there is one) -> what completes its value
OPTION_WORDS: dict[str, str] = {
    "--model": "models",
    "--role": "roles",
    "--profile": "profiles",
    "--theme": "themes",
    "--resume": "sessions",
    "--file": FILES,
    "--image": FILES,
}

# Options that are being added to the parser; remove one from here once it is there.
NOT_YET_IN_PARSER: frozenset[str] = frozenset()

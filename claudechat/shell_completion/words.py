"""The words completed after an option, one function a kind: `claudechat completion --words KIND`.

The shell runs this on every Tab that needs one of these lists, so each function imports only
what its own list needs, and nothing here reads more than the list: session ids come from the
file names in the sessions directory, not from the logs.

Roles and profiles are read here in the simplest way that matches where they live; each is one
function, to be replaced by the list of the module that owns them.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["BUILTIN_ROLES", "KINDS", "model_ids", "profile_names", "role_names", "safe_words", "session_ids",
           "theme_names", "words", "words_main"]

BUILTIN_ROLES = ("shell", "code", "explain")


def model_ids() -> list[str]:
    """The catalogue's model ids, in its order (newest families first)."""
    from claudechat.models import MODELS

    return [model.id for model in MODELS]


def session_ids() -> list[str]:
    """Saved session ids, the most recently used first, from the file names alone."""
    from claudechat.chat.listing import SESSIONS_DIR_NAME, session_ids
    from claudechat.dirs import data_dir

    try:
        return session_ids(data_dir() / SESSIONS_DIR_NAME)
    except OSError:
        return []  # `claudechat sessions` says why; a Tab offers nothing


def role_names() -> list[str]:
    """The built-in roles, then the stems of the `*.md` files in the user's and the project's
    roles folders, sorted."""
    from claudechat.folders import user_and_project_folders

    found: set[str] = set()
    for _, folder in user_and_project_folders("roles"):
        try:
            found.update(path.stem for path in folder.glob("*.md") if not path.name.startswith("."))
        except OSError:
            pass
    return list(dict.fromkeys([*BUILTIN_ROLES, *sorted(found)]))


def profile_names() -> list[str]:
    """The names of the `[profiles.NAME]` tables of the config file, in the file's order."""
    from claudechat.config import read_config_data
    from claudechat.errors import ClaudechatError

    try:
        profiles = read_config_data().get("profiles")
    except ClaudechatError:
        return []  # a broken file is reported when claudechat runs, not in the middle of a Tab
    if not isinstance(profiles, dict):
        return []
    return [name for name, table in profiles.items() if isinstance(table, dict)]


def theme_names() -> list[str]:
    """Built-in and user themes, sorted."""
    from claudechat.render.theme import available_themes

    return list(available_themes())


KINDS: dict[str, Callable[[], list[str]]] = {
    "models": model_ids,
    "sessions": session_ids,
    "roles": role_names,
    "profiles": profile_names,
    "themes": theme_names,
}


def safe_words(candidates: list[str]) -> list[str]:
    """The candidates a shell can take as one word each: no spaces, no control characters.

    File names and config tables are the user's, but what is printed here is read back by a
    shell, one word a line; a name with a newline or an escape sequence in it is left out
    rather than split or shown raw.
    """
    return [word for word in candidates if word and word.isprintable() and not any(c.isspace() for c in word)]


def words(kind: str) -> list[str]:
    """The words of `kind` (one of `KINDS`); KeyError for another kind."""
    return safe_words(KINDS[kind]())


def words_main(argv: list[str]) -> int:
    """`claudechat completion --words KIND`: the words of KIND, one a line, the likeliest first."""
    import sys

    from claudechat.errors import UsageError

    if len(argv) != 1 or argv[0] not in KINDS:
        given = " ".join(argv)[:60] or "nothing"
        raise UsageError(f"completion --words takes one of {', '.join(KINDS)}, not {given!r}",
                         hint="the completion scripts call it; make them anew with `claudechat completion SHELL`")
    found = words(argv[0])
    if found:
        sys.stdout.write("\n".join(found) + "\n")
    return 0

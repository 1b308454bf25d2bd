"""Colour themes: TOML files that style both the rich output and the prompt_toolkit input line.

A theme file names a Pygments style for code blocks and gives a rich style string for every key
of `STYLE_KEYS`:

    name = "dark"
    description = "Default theme for dark terminals"
    code_theme = "monokai"

    [styles]
    "prompt" = "bold cyan"
    ...

The built-in themes ship with the package; files in `user_themes_dir()` override a built-in of
the same name or add new ones. The file name (without ".toml") is the theme's name. A user file
either sets every key or says `inherits = "<built-in name>"` to take the keys it leaves out from
that built-in theme.

Loading never fails: an unknown name or a broken file falls back to the default theme with one
warning line, because a typo in a colour must not stop anyone from chatting. NO_COLOR (see
https://no-color.org) selects the monochrome theme whatever the configuration says.

rich, prompt_toolkit and pygments are imported only inside the functions that need them: this
module is imported on start-up paths, and loading those libraries costs more than a chat turn's
worth of patience.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from claudechat.config import config_dir
from claudechat.config.settings import show_toml_value
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    import prompt_toolkit.styles
    import rich.theme

__all__ = [
    "DEFAULT_THEME",
    "MONOCHROME_THEME",
    "STYLE_KEYS",
    "Theme",
    "available_themes",
    "builtin_themes_dir",
    "load_theme",
    "user_themes_dir",
]

DEFAULT_THEME = "dark"
MONOCHROME_THEME = "monochrome"
THEME_SUFFIX = ".toml"

# Every theme sets every one of these, so the renderer can use any of them without a fallback
# and a theme author learns about a missing key when loading, not when it is first drawn.
UI_STYLE_KEYS: tuple[str, ...] = (
    "prompt",
    "prompt.continuation",
    "toolbar",
    "toolbar.key",
    "toolbar.value",
    "toolbar.context",  # the context meter, by how full the window is: under 70%, from 70%, from 90%
    "toolbar.context.warn",
    "toolbar.context.full",
    "banner",
    "status",
    "error",
    "warning",
    "notice",
    "spinner",
    "interrupted",
    "reasoning.border",
    "reasoning.text",
    "reasoning.title",
    "reasoning.summary",
    "completion.menu",
    "completion.menu.current",
    "completion.meta",
    "auto_suggestion",
    "command",
    "command.help",
)

# The names rich's Markdown renderer looks up, and those of claudechat's frame around code
# blocks; a theme sets all of them so that none falls through to rich's built-in colours (which
# would put colour into the monochrome theme).
MARKDOWN_STYLE_KEYS: tuple[str, ...] = (
    "markdown.paragraph",
    "markdown.text",
    "markdown.em",
    "markdown.emph",
    "markdown.strong",
    "markdown.code",
    "markdown.code_block",
    "markdown.block_quote",
    "markdown.list",
    "markdown.item",
    "markdown.item.bullet",
    "markdown.item.number",
    "markdown.hr",
    "markdown.h1.border",
    "markdown.h1",
    "markdown.h2",
    "markdown.h3",
    "markdown.h4",
    "markdown.h5",
    "markdown.h6",
    "markdown.h7",
    "markdown.link",
    "markdown.link_url",
    "markdown.s",
    "markdown.table.border",
    "markdown.table.header",
    "markdown.kbd",
    # Not rich's: the lines above and below a code block, and its language and number.
    "markdown.code_block.border",
    "markdown.code_block.title",
)

STYLE_KEYS: tuple[str, ...] = UI_STYLE_KEYS + MARKDOWN_STYLE_KEYS

_TOP_LEVEL_KEYS = ("name", "description", "code_theme", "inherits", "styles")

@dataclass(frozen=True)
class Theme:
    """A loaded, validated theme: every key of `STYLE_KEYS` maps to a rich style string."""

    name: str
    description: str
    code_theme: str  # a Pygments style name, for code blocks
    styles: Mapping[str, str]
    source: Path | None  # the file it came from; None for the last-resort fallback

    def rich_theme(self) -> rich.theme.Theme:
        """The styles as a rich Theme, for `Console(theme=...)` or `console.push_theme(...)`."""
        from rich.theme import Theme as RichTheme

        # inherit=True keeps rich's own styles (tracebacks, pretty-printing) for everything the
        # theme does not name.
        return RichTheme(dict(self.styles), inherit=True)

    def prompt_toolkit_style(self) -> prompt_toolkit.styles.Style:
        """The same colours for prompt_toolkit: prompt, toolbar, completion menu, auto-suggestion."""
        from claudechat.render.prompt_style import prompt_toolkit_style

        return prompt_toolkit_style(self.styles)


# --- locating theme files ------------------------------------------------------------------


def builtin_themes_dir() -> Path:
    """The directory of the themes shipped with claudechat.

    An installed wheel carries them inside the package (claudechat/themes); a source checkout
    (or an editable install, which runs from one) keeps them at the top of the repository.
    """
    package_dir = Path(__file__).resolve().parent.parent
    packaged = package_dir / "themes"
    if packaged.is_dir():
        return packaged
    return package_dir.parent / "themes"


def user_themes_dir() -> Path:
    """The directory of the user's own themes: `config_dir()/themes`."""
    return config_dir() / "themes"


def _theme_files(directory: Path) -> dict[str, Path]:
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        # A missing or unreadable directory simply holds no themes.
        return {}
    found: dict[str, Path] = {}
    for path in entries:
        # Dot files are editor backups and lock files, not themes.
        if path.suffix == THEME_SUFFIX and not path.name.startswith(".") and path.is_file():
            found[path.stem] = path
    return found


def _builtin_themes() -> dict[str, Path]:
    return _theme_files(builtin_themes_dir())


def available_themes() -> dict[str, Path]:
    """Theme name -> file, sorted by name; user themes override built-ins of the same name."""
    themes = _builtin_themes()
    themes.update(_theme_files(user_themes_dir()))
    return dict(sorted(themes.items()))


# --- reading and validating one file -------------------------------------------------------


class _BrokenTheme(Exception):
    """A theme file that cannot be used; the message names the file and what is wrong."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"theme file {path}: {detail}")
        self.path = path


def _read_table(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _BrokenTheme(path, f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _BrokenTheme(path, f"is not UTF-8 text (at line {line})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib ends its message with "(at line N, column M)", except at the end of the file.
        end = f"(at line {max(1, len(text.splitlines()))}, the end of the file)"
        raise _BrokenTheme(path, f"is not valid TOML: {str(exc).replace('(at end of document)', end)}") from None


def _optional_string(table: Mapping[str, Any], key: str, path: Path) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise _BrokenTheme(path, f"{key!r} must be a string, got {show_toml_value(value)}")
    return value


def _close_match(word: str, choices: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_style(key: str, value: object, path: Path) -> str:
    from rich.errors import StyleSyntaxError
    from rich.style import Style as RichStyle

    if not isinstance(value, str):
        raise _BrokenTheme(path, f"style {key!r} must be a string, got {show_toml_value(value)}")
    try:
        RichStyle.parse(value)
    except StyleSyntaxError:
        raise _BrokenTheme(path, f"style {key!r} is not a valid style: {show_toml_value(value)}") from None
    return value


def _check_code_theme(value: str, path: Path) -> str:
    from pygments.styles import get_all_styles, get_style_by_name
    from pygments.util import ClassNotFound

    try:
        get_style_by_name(value)
    except ClassNotFound:
        hint = _close_match(value, sorted(get_all_styles()))
        raise _BrokenTheme(path, f"code_theme {show_toml_value(value)} is not a Pygments style{hint}") from None
    return value


def _read_theme(name: str, path: Path, *, allow_inherits: bool = True) -> Theme:
    """Load and validate one file; _BrokenTheme names the first problem found.

    A built-in file's styles and code theme are not checked again: the test suite checks
    those, and parsing them (and loading Pygments' styles) is start-up time the prompt waits for.
    """
    builtin = path.parent == builtin_themes_dir()
    table = _read_table(path)
    for key in table:
        if key not in _TOP_LEVEL_KEYS:
            hint = _close_match(key, list(_TOP_LEVEL_KEYS))
            raise _BrokenTheme(path, f"unknown key {show_toml_value(key)}{hint}; valid keys are {', '.join(_TOP_LEVEL_KEYS)}")
    _optional_string(table, "name", path)  # informative only: the file name is the theme's name
    description = _optional_string(table, "description", path)
    code_theme = _optional_string(table, "code_theme", path)
    parent_name = _optional_string(table, "inherits", path)

    raw_styles = table.get("styles", {})
    if not isinstance(raw_styles, dict):
        raise _BrokenTheme(path, f"'styles' must be a table, got {show_toml_value(raw_styles)}")
    for key in raw_styles:
        if key not in STYLE_KEYS:
            raise _BrokenTheme(path, f"unknown style {show_toml_value(key)}{_close_match(key, list(STYLE_KEYS))}")

    styles: dict[str, str] = {}
    if parent_name is not None:
        parent = _read_parent(parent_name, path, allow_inherits=allow_inherits)
        styles.update(parent.styles)
        code_theme = parent.code_theme if code_theme is None else code_theme
        description = f"based on the {parent.name} theme" if description is None else description
    for key, value in raw_styles.items():
        styles[key] = value if builtin and isinstance(value, str) else _check_style(key, value, path)

    missing = [key for key in STYLE_KEYS if key not in styles]
    if missing:
        shown = ", ".join(repr(key) for key in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        noun = "style" if len(missing) == 1 else "styles"
        advice = f'set every style, or add inherits = "{DEFAULT_THEME}" to take the rest from a built-in theme'
        raise _BrokenTheme(path, f"{noun} {shown}{more} not set ({advice})")
    if code_theme is None:
        raise _BrokenTheme(path, "'code_theme' is not set (a Pygments style name such as \"monokai\")")
    if not builtin:
        _check_code_theme(code_theme, path)

    return Theme(
        name=name,
        description=description or "",
        code_theme=code_theme,
        styles=MappingProxyType({key: styles[key] for key in STYLE_KEYS}),
        source=path,
    )


def _read_parent(parent_name: str, child: Path, *, allow_inherits: bool) -> Theme:
    builtins = _builtin_themes()
    if not allow_inherits:
        # One level keeps the rules obvious and makes cycles impossible.
        raise _BrokenTheme(child, "a theme that others inherit from cannot itself use inherits")
    parent_path = builtins.get(parent_name)
    if parent_path is None:
        raise _BrokenTheme(
            child,
            f"inherits {show_toml_value(parent_name)}, which is not a built-in theme; built-in themes are {', '.join(builtins)}",
        )
    try:
        return _read_theme(parent_name, parent_path, allow_inherits=False)
    except _BrokenTheme as exc:
        # Name the child as well: it is the file the user chose and may need to change.
        raise _BrokenTheme(child, f"inherits {parent_name!r}, which cannot be used: {exc}") from None


# --- choosing a theme ----------------------------------------------------------------------


def _no_color_requested() -> bool:
    # no-color.org: set and not empty, whatever the value.
    return bool(os.environ.get("NO_COLOR"))


def _last_resort_theme() -> Theme:
    """Plain text, used only when the built-in themes themselves are missing or broken."""
    return Theme(
        name=MONOCHROME_THEME,
        description="plain text",
        code_theme="bw",
        styles=MappingProxyType({key: "none" for key in STYLE_KEYS}),
        source=None,
    )


def _load_builtin(name: str, warnings: list[str]) -> Theme:
    path = _builtin_themes().get(name)
    if path is None:
        warnings.append(
            one_line(f"the built-in theme {name!r} is missing from {builtin_themes_dir()}; reinstall claudechat", 500)
        )
        return _last_resort_theme()
    try:
        return _read_theme(name, path)
    except _BrokenTheme as exc:
        warnings.append(one_line(f"{exc}; reinstall claudechat", 500))
        return _last_resort_theme()


def load_theme(name: str, *, no_color: bool | None = None) -> tuple[Theme, list[str]]:
    """Return the theme called `name` and the warnings to show the user (usually none).

    `no_color` True, or None with NO_COLOR set in the environment, selects the built-in
    monochrome theme whatever `name` is; False ignores NO_COLOR. An unknown name or a broken
    file falls back to the built-in default theme with one warning line.
    """
    warnings: list[str] = []
    if no_color is None:
        no_color = _no_color_requested()
    if no_color:
        # Always the built-in file: a user's own "monochrome.toml" may well contain colour.
        return _load_builtin(MONOCHROME_THEME, warnings), warnings

    themes = available_themes()
    wanted = name.strip()
    path = themes.get(wanted)
    if path is None:
        # Theme names are file names, but "Dark" in a config file plainly means "dark".
        matches = [theme for theme in themes if theme.casefold() == wanted.casefold()]
        if len(matches) == 1:
            wanted = matches[0]
            path = themes[wanted]
    if path is None:
        warnings.append(
            one_line(
                f"unknown theme {show_toml_value(name)}; available themes are {', '.join(themes)}; using the default theme", 500
            )
        )
        return _load_builtin(DEFAULT_THEME, warnings), warnings
    try:
        return _read_theme(wanted, path), warnings
    except _BrokenTheme as exc:
        warnings.append(one_line(f"{exc}; using the default theme", 500))
        return _load_builtin(DEFAULT_THEME, warnings), warnings

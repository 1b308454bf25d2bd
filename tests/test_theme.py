"""Themes: the built-in files, loading and fallbacks, user themes, and both style translations."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import tomli_w
from prompt_toolkit.styles import default_ui_style, merge_styles
from pygments.styles import get_all_styles
from rich.console import Console
from rich.style import Style as RichStyle

from claudechat.render import theme as theme_module
from claudechat.render.theme import (
    DEFAULT_THEME,
    MONOCHROME_THEME,
    STYLE_KEYS,
    Theme,
    available_themes,
    builtin_themes_dir,
    load_theme,
    user_themes_dir,
)

REPO = Path(__file__).resolve().parents[1]
BUILTIN = ("dark", "light", "solarized-dark", "gruvbox", "high-contrast", "monochrome")

# The prompt_toolkit classes a theme styles, as the prompt session and its menus use them.
PROMPT_TOOLKIT_QUERIES = (
    "class:prompt",
    "class:prompt-continuation",
    "class:bottom-toolbar class:bottom-toolbar.text",
    "class:bottom-toolbar class:bottom-toolbar.text class:toolbar.key",
    "class:bottom-toolbar class:bottom-toolbar.text class:toolbar.value",
    "class:bottom-toolbar class:bottom-toolbar.text class:toolbar.context",
    "class:bottom-toolbar class:bottom-toolbar.text class:toolbar.context.warn",
    "class:bottom-toolbar class:bottom-toolbar.text class:toolbar.context.full",
    "class:completion-menu class:completion-menu.completion",
    "class:completion-menu class:completion-menu.completion.current",
    "class:completion-menu class:completion-menu.meta.completion",
    "class:completion-menu class:completion-menu.meta.completion.current",
    "class:completion-menu class:scrollbar.background",
    "class:completion-menu class:scrollbar.button",
    "class:auto-suggestion",
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def builtin_table(name: str) -> dict[str, Any]:
    return tomllib.loads((builtin_themes_dir() / f"{name}.toml").read_text(encoding="utf-8"))


def write_user_theme(name: str, content: str | bytes | dict[str, Any]) -> Path:
    path = user_themes_dir() / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, dict):
        content = tomli_w.dumps(content)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def dark_with(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A complete copy of the built-in dark theme, changed by `change`."""
    table = builtin_table("dark")
    change(table)
    return table


def prompt_toolkit_attrs(theme: Theme, query: str) -> Any:
    # Merged after prompt_toolkit's own defaults, as a PromptSession does.
    return merge_styles([default_ui_style(), theme.prompt_toolkit_style()]).get_attrs_for_style_str(query)


def with_styles(**styles: str) -> Theme:
    table = {key: "none" for key in STYLE_KEYS}
    table.update({key.replace("__", "."): value for key, value in styles.items()})
    return Theme("test", "", "bw", MappingProxyType(table), None)


# --- the built-in themes -------------------------------------------------------------------


def test_every_builtin_theme_is_available() -> None:
    themes = available_themes()
    for name in BUILTIN:
        assert themes[name] == builtin_themes_dir() / f"{name}.toml"
    assert DEFAULT_THEME in themes and MONOCHROME_THEME in themes


def test_builtin_themes_are_found_in_the_source_tree() -> None:
    # Running from a checkout (or an editable install) uses the top-level themes/ directory.
    assert builtin_themes_dir() == REPO / "themes"


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_theme_loads_cleanly_and_sets_every_key_itself(name: str) -> None:
    theme, warnings = load_theme(name, no_color=False)
    assert warnings == []
    assert theme.name == name
    assert theme.source == builtin_themes_dir() / f"{name}.toml"
    assert tuple(theme.styles) == STYLE_KEYS
    assert theme.description
    # A built-in file is complete on its own and names itself after its file.
    table = builtin_table(name)
    assert table["name"] == name
    assert "inherits" not in table
    assert set(table["styles"]) == set(STYLE_KEYS)


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_styles_parse_with_rich_and_reach_the_console(name: str) -> None:
    theme, _ = load_theme(name, no_color=False)
    console = Console(theme=theme.rich_theme(), force_terminal=True, color_system="truecolor")
    for key, value in theme.styles.items():
        assert console.get_style(key) == RichStyle.parse(value), key


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_code_theme_is_an_installed_pygments_style(name: str) -> None:
    theme, _ = load_theme(name, no_color=False)
    assert theme.code_theme in set(get_all_styles())


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_prompt_toolkit_style_matches_the_rich_styles(name: str) -> None:
    theme, _ = load_theme(name, no_color=False)
    prompt = RichStyle.parse(theme.styles["prompt"])
    toolbar = RichStyle.parse(theme.styles["toolbar"])
    prompt_attrs = prompt_toolkit_attrs(theme, "class:prompt")
    toolbar_attrs = prompt_toolkit_attrs(theme, "class:bottom-toolbar class:bottom-toolbar.text")
    assert bool(prompt_attrs.bold) == bool(prompt.bold)
    # prompt_toolkit reverses the toolbar by default; the theme's own setting must win.
    assert bool(toolbar_attrs.reverse) == bool(toolbar.reverse)
    if toolbar.bgcolor is not None:
        assert toolbar_attrs.bgcolor == toolbar.bgcolor.get_truecolor().hex.lstrip("#")
    for query in PROMPT_TOOLKIT_QUERIES:
        prompt_toolkit_attrs(theme, query)


@pytest.mark.parametrize("name", BUILTIN)
def test_the_context_meter_looks_different_at_70_and_90_percent(name: str) -> None:
    theme, _ = load_theme(name, no_color=False)
    levels = ("toolbar.context", "toolbar.context.warn", "toolbar.context.full")
    on_the_toolbar = [
        prompt_toolkit_attrs(theme, f"class:bottom-toolbar class:bottom-toolbar.text class:{level}") for level in levels
    ]
    assert len(set(on_the_toolbar)) == 3  # as prompt_toolkit draws them on the toolbar
    assert len({RichStyle.parse(theme.styles[level]) for level in levels}) == 3  # and rich in /context


def test_monochrome_has_no_colour_anywhere() -> None:
    theme, _ = load_theme(MONOCHROME_THEME)
    for key, value in theme.styles.items():
        style = RichStyle.parse(value)
        assert style.color is None and style.bgcolor is None, key
    # Nor does prompt_toolkit's grey menu or toolbar show through.
    for query in PROMPT_TOOLKIT_QUERIES:
        attrs = prompt_toolkit_attrs(theme, query)
        assert attrs.color in ("", "default") and attrs.bgcolor in ("", "default"), query


def relative_luminance(style_color: Any) -> float:
    def channel(value: int) -> float:
        value_01 = value / 255
        return value_01 / 12.92 if value_01 <= 0.03928 else ((value_01 + 0.055) / 1.055) ** 2.4

    red, green, blue = style_color.get_truecolor()
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(first: Any, second: Any) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# Lines and hints may be quieter than text, but still visible (WCAG's 3:1 for non-text).
DECORATIVE = {
    "reasoning.border", "markdown.hr", "markdown.table.border", "markdown.h1.border", "markdown.code_block.border",
    "auto_suggestion",
}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "background", "text_minimum"), [("light", "#ffffff", 4.5), ("high-contrast", "#000000", 7.0)]
)
def test_theme_colours_are_readable_on_their_background(name: str, background: str, text_minimum: float) -> None:
    from rich.color import Color

    theme, _ = load_theme(name, no_color=False)
    for key, value in theme.styles.items():
        style = RichStyle.parse(value)
        assert not style.dim, f"{key}: dim text has no predictable contrast"
        if style.color is None:
            continue
        # Named ANSI colours depend on the terminal's palette, so their contrast is unknowable.
        assert style.color.triplet is not None, f"{key}: use a hex colour, not {value!r}"
        behind = style.bgcolor or Color.parse(background)
        minimum = 3.0 if key in DECORATIVE else text_minimum
        assert contrast(style.color, behind) >= minimum, f"{key} = {value!r}"


SOLARIZED = {
    "#002b36", "#073642", "#586e75", "#657b83", "#839496", "#93a1a1", "#eee8d5", "#fdf6e3",
    "#b58900", "#cb4b16", "#dc322f", "#d33682", "#6c71c4", "#268bd2", "#2aa198", "#859900",
}  # fmt: skip
GRUVBOX_DARK = {
    "#282828", "#32302f", "#3c3836", "#504945", "#665c54", "#7c6f64", "#928374",
    "#a89984", "#bdae93", "#d5c4a1", "#ebdbb2",
    "#fb4934", "#b8bb26", "#fabd2f", "#83a598", "#d3869b", "#8ec07c", "#fe8019",
    "#cc241d", "#98971a", "#d79921", "#458588", "#b16286", "#689d6a", "#d65d0e",
}  # fmt: skip


@pytest.mark.parametrize(("name", "palette"), [("solarized-dark", SOLARIZED), ("gruvbox", GRUVBOX_DARK)])
def test_palette_themes_use_only_their_palette(name: str, palette: set[str]) -> None:
    theme, _ = load_theme(name, no_color=False)
    used = set()
    for value in theme.styles.values():
        style = RichStyle.parse(value)
        for color in (style.color, style.bgcolor):
            if color is not None:
                assert color.triplet is not None, value
                used.add(color.triplet.hex)
    assert used and used <= palette, sorted(used - palette)


# --- choosing a theme ----------------------------------------------------------------------


def test_no_color_environment_selects_monochrome(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    theme, warnings = load_theme("gruvbox")
    assert theme.name == MONOCHROME_THEME and warnings == []
    # Even a name that does not exist: NO_COLOR wins before the name is looked at.
    theme, warnings = load_theme("no-such-theme")
    assert theme.name == MONOCHROME_THEME and warnings == []


def test_empty_no_color_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "")
    assert load_theme("gruvbox")[0].name == "gruvbox"


def test_no_color_argument_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_theme("light", no_color=True)[0].name == MONOCHROME_THEME
    monkeypatch.setenv("NO_COLOR", "yes")
    assert load_theme("light", no_color=False)[0].name == "light"


def test_no_color_uses_the_builtin_monochrome_even_when_the_user_overrides_it(monkeypatch: pytest.MonkeyPatch) -> None:
    write_user_theme("monochrome", dark_with(lambda table: None))
    monkeypatch.setenv("NO_COLOR", "1")
    theme, _ = load_theme("dark")
    assert theme.source == builtin_themes_dir() / "monochrome.toml"


def test_unknown_name_falls_back_to_dark_and_lists_the_names() -> None:
    write_user_theme("mine", dark_with(lambda table: None))
    theme, warnings = load_theme("solarised")
    assert theme.name == DEFAULT_THEME
    assert theme.source == builtin_themes_dir() / "dark.toml"
    assert len(warnings) == 1
    assert "'solarised'" in warnings[0]
    for name in (*BUILTIN, "mine"):
        assert name in warnings[0]


def test_names_match_regardless_of_case() -> None:
    theme, warnings = load_theme("Solarized-Dark", no_color=False)
    assert theme.name == "solarized-dark" and warnings == []


# --- user themes ---------------------------------------------------------------------------


def test_user_themes_live_in_the_config_directory(isolated: Path) -> None:
    assert user_themes_dir() == isolated / "xdg-config" / "claudechat" / "themes"


def test_user_theme_overrides_a_builtin_and_adds_new_ones() -> None:
    override = write_user_theme("dark", dark_with(lambda table: table["styles"].update(prompt="bold magenta")))
    added = write_user_theme("ocean", dark_with(lambda table: table.update(code_theme="nord")))
    write_user_theme(".ocean.swp", "not a theme")
    themes = available_themes()
    assert themes["dark"] == override
    assert themes["ocean"] == added
    assert ".ocean.swp" not in themes and len(themes) == len(BUILTIN) + 1

    dark, warnings = load_theme("dark")
    assert (dark.source, dark.styles["prompt"], warnings) == (override, "bold magenta", [])
    ocean, warnings = load_theme("ocean")
    assert (ocean.name, ocean.code_theme, warnings) == ("ocean", "nord", [])


def test_inherits_takes_the_missing_keys_from_a_builtin() -> None:
    path = write_user_theme(
        "mine", {"inherits": "light", "styles": {"prompt": "bold red", "markdown.h1": "bold #000000"}}
    )
    mine, warnings = load_theme("mine")
    light, _ = load_theme("light")
    assert warnings == []
    assert mine.source == path
    assert mine.styles["prompt"] == "bold red"
    assert mine.styles["markdown.h1"] == "bold #000000"
    assert {key: value for key, value in mine.styles.items() if key not in ("prompt", "markdown.h1")} == {
        key: value for key, value in light.styles.items() if key not in ("prompt", "markdown.h1")
    }
    assert mine.code_theme == light.code_theme
    assert tuple(mine.styles) == STYLE_KEYS


def test_inherits_may_set_its_own_code_theme() -> None:
    write_user_theme("mine", {"inherits": "dark", "code_theme": "zenburn"})
    theme, warnings = load_theme("mine")
    assert (theme.code_theme, warnings) == ("zenburn", [])
    assert theme.styles["prompt"] == builtin_table("dark")["styles"]["prompt"]


def test_a_user_dark_may_inherit_from_the_builtin_dark() -> None:
    # The parent is always the built-in file, so this is not a cycle.
    path = write_user_theme("dark", {"inherits": "dark", "styles": {"error": "bold reverse red"}})
    theme, warnings = load_theme("dark")
    assert warnings == []
    assert theme.source == path and theme.styles["error"] == "bold reverse red"
    assert theme.styles["prompt"] == builtin_table("dark")["styles"]["prompt"]


def test_only_one_level_of_inherits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    builtins = tmp_path / "builtins"
    builtins.mkdir()
    shutil.copy(REPO / "themes" / "dark.toml", builtins / "dark.toml")
    (builtins / "loop.toml").write_text('inherits = "loop"\n', encoding="utf-8")
    monkeypatch.setattr(theme_module, "builtin_themes_dir", lambda: builtins)

    theme, warnings = load_theme("loop")
    assert theme.name == DEFAULT_THEME and len(warnings) == 1
    assert "loop.toml" in warnings[0] and "inherits" in warnings[0]

    child = write_user_theme("child", {"inherits": "loop"})
    theme, warnings = load_theme("child")
    assert theme.name == DEFAULT_THEME and len(warnings) == 1
    assert str(child) in warnings[0] and "inherits 'loop'" in warnings[0]


# --- broken user themes --------------------------------------------------------------------

BROKEN: dict[str, tuple[Any, tuple[str, ...]]] = {
    "bad toml": ('name = "mine"\ncode_theme = \n[styles]\n', ("not valid TOML", "line 2")),
    "truncated toml": ('name = "mine"\n[styles\n', ("not valid TOML", "line 2")),
    "not utf-8": (b'name = "mine"\ndescription = "caf\xe9"\n', ("not UTF-8", "line 2")),
    "missing key": (dark_with(lambda table: table["styles"].pop("toolbar.key")), ("'toolbar.key'", "not set")),
    "nothing set": ({"code_theme": "monokai"}, ("'prompt'", "not set", "inherits")),
    "bad style": (
        dark_with(lambda table: table["styles"].update(prompt="bold blurple")),
        ("style 'prompt' is not a valid style: 'bold blurple'",),
    ),
    "unknown code_theme": (
        dark_with(lambda table: table.update(code_theme="monokia")),
        ("'monokia'", "did you mean 'monokai'"),
    ),
    "code_theme not a string": (
        dark_with(lambda table: table.update(code_theme=3)),
        ("'code_theme' must be a string",),
    ),
    "style not a string": (
        dark_with(lambda table: table["styles"].update(banner=True)),
        ("'banner'", "must be a string", "true"),
    ),
    "styles not a table": ({"inherits": "dark", "styles": "bold"}, ("'styles' must be a table",)),
    "unknown style key": (
        dark_with(lambda table: table["styles"].update(promt="bold")),
        ("'promt'", "did you mean 'prompt'"),
    ),
    "unknown top-level key": (
        dark_with(lambda table: table.update(inherit="dark")),
        ("'inherit'", "did you mean 'inherits'"),
    ),
    "unknown parent": ({"inherits": "sepia"}, ("inherits 'sepia'", "not a built-in theme", "gruvbox")),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_user_theme_falls_back_to_dark_with_one_warning(case: str) -> None:
    content, expected = BROKEN[case]
    path = write_user_theme("mine", content)
    theme, warnings = load_theme("mine")
    assert theme.name == DEFAULT_THEME
    assert theme.source == builtin_themes_dir() / "dark.toml"
    assert len(warnings) == 1
    assert warnings[0].startswith(f"theme file {path}: ")
    assert warnings[0].endswith("; using the default theme")
    assert "\n" not in warnings[0]
    for text in expected:
        assert text in warnings[0]


def test_a_broken_user_dark_falls_back_to_the_builtin_dark() -> None:
    write_user_theme("dark", "styles = [")
    theme, warnings = load_theme("dark")
    assert theme.source == builtin_themes_dir() / "dark.toml" and len(warnings) == 1


def test_warnings_neutralise_hostile_file_names() -> None:
    hostile = "evil\x1b]52;c;aGk=\x07\nx"
    write_user_theme(hostile, "= broken")
    theme, warnings = load_theme(hostile)
    assert theme.name == DEFAULT_THEME and len(warnings) == 1
    assert "\x1b" not in warnings[0] and "\x07" not in warnings[0] and "\n" not in warnings[0]
    assert "evil" in warnings[0]


def test_missing_builtin_themes_still_give_a_usable_theme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(theme_module, "builtin_themes_dir", lambda: tmp_path / "gone")
    theme, warnings = load_theme("dark")
    assert tuple(theme.styles) == STYLE_KEYS and theme.source is None
    assert any("reinstall" in warning for warning in warnings)
    assert all(RichStyle.parse(value).color is None for value in theme.styles.values())


# --- translating rich styles for prompt_toolkit --------------------------------------------


def test_prompt_toolkit_translation_of_colours_and_attributes() -> None:
    theme = with_styles(
        prompt="bold italic bright_red on #102030",
        prompt__continuation="not bold grey50",
        toolbar="reverse underline color(4)",
        auto_suggestion="dim default on rgb(1,2,3)",
    )
    prompt = prompt_toolkit_attrs(theme, "class:prompt")
    assert (prompt.color, prompt.bgcolor, prompt.bold, prompt.italic) == ("ansibrightred", "102030", True, True)
    continuation = prompt_toolkit_attrs(theme, "class:prompt-continuation")
    assert (continuation.color, continuation.bold) == ("808080", False)  # grey50 is colour 244
    toolbar = prompt_toolkit_attrs(theme, "class:bottom-toolbar")
    assert (toolbar.color, toolbar.reverse, toolbar.underline) == ("ansiblue", True, True)
    suggestion = prompt_toolkit_attrs(theme, "class:auto-suggestion")
    assert (suggestion.color, suggestion.bgcolor, suggestion.dim) == ("default", "010203", True)


def test_toolbar_keys_keep_the_toolbar_background() -> None:
    theme = with_styles(toolbar="#eeeeee on #303030", toolbar__key="bold #ffd700", toolbar__value="italic")
    key = prompt_toolkit_attrs(theme, "class:bottom-toolbar class:bottom-toolbar.text class:toolbar.key")
    value = prompt_toolkit_attrs(theme, "class:bottom-toolbar class:bottom-toolbar.text class:toolbar.value")
    assert (key.color, key.bgcolor, key.bold, key.reverse) == ("ffd700", "303030", True, False)
    assert (value.color, value.bgcolor, value.italic) == ("eeeeee", "303030", True)


def test_current_completion_is_not_reversed_unless_the_theme_says_so() -> None:
    plain = with_styles(completion__menu="#000000 on #aaaaaa", completion__menu__current="bold #ffffff on #0000aa")
    current = prompt_toolkit_attrs(plain, "class:completion-menu class:completion-menu.completion.current")
    meta = prompt_toolkit_attrs(plain, "class:completion-menu class:completion-menu.meta.completion.current")
    assert (current.color, current.bgcolor, current.reverse) == ("ffffff", "0000aa", False)
    assert (meta.color, meta.bgcolor) == ("ffffff", "0000aa")
    reversed_ = with_styles(completion__menu__current="reverse")
    assert (
        prompt_toolkit_attrs(reversed_, "class:completion-menu class:completion-menu.completion.current").reverse
        is True
    )


# --- start-up cost and packaging -----------------------------------------------------------


@pytest.mark.e2e
def test_importing_the_theme_module_loads_no_ui_library() -> None:
    code = (
        "import sys, claudechat.render.theme; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'prompt_toolkit', 'pygments')))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.e2e
def test_packaged_themes_are_preferred_over_the_source_tree(tmp_path: Path) -> None:
    # The layout of an installed wheel: claudechat/themes next to the modules.
    site = tmp_path / "site"
    shutil.copytree(REPO / "claudechat", site / "claudechat", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "themes", site / "claudechat" / "themes")
    code = (
        "from claudechat.render.theme import builtin_themes_dir, available_themes; "
        "print(builtin_themes_dir()); print(sorted(available_themes()))"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, check=True
    )
    directory, names = result.stdout.splitlines()
    assert Path(directory) == site / "claudechat" / "themes"
    assert names == repr(sorted(BUILTIN))

"""Commands about what the session made and where it lives: /copy an answer or a code block,
/usage (requests and tokens per model), /info (settings and files)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from claudechat.render.sessions import turns_text
from claudechat.repl.commands import COMMANDS, CommandError, no_argument, shown
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from claudechat.repl.interface import ChatApp

__all__ = ["code_blocks"]


# --- copy ----------------------------------------------------------------------------------------


def code_blocks(markdown: str) -> list[str]:
    """The code blocks of an answer, numbered from 1 in this order on the screen.

    Counted in the text as the screen draws it: there a lone carriage return is dropped
    (sanitize), while the parser would end a line at it, and so could see another fence.
    """
    from claudechat.render.markdown import CODE_BLOCK_TOKENS, markdown_parser

    tokens = markdown_parser().parse(markdown.replace("\r", ""))
    return [token.content for token in tokens if token.type in CODE_BLOCK_TOKENS]


def _code_block_numbers(app: ChatApp, argument: str) -> list[str]:
    answers = app.session.answers()
    return [str(number) for number in range(1, len(code_blocks(answers[-1].text)) + 1)] if answers else []


@COMMANDS.command("copy", "copy the last answer, or its N-th code block, to the clipboard", usage="/copy [N]",
                  complete=_code_block_numbers)
def _copy(app: ChatApp, argument: str) -> None:
    from claudechat.repl.clipboard import copy_text

    answers = app.session.answers()
    if not answers:
        raise CommandError("there is no answer to copy yet")
    text = answers[-1].text
    what = "the last answer"
    if argument:
        blocks = code_blocks(text)
        if not blocks:
            raise CommandError("the last answer has no code blocks")
        if not argument.isdigit() or not 1 <= int(argument) <= len(blocks):
            raise CommandError(f"/copy takes a code block number from 1 to {len(blocks)}, got {shown(argument)}")
        text = blocks[int(argument) - 1]
        what = f"code block {argument} of {len(blocks)}"
    ways = copy_text(text, app.write_terminal)
    if not ways:
        raise CommandError(f"{what} is too long for the terminal clipboard and no clipboard program was found",
                           hint="install wl-copy, xclip or xsel, or /save the transcript")
    app.notice(f"copied {what} ({len(text):,} characters) via {', '.join(ways)}")


# --- what the session costs and uses ----------------------------------------------------------


@COMMANDS.command("usage", "requests and tokens of this session, per model")
def _usage(app: ChatApp, argument: str) -> None:
    no_argument("usage", argument)
    totals: dict[str, list[int]] = {}
    for entry in app.session.usage:
        row = totals.setdefault(entry.model, [0, 0, 0, 0])
        row[0] += 1
        row[1] += entry.prompt_tokens
        row[2] += entry.completion_tokens
        row[3] += entry.cached_tokens
    if not totals:
        app.notice("no requests in this session yet")
        return
    header = ("model", "requests", "prompt", "completion", "cached")
    rows = [(one_line(model, 60), *(f"{value:,}" for value in values)) for model, values in totals.items()]
    if len(rows) > 1:
        rows.append(("total", *(f"{sum(values[i] for values in totals.values()):,}" for i in range(4))))
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
             for row in (header, *rows)]
    app.notice("\n".join(lines))


@COMMANDS.command("info", "model, server, request settings, and where the config and session are saved")
def _info(app: ChatApp, argument: str) -> None:
    from claudechat.config import config_path

    from claudechat.render.columns import two_columns
    from claudechat.paths import short_path

    no_argument("info", argument)
    settings = app.session.settings
    session_path = app.keeper.path
    # Paths are shortened to fit beside the names, never folded inside a name.
    room = max(20, app.console.width - len("candidates (n)") - 2)
    rows = [
        ("model", one_line(settings.model, 200)),
        ("server", one_line(app.settings.base_url, 200)
         + (f" (profile {app.settings.profile})" if app.settings.profile else "")),
        ("role", one_line(settings.role, 64) if settings.role else "none"),
        ("system prompt", one_line(settings.system, 80) if settings.system else "none"),
        ("temperature", str(settings.temperature) if settings.temperature is not None else "server default"),
        ("max tokens", str(settings.max_tokens) if settings.max_tokens is not None else "server default"),
        ("candidates (n)", str(settings.n)),
        ("json", "on" if settings.json else "off"),
        ("reasoning", app.reasoning_mode),
        ("theme", app.theme.name),
        ("session", f"{app.session.id} · {one_line(app.session.title or 'untitled', 60)} · {turns_text(app.session.turns)}"),
        ("session file", short_path(session_path, room) if session_path else "not saved yet (saved after the first answer)"),
        ("config file", short_path(config_path(), room)),
    ]
    app.screen.print(two_columns(rows))

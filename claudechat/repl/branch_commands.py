"""Branches of a conversation: /rewind to an earlier message, /branches to see and switch, /fork.

Sending a message after /rewind starts a new line of the conversation from that point; the
line in use stays in the session whole (`Session.branch_from`), so nothing is thrown away.
Requests carry the line in use only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from claudechat.render.sessions import turns_text
from claudechat.repl.commands import COMMANDS, CommandError
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from claudechat.chat.session import Branch
    from claudechat.repl.interface import ChatApp

__all__: list[str] = []

WORDS = 50  # of a message, in the lists


def _user_positions(app: ChatApp) -> list[int]:
    return [position for position, message in enumerate(app.session.messages) if message.role == "user"]


def _number(argument: str, count: int, what: str) -> int:
    """`argument` as a number from 1 to `count`, or a CommandError saying which are there."""
    if not argument.isdigit() or not 1 <= int(argument) <= count:
        choices = "1" if count == 1 else f"1 to {count}"
        raise CommandError(f"no {what} {one_line(argument, 20)!r}: give a number from {choices}")
    return int(argument)


def _turn_numbers(app: ChatApp, argument: str) -> list[str]:
    return [str(number) for number in range(len(_user_positions(app)), 0, -1)]


@COMMANDS.command(
    "rewind",
    "go back to an earlier message of yours; sending it starts a branch (the conversation stays)",
    usage="/rewind [N]",
    complete=_turn_numbers,
    details="Without N, lists your messages numbered. /rewind N puts message N (with its attachments)\n"
    "in the input; sending it, changed or not, asks again from that point in a new branch.\n"
    "The conversation as it was stays in the session: /branches shows and switches.",
)
def _rewind(app: ChatApp, argument: str) -> None:
    from rich.text import Text

    from claudechat.chat.conversation import attachment_labels
    from claudechat.repl.chat_commands import put_back

    positions = _user_positions(app)
    if not positions:
        raise CommandError("there is nothing to rewind to yet")
    if not argument:
        width = len(str(len(positions)))
        rows = []
        for number, position in enumerate(positions, 1):
            message = app.session.messages[position]
            words = one_line(message.text, WORDS) if message.text.strip() else "(no text)"
            labels = attachment_labels(message.content)
            attached = f"  + {one_line(', '.join(labels), 30)}" if labels else ""
            rows.append(f"{number:>{width}}  {words}{attached}")
        rows.append("/rewind N puts message N in the input; sending it starts a branch from there")
        app.screen.print(Text("\n".join(rows), style="notice", no_wrap=True, overflow="ellipsis"))
        return
    number = _number(argument, len(positions), "message")
    app.attachments = []  # the message's own, not what was pending for another
    send = put_back(app, app.session.messages[positions[number - 1]])
    app.editing = False
    app.rewind_to = positions[number - 1]
    app.notice(
        f"back at message {number}: {send} sends it as a new branch from there (the conversation "
        "as it is stays: /branches), Ctrl-C cancels"
    )


def _tree(lines: list[Branch]) -> list[tuple[int, int]]:
    """Each line's index and depth, every line after the one it leaves from (oldest first)."""
    children: dict[int | None, list[int]] = {}
    for index, line in enumerate(lines):
        children.setdefault(line.parent, []).append(index)
    order: list[tuple[int, int]] = []
    stack = [(index, 0) for index in reversed(children.get(None, []))]
    while stack:
        index, depth = stack.pop()
        order.append((index, depth))
        stack += [(child, depth + 1) for child in reversed(children.get(index, []))]
    return order


def _branch_row(lines: list[Branch], index: int, depth: int, current: int) -> str:
    line = lines[index]
    own = line.messages[line.fork] if line.fork < len(line.messages) else None
    words = one_line(own.text, WORDS) if own is not None and own.text.strip() else "(no messages of its own)"
    if line.parent is None:
        where = "the start"
    else:
        turn = sum(1 for message in line.messages[: line.fork] if message.role == "user") + 1
        where = f"branch {line.parent + 1} at turn {turn}"
    mark = "*" if index == current else " "
    indent = "  " * depth + ("└ " if depth else "")
    return f"{mark} {index + 1:>2}  {indent}from {where} · {turns_text(line.turns)} · {words}"


@COMMANDS.command(
    "branches",
    "show the branches of this conversation, or switch to branch N",
    usage="/branches [N]",
    complete=lambda app, argument: [str(number) for number in range(1, len(app.session.lines()) + 1)],
)
def _branches(app: ChatApp, argument: str) -> None:
    from rich.text import Text

    session = app.session
    lines = session.lines()
    if not lines:
        if argument:
            raise CommandError("this conversation has one branch only", hint="/rewind starts another")
        app.notice("this conversation has one branch; /rewind N goes back to message N and starts another")
        return
    if not argument:
        rows = [_branch_row(lines, index, depth, session.branch) for index, depth in _tree(lines)]
        rows.append("* is the branch in use; /branches N switches to branch N")
        app.screen.print(Text("\n".join(rows), style="notice", no_wrap=True, overflow="ellipsis"))
        return
    number = _number(argument, len(lines), "branch")
    if number - 1 == session.branch:
        raise CommandError(f"branch {number} is the one in use")
    session.switch_branch(number - 1)
    app.editing = False
    app.rewind_to = None
    app.save_session()
    app.show_session(f"switched to branch {number}")


@COMMANDS.command("fork", "copy the branch in use into a new session and go on there (this one stays)")
def _fork(app: ChatApp, argument: str) -> None:
    if argument:
        raise CommandError(f"/fork takes no argument, got {one_line(argument, 40)!r}")
    if not app.session.messages:
        raise CommandError("there is nothing to fork yet")
    old = app.session.id
    app.keeper.fork()
    app.editing = False
    app.rewind_to = None
    app.keeper_warnings()
    app.notice(f"forked into session {app.session.id}; {old} stays as it was (/resume {old})")

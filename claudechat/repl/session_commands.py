"""Commands about sessions: start a new one, list, open, name, and save transcripts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from claudechat.errors import ClaudechatError
from claudechat.render.sessions import session_table
from claudechat.repl.commands import COMMANDS, CommandError
from claudechat.paths import message_path
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from claudechat.repl.interface import ChatApp

__all__: list[str] = []

LISTED = 20  # sessions /sessions shows


def _session_ids(app: ChatApp, argument: str) -> list[str]:
    try:
        return [summary.id for summary in app.keeper.store.summaries(limit=LISTED) if not summary.error]
    except ClaudechatError:  # an unreadable directory: nothing to offer, typing goes on
        return []


@COMMANDS.command("clear", "start a new conversation (the current one stays saved)", aliases=("new",))
def _clear(app: ChatApp, argument: str) -> None:
    if argument:
        raise CommandError(f"/clear takes no argument, got {one_line(argument, 40)!r}")
    old = app.session
    app.keeper.new()
    app.attachments = []
    app.editing = False
    app.rewind_to = None
    said = f"new conversation; the last one is saved as {old.id} (/resume {old.id})" if old.messages else "new conversation"
    system = app.session.settings.system
    if system:
        said += f"\nthe system prompt stays: {one_line(system, 60)!r} (/system clear removes it)"
    app.notice(said)


@COMMANDS.command("sessions", "list the saved sessions used last", usage="/sessions")
def _sessions(app: ChatApp, argument: str) -> None:
    from rich.text import Text

    summaries = app.keeper.store.summaries(limit=LISTED)
    if not summaries:
        app.notice("no saved sessions yet; each conversation is saved after its first answer")
        return
    table = session_table(summaries, app.session.id, width=app.console.width)
    footer = "/resume ID opens one (the start of an id is enough)"
    # Rows are made to fit; rich must not fold one it measures differently, only cut it.
    app.screen.print(Text(f"{table}\n{footer}", style="notice", no_wrap=True, overflow="ellipsis"))


def _open(app: ChatApp, key: str, command: str) -> None:
    if not key:
        raise CommandError(f"/{command} needs a session id" + (" or a file" if command == "load" else ""),
                           hint="see /sessions")
    if key == app.session.id:
        raise CommandError(f"session {key} is the one open now")
    note = app.keeper.open(key)
    app.attachments = []
    app.editing = False
    app.rewind_to = None
    app.show_session(note)
    app.keeper_warnings()


@COMMANDS.command("resume", "continue a saved session (N: hit N of the last /search; none: choose one)",
                  usage="/resume [ID|N]", complete=_session_ids,
                  details="Without ID, a list of the saved sessions opens, the last used first:\n"
                  "type to keep those whose title or conversation has the words,\n"
                  "Up/Down and PgUp/PgDn choose, Enter opens, Esc leaves the chat as it was.")
async def _resume(app: ChatApp, argument: str) -> None:
    from claudechat.repl.search_commands import hit_for, open_hit

    if not argument.strip():
        await _pick(app)
        return
    hit = hit_for(app, argument)
    if hit is not None:
        open_hit(app, hit)
        return
    _open(app, argument, "resume")


async def _pick(app: ChatApp) -> None:
    from claudechat.chat.store import NoSavedSessionError
    from claudechat.repl.picker import pick_session
    from claudechat.repl.search_commands import open_hit

    app.save_session()  # the session in use is left out of the list, but its turns are indexed
    current = app.session.id
    try:
        picked = await pick_session(app.keeper.store.directory, leave_out=current,
                                    style=app.theme.prompt_toolkit_style())
    except NoSavedSessionError:
        app.notice("no other saved session to resume; each conversation is saved after its first answer")
        return
    except KeyboardInterrupt:  # Ctrl-C leaves the list as Esc does
        return
    if picked is None:
        return
    if picked.hit is not None:
        open_hit(app, picked.hit)
    else:
        _open(app, picked.session, "resume")


@COMMANDS.command(
    "load",
    "open a saved session by id, or a session saved with /save FILE.json",
    usage="/load ID|FILE",
    complete=lambda app, argument: _session_ids(app, argument) + _paths(app, argument),
)
def _load(app: ChatApp, argument: str) -> None:
    _open(app, argument, "load")  # the keeper expands ~ in paths


def _paths(app: ChatApp, argument: str) -> list[str]:
    from claudechat.repl.chat_commands import complete_paths

    return complete_paths(argument)


@COMMANDS.command("rename", "give this session a title", usage="/rename TITLE",
                  complete=lambda app, argument: [app.session.title] if app.session.title else [])
def _rename(app: ChatApp, argument: str) -> None:
    title = " ".join(argument.split())
    if not title:
        raise CommandError("/rename needs a title")
    app.session.rename(one_line(title, 200))
    app.save_session()
    app.notice(f"session {app.session.id} is now titled {one_line(title, 200)!r}")


@COMMANDS.command(
    "save",
    "write the transcript: FILE.md as Markdown, FILE.html as a page, FILE.json as the full session",
    usage="/save [--all] [FILE]",
    complete=_paths,
    details="FILE without an extension is Markdown: /save notes writes notes.md.\n"
    "--all writes every branch of the conversation (/branches), not only the one in use; JSON always does.\n"
    "FILE.html is one page that needs nothing else to open, in this theme's colours.\n"
    "Without FILE, a Markdown file named after the title, in the current directory.\n"
    "An existing file is replaced only if you say yes.",
)
async def _save(app: ChatApp, argument: str) -> None:
    from claudechat.chat.transcript import default_file_name
    from claudechat.export import KINDS, format_of, held, transcript
    from claudechat.files import write_atomically

    session = app.session
    if not session.messages:
        raise CommandError("there is nothing to save yet")
    all_branches = argument == "--all" or argument.startswith("--all ")
    if all_branches:
        argument = argument[len("--all"):].strip()
    path = Path(argument).expanduser() if argument else Path(default_file_name(session))
    if argument.endswith("/") or (path.is_dir() and not path.is_symlink()):
        raise CommandError(f"{message_path(path, 200)} is a directory", hint="name a file in it")
    if not path.suffix:
        path = path.with_name(path.name + ".md")  # a name alone is a Markdown transcript
    shown = message_path(path, 200)
    form = format_of(path)
    if form is None:
        raise CommandError(f"cannot tell the format of {shown}",
                           hint="end the name with .md, .html or .json, or leave it off")
    data = transcript(session, form, app.theme if form == "html" else None, all_branches=all_branches)
    overwrite = False
    if path.exists() or path.is_symlink():
        if path.is_dir() or path.is_symlink():
            raise CommandError(f"{shown} is a directory or a link; choose another name")
        if not await app.confirm(f"{shown} exists. Replace it?"):
            app.notice("not saved")
            return
        overwrite = True
    try:
        write_atomically(path, data, overwrite=overwrite)  # 0600: a conversation is private
    except FileExistsError:
        raise CommandError(f"{shown} appeared meanwhile; not replaced", hint="run /save again") from None
    except OSError as exc:
        raise CommandError(f"cannot write {shown}: {exc.strerror or exc}") from None
    app.notice(f"saved the {KINDS[form]} to {shown}: {held(session, form, all_branches=all_branches)}, {len(data):,} bytes")

"""/search: saved sessions by what was said in them; `/resume N` opens hit N at its turn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from claudechat.repl.commands import COMMANDS, CommandError
from claudechat.repl.interface import RESUME_SHOWS

if TYPE_CHECKING:
    from claudechat.chat.search_hit import SearchHit
    from claudechat.repl.interface import ChatApp

__all__ = ["hit_for", "open_hit", "show_hit_turn"]

LISTED = 20  # hits /search shows
_READING_NOTICE_FROM = 50  # logs to read before saying so


@COMMANDS.command(
    "search",
    "find saved sessions by what was said in them",
    usage="/search WORDS",
    details='All the words must be found in one turn (your message, the answer or the title).\n'
    '"quoted words" are a phrase, prefix* matches words that start so,\n'
    "model:ID keeps turns answered by a model whose id contains ID,\n"
    "since:DATE and until:DATE keep turns of that time (2026-03-01, or an age: 12h, 7d, 2w).\n"
    "Then /resume N opens hit N and shows its turn.",
)
def _search(app: ChatApp, argument: str) -> None:
    from rich.text import Text

    from claudechat.chat.index import IndexError_, SearchIndex
    from claudechat.chat.search_query import parse_query
    from claudechat.render.search import hit_rows

    if not argument.strip():
        raise CommandError("/search needs words to look for", hint="/help search")
    query = parse_query(argument)
    app.save_session()  # the session in use is found too, as it is now
    index = SearchIndex(sessions=app.keeper.store.directory)

    def progress(done: int, total: int) -> None:
        if done == 0 and total >= _READING_NOTICE_FROM:
            app.notice(f"reading {total:,} sessions into the search index…")

    try:
        hits, report = index.search_synced(query, LISTED, progress)
    except IndexError_ as exc:
        raise CommandError(str(exc), hint="try again; `claudechat sessions reindex` builds it afresh") from None
    finally:
        index.close()
    for reason in report.skipped:
        app.warning(f"skipped a damaged session log: {reason}")
    app.search_hits = hits
    if not hits:
        app.notice("no session matches the search")
        return
    footer = Text("/resume N opens hit N at its turn", style="notice")
    app.screen.print(hit_rows(hits, app.console.width, numbered=True), footer)


def hit_for(app: ChatApp, argument: str) -> SearchHit | None:
    """The hit `/resume N` means: N is a number of the last /search's list."""
    if argument.isdigit() and app.search_hits and 1 <= int(argument) <= len(app.search_hits):
        return app.search_hits[int(argument) - 1]
    return None


def open_hit(app: ChatApp, hit: SearchHit) -> None:
    """Open the hit's session (unless it is the one in use) and show the turn that matched."""
    opened = hit.session != app.session.id
    if opened:
        note = app.keeper.open(hit.session)
        app.attachments = []
        app.editing = False
        app.rewind_to = None
        app.show_session(note)
        app.keeper_warnings()
    show_hit_turn(app, hit, shown=opened)


def show_hit_turn(app: ChatApp, hit: SearchHit, *, shown: bool) -> None:
    """Show the turn of the session in use that `hit` matched; `shown`: `show_session` has just
    shown the session's last exchanges, so a turn among them is pointed to, not shown again."""
    from claudechat.chat.conversation import attachment_labels
    from claudechat.render.exchange import saved_answer, user_message

    messages = app.session.messages
    starts = [position for position, message in enumerate(messages) if message.role == "user"]
    if not 1 <= hit.turn <= len(starts):
        app.notice(f"turn {hit.turn} is no longer in the session")
        return
    start = starts[hit.turn - 1]
    end = starts[hit.turn] if hit.turn < len(starts) else len(messages)
    if shown and len(messages) - start <= 2 * RESUME_SHOWS:  # show_session has just shown it
        app.notice(f"the turn that matched is turn {hit.turn} of {len(starts)}, above")
        return
    app.notice(f"the turn that matched, turn {hit.turn} of {len(starts)}:")
    for message in messages[start:end]:
        if message.role == "user":
            app.screen.print(user_message(message.text, attachment_labels(message.content)))
        else:
            app.screen.print(*saved_answer(message.text, interrupted=message.interrupted, code_theme=app.theme.code_theme))

"""Commands about the context window: /context shows what the next request would use, /compact
has the model summarise the conversation so far and sends the summary in place of its turns;
`auto_compact` does the same before a request that would pass its share of the window."""

from __future__ import annotations

from typing import TYPE_CHECKING

from claudechat.errors import ClaudechatError
from claudechat.render.sessions import turns_text
from claudechat.repl.commands import COMMANDS, CommandError, no_argument

if TYPE_CHECKING:
    from claudechat.chat.attachments import Attachment
    from claudechat.repl.interface import ChatApp

__all__ = ["compact", "compact_if_due", "undo_compaction"]


@COMMANDS.command(
    "context",
    "what the next request would use of the model's context window, part by part",
    usage="/context",
    details="Counts are the server's where it gave them (the usage of each answer), estimates elsewhere\n"
    "(marked ~): what was added since the last answer, the system prompt, attachments.\n"
    "The toolbar's `ctx` shows the same total; its colour changes at 70% and 90% of the window.",
)
def _context(app: ChatApp, argument: str) -> None:
    from claudechat.render.context_view import context_report

    no_argument("context", argument)
    parts = app.context_meter.parts(app.session, "", app.attachments)
    app.screen.print(*context_report(parts, app.context_use(), model=app.model, width=app.console.width))


@COMMANDS.command(
    "compact",
    "have the model summarise the conversation; the summary is sent in place of its turns",
    usage="/compact [INSTRUCTIONS]",
    details="INSTRUCTIONS steer the summary: /compact keep the SQL schema and the open bugs.\n"
    "The turns stay in the session and in transcripts, marked as compacted; /undo right after\n"
    "brings them back. With auto_compact = 0.9 in the config this happens by itself before a\n"
    "request that would pass 90% of the window.",
)
async def _compact(app: ChatApp, argument: str) -> None:
    await compact(app, argument.strip() or None)


def _turns_covered(app: ChatApp, covers: int) -> int:
    return sum(1 for message in app.session.messages[:covers] if message.role == "user")


async def compact(app: ChatApp, instructions: str | None = None) -> bool:
    """Ask for a summary of the conversation so far and send it in place of its turns from now on.

    True when the conversation was compacted. A failed or stopped request changes nothing.
    """
    from rich.text import Text

    from claudechat.api import ChatRequest
    from claudechat.chat.compaction import Compaction, summary_request
    from claudechat.render.answer import error_text
    from claudechat.render.summary import SummaryView, summary_panel
    from claudechat.repl.toolbar import short_count
    from claudechat.sanitize import sanitize

    session = app.session
    if not session.messages:
        raise CommandError("there is nothing to compact yet")
    latest = session.compaction()
    if latest is not None and latest.covers == len(session.messages):
        raise CommandError("the conversation is compacted already: nothing was said since",
                           hint="/undo brings back the turns it summarises")
    settings = session.settings
    request = ChatRequest(
        model=settings.model,
        messages=session.request_messages(summary_request(instructions)),
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
    )
    request.validate()
    turns = session.turns
    before = app.context_use().tokens
    view = SummaryView(app.screen, title=f"Summarising {turns_text(turns)}")
    outcome, typed = await app.stream(request, view)
    app.set_input("".join(typed))
    result = outcome.result
    session.record_result(result, app.model)
    summary = sanitize(result.content).strip()
    cut = result.finish_reason == "length"  # a summary cut short would lose what it leaves out
    if outcome.error is not None or outcome.interrupted or not summary or cut:
        if outcome.error is not None:
            view.finish(error_text(str(outcome.error)))
        elif outcome.interrupted:
            view.finish(Text("⏹ compaction stopped: the conversation is as it was", style="interrupted"))
        elif cut:
            view.finish(Text("the summary was cut off at the max_tokens limit (/max-tokens N raises it): the "
                             "conversation is as it was", style="warning"))
        else:
            view.finish(Text("the model sent no summary: the conversation is as it was", style="warning"))
        app.save_session()  # the tokens it cost
        return False
    usage = result.usage
    tokens = None
    if usage is not None and usage.completion_tokens > usage.reasoning_tokens:
        tokens = usage.completion_tokens - usage.reasoning_tokens
    session.compact(
        Compaction(
            covers=len(session.messages),
            summary=summary,
            model=sanitize(result.model) if result.model else app.model,
            tokens=tokens,
            instructions=instructions,
        )
    )
    app.editing = False  # the exchange an /edit would replace is in the summary now
    app.rewind_to = None
    app.save_session()
    after = app.context_use().tokens
    title = f"Summary of {turns_text(turns)}, sent instead of {'it' if turns == 1 else 'them'} from now on"
    view.finish(
        summary_panel(summary, title, app.theme.code_theme),
        Text(
            f"compacted {turns_text(turns)}: the next request sends ~{short_count(after)} tokens instead of "
            f"~{short_count(before)} · /undo brings the turns back",
            style="notice",
        ),
    )
    return True


async def compact_if_due(app: ChatApp, text: str, attachments: list[Attachment]) -> bool:
    """Before sending `text`: compact first when the request would pass `auto_compact` of the window.

    False when a compaction was due and did not happen (failed, stopped): the message is not
    sent then, and goes back to the input.
    """
    threshold = app.settings.auto_compact
    window = app.context_window
    if not threshold or not window:
        return True
    use = app.context_meter.use(app.session, window, text, attachments)
    if use.tokens <= threshold * window:
        return True
    latest = app.session.compaction()
    if not app.session.messages or (latest is not None and latest.covers == len(app.session.messages)):
        return True  # nothing left to compact: the server has the last word
    app.notice(
        f"this message would make the request ~{use.tokens:,} of {window:,} tokens ({use.tokens / window:.0%}), "
        f"past auto_compact = {threshold:g}: compacting the conversation first"
    )
    try:
        compacted = await compact(app)
    except ClaudechatError as err:
        app.error(str(err))
        compacted = False
    if not compacted:
        app.notice("your message was not sent: it is back in the input")
    return compacted


def undo_compaction(app: ChatApp) -> bool:
    """/undo right after a compaction takes the compaction back; False when it is not the last change."""
    session = app.session
    if not session.compactions or session.compactions[-1].covers != len(session.messages):
        return False
    compaction = session.uncompact()
    app.editing = False
    app.rewind_to = None
    app.save_session()
    covered = turns_text(_turns_covered(app, compaction.covers))
    restored = session.compaction()
    still = f"; the summary before it stands in for the first {turns_text(_turns_covered(app, restored.covers))}" \
        if restored is not None else ""
    app.notice(f"compaction undone: the {covered} it summarised are sent again{still}")
    return True

"""The user's files in the chat: `/file`, and the `@path` mentions of a message being sent.

Both read through `claudechat.attach`; this module only asks (a folder of many files), shows
(what was attached, what was left out, a file that was not UTF-8) and keeps the pending list.
Either everything named is attached or nothing is, with one line saying why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from claudechat.repl.chat_commands import complete_clear_or_paths, path_words
from claudechat.repl.commands import COMMANDS, CommandError
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from claudechat.attach import Budget, Gathered
    from claudechat.chat.attachments import Attachment, TextAttachment
    from claudechat.chat.estimate import TokenEstimator
    from claudechat.repl.interface import ChatApp

__all__ = ["attachments_for", "token_estimator"]

FILE_KINDS = ("file", "pdf", "folder")  # what /file lists and clears; /image keeps its own


def token_estimator(app: ChatApp) -> TokenEstimator:
    """How attachments are counted against their share of the window.

    The chat's own estimate, calibrated on the usage the server reported for this conversation.
    """
    return app.context_meter.estimator


def _budget(app: ChatApp) -> Budget:
    from claudechat.attach import Budget

    return Budget.for_model(
        app.model, share=app.settings.attach_max_share, configured_window=app.settings.context_window
    )


def _key(attachment: Attachment) -> tuple[str, str]:
    return attachment.kind, attachment.name


def _merged(pending: Sequence[Attachment], new: Sequence[Attachment]) -> list[Attachment]:
    """`pending` then `new`; a file attached again is read again, so the new copy replaces the old."""
    fresh = {_key(attachment) for attachment in new}
    return [attachment for attachment in pending if _key(attachment) not in fresh] + list(new)


async def _gather(app: ChatApp, specs: Sequence[str], pending: Sequence[Attachment]) -> tuple[list[Attachment], Gathered] | None:
    """Everything `specs` name, merged into `pending` and held to the share of the window.

    None when the user declined to attach a big folder. Raises the one-line error of the
    first thing that cannot be attached; then nothing is.
    """
    from claudechat.attach import plan

    found = plan(specs)
    for name, count in found.crowded:
        if not await app.confirm(f"{one_line(name, 200)} holds {count:,} files; attach them all?"):
            app.notice("nothing attached")
            return None
    gathered = found.read()
    merged = _merged(pending, gathered.attachments)
    gathered.tokens = _budget(app).check(merged, token_estimator(app))
    for warning in gathered.warnings:
        app.warning(warning)
    for note in gathered.notes:
        app.notice(one_line(note, 2000))
    _warn_if_images_unsupported(app, gathered.attachments)
    return merged, gathered


def _warn_if_images_unsupported(app: ChatApp, attachments: Sequence[Attachment]) -> None:
    from claudechat.models import image_warning

    warning = image_warning(app.model) if any(item.kind == "image" for item in attachments) else None
    if warning:
        app.warning(warning)


async def attachments_for(app: ChatApp, text: str) -> list[Attachment] | None:
    """What goes with the message `text`: the pending attachments, then the paths it mentions.

    None when a mentioned path cannot be attached or the user declined; it has been said why,
    and nothing is to be sent.
    """
    from claudechat.errors import ClaudechatError

    pending = list(app.attachments)
    if "@" not in text:
        return pending
    from claudechat.attach import find_mentions

    mentions = find_mentions(text)
    if not mentions:
        return pending
    specs = list(dict.fromkeys(mention.path for mention in mentions))
    try:
        done = await _gather(app, specs, pending)
    except ClaudechatError as err:
        app.error(f"{err}; nothing was sent")
        return None
    return None if done is None else done[0]


# --- /file ------------------------------------------------------------------------------------


def _files(app: ChatApp) -> list[TextAttachment]:
    return [attachment for attachment in app.attachments if attachment.kind in FILE_KINDS]  # type: ignore[misc]


def _specs(argument: str) -> list[str]:
    return path_words(argument, example="my notes.txt")  # `/file my notes.txt` needs no quotes


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} byte{'s' if size != 1 else ''}"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _groups(files: list[TextAttachment]) -> list[list[TextAttachment]]:
    """Each folder with the files it brought, each other file on its own."""
    from claudechat.chat.attachments import in_folder

    groups: list[list[TextAttachment]] = []
    for attachment in files:
        last = groups[-1] if groups else None
        if last is not None and last[0].kind == "folder" and attachment.kind == "file" and in_folder(last[0].name, attachment.name):
            last.append(attachment)
        else:
            groups.append([attachment])
    return groups


def _row(group: list[TextAttachment], estimator: TokenEstimator) -> str:
    head = group[0]
    tokens = sum(estimator.text_tokens(attachment.text) for attachment in group)
    name = one_line(head.name, 200)
    if head.kind == "folder":
        count = len(group) - 1
        name += f" (folder, {count} file{'s' if count != 1 else ''})"
    elif head.kind == "pdf":
        name += " (PDF text)"
    return f"{name} · {_size(head.size)} · ~{tokens:,} tokens"


def _complete_file(app: ChatApp, argument: str) -> list[str]:
    return complete_clear_or_paths(argument, fuzzy=True)


@COMMANDS.command(
    "file",
    "attach files, folders or globs to the next message; no argument lists them, `clear` drops them",
    usage="/file [PATH|GLOB|DIR ...|clear]",
    complete=_complete_file,
    details="Text goes in a fenced block headed by its path, a PDF as its text page by page,\n"
    "an image as /image attaches it. A folder brings its text files, listed first\n"
    "(what .gitignore excludes is left out); globs: src/*.py, src/**/*.md.\n"
    "In a message, @path attaches a path to that message.\n"
    "Refused: a file over 1 MB of text, or more than attach_max_share of the context\n"
    "window in all. More than 200 files from a folder or glob are asked about.",
)
async def _file(app: ChatApp, argument: str) -> None:
    files = _files(app)
    if not argument:
        _list(app, files)
        return
    if argument == "clear":
        app.attachments = [attachment for attachment in app.attachments if attachment.kind not in FILE_KINDS]
        app.notice(f"dropped {len(files)} file{'s' if len(files) != 1 else ''}")
        return
    done = await _gather(app, _specs(argument), app.attachments)
    if done is None:
        return
    merged, gathered = done
    app.attachments = merged
    added = [attachment for attachment in gathered.attachments if attachment.kind != "folder"]
    names = ", ".join(one_line(attachment.name, 100) for attachment in gathered.attachments[:5])
    if len(gathered.attachments) > 5:
        names += f" and {len(gathered.attachments) - 5} more"
    app.notice(
        f"attached {names} ({len(added)} file{'s' if len(added) != 1 else ''}, "
        f"~{gathered.tokens:,} tokens pending in all)"
    )


def _list(app: ChatApp, files: list[TextAttachment]) -> None:
    others = len(app.attachments) - len(files)
    if not files:
        app.notice("no files attached (/file PATH attaches one, @path in a message too)")
        return
    estimator = token_estimator(app)
    rows = [f"{number}. {_row(group, estimator)}" for number, group in enumerate(_groups(files), 1)]
    total = sum(estimator.text_tokens(attachment.text) for attachment in files)
    rows.append(f"in all ~{total:,} tokens of {_budget(app).describe()}")
    if others:
        rows.append(f"and {others} other attachment{'s' if others != 1 else ''} (/image lists images, /run command output)")
    app.notice("attached to the next message:\n" + "\n".join(rows))

"""Commands about the conversation and its requests: model, images, settings, retry, undo, edit
and picking among several answers."""

from __future__ import annotations

import os
import shlex
from typing import TYPE_CHECKING

from claudechat.chat.conversation import Message
from claudechat.config import server_key
from claudechat.models import MODELS, find_model, image_warning, is_model_id
from claudechat.render.sessions import turns_text
from claudechat.repl.commands import COMMANDS, CommandError, no_argument, shown
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from claudechat.chat.attachments import ImageAttachment
    from claudechat.repl.interface import ChatApp

__all__ = ["complete_clear_or_paths", "complete_paths", "path_words"]

_DEFAULT_WORDS = ("default", "off", "none")


# --- model -----------------------------------------------------------------------------------


def _model_ids(app: ChatApp, argument: str) -> list[str]:
    # Never waits: the server's list if known, else the catalogue while the list is asked for.
    known, ids = app.server_models.known(app.settings)
    if not known:
        app.server_models.prefetch(app.settings, app.refresh_completions)
    return ids or [model.id for model in MODELS]


@COMMANDS.command(
    "model",
    "list the models, or switch to one for the next requests",
    usage="/model [ID]",
    complete=_model_ids,
    details="A server that lists its models (GET /models: llama.cpp, vLLM, Ollama, LiteLLM) shows its own;\n"
    "otherwise the catalogue: models marked vision accept images, thinking models stream their\n"
    "reasoning first. An id missing from the list is used anyway, with a warning.",
)
async def _model(app: ChatApp, argument: str) -> None:
    served = await app.server_models.get(app.settings)
    if not argument:
        app.notice(_served_listing(app, served) if served else _catalogue_listing(app))
        return
    if not is_model_id(argument):
        raise CommandError(f"{shown(argument)} is not a model id", hint="see /model")
    app.session.change_settings(model=argument)
    app.notice(f"model is now {argument}")
    if served and argument not in served:
        server = one_line(server_key(app.settings.base_url), 80)
        app.warning(f"{argument} is not among the models {server} lists (see /model); using it anyway")
    elif not served and find_model(argument) is None:
        app.warning(f"{argument} is not in the catalogue; using it anyway (the service adds models)")
    _warn_if_images_unsupported(app)


def _marks(model_id: str) -> str:
    model = find_model(model_id)
    if model is None:
        return ""
    return " ".join(mark for mark, has in (("vision", model.vision), ("thinking", model.thinking)) if has)


def _catalogue_listing(app: ChatApp) -> str:
    width = max(len(model.id) for model in MODELS)
    lines = [f"{'▸' if model.id == app.model else ' '} {model.id.ljust(width)}  {_marks(model.id)}" for model in MODELS]
    if find_model(app.model) is None:
        lines.append(f"▸ {one_line(app.model, 80)}  (not in the list)")
    return "\n".join(lines)


def _served_listing(app: ChatApp, served: list[str]) -> str:
    server = one_line(server_key(app.settings.base_url), 80)
    width = min(60, max(len(model_id) for model_id in served))
    lines = [f"models {server} lists:"]
    for model_id in served:
        current = "▸" if model_id == app.model else " "
        lines.append(f"{current} {one_line(model_id, 200).ljust(width)}  {_marks(model_id)}".rstrip())
    if app.model not in served:
        lines.append(f"▸ {one_line(app.model, 80)}  (not in the list)")
    return "\n".join(lines)


def _warn_if_images_unsupported(app: ChatApp) -> None:
    warning = image_warning(app.model) if _images(app) else None
    if warning:
        app.warning(warning)


# --- images -------------------------------------------------------------------------------------


def _images(app: ChatApp) -> list[ImageAttachment]:
    from claudechat.chat.attachments import ImageAttachment

    return [attachment for attachment in app.attachments if isinstance(attachment, ImageAttachment)]



def path_words(argument: str, *, example: str = "my photo.png") -> list[str]:
    """The paths (or URLs) in `argument`: shell-style words, or the whole of it if that is a path."""
    whole = argument.strip()
    if os.path.lexists(os.path.expanduser(whole)):
        return [whole]  # `/image my photo.png` needs no quotes
    try:
        return shlex.split(argument)
    except ValueError as exc:
        raise CommandError(f"cannot read the paths: {exc}", hint=f'quote paths with spaces: "{example}"') from None


def _last_word(argument: str) -> tuple[str, str, str]:
    """(what comes before the last word, the quote it opened with or "", the word unescaped)."""
    start, quote, escaped = 0, "", False
    for index, char in enumerate(argument):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == " ":
            start = index + 1
    word = argument[start:]
    opened = word[:1] if word[:1] in ("'", '"') else ""
    try:
        unescaped = shlex.split(word + opened if quote else word)
    except ValueError:
        unescaped = []
    return argument[:start], opened, unescaped[0] if unescaped else ""


def _written(path: str, quote: str) -> str:
    """`path` as typed on the command line, in the quoting the user began with."""
    if quote and quote not in path:
        closing = "" if path.endswith("/") else quote  # left open, the next Tab goes on inside it
        return f"{quote}{path}{closing}"
    return "".join("\\" + char if char in " '\"\\" else char for char in path)


def complete_paths(argument: str, *, fuzzy: bool = False) -> list[str]:
    """Completions of the last word of `argument` as a path, the words before it kept as typed.

    With `fuzzy`, a word that is not a path from elsewhere (`~`, `/`, `.`) also matches paths of
    the working tree as `@` completion does, after the paths it starts.
    """
    head, quote, word = _last_word(argument)
    results = _listed_paths(head, quote, word)
    if fuzzy and word and not word.startswith(("~", "/", ".")):
        from claudechat.attach.index import fuzzy_path_completions

        seen = set(results)
        for path in fuzzy_path_completions(word):
            completion = head + _written(path, quote)
            if completion not in seen:
                seen.add(completion)
                results.append(completion)
    return results[:200]


def _listed_paths(head: str, quote: str, word: str) -> list[str]:
    directory, slash, stem = word.rpartition("/")
    try:
        names = sorted(os.listdir(os.path.expanduser(directory + slash) if slash else "."))
    except OSError:
        return []
    results = []
    for name in names:
        if not name.startswith(stem) or (name.startswith(".") and not stem.startswith(".")):
            continue
        path = directory + slash + name
        if os.path.isdir(os.path.expanduser(path)):
            path += "/"
        results.append(head + _written(path, quote))
    return results[:200]


def complete_clear_or_paths(argument: str, *, fuzzy: bool = False) -> list[str]:
    """For commands that take paths or `clear`: the word, then the paths `argument` can become."""
    options = ["clear"] if "clear".startswith(argument) else []
    return options + complete_paths(argument, fuzzy=fuzzy)


def _complete_image(app: ChatApp, argument: str) -> list[str]:
    return complete_clear_or_paths(argument)


@COMMANDS.command(
    "image",
    "attach images to the next message; no argument lists them, `clear` drops them",
    usage="/image [PATH|URL ...|clear]",
    complete=_complete_image,
    details="Local PNG, JPEG, GIF, WebP or HEIC files (the type is read from the file), or http(s)\n"
    "URLs, which the server fetches. Photos over 1568 px or 5 MB are scaled down to fit; the file\n"
    "is not changed. Quote paths with spaces; ~ is your home. Ctrl-V or /paste attaches the image\n"
    "on the clipboard.",
)
def _image(app: ChatApp, argument: str) -> None:
    from claudechat.chat.attachments import load_image

    images = _images(app)
    if not argument:
        if not images:
            app.notice("no images attached (/image PATH attaches one)")
            return
        lines = [f"{number}. {one_line(image.name, 200)}" + _size(image.size) for number, image in
                 enumerate(images, 1)]
        app.notice("attached to the next message:\n" + "\n".join(lines))
        return
    if argument == "clear":
        app.attachments = [attachment for attachment in app.attachments if attachment.kind != "image"]
        app.notice(f"dropped {len(images)} image{'s' if len(images) != 1 else ''}")
        return
    loaded = [load_image(path) for path in path_words(argument)]  # all or none
    app.attachments += loaded
    names = ", ".join(one_line(image.name, 100) for image in loaded)
    app.notice(f"attached {names} ({len(images) + len(loaded)} for the next message)")
    for image in loaded:
        if image.note:
            app.notice(image.note)
    _warn_if_images_unsupported(app)


def _size(size: int | None) -> str:
    if size is None:
        return " (URL)"
    return f" ({size / 1024:,.0f} KB)" if size >= 1024 else f" ({size} bytes)"


# --- request settings ------------------------------------------------------------------------


@COMMANDS.command("system", "show, set or clear the system prompt", usage="/system [TEXT|clear]",
                  complete=lambda app, argument: ["clear"])
def _system(app: ChatApp, argument: str) -> None:
    current = app.session.settings.system
    if not argument:
        app.notice(f"system prompt: {one_line(current, 2000)}" if current else "no system prompt (/system TEXT sets one)")
        return
    if argument == "clear":
        app.session.change_settings(system=None)
        app.notice("system prompt cleared")
        return
    app.session.change_settings(system=argument)
    app.notice("system prompt set for the next requests")


def _number_setting(app: ChatApp, name: str, argument: str, parse: type, low: float, high: float | None,
                    *, nullable: bool = True) -> None:
    key = name.replace("-", "_")
    current = getattr(app.session.settings, key)
    if not argument:
        app.notice(f"{name} is {current if current is not None else 'the server default'}")
        return
    if nullable and argument.lower() in _DEFAULT_WORDS:
        app.session.change_settings(**{key: None})
        app.notice(f"{name} is now the server default")
        return
    limits = f"from {low:g} to {high:g}" if high is not None else f"of at least {low:g}"
    try:
        value = parse(argument)
    except ValueError:
        raise CommandError(f"/{name} takes a number {limits}, got {shown(argument)}") from None
    if value != value or value < low or (high is not None and value > high):
        raise CommandError(f"/{name} takes a number {limits}, got {shown(argument)}")
    app.session.change_settings(**{key: value})
    app.notice(f"{name} is now {value}")


@COMMANDS.command("temperature", "sampling temperature for the next requests (0-2, or default)",
                  usage="/temperature [X|default]", complete=lambda app, argument: ["default"])
def _temperature(app: ChatApp, argument: str) -> None:
    _number_setting(app, "temperature", argument, float, 0, 2)


@COMMANDS.command("max-tokens", "limit the length of the next answers (or default)",
                  usage="/max-tokens [N|default]", complete=lambda app, argument: ["default"])
def _max_tokens(app: ChatApp, argument: str) -> None:
    _number_setting(app, "max-tokens", argument, int, 1, None)


@COMMANDS.command("n", "ask for N candidate answers at once (see /pick)", usage="/n [N]",
                  complete=lambda app, argument: ["1", "2", "3", "4"])
def _n(app: ChatApp, argument: str) -> None:
    _number_setting(app, "n", argument, int, 1, 128, nullable=False)


@COMMANDS.command("json", "ask for answers as a JSON object, shown highlighted and checked",
                  usage="/json [on|off]", complete=lambda app, argument: ["on", "off"])
def _json(app: ChatApp, argument: str) -> None:
    if not argument:
        app.notice(f"json is {'on' if app.session.settings.json else 'off'}")
        return
    if argument.lower() not in ("on", "off"):
        raise CommandError(f"/json takes on or off, got {shown(argument)}")
    app.session.change_settings(json=argument.lower() == "on")
    app.notice(f"json is now {argument.lower()}")


# --- the last exchange ---------------------------------------------------------------------------


@COMMANDS.command("retry", "ask again for the last answer (the new one replaces it)")
async def _retry(app: ChatApp, argument: str) -> None:
    no_argument("retry", argument)
    app.editing = False
    app.rewind_to = None
    await app.retry()


@COMMANDS.command("undo", "drop the last exchange (your message and its answer), or a /compact just made")
def _undo(app: ChatApp, argument: str) -> None:
    from claudechat.repl.context_commands import undo_compaction

    no_argument("undo", argument)
    if undo_compaction(app):
        return
    if not app.session.messages:
        raise CommandError("there is nothing to undo")
    app.session.undo()
    app.editing = False  # the exchange an /edit would replace is not the last one any more
    app.rewind_to = None
    app.save_session()
    app.notice(f"dropped the last exchange; {turns_text(app.session.turns)} left")


def put_back(app: ChatApp, message: Message) -> str:
    """Put a message of yours back in the input, with what was attached to it (/edit, /rewind);
    the key that sends it, as the notice names it."""
    from claudechat.chat.attachments import attachment_from_part

    app.set_input(message.text)
    if not isinstance(message.content, str):
        found = (attachment_from_part(part) for part in message.content)
        app.attachments = [attachment for attachment in found if attachment is not None]
    return "Alt-Enter" if app.settings.send_key == "alt-enter" else "Enter"


@COMMANDS.command("edit", "put your last message back in the input; sending it replaces that exchange")
def _edit(app: ChatApp, argument: str) -> None:
    no_argument("edit", argument)
    last = app.session.last_user_message()
    if last is None or len(app.session.messages) < 2:
        raise CommandError("there is no message to edit yet")
    send = put_back(app, last)
    app.editing = True
    app.rewind_to = None
    app.notice(f"editing your last message: {send} replaces that exchange, Ctrl-C cancels")


def _candidate_numbers(app: ChatApp, argument: str) -> list[str]:
    answers = app.session.answers()
    return [str(number) for number in range(1, len(answers[-1].candidates) + 1)] if answers else []


@COMMANDS.command("pick", "keep candidate N of the last answer in the history (with /n above 1)",
                  usage="/pick N", complete=_candidate_numbers)
def _pick(app: ChatApp, argument: str) -> None:
    answers = app.session.answers()
    last = answers[-1] if answers else None
    if last is None or len(last.candidates) < 2 or app.session.messages[-1] is not last:
        raise CommandError("the last answer has no other candidates", hint="/n 3 asks for three at once")
    total = len(last.candidates)
    if not argument.isdigit() or not 1 <= int(argument) <= total:
        raise CommandError(f"/pick takes a number from 1 to {total}, got {shown(argument)}")
    index = int(argument) - 1
    chosen = last.candidates[index]
    app.session.replace_answer(
        Message(
            "assistant",
            chosen.content,
            reasoning=chosen.reasoning,
            model=last.model,
            usage=last.usage,
            created=last.created,
            interrupted=last.interrupted,
            candidates=last.candidates,
            picked=index,
        )
    )
    app.save_session()
    app.notice(f"candidate {index + 1} of {total} is now in the history")

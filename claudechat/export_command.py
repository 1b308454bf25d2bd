"""`claudechat export ID [--format md|json|html] [-o FILE]`: a saved session written out.

ID is a session id or the start of one, as `--resume` takes it. Without -o the text goes to
standard output; with -o it replaces FILE whole (a temporary file renamed over it, so a failure
leaves no half-written file and the old one as it was). The format is --format, else what
FILE's suffix says (.md, .json, .html), else Markdown. The HTML page takes the colours of --theme, else the
configured theme. Nothing is sent anywhere.

Exit codes as for the other subcommands: 2 when an argument is wrong (no such session, an id
that starts several, FILE a directory), 1 when the session cannot be read or the file cannot
be written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from claudechat.errors import ClaudechatError, UsageError
from claudechat.sanitize import one_line
from claudechat.subcommands import _out, _parse, _parser, _warn

if TYPE_CHECKING:
    import argparse

    from claudechat.chat.session import Session
    from claudechat.render.theme import Theme

__all__ = ["export_main", "export_parser"]


def export_parser() -> argparse.ArgumentParser:
    from claudechat.export import FORMATS

    parser = _parser(
        "claudechat export",
        "Write a saved chat session as Markdown (md), as the full session in JSON (json, which "
        "`/load` opens again) or as one HTML page that needs nothing else to open, on any screen "
        "(html). ID is the session's id or its start, as `claudechat sessions` lists them.",
    )
    parser.add_argument("id", metavar="ID", help="the session: its id, or the start of it")
    parser.add_argument("--format", choices=FORMATS,
                        help="md, json or html (default: what FILE's name ends with, else md)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE, replacing it (default: standard output)")
    parser.add_argument("--theme", metavar="NAME", help="the colours of the HTML page (default: the configured theme)")
    parser.add_argument("--all", action="store_true", dest="all_branches",
                        help="every branch of the conversation, not only the one in use (JSON always has them)")
    return parser


def _session(key: str) -> Session:
    from claudechat.chat import SessionStore, read_session_file
    from claudechat.chat.session import SessionError

    try:
        path = SessionStore().find(key)
    except SessionError as exc:
        # An id that names no session (or several) is a wrong argument: nothing was read.
        raise UsageError(exc.message, hint=exc.hint) from None
    return read_session_file(path)


def _theme(name: str | None) -> Theme:
    from claudechat.config import load_settings_with_warnings
    from claudechat.render.theme import load_theme

    if name is None:
        settings, warnings = load_settings_with_warnings()
        for warning in warnings:
            _warn(warning)
        name = settings.theme
    theme, warnings = load_theme(name)
    for warning in warnings:
        _warn(warning)
    return theme


def _target(output: str) -> Path:
    """The file -o names, refused when it is a directory."""
    from claudechat.paths import message_path

    path = Path(output).expanduser()
    if output.endswith(("/", "\\")) or path.is_dir():
        raise UsageError(f"export: {message_path(path, 200)} is a directory", hint="name a file in it")
    return path


def _write(path: Path, data: bytes) -> None:
    from claudechat.files import write_atomically
    from claudechat.paths import message_path

    try:
        write_atomically(path, data, overwrite=True)  # 0600: a conversation is private
    except OSError as exc:
        why = exc.strerror or one_line(str(exc), 200)
        raise ClaudechatError(f"cannot write {message_path(path, 200)}: {why}",
                              hint="nothing was written; choose another file") from None


def _print(data: bytes) -> None:
    """`data` on standard output: as it is into a pipe; on a terminal, with its control characters
    made visible, since an attached file or a pasted text may hold escape sequences."""
    stdout = sys.stdout
    if stdout.isatty():
        from claudechat.sanitize import sanitize

        data = sanitize(data.decode("utf-8")).encode("utf-8")
    binary = getattr(stdout, "buffer", None)
    if binary is None:  # a text stream put in its place (tests, embedding)
        stdout.write(data.decode("utf-8"))
        return
    stdout.flush()
    binary.write(data)
    binary.flush()


def export_main(argv: list[str]) -> int:
    """Write the session ID in the format asked for, to -o FILE or standard output."""
    from claudechat.export import KINDS, format_of, held, transcript
    from claudechat.paths import message_path

    args = _parse(export_parser(), argv)
    if isinstance(args, int):
        return args
    path = _target(args.output) if args.output is not None else None
    form = args.format or (format_of(path) if path is not None else None) or "md"
    session = _session(args.id)
    data = transcript(session, form, _theme(args.theme) if form == "html" else None, all_branches=args.all_branches)
    if path is None:
        _print(data)
        return 0
    _write(path, data)
    what = held(session, form, all_branches=args.all_branches)
    _out(f"Saved the {KINDS[form]} of session {session.id} to {message_path(path, 200)}: {what}, {len(data):,} bytes")
    return 0

"""`claudechat sessions rm ID...` and `claudechat sessions prune --older-than AGE`.

Both choose sessions, show them and ask before deleting anything: the list, the count and a
y/N question go to standard error and the answer is read from standard input, which must be a
terminal unless `--yes` is given (a script that forgot it is refused, exit 2, nothing removed).
Each log is deleted under its session lock and dropped from the search index
(`claudechat.chat.removal`); a session open in another claudechat is kept, said so on standard
error, and makes the exit status 1. The count removed goes to standard output, or with
`--output json` one object: `{"removed": [ids], "kept": [{"id", "reason"}]}`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from claudechat.errors import EXIT_FAILURE, EXIT_OK, UsageError
from claudechat.sanitize import json_line, one_line

if TYPE_CHECKING:
    import argparse

    from claudechat.chat.removal import Removal

__all__ = ["prune_main", "prune_parser", "rm_main", "rm_parser"]

AGES = "an age like 90d, 12h or 2w (days, hours, weeks)"


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    from claudechat.subcommands import _parser as make

    return make(prog, description)


def _common(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("-y", "--yes", action="store_true", help="remove without asking (for scripts)")
    parser.add_argument("--output", choices=("text", "json"), default="text", help="output format (default: text)")
    return parser


def rm_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "claudechat sessions rm",
        "Delete saved sessions and their entries in the search index, after asking. Each ID is a "
        "session id or a start of one that names a single session, as `--resume` takes it.",
    )
    parser.add_argument("ids", nargs="+", metavar="ID", help="a session id, or the start of one")
    return _common(parser)


def prune_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "claudechat sessions prune",
        "Delete the saved sessions last used (opened or written) longer ago than AGE, after asking, "
        "with their entries in the search index.",
    )
    parser.add_argument("--older-than", required=True, metavar="AGE", help=AGES)
    return _common(parser)


def _plural(count: int, word: str = "session") -> str:
    return f"{count:,} {word}{'s' if count != 1 else ''}"


def _confirmed(selected: list[tuple[float, Path]]) -> bool:
    """Show what would go and ask; only an answer starting with y says yes."""
    import shutil

    from claudechat.chat import SessionStore
    from claudechat.render.sessions import session_table

    summaries = [SessionStore.summary(used, path) for used, path in selected]
    width = shutil.get_terminal_size().columns if sys.stderr.isatty() else None
    print(session_table(summaries, width=width), file=sys.stderr)
    what = "this session and its" if len(selected) == 1 else f"these {_plural(len(selected))} and their"
    sys.stderr.write(f"Remove {what} search entries? [y/N] ")
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        sys.stderr.write("\n")  # "interrupted" on a row of its own, not after the question
        raise
    if not answer:
        sys.stderr.write("\n")  # input ended: the next line starts on its own row
    return answer.strip().lower() in ("y", "yes")


def _remove(selected: list[tuple[float, Path]], args: argparse.Namespace, *, none_left: str) -> int:
    from claudechat.chat.removal import remove_sessions


    if not selected:
        return _nothing(args.output, f"{none_left}; nothing removed")
    if not args.yes:
        stdin = sys.stdin
        if stdin is None or not stdin.isatty():
            raise UsageError(f"not removing {_plural(len(selected))} without asking, and there is no terminal to ask on",
                             hint="add --yes to remove them without asking")
        if not _confirmed(selected):
            return _nothing(args.output, "nothing removed")
    removal = remove_sessions([path for _, path in selected])
    _report(removal, args.output)
    return EXIT_FAILURE if removal.kept else EXIT_OK


def _nothing(output: str, note: str) -> int:
    if output == "json":
        print(json_line({"removed": [], "kept": []}))
    print(f"claudechat: note: {note}", file=sys.stderr)
    return EXIT_OK


def _report(removal: Removal, output: str) -> None:
    for key, reason in removal.kept.items():
        print(f"claudechat: warning: kept session {one_line(key, 64)}: {one_line(reason, 300)}", file=sys.stderr)
    if output == "json":
        kept = [{"id": key, "reason": reason} for key, reason in removal.kept.items()]
        print(json_line({"removed": removal.removed, "kept": kept}, ascii_only=sys.stdout.isatty()))
        return
    total = len(removal.removed) + len(removal.kept)
    print(f"removed {len(removal.removed):,} of {_plural(total)}" if removal.kept
          else f"removed {_plural(total)}")


def rm_main(argv: list[str]) -> int:
    """`claudechat sessions rm ID... [--yes] [--output json]`."""
    import os

    from claudechat.chat import SessionError, SessionStore
    from claudechat.subcommands import _parse

    args = _parse(rm_parser(), argv)
    if isinstance(args, int):
        return args
    store = SessionStore()
    selected: dict[Path, float] = {}
    for key in args.ids:  # every id is checked before anything is removed
        try:
            path = store.find(key)
            selected.setdefault(path, os.lstat(path).st_mtime)
        except SessionError as err:
            raise UsageError(f"{err.message}; nothing removed", hint=err.hint) from None
        except FileNotFoundError:
            raise UsageError(f"no session {one_line(key, 80)}; nothing removed", hint="see `claudechat sessions`") from None
    return _remove([(used, path) for path, used in selected.items()], args, none_left="no session given")


def prune_main(argv: list[str]) -> int:
    """`claudechat sessions prune --older-than AGE [--yes] [--output json]`."""
    from claudechat.chat import SessionStore
    from claudechat.chat.removal import older_than, parse_age
    from claudechat.subcommands import _parse

    args = _parse(prune_parser(), argv)
    if isinstance(args, int):
        return args
    try:
        age = parse_age(args.older_than)
    except ValueError:
        raise UsageError(f"--older-than takes {AGES}, not {one_line(args.older_than, 40)!r}") from None
    selected = older_than(SessionStore().files(), age)
    return _remove(selected, args, none_left=f"no session was last used more than {args.older_than.strip()} ago")

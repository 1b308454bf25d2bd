"""`claudechat search QUERY` and `claudechat sessions reindex`.

Both bring the search index up to the session logs first (`SearchIndex.sync`): only logs that
changed since it last read them are read, so this is one directory listing when nothing did.
Results go to standard output: on a terminal two rows a hit, fitted to its width, the words
found highlighted; piped, one tab-separated line a hit; `--output json`, one JSON list.
Notes, warnings and the progress bar go to standard error.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from claudechat.errors import ClaudechatError, UsageError
from claudechat.sanitize import json_line, one_line

if TYPE_CHECKING:
    import argparse

    from claudechat.chat.index import SyncReport

__all__ = ["reindex_main", "reindex_parser", "search_main", "search_parser"]

DEFAULT_LIMIT = 20
PROGRESS_FROM = 50  # logs to read before a search shows a progress bar rather than nothing


def _note(text: str) -> None:
    print(f"claudechat: note: {text}", file=sys.stderr)


def _warn(text: str) -> None:
    print(f"claudechat: warning: {one_line(text, 2000)}", file=sys.stderr)


class _Progress:
    """rich's progress bar on standard error, when it is a terminal and there is enough to read."""

    def __init__(self, label: str, *, least: int) -> None:
        self.label = label
        self.least = least
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            if total < self.least or not (sys.stderr is not None and sys.stderr.isatty()):
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True,
            )
            self._task = self._bar.add_task(self.label, total=total)
            self._bar.start()  # drawn at once, the task in it
        self._bar.update(self._task, completed=done)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _report_problems(report: SyncReport) -> None:
    for reason in report.skipped:
        _warn(f"skipped a damaged session log: {reason}")


def _failed(exc: Exception) -> ClaudechatError:
    return ClaudechatError(one_line(str(exc), 1000), hint="try again; `claudechat sessions reindex` builds it afresh")


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    from claudechat.subcommands import _parser as make

    return make(prog, description)


def search_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "claudechat search",
        'Find saved sessions by what was said in them. Words must all be found (in a turn: your '
        'message, the answer, or the title); "quoted words" as a phrase; prefix* for words '
        "starting so; model:ID keeps turns answered by a model whose id contains ID; since:DATE "
        "and until:DATE (2026-03-01, 2026-03-01T14:30, or an age: 12h, 7d, 2w) keep turns of "
        "that time. Best matches first; resume one with `claudechat --resume ID`.",
    )
    parser.add_argument("query", nargs="+", metavar="QUERY", help="words, phrases, prefix*, model:, since:, until:")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N",
                        help=f"show at most N sessions (default {DEFAULT_LIMIT})")
    parser.add_argument("--output", choices=("text", "json"), default="text", help="output format (default: text)")
    return parser


def search_main(argv: list[str]) -> int:
    """`claudechat search QUERY... [--limit N] [--output json]`."""
    import shutil

    from claudechat.chat.index import IndexError_, SearchIndex
    from claudechat.chat.search_query import parse_query
    from claudechat.subcommands import _parse

    args = _parse(search_parser(), argv)
    if isinstance(args, int):
        return args
    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    query = parse_query(" ".join(args.query))
    index = SearchIndex()
    progress = _Progress("reading sessions into the search index", least=PROGRESS_FROM)
    try:
        hits, report = index.search_synced(query, args.limit, progress)
    except IndexError_ as exc:
        raise _failed(exc) from None
    finally:
        progress.stop()
        index.close()
    _report_problems(report)
    if report.rebuilt and report.sessions:
        _note(f"the search index was built afresh ({report.rebuilt}): {report.sessions:,} sessions")
    if args.output == "json":
        rows = [{**hit.to_dict(), "path": str(index.sessions / f"{hit.session}.jsonl")} for hit in hits]
        print(json_line(rows, ascii_only=sys.stdout.isatty()))
        return 0
    if not hits:
        _note("no session matches the search")
        return 0
    if sys.stdout.isatty():
        from rich.console import Console

        from claudechat.render.search import hit_rows

        console = Console(highlight=False)
        console.push_theme(_theme().rich_theme())
        console.print(hit_rows(hits, shutil.get_terminal_size().columns))
    else:
        from claudechat.render.search import plain_hit

        print("\n".join(plain_hit(hit) for hit in hits))
    return 0


def _theme() -> Any:
    """The configured theme; a config file that cannot be read does not stop a search."""
    import os

    from claudechat.config import load_settings_with_warnings
    from claudechat.render.theme import load_theme

    try:
        name = load_settings_with_warnings(os.environ)[0].theme
    except ClaudechatError:
        from claudechat.render.theme import DEFAULT_THEME as name
    return load_theme(name)[0]


def reindex_parser() -> argparse.ArgumentParser:
    return _parser(
        "claudechat sessions reindex",
        "Build the search index again from every saved session. It is kept up to date by "
        "itself; this is for when you want to be sure. A damaged session log is skipped.",
    )


def reindex_main(argv: list[str]) -> int:
    """`claudechat sessions reindex`: empty the index and read every log into it."""
    from claudechat.chat.index import IndexError_, SearchIndex
    from claudechat.subcommands import _parse

    args = _parse(reindex_parser(), argv)
    if isinstance(args, int):
        return args
    index = SearchIndex()
    progress = _Progress("indexing sessions", least=1)
    try:
        try:
            report = index.sync(progress, rebuild=True)
        except IndexError_ as exc:
            if exc.transient:
                raise
            report = index.sync(progress, rebuild=True)  # it was damaged, and is dropped: from nothing
    except IndexError_ as exc:
        raise _failed(exc) from None
    finally:
        progress.stop()
        index.close()
    _report_problems(report)
    skipped = len(report.skipped)
    print(
        f"indexed {report.sessions:,} session{'s' if report.sessions != 1 else ''}, "
        f"{report.turns:,} turn{'s' if report.turns != 1 else ''}"
        + (f"; skipped {skipped:,} damaged log{'s' if skipped != 1 else ''}" if skipped else "")
    )
    return 0

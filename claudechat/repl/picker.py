"""The session picker: saved sessions newest first, filtered as you type, the selected one's
last exchange below. `/resume` and `claudechat --resume` without an id open it.

It takes the whole terminal on the alternate screen, so that leaving it, however it is left,
puts back the screen as it was (the chat's scrollback is never touched). The rows and the
filter are `claudechat.chat.picking`'s; this module draws them and keeps typing quick: the
title part of the filter runs on each key, the content part (the full-text index) on a worker
thread after a pause in typing, its answer merged in when it comes. The same worker first
lists the sessions directory and brings the index up to the logs; the first frame shows the
sessions as the index last saw them, and the rows are replaced if that changed anything. The
snippet of what matched is made on the worker too, when its row is previewed.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claudechat.chat.picking import Listed, PickerFilter, PickerRow, indexed_rows, picker_rows
from claudechat.render.picker import answer_text, row_text
from claudechat.sanitize import one_line, sanitize
from claudechat.textwidth import cell_width, crop

if TYPE_CHECKING:
    from prompt_toolkit.application import Application
    from prompt_toolkit.styles import BaseStyle

    from claudechat.chat.index import SearchIndex
    from claudechat.chat.index_read import IndexedTurn
    from claudechat.chat.search_hit import SearchHit
    from claudechat.chat.search_query import SearchQuery

Scanned = tuple[int, list[tuple[bytes, int, int]]]  # what index_read.scan_logs returns

__all__ = ["PickedSession", "pick_session"]

CONTENT_WAIT = 0.08  # seconds of no typing before the index is asked about what was said
CONTENT_LIMIT = 200  # sessions a content query keeps (the best-matching ones)
ESCAPE_WAIT = 0.05  # a lone Esc is told from the start of an escape sequence after this long
PREVIEW_ROWS = 8  # at most; a short terminal gives the list its rows first


@dataclass(frozen=True)
class PickedSession:
    session: str
    hit: SearchHit | None = None  # the turn that matched, when the session was found by it


class _Closed(Exception):
    """The picker was left while the worker was still catching the index up."""


class _Picker:
    def __init__(self, directory: Path, index: SearchIndex | None, rows: list[PickerRow],
                 scanned: Scanned | None, leave_out: str | None, note: str) -> None:
        self.directory = directory
        self.index = index  # read on this thread: the listing and the previews
        self.filter = PickerFilter(rows)
        self.scanned = scanned  # the sessions directory, when it was listed before the first frame
        self.leave_out = leave_out
        self.note = note  # the status row's words about the index, when it says something
        self.turns: dict[str, IndexedTurn | None] = {}  # last turns read for the previews
        self.models: dict[str, str | None] = {}  # of the last turns of the rows drawn
        self.texts: dict[tuple[str, int, bool], str] = {}  # rows as drawn: (id, width, selected) -> text
        self.snippets: dict[tuple[str, int, str], list[tuple[str, bool]] | None] = {}  # of the hits previewed
        self.top = 0  # the first row in view
        self.closed = False
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="claudechat-picker")
        self.worker_index: SearchIndex | None = None
        self._pending: asyncio.TimerHandle | None = None
        self.searching = False
        self.app: Application[PickedSession | None] | None = None
        self.loop: asyncio.AbstractEventLoop  # set by `run`, before anything is typed

    # --- the index, on this thread and on the worker ----------------------------------------

    def last_turn(self, session: str) -> IndexedTurn | None:
        if session not in self.turns:
            turn = None
            if self.index is not None:
                from claudechat.chat.index import IndexError_

                try:
                    turn = self.index.last_turn(session)
                except IndexError_:
                    turn = None
            self.turns[session] = turn
        return self.turns[session]

    def _read_models(self, rows: list[PickerRow]) -> None:
        """The models of the rows about to be drawn, those not known yet in one query."""
        wanted = [row.id for row in rows if row.id not in self.models]
        if not wanted:
            return
        found: dict[str, str | None] = {}
        if self.index is not None:
            from claudechat.chat.index import IndexError_

            try:
                found = self.index.last_models(wanted)
            except IndexError_:
                pass
        for key in wanted:
            self.models[key] = found.get(key)

    def snippet(self, hit: SearchHit) -> list[tuple[str, bool]] | None:
        """What matched in the hit's turn, as (text, is a hit) pieces; None until the worker has
        made it (a prefix standing for many words can take it a good part of a second)."""
        query = self.filter.hits_query
        if query is None or self.closed:
            return []
        key = (hit.session, hit.turn, query.match)
        if key not in self.snippets:
            self.snippets[key] = None

            def made(done: asyncio.Future[str]) -> None:
                if not self.closed and not done.cancelled() and done.exception() is None:
                    self.snippets[key] = replace(hit, snippet=done.result()).snippet_parts()
                    self._redraw()

            future = self.loop.run_in_executor(self.worker, self._snippet, query, hit)
            future.add_done_callback(made)
        return self.snippets[key]

    def _snippet(self, query: SearchQuery, hit: SearchHit) -> str:
        if self.worker_index is None or self.closed:
            return ""
        return self.worker_index.turn_snippet(query, hit.session, hit.turn)

    def _catch_up(self) -> list[PickerRow] | None:
        """On the worker: list the sessions directory, bring the index up to the logs; the rows
        as they now are, None when they are the ones shown."""
        from claudechat.chat.index import SearchIndex
        from claudechat.chat.index_read import scan_logs

        loop = self.loop

        def progress(done: int, total: int) -> None:
            if self.closed:
                raise _Closed
            if total and (done == 0 or done % 50 == 0):
                loop.call_soon_threadsafe(self._say, f"reading {total - done:,} sessions into the search index…")

        scanned = self.scanned or scan_logs(self.directory)
        self.worker_index = SearchIndex(sessions=self.directory)
        self.worker_index.sync(progress, digest=scanned[0])  # listed again only when something changed
        rows = picker_rows(scanned[1], self.worker_index.listing(), leave_out=self.leave_out)
        return None if rows == self.filter.rows else rows

    def _search(self, generation: int, query: SearchQuery) -> list[SearchHit] | None:
        if self.worker_index is None or self.closed:
            return []
        if generation != self.filter.generation:
            return None  # typed on while it waited: its answer would be dropped, so it is not asked
        return self.worker_index.search(query, CONTENT_LIMIT, snippets=False)  # made when shown: `snippet`

    def _close_worker(self) -> None:
        if self.worker_index is not None:
            self.worker_index.close()

    # --- what typing does ---------------------------------------------------------------

    def typed(self, text: str) -> None:
        generation, query = self.filter.type(text)
        self._follow()
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self.searching = query is not None
        if query is not None:
            self._pending = self.loop.call_later(CONTENT_WAIT, self._ask, generation, query)

    def _ask(self, generation: int, query: SearchQuery) -> None:
        self._pending = None
        future = self.loop.run_in_executor(self.worker, self._search, generation, query)
        future.add_done_callback(lambda done: self._answered(generation, done))

    def _answered(self, generation: int, done: asyncio.Future[list[SearchHit] | None]) -> None:
        if self.closed or done.cancelled():
            return
        error = done.exception()
        if generation != self.filter.generation:
            return
        self.searching = False
        if error is not None:
            self._say(f"what was said is not searched: {one_line(str(error), 200)}")
            self.filter.found(generation, [])
        else:
            self.filter.found(generation, done.result() or [])
        self._follow()
        self._redraw()

    def _caught_up(self, done: asyncio.Future[list[PickerRow] | None]) -> None:
        if self.closed or done.cancelled():
            return
        error = done.exception()
        if error is not None:
            self._say(f"the search index cannot be used: {one_line(str(error), 200)}")
            return
        self._say("")
        rows = done.result()
        if rows is not None:
            self.turns.clear()  # the index may hold more turns of them now
            self.models.clear()
            self.texts.clear()
            self.filter.set_rows(rows)
            self._follow()
        self._redraw()

    def _say(self, note: str) -> None:
        self.note = note
        self._redraw()

    def _redraw(self) -> None:
        if self.app is not None:
            self.app.invalidate()

    # --- the layout -----------------------------------------------------------------------

    def _size(self) -> tuple[int, int]:
        size = self.app.output.get_size() if self.app is not None else None
        return (size.rows, size.columns) if size is not None else (24, 80)

    def _preview_rows(self) -> int:
        rows, _ = self._size()
        return max(0, min(PREVIEW_ROWS, (rows - 4) // 3))

    def list_rows(self) -> int:
        rows, _ = self._size()
        return max(1, rows - 4 - self._preview_rows())  # header, input, rule, status

    def _follow(self) -> None:
        """Scroll so that the selected row is in view."""
        height = self.list_rows()
        selected = self.filter.selected
        if selected < self.top:
            self.top = selected
        elif selected >= self.top + height:
            self.top = selected - height + 1
        self.top = max(0, min(self.top, max(0, len(self.filter.shown) - height)))

    def move(self, delta: int) -> None:
        self.filter.move(delta)
        self._follow()

    def header(self) -> list[tuple[str, str]]:
        _, width = self._size()
        keys = "type to filter · ↑↓ PgUp PgDn move · Enter opens · Esc cancels"
        title = "Resume a session"
        if cell_width(f"{title}  {keys}") <= width:
            return [("class:banner", title), ("", "  "), ("class:picker.keys", keys)]
        return [("class:banner", crop(title, width))]

    def listing(self) -> list[tuple[str, str]]:
        _, width = self._size()
        self._follow()  # the terminal may have been made shorter since the selection moved
        shown = self.filter.shown
        fragments: list[tuple[str, str]] = []
        in_view = range(self.top, min(len(shown), self.top + self.list_rows()))
        self._read_models([shown[at] for at in in_view])
        for at in in_view:
            item = self.filter.item(at)
            chosen = at == self.filter.selected
            key = (item.row.id, width, chosen)
            text = self.texts.get(key)
            if text is None:  # made once: a keystroke redraws every row in view
                text = row_text(item.row, self.models[item.row.id], width, "▸ " if chosen else "  ")
                if chosen:  # its reverse video across the whole row
                    text += " " * (width - cell_width(text))
                self.texts[key] = text
            style = "class:picker.selected" if chosen else "class:picker.error" if item.row.error else ""
            fragments += [(style, text), ("", "\n")]
        if not shown:
            fragments.append(("class:picker.keys", "  no session matches" + (" yet: searching…" if self.searching else "")))
        return fragments[:-1] if shown else fragments

    def rule(self) -> list[tuple[str, str]]:
        _, width = self._size()
        current = self.filter.current
        label = ""
        if current is not None:
            turn = self.last_turn(current.row.id)
            if turn is not None:
                total = current.row.turns or turn.turn
                label = f" last exchange, turn {turn.turn} of {total} "
        label = crop(label, max(0, width - 2))
        return [("class:picker.rule", "──" + label + "─" * max(0, width - 2 - cell_width(label)))]

    def preview(self) -> list[tuple[str, str]]:
        current = self.filter.current
        if current is None:
            return []
        row = current.row
        fragments: list[tuple[str, str]] = []
        hit = current.hit
        if hit is not None:
            fragments.append(("class:picker.keys", f"found in turn {hit.turn}: "))
            for text, marked in self.snippet(hit) or [("…", False)]:
                fragments.append(("class:picker.hit" if marked else "", sanitize(text)))
            fragments.append(("", "\n"))
        if row.error:
            return fragments + [("class:picker.error", one_line(row.error, 1000))]
        turn = self.last_turn(row.id)
        if turn is None:
            note = "not in the search index yet" if not row.indexed else "no exchange yet"
            return fragments + [("class:picker.keys", note)]
        fragments += [("class:prompt", "› "), ("", one_line(turn.user, 1000)), ("", "\n")]
        fragments.append(("", answer_text(turn.answer)))
        return fragments

    def status(self) -> list[tuple[str, str]]:
        _, width = self._size()
        total = len(self.filter.rows)
        shown = len(self.filter.shown)
        parts = [f"{shown:,} of {total:,} sessions" if self.filter.text else f"{total:,} sessions"]
        if self.filter.by_content:
            parts.append(f"{len(self.filter.by_content):,} by what was said in them")
        if self.searching:
            parts.append("searching what was said…")
        if self.note:
            parts.append(self.note)
        return [("class:picker.keys", crop(" · ".join(parts), max(1, width - 1)))]

    # --- the application ----------------------------------------------------------------

    def make_app(self, style: BaseStyle | None) -> Application[PickedSession | None]:
        from prompt_toolkit.application import Application
        from prompt_toolkit.buffer import Buffer
        from prompt_toolkit.key_binding import KeyBindings
        from prompt_toolkit.layout import BufferControl, FormattedTextControl, HSplit, Layout, VSplit, Window
        from prompt_toolkit.layout.dimension import Dimension
        from prompt_toolkit.styles import Style, merge_styles

        from claudechat.repl.output import prompt_output

        buffer = Buffer(multiline=False, on_text_changed=lambda changed: self.typed(changed.text))
        bindings = KeyBindings()

        @bindings.add("up")
        @bindings.add("c-p")
        def _up(event) -> None:  # type: ignore[no-untyped-def]
            self.move(-1)

        @bindings.add("down")
        @bindings.add("c-n")
        def _down(event) -> None:  # type: ignore[no-untyped-def]
            self.move(1)

        @bindings.add("pageup")
        def _page_up(event) -> None:  # type: ignore[no-untyped-def]
            self.move(-self.list_rows())

        @bindings.add("pagedown")
        def _page_down(event) -> None:  # type: ignore[no-untyped-def]
            self.move(self.list_rows())

        @bindings.add("enter")
        def _open(event) -> None:  # type: ignore[no-untyped-def]
            current = self.filter.current
            if current is not None:
                event.app.exit(result=PickedSession(current.row.id, current.hit))

        @bindings.add("escape", eager=True)
        def _cancel(event) -> None:  # type: ignore[no-untyped-def]
            event.app.exit(result=None)

        @bindings.add("c-c")
        def _interrupt(event) -> None:  # type: ignore[no-untyped-def]
            event.app.exit(exception=KeyboardInterrupt)

        def text(get: Any) -> FormattedTextControl:
            return FormattedTextControl(get, show_cursor=False)

        layout = HSplit([
            Window(text(self.header), height=1),
            VSplit([
                Window(FormattedTextControl([("class:prompt", "› ")]), width=2),
                Window(BufferControl(buffer), height=1),
            ]),
            Window(text(self.listing), height=Dimension(weight=1), wrap_lines=False),
            Window(text(self.rule), height=1),
            Window(text(self.preview), height=lambda: Dimension.exact(self._preview_rows()), wrap_lines=True),
            Window(text(self.status), height=1),
        ])
        own = Style.from_dict({
            "picker.selected": "reverse",
            "picker.keys": "",
            "picker.hit": "bold",
            "picker.rule": "",
            "picker.error": "",
        })
        app: Application[PickedSession | None] = Application(
            layout=Layout(layout, focused_element=buffer),
            key_bindings=bindings,
            style=merge_styles([own, style]) if style is not None else own,
            include_default_pygments_style=False,
            full_screen=True,
            mouse_support=False,
            output=prompt_output(),
        )
        app.ttimeoutlen = ESCAPE_WAIT
        self.app = app
        return app

    async def run(self, style: BaseStyle | None) -> PickedSession | None:
        app = self.make_app(style)
        self.loop = asyncio.get_running_loop()
        catching_up = self.loop.run_in_executor(self.worker, self._catch_up)
        catching_up.add_done_callback(self._caught_up)
        try:
            return await app.run_async()
        finally:
            self.closed = True
            if self._pending is not None:
                self._pending.cancel()
            self.worker.submit(self._close_worker)
            self.worker.shutdown(wait=False, cancel_futures=False)


def _listing(directory: Path, leave_out: str | None) -> tuple[SearchIndex | None, list[PickerRow], Scanned | None, str]:
    """The index (None when it cannot be used), the rows to show first, the listing of the
    sessions directory if it was needed for them, and a note for the status row.

    The rows come from the index alone when it has any: listing the directory costs more than
    reading the index's table, and is done on the worker right after the first frame."""
    from claudechat.chat.index import IndexError_, SearchIndex
    from claudechat.chat.index_read import scan_logs

    index: SearchIndex | None = SearchIndex(sessions=directory)
    note = ""
    listed: Listed = {}
    try:
        listed = index.listing()
    except IndexError_ as exc:
        index.close()
        index = None
        note = f"titles and content are not searched: {one_line(str(exc), 200)}"
    rows = indexed_rows(listed, leave_out=leave_out)
    if rows:
        return index, rows, None, note
    scanned = scan_logs(directory)  # an index with nothing in it yet: the directory says what there is
    return index, picker_rows(scanned[1], listed, leave_out=leave_out), scanned, note


async def pick_session(directory: Path, *, leave_out: str | None = None,
                       style: BaseStyle | None = None) -> PickedSession | None:
    """Let the user choose a saved session in `directory` (not `leave_out`): the choice, or None
    when Esc left the picker. KeyboardInterrupt on Ctrl-C; NoSavedSessionError when there is
    nothing to choose from (nothing is drawn then)."""
    from claudechat.chat.store import NoSavedSessionError

    index, rows, scanned, note = _listing(directory, leave_out)
    if not rows:
        if index is not None:
            index.close()
        raise NoSavedSessionError("there is no saved session to resume yet",
                                  hint="each chat is saved after its first answer")
    picker = _Picker(directory, index, rows, scanned, leave_out, note)
    try:
        return await picker.run(style)
    finally:
        if index is not None:
            index.close()

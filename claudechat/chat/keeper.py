"""The session being used: which one, its open file, and saving it after every change.

A new session gets its file at its first save, so opening claudechat and leaving it leaves
nothing behind. Opening a session another claudechat process holds continues in a copy
instead, so neither process loses what it writes.

After each append the search index (`claudechat.chat.index`) is told what changed. The log is
the truth and is already written by then: an index that cannot be updated costs the turn
nothing. It is said once (`take_warnings`), and the index, left behind the log, reads the log
again before the next search.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from claudechat.chat.session import Session, SessionSettings
from claudechat.chat.store import SUFFIX, SessionBusyError, SessionFile, SessionStore, read_session_file

if TYPE_CHECKING:
    from claudechat.chat.index import LogState, SearchIndex

__all__ = ["SessionKeeper"]


class SessionKeeper:
    def __init__(self, store: SessionStore, settings: SessionSettings, *, indexed: bool = True) -> None:
        self.store = store
        self.session = Session(settings=settings)
        self._file: SessionFile | None = None
        self._indexed = indexed
        self._index: SearchIndex | None = None
        self._index_state: LogState | None = None  # the log as the index last recorded it for us
        self._index_warned = False
        self._warnings: list[str] = []

    @property
    def path(self) -> Path | None:
        return None if self._file is None else self._file.path

    def save(self) -> None:
        """Write what changed since the last save (SessionError if it cannot; it stays pending).

        A session gets its file with its first message: changing settings and leaving
        leaves nothing behind.
        """
        if not self.session.pending:
            return
        if self._file is None:
            if not self.session.messages:
                return
            self._file = self.store.create(self.session)
        first = _first_changed(self.session)
        self._file.save(self.session)
        self._update_index(first)

    def _update_index(self, first_message: int) -> None:
        if not self._indexed or self._file is None:
            return
        from claudechat.chat.index import UPDATE_WAIT_MS, IndexError_, SearchIndex

        if self._index is None:
            self._index = SearchIndex(sessions=self.store.directory, wait_ms=UPDATE_WAIT_MS)
        try:
            self._index_state = self._index.record(
                self.session, self._file.path, first_message=first_message, expected=self._index_state
            )
        except (IndexError_, OSError) as exc:
            self._index_state = None  # the next update indexes the whole session again
            self._index.close()
            if not self._index_warned:
                self._index_warned = True
                self._warnings.append(
                    f"the search index was not updated ({exc}); the session is saved, and the index "
                    "reads it again before the next search"
                )

    def take_warnings(self) -> list[str]:
        """What went wrong since the last call without stopping anything (said once each)."""
        warnings, self._warnings = self._warnings, []
        return warnings

    def new(self) -> Session:
        """Start a new conversation with the current settings; the old one stays saved."""
        self._switch(Session(settings=SessionSettings(**vars(self.session.settings))), None)
        return self.session

    def open(self, key: str) -> str | None:
        """Switch to a saved session given by id (or a unique start of one) or by a file's path.

        Returns a note for the user when the session is not taken over as it is: it is open
        in another process, or comes from a file outside the sessions directory. Either way
        it continues as a copy with a new id, saved at once.
        """
        path = Path(key).expanduser()
        looks_like_id = "/" not in key and not path.suffix
        if looks_like_id and (self.store.has(key) or not path.exists()):
            path = self.store.find(key)  # an id wins over a same-named file in the current directory
        elif not (path.suffix == SUFFIX and path.resolve().parent == self.store.directory.resolve()):
            return self._copy_of(path, f"loaded {path.name} as a new session")
        if self.path is not None and path.resolve() == self.path.resolve():
            return None  # already the session in use (and locked by this very process)
        return self._open_path(path)

    def fork(self) -> Session:
        """Go on in a new session holding the branch in use; the one left stays saved as it is.

        What the requests so far cost stays with the session they were made in: counted once.
        """
        twin = self.session.copy(with_usage=False)
        if self.session.title:
            twin.rename(f"{self.session.title} (fork)")
        self._switch(twin, None)
        self.save()
        return twin

    def continue_last(self) -> str | None:
        """Open the session used last (written, or opened: opening counts as using it)."""
        return self._open_path(self.store.most_recent())

    def _open_path(self, path: Path) -> str | None:
        try:
            session_file, session = self.store.open(path)
        except SessionBusyError:
            return self._copy_of(path, f"session {path.stem} is open in another claudechat; continuing in a copy")
        self._switch(session, session_file)
        return None

    def _copy_of(self, path: Path, note: str) -> str:
        from claudechat.chat.session import new_session_id

        session = read_session_file(path).rebuilt()  # every branch of it
        session.id = new_session_id()
        self._switch(session, None)
        self.save()
        return f"{note}, {session.id}"

    def _switch(self, session: Session, session_file: SessionFile | None) -> None:
        try:
            self.save()  # the session being left keeps every turn, or the switch does not happen
        except BaseException:
            if session_file is not None:
                session_file.close()
            raise
        self.close()
        self.session = session
        self._file = session_file
        self._index_state = None  # another log: the index is told of it whole at its next save

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._index is not None:
            self._index.close()
            self._index = None


def _first_changed(session: Session) -> int:
    """The first message the pending records change (all of them for a new log)."""
    first = len(session.messages)
    for record in session.pending:
        if "op" not in record:  # the header of a new log
            return 0
        if record["op"] in ("messages", "branch"):
            first = min(first, record["keep"])
        elif record["op"] == "switch":
            return 0  # another line of the conversation: the index holds the one in use
    return first

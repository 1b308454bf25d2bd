"""The search index: every turn of every session in SQLite FTS5, derived from the session logs.

The logs stay the truth. The index records, for each log, the size and modification time it
was read at; anything that differs (a log written by an older claudechat, edited by hand,
opened, or whose index update failed) is read again before a search, found with one listing
of the sessions directory and an lstat a log (on a thread, while the search runs), without
reading the logs that did not change. A missing index, one of another schema
(`PRAGMA user_version`) or a damaged one is built again from the logs.

The chat updates the index right after each append to a log, for the turns that changed
(`SearchIndex.record`), and `claudechat sessions rm` drops what it deletes (`forget`). Several
claudechat processes share the file: WAL lets searches read while another process writes,
every change is one transaction, and a writer waits for another (`busy_timeout`) rather than
failing. A catch-up writes in short transactions so a chat's update is never kept waiting
long; a rebuild is written to a file of its own and copied in at the end (`_rebuild`).

Per turn (a user message and the answers to it) the index holds the user's text with the names
of what was attached (not the attachments' text), the answer's text (not its reasoning), the
turn's number, time and model, and the session's title.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from claudechat.chat.index_read import (
    DIGEST_MASK,
    IndexedTurn,
    LogTurns,
    indexed_turns,
    log_digest,
    log_hash,
    read_log,
    scan_logs,
)
from claudechat.chat.session import Session, SessionError
from claudechat.chat.search_hit import HIGHLIGHT_END, HIGHLIGHT_START, SearchHit
from claudechat.chat.search_query import SearchQuery, SearchQueryError
from claudechat.sanitize import sanitize

__all__ = [
    "HIGHLIGHT_END",
    "HIGHLIGHT_START",
    "SCHEMA",
    "IndexError_",
    "LogState",
    "SearchHit",
    "SearchIndex",
    "SyncReport",
    "index_path",
]

SCHEMA = 1  # PRAGMA user_version of the index this version writes
INDEX_NAME = "index.sqlite"
SUFFIX = ".jsonl"
SNIPPET_TOKENS = 24
WEIGHTS = (2.0, 1.0, 1.0)  # bm25 weights: title, user, answer (a title is in every turn of its session)
BATCH_BYTES = 16 << 20  # logs read per write transaction when catching up: a chat's update waits for one at most
BULK = 50  # logs to read for a catch-up to be written as a bulk load (unsynced until its end)
SEARCH_WAIT_MS = 10_000  # a search waits this long for another process's write
UPDATE_WAIT_MS = 1_000  # a turn's update gives up sooner: it must not hold the chat up
RANKED = 5_000  # the newest matching turns a search ranks
REBUILD_PREFIX = ".index-rebuild-"  # the new index a rebuild writes beside the old one

_TABLES = """
CREATE TABLE logs(
    id TEXT PRIMARY KEY,        -- the log's file name without .jsonl: what --resume finds
    size INTEGER NOT NULL,      -- the log as last read: size and modification time
    mtime_ns INTEGER NOT NULL,
    title TEXT,
    turns INTEGER NOT NULL DEFAULT 0,
    error TEXT                  -- why the log could not be read (it is read again when it changes)
) WITHOUT ROWID;
CREATE TABLE turns(
    id INTEGER PRIMARY KEY,     -- the rowid of the turn's text in turn_text
    session TEXT NOT NULL,
    turn INTEGER NOT NULL,      -- 1 for the first user message
    time REAL NOT NULL,
    model TEXT,
    UNIQUE(session, turn)
);
CREATE TABLE meta(
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL      -- 'digest': the sum of every log's hash as recorded (see log_hash)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE turn_text USING fts5(
    title, user, answer, tokenize = 'unicode61 remove_diacritics 2'
);
"""


class IndexError_(Exception):
    """The index could not be used; `transient` when waiting for another process timed out."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def index_path() -> Path:
    from claudechat.config import data_dir

    return data_dir() / INDEX_NAME


@dataclass(frozen=True)
class LogState:
    """A log's size and modification time: when either differs from the index's, it is read again."""

    size: int
    mtime_ns: int


@dataclass
class SyncReport:
    sessions: int = 0  # logs read
    turns: int = 0
    removed: int = 0  # sessions whose logs are gone
    skipped: list[str] = field(default_factory=list)  # why each damaged log was not indexed
    rebuilt: str | None = None  # why the index was built again from nothing


def _remove_abandoned_rebuilds(directory: Path) -> None:
    """Delete what rebuilds that were killed left behind (as big as the index): any not locked."""
    try:
        names = [name for name in os.listdir(directory) if name.startswith(REBUILD_PREFIX)]
    except OSError:
        return
    for name in names:
        try:
            descriptor = os.open(directory / name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.unlink(directory / name)
        except OSError:
            pass  # being built by another process
        finally:
            os.close(descriptor)


def _is_transient(exc: sqlite3.Error) -> bool:
    """Waiting for another process or a full disk: the index is fine, only behind."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and any(
        word in text for word in ("locked", "busy", "full", "disk i/o", "unable to open", "readonly")
    )


class SearchIndex:
    """The index file beside the sessions directory; opened on first use."""

    def __init__(self, path: Path | None = None, sessions: Path | None = None, *, wait_ms: int = SEARCH_WAIT_MS) -> None:
        from claudechat.chat.store import sessions_dir

        self.sessions = sessions_dir() if sessions is None else sessions
        self.path = (self.sessions.parent / INDEX_NAME) if path is None else path
        self.wait_ms = wait_ms
        self._db: sqlite3.Connection | None = None
        self.rebuilt: str | None = None  # why the last open started the index afresh

    # --- the connection ----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        from claudechat.files import PRIVATE_FILE, make_private_dir

        make_private_dir(self.path.parent, tighten=False)
        if not self.path.exists():
            # Made 0600 before SQLite opens it: its -wal and -shm files, which hold text of the
            # conversations too, are given the same mode.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE))
            os.chmod(self.path, PRIVATE_FILE)
        db = sqlite3.connect(self.path, timeout=self.wait_ms / 1000, isolation_level=None, check_same_thread=False)
        try:
            db.execute(f"PRAGMA busy_timeout = {int(self.wait_ms)}")
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")  # in WAL: durable at checkpoints, never corrupt
            self._ensure_schema(db)
        except BaseException:
            db.close()
            raise
        return db

    def _ensure_schema(self, db: sqlite3.Connection) -> None:
        if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA:
            return
        with self._writing(db):
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == SCHEMA:
                return  # another process made it meanwhile
            if version:
                self.rebuilt = f"it was written by another claudechat version (schema {version})"
            self._create_tables(db)

    @staticmethod
    def _create_tables(db: sqlite3.Connection) -> None:
        """Every table dropped and made again, empty: in a write transaction, far quicker than
        deleting each row (FTS5 would read every row's text again to delete it)."""
        for name, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall():
            if (sql or "").upper().startswith("CREATE VIRTUAL TABLE"):
                db.execute(f'DROP TABLE IF EXISTS "{name}"')  # names from the file itself, not the user
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall():
            db.execute(f'DROP TABLE IF EXISTS "{name}"')
        for statement in _TABLES.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO meta(key, value) VALUES('digest', 0)")
        db.execute(f"INSERT INTO turn_text(turn_text, rank) VALUES('rank', 'bm25({', '.join(map(str, WEIGHTS))})')")
        # Terms gathered in memory up to 16 MB before a segment is written (1 MB by default), and
        # segments merged 8 at a time (4): a third less work to build, as quick to search.
        db.execute("INSERT INTO turn_text(turn_text, rank) VALUES('hashsize', 16777216)")
        db.execute("INSERT INTO turn_text(turn_text, rank) VALUES('automerge', 8)")
        db.execute(f"PRAGMA user_version = {SCHEMA}")

    def _remove_files(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.unlink(f"{self.path}{suffix}")
            except FileNotFoundError:
                pass

    def _open(self) -> sqlite3.Connection:
        """The connection; a damaged index is replaced by an empty one, filled by `sync`."""
        if self._db is not None:
            return self._db
        try:
            if not self.path.exists():
                self.rebuilt = self.rebuilt or "there was none"
            self._db = self._connect()
        except sqlite3.Error as exc:
            if _is_transient(exc):
                raise IndexError_(f"the search index is busy or cannot be written: {exc}", transient=True) from None
            self._remove_files()
            self.rebuilt = f"it was damaged ({exc})"
            try:
                self._db = self._connect()
            except sqlite3.Error as again:
                raise IndexError_(f"cannot create the search index {self.path}: {again}", transient=False) from None
        except OSError as exc:
            raise IndexError_(f"cannot open the search index {self.path}: {exc.strerror or exc}", transient=True) from None
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @staticmethod
    @contextmanager
    def _writing(db: sqlite3.Connection) -> Iterator[None]:
        db.execute("BEGIN IMMEDIATE")  # the write lock now, so no other writer can slip in between
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def _guarded(self) -> Iterator[sqlite3.Connection]:
        """The connection, with SQLite's failures as IndexError_ (a damaged index is dropped first)."""
        db = self._open()
        try:
            yield db
        except sqlite3.Error as exc:
            transient = _is_transient(exc)
            if not transient:
                # Damaged: dropped, so that the next use starts afresh and `sync` fills it from the logs.
                self.close()
                self._remove_files()
            raise IndexError_(f"the search index failed: {exc}", transient=transient) from None

    # --- writing -----------------------------------------------------------------------

    @staticmethod
    def _drop_turns(db: sqlite3.Connection, session: str, first_turn: int = 1) -> None:
        db.execute(
            "DELETE FROM turn_text WHERE rowid IN (SELECT id FROM turns WHERE session = ? AND turn >= ?)",
            (session, first_turn),
        )
        db.execute("DELETE FROM turns WHERE session = ? AND turn >= ?", (session, first_turn))

    @staticmethod
    def _insert_turns(db: sqlite3.Connection, session: str, title: str | None, turns: Iterable[IndexedTurn]) -> int:
        count = 0
        shown_title = sanitize(title or "")
        for turn in turns:
            cursor = db.execute(
                "INSERT INTO turns(session, turn, time, model) VALUES (?, ?, ?, ?)",
                (session, turn.turn, turn.time, turn.model),
            )
            db.execute(
                "INSERT INTO turn_text(rowid, title, user, answer) VALUES (?, ?, ?, ?)",
                (cursor.lastrowid, shown_title, turn.user, turn.answer),
            )
            count += 1
        return count

    @staticmethod
    def _move_digest(db: sqlite3.Connection, key: str, old: tuple[int, int] | None, new: tuple[int, int] | None) -> None:
        """Keep the digest the sum of the recorded logs' hashes, as `scan_logs` sums the files'."""
        name = os.fsencode(key + SUFFIX)
        delta = (log_hash(name, *new) if new else 0) - (log_hash(name, *old) if old else 0)
        if delta:
            value = db.execute("SELECT value FROM meta WHERE key = 'digest'").fetchone()[0]
            db.execute("UPDATE meta SET value = ? WHERE key = 'digest'", ((value + delta) & DIGEST_MASK,))

    @classmethod
    def _set_log(cls, db: sqlite3.Connection, session: str, state: LogState, title: str | None, turns: int,
                 error: str | None = None) -> None:
        old = db.execute("SELECT size, mtime_ns FROM logs WHERE id = ?", (session,)).fetchone()
        db.execute(
            "INSERT OR REPLACE INTO logs(id, size, mtime_ns, title, turns, error) VALUES (?, ?, ?, ?, ?, ?)",
            (session, state.size, state.mtime_ns, title, turns, error),
        )
        cls._move_digest(db, session, old, (state.size, state.mtime_ns))

    @classmethod
    def _forget_log(cls, db: sqlite3.Connection, session: str, old: tuple[int, int]) -> None:
        cls._drop_turns(db, session)
        db.execute("DELETE FROM logs WHERE id = ?", (session,))
        cls._move_digest(db, session, old, None)

    def record(self, session: Session, path: Path, *, first_message: int = 0,
               expected: LogState | None = None) -> LogState:
        """After an append to `path`: index the turns from the one holding `first_message - 1` on.

        `expected` is the log's state this index was last told of by the caller; when the index
        holds another (it is behind, or was never told), the whole session is indexed again.
        Returns the state to expect next time. IndexError_ if the index cannot be written.
        """
        info = os.stat(path)
        state = LogState(info.st_size, info.st_mtime_ns)
        key = path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else session.id
        with self._guarded() as db, self._writing(db):
            row = db.execute("SELECT size, mtime_ns, title FROM logs WHERE id = ?", (key,)).fetchone()
            if expected is None or row is None or LogState(row[0], row[1]) != expected:
                first_message = 0
            turns = indexed_turns(session, first_message)
            first_turn = turns[0].turn if turns else session.turns + 1
            self._drop_turns(db, key, first_turn if first_message else 1)
            if first_message and row is not None and row[2] != session.title:
                db.execute(
                    "UPDATE turn_text SET title = ? WHERE rowid IN (SELECT id FROM turns WHERE session = ?)",
                    (sanitize(session.title or ""), key),
                )
            self._insert_turns(db, key, session.title, turns)
            self._set_log(db, key, state, session.title, session.turns)
        return state

    def forget(self, keys: Iterable[str]) -> int:
        """Drop the sessions `keys` (log names without .jsonl) whose logs were deleted; how many were indexed."""
        count = 0
        with self._guarded() as db, self._writing(db):
            for key in keys:
                row = db.execute("SELECT size, mtime_ns FROM logs WHERE id = ?", (key,)).fetchone()
                if row is not None:
                    self._forget_log(db, key, row)
                    count += 1
        return count

    def search_synced(self, query: SearchQuery, limit: int = 20,
                      progress: Callable[[int, int], None] | None = None) -> tuple[list[SearchHit], SyncReport]:
        """`search` of an index brought up to the logs, as `sync` then `search` would give.

        The sessions directory is listed on a thread while the index is searched: when the
        listing finds the logs as the index recorded them (the usual case) the hits stand;
        otherwise the index catches up and is searched again. A damaged index is dropped and
        built again from the logs, once.
        """
        try:
            return self._search_synced(query, limit, progress)
        except IndexError_ as exc:
            if exc.transient:
                raise
        return self._search_synced(query, limit, progress)

    def _search_synced(self, query: SearchQuery, limit: int,
                       progress: Callable[[int, int], None] | None) -> tuple[list[SearchHit], SyncReport]:
        import threading

        scanned: list[int | BaseException] = []

        def scan() -> None:
            try:
                scanned.append(log_digest(self.sessions))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                scanned.append(exc)

        lister = threading.Thread(target=scan, name="claudechat-scan", daemon=True)
        lister.start()
        try:
            hits = self.search(query, limit)
        finally:
            lister.join()
        if isinstance(scanned[0], BaseException):
            raise scanned[0]
        report = self.sync(progress, digest=scanned[0])
        if report.sessions or report.removed or report.skipped or report.rebuilt:
            hits = self.search(query, limit)
        return hits, report

    def sync(self, progress: Callable[[int, int], None] | None = None, *, rebuild: bool = False,
             digest: int | None = None) -> SyncReport:
        """Bring the index up to the logs: read the logs that changed, drop the ones gone.

        `rebuild` empties the index first, so every log is read. `progress(done, total)` is
        called as logs are read. A damaged log is skipped, its reason in the report. `digest`
        is `log_digest` of the sessions directory taken just before, when the caller has it:
        when it is the index's, nothing changed and the directory is not listed again.
        """
        report = SyncReport()
        with self._guarded() as db:
            report.rebuilt = self.rebuilt
            self.rebuilt = None
            if rebuild:
                self._rebuild(db, report, progress)
                return report
            recorded = db.execute("SELECT value FROM meta WHERE key = 'digest'").fetchone()[0]
            if digest == recorded:
                return report  # every log as the index last read it: the usual case, nothing more to do
            digest, found = scan_logs(self.sessions)
            if digest != recorded:
                self._catch_up(db, found, report, progress)
        return report

    def _rebuild(self, live: sqlite3.Connection, report: SyncReport,
                 progress: Callable[[int, int], None] | None) -> None:
        """Every log read into a new file beside the index, then copied over it in one transaction.

        Not by emptying the index and filling it again: dropping its tables reads every page to
        free it (at 1 GB of logs, 13 s of a 46 s rebuild), and meanwhile a search would find only
        what was read back so far. The new file is nobody else's, so it is written without a
        journal or syncs (deleted if the build fails); SQLite's backup then copies it into the
        index through the index's WAL, so other processes read the old index until the copy
        commits. A chat's update during the build is overwritten by the copy, but its log is
        then newer than the copy says, so the next search reads it again: nothing is lost.
        """
        import tempfile

        if live.execute("SELECT 1 FROM logs LIMIT 1").fetchone() is None:
            # Empty (new, or of another schema): nothing to drop, built in place.
            with self._writing(live):
                self._create_tables(live)
            self._catch_up(live, scan_logs(self.sessions)[1], report, progress)
            return
        page_size = int(live.execute("PRAGMA page_size").fetchone()[0])  # a WAL file's cannot change
        _remove_abandoned_rebuilds(self.path.parent)
        descriptor, name = tempfile.mkstemp(prefix=REBUILD_PREFIX, suffix=".sqlite", dir=self.path.parent)  # 0600
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # ours while it is built: a later rebuild leaves it alone
        try:
            fresh = sqlite3.connect(name, isolation_level=None)
            try:
                fresh.execute(f"PRAGMA page_size = {page_size}")
                fresh.execute("PRAGMA journal_mode = OFF")
                fresh.execute("PRAGMA synchronous = OFF")
                with self._writing(fresh):
                    self._create_tables(fresh)
                self._catch_up(fresh, scan_logs(self.sessions)[1], report, progress)
                fresh.backup(live)
            finally:
                fresh.close()
        finally:
            os.unlink(name)
            os.close(descriptor)
        live.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the copy went through the WAL: back into the file

    def _catch_up(self, db: sqlite3.Connection, found: list[tuple[bytes, int, int]], report: SyncReport,
                  progress: Callable[[int, int], None] | None) -> None:
        """Read the logs in `found` whose state differs from the index's; drop the ones gone."""
        known = {key: (size, mtime) for key, size, mtime in db.execute("SELECT id, size, mtime_ns FROM logs")}
        files = {os.fsdecode(name)[: -len(SUFFIX)]: (size, mtime) for name, size, mtime in found}
        gone = [key for key in known if key not in files]
        changed = [(key, state) for key, state in files.items() if known.get(key) != state]
        # Oldest first, so that rowids grow with time as a chat's new turns do (see `search`).
        changed.sort(key=lambda item: item[1][1])
        stale = [(key, self.sessions / f"{key}{SUFFIX}", LogState(*state)) for key, state in changed]
        if gone:
            with self._writing(db):
                for key in gone:
                    self._forget_log(db, key, known[key])
            report.removed = len(gone)
        if progress is not None:
            progress(0, len(stale))
        if len(stale) >= BULK:
            # Unsynced until the end, with a bigger cache: an index lost to a power cut is
            # built again from the logs, and syncing each batch would cost more than building.
            db.execute("PRAGMA synchronous = OFF")
            db.execute("PRAGMA cache_size = -65536")
        batch: list[tuple[str, LogState, LogTurns | str]] = []
        size = 0
        for done, (key, path, state) in enumerate(stale, 1):
            try:
                loaded: LogTurns | str = read_log(path)
                size += state.size
            except SessionError as err:
                loaded = str(err)
            batch.append((key, state, loaded))
            if size >= BATCH_BYTES or done == len(stale):
                self._write_batch(db, batch, known, report)
                batch, size = [], 0
            if progress is not None:
                progress(done, len(stale))
        if len(stale) >= BULK:
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _write_batch(self, db: sqlite3.Connection, batch: list[tuple[str, LogState, LogTurns | str]],
                     known: dict[str, tuple[int, int]], report: SyncReport) -> None:
        with self._writing(db):
            current = []
            for key, state, loaded in batch:
                row = db.execute("SELECT size, mtime_ns FROM logs WHERE id = ?", (key,)).fetchone()
                if row != known.get(key):
                    continue  # a chat indexed it meanwhile, from a newer state than this read
                if row is not None:
                    self._drop_turns(db, key)
                current.append((key, state, loaded))
            # Every delete before any insert: an FTS5 delete, even of nothing, first writes out
            # the terms gathered in memory, and a delete between each log's inserts would make a
            # rebuild write thousands of small segments, to be merged again.
            for key, state, loaded in current:
                if isinstance(loaded, str):
                    self._set_log(db, key, state, None, 0, loaded)
                    report.skipped.append(loaded)
                    continue
                turns = self._insert_turns(db, key, loaded.title, loaded.turns)
                self._set_log(db, key, state, loaded.title, turns)
                report.sessions += 1
                report.turns += turns

    # --- reading -----------------------------------------------------------------------

    def search(self, query: SearchQuery, limit: int = 20, *, snippets: bool = True) -> list[SearchHit]:
        """The sessions that match best (bm25 of their best turn), newest first among equals.

        Without `snippets` the hits' snippets are empty: a snippet of a prefix that stands for
        many words costs milliseconds a hit (`turn_snippet` makes one when it is shown)."""
        conditions = ["turn_text MATCH :match"]
        if query.model is not None:
            conditions.append("instr(lower(t.model), :model) > 0")
        if query.since is not None:
            conditions.append("t.time >= :since")
        if query.until is not None:
            conditions.append("t.time < :until")
        parameters = {"match": query.match, "model": query.model, "since": query.since, "until": query.until,
                      "ranked": RANKED - 1}
        where = " AND ".join(conditions)
        joined = "FROM turn_text JOIN turns AS t ON t.id = turn_text.rowid"
        # bm25 costs a few microseconds a matching turn: a word in every turn of 200,000 would take
        # most of a second. Only the newest RANKED matches are ranked (rowids grow with time: a
        # rebuild reads the logs oldest first, a chat's turns come after), found by walking the
        # matches newest first, which costs little; a rarer word is ranked over all its matches.
        # Without filters the newest matches are found in the full-text index alone, not joined.
        cut_from = joined if len(conditions) > 1 else "FROM turn_text"
        cut_query = f"SELECT turn_text.rowid {cut_from} WHERE {where} ORDER BY turn_text.rowid DESC LIMIT 1 OFFSET :ranked"
        # bm25() computed for each row and sorted by SQLite: FTS5's own `ORDER BY rank` costs twice as much.
        ranked_query = (
            f"SELECT t.id, t.session, t.turn, t.time, t.model, bm25(turn_text, {', '.join(map(str, WEIGHTS))}) AS score "
            f"{joined} WHERE {where} AND turn_text.rowid >= :cut ORDER BY score, t.time DESC"
        )
        with self._guarded() as db:
            try:
                cut = db.execute(cut_query, parameters).fetchone()
                cursor = db.execute(ranked_query, {**parameters, "cut": cut[0] if cut else 0})
                rows: list[tuple[int, str, int, float, str | None, float]] = []
                seen: set[str] = set()
                for row in cursor:  # the best turn of each session, in order
                    if row[1] not in seen:
                        seen.add(row[1])
                        rows.append(row)
                        if len(rows) == limit:
                            break
                cursor.close()
            except sqlite3.OperationalError as exc:
                if "fts5" in str(exc).lower() or "syntax" in str(exc).lower():
                    raise SearchQueryError(f"the search cannot be understood: {exc}",
                                           hint='quote phrases at both ends: "like this"') from None
                raise
            if not rows:
                return []
            marks = ",".join("?" * len(rows))
            texts = dict(
                db.execute(
                    f"SELECT rowid, snippet(turn_text, -1, ?, ?, '…', {SNIPPET_TOKENS}) FROM turn_text "
                    f"WHERE turn_text MATCH ? AND rowid IN ({marks})",
                    (HIGHLIGHT_START, HIGHLIGHT_END, query.match, *[row[0] for row in rows]),
                ).fetchall()
            ) if snippets else {}
            titles = dict(
                db.execute(f"SELECT id, title FROM logs WHERE id IN ({marks})", [row[1] for row in rows]).fetchall()
            )
        return [
            SearchHit(session, titles.get(session), turn, when, model, texts.get(rowid, ""))
            for rowid, session, turn, when, model, _ in rows
        ]

    def last_models(self, sessions: list[str]) -> dict[str, str | None]:
        """The model that answered the last turn of each of `sessions` that has a turn."""
        if not sessions:
            return {}
        marks = ",".join("?" * len(sessions))
        with self._guarded() as db:
            # SQLite takes a bare column from the row max() picked: the model of the last turn.
            return {session: model for session, model, _ in db.execute(
                f"SELECT session, model, max(turn) FROM turns WHERE session IN ({marks}) GROUP BY session", sessions)}

    def turn_snippet(self, query: SearchQuery, session: str, turn: int) -> str:
        """The snippet `search` would give of one turn for `query`; "" when it does not match."""
        with self._guarded() as db:
            row = db.execute(
                f"SELECT snippet(turn_text, -1, ?, ?, '…', {SNIPPET_TOKENS}) FROM turn_text WHERE turn_text MATCH ? "
                "AND rowid = (SELECT id FROM turns WHERE session = ? AND turn = ?)",
                (HIGHLIGHT_START, HIGHLIGHT_END, query.match, session, turn),
            ).fetchone()
        return row[0] if row else ""

    def counts(self) -> tuple[int, int]:
        """Sessions and turns in the index."""
        with self._guarded() as db:
            sessions = db.execute("SELECT count(*) FROM logs WHERE error IS NULL").fetchone()[0]
            turns = db.execute("SELECT count(*) FROM turns").fetchone()[0]
        return sessions, turns

    def listing(self) -> dict[str, tuple[str | None, int, str | None, int]]:
        """Every log the index holds: id -> (title, turns, why it could not be read, the log's
        modification time in ns when it was read); the latest modified first."""
        with self._guarded() as db:
            return {row[0]: row[1:] for row in
                    db.execute("SELECT id, title, turns, error, mtime_ns FROM logs ORDER BY mtime_ns DESC, id DESC")}

    def last_turn(self, session: str) -> IndexedTurn | None:
        """The session's last turn as indexed (its text sanitised when it was), None if it has none."""
        with self._guarded() as db:
            row = db.execute(
                "SELECT t.turn, t.time, t.model, x.user, x.answer FROM turns AS t JOIN turn_text AS x "
                "ON x.rowid = t.id WHERE t.session = ? ORDER BY t.turn DESC LIMIT 1",
                (session,),
            ).fetchone()
        return None if row is None else IndexedTurn(*row)

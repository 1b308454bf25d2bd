"""Writing files so that a crash, a full disk or a rival process never leaves half a file.

Shared by the config file, sessions and transcripts. Errors are plain `OSError`s; each caller
turns them into its own one-line message.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PRIVATE_FILE", "PRIVATE_DIR", "write_atomically", "fsync_dir", "make_private_dir"]

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in `directory` durable (where directories can be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def make_private_dir(directory: Path, *, tighten: bool = True) -> None:
    """Create `directory` 0700 (parents as the umask says); with `tighten`, narrow an existing one.

    A symbolic link in its place is refused: files written there would land wherever it points.
    """
    created = not directory.exists()
    if directory.is_symlink():
        raise OSError(f"{directory} is a symbolic link")
    directory.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if created or tighten:
        try:
            os.chmod(directory, PRIVATE_DIR)  # mkdir's mode went through the umask
        except OSError:
            pass


def write_atomically(path: Path, data: bytes, *, mode: int = PRIVATE_FILE, overwrite: bool = True) -> None:
    """Write `data` as the whole of `path`: a temporary file, flushed and synced, then renamed.

    With `overwrite=False` an existing file is never replaced, even one created a moment ago by
    another process (FileExistsError). A symbolic link at `path` is refused either way.
    """
    if path.is_symlink():
        raise OSError(f"{path} is a symbolic link; refusing to replace it")
    directory = path.parent
    temp = directory / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_BINARY", 0), mode)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)  # exactly `mode`, whatever the umask
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(temp, path)
        else:
            os.link(temp, path)  # fails if `path` exists: no window for a rival to lose its file
    finally:
        temp.unlink(missing_ok=True)
    fsync_dir(directory)

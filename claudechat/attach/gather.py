"""Paths, folders and globs into a message's attachments: all of them, or none and one line why.

In two steps, so that a caller can ask before reading a big folder: `plan` finds the files
each path names (nothing is read yet; a name that matches nothing is refused here), and
`Plan.read` reads them, leaves out what a folder holds besides text files, and checks the
total against the share of the context window one message may fill.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from claudechat.attach.blocks import file_block
from claudechat.attach.budget import Budget, default_estimator
from claudechat.attach.expand import Expansion, expand
from claudechat.attach.reading import Skipped, read_file
from claudechat.chat.attachments import Attachment, AttachmentError, TextAttachment
from claudechat.chat.estimate import TokenEstimator
from claudechat.paths import message_path

__all__ = ["MAX_FOLDER_FILES", "Gathered", "Plan", "plan", "TooManyFiles"]

MAX_FOLDER_FILES = 200  # more, from one folder or glob, only when the user says so

_LEFT_OUT = {  # why a folder's file was left out → how a note names it
    "binary": ("binary file", "binary files"),
    "image": ("image", "images"),
    "pdf": ("PDF", "PDFs"),
    "special": ("link to a folder or special file", "links to folders or special files"),
    "unreadable": ("unreadable file", "unreadable files"),
}


class TooManyFiles(AttachmentError):
    """A folder or glob names more files than are attached without asking."""

    def __init__(self, name: str, count: int) -> None:
        super().__init__(
            f"{message_path(name, 200)} holds {count:,} files, more than the {MAX_FOLDER_FILES} attached without asking",
            hint="name the files or a narrower glob",
        )
        self.name = name
        self.count = count


@dataclass
class Gathered:
    attachments: list[Attachment]
    warnings: list[str] = field(default_factory=list)  # text that was not UTF-8
    notes: list[str] = field(default_factory=list)  # what folders left out
    tokens: int = 0  # estimated, of these attachments and those they were checked with


@dataclass
class Plan:
    expansions: list[Expansion]

    @property
    def crowded(self) -> list[tuple[str, int]]:
        """The folders and globs naming more than MAX_FOLDER_FILES files: (name, count)."""
        return [(item.name, len(item.files)) for item in self.expansions if len(item.files) > MAX_FOLDER_FILES]

    def refuse_crowded(self) -> None:
        for name, count in self.crowded:
            raise TooManyFiles(name, count)

    def read(
        self,
        *,
        budget: Budget | None = None,
        estimator: TokenEstimator | None = None,
        already: Sequence[Attachment] = (),
    ) -> Gathered:
        """Read every file; `budget` holds them, with those `already` pending, to their share."""
        gathered = Gathered([])
        seen: dict[tuple[int, int], str] = {}  # device and inode → the name it was attached by
        for expansion in self.expansions:
            _read_expansion(expansion, gathered, seen)
        estimator = estimator or default_estimator()
        if budget is not None:
            gathered.tokens = budget.check([*already, *gathered.attachments], estimator)
        return gathered


def plan(specs: Sequence[str]) -> Plan:
    """What `specs` (paths, folders, globs as typed) name; an `AttachmentError` for one naming nothing."""
    return Plan([expand(spec) for spec in specs])


def _read_expansion(expansion: Expansion, gathered: Gathered, seen: dict[tuple[int, int], str]) -> None:
    in_group = expansion.folder or expansion.glob
    attached: list[TextAttachment] = []
    listed: list[str] = []  # what the folder brings, those attached before it included
    left_out: Counter[str] = Counter()
    for name, path in expansion.files:
        try:
            result = read_file(path, name, in_folder=in_group)
        except Skipped as skipped:
            left_out[skipped.reason] += 1
            continue
        if result.identity in seen:  # named before (rarely: it is read twice to know)
            listed.append(seen[result.identity])
            continue
        seen[result.identity] = name
        listed.append(name)
        gathered.warnings += result.warnings
        if isinstance(result.attachment, TextAttachment):
            attached.append(result.attachment)
        else:
            gathered.attachments.append(result.attachment)
            if result.attachment.note:  # an image scaled down to fit: said, not hidden
                gathered.notes.append(result.attachment.note)
    shown = message_path(expansion.name, 200)
    if in_group and not listed:
        if expansion.glob and not expansion.files:
            raise AttachmentError(f"cannot attach {shown}: no files match", hint=".gitignore'd files are left out")
        raise AttachmentError(
            f"cannot attach {shown}: no text files in it",
            hint="binary files, images, PDFs and what .gitignore excludes are left out of folders",
        )
    missed = _left_out_words(left_out)
    if missed:
        gathered.notes.append(f"left out of {shown}: {missed}")
    if expansion.folder:
        gathered.attachments.append(_listing(expansion.name, listed, attached, missed))
    gathered.attachments += attached


def _left_out_words(left_out: Counter[str]) -> str:
    words = []
    for reason, (one, many) in _LEFT_OUT.items():
        count = left_out.get(reason, 0)
        if count:
            words.append(f"{count} {one if count == 1 else many}")
    return ", ".join(words)


def _listing(name: str, listed: list[str], files: list[TextAttachment], missed: str) -> TextAttachment:
    """The folder's list of files, sent before them, so the model sees its shape first."""
    import hashlib

    count = len(listed)
    heading = f"{name} (folder: {count} file{'s' if count != 1 else ''}, each in a block of its own"
    heading += f"; left out: {missed})" if missed else ")"
    listing = "".join(f"{file}\n" for file in listed)
    return TextAttachment(
        name=name,
        text=file_block(heading, listing),
        kind="folder",
        size=sum(attachment.size for attachment in files),
        sha256=hashlib.sha256(listing.encode("utf-8", "surrogateescape")).hexdigest(),
    )

"""Where the Markdown files users write live: the user's config folder and the project's.

A kind of file (`commands`, `roles`) has a folder of that name in the user's config directory
and in `.claudechat/` of the project: the working directory or the nearest parent holding
`.claudechat/`. Cheap to call (a stat per level of the path), so callers may ask again
whenever they look.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PROJECT_DIR", "project_dir", "user_and_project_folders"]

PROJECT_DIR = ".claudechat"


def project_dir(start: Path | None = None) -> Path | None:
    """`.claudechat` of the nearest of `start` (the working directory) and its parents holding one."""
    start = Path.cwd() if start is None else start
    for directory in (start, *start.parents):
        if os.path.isdir(directory / PROJECT_DIR):
            return directory / PROJECT_DIR
    return None


def user_and_project_folders(kind: str, *, user_dir: Path | None = None, start: Path | None = None) -> list[tuple[str, Path]]:
    """[("user", its folder), ("project", its folder)], the project's only where there is one and
    it is not the user's; in that order, so that what is read last (the project's) wins."""
    if user_dir is None:
        from claudechat.dirs import config_dir

        user_dir = config_dir() / kind
    folders = [("user", user_dir)]
    project = project_dir(start)
    if project is not None and project / kind != user_dir:
        folders.append(("project", project / kind))
    return folders

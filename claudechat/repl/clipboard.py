"""Copying text to the clipboard: through the terminal (OSC 52) and the system's own tool.

OSC 52 asks the terminal emulator to set the clipboard, so it works over SSH and inside tmux
(with `set-clipboard on`); terminals that ignore it do no harm. Where a clipboard program is
available (wl-copy, xclip, xsel, pbcopy, clip.exe, or tmux's own buffer) it is used as well.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping

__all__ = ["osc52", "system_clipboard_commands", "copy_text"]

OSC52_LIMIT = 100_000  # bytes of base64 most terminals accept in one sequence


def osc52(text: str) -> str | None:
    """The escape sequence that puts `text` on the clipboard, or None when it is too long."""
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    if len(encoded) > OSC52_LIMIT:
        return None
    return f"\x1b]52;c;{encoded}\x07"


def system_clipboard_commands(env: Mapping[str, str]) -> list[list[str]]:
    """Clipboard programs that can work in this environment, best first."""
    candidates: list[tuple[bool, list[str]]] = [
        (bool(env.get("WAYLAND_DISPLAY")), ["wl-copy"]),
        (bool(env.get("DISPLAY")), ["xclip", "-selection", "clipboard"]),
        (bool(env.get("DISPLAY")), ["xsel", "--clipboard", "--input"]),
        (True, ["pbcopy"]),
        (True, ["clip.exe"]),
        (bool(env.get("TMUX")), ["tmux", "load-buffer", "-w", "-"]),
    ]
    return [command for usable, command in candidates if usable and shutil.which(command[0], path=env.get("PATH"))]


def copy_text(text: str, write_terminal: Callable[[str], None], env: Mapping[str, str] | None = None) -> list[str]:
    """Copy `text` every way available; the names of the ways that took it."""
    env = os.environ if env is None else env
    ways = []
    sequence = osc52(text)
    if sequence is not None:
        write_terminal(sequence)
        ways.append("terminal (OSC 52)")
    for command in system_clipboard_commands(env):
        try:
            subprocess.run(
                command,
                input=text.encode("utf-8"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=5,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        ways.append(command[0])
        break  # one system clipboard is enough
    return ways

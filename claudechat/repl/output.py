"""The terminal output prompt_toolkit draws the input line with.

prompt_toolkit's own, but erasing the way the live region does: its plain ED at the top-left
corner (the prompt on the top row, after `clear` or Ctrl-L) is a clear-screen to tmux, which
would push the prompt and its toolbar into the scrollback each time the line is accepted.
"""

from __future__ import annotations

import sys

from prompt_toolkit.output import ColorDepth
from prompt_toolkit.output.vt100 import Vt100_Output
from prompt_toolkit.utils import get_bell_environment_variable, get_term_environment_variable

from claudechat.render.live import ERASE_DOWN

__all__ = ["prompt_output"]


class _Output(Vt100_Output):
    def erase_down(self) -> None:
        # prompt_toolkit erases only from column 0, where ERASE_DOWN leaves the cursor.
        self.write_raw(ERASE_DOWN)


def prompt_output() -> Vt100_Output:
    return _Output.from_pty(
        sys.stdout,
        term=get_term_environment_variable(),
        default_color_depth=ColorDepth.from_env(),
        enable_bell=get_bell_environment_variable(),
    )

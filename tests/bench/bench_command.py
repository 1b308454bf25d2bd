"""A shell command writing 23 MB through `!COMMAND`, against the same command piped into cat.

claudechat reads the pipe, shows the first megabyte (to a null terminal here), keeps the first
and last half megabyte and hashes all of it; `cat > /dev/null` is the least any reader of the
pipe can do. The ratio says whether claudechat slows a chatty command down: past the cap it
must only drain.
"""

from __future__ import annotations

import asyncio
import os
import subprocess

from tests.bench.common import Row, clock, median

COMMAND = "seq 1 3000000"  # 22.9 MB of short lines
RUNS = 5
TARGET_RATIO = 2.0


def _baseline() -> float:
    started = clock()
    subprocess.run(["/bin/sh", "-c", f"{COMMAND} | cat > /dev/null"], check=True)
    return clock() - started


def _claudechat() -> float:
    from rich.console import Console

    from claudechat.attach.command import MAX_OUTPUT_BYTES, CommandRun
    from claudechat.render.command import CommandView
    from claudechat.render.screen import Screen

    async def run() -> None:
        with open(os.devnull, "w") as null:
            view = CommandView(Screen(Console(file=null, width=100, height=30)), limit=MAX_OUTPUT_BYTES)
            runner = CommandRun(COMMAND, view.output, shell=["/bin/sh", "-c"])

            async def frames() -> None:
                while True:
                    view.frame()
                    await asyncio.sleep(1 / 25)

            drawing = asyncio.create_task(frames())
            result = await runner.run()
            drawing.cancel()
            view.finish()
            assert result.returncode == 0 and result.cut > 0

    started = clock()
    asyncio.run(run())
    return clock() - started


def run() -> list[Row]:
    _claudechat()  # imports and caches warmed
    ours = median([_claudechat() for _ in range(RUNS)])
    base = median([_baseline() for _ in range(RUNS)])
    ratio = ours / base
    return [
        Row(
            "!command, 23 MB of output",
            f"{ours * 1000:.0f} ms",
            f"{base * 1000:.0f} ms (| cat)",
            f"{ratio:.2f}x",
            f"<= {TARGET_RATIO}x",
            ratio <= TARGET_RATIO,
        )
    ]


if __name__ == "__main__":
    from tests.bench.common import print_table

    print_table(run())

"""Run every benchmark and print one table: `python -m tests.bench`."""

from __future__ import annotations

import sys

from tests.bench import (
    bench_attach,
    bench_command,
    bench_complete,
    bench_context,
    bench_decode,
    bench_huge,
    bench_paced,
    bench_picker,
    bench_prompt,
    bench_render,
    bench_search,
    bench_session,
    bench_shell_completion,
    bench_startup,
)
from tests.bench.common import print_table


def main() -> int:
    rows = []
    # quick, quiet ones first
    for bench in (
        bench_startup, bench_shell_completion, bench_prompt, bench_session, bench_context, bench_decode, bench_attach, bench_command,
        bench_render, bench_complete, bench_huge, bench_paced, bench_search, bench_picker,
    ):
        print(f"running {bench.__name__.rsplit('.', 1)[-1]} ...", file=sys.stderr, flush=True)
        rows += bench.run()
    print_table(rows)
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

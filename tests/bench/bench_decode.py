"""Decoding a 60 KB answer sent as 15,000 four-character deltas, against a minimal httpx loop.

Both run in this process against the same double in another process; the baseline is the
least a client can do (read lines, parse JSON, keep the text), so the ratio is the price of
the full decoder: WHATWG rules, typed events, errors checked.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from claudechat.api import ChatClient, ChatRequest, ResultBuilder
from tests.bench.common import DoubleProcess, Row, clock, median
from tests.bench.corpus import markdown_answer

SIZE = 60_000
DELTA = 4
RUNS = 7
TARGET_RATIO = 1.3
TOKEN = "bench-token"
BODY = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "go"}], "stream": True}


async def baseline(url: str) -> str:
    parts: list[str] = []
    headers = {"authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(timeout=60) as client:
        async with client.stream("POST", url + "/chat/completions", json=BODY, headers=headers) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    data = line[6:]
                    if data == "[DONE]":
                        break
                    for choice in json.loads(data)["choices"]:
                        text = choice["delta"].get("content")
                        if text:
                            parts.append(text)
    return "".join(parts)


async def claudechat(url: str) -> str:
    builder = ResultBuilder()
    request = ChatRequest(model=BODY["model"], messages=BODY["messages"])
    async with ChatClient(url, TOKEN, timeout=60) as client:
        async for event in client.stream(request):
            builder.add(event)
    return builder.result().content


def _measure(function, url: str) -> tuple[float, float, str]:  # type: ignore[no-untyped-def]
    cpu, wall = time.process_time(), clock()
    text = asyncio.run(function(url))
    return clock() - wall, time.process_time() - cpu, text


LONG_LINE_MB = 16


def _long_line_seconds(decode: Callable[[list[bytes]], int]) -> float:
    """CPU time for `decode` to turn one 16 MB `data:` line, in 16 KB reads, into its text."""
    reads = [b"data: "] + [b"x" * 16384] * (LONG_LINE_MB * 64) + [b"\n\n"]
    started = time.process_time()
    length = decode(reads)
    elapsed = time.process_time() - started
    assert length == LONG_LINE_MB << 20
    return elapsed


def _claudechat_long_line(reads: list[bytes]) -> int:
    from claudechat.api.sse import SSEDecoder

    decoder = SSEDecoder()
    events = [event for read in reads for event in decoder.feed(read)]
    return len(events[0].data)


def _least_long_line(reads: list[bytes]) -> int:
    """The least any decoder does: keep the reads, join them once, decode, cut the line."""
    text = b"".join(reads).decode("utf-8")
    return len(text.split("\n", 1)[0]) - len("data: ")


def long_line_row() -> Row:
    """A server that never ends a line: the decoder's cost must stay linear in its length."""
    ours = median([_long_line_seconds(_claudechat_long_line) for _ in range(RUNS)])
    least = median([_long_line_seconds(_least_long_line) for _ in range(RUNS)])
    ratio = ours / least
    return Row(  # re-joining the line on every read, as it once did, cost over 100 times as much
        f"decode one {LONG_LINE_MB} MB line in 16 KB reads, CPU (median of {RUNS})",
        f"{ours * 1000:.0f} ms",
        f"join once {least * 1000:.0f} ms",
        f"{ratio:.1f}x",
        "<= 4x",
        ratio <= 4,
    )


def run() -> list[Row]:
    answer = markdown_answer(SIZE)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "answer.md"
        source.write_text(answer, encoding="utf-8")
        with DoubleProcess("--token", TOKEN, "--content-file", str(source), "--delta-size", str(DELTA)) as double:
            samples: dict[str, list[tuple[float, float]]] = {"baseline": [], "claudechat": []}
            for function in (baseline, claudechat):  # warm-up, and check both decode the same text
                assert _measure(function, double.url)[2] == answer, function.__name__
            for _ in range(RUNS):
                for name, function in (("baseline", baseline), ("claudechat", claudechat)):
                    wall, cpu, _ = _measure(function, double.url)
                    samples[name].append((wall, cpu))
    wall = {name: median([w for w, _ in values]) for name, values in samples.items()}
    cpu = {name: median([c for _, c in values]) for name, values in samples.items()}
    deltas = SIZE // DELTA
    ratio = wall["claudechat"] / wall["baseline"]
    cpu_ratio = cpu["claudechat"] / cpu["baseline"]
    return [
        Row(
            f"decode {SIZE // 1000} KB as {deltas:,} deltas, wall (median of {RUNS})",
            f"{wall['claudechat'] * 1000:.0f} ms",
            f"httpx+json loop {wall['baseline'] * 1000:.0f} ms",
            f"{ratio:.2f}x",
            f"<= {TARGET_RATIO}x",
            ratio <= TARGET_RATIO,
        ),
        Row(
            f"decode {SIZE // 1000} KB as {deltas:,} deltas, client CPU",
            f"{cpu['claudechat'] * 1000:.0f} ms",
            f"httpx+json loop {cpu['baseline'] * 1000:.0f} ms",
            f"{cpu_ratio:.2f}x",
            "(info)",
            True,
        ),
        long_line_row(),
    ]

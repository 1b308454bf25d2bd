"""A realistic Markdown answer of any size: headings, prose, nested lists, code, tables, quotes.

Generated deterministically so every run measures the same bytes.
"""

from __future__ import annotations

import random

_WORDS = (
    "the server returns a stream of chunks and each chunk carries a small delta of text that the "
    "client appends to the answer while the terminal shows what has arrived so far without "
    "flicker because finished blocks are committed once and only the tail is redrawn at a "
    "bounded rate which keeps the cost of each frame small even when the answer is long"
).split()

_CODE = '''def retry(operation, attempts=3, delay=0.5):
    """Call operation until it succeeds or attempts run out."""
    for attempt in range(attempts):
        try:
            return operation()
        except ConnectionError as error:
            if attempt == attempts - 1:
                raise
            time.sleep(delay * 2 ** attempt)
'''


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 18))]
    if rng.random() < 0.3:
        words[rng.randrange(len(words))] = f"`{rng.choice(_WORDS)}()`"
    if rng.random() < 0.3:
        words[rng.randrange(len(words))] = f"**{rng.choice(_WORDS)}**"
    return " ".join(words).capitalize() + "."


def _section(rng: random.Random, number: int) -> str:
    parts = [f"## Part {number}: {' '.join(rng.choice(_WORDS) for _ in range(3))}\n"]
    parts.append(" ".join(_sentence(rng) for _ in range(rng.randint(3, 6))) + "\n")
    items = []
    for item in range(rng.randint(3, 5)):
        items.append(f"- {_sentence(rng)}")
        for sub in range(rng.randint(0, 2)):
            items.append(f"  - {_sentence(rng)}")
            if rng.random() < 0.3:
                items.append(f"    1. {_sentence(rng)}")
    parts.append("\n".join(items) + "\n")
    parts.append("```python\n" + _CODE * rng.randint(1, 3) + "```\n")
    rows = ["| step | what happens | cost |", "|------|--------------|------|"]
    for row in range(rng.randint(3, 6)):
        rows.append(f"| {row + 1} | {' '.join(rng.choice(_WORDS) for _ in range(5))} | {rng.randint(1, 99)} ms |")
    parts.append("\n".join(rows) + "\n")
    parts.append("> " + _sentence(rng) + "\n> " + _sentence(rng) + "\n")
    return "\n".join(parts)


def markdown_answer(size: int, seed: int = 7) -> str:
    """About `size` characters of Markdown (cut at a section boundary, then padded with prose)."""
    rng = random.Random(seed)
    sections = ["# A long answer\n\n" + _sentence(rng) + "\n"]
    total = len(sections[0])
    number = 1
    while total < size:
        section = _section(rng, number)
        sections.append(section)
        total += len(section) + 1
        number += 1
    return "\n".join(sections)[:size].rstrip() + "\n"

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


# --- a code-heavy answer ------------------------------------------------------------------------
#
# Long fenced blocks are where a streaming renderer is slowest: a block stays open (and live) for
# thousands of characters, and its highlighting depends on what came before the visible rows (a
# Python docstring opened above them). Each block is about 5 KB, in a language of its own.

_CODE_BLOCK_SIZE = 5_000


def _python_unit(rng: random.Random, number: int) -> str:
    name = f"{rng.choice(_WORDS)}_{number}"
    doc = "\n".join(f"    {_sentence(rng)}" for _ in range(rng.randint(4, 9)))
    return (
        f"def {name}(stream, limit={rng.randint(2, 64)}, *, strict=False):\n"
        f'    """{_sentence(rng)}\n\n{doc}\n\n'
        f"    Returns the number of chunks read, at most ``limit``.\n"
        f'    """\n'
        f"    count = 0\n"
        f"    for chunk in stream:\n"
        f"        if strict and not chunk.strip():\n"
        f'            raise ValueError(f"empty chunk after {{count}} of {{limit}}")\n'
        f"        count += len(chunk) // {rng.randint(2, 9)}  # {rng.choice(_WORDS)} {rng.choice(_WORDS)}\n"
        f"        if count >= limit:\n"
        f"            break\n"
        f"    return count\n\n\n"
    )


def _rust_unit(rng: random.Random, number: int) -> str:
    word = rng.choice(_WORDS).capitalize()
    return (
        f"/// {_sentence(rng)}\n"
        f"#[derive(Debug, Clone, PartialEq)]\n"
        f"pub struct {word}{number}<'a> {{\n"
        f"    name: &'a str,\n"
        f"    sizes: Vec<u{rng.choice((8, 16, 32, 64))}>,\n"
        f"}}\n\n"
        f"impl<'a> {word}{number}<'a> {{\n"
        f"    pub fn total(&self) -> Result<u64, String> {{\n"
        f"        let mut sum: u64 = 0;\n"
        f"        for (i, size) in self.sizes.iter().enumerate() {{\n"
        f"            match *size as u64 {{\n"
        f"                0 => return Err(format!(\"empty at {{}} in {{}}\", i, self.name)),\n"
        f"                n if n > {rng.randint(100, 999)} => sum += n / 2, // {rng.choice(_WORDS)}\n"
        f"                n => sum += n,\n"
        f"            }}\n"
        f"        }}\n"
        f"        Ok(sum)\n"
        f"    }}\n"
        f"}}\n\n"
    )


def _json_unit(rng: random.Random, number: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(4)]
    return (
        f'  "{words[0]}_{number}": {{\n'
        f'    "id": {rng.randint(1000, 99999)},\n'
        f'    "label": "{" ".join(words)}",\n'
        f'    "enabled": {rng.choice(("true", "false"))},\n'
        f'    "ratio": {rng.random():.4f},\n'
        f'    "tags": ["{words[1]}", "{words[2]}", "{words[3]}"],\n'
        f'    "limits": {{"min": {rng.randint(0, 9)}, "max": {rng.randint(10, 999)}, "unit": null}}\n'
        f"  }},\n"
    )


def _shell_unit(rng: random.Random, number: int) -> str:
    path = "/".join(rng.choice(_WORDS) for _ in range(3))
    lines = [f"$ ls -l src/{path}", f"total {rng.randint(8, 96)}"]
    for _ in range(rng.randint(3, 6)):
        lines.append(
            f"-rw-r--r-- 1 dev dev {rng.randint(100, 99999):>6} Mar {rng.randint(1, 28):>2} 10:{rng.randint(10, 59)} "
            f"{rng.choice(_WORDS)}_{number}.py"
        )
    lines.append(f"$ grep -rn '{rng.choice(_WORDS)}' src/{path} | head -3")
    for _ in range(3):
        lines.append(f"src/{path}/{rng.choice(_WORDS)}.py:{rng.randint(1, 400)}:    {_sentence(rng)}")
    lines.append("$ echo $?\n0")
    return "\n".join(lines) + "\n"


def _json_block(rng: random.Random) -> str:
    units, number = [], 0
    while sum(map(len, units)) < _CODE_BLOCK_SIZE:
        units.append(_json_unit(rng, number))
        number += 1
    return "{\n" + "".join(units).rstrip(",\n") + "\n}\n"


def _code_block(rng: random.Random, language: str) -> str:
    """A fenced block of about `_CODE_BLOCK_SIZE` characters."""
    if language == "json":
        return f"```json\n{_json_block(rng)}```\n"
    unit = {"python": _python_unit, "rust": _rust_unit, "console": _shell_unit}[language]
    # A module docstring first: several lines of prose inside a string, as a file starts.
    parts = ['"""' + "\n".join(_sentence(rng) for _ in range(6)) + '\n"""\n\nimport time\n\n\n'] if language == "python" else []
    number = 0
    while sum(map(len, parts)) < _CODE_BLOCK_SIZE:
        parts.append(unit(rng, number))
        number += 1
    return f"```{language}\n{''.join(parts).rstrip()}\n```\n"


def code_heavy_answer(size: int, seed: int = 11) -> str:
    """About `size` characters of prose and ~5 KB fenced code blocks (Python, Rust, JSON, shell)."""
    rng = random.Random(seed)
    languages = ("python", "rust", "json", "console")
    parts = ["# Code, mostly\n\n" + _sentence(rng) + "\n"]
    total = len(parts[0])
    number = 0
    while total < size:
        prose = f"## Step {number + 1}\n\n" + " ".join(_sentence(rng) for _ in range(rng.randint(2, 5))) + "\n"
        part = prose + "\n" + _code_block(rng, languages[number % len(languages)])
        parts.append(part)
        total += len(part) + 1
        number += 1
    return "\n".join(parts)[:size].rstrip() + "\n"

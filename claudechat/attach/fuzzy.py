"""Fuzzy matching of paths, scored the way fzf scores them.

A query matches a path when its characters appear in the path in order (a subsequence). Among
the matches, the score prefers, as fzf does (its `src/algo/algo.go` explains the choices):
characters at the start of a path segment or of a word in it (after `/`, `_`, `-`, `.`, a
space, a camelCase hump or the first digit), the first query character most of all; runs of
consecutive characters; few and short gaps. The constants are fzf's, with its "path" scheme
(`/` is the delimiter, the start of the path counts as coming after one). Equal scores go to the
match that lies in the file name (fzf's `pathname` tiebreak), then to the shorter path.

fzf's v2 finds the best-scoring alignment with an O(n·m) dynamic programme: fine in Go, far too
slow in Python for 50,000 paths a keystroke. This scores the few alignments that win in
practice: the leftmost and its shortest window (fzf's v1), and ones starting in the file name
or where the first query character begins a word, in which each later character continues a
run, or else starts a word if one comes soon, or else comes first. Libraries were weighed:
rapidfuzz measures edit distances (no subsequences, no bonus for the start of a file name),
pfzy is a pure-Python fzy whose DP costs more still, fzf is a program to run rather than a
library. Case is smart: a query with a capital letter matches case.

Speed (`Ranker`): scoring costs microseconds a path in Python, so a keystroke scores a bounded
number of them. `PathList` keeps bitsets (Python ints) of the paths holding each character and
of those whose file name starts with it: ANDing them narrows 50,000 paths in microseconds to
those holding every query character. Few left: all are scored. Otherwise, when enough file
names start with the whole query, the answer is known without scoring (each scores the most
there is: the shortest win); else the real matches among the shallowest of them are found
with a regular expression in C-level loops, and the likeliest are scored: file names starting
with the most of the query, then with its first character, paths with a folder starting with
it, file names holding the query, then the rest, shallowest first. A quick one-alignment score
of those picks the few that get every alignment.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import compress, islice, repeat
from operator import contains

__all__ = ["PathList", "Ranker", "fuzzy_score", "lower_same_length"]

SCORE_MATCH = 16
SCORE_GAP_START = -3
SCORE_GAP_EXTENSION = -1
BONUS_BOUNDARY = SCORE_MATCH // 2  # a word starts here: cancelled by a gap of about 8
BONUS_NON_WORD = SCORE_MATCH // 2
BONUS_CAMEL = BONUS_BOUNDARY + SCORE_GAP_EXTENSION  # camelCase and letter123 humps
BONUS_CONSECUTIVE = -(SCORE_GAP_START + SCORE_GAP_EXTENSION)
BONUS_DELIMITER = BONUS_BOUNDARY + 1  # a word after "/" (or the start of the path)
FIRST_CHAR_MULTIPLIER = 2

SCORE_LIMIT = 300  # paths scored per keystroke at most; see the module's notes
_RESCORED = 30  # beyond the limit shown, paths scored in full after a first quick score
_SCANNED = 6_000  # paths holding the query's characters tested per keystroke, the shallowest
_STARTS_TRIED = 4  # word starts of the first query character tried as alignments
_OCCURRENCES_SEEN = 16  # occurrences of the first query character looked at for them
_WORD_PROBES = 4  # occurrences of a later query character looked at for one starting a word

_WHITE, _NON_WORD, _DELIMITER, _LOWER, _UPPER, _LETTER, _NUMBER = range(7)


def _class_of(char: str) -> int:
    if char == "/":
        return _DELIMITER
    if char.islower():
        return _LOWER
    if char.isupper():
        return _UPPER
    if char.isdigit():
        return _NUMBER
    if char.isalpha():
        return _LETTER
    if char.isspace():
        return _WHITE
    return _NON_WORD


def _bonus_for(previous: int, current: int) -> int:
    if current > _NON_WORD:
        if previous == _DELIMITER:
            return BONUS_DELIMITER
        if previous in (_WHITE, _NON_WORD):
            return BONUS_BOUNDARY
    if (previous == _LOWER and current == _UPPER) or (previous != _NUMBER and current == _NUMBER):
        return BONUS_CAMEL
    if current in (_NON_WORD, _DELIMITER, _WHITE):
        return BONUS_NON_WORD
    return 0


# The bonus of a character given the one before it, by the pair of them: one dictionary look-up
# in the scoring loop. Filled as pairs are met (as many as distinct pairs in file names).
_PAIRS: dict[str, int] = {}


def _learn(pair: str) -> int:
    bonus = _PAIRS[pair] = _bonus_for(_class_of(pair[0]), _class_of(pair[1]))
    return bonus


def _pair_bonus(pair: str) -> int:
    bonus = _PAIRS.get(pair)
    return _learn(pair) if bonus is None else bonus


def lower_same_length(text: str) -> str:
    """`text` in lowercase, character for character (a few letters lengthen when lowered)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := char.lower()) == 1 else char for char in text)


def _run(hay: str, text: str, query: str, at: int, *, words: bool = False) -> tuple[int, int] | None:
    """Score a match of `query` whose first character is at `at`: (score, last position).

    fzf's calculateScore, computed while matching: characters in `hay`, bonuses from `text`.
    Each next character is the leftmost one; with `words`, a character that continues a run
    is taken first, else one that starts a word within the next few, when the rest of the
    query still fits after it (what fzf's dynamic programme finds: "reqthr" in
    "request_throttle" is "req" and "_thr", not the t of "request").
    """
    pairs = _PAIRS
    find = hay.find
    pair = text[at - 1 : at + 1] if at else "/" + text[0]
    bonus = pairs.get(pair)
    if bonus is None:
        bonus = _learn(pair)
    score = SCORE_MATCH + bonus * FIRST_CHAR_MULTIPLIER
    first_bonus = bonus
    previous = at
    for number in range(1, len(query)):
        char = query[number]
        if words and hay.startswith(char, previous + 1):
            at = previous + 1
        else:
            at = find(char, previous + 1)
            if at < 0:
                return None
            if words:
                at = _word_start(hay, query, number, at)
        pair = text[at - 1 : at + 1]
        bonus = pairs.get(pair)
        if bonus is None:
            bonus = _learn(pair)
        if at == previous + 1:
            if bonus >= BONUS_BOUNDARY and bonus > first_bonus:
                first_bonus = bonus  # a word starting inside a run starts a new chunk
            bonus = max(bonus, first_bonus, BONUS_CONSECUTIVE)
        else:
            score += SCORE_GAP_START + (at - previous - 2) * SCORE_GAP_EXTENSION
            first_bonus = bonus
        score += SCORE_MATCH + bonus
        previous = at
    return score, previous


def _word_start(hay: str, query: str, number: int, at: int) -> int:
    """The first of the next few occurrences of query[number] from `at` that starts a word, if
    the rest of the query fits after it; else `at`."""
    char = query[number]
    find = hay.find
    probe = at
    for _ in range(_WORD_PROBES):
        if _pair_bonus(hay[probe - 1 : probe + 1]) >= BONUS_BOUNDARY:
            if probe == at:
                return at
            rest = probe
            for later in query[number + 1 :]:
                rest = find(later, rest + 1)
                if rest < 0:
                    return at
            return probe
        probe = find(char, probe + 1)
        if probe < 0:
            break
    return at


def _best(hay: str, text: str, query: str, name_start: int) -> tuple[int, bool] | None:
    """The best score of `query` in `text` (searched in `hay`), and whether it lies in the file name.

    The alignments tried: the leftmost, and the shortest window ending where it ends (fzf's
    v1); the first one in the file name; those starting at the first few word starts.
    """
    first = query[0]
    find = hay.find
    start = find(first)
    if start < 0:
        return None
    leftmost = _run(hay, text, query, start)
    if leftmost is None:
        return None
    score, end = leftmost
    best = (score, start >= name_start)
    tried: set[int] = set()
    at = end + 1
    rfind = hay.rfind
    for char in reversed(query):  # fzf v1's backward scan
        at = rfind(char, start, at)
    starts = [at]
    if name_start > start:
        starts.append(find(first, name_start))
    at = start
    boundaries = 0
    for _ in range(_OCCURRENCES_SEEN):
        at = find(first, at + 1)
        if at < 0:
            break
        if _pair_bonus(hay[at - 1 : at + 1]) >= BONUS_BOUNDARY:  # in hay: no camelCase humps, rarely missed
            starts.append(at)
            boundaries += 1
            if boundaries == _STARTS_TRIED:
                break
    starts.append(start)
    for at in starts:
        if at < 0 or at in tried:
            continue
        tried.add(at)
        found = _run(hay, text, query, at, words=True)
        if found is None:
            continue
        best = max(best, (found[0], at >= name_start))
    return best


def _quick(hay: str, text: str, query: str, name_start: int) -> int | None:
    """The score of one alignment: from the first character's first place in the file name, or
    (when the query does not fit there) in the path."""
    at = hay.find(query[0], name_start)
    found = _run(hay, text, query, at, words=True) if at >= 0 else None
    if found is None:
        at = hay.find(query[0])
        found = _run(hay, text, query, at, words=True) if at >= 0 else None
    return None if found is None else found[0]


def _name_start(path: str) -> int:
    end = len(path) - 1 if path.endswith("/") else len(path)
    return path.rfind("/", 0, end) + 1


def _case_sensitive(query: str) -> bool:
    return query != lower_same_length(query)


def fuzzy_score(query: str, path: str) -> int | None:
    """The score of `query` against `path` (higher is better), or None when it does not match."""
    if not query:
        return 0
    if _case_sensitive(query):
        found = _best(path, path, query, _name_start(path))
    else:
        found = _best(lower_same_length(path), path, lower_same_length(query), _name_start(path))
    return None if found is None else found[0]


# --- bitsets -----------------------------------------------------------------------------------

_BITS_OF_BYTE = [tuple(bit for bit in range(8) if value >> bit & 1) for value in range(256)]


def _members(mask: int) -> Iterator[int]:
    """The indices of the bits set in `mask`, lowest first."""
    data = mask.to_bytes((mask.bit_length() + 7) // 8, "little")
    for number, byte in enumerate(data):
        if byte:
            base = number << 3
            for bit in _BITS_OF_BYTE[byte]:
                yield base + bit


class _Bitmaps(dict[str, bytearray]):
    """A bitmap of `capacity` bits per key, made at its first use; set bits with `bitmap[i >> 3] |= ...`."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.size = capacity // 8 + 1

    def __missing__(self, key: str) -> bytearray:
        bitmap = self[key] = bytearray(self.size)
        return bitmap

    def mask(self, key: str) -> int:
        bitmap = self.get(key)
        return 0 if bitmap is None else int.from_bytes(bitmap, "little")


class PathList:
    """Paths prepared once for matching: lowercase forms, where file names start, bitsets.

    Holds at most `capacity` paths. Filled by one thread while another reads it: readers look
    only at the first `count` entries, and `count` grows once an entry is whole.
    """

    __slots__ = ("paths", "lowers", "name_starts", "count", "capacity", "_chars", "_name_firsts")

    def __init__(self, capacity: int) -> None:
        self.paths: list[str] = []
        self.lowers: list[str] = []
        self.name_starts: list[int] = []
        self.count = 0
        self.capacity = capacity
        self._chars = _Bitmaps(capacity)  # paths holding the character (lowercase)
        self._name_firsts = _Bitmaps(capacity)  # paths whose file name starts with it

    def append(self, path: str) -> bool:
        """Add `path`; False (and nothing added) when the list is full or the path empty."""
        index = self.count
        if index >= self.capacity or not path:
            return False
        lower = lower_same_length(path)
        start = _name_start(path)
        self.paths.append(path)
        self.lowers.append(path if lower == path else lower)  # one string where they agree
        self.name_starts.append(start)
        byte, bit = index >> 3, 1 << (index & 7)
        chars = self._chars
        for char in set(lower):
            chars[char][byte] |= bit
        self._name_firsts[lower[start]][byte] |= bit
        self.count = index + 1
        return True

    def holding(self, chars: Iterable[str], count: int) -> int:
        """The bitset of the first `count` paths that hold every one of `chars` (lowercase)."""
        mask = (1 << count) - 1
        for char in chars:
            mask &= self._chars.mask(char)
            if not mask:
                break
        return mask

    def name_first(self, char: str) -> int:
        return self._name_firsts.mask(char)


def _subsequence(query: str, *, within_name: bool = False) -> re.Pattern[str]:
    # "a[^b]*b[^c]*c": each class stops at the first next character, so no backtracking.
    # Within a file name no "/" may come between them.
    parts = [re.escape(query[0])]
    for char in query[1:]:
        escaped = re.escape(char)
        parts.append(f"[^{escaped}/]*{escaped}" if within_name else f"[^{escaped}]*{escaped}")
    return re.compile("".join(parts))


class Ranker:
    """Ranks the paths of a `PathList` for a query. Not thread-safe: one thread asks."""

    def __init__(self, paths: PathList, *, score_limit: int = SCORE_LIMIT) -> None:
        self.paths = paths
        self.score_limit = score_limit
        # The last query whose matches were tested: (query, paths listed then, the matches
        # among those tested as a bitset, the first index not tested). A query that only grew
        # need test nothing else among them.
        self._tested: tuple[str, int, int, int] | None = None

    def rank(self, query: str, limit: int) -> list[int]:
        """Indices into the list of the best matches of `query`, best first, at most `limit`."""
        paths = self.paths
        count = paths.count
        if not query:
            return list(range(min(count, limit)))  # the list is shallowest first
        sensitive = _case_sensitive(query)
        lowered = lower_same_length(query)
        hay = paths.paths if sensitive else paths.lowers
        needle = query if sensitive else lowered
        holding = paths.holding(set(lowered), count)
        if not holding:
            return []
        if holding.bit_count() <= self.score_limit:
            return self._scored(needle, hay, _members(holding), limit)
        known, chosen = self._likeliest(needle, lowered[0], hay, holding, limit)
        return chosen if known else self._scored(needle, hay, chosen, limit)

    def _scored(self, needle: str, hay: list[str], chosen: Iterable[int], limit: int) -> list[int]:
        texts, starts = self.paths.paths, self.paths.name_starts
        chosen = list(chosen)
        if len(chosen) > limit + _RESCORED:
            # One alignment each first (the likeliest: from the file name on), then every
            # alignment for the best of them only.
            quick = []
            for index in chosen:
                found = _quick(hay[index], texts[index], needle, starts[index])
                if found is not None:
                    quick.append((-found, len(texts[index]), index))
            chosen = [entry[-1] for entry in heapq.nsmallest(limit + _RESCORED, quick)]
        scored = []
        for index in chosen:
            found = _best(hay[index], texts[index], needle, starts[index])
            if found is not None:
                score, in_name = found
                path = texts[index]
                scored.append((-score, not in_name, len(path), path, index))
        return [entry[-1] for entry in heapq.nsmallest(limit, scored)]

    def _likeliest(self, needle: str, first: str, hay: list[str], holding: int, limit: int) -> tuple[bool, list[int]]:
        """(True, the answer) when it is known without scoring, else (False, the paths to score)."""
        paths = self.paths
        starts = paths.name_starts
        texts = paths.paths
        budget = self.score_limit
        strings = partial(map, hay.__getitem__)
        name_starts = partial(map, starts.__getitem__)
        names_first = list(_members(paths.name_first(first) & holding))
        whole_name = list(compress(names_first, map(str.startswith, strings(names_first), repeat(needle),
                                                    name_starts(names_first))))
        if len(whole_name) >= limit:
            # Each scores the most a match can: the shortest paths are the best ones.
            return True, heapq.nsmallest(limit, whole_name, key=lambda index: (len(texts[index]), texts[index]))
        # The real matches among the (shallowest) paths holding the characters, in C-level loops.
        tested = self._tested
        if tested is not None and needle.startswith(tested[0]) and tested[1] == paths.count:
            _, _, matches, untested = tested
            holding = (holding & matches) | (holding >> untested << untested)
        members = list(islice(_members(holding), _SCANNED))
        matching = list(compress(members, map(_subsequence(needle).search, strings(members))))
        untested = members[-1] + 1 if len(members) == _SCANNED else paths.count
        self._tested = (needle, paths.count, _bitset(matching), untested)
        if len(matching) <= budget:
            return False, matching
        in_name = _subsequence(needle, within_name=True)
        from_name_start = list(compress(names_first, map(in_name.match, strings(names_first), name_starts(names_first))))
        groups = (
            # in the file name, from its start: those starting with more of the query first
            *(compress(from_name_start, map(str.startswith, strings(from_name_start), repeat(needle[:length]),
                                            name_starts(from_name_start)))
              for length in range(len(needle) - 1, 1, -1)),
            iter(from_name_start),
            # from the start of a folder's name
            compress(matching, map(contains, strings(matching), repeat("/" + needle[0]))),
            # in the file name
            compress(matching, map(in_name.search, strings(matching), name_starts(matching))),
            iter(matching),  # the rest, shallowest first
        )
        chosen = dict.fromkeys(whole_name)
        for passed in groups:
            chosen.update(dict.fromkeys(islice(passed, budget - len(chosen))))
            if len(chosen) >= budget:
                break
        return False, list(chosen)


def _bitset(indices: list[int]) -> int:
    """The bitset of `indices` (ascending)."""
    if not indices:
        return 0
    data = bytearray(indices[-1] // 8 + 1)
    for index in indices:
        data[index >> 3] |= 1 << (index & 7)
    return int.from_bytes(data, "little")

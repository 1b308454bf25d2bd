"""Fuzzy path matching: fzf's scoring, and the ranking that keeps a keystroke cheap on big trees."""

from __future__ import annotations

import random

import pytest

from claudechat.attach.fuzzy import PathList, Ranker, fuzzy_score


def ranked(paths: list[str], query: str, limit: int = 50, **options: int) -> list[str]:
    listed = PathList(len(paths) + 1)
    for path in paths:
        listed.append(path)
    return [listed.paths[index] for index in Ranker(listed, **options).rank(query, limit)]


def test_a_subsequence_matches_and_anything_else_does_not() -> None:
    assert fuzzy_score("smp", "src/main.py") is not None
    assert fuzzy_score("spm", "src/main.py") is None
    assert fuzzy_score("", "src/main.py") == 0
    assert fuzzy_score("main.py.x", "src/main.py") is None


@pytest.mark.parametrize(
    ("query", "better", "worse"),
    [
        # fzf's own examples (src/algo/algo.go): word starts beat a shorter match...
        ("ff", "fuzzy-finder", "fuzzyfinder"),
        # ...a consecutive run beats a word start that breaks it...
        ("foob", "foobar", "foo-bar"),
        # ...and a run's bonus comes from where it starts.
        ("oob", "out-of-bound", "foobar"),
        # The first character at a word start counts most.
        ("br", "fo-bar", "foob-r"),
        # The start of a file name or folder name beats the middle of a word.
        ("mai", "src/main.py", "src/domain.py"),
        # A later character is taken where a word starts, not merely where it comes first.
        ("reqthr", "lib/request_throttle.py", "lib/report/query_theme.rs"),
        # camelCase humps are word starts.
        ("fb", "FooBar.java", "fabric.java"),
    ],
)
def test_scores_prefer_what_fzf_prefers(query: str, better: str, worse: str) -> None:
    assert fuzzy_score(query, better) > fuzzy_score(query, worse)


def test_case_is_smart() -> None:
    assert fuzzy_score("readme", "README.md") is not None  # lowercase: any case
    assert fuzzy_score("README", "README.md") is not None
    assert fuzzy_score("README", "readme.md") is None  # a capital: case matters
    assert ranked(["Makefile", "makefile.bak"], "Make") == ["Makefile"]


def test_letters_that_lengthen_when_lowered_keep_positions_right() -> None:
    # "İ".lower() is two characters: positions must still fall on the same letters.
    assert fuzzy_score("main", "İstanbul/main.py") == fuzzy_score("main", "Istanbul/main.py")


def test_ranking_puts_the_file_name_first_then_the_shorter_path() -> None:
    paths = [
        "docs/maintenance/notes.md",  # "mai" starts a folder's name, not the file's
        "src/domain.py",  # in the middle of a word
        "src/main.py",
        "main/",  # the folder itself: shortest
        "tests/unit/main_test.py",
    ]
    assert ranked(paths, "mai") == ["main/", "src/main.py", "tests/unit/main_test.py", "docs/maintenance/notes.md",
                                    "src/domain.py"]


def test_an_empty_query_lists_in_listing_order() -> None:
    assert ranked(["b/", "a.txt", "b/c.txt"], "", limit=2) == ["b/", "a.txt"]


def test_at_most_limit_are_returned() -> None:
    assert len(ranked([f"file{number}.txt" for number in range(200)], "file", limit=50)) == 50


def _big_tree(count: int, seed: int = 7) -> list[str]:
    words = "main app config utils server client parser render model view request response handler".split()
    rng = random.Random(seed)
    paths = set()
    while len(paths) < count:
        folders = "/".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
        paths.add(f"{folders}/{'_'.join(rng.sample(words, 2))}.py")
    return sorted(paths, key=lambda path: (path.count("/"), path))


def test_a_big_list_finds_the_best_match_though_only_some_are_scored() -> None:
    paths = _big_tree(20_000)
    target = "server/handlers/request_throttle.py"  # "throttle" is no word of the others
    paths.insert(15_000, target)  # deep in the list
    for typed in ("reqthr", "reqthro", "rthrottle", "throttle"):
        assert ranked(paths, typed, limit=5, score_limit=200)[0] == target, typed


def test_when_the_answer_is_known_without_scoring_it_is_the_shortest_name_matches() -> None:
    paths = _big_tree(5_000)
    best = ranked(paths, "par", limit=10, score_limit=50)  # hundreds of names start with "par"
    exact = ranked(paths, "par", limit=10, score_limit=100_000)  # every match scored
    assert best == exact
    assert all(path.rsplit("/", 1)[-1].startswith("par") for path in best)


def test_a_list_still_filling_is_ranked_as_far_as_it_goes() -> None:
    listed = PathList(10)
    ranker = Ranker(listed)
    listed.append("a/readme.md")
    assert [listed.paths[index] for index in ranker.rank("read", 5)] == ["a/readme.md"]
    listed.append("readme.md")
    assert [listed.paths[index] for index in ranker.rank("read", 5)] == ["readme.md", "a/readme.md"]


def test_a_full_list_takes_no_more() -> None:
    listed = PathList(2)
    assert listed.append("a") and listed.append("b")
    assert not listed.append("c")
    assert listed.count == 2


def test_typing_letter_by_letter_ranks_as_asking_afresh() -> None:
    paths = _big_tree(20_000, seed=3)
    listed = PathList(len(paths))
    for path in paths:
        listed.append(path)
    typing = Ranker(listed, score_limit=100)
    for query in ("rsp", "respmodel", "Reh"):  # the last: a capital, so case matters
        for typed in range(1, len(query) + 1):
            fresh = Ranker(listed, score_limit=100)
            assert typing.rank(query[:typed], 20) == fresh.rank(query[:typed], 20), query[:typed]

"""Edges of one chunk: parts of content, reasoning in its shapes, ids, error objects, bad JSON."""

from __future__ import annotations

import json

import pytest

from claudechat.api.chunks import ChunkParser, events_from_completion
from claudechat.api.errors import MalformedStreamError, StreamError
from claudechat.api.events import ContentDelta, ReasoningDelta, RefusalDelta, ResponseInfo


def parse(chunk: object) -> list:
    return ChunkParser().parse(json.dumps(chunk))


def delta(**fields: object) -> list:
    return parse({"choices": [{"index": 0, "delta": fields}]})


def content(*parts: object) -> list:
    return delta(content=list(parts))


# --------------------------------------------------------------------------------------
# Content as a list of parts
# --------------------------------------------------------------------------------------


def test_plain_strings_among_parts_are_text():
    assert content("one ", {"type": "text", "text": "two"}) == [ContentDelta(0, "one "), ContentDelta(0, "two")]


@pytest.mark.parametrize(
    "part",
    [
        {"type": "output_text", "text": "unknown kind"},
        {"type": "image_url", "image_url": {"url": "http://x"}},
        {"type": "text", "text": ""},
        {"type": "text", "text": 5},
        {"type": "text"},
        {"type": "thinking", "thinking": 5},
        7,
        None,
        ["nested"],
    ],
)
def test_parts_that_carry_no_text_give_no_event_and_stop_nothing(part):
    assert content(part, "after") == [ContentDelta(0, "after")]


@pytest.mark.parametrize("kind", ["thinking", "reasoning", "reasoning.text", "reasoning.summary"])
@pytest.mark.parametrize("key", ["text", "thinking", "reasoning", "summary"])
def test_reasoning_parts_give_their_text_under_any_key(kind, key):
    assert content({"type": kind, key: "why"}) == [ReasoningDelta(0, "why")]


def test_a_reasoning_part_made_of_parts_joins_them():
    part = {"type": "thinking", "thinking": ["a", {"text": "b"}, 3, None, {"summary": ["c", "d"]}]}

    assert content(part) == [ReasoningDelta(0, "abcd")]


def test_reasoning_nested_three_deep_is_read_and_deeper_is_not():
    reached = {"type": "thinking", "thinking": [{"thinking": ["deep"]}]}
    too_deep = {"type": "thinking", "thinking": [{"thinking": [{"text": "deeper"}]}]}

    assert content(reached) == [ReasoningDelta(0, "deep")]
    assert content(too_deep, "after") == [ContentDelta(0, "after")]


def test_reasoning_details_join_their_reasoning_entries():
    details = ["not an entry", {"type": "reasoning.text", "text": "one "}, {"type": "other", "text": "no"},
               {"type": "reasoning.summary", "summary": "two"}, 4]

    assert delta(reasoning_details=details) == [ReasoningDelta(0, "one two")]


# --------------------------------------------------------------------------------------
# A delta's fields
# --------------------------------------------------------------------------------------


def test_content_with_one_more_field_still_gives_that_field():
    assert delta(content="text", reasoning_content="why") == [ReasoningDelta(0, "why"), ContentDelta(0, "text")]
    assert delta(content="text", refusal="no") == [RefusalDelta(0, "no"), ContentDelta(0, "text")]


@pytest.mark.parametrize("refusal", ["", None, 0, {"text": "x"}, ["x"]])
def test_a_refusal_that_is_not_text_gives_no_event(refusal):
    assert delta(content="text", refusal=refusal) == [ContentDelta(0, "text")]


# --------------------------------------------------------------------------------------
# The response's id and model
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "info"),
    [
        ({"id": "c-1"}, ResponseInfo("c-1", None)),
        ({"model": "m"}, ResponseInfo(None, "m")),
        ({"id": "c-1", "model": "m"}, ResponseInfo("c-1", "m")),
        ({"id": "", "model": 5}, ResponseInfo(None, None)),
    ],
)
def test_the_first_chunk_with_an_id_or_a_model_reports_them_once(fields, info):
    parser = ChunkParser()

    first = parser.parse(json.dumps({**fields, "choices": []}))
    second = parser.parse(json.dumps({"id": "c-2", "model": "n", "choices": []}))

    assert first == [info]
    assert second == []


def test_a_chunk_with_neither_reports_nothing_and_the_next_one_still_can():
    parser = ChunkParser()

    assert parser.parse(json.dumps({"choices": []})) == []
    assert parser.parse(json.dumps({"model": "m", "choices": []})) == [ResponseInfo(None, "m")]


# --------------------------------------------------------------------------------------
# Error objects among chunks
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chunk",
    [
        {"object": "chat.completion.chunk", "success": False, "choices": []},
        {"object": "chat.completion.chunk", "type": "error", "message": "m", "choices": []},
        {"object": "error", "message": "m"},
        {"object": "Error", "message": "m"},
    ],
)
def test_an_error_object_is_an_error_whatever_else_the_chunk_says(chunk):
    with pytest.raises(StreamError):
        parse(chunk)


@pytest.mark.parametrize(
    "chunk",
    [
        {"object": "chat.completion.chunk", "success": True, "type": "chunk", "choices": []},
        {"object": "chat.completion", "choices": []},
        {"object": 5, "choices": []},
        {"choices": [], "x_groq": {"id": "req"}},
    ],
)
def test_a_chunk_that_only_looks_unusual_is_no_error(chunk):
    assert parse(chunk) == []


def test_an_error_object_without_words_says_there_are_none():
    with pytest.raises(StreamError) as caught:
        parse({"error": {"code": "api_error"}})

    assert str(caught.value) == "the server stopped the answer with an error (api_error: no details given)"
    assert caught.value.events == []


def test_a_whole_answer_that_is_an_error_object_is_the_error():
    with pytest.raises(StreamError) as caught:
        events_from_completion({"error": {"message": "quota exceeded", "code": "quota"}})

    assert caught.value.code == "quota"
    assert caught.value.events == []


# --------------------------------------------------------------------------------------
# What is not a chunk
# --------------------------------------------------------------------------------------


def test_a_chunk_that_is_not_json_is_quoted_in_80_characters():
    data = "{" + "x" * 200

    with pytest.raises(MalformedStreamError) as caught:
        ChunkParser().parse(data)

    assert caught.value.message == f"the server sent a chunk that is not valid JSON: {data[:79] + '…'!r}"
    assert caught.value.hint == "what arrived is shown; try again"


def test_a_chunk_that_is_not_an_object_is_quoted_in_80_characters():
    chunk = ["y" * 200]

    with pytest.raises(MalformedStreamError) as caught:
        parse(chunk)

    assert caught.value.message == f"the server sent a chunk that is not a JSON object: {repr(chunk)[:79]}…"


def test_a_choice_that_is_not_an_object_is_quoted_in_80_characters():
    choice = "z" * 200

    with pytest.raises(MalformedStreamError) as caught:
        parse({"choices": [choice]})

    assert caught.value.message == f"the server sent a choice that is not an object: {repr(choice)[:79]}…"


def test_choices_that_are_not_a_list_are_named_as_such():
    with pytest.raises(MalformedStreamError) as caught:
        parse({"choices": {"index": 0}})

    assert caught.value.message == "the server sent `choices` that is not a list"


def test_a_finish_reason_of_error_ends_the_answer_keeping_what_the_chunk_said():
    with pytest.raises(StreamError) as caught:
        parse({"choices": [{"index": 0, "delta": {"content": "last"}, "finish_reason": "error"}]})

    assert str(caught.value) == (
        'the server stopped the answer with an error (error: the answer ended with finish reason "error" and no details)'
    )
    assert [type(event).__name__ for event in caught.value.events] == ["ContentDelta", "FinishReason"]

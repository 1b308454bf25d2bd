"""Edges of what servers send: which code an error is shown with, and `choices` of the wrong shape."""

from __future__ import annotations

import json

import pytest

from claudechat.api.chunks import ChunkParser, events_from_completion
from claudechat.api.errors import MalformedStreamError, StreamError, error_details, error_from_response
from claudechat.api.events import ContentDelta, FinishReason
from claudechat.api.reader import StreamReader


def stream_error(chunk: dict) -> StreamError:
    with pytest.raises(StreamError) as caught:
        ChunkParser().parse(json.dumps(chunk))
    return caught.value


# --------------------------------------------------------------------------------------
# The code an error is shown with
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chunk", "code"),
    [
        ({"error": {"type": "overloaded_error", "message": "Overloaded"}}, "overloaded_error"),
        ({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, "overloaded_error"),
        ({"error": {"error_type": "rate_limited", "message": "slow"}}, "rate_limited"),
        ({"error": {"type": "error", "error_type": "upstream", "message": "m"}}, "upstream"),
        ({"error": {"code": 500, "type": "server_error", "message": "m"}}, "server_error"),
        ({"error": {"code": "500", "type": "server_error", "message": "m"}}, "server_error"),
        ({"error": {"code": "invalid_token", "type": "auth_error", "message": "m"}}, "invalid_token"),
        ({"error": {"code": 503, "message": "m"}}, "503"),
        ({"error": {"code": "429", "message": "m"}}, "429"),
        ({"error": {"message": "m", "metadata": {"error_type": "provider_down"}}}, "provider_down"),
        ({"error": {"message": "m"}, "error_type": "outer_kind"}, "outer_kind"),
        ({"object": "error", "type": "BadRequestError", "message": "m"}, "BadRequestError"),
    ],
)
def test_an_error_in_a_stream_keeps_the_most_telling_code(chunk, code):
    error = stream_error(chunk)

    assert error.code == code
    assert f"({code}: " in str(error)


@pytest.mark.parametrize(
    "chunk",
    [
        {"object": "error", "type": "error", "message": "m"},
        {"error": {"type": "error", "message": "m"}},
        {"error": {"code": None, "type": "None", "message": "m"}},
        {"error": {"code": True, "message": "m"}},
        {"error": {"code": " ", "type": "null", "message": "m"}},
    ],
)
def test_an_error_with_no_telling_code_is_shown_without_one(chunk):
    error = stream_error(chunk)

    assert error.code is None
    assert "(error: m)" in str(error)


def test_an_event_named_error_keeps_the_code_of_its_type():
    reader = StreamReader(1 << 20)

    events, failure = reader.feed(
        b'event: error\ndata: {"error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n'
    )

    assert events == []
    assert isinstance(failure, StreamError)
    assert failure.code == "overloaded_error"
    assert "Overloaded" in str(failure)


def test_an_error_status_with_a_typed_body_keeps_the_type_as_its_code():
    body = json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}).encode()

    error = error_from_response(529, {}, body)

    assert error.code == "overloaded_error"
    assert "529 overloaded_error: Overloaded" in str(error)


def test_error_details_of_a_bare_word_have_no_code():
    details = error_details({"error": "model not loaded"})

    assert (details.code, details.message) == (None, "model not loaded")


# --------------------------------------------------------------------------------------
# `choices` of the wrong shape
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("choices", [{"index": 0, "delta": {"content": "x"}}, "x", 3, True])
def test_choices_that_are_not_a_list_are_refused_in_a_stream(choices):
    with pytest.raises(MalformedStreamError, match="`choices` that is not a list"):
        ChunkParser().parse(json.dumps({"id": "c", "choices": choices}))


@pytest.mark.parametrize("choices", [{"0": {"message": {"content": "x"}}}, "x"])
def test_choices_that_are_not_a_list_are_refused_in_a_whole_answer(choices):
    with pytest.raises(MalformedStreamError, match="`choices` that is not a list"):
        events_from_completion({"id": "c", "object": "chat.completion", "choices": choices})


@pytest.mark.parametrize("choices", [None, []])
def test_choices_absent_null_or_empty_are_no_error(choices):
    chunk = {"id": "c", "model": "m", "choices": choices}

    events = ChunkParser().parse(json.dumps(chunk))

    assert not any(isinstance(event, (ContentDelta, FinishReason)) for event in events)


def test_an_error_chunk_with_choices_of_the_wrong_shape_is_the_error():
    error = stream_error({"error": {"code": "api_error", "message": "upstream failed"}, "choices": "x"})

    assert error.code == "api_error"
    assert "upstream failed" in str(error)


@pytest.mark.parametrize("choice", ["text", 1, None, ["a"]])
def test_a_choice_that_is_not_an_object_is_refused(choice):
    with pytest.raises(MalformedStreamError, match="a choice that is not an object"):
        ChunkParser().parse(json.dumps({"choices": [choice]}))

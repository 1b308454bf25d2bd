"""Edges of one streamed body: `[DONE]`, events named `error`, bodies with no events, and bounds."""

from __future__ import annotations

import json

import pytest

from claudechat.api.errors import APIError, IncompleteStreamError, StreamError
from claudechat.api.events import ContentDelta
from claudechat.api.reader import ERROR_BODY_LIMIT, StreamReader, answer_too_large


def read(*pieces: bytes, limit: int = 1 << 24) -> tuple[list, APIError | None]:
    """Every event of the body and the error that ended it (from a read or at the end)."""
    reader = StreamReader(limit)
    events: list = []
    for piece in pieces:
        batch, failure = reader.feed(piece)
        events += batch
        if failure is not None:
            return events, failure
    batch, failure = reader.close()
    return events + batch, failure


def texts(events: list) -> str:
    return "".join(event.text for event in events if isinstance(event, ContentDelta))


def test_done_ends_an_answer_that_sent_no_finish_reason():
    reader = StreamReader(1 << 20)

    batch, failure = reader.feed(b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\ndata: [DONE]\n\n')

    assert (texts(batch), failure) == ("a", None)
    assert reader.done is True
    assert reader.finished is True
    assert reader.close() == ([], None)


def test_events_after_done_are_not_read():
    events, failure = read(b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\ndata: [DONE]\n\n'
                           b'data: {"choices":[{"index":0,"delta":{"content":"late"}}]}\n\n')

    assert (texts(events), failure) == ("a", None)


def test_a_stream_ending_without_finish_reason_or_done_is_incomplete():
    events, failure = read(b'data: {"choices":[{"index":0,"delta":{"content":"half"}}]}\n\n')

    assert texts(events) == "half"
    assert isinstance(failure, IncompleteStreamError)
    assert failure.message == "the stream ended before the answer was finished (no finish reason, no [DONE])"
    assert failure.hint == "what arrived is shown; try again"


# --------------------------------------------------------------------------------------
# Events named `error`
# --------------------------------------------------------------------------------------


def error_event(data: bytes) -> StreamError:
    events, failure = read(b"event: error\ndata: " + data + b"\n\n")
    assert events == []
    assert isinstance(failure, StreamError)
    return failure


def test_an_error_event_in_json_gives_its_message_code_and_trace_id():
    failure = error_event(b'{"error": {"code": "api_error", "message": "upstream failed"}, "trace_id": "t-1"}')

    assert failure.code == "api_error"
    assert failure.trace_id == "t-1"
    assert str(failure) == "the server stopped the answer with an error (api_error: upstream failed) [trace id t-1]"


def test_an_error_event_in_words_gives_the_words():
    failure = error_event(b"model  overloaded\x1b[2J")

    assert str(failure) == "the server stopped the answer with an error (error: model overloaded␛[2J)"
    assert failure.code is None


def test_an_error_event_with_nothing_to_say_says_so():
    failure = error_event(b"")

    assert str(failure) == "the server stopped the answer with an error (error: no details given)"


def test_an_error_event_of_json_without_a_message_shows_the_json():
    failure = error_event(b'{"status": 500}')

    assert str(failure) == 'the server stopped the answer with an error (error: {"status": 500})'


# --------------------------------------------------------------------------------------
# A body with no events
# --------------------------------------------------------------------------------------


def test_a_bare_error_object_in_pieces_is_the_error():
    body = json.dumps({"error": {"code": "invalid_token", "message": "bad token"}}).encode()

    events, failure = read(body[:7], body[7:20], body[20:])

    assert events == []
    assert isinstance(failure, StreamError)
    assert failure.code == "invalid_token"
    assert "bad token" in str(failure)


def test_a_bare_answer_in_pieces_is_the_answer():
    body = json.dumps({"choices": [{"index": 0, "message": {"content": "whole"}, "finish_reason": "stop"}]}).encode()

    events, failure = read(body[:5], body[5:40], body[40:])

    assert (texts(events), failure) == ("whole", None)


def test_a_body_with_no_events_is_looked_at_only_in_its_first_64_kb():
    body = json.dumps({"choices": [{"index": 0, "message": {"content": "y" * 80_000}, "finish_reason": "stop"}]})
    half = len(body) // 2
    assert ERROR_BODY_LIMIT == 64 * 1024 and len(body) > ERROR_BODY_LIMIT

    events, failure = read(body[:half].encode(), body[half:].encode())

    assert events == []
    assert isinstance(failure, IncompleteStreamError)


# --------------------------------------------------------------------------------------
# The size bound
# --------------------------------------------------------------------------------------


def test_an_answer_past_its_bound_is_stopped_after_the_events_of_that_read():
    piece = b'data: {"choices":[{"index":0,"delta":{"content":"abc"}}]}\n\n'

    events, failure = read(piece, piece, limit=len(piece) + 1)

    assert texts(events) == "abcabc"
    assert failure is not None
    assert failure.message == f"the answer grew past {len(piece) + 1:,} bytes and was stopped"
    assert failure.hint == "what arrived is shown; `claudechat config set max_answer_mb N` raises the limit"


@pytest.mark.parametrize("limit", [1, 1024, 64 * 1024 * 1024])
def test_the_bound_error_is_an_api_error(limit):
    error = answer_too_large(limit)

    assert isinstance(error, APIError)
    assert "grew past" in error.message

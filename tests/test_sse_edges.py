"""Edges of the event-stream decoder: lone CRs, the `error` field, `retry` bounds, and close."""

from __future__ import annotations

from claudechat.api.sse import ServerSentEvent, SSEDecoder


def test_lone_carriage_returns_end_lines_within_one_read():
    decoder = SSEDecoder()

    assert decoder.feed(b"data: a\r\r\r") == [ServerSentEvent("a")]


def test_an_error_field_over_lines_is_one_error_event_with_the_retry_and_id():
    decoder = SSEDecoder()

    events = decoder.feed(b"id: 7\nretry: 5\nerror: first\nerror: second\n\n")

    assert events == [ServerSentEvent("first\nsecond", "error", "7", 5)]


def test_retry_of_up_to_18_digits_is_read_and_a_longer_one_is_capped():
    decoder = SSEDecoder()

    short = decoder.feed(b"retry: " + b"9" * 18 + b"\ndata: a\n\n")
    long = decoder.feed(b"retry: " + b"9" * 19 + b"\ndata: b\n\n")

    assert short[0].retry == 10**18 - 1
    assert long[0].retry == 10**18


def test_a_final_carriage_return_ends_the_last_event():
    decoder = SSEDecoder()

    assert decoder.feed(b"data: last\n\r") == []
    assert decoder.close() == [ServerSentEvent("last")]


def test_close_leaves_nothing_of_the_stream_behind():
    decoder = SSEDecoder()
    decoder.feed(b"event: custom\ndata: unfinished\nerror: half\ndata: partial \xe2\x82")

    assert decoder.close() == []
    assert decoder.feed(b"data: ne") == []
    assert decoder.feed(b"xt\n\n") == [ServerSentEvent("next")]
    assert decoder.close() == []
    assert decoder.feed(b"error: again\n\n") == [ServerSentEvent("again", "error")]

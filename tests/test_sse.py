"""The SSE decoder against the WHATWG event-stream rules, and against any split of its input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from claudechat.api.sse import ServerSentEvent, SSEDecoder


def decode(*chunks: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events + decoder.close()


def datas(*chunks: bytes) -> list[str]:
    return [event.data for event in decode(*chunks)]


def test_data_with_and_without_space_after_colon():
    assert datas(b"data: one\n\ndata:two\n\ndata:  three\n\n") == ["one", "two", " three"]


def test_multi_line_data_is_joined_with_newline():
    assert datas(b"data: a\ndata: b\ndata\n\n") == ["a\nb\n"]


def test_comments_and_unknown_fields_are_ignored():
    assert datas(b": keep-alive\n\nfoo: bar\ndata: x\n: note\n\n") == ["x"]


def test_event_id_and_retry_fields():
    events = decode(b"event: update\nid: 7\nretry: 1500\ndata: x\n\ndata: y\n\n")
    assert events[0] == ServerSentEvent(data="x", event="update", id="7", retry=1500)
    # The last event id persists across events; the event type does not.
    assert events[1].event == "message" and events[1].id == "7"


def test_retry_must_be_ascii_digits_and_id_with_nul_is_ignored():
    events = decode(b"retry: -5\nretry: 1e3\nid: 1\ndata: x\n\nid: a\x00b\ndata: y\n\n")
    assert events[0].retry is None
    assert events[1].id == "1"


def test_line_ends_cr_lf_and_crlf_mixed():
    assert datas(b"data: a\r\rdata: b\n\ndata: c\r\n\r\n") == ["a", "b", "c"]


def test_crlf_split_between_reads_is_one_line_end():
    assert datas(b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n") == ["a", "b"]


def test_leading_bom_is_stripped_once():
    assert datas(b"\xef\xbb\xbfdata: a\n\n") == ["a"]
    assert datas(b"\xef", b"\xbb", b"\xbfdata: a\n\n") == ["a"]
    # Only the first one: a second BOM is part of the field name, so the line is ignored.
    assert datas(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\ndata: b\n\n") == ["b"]


def test_utf8_split_inside_a_character():
    raw = "data: héllo → 世界 🎉\n\n".encode()
    for cut in range(len(raw)):
        assert datas(raw[:cut], raw[cut:]) == ["héllo → 世界 🎉"], cut


def test_partial_event_at_eof_is_dropped():
    assert datas(b"data: a\n\ndata: b") == ["a"]
    assert datas(b"data: a\n\ndata: b\n") == ["a"]


def test_final_lone_cr_still_ends_the_event():
    assert datas(b"data: a\r\r") == ["a"]


def test_empty_data_buffer_dispatches_nothing():
    assert datas(b"event: ping\n\n\n\n") == []


def test_invalid_utf8_is_replaced_not_raised():
    assert datas(b"data: \xff\xfe ok\n\n") == ["\ufffd\ufffd ok"]


# A stream built from the grammar's pieces, so the property explores the rules, not noise.
_field_lines = st.sampled_from(
    [
        b"data: hello",
        b"data:x",
        b"data",
        b"data: \xc3\xa9\xe4\xb8\x96\xf0\x9f\x8e\x89",
        b": comment",
        b"event: e",
        b"id: 3",
        b"retry: 10",
        b"bogus",
        b"",
    ]
)
_line_ends = st.sampled_from([b"\n", b"\r", b"\r\n"])
_streams = st.builds(
    lambda bom, lines: (b"\xef\xbb\xbf" if bom else b"") + b"".join(line + end for line, end in lines),
    st.booleans(),
    st.lists(st.tuples(_field_lines, _line_ends), max_size=40),
)


@settings(max_examples=200, deadline=None)
@given(stream=_streams, data=st.data())
def test_any_split_into_reads_gives_the_same_events(stream: bytes, data: st.DataObject):
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    assert decode(*pieces) == decode(stream)


@settings(max_examples=150, deadline=None)
@given(stream=st.binary(max_size=300), data=st.data())
def test_arbitrary_bytes_never_raise_and_split_invariant(stream: bytes, data: st.DataObject):
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    assert decode(*pieces) == decode(stream)

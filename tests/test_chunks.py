"""Chunk parsing, request validation and error bodies: the parts between bytes and events."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claudechat.api import (
    APIStatusError,
    ChatRequest,
    ContentDelta,
    FinishReason,
    MalformedStreamError,
    ReasoningDelta,
    RequestValidationError,
    ResponseInfo,
    ResultBuilder,
    StreamError,
    UsageReport,
)
from claudechat.api.chunks import ChunkParser, events_from_completion
from claudechat.api.errors import error_from_response, parse_retry_after
from claudechat.errors import ClaudechatError
from claudechat.sanitize import one_line, sanitize

SEED_CHUNK = (
    '{"id": "msg_1", "object": "chat.completion.chunk", "created": 1, "model": "claude-sonnet-4-6", '
    '"system_fingerprint": null, "choices": [{"delta": {"content": "Hello!"}, "logprobs": null, '
    '"finish_reason": null, "index": 0}], "usage": null}'
)


def test_seed_chunk_gives_info_then_content():
    parser = ChunkParser()
    assert parser.parse(SEED_CHUNK) == [ResponseInfo("msg_1", "claude-sonnet-4-6"), ContentDelta(0, "Hello!")]
    # id/model are reported once per stream.
    assert parser.parse(SEED_CHUNK) == [ContentDelta(0, "Hello!")]


def test_reasoning_content_and_reasoning_field_names():
    parser = ChunkParser()
    events = parser.parse('{"choices": [{"index": 0, "delta": {"reasoning_content": "hmm"}}]}')
    events += parser.parse('{"choices": [{"index": 0, "delta": {"reasoning": "so"}}]}')
    assert events == [ReasoningDelta(0, "hmm"), ReasoningDelta(0, "so")]


def test_reasoning_that_is_not_text_is_left_out_and_the_next_field_is_read():
    parser = ChunkParser()
    events = parser.parse('{"choices": [{"index": 0, "delta": {"reasoning_content": 5, "reasoning": "so"}}]}')
    events += parser.parse('{"choices": [{"index": 0, "delta": {"reasoning_content": ["x"], "content": "a"}}]}')
    assert events == [ReasoningDelta(0, "so"), ContentDelta(0, "a")]


def test_a_groq_field_that_is_not_an_object_holds_no_usage():
    events = ChunkParser().parse('{"choices": [{"index": 0, "delta": {"content": "a"}}], "x_groq": "id-1"}')
    assert events == [ContentDelta(0, "a")]


@pytest.mark.parametrize(
    "chunk",
    [
        '{"choices": []}',
        '{"id": null}',
        '{"choices": [{"delta": {"content": null}, "index": 0}]}',
        '{"choices": [{"delta": null, "index": 0}]}',
        '{"choices": [{"index": 0}]}',
        "{}",
    ],
)
def test_quirky_but_valid_chunks_give_no_text(chunk):
    assert not [e for e in ChunkParser().parse(chunk) if isinstance(e, (ContentDelta, ReasoningDelta))]


def test_several_choices_in_one_chunk_and_usage_on_finish_chunk():
    chunk = {
        "choices": [
            {"index": 1, "delta": {"content": "b"}, "finish_reason": None},
            {"index": 0, "delta": {"content": "a"}, "finish_reason": "stop"},
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
    }
    events = ChunkParser().parse(json.dumps(chunk))
    assert ContentDelta(1, "b") in events and ContentDelta(0, "a") in events
    assert FinishReason(0, "stop") in events
    usage = next(e for e in events if isinstance(e, UsageReport)).usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (3, 4, 7)


def test_usage_reads_the_cache_fields_of_the_seed():
    raw = {
        "prompt_tokens": 8, "completion_tokens": 12, "total_tokens": 20,
        "prompt_tokens_details": {"cached_tokens": 5},
        "completion_tokens_details": {"reasoning_tokens": 2},
        "claude_cache_creation_5_m_tokens": 3, "claude_cache_creation_1_h_tokens": 1,
    }
    usage = next(e for e in ChunkParser().parse(json.dumps({"usage": raw})) if isinstance(e, UsageReport)).usage
    assert (usage.cached_tokens, usage.cache_creation_tokens, usage.reasoning_tokens) == (5, 4, 2)
    assert usage.to_dict()["claude_cache_creation_5_m_tokens"] == 3


def test_invalid_json_chunk_is_an_error_never_skipped():
    with pytest.raises(MalformedStreamError, match="not valid JSON"):
        ChunkParser().parse("{not json")
    with pytest.raises(MalformedStreamError):
        ChunkParser().parse("[1, 2]")


def test_error_object_inside_the_stream():
    body = '{"success": false, "error": {"code": "api_error", "message": "fetch failed"}, "trace_id": "t-1"}'
    with pytest.raises(StreamError) as caught:
        ChunkParser().parse(body)
    assert caught.value.code == "api_error" and caught.value.trace_id == "t-1"
    assert "fetch failed" in str(caught.value) and "t-1" in str(caught.value)


def test_non_stream_completion_gives_the_same_events():
    body = {
        "id": "msg_2", "model": "m", "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi", "reasoning_content": "r"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    }
    builder = ResultBuilder()
    for event in events_from_completion(body):
        builder.add(event)
    result = builder.result()
    assert (result.id, result.model, result.content, result.reasoning, result.finish_reason) == (
        "msg_2", "m", "hi", "r", "stop"
    )
    assert result.usage is not None and result.usage.total_tokens == 3


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200) | st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["choices", "delta", "content", "index", "usage", "error", "finish_reason", "message"]),
        children, max_size=4),
    max_leaves=20,
).map(json.dumps))
def test_any_chunk_text_raises_only_our_errors(text):
    try:
        ChunkParser().parse(text)
    except ClaudechatError:
        pass


# --- request validation: nothing invalid is ever sent ---

def request(**changes):
    fields = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "hi"}]}
    fields.update(changes)
    return ChatRequest(**fields)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"model": " "}, "model id is empty"),
        ({"messages": []}, "no messages"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "role 'tool'"),
        ({"messages": [{"role": "user", "content": 3}]}, "content must be"),
        ({"messages": [{"role": "user", "content": [{"type": "audio"}]}]}, "type 'audio'"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}, "image_url.url"),
        ({"temperature": 2.5}, "temperature must be"),
        ({"temperature": -0.1}, "temperature must be"),
        ({"n": 0}, "n must be"),
        ({"n": 129}, "n must be"),
        ({"max_tokens": 0}, "max_tokens must be"),
        ({"response_format": "xml"}, "response_format must be"),
    ],
)
def test_invalid_requests_are_refused(changes, message):
    with pytest.raises(RequestValidationError, match=message) as caught:
        request(**changes).validate()
    assert caught.value.exit_code == 2


def test_valid_request_body():
    req = request(temperature=0, n=2, max_tokens=5, response_format="json_object", stream=False)
    req.validate()
    assert req.to_body() == {
        "model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "hi"}], "stream": False,
        "temperature": 0, "max_tokens": 5, "n": 2, "response_format": {"type": "json_object"},
    }


# --- error bodies ---

def test_seed_error_body_401_says_how_to_set_the_token_and_shows_trace_id():
    body = b'{"success": false, "error": {"code": "invalid_token", "message": "bad"}, "trace_id": "abc-123"}'
    error = error_from_response(401, {}, body)
    assert isinstance(error, APIStatusError)
    assert (error.status, error.code, error.server_message, error.trace_id) == (401, "invalid_token", "bad", "abc-123")
    assert "claudechat auth" in str(error) and "abc-123" in str(error)


def test_openai_style_error_body():
    body = b'{"error": {"message": "model not found", "type": "invalid_request_error", "code": null}}'
    error = error_from_response(404, {}, body)
    assert error.code == "invalid_request_error" and "model not found" in str(error)


def test_html_page_becomes_status_and_title():
    body = b"<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
    error = error_from_response(502, {}, body)
    assert "502" in str(error) and "Bad Gateway" in str(error) and "<" not in str(error)


def test_html_without_title_uses_first_text_line_and_is_sanitised():
    body = b"<html><body>\n<p>\x1b[31mUpstream <b>down</b></p></body></html>"
    message = str(error_from_response(503, {}, body))
    assert "\x1b" not in message and "Upstream" in message


def test_empty_body_still_names_the_status():
    assert "503" in str(error_from_response(503, {}, b""))


def test_retry_after_seconds_and_date():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


# --- sanitising untrusted text ---

def test_sanitize_neutralises_controls_and_keeps_text():
    hostile = "ok\x1b]52;c;SGVsbG8=\x07 \x1b[2J\x9b31m \u202eevil\u202c a\rb\n\tend\x7f"
    clean = sanitize(hostile)
    assert not any(ch in clean for ch in "\x1b\x07\x9b\u202e\u202c\r\x7f")
    assert "ok" in clean and "SGVsbG8=" in clean and "\n\tend" in clean


def test_one_line_folds_and_limits():
    assert one_line("a\n\nb  c", 100) == "a b c"
    assert len(one_line("x" * 500, 50)) == 50

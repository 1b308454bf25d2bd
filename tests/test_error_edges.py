"""Edges of turning a server's error into words: pages, nesting, lists, codes and trace ids."""

from __future__ import annotations

import json

import pytest

from claudechat.api.errors import (
    APIError,
    APIStatusError,
    ErrorDetails,
    StreamError,
    error_details,
    error_from_response,
)


def message_of(body: object) -> str | None:
    return error_details(body).message


def page_message(text: str) -> str | None:
    return error_from_response(502, {}, text.encode()).server_message


# --------------------------------------------------------------------------------------
# Pages and plain text
# --------------------------------------------------------------------------------------


def test_a_pages_title_comes_before_its_text():
    assert page_message("Upstream down<html><head><title>503 Service Unavailable</title></head></html>") == (
        "503 Service Unavailable"
    )


def test_a_title_in_capitals_over_lines_is_found():
    assert page_message("<HTML><TITLE id=t>\n  Bad\n  Gateway\n</TITLE><body>x</body></HTML>") == "Bad Gateway"


def test_a_long_title_or_line_is_cut_at_120_characters():
    title = page_message(f"<title>{'t' * 300}</title>")
    line = page_message("w" * 300)

    assert title == "t" * 119 + "…"
    assert line == "w" * 119 + "…"


def test_scripts_and_styles_are_no_message_in_any_case_over_lines():
    text = "<SCRIPT type=x>\nvar a = 1;\n</SCRIPT ><Style>\nbody {}\n</style>Real words<p>more</p>"

    assert page_message(text) == "Real words"


def test_a_page_with_nothing_to_say_gives_no_message():
    assert page_message("<html><body>  </body></html>") is None
    assert page_message("<title> </title>") is None


@pytest.mark.parametrize("body", [b"\xff\xfe broken \xc3", b"caf\xe9 closed"])
def test_a_body_that_is_not_utf_8_is_read_with_stand_ins(body):
    error = error_from_response(500, {}, body)

    assert error.server_message == body.decode("utf-8", "replace").strip()


def test_json_without_words_is_shown_as_it_came():
    assert error_from_response(400, {}, b'{"status": "bad"}').server_message == '{"status": "bad"}'
    assert error_from_response(400, {}, b"[1, 2]").server_message == "[1, 2]"


def test_json_with_a_code_and_no_words_shows_only_the_code():
    error = error_from_response(400, {}, b'{"error": {"code": "quota_exceeded"}}')

    assert (error.code, error.server_message) == ("quota_exceeded", None)
    assert error.message == "the request was rejected (400 quota_exceeded)"


def test_retry_after_is_read_from_the_headers():
    assert error_from_response(429, {"retry-after": "7"}, b"").retry_after == 7.0
    assert error_from_response(429, {}, b"").retry_after is None


# --------------------------------------------------------------------------------------
# Where the words are
# --------------------------------------------------------------------------------------


def nested(levels: int) -> dict:
    value: dict = {"message": "deep"}
    for _ in range(levels):
        value = {"error": value}
    return {"error": value}


def listed(levels: int) -> dict:
    value: object = "deep"
    for _ in range(levels):
        value = [value]
    return {"error": {"message": value}}


def encoded(levels: int) -> dict:
    value = "deep"
    for _ in range(levels):
        value = json.dumps({"message": value})
    return {"error": {"message": value}}


def test_words_nested_as_deep_as_servers_nest_them_are_found_and_deeper_are_not():
    assert [message_of(nested(levels)) for levels in (5, 6)] == ["deep", None]
    assert [message_of(listed(levels)) for levels in (5, 6)] == ["deep", None]
    assert [message_of(encoded(levels)) for levels in (2, 3)] == ["deep", '{"message": "deep"}']


@pytest.mark.parametrize("key", ["message", "detail", "details", "error", "error_message", "title"])
def test_each_key_servers_put_words_under_is_read(key):
    assert message_of({"error": {key: "said so"}}) == "said so"


def test_a_list_of_messages_is_joined_once_each_and_only_the_first_ten():
    messages = [f"m{n}" for n in range(11)]

    assert message_of({"error": {"message": ["a", "b", "a"]}}) == "a; b"
    assert message_of({"error": {"message": messages}}) == "; ".join(messages[:10])


def test_words_that_are_a_json_list_or_object_are_read_inside():
    assert message_of({"error": {"message": '["one", "two"]'}}) == "one; two"
    assert message_of({"error": {"message": '{"detail": "inside"}'}}) == "inside"


@pytest.mark.parametrize("text", ["{not json}", "[not json]", '{"code": 5}', "[1, 2]"])
def test_words_that_only_look_like_json_are_shown_as_they_came(text):
    assert message_of({"error": {"message": text}}) == text


def test_validation_errors_name_where_and_what():
    detail = [
        {"loc": ["body", "messages", 0, "content"], "msg": "field required"},
        {"loc": "body", "msg": "not a list of places"},
        {"msg": "no place at all"},
        {"loc": list("abcdefghij"), "msg": "too deep"},
    ]

    assert message_of({"detail": detail}) == (
        "body.messages.0.content: field required; not a list of places; no place at all; a.b.c.d.e.f.g.h: too deep"
    )


# --------------------------------------------------------------------------------------
# Bodies of other shapes
# --------------------------------------------------------------------------------------


def test_a_list_of_errors_gives_the_first_with_something_to_say_among_ten():
    assert error_details([{}, {"message": "no code"}, {"code": "c", "message": "later"}]) == ErrorDetails(
        None, "no code", None
    )
    assert error_details([{}] * 10 + [{"message": "eleventh"}]) == ErrorDetails(None, None, None)
    assert error_details([1, "x", None]).message == "x"


@pytest.mark.parametrize(("body", "message"), [("plain words", "plain words"), ("  ", None), (5, None), (None, None)])
def test_a_body_that_is_not_an_object_is_its_own_words(body, message):
    assert error_details(body) == ErrorDetails(None, message, None)


def test_the_raw_words_of_an_upstream_error_are_added_once():
    def details(error: dict) -> str | None:
        return message_of({"error": error})

    assert details({"message": "Provider error", "metadata": {"raw": "model overloaded"}}) == (
        "Provider error: model overloaded"
    )
    assert details({"message": "model overloaded", "metadata": {"raw": "overloaded"}}) == "model overloaded"
    assert details({"metadata": {"raw": "only raw"}}) == "only raw"
    assert details({"message": "m", "metadata": "not an object"}) == "m"
    assert details({"message": "m", "metadata": {"raw": "  "}}) == "m"


def test_the_trace_id_may_be_called_a_request_id():
    assert error_details({"error": {"message": "m"}, "request_id": "req-1"}).trace_id == "req-1"
    assert error_details({"error": {"message": "m"}, "trace_id": "t", "request_id": "r"}).trace_id == "t"
    assert error_details({"error": {"message": "m"}, "trace_id": 5}).trace_id is None


def test_codes_and_trace_ids_are_cut_to_one_short_line():
    details = error_details({"error": {"code": "c" * 100, "message": "m"}, "trace_id": "t" * 100})

    assert details.code == "c" * 59 + "…"
    assert details.trace_id == "t" * 79 + "…"


# --------------------------------------------------------------------------------------
# The error itself
# --------------------------------------------------------------------------------------


def test_a_status_alone_is_explained_by_the_status():
    assert APIStatusError(404).message == "the server has no such endpoint or model (404)"
    assert APIStatusError(418).message == "the server returned an error (418)"
    assert APIStatusError(418).hint is None


def test_a_401_is_the_token_refused_unless_none_was_sent():
    assert str(APIStatusError(401)).startswith("the service refused the API token (401)")
    assert str(error_from_response(401, {}, b"")).startswith("the service refused the API token (401)")
    assert str(APIStatusError(401, token_sent=False)).startswith("the server wants an API token and none was sent")


def test_an_error_as_json_has_its_status_code_message_and_trace_id():
    error = APIStatusError(429, code="too_many_requests", server_message="slow down", trace_id="t-1")

    assert error.to_dict() == {
        "status": 429,
        "code": "too_many_requests",
        "message": "the service is rate limiting this token (429 too_many_requests: slow down)"
        " (wait a moment and try again) [trace id t-1]",
        "trace_id": "t-1",
    }
    assert StreamError("m", code="c").to_dict() == {
        "status": None, "code": "c", "message": "the server stopped the answer with an error (c: m)", "trace_id": None,
    }
    assert APIError("plain").to_dict()["message"] == "plain"

"""Edges of recognising a prompt refused as too long: every server's numbers, and the line it becomes."""

from __future__ import annotations

import json

import pytest

from claudechat.api.errors import CONTEXT_HINT, ContextWindowError, context_overflow, error_from_response

LOWER_HINT = "lower /max-tokens, " + CONTEXT_HINT


def refused(body: object, status: int = 400) -> ContextWindowError:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    error = error_from_response(status, {}, raw)
    assert isinstance(error, ContextWindowError), error
    return error


# --- the line a user reads -------------------------------------------------------------------


def test_a_conversation_that_fits_only_without_the_answers_room_says_so_and_suggests_a_smaller_answer():
    error = ContextWindowError(400, prompt_tokens=2000, window=2000, completion_tokens=1500)
    assert error.message == ("the conversation (2,000 tokens) and the 1,500 kept for the answer exceed the model's "
                             "context window by about 1,500 tokens (of 2,000; 400)")
    assert error.hint == LOWER_HINT
    assert error.excess == 1500


def test_a_conversation_over_the_window_by_itself_is_not_told_to_lower_the_answer():
    error = ContextWindowError(400, prompt_tokens=2001, window=2000, completion_tokens=100)
    assert error.message == "the conversation exceeds the model's context window by about 101 tokens (2,001 of 2,000; 400)"
    assert error.hint == CONTEXT_HINT
    assert error.completion_tokens == 100


@pytest.mark.parametrize(
    ("numbers", "said"),
    [
        ({"prompt_tokens": 2001, "window": 2000}, "the conversation exceeds the model's context window by about 1 token "
                                                   "(2,001 of 2,000; 400)"),
        ({"prompt_tokens": 2002, "window": 2000}, "the conversation exceeds the model's context window by about 2 tokens "
                                                   "(2,002 of 2,000; 400)"),
        ({"window": 200000}, "the conversation exceeds the model's context window of 200,000 tokens (400)"),
        ({"window": 2000, "completion_tokens": 10}, "the conversation exceeds the model's context window of 2,000 tokens (400)"),
        ({"prompt_tokens": 250000}, "the conversation (250,000 tokens) exceeds the model's context window (400)"),
        ({"prompt_tokens": 250000, "completion_tokens": 10}, "the conversation (250,000 tokens) exceeds the model's "
                                                             "context window (400)"),
        ({}, "the conversation exceeds the model's context window (400)"),
        ({"completion_tokens": 10}, "the conversation exceeds the model's context window (400)"),
    ],
    ids=["one token", "two tokens", "window only", "window and answer", "prompt only", "prompt and answer",
         "no numbers", "answer only"],
)
def test_what_is_said_with_whatever_numbers_the_server_gave(numbers, said):
    error = ContextWindowError(400, **numbers)
    assert error.message == said
    assert error.hint == CONTEXT_HINT
    assert str(error) == f"{said} ({CONTEXT_HINT})"


def test_the_servers_code_message_and_trace_id_follow_the_numbers():
    error = ContextWindowError(413, window=8, code="context_length_exceeded", server_message="too\nlong", trace_id="t-1")
    assert (error.status, error.code, error.server_message, error.trace_id) == (413, "context_length_exceeded", "too\nlong", "t-1")
    assert error.message == ("the conversation exceeds the model's context window of 8 tokens "
                             "(413 context_length_exceeded: too long)")
    assert str(error).endswith(f"({CONTEXT_HINT}) [trace id t-1]")


def test_a_code_that_repeats_the_status_is_said_once():
    assert ContextWindowError(400, code="400").message == "the conversation exceeds the model's context window (400)"
    assert ContextWindowError(400, code="4000").message == "the conversation exceeds the model's context window (400 4000)"


def test_the_servers_words_are_cut_at_two_hundred_characters():
    words = "w" * 199 + "xyz"
    message = ContextWindowError(400, server_message=words).message
    shown = message.removeprefix("the conversation exceeds the model's context window (400: ").removesuffix(")")
    assert shown.startswith("w" * 199) and "y" not in shown and len(shown) <= 200
    assert ContextWindowError(400, server_message="w" * 200).message.endswith("w" * 200 + ")")


# --- every server's way of saying it -----------------------------------------------------------


def test_anthropics_numbers_with_thousands_separators():
    error = refused({"type": "error", "error": {"type": "invalid_request_error",
                                                 "message": "prompt is too long: 210,345 tokens > 200,000 maximum"}})
    assert (error.prompt_tokens, error.window, error.completion_tokens) == (210345, 200000, None)
    assert error.server_message == "prompt is too long: 210,345 tokens > 200,000 maximum"


def test_the_words_are_recognised_in_any_case():
    error = refused({"error": {"message": "PROMPT IS TOO LONG: 12 TOKENS > 10 MAXIMUM"}})
    assert (error.prompt_tokens, error.window) == (12, 10)


def test_a_message_folded_over_lines_still_gives_both_numbers():
    error = refused({"error": {"message": "This model's maximum context length is 4096 tokens.\nHowever, your "
                                          "messages resulted in 5000 tokens."}})
    assert (error.prompt_tokens, error.window) == (5000, 4096)


def test_vllm_names_the_room_kept_for_the_answer():
    error = refused({"object": "error", "message": "This model's maximum context length is 4096 tokens. However, you "
                     "requested 5000 tokens (4000 in the messages, 1000 in the completion).", "code": 400})
    assert (error.prompt_tokens, error.window, error.completion_tokens) == (4000, 4096, 1000)
    assert error.hint == LOWER_HINT


def test_llama_cpp_gives_its_numbers_as_fields_beside_a_message_without_them():
    body = {"error": {"code": 400, "message": "the request exceeds the available context size, try increasing it",
                      "type": "exceed_context_size_error", "n_prompt_tokens": 5000, "n_ctx": 4096}}
    error = refused(body)
    assert (error.prompt_tokens, error.window) == (5000, 4096)
    assert error.server_message == "the request exceeds the available context size, try increasing it"


def test_llama_cpp_fields_at_the_top_level_count_too():
    error = refused({"message": "exceed_context_size_error", "n_prompt_tokens": "6,000", "n_ctx": 4096})
    assert (error.prompt_tokens, error.window) == (6000, 4096)


def test_fields_fill_only_what_the_message_left_out():
    error = refused({"error": {"message": "This model's maximum context length is 4096 tokens.",
                               "n_prompt_tokens": 5000, "n_ctx": 8192}})
    assert (error.prompt_tokens, error.window) == (5000, 4096)  # the message's window, the field's prompt
    error = refused({"error": {"message": "request (5000 tokens) exceeds the available context size (4096 tokens)",
                               "n_prompt_tokens": 7000, "n_ctx": 8192}})
    assert (error.prompt_tokens, error.window) == (5000, 4096)


def test_fields_without_n_ctx_are_not_llama_cpps():
    error = refused({"error": {"message": "context window exceeded", "n_prompt_tokens": 5000}})
    assert (error.prompt_tokens, error.window) == (None, None)


@pytest.mark.parametrize(
    ("value", "kept"),
    [(1, 1), ("1", 1), (0, None), ("0", None), (-5, None), (999_999_999_999, 999_999_999_999),
     (10**12, None), ("1,000,000,000,000", None), (True, None), (4096.0, None), ("lots", None), (None, None)],
)
def test_only_plausible_counts_are_taken(value, kept):
    error = refused({"error": {"message": "exceed_context_size_error", "n_prompt_tokens": value, "n_ctx": 4096}})
    assert error.prompt_tokens == kept


@pytest.mark.parametrize(("count", "kept"), [("1", 1), ("0", None), ("999999999999", 999999999999),
                                             ("1000000000000", None), ("10000000000000", None)])
def test_only_plausible_counts_are_read_from_the_words(count, kept):
    error = refused({"error": {"message": f"prompt is too long: {count} tokens > 200000 maximum"}})
    assert (error.prompt_tokens, error.window) == (kept, 200000)


def test_a_refusal_that_is_not_json_keeps_its_text_as_the_servers_words():
    error = refused(b"<html><title>413: prompt is too long</title></html>", status=413)
    assert error.server_message == "413: prompt is too long"
    error = refused(b"Input is too long for requested model.")
    assert error.server_message == "Input is too long for requested model."
    assert context_overflow(400, "context window is full").server_message == "context window is full"


def test_the_service_shape_keeps_its_code_and_trace_id():
    body = {"success": False, "error": {"code": "invalid_request", "message": "prompt is too long: 5 tokens > 3 maximum"},
            "trace_id": "abc123"}
    error = refused(body)
    assert (error.code, error.trace_id, error.prompt_tokens, error.window) == ("invalid_request", "abc123", 5, 3)
    assert str(error).endswith("[trace id abc123]")


@pytest.mark.parametrize("status", [400, 413, 499])
def test_any_client_error_can_be_a_refusal(status):
    assert isinstance(context_overflow(status, "context_length_exceeded"), ContextWindowError)


@pytest.mark.parametrize("status", [200, 399, 500, 503])
def test_other_statuses_never_are(status):
    assert context_overflow(status, "context_length_exceeded") is None


def test_unrelated_client_errors_are_not_refusals():
    assert context_overflow(400, '{"error": {"message": "model not found"}}', {"error": {"message": "model not found"}}) is None

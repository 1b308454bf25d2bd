"""Edges of folding events into a result: usage in its shapes, halves of characters, defaults."""

from __future__ import annotations

from claudechat.api.errors import IncompleteStreamError
from claudechat.api.events import (
    ChatResult,
    Choice,
    ContentDelta,
    FinishReason,
    ReasoningDelta,
    RefusalDelta,
    ResponseInfo,
    ResultBuilder,
    Usage,
    UsageReport,
)


def test_usage_in_anthropics_words_counts_the_same():
    usage = Usage.from_dict({"input_tokens": 5, "output_tokens": 7})

    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (5, 7, 12)


def test_usage_missing_or_of_the_wrong_type_counts_zero():
    usage = Usage.from_dict({"prompt_tokens": "5", "completion_tokens": True, "prompt_tokens_details": [1]})

    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens, usage.cached_tokens) == (0, 0, 0, 0)
    assert (usage.cache_creation_tokens, usage.reasoning_tokens) == (0, 0)


def test_usage_as_json_keeps_the_servers_fields_and_the_three_totals():
    usage = Usage.from_dict({"input_tokens": 5, "output_tokens": 7, "server_field": "kept"})

    assert usage.to_dict() == {
        "input_tokens": 5,
        "output_tokens": 7,
        "server_field": "kept",
        "prompt_tokens": 5,
        "completion_tokens": 7,
        "total_tokens": 12,
    }


def test_a_choice_as_json_has_every_field():
    choice = Choice(index=1, content="c", reasoning="r", finish_reason="stop", refusal="f")

    assert choice.to_dict() == {"index": 1, "content": "c", "reasoning": "r", "refusal": "f", "finish_reason": "stop"}


def test_a_result_with_no_choices_reads_as_empty():
    result = ChatResult()

    assert (result.content, result.reasoning, result.refusal, result.finish_reason) == ("", "", "", None)


def test_a_result_of_no_events_is_empty_and_not_interrupted():
    result = ResultBuilder().result()

    assert (result.id, result.model, result.usage) == (None, None, None)
    assert (result.incomplete, result.interrupted) == (False, False)
    assert [choice.to_dict() for choice in result.choices] == [Choice(index=0).to_dict()]


def test_a_stopped_result_says_so():
    assert ResultBuilder().result(interrupted=True).interrupted is True


def test_a_result_ended_short_before_anything_came_is_incomplete_only_if_the_stream_was():
    builder = ResultBuilder()

    assert builder.result(error=IncompleteStreamError("short")).incomplete is True
    assert builder.result(error=RuntimeError("refused")).incomplete is False
    builder.add(ContentDelta(0, "a"))
    assert builder.result(error=RuntimeError("dropped")).incomplete is True


def test_each_kind_of_text_is_joined_per_choice():
    builder = ResultBuilder()
    for event in [
        ResponseInfo("id-1", "m"), ResponseInfo("id-2", "n"),
        ContentDelta(0, "a"), ContentDelta(1, "x"), ContentDelta(0, "b"),
        ReasoningDelta(0, "r1"), ReasoningDelta(0, "r2"),
        RefusalDelta(0, "no "), RefusalDelta(0, "way"),
        FinishReason(0, "stop"), UsageReport(Usage(prompt_tokens=3)),
    ]:
        builder.add(event)

    result = builder.result()

    assert (result.id, result.model) == ("id-1", "m")
    assert [(c.index, c.content, c.reasoning, c.refusal, c.finish_reason) for c in result.choices] == [
        (0, "ab", "r1r2", "no way", "stop"),
        (1, "x", "", "", None),
    ]
    assert result.usage == Usage(prompt_tokens=3)


def test_halves_of_a_character_split_across_deltas_are_joined_and_a_lone_half_is_marked():
    builder = ResultBuilder()
    for event in [ContentDelta(0, "smile \ud83d"), ContentDelta(0, "\ude00 and \ud83d alone"),
                  ReasoningDelta(0, "\ud83d"), ReasoningDelta(0, "\ude03"), RefusalDelta(0, "x\udc00")]:
        builder.add(event)

    result = builder.result()

    assert result.content == "smile 😀 and \ufffd alone"
    assert result.reasoning == "😃"
    assert result.refusal == "x\ufffd"


def test_a_total_the_server_gives_is_kept_even_when_it_is_not_the_sum():
    usage = Usage.from_dict({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 10})

    assert usage.total_tokens == 10

"""The context window in-process: the estimate and its calibration, the meter's accounting and
breakdown, the toolbar's meter, the double's token count and its refusal of a prompt too long,
and that refusal recognised in every server's shape."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from claudechat.api import ChatClient, ChatRequest, ResultBuilder
from claudechat.api.errors import ContextWindowError, error_from_response
from claudechat.chat.attachments import ImageAttachment, TextAttachment
from claudechat.chat.compaction import SUMMARY_HEADING, Compaction
from claudechat.chat.context import ContextMeter, ContextUse, content_size
from claudechat.chat.conversation import Message
from claudechat.chat.estimate import DEFAULT_CHARS_PER_TOKEN, UNKNOWN_IMAGE_TOKENS, TokenEstimator
from claudechat.chat.session import Session, SessionSettings
from claudechat.errors import ClaudechatError
from claudechat.repl.toolbar import ToolbarState, short_count, toolbar_fragments
from tests.double import IMAGE_TOKENS, WINDOW_ERRORS, Reply, ServiceDouble, count_tokens, prompt_tokens

TOKEN = "t"
PROSE = "The quick brown fox jumps over the lazy dog while the farmer watches from his porch. "
CODE = "def area(width: int, height: int) -> int:\n    return width * height  # 2 dims\n"


def usage(prompt: int, completion: int, reasoning: int = 0) -> dict:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
            "completion_tokens_details": {"reasoning_tokens": reasoning}}


def session_with(*turns: tuple[str, str, dict | None], system: str | None = None) -> Session:
    session = Session(settings=SessionSettings(model="claude-sonnet-4-6", system=system))
    for question, answer, counted in turns:
        session.add_turn(Message("user", question), Message("assistant", answer, usage=counted))
    return session


# --- the estimate -----------------------------------------------------------------------------------


def test_the_first_usage_replaces_the_starting_ratio_and_later_ones_are_blended():
    estimator = TokenEstimator()
    assert estimator.chars_per_token == DEFAULT_CHARS_PER_TOKEN
    assert estimator.calibrate(chars=1000, tokens=400)
    assert estimator.chars_per_token == 2.5
    assert estimator.calibrate(chars=3000, tokens=1000)
    assert 2.5 < estimator.chars_per_token < 3.0  # moved towards 3.0, not all the way
    assert estimator.samples == 2


@pytest.mark.parametrize(("chars", "tokens"), [(50, 10), (1000, 0), (0, 100), (100_000, 100)])
def test_samples_that_say_little_or_nothing_of_text_are_ignored(chars, tokens):
    estimator = TokenEstimator()
    assert not estimator.calibrate(chars, tokens)
    assert estimator.chars_per_token == DEFAULT_CHARS_PER_TOKEN and estimator.samples == 0


def test_images_cost_their_area_over_750_or_a_cautious_guess():
    assert TokenEstimator.image_tokens(1092, 1092) == 1590
    assert TokenEstimator.image_tokens(None, None) == UNKNOWN_IMAGE_TOKENS


# --- the meter ----------------------------------------------------------------------------------------


def test_the_last_answers_usage_is_the_base_and_what_follows_is_estimated():
    session = session_with(("first", "one", usage(100, 20)), ("second", "two", usage(140, 30)))
    meter = ContextMeter()
    assert meter.use(session, 200_000).tokens == 170  # 140 + 30, as the server counted them
    typed = "x" * 70
    assert meter.use(session, 200_000, typed).tokens == 170 + meter.estimator.text_tokens(typed)
    assert meter.use(session, 200_000, typed).window == 200_000


def test_reasoning_is_not_counted_as_sent_back():
    session = session_with(("why?", "because", usage(100, 500, reasoning=480)))
    assert ContextMeter().use(session, None).tokens == 120


def test_without_any_usage_everything_is_estimated():
    session = session_with(("a" * 350, "b" * 35, None), system="s" * 35)
    meter = ContextMeter()
    assert meter.use(session, None).tokens == 100 + 10 + 10


def test_an_undone_exchange_takes_its_tokens_with_it():
    session = session_with(("first", "one", usage(100, 20)), ("second", "two", usage(140, 30)))
    meter = ContextMeter()
    assert meter.use(session, None).tokens == 170
    session.undo()
    assert meter.use(session, None).tokens == 120


def test_a_system_prompt_set_after_the_last_answer_is_added():
    session = session_with(("first", "one", usage(100, 20)))
    session.change_settings(system="y" * 70)
    meter = ContextMeter()
    assert meter.use(session, None).tokens == 120 + meter.estimator.text_tokens("y" * 70)


def test_pending_attachments_count_text_and_images():
    session = session_with(("first", "one", usage(100, 20)))
    text = TextAttachment(name="notes.md", text="z" * 350)
    image = ImageAttachment(name="shot.png", url="data:image/png;base64,AAAA")
    meter = ContextMeter()
    use = meter.use(session, None, "", [text, image])
    assert use.tokens == 120 + meter.estimator.text_tokens("z" * 350) + UNKNOWN_IMAGE_TOKENS


def test_the_breakdown_adds_up_to_the_meter_and_counts_each_turn_as_the_server_did():
    session = session_with(("first", "one", usage(100, 20)), ("second", "two", usage(140, 30)), system="Be brief.")
    meter = ContextMeter()
    attachment = TextAttachment(name="a.txt", text="q" * 70)
    parts = meter.parts(session, "typed text", [attachment])
    assert sum(part.tokens for part in parts) == meter.use(session, None, "typed text", [attachment]).tokens
    turns = [part for part in parts if part.kind == "turn"]
    assert [part.label for part in turns] == ["turn 1 · first", "turn 2 · second"]
    assert turns[1].tokens == 170 - 120 and turns[1].counted  # what the count grew by
    assert [part.kind for part in parts] == ["system", "turn", "turn", "attachment", "input"]
    assert parts[3].label == "file: a.txt"


def test_the_meter_recomputes_only_when_the_conversation_changes():
    session = session_with(("first", "one", usage(100, 20)))
    meter = ContextMeter()
    meter.use(session, None)
    rows = meter._rows
    meter.use(session, None, "more typing")
    assert meter._rows is rows  # a keystroke reuses the rows
    session.add_turn(Message("user", "again"), Message("assistant", "ok", usage=usage(130, 5)))
    assert meter.use(session, None).tokens == 135 and meter._rows is not rows


def test_observing_a_request_calibrates_the_ratio():
    meter = ContextMeter()
    messages = [{"role": "user", "content": "a" * 2000}]
    meter.observe(messages, 500)
    assert meter.estimator.chars_per_token == 4.0
    images = [{"role": "user", "content": [{"type": "text", "text": "b" * 40},
                                           {"type": "image_url", "image_url": {"url": "x"}}]}]
    meter.observe(images, 1700)  # nearly all a guess at the image: says nothing of text
    assert meter.estimator.chars_per_token == 4.0 and meter.estimator.samples == 1


def test_a_resumed_session_calibrates_from_the_usage_stored_with_its_answers():
    question, answer = "q" * 900, "a" * 300
    session = session_with((question, answer, usage(300, 100)), system="s" * 300)
    meter = ContextMeter()
    meter.use(session, None)
    assert meter.estimator.samples == 1
    assert meter.estimator.chars_per_token == pytest.approx((300 + 900) / 300)
    fresh = Session(settings=SessionSettings(model="m"))
    meter.use(fresh, None)  # another session starts afresh
    assert meter.estimator.samples == 0 and meter.estimator.chars_per_token == DEFAULT_CHARS_PER_TOKEN


def test_after_a_compaction_the_summary_stands_in_for_the_turns():
    session = session_with(("first " * 100, "one " * 100, usage(300, 200)), ("second", "two", usage(520, 10)))
    meter = ContextMeter()
    assert meter.use(session, None).tokens == 530
    session.compact(Compaction(covers=4, summary="they talked", tokens=12))
    parts = meter.parts(session)
    assert [part.kind for part in parts] == ["summary"]
    assert parts[0].label == "summary of turns 1–2 (/compact)" and parts[0].counted
    assert parts[0].tokens == 12 + meter.estimator.text_tokens(SUMMARY_HEADING) + 4  # its count, and the words around it
    assert meter.use(session, None).tokens == parts[0].tokens


def test_content_size_counts_text_and_images():
    assert content_size("hello") == (5, 0)
    assert content_size([{"type": "text", "text": "abc"}, {"type": "image_url", "image_url": {"url": "u"}}]) == (3, 1)


# --- the toolbar's meter -----------------------------------------------------------------------------


def row(state: ToolbarState, columns: int = 200) -> list[tuple[str, str]]:
    return toolbar_fragments(state, columns)


@pytest.mark.parametrize(
    ("tokens", "style"),
    [(0, "toolbar.context"), (139_999, "toolbar.context"), (140_000, "toolbar.context.warn"),
     (179_999, "toolbar.context.warn"), (180_000, "toolbar.context.full"), (250_000, "toolbar.context.full")],
)
def test_the_meter_changes_style_at_70_and_90_percent(tokens, style):
    level = ContextUse(tokens, 200_000).level
    fragments = row(ToolbarState(model="m", context_tokens=tokens, context_window=200_000, context_level=level))
    [(shown_style, value)] = [(s, text) for s, text in fragments if "/200k" in text]
    assert shown_style == f"class:{style}"
    assert value == f"{short_count(tokens)}/200k"
    assert ContextUse(tokens, None).level == ""  # no window, no warning


@pytest.mark.parametrize(("tokens", "shown"), [(0, "0"), (850, "850"), (4_130, "4.1k"), (41_234, "41k"), (1_250_000, "1.2M")])
def test_counts_are_short(tokens, shown):
    assert short_count(tokens) == shown


def test_the_meter_sits_after_the_system_prompt_and_before_the_settings():
    state = ToolbarState(model="claude-sonnet-4-6", attachments=("a.png",), system="Be terse and exact.", n=2,
                         tokens_used=99_000, context_tokens=41_234, context_window=200_000)
    text = "".join(part for _, part in row(state))
    assert text.index("attached") < text.index("system") < text.index("ctx 41k/200k") < text.index(" n 2")
    at_80 = "".join(part for _, part in row(dataclasses.replace(state, attachments=()), 80))
    assert at_80.endswith("ctx 41k/200k  n 2") and "spent" not in at_80  # it outranks the spending and hints
    crowded = "".join(part for _, part in row(state, 80))
    assert "system Be terse" in crowded and "ctx" not in crowded  # it gives way to what goes with the message
    unknown = "".join(part for _, part in row(ToolbarState(model="m", context_tokens=900), 80))
    assert "ctx 900 " in unknown + " " and "/" not in unknown.split("ctx")[1].split()[0]


# --- the double counts tokens, and refuses above a window ---------------------------------------------


def test_the_double_counts_word_pieces_digit_groups_and_punctuation():
    assert count_tokens("Hello there") == 4  # Hell o ther e
    assert count_tokens("x = 12345;") == 4  # x = 12345 ;
    assert count_tokens("snake_case") == 4  # snak e _ case
    assert count_tokens("  \n\t ") == 0
    # Not a fixed ratio: the same length counts differently as prose and as code.
    assert count_tokens("abcd" * 10) == 10 and count_tokens("a;" * 20) == 40
    request = {"messages": [{"role": "user", "content": [{"type": "text", "text": "look here"},
                                                         {"type": "image_url", "image_url": {"url": "u"}}]}]}
    assert prompt_tokens(request) == 2 + IMAGE_TOKENS


def ask(double: ServiceDouble, messages: list[dict]) -> tuple[object, ClaudechatError | None]:
    async def main():
        builder = ResultBuilder()
        request = ChatRequest(model="claude-sonnet-4-6", messages=messages)
        async with ChatClient(double.url, TOKEN, retries=0, stream_usage=True) as client:
            try:
                async for event in client.stream(request):
                    builder.add(event)
            except ClaudechatError as error:
                return builder.result(error=error), error
        return builder.result(), None

    return asyncio.run(main())


def test_the_double_reports_the_usage_it_counted():
    with ServiceDouble(token=TOKEN, count_tokens=True) as double:
        double.enqueue(Reply(content="Fine, thanks!"))
        result, error = ask(double, [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "How are you?"}])
    assert error is None
    assert result.usage.prompt_tokens == count_tokens("Be kind.") + count_tokens("How are you?") == 7
    assert result.usage.completion_tokens == count_tokens("Fine, thanks!") == 5


@pytest.mark.parametrize("shape", WINDOW_ERRORS)
def test_a_prompt_over_the_window_is_refused_and_recognised_in_every_shape(shape):
    text = "word " * 60  # 60 tokens
    with ServiceDouble(token=TOKEN, context_window=50, window_error=shape) as double:
        double.enqueue(Reply(content="kept for the request that fits"))
        _, error = ask(double, [{"role": "user", "content": text}])
        assert isinstance(error, ContextWindowError), error
        assert error.status == 400 and error.prompt_tokens == 60 and error.window == 50 and error.excess == 10
        line = str(error)
        assert "exceeds the model's context window by about 10 tokens (60 of 50;" in line
        assert "/compact" in line and "/undo" in line and "larger window" in line and "\n" not in line
        result, fits = ask(double, [{"role": "user", "content": "word " * 50}])
        assert fits is None and result.content == "kept for the request that fits"  # the refusal took no reply


@pytest.mark.parametrize(
    ("body", "prompt", "window"),
    [
        (b'{"error":{"message":"This model\'s maximum context length is 4096 tokens. However, you requested 5000 tokens '
         b'(4000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",'
         b'"type":"BadRequestError","param":null,"code":400}}', 4000, 4096),
        (b'{"object":"error","message":"This model\'s maximum context length is 32768 tokens. However, your request has '
         b'40000 input tokens. Please reduce the length of the input messages.","type":"BadRequestError","code":400}',
         40000, 32768),
        (b'{"message":"Input is too long for requested model."}', None, None),
        (b'{"error":"Input validation error: `inputs` must have less than 4096 tokens. Given: 5000","error_type":"validation"}',
         5000, 4096),
        (b'{"error":"Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` '
         b'tokens and 500 `max_new_tokens`","error_type":"validation"}', 4000, 4096),
    ],
    ids=["vllm with completion", "vllm request has", "bedrock", "tgi", "tgi with max_new_tokens"],
)
def test_older_and_other_shapes_are_recognised(body, prompt, window):
    error = error_from_response(400, {}, body)
    assert isinstance(error, ContextWindowError)
    assert (error.prompt_tokens, error.window) == (prompt, window)


def test_what_only_looks_like_it_is_not_taken_for_a_prompt_too_long():
    output_limit = (b'{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: 10000 > 4096, which is '
                    b'the maximum allowed number of output tokens for claude-3-5-sonnet-20240620"}}')
    assert not isinstance(error_from_response(400, {}, output_limit), ContextWindowError)
    upstream = b'{"success":false,"error":{"code":"api_error","message":"prompt is too long: 3 tokens > 2 maximum"}}'
    assert not isinstance(error_from_response(500, {}, upstream), ContextWindowError)  # a 5xx is the server's fault


def test_a_sent_images_size_counts_as_its_pixels_say() -> None:
    from claudechat.chat.attachments import ImageAttachment
    from claudechat.chat.context import message_tokens
    from claudechat.chat.estimate import TokenEstimator

    image = ImageAttachment(name="a.png", url="data:image/png;base64,AAAA", width=1500, height=750, size=3)
    estimator = TokenEstimator()
    content = [{"type": "text", "text": ""}, image.stored_part()]
    assert message_tokens(content, estimator) == 1500  # 1500 x 750 / 750

"""The context meter's accounting at its edges: every shape of usage a server reports, turns the
server never counted, conversations not shaped question-answer, summaries, pending attachments,
and what a request or a resumed session teaches the estimate. At the starting ratio (3.5
characters a token) 35 characters are 10 tokens; the counts are chosen so that a test learns a
ratio only where it says so."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from claudechat.chat.attachments import ImageAttachment, TextAttachment
from claudechat.chat.compaction import SUMMARY_HEADING, Compaction
from claudechat.chat.context import ContextMeter, ContextPart, content_size, message_tokens
from claudechat.chat.conversation import Candidate, Message
from claudechat.chat.estimate import DEFAULT_CHARS_PER_TOKEN, UNKNOWN_IMAGE_TOKENS, TokenEstimator
from claudechat.chat.session import Session, SessionSettings
from tests.test_context import session_with, usage

WRAPPER = TokenEstimator().text_tokens(SUMMARY_HEADING) + 4  # the heading and tags around a summary
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}


def session_of(*messages: Message, system: str | None = None) -> Session:
    """A session as a file from elsewhere may hold it: not always a question, then its answer."""
    return Session(settings=SessionSettings(model="m", system=system), messages=list(messages))


def rows(meter: ContextMeter, session: Session, typed: str = "", attachments: tuple = ()) -> list[tuple]:
    return [(part.label, part.tokens, part.kind, part.counted) for part in meter.parts(session, typed, attachments)]


class ReadFewTimes(list):
    """A message's text that fails the test when read more than a few times. The meter reads each
    message a few times a recount; a recount that went back over messages it had passed would
    read them without end, and fails at once here instead."""

    def __init__(self, text: str) -> None:
        super().__init__([{"type": "text", "text": text}])
        self.reads = 0

    def __iter__(self):
        self.reads += 1
        assert self.reads <= 20, "a message read over and over"
        return super().__iter__()


# --- sizes of content ---------------------------------------------------------------------------------


def test_every_text_part_and_every_image_of_a_message_is_counted():
    content = [{"type": "text", "text": "ab"}, IMAGE, {"type": "text", "text": "cde"}, IMAGE]
    assert content_size(content) == (5, 2)


def test_a_text_part_without_text_counts_nothing():
    assert content_size([{"type": "text", "text": None}, {"type": "text"}, {"type": "text", "text": 7}]) == (0, 0)


def test_each_image_of_a_message_costs_its_own_pixels():
    wide = ImageAttachment(name="a.png", url="data:image/png;base64,AAAA", width=1500, height=750)
    tall = ImageAttachment(name="b.png", url="data:image/png;base64,BBBB", width=750, height=3000)
    assert message_tokens([wide.stored_part(), tall.stored_part()], TokenEstimator()) == 1500 + 3000


def sized(width: object, height: object) -> dict:
    return {**IMAGE, "name": "a.png", "attachment": {"kind": "image", "name": "a.png", "width": width, "height": height}}


@pytest.mark.parametrize(
    "part", [IMAGE, sized(-750, 750), sized(750, -750), sized(0, 750), sized(True, 750)],
    ids=["no size", "negative width", "negative height", "zero width", "a boolean for a width"],
)
def test_an_image_of_unknown_or_nonsense_size_costs_the_cautious_guess(part):
    assert message_tokens([part], TokenEstimator()) == UNKNOWN_IMAGE_TOKENS


def test_an_image_one_pixel_wide_costs_what_its_pixels_say():
    assert message_tokens([sized(1, 750)], TokenEstimator()) == 1


# --- every server's usage -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counted", "tokens"),
    [
        ({"input_tokens": 100, "output_tokens": 20}, 120),
        ({"prompt_tokens": 0, "input_tokens": 100, "completion_tokens": 20}, 120),
        ({"prompt_tokens": 100, "completion_tokens": 0, "output_tokens": 20}, 120),
        ({"prompt_tokens": 100, "completion_tokens": 20, "completion_tokens_details": None}, 120),
        ({"prompt_tokens": 1, "completion_tokens": 1}, 2),
        ({"prompt_tokens": 100}, 100 + 100),  # the answer as estimated: 350 characters
        ({"prompt_tokens": 100, "completion_tokens": "20"}, 100 + 100),
    ],
    ids=["input and output", "a zero prompt beside input", "a zero completion beside output", "null details",
         "counts of one", "no completion", "a completion that is no number"],
)
def test_each_shape_of_usage_counts_the_turn_as_the_server_did(counted, tokens):
    session = session_with(("first", "b" * 350, counted))
    meter = ContextMeter()
    assert meter.use(session, None).tokens == tokens
    assert rows(meter, session) == [("turn 1 · first", tokens, "turn", True)]


def answered(answer: Message) -> Session:
    session = session_with()
    session.add_turn(Message("user", "first"), answer)
    return session


def test_an_answer_of_several_candidates_is_estimated_for_the_one_sent_back():
    answer = Message("assistant", "b" * 35, usage=usage(100, 500), candidates=[Candidate("b" * 35), Candidate("c" * 1750)])
    assert ContextMeter().use(answered(answer), None).tokens == 100 + 10


@pytest.mark.parametrize(
    "counted", [{"prompt_tokens": 100, "completion_tokens": 500}, usage(100, 50, reasoning=50)],
    ids=["no reasoning count", "all of it reasoning"],
)
def test_an_answer_whose_reasoning_the_count_does_not_separate_is_estimated(counted):
    answer = Message("assistant", "b" * 35, reasoning="Let me think.", usage=counted)
    assert ContextMeter().use(answered(answer), None).tokens == 100 + 10


# --- the rows of the breakdown ------------------------------------------------------------------------


def test_the_first_counted_turn_costs_its_count_less_the_system_prompt_it_was_sent_with():
    session = session_with(("first", "one", usage(100, 20)), system="Be brief, and exact.")
    meter = ContextMeter()
    assert rows(meter, session) == [("system prompt", 6, "system", False), ("turn 1 · first", 114, "turn", True)]
    assert meter.use(session, None).tokens == 120


def test_a_prompt_changed_after_the_last_count_is_followed_from_the_one_that_was_sent():
    session = session_with(("first", "one", usage(100, 20)), system="a" * 35)
    session.change_settings(system="b" * 70)
    session.add_turn(Message("user", "second"), Message("assistant", "two"))  # sent, but not counted
    meter = ContextMeter()
    assert rows(meter, session) == [
        ("system prompt", 20, "system", False),
        ("turn 1 · first", 120 - 10, "turn", True),
        ("turn 2 · second", 2 + 1, "turn", False),
    ]
    assert meter.use(session, None).tokens == 20 + 110 + 3


def test_a_turn_the_server_did_not_count_is_estimated_and_the_next_count_covers_it():
    session = session_with(("a" * 35, "b" * 35, None), ("c" * 7, "d" * 7, usage(1000, 20)), system="s" * 35)
    meter = ContextMeter()
    assert rows(meter, session)[1:] == [
        ("turn 1 · " + "a" * 35, 20, "turn", False),
        ("turn 2 · " + "c" * 7, 1020 - 10 - 20, "turn", True),
    ]
    assert meter.use(session, None).tokens == 1020


@pytest.mark.parametrize("prompt", [300, 200], ids=["the same count", "a smaller count"])
def test_a_turn_whose_count_did_not_grow_is_estimated(prompt):
    session = session_with(("first", "one", usage(300, 20)), ("q" * 35, "a" * 35, usage(prompt, 20)))
    meter = ContextMeter()
    assert rows(meter, session) == [("turn 1 · first", 320, "turn", True), ("turn 2 · " + "q" * 35, 20, "turn", False)]
    assert meter.use(session, None).tokens == 340


def test_a_question_left_without_its_answer_is_a_turn_of_its_own():
    session = session_of(
        Message("user", "Anyone there?"),
        Message("user", "Then answer this."),
        Message("assistant", "Here.", usage=usage(1000, 20)),
        Message("user", "And this?"),
        system="b" * 70,
    )
    session.system_changes = [(0, "a" * 35), (3, "b" * 70)]  # the prompt changed after the answer
    meter = ContextMeter()
    assert rows(meter, session) == [
        ("system prompt", 20, "system", False),
        ("turn 1 · Anyone there?", 4, "turn", False),
        ("turn 2 · Then answer this.", 1020 - 10 - 4, "turn", True),
        ("turn 3 · And this?", 3, "turn", False),
    ]
    assert meter.use(session, None).tokens == 20 + 4 + 1006 + 3


def test_an_answer_without_its_question_has_a_row_of_its_own():
    texts = [ReadFewTimes(text) for text in ("b" * 35, "Why so?", "c" * 35, "d" * 70)]
    session = session_of(Message("assistant", texts[0]), Message("user", texts[1]),
                         Message("assistant", texts[2]), Message("assistant", texts[3]))
    meter = ContextMeter()
    assert rows(meter, session) == [
        ("an answer", 10, "turn", False),
        ("turn 1 · Why so?", 2 + 10, "turn", False),
        ("an answer", 20, "turn", False),
    ]
    assert meter.use(session, None).tokens == 42


def test_a_lone_answer_is_the_whole_conversation():
    session = session_of(Message("assistant", ReadFewTimes("b" * 35)))
    assert rows(ContextMeter(), session) == [("an answer", 10, "turn", False)]


def test_a_summary_the_server_did_not_count_is_estimated():
    session = session_with(("first", "one", usage(300, 20)))
    session.compact(Compaction(covers=2, summary="s" * 35))
    meter = ContextMeter()
    assert rows(meter, session) == [("summary of turn 1 (/compact)", 10 + WRAPPER, "summary", False)]
    assert meter.use(session, None).tokens == 10 + WRAPPER


def test_turns_after_a_summary_cost_what_the_count_grew_by_and_go_on_numbering_questions():
    session = session_of(Message("user", "first"), Message("assistant", "one", usage=usage(300, 20)),
                         Message("assistant", "and one more thing"))
    session.compact(Compaction(covers=3, summary="they talked", tokens=12))
    session.add_turn(Message("user", "second"), Message("assistant", "two", usage=usage(400, 20)))
    meter = ContextMeter()
    assert rows(meter, session) == [
        ("summary of turn 1 (/compact)", 12 + WRAPPER, "summary", True),
        ("turn 2 · second", 420 - 12 - WRAPPER, "turn", True),
    ]
    assert meter.use(session, None).tokens == 420


def test_a_turns_label_is_its_first_words():
    session = session_with(("word " * 30, "ok", None))
    assert ContextMeter().parts(session)[0].label == "turn 1 · " + "word " * 9 + "wo…"


def test_a_turns_label_says_what_went_with_it():
    image = ImageAttachment(name="shot.png", url="data:image/png;base64,AAAA")
    notes = TextAttachment(name="notes.md", text="z" * 35)
    session = session_with()
    session.add_turn(Message("user", [image.stored_part()]), Message("assistant", "a picture"))
    session.add_turn(Message("user", [{"type": "text", "text": "look"}, notes.stored_part(), image.stored_part()]),
                     Message("assistant", "I see"))
    labels = [part.label for part in ContextMeter().parts(session)]
    assert labels == ["turn 1 · (no text) (+1 attached)", "turn 2 · look (+2 attached)"]


def test_what_is_typed_so_far_is_a_row_of_its_own_once_it_is_more_than_blanks():
    session = session_with(("first", "one", usage(100, 20)))
    meter = ContextMeter()
    assert meter.parts(session, "hello")[-1] == ContextPart("your message, as typed so far", 2, "input")
    assert [part.kind for part in meter.parts(session, "   ")] == ["turn"]


# --- what the meter recounts ----------------------------------------------------------------------------


def test_picking_another_answer_is_counted_at_once():
    session = session_with(("first", "one", usage(100, 20)), ("second", "two", usage(140, 30)))
    meter = ContextMeter()
    assert meter.use(session, None).tokens == 170
    session.replace_answer(Message("assistant", "another", usage=usage(140, 60)))
    assert meter.use(session, None).tokens == 200


def test_a_changed_system_prompt_is_counted_at_once():
    session = session_with(("first", "one", usage(100, 20)))
    meter = ContextMeter()
    assert meter.use(session, None).tokens == 120
    session.change_settings(system="y" * 70)
    assert meter.use(session, None).tokens == 140


def test_a_pending_image_of_known_size_costs_its_pixels():
    image = ImageAttachment(name="shot.png", url="data:image/png;base64,AAAA", width=1500, height=750)
    parts = ContextMeter().parts(session_with(("first", "one", usage(100, 20))), "", [image])
    assert parts[-1] == ContextPart("image: shot.png", 1500, "attachment")


def test_pending_attachments_are_recounted_when_they_or_the_ratio_change():
    session = session_with(("first", "one", usage(100, 20)))
    notes, more = TextAttachment(name="notes.md", text="z" * 700), TextAttachment(name="more.md", text="y" * 35)
    meter = ContextMeter()
    assert meter.use(session, None, "", [notes]).tokens == 120 + 200
    assert meter.use(session, None, "", [notes]).tokens == 120 + 200
    assert meter.use(session, None, "", [notes, more]).tokens == 120 + 200 + 10
    assert meter.use(session, None, "", [more]).tokens == 120 + 10
    meter.observe([{"role": "user", "content": "a" * 2000}], 1000)  # 2 characters a token from now on
    assert meter.use(session, None, "", [more]).tokens == 120 + 18


@dataclass
class RecordingEstimator(TokenEstimator):
    sized: list[str] = field(default_factory=list)

    def text_tokens(self, text: str) -> int:
        self.sized.append(text)
        return super().text_tokens(text)


def test_a_keystroke_sizes_only_what_is_typed():
    session = session_with(("first", "one", usage(100, 20)))
    notes = TextAttachment(name="notes.md", text="z" * 700)
    meter = ContextMeter()
    meter.use(session, None, "", [notes])
    meter.estimator = recording = RecordingEstimator(meter.estimator.chars_per_token, meter.estimator.samples)
    assert meter.use(session, None, "h", [notes]).tokens == 120 + 200 + 1
    assert meter.use(session, None, "he", [notes]).tokens == 120 + 200 + 1
    assert recording.sized == ["h", "he"]


# --- learning the ratio ---------------------------------------------------------------------------------


def learnt(meter: ContextMeter) -> tuple[float, int]:
    return meter.estimator.chars_per_token, meter.estimator.samples


def test_a_request_teaches_the_text_of_all_its_messages_and_nothing_of_an_empty_one():
    meter = ContextMeter()
    meter.observe([{"role": "system", "content": "s" * 1000}, {"role": "user", "content": "u" * 1000},
                   {"role": "assistant", "content": None}], 500)
    assert learnt(meter) == (4.0, 1)


def test_the_guess_at_every_image_of_a_request_is_taken_off_its_count():
    meter = ContextMeter()
    meter.observe([{"role": "user", "content": [{"type": "text", "text": "t" * 9600}, IMAGE]},
                   {"role": "user", "content": "u" * 9600}], 8000)
    assert learnt(meter) == (19200 / (8000 - UNKNOWN_IMAGE_TOKENS), 1)


def test_a_request_whose_images_are_a_quarter_of_its_count_still_teaches():
    meter = ContextMeter()
    meter.observe([{"role": "user", "content": [{"type": "text", "text": "t" * 14400}, IMAGE]}], 4 * UNKNOWN_IMAGE_TOKENS)
    assert learnt(meter) == (3.0, 1)


def test_a_request_mostly_of_images_teaches_nothing_even_when_its_text_looks_plausible():
    meter = ContextMeter()
    meter.observe([{"role": "user", "content": [{"type": "text", "text": "t" * 4000}, IMAGE]}], 2000)
    assert learnt(meter) == (DEFAULT_CHARS_PER_TOKEN, 0)


def resumed(session: Session) -> tuple[float, int]:
    meter = ContextMeter()
    meter.use(session, None)
    return learnt(meter)


def test_a_resumed_session_without_a_system_prompt_learns_from_its_messages_alone():
    assert resumed(session_with(("q" * 900, "a" * 300, usage(300, 100)))) == (3.0, 1)


def test_a_resumed_session_learns_with_the_system_prompt_each_request_was_sent_with():
    session = session_with(("q" * 900, "a" * 300, usage(300, 100)), system="s" * 300)
    session.change_settings(system="t" * 600)
    assert resumed(session) == (pytest.approx((300 + 900) / 300), 1)


def test_answers_the_server_did_not_count_are_not_among_the_last_ones_learnt_from():
    session = session_with(("q" * 900, "a" * 300, usage(300, 100)), *[("more", "ok", None)] * 5)
    assert resumed(session) == (3.0, 1)


def test_an_answer_before_a_summary_learns_from_the_messages_it_was_sent_with():
    session = session_with(("q" * 900, "a" * 300, usage(300, 100)))
    session.compact(Compaction(covers=2, summary="s" * 600))
    assert resumed(session) == (3.0, 1)


def test_an_answer_after_a_summary_learns_from_the_summary_in_place_of_the_turns_it_covers():
    session = session_with(("q" * 900, "a" * 300, None))
    session.compact(Compaction(covers=2, summary="s" * 600))
    session.add_turn(Message("user", "r" * 300), Message("assistant", "b", usage=usage(400, 10)))
    assert resumed(session) == (pytest.approx((600 + len(SUMMARY_HEADING) + 300) / 400), 1)


def test_a_resumed_session_takes_the_guess_at_its_images_off_the_count():
    session = session_with()
    session.add_turn(Message("user", [{"type": "text", "text": "q" * 9600}, IMAGE]), Message("assistant", "a" * 4800))
    session.add_turn(Message("user", "r" * 4800), Message("assistant", "b", usage=usage(8000, 10)))
    assert resumed(session) == (pytest.approx(19200 / (8000 - UNKNOWN_IMAGE_TOKENS)), 1)

"""A request is checked before it is sent: every bound, and the words of every refusal."""

from __future__ import annotations

import pytest

from claudechat.api.errors import RequestValidationError
from claudechat.api.request import ChatRequest

OK = {"role": "user", "content": "hi"}
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}


def refusal(**fields) -> RequestValidationError:
    fields.setdefault("model", "m")
    fields.setdefault("messages", [OK])
    with pytest.raises(RequestValidationError) as caught:
        ChatRequest(**fields).validate()
    return caught.value


def valid(**fields) -> None:
    fields.setdefault("model", "m")
    fields.setdefault("messages", [OK])
    ChatRequest(**fields).validate()


def test_an_empty_model_says_how_to_name_one():
    error = refusal(model=" ")

    assert (error.message, error.hint) == ("the model id is empty", "pass -m MODEL or set `model` in the config")


def test_no_messages_is_refused_in_words():
    assert refusal(messages=[]).message == "the request has no messages"


@pytest.mark.parametrize(
    ("messages", "said"),
    [
        ([OK, "text"], "message 2 must be an object with `role` and `content`"),
        ([{"role": "bot", "content": "x"}], "message 1 has role 'bot'; expected one of system, user, assistant"),
        ([OK, OK, {"role": "user", "content": []}], "message 3 content must be text or a non-empty list of text/image parts"),
        ([{"role": "user", "content": [IMAGE, 5]}], "message 1, part 2, must be an object with a `type`"),
        ([{"role": "user", "content": [{"type": "text"}]}], "message 1, part 1, is a text part without a `text` string"),
        ([{"role": "user", "content": [{"type": "audio"}]}], "message 1, part 1, has type 'audio'; expected 'text' or 'image_url'"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": "u"}]}],
         "message 1, part 1, is an image part without an `image_url.url`"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": ""}}]}],
         "message 1, part 1, is an image part without an `image_url.url`"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": 5}}]}],
         "message 1, part 1, is an image part without an `image_url.url`"),
    ],
)
def test_each_bad_message_is_named_by_its_number(messages, said):
    assert refusal(messages=messages).message == said


def test_text_and_image_parts_are_accepted():
    valid(messages=[{"role": "system", "content": "s"}, {"role": "user", "content": [{"type": "text", "text": "t"}, IMAGE]},
                    {"role": "assistant", "content": "a"}])


@pytest.mark.parametrize("temperature", [0, 0.0, 1.5, 2, 2.0])
def test_temperatures_from_0_to_2_are_accepted(temperature):
    valid(temperature=temperature)


@pytest.mark.parametrize("temperature", [-0.1, 2.01, True, "1"])
def test_other_temperatures_are_refused(temperature):
    assert refusal(temperature=temperature).message == (
        f"temperature must be a number from 0 to 2, got {temperature!r}"
    )


@pytest.mark.parametrize("n", [1, 2, 128])
def test_n_from_1_to_128_is_accepted(n):
    valid(n=n)


@pytest.mark.parametrize("n", [0, 129, True, 1.0])
def test_other_n_is_refused(n):
    assert refusal(n=n).message == f"n must be a whole number from 1 to 128, got {n!r}"


@pytest.mark.parametrize("max_tokens", [0, -1, True, 1.5])
def test_max_tokens_below_1_or_not_whole_is_refused(max_tokens):
    assert refusal(max_tokens=max_tokens).message == (
        f"max_tokens must be a whole number of at least 1, got {max_tokens!r}"
    )


@pytest.mark.parametrize("max_tokens", [1, 2, 100_000])
def test_max_tokens_of_1_or_more_is_accepted(max_tokens):
    valid(max_tokens=max_tokens)


def test_a_response_format_is_one_of_two():
    valid(response_format="json_object")
    assert refusal(response_format="xml").message == "response_format must be one of text, json_object, got 'xml'"

"""When frames are drawn: the answer view says when its next frame is due, new input that
wants one at once wakes the frame clock, and between the two the clock sleeps."""

from __future__ import annotations

import asyncio
import io

import pytest
from rich.console import Console

from claudechat.render import answer
from claudechat.render.answer import AnswerView
from claudechat.render.screen import Screen
from claudechat.turn import _frames


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def view_and_clock():
    console = Console(file=io.StringIO(), width=60, height=20, color_system=None)
    clock = FakeClock()
    view = AnswerView(Screen(console), model="m", clock=clock)
    calls: list[float] = []
    view.on_due = lambda: calls.append(clock.now)
    return view, clock, calls


def test_a_new_view_draws_at_once_then_waits_for_the_spinners_tick(view_and_clock):
    view, clock, _calls = view_and_clock
    assert view.next_frame_in() == 0.0
    view.frame()
    assert view.next_frame_in() == pytest.approx(answer._TICK)
    clock.now += 0.03
    assert view.next_frame_in() == pytest.approx(answer._TICK - 0.03)
    clock.now += 1.0
    assert view.next_frame_in() == 0.0  # overdue: now, never a negative wait


def test_the_first_words_and_enough_text_wake_the_clock_a_word_alone_waits_its_hold(view_and_clock):
    view, clock, calls = view_and_clock
    view.frame()
    view.content("First")
    assert calls == [100.0] and view.next_frame_in() == 0.0
    view.frame()
    calls.clear()

    clock.now += 0.05
    view.content(" word")
    assert calls == []  # no wake-up for one word...
    assert view.next_frame_in() == pytest.approx(answer._HOLD)  # ...it is drawn when its hold is over
    clock.now += 0.05
    assert view.next_frame_in() == pytest.approx(answer._HOLD - 0.05)
    view.content("x" * answer._MIN_NEW_CHARS)
    assert calls == [clock.now]  # enough text to draw: at once
    assert view.next_frame_in() == 0.0
    view.content("more")
    assert len(calls) == 1  # one wake-up for the frame, not one per delta


def test_when_text_stops_flowing_the_spinner_ticks_again(view_and_clock):
    view, clock, _calls = view_and_clock
    view.content("Some text")
    view.frame()
    clock.now += 0.5
    view.frame()  # nothing to draw: the indicator moves on once a second while text flows
    assert view.next_frame_in() == pytest.approx(0.5)  # when the text is a second old
    clock.now += 0.5
    assert view.next_frame_in() == 0.0


def test_typing_and_resizing_want_a_frame_at_once(view_and_clock):
    view, clock, calls = view_and_clock
    view.content("Some text")
    view.frame()
    calls.clear()
    view.typed("next question")
    assert calls == [clock.now] and view.next_frame_in() == 0.0
    view.frame()
    view.resized()
    assert len(calls) == 2 and view.next_frame_in() == 0.0


class Stub:
    """A view whose next frame is never due by itself: only a wake-up brings one."""

    def __init__(self) -> None:
        self.on_due = lambda: None
        self.frames = 0
        self.drawn = asyncio.Event()

    def frame(self) -> None:
        self.frames += 1
        self.drawn.set()

    def next_frame_in(self) -> float:
        return 3600.0


def test_the_frame_clock_sleeps_until_woken_and_draws_once_per_wake_up(monkeypatch):
    # No pause between frames at all: a clock that polled would draw on every turn of the loop.
    monkeypatch.setattr("claudechat.turn.FRAME_INTERVAL", 0.0)

    async def main() -> list[int]:
        view = Stub()
        task = asyncio.create_task(_frames(view))  # type: ignore[arg-type]
        counts = []
        for _ in range(3):
            await asyncio.wait_for(view.drawn.wait(), 30)
            view.drawn.clear()
            for _ in range(50):  # many turns of the event loop: no frame comes unasked
                await asyncio.sleep(0)
            counts.append(view.frames)
            view.on_due()
        await asyncio.wait_for(view.drawn.wait(), 30)
        counts.append(view.frames)
        task.cancel()
        return counts

    assert asyncio.run(main()) == [1, 2, 3, 4]

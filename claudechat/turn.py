"""One turn: stream an answer from the API into an `AnswerView`, on one frame clock.

Shared by the REPL and by one-shot mode on a terminal, so both draw answers the same way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from claudechat.api import (
    APIError,
    ChatClient,
    ChatRequest,
    ChatResult,
    ContentDelta,
    ReasoningDelta,
    RefusalDelta,
    ResultBuilder,
)
from claudechat.render.answer import FRAME_INTERVAL, ending_notes, status_text

if TYPE_CHECKING:
    from claudechat.prices import PriceTable
    from claudechat.render.screen import Screen

__all__ = ["TurnOutcome", "TurnView", "stream_answer", "outcome_status", "outcome_notes"]


class TurnView(Protocol):
    """What an answer streams into: `AnswerView`, or `SummaryView` for a summary."""

    first_token_at: float | None
    on_due: Callable[[], None]  # set by the frame clock: call it when new input wants a frame now

    @property
    def screen(self) -> Screen: ...

    def content(self, text: str) -> None: ...

    def reasoning(self, text: str) -> None: ...

    def refusal(self, text: str) -> None: ...

    def frame(self) -> None: ...

    def next_frame_in(self) -> float: ...

    def resized(self) -> None: ...


@dataclass
class TurnOutcome:
    result: ChatResult
    error: APIError | None
    seconds: float
    generating_seconds: float | None

    @property
    def interrupted(self) -> bool:
        return self.result.interrupted


async def _frames(view: TurnView) -> None:
    """Draw a frame whenever one is due, at most one every FRAME_INTERVAL.

    Between frames the task sleeps until the view's next frame is due, or until new input
    makes one due at once: a model writing a few words a second wakes it a few times a second,
    not 25 (each wake-up of the event loop costs CPU, the most of an answer at a slow pace).
    """
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    view.on_due = wake.set
    while True:
        view.frame()
        drawn_at = loop.time()
        wake.clear()
        wait = view.next_frame_in()
        if wait > FRAME_INTERVAL:
            timer = loop.call_later(wait, wake.set)
            try:
                await wake.wait()
            finally:
                timer.cancel()
        await asyncio.sleep(max(0.0, drawn_at + FRAME_INTERVAL - loop.time()))


async def stream_answer(client: ChatClient, request: ChatRequest, view: TurnView) -> TurnOutcome:
    """Run the request, feeding choice 0 to the view; cancelling the task ends it as interrupted."""
    builder = ResultBuilder()
    started = time.monotonic()
    frames = asyncio.create_task(_frames(view))
    error: APIError | None = None
    interrupted = False
    with view.screen.noting_resizes(view.resized):
        try:
            async with aclosing(client.stream(request)) as events:
                async for event in events:
                    builder.add(event)
                    kind = type(event)
                    if kind is ContentDelta and event.index == 0:  # type: ignore[union-attr]
                        view.content(event.text)  # type: ignore[union-attr]
                    elif kind is ReasoningDelta and event.index == 0:  # type: ignore[union-attr]
                        view.reasoning(event.text)  # type: ignore[union-attr]
                    elif kind is RefusalDelta and event.index == 0:  # type: ignore[union-attr]
                        view.refusal(event.text)  # type: ignore[union-attr]
        except asyncio.CancelledError:
            interrupted = True
        except APIError as exc:
            error = exc
        finally:
            frames.cancel()
    ended = time.monotonic()
    generating = ended - view.first_token_at if view.first_token_at is not None else None
    result = builder.result(error=error, interrupted=interrupted)
    return TurnOutcome(result=result, error=error, seconds=ended - started, generating_seconds=generating)


def outcome_status(outcome: TurnOutcome, model: str, prices: PriceTable | None = None) -> str:
    """The status line of an answer; with `prices`, the cost of its tokens beside them."""
    usage = outcome.result.usage
    cost = None
    if usage is not None and prices is not None:
        cost = prices.usage_cost(outcome.result.model or model, usage).text()
    return status_text(
        outcome.result.model or model,
        seconds=outcome.seconds,
        prompt_tokens=usage.prompt_tokens if usage else None,
        completion_tokens=usage.completion_tokens if usage else None,
        generating_seconds=outcome.generating_seconds,
        finish_reason=outcome.result.finish_reason,
        cost=cost,
    )


def outcome_notes(outcome: TurnOutcome, raise_limit: str) -> list:  # type: ignore[type-arg]
    """The lines under an answer that ended unusually (refused, cut off at max_tokens)."""
    result = outcome.result
    return ending_notes(result.finish_reason, refused=bool(result.refusal), raise_limit=raise_limit)

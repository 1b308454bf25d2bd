"""How much of the model's context window one message's attachments may fill.

The share is the `attach_max_share` setting (half the window by default), the window the
catalogue's for the model or the `context_window` setting; with neither known, only the
per-file limits apply. Tokens are estimated, before the server counts them, by a
`TokenEstimator`: `default_estimator` gives the plain one, and the chat may hand in one
calibrated on its own conversation instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from claudechat.chat.attachments import Attachment, AttachmentError, TextAttachment
from claudechat.chat.estimate import TokenEstimator

__all__ = ["Budget", "default_estimator", "estimate_tokens"]


def default_estimator() -> TokenEstimator:
    return TokenEstimator()


def estimate_tokens(attachments: Iterable[Attachment], estimator: TokenEstimator) -> int:
    """The estimated tokens of the text attachments (images are held to their own limits)."""
    return sum(
        estimator.text_tokens(attachment.text) for attachment in attachments if isinstance(attachment, TextAttachment)
    )


@dataclass(frozen=True)
class Budget:
    model: str
    window: int | None  # tokens; None when unknown
    share: float

    @classmethod
    def for_model(cls, model: str, *, share: float, configured_window: int | None) -> Budget:
        from claudechat.models import context_window

        return cls(model, context_window(model, configured_window), share)

    @property
    def limit(self) -> int | None:
        return int(self.window * self.share) if self.window else None

    def describe(self) -> str:
        """What one message may carry: `the 100,000 one message may carry (50% of a 200,000-token window)`."""
        if self.limit is None:
            return "no set limit (the model's context window is unknown: set context_window)"
        return f"the {self.limit:,} one message may carry ({self.share:.0%} of a {self.window:,}-token window)"

    def check(self, attachments: Iterable[Attachment], estimator: TokenEstimator) -> int:
        """The estimated tokens of `attachments`; an `AttachmentError` when over the limit."""
        total = estimate_tokens(attachments, estimator)
        limit = self.limit
        if limit is not None and total > limit:
            from claudechat.sanitize import one_line

            raise AttachmentError(
                f"cannot attach: about {total:,} tokens of files is over the {limit:,} one message may carry "
                f"({self.share:.0%} of {one_line(self.model, 80)}'s {self.window:,}-token window)",
                hint="attach fewer or smaller files, or raise attach_max_share in the config",
            )
        return total

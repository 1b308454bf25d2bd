"""Token counts before the server counts them: an estimate of what text and images will cost.

The ratio of characters to tokens differs between prose, code and languages, so the estimate
starts from a typical ratio and is meant to be calibrated against the `usage` numbers the
server reports for this conversation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["TokenEstimator", "DEFAULT_CHARS_PER_TOKEN"]

DEFAULT_CHARS_PER_TOKEN = 3.5
_IMAGE_PIXELS_PER_TOKEN = 750  # Claude's published estimate: width x height / 750


@dataclass
class TokenEstimator:
    chars_per_token: float = DEFAULT_CHARS_PER_TOKEN

    def text_tokens(self, text: str) -> int:
        return math.ceil(len(text) / self.chars_per_token) if text else 0

    @staticmethod
    def image_tokens(width: int, height: int) -> int:
        return math.ceil(width * height / _IMAGE_PIXELS_PER_TOKEN)

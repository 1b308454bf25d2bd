"""Token counts before the server counts them: an estimate of what text and images will cost.

The ratio of characters to tokens differs between prose, code and languages, so the estimate
starts from a typical ratio and is calibrated against the `usage` numbers the server reports
for this conversation: after each answer, the characters the request carried divided by the
prompt tokens the server counted for them is one sample, and the ratio follows the samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["TokenEstimator", "DEFAULT_CHARS_PER_TOKEN", "UNKNOWN_IMAGE_TOKENS"]

DEFAULT_CHARS_PER_TOKEN = 3.5
_IMAGE_PIXELS_PER_TOKEN = 750  # Claude's published estimate: width x height / 750
# An image whose size is not known: about what Claude charges for the largest it takes whole
# (1568 px on the long edge, ~1.15 megapixels), so the estimate errs on the side of caution.
UNKNOWN_IMAGE_TOKENS = 1_600
# Each request repeats the whole conversation, so the newest sample describes the most text;
# it counts for this much of the ratio, the ratio before it for the rest.
_SAMPLE_WEIGHT = 0.6
# Samples from requests this small say little about the ratio (a greeting, a number).
_MIN_SAMPLE_TOKENS = 20
# A ratio outside these is a server counting something else (images, tools), not text.
_PLAUSIBLE = (0.5, 20.0)


@dataclass
class TokenEstimator:
    chars_per_token: float = DEFAULT_CHARS_PER_TOKEN
    samples: int = 0  # how many usage reports the ratio has learnt from

    def text_tokens(self, text: str) -> int:
        return math.ceil(len(text) / self.chars_per_token) if text else 0

    def chars_tokens(self, chars: int) -> int:
        """The tokens of `chars` characters of text (when only their number is at hand)."""
        return math.ceil(chars / self.chars_per_token) if chars > 0 else 0

    @staticmethod
    def image_tokens(width: int | None, height: int | None) -> int:
        if not width or not height:
            return UNKNOWN_IMAGE_TOKENS
        return math.ceil(width * height / _IMAGE_PIXELS_PER_TOKEN)

    def calibrate(self, chars: int, tokens: int) -> bool:
        """Learn from one request: `chars` characters of text the server counted as `tokens`.

        The first sample replaces the starting ratio; later ones are blended in. Samples too
        small to say much, or with a ratio no text has, are ignored (False).
        """
        if tokens < _MIN_SAMPLE_TOKENS or chars <= 0:
            return False
        ratio = chars / tokens
        if not _PLAUSIBLE[0] <= ratio <= _PLAUSIBLE[1]:
            return False
        if self.samples == 0:
            self.chars_per_token = ratio
        else:
            self.chars_per_token += (ratio - self.chars_per_token) * _SAMPLE_WEIGHT
        self.samples += 1
        return True

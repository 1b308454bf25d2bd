"""The model catalogue: the ids the service documents, and what each accepts.

The service adds models over time, so an id missing here is still usable; the catalogue only
drives listings, completion and the warnings about images and reasoning.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ModelInfo",
    "MODELS",
    "context_window",
    "find_model",
    "accepts_images",
    "image_warning",
    "is_model_id",
    "reasoning_warning",
    "THINKING_EXAMPLE",
]


@dataclass(frozen=True)
class ModelInfo:
    id: str
    vision: bool = True  # accepts image parts
    thinking: bool = False  # streams reasoning_content before the answer
    context_window: int = 200_000  # tokens: the prompt and the answer together


MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("claude-sonnet-4-6"),
    ModelInfo("claude-opus-4-6"),
    ModelInfo("claude-opus-4-5-20251101"),
    ModelInfo("claude-haiku-4-5-20251001"),
    ModelInfo("claude-sonnet-4-5-20250929"),
    ModelInfo("claude-opus-4-1-20250805"),
    ModelInfo("claude-sonnet-4-20250514"),
    ModelInfo("claude-sonnet-4-20250514-thinking", thinking=True),
    ModelInfo("claude-opus-4-20250514"),
    ModelInfo("claude-opus-4-20250514-thinking", thinking=True),
    ModelInfo("claude-3-7-sonnet-20250219"),
    ModelInfo("claude-3-5-sonnet-20241022"),
    ModelInfo("claude-3-5-haiku-20241022", vision=False),
    ModelInfo("claude-3-5-sonnet-20240620"),
    ModelInfo("claude-3-haiku-20240307"),
    ModelInfo("claude-3-sonnet-20240229"),
    ModelInfo("claude-3-opus-20240229"),
)

_BY_ID = {model.id: model for model in MODELS}
THINKING_EXAMPLE = "claude-sonnet-4-20250514-thinking"


def find_model(model_id: str) -> ModelInfo | None:
    return _BY_ID.get(model_id)


def context_window(model_id: str, configured: int | None = None) -> int | None:
    """The context window of `model_id`: the catalogue's, else the configured one, else unknown."""
    model = find_model(model_id)
    return model.context_window if model is not None else configured


def accepts_images(model_id: str) -> bool | None:
    """True or False for a catalogued model, None when the model is unknown."""
    model = find_model(model_id)
    return None if model is None else model.vision


def image_warning(model_id: str) -> str | None:
    """What to tell someone attaching images for `model_id`, if the model may not take them."""
    accepts = accepts_images(model_id)
    if accepts is False:
        return f"{model_id} does not accept images; choose a vision model (see /model)"
    if accepts is None:
        return f"{model_id} is not known to accept images"
    return None


def reasoning_warning(model_id: str) -> str | None:
    """What to tell someone asking to see the reasoning of `model_id`, if it sends none."""
    model = find_model(model_id)
    if model is None or model.thinking:
        return None
    return (f"{model_id} does not reason, so there is no reasoning to show; thinking models end in "
            f"-thinking, e.g. {THINKING_EXAMPLE} (see /model)")


def is_model_id(text: str) -> bool:
    """Whether `text` can be a model id: one word of printable characters, not absurdly long."""
    from claudechat.sanitize import sanitize

    return 0 < len(text) <= 200 and not any(char.isspace() for char in text) and sanitize(text) == text

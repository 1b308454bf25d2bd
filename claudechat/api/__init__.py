"""The streaming HTTP layer: requests in, typed events out. Knows nothing of terminals.

Importing this package imports httpx; the CLI imports it only once a request is due.
"""

from claudechat.api.client import ChatClient, RetryNotice
from claudechat.api.errors import (
    APIConnectionError,
    TLSError,
    APIError,
    APIStatusError,
    APITimeoutError,
    ErrorDetails,
    IncompleteStreamError,
    MalformedStreamError,
    RequestValidationError,
    StreamError,
)
from claudechat.api.events import (
    ChatResult,
    Choice,
    ContentDelta,
    FinishReason,
    ReasoningDelta,
    RefusalDelta,
    ResponseInfo,
    ResultBuilder,
    StreamEvent,
    Usage,
    UsageReport,
)
from claudechat.api.request import ChatRequest, Message
from claudechat.api.sse import ServerSentEvent, SSEDecoder

__all__ = [
    "ChatClient",
    "RetryNotice",
    "APIConnectionError",
    "TLSError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "ErrorDetails",
    "IncompleteStreamError",
    "MalformedStreamError",
    "RequestValidationError",
    "StreamError",
    "ChatResult",
    "Choice",
    "ContentDelta",
    "FinishReason",
    "ReasoningDelta",
    "RefusalDelta",
    "ResponseInfo",
    "ResultBuilder",
    "StreamEvent",
    "Usage",
    "UsageReport",
    "ChatRequest",
    "Message",
    "ServerSentEvent",
    "SSEDecoder",
]

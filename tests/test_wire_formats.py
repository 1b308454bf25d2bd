"""What real "OpenAI-compatible" servers send, byte for byte, read right by the client.

Each case is one server's shape, taken from its source code, its documentation or a recording
of its traffic, served verbatim by the double. The cases that matter most are the failures: a
server that reports an error must never leave the client with an empty answer and no error,
which a script cannot tell from success.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import pytest

from claudechat.api import (
    APIStatusError,
    ChatClient,
    ChatRequest,
    ChatResult,
    IncompleteStreamError,
    ResultBuilder,
    StreamError,
)
from claudechat.errors import ClaudechatError
from tests.double import RawReply, Reply, ServiceDouble

pytestmark = pytest.mark.timeout(10)

TOKEN = "t"
SSE = "text/event-stream"


@pytest.fixture
def double():
    with ServiceDouble(token=TOKEN) as d:
        yield d


def ask(double: ServiceDouble, *, stream: bool = True, **client_options) -> tuple[ChatResult, ClaudechatError | None]:
    async def main() -> tuple[ChatResult, ClaudechatError | None]:
        builder = ResultBuilder()
        request = ChatRequest(model="m", messages=[{"role": "user", "content": "hi"}], stream=stream)
        async with ChatClient(double.url, TOKEN, retries=0, **client_options) as client:
            try:
                async for event in client.stream(request):
                    builder.add(event)
            except ClaudechatError as error:
                return builder.result(error=error), error
        return builder.result(), None

    return asyncio.run(main())


def events(*chunks: str, done: bool = True, prefix: str = "data: ") -> bytes:
    """An SSE body: each chunk in a `data:` event, then `[DONE]` unless told not to."""
    body = "".join(f"{prefix}{chunk}\n\n" for chunk in chunks)
    return (body + (f"{prefix}[DONE]\n\n" if done else "")).encode("utf-8")


def chunk(delta: dict | None = None, *, finish: str | None = None, **top) -> str:
    choice = {"index": 0, "delta": delta if delta is not None else {}, "finish_reason": finish}
    return json.dumps({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                       "choices": [choice], **top})


HELLO = chunk({"role": "assistant", "content": "Hel"})
LO = chunk({"content": "lo"})


# --- answers: every dialect gives the same text ------------------------------------------------


@dataclass
class Answer:
    name: str
    body: bytes
    content: str = "Hello"
    reasoning: str = ""
    refusal: str = ""
    finish: str | None = "stop"
    total_tokens: int | None = None
    content_type: str = SSE


ANSWERS = [
    Answer(  # recorded from api.openai.com: a refusal instead of content
        "openai refusal",
        events(
            '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","system_fingerprint":"fp_x",'
            '"choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":""},"logprobs":null,"finish_reason":null}],"usage":null}',
            '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","system_fingerprint":"fp_x",'
            '"choices":[{"index":0,"delta":{"refusal":"I\'m sorry, I can\'t help with that."},"logprobs":null,"finish_reason":null}],"usage":null}',
            '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","system_fingerprint":"fp_x",'
            '"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}',
            '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","system_fingerprint":"fp_x",'
            '"choices":[],"usage":{"prompt_tokens":79,"completion_tokens":11,"total_tokens":90,"completion_tokens_details":{"reasoning_tokens":0}}}',
        ),
        content="",
        refusal="I'm sorry, I can't help with that.",
        total_tokens=90,
        content_type="text/event-stream; charset=utf-8",
    ),
    Answer(  # llama.cpp b7010: reasoning_content, null first content, timings beside usage
        "llama.cpp reasoning and timings",
        events(
            '{"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],"created":1,"id":"chatcmpl-a","model":"gpt-oss","system_fingerprint":"b7010","object":"chat.completion.chunk"}',
            '{"choices":[{"finish_reason":null,"index":0,"delta":{"reasoning_content":"We need"}}],"created":1,"id":"chatcmpl-a","model":"gpt-oss","object":"chat.completion.chunk"}',
            '{"choices":[{"finish_reason":null,"index":0,"delta":{"content":"Hello"}}],"created":1,"id":"chatcmpl-a","model":"gpt-oss","object":"chat.completion.chunk"}',
            '{"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"created":1,"id":"chatcmpl-a","model":"gpt-oss","object":"chat.completion.chunk"}',
            '{"choices":[],"created":1,"id":"chatcmpl-a","model":"gpt-oss","object":"chat.completion.chunk","usage":{"completion_tokens":42,"prompt_tokens":139,"total_tokens":181},"timings":{"prompt_n":1,"predicted_n":42}}',
        ),
        reasoning="We need",
        total_tokens=181,
    ),
    Answer(  # Mistral's reasoning models: content as a list of thinking and text parts
        "mistral thinking parts",
        events(
            '{"id":"c3c7","object":"chat.completion.chunk","created":1,"model":"magistral-medium-2509","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
            '{"id":"c3c7","object":"chat.completion.chunk","created":1,"model":"magistral-medium-2509","choices":[{"index":0,"delta":{"content":[{"type":"thinking","thinking":[{"type":"text","text":"Okay"}]}]},"finish_reason":null}]}',
            '{"id":"c3c7","object":"chat.completion.chunk","created":1,"model":"magistral-medium-2509","choices":[{"index":0,"delta":{"content":[{"type":"thinking","thinking":[{"type":"text","text":", done."}],"closed":true},{"type":"reference","reference_ids":[1]},{"type":"text","text":"Hel"}]},"finish_reason":null}]}',
            '{"id":"c3c7","object":"chat.completion.chunk","created":1,"model":"magistral-medium-2509","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}',
            '{"id":"c3c7","object":"chat.completion.chunk","created":1,"model":"magistral-medium-2509","choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":40,"total_tokens":45}}',
        ),
        reasoning="Okay, done.",
        total_tokens=45,
    ),
    Answer(  # OpenRouter: keep-alive comments, reasoning twice over, usage on a second finish chunk
        "openrouter keep-alives and reasoning_details",
        b": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\n" + events(
            '{"id":"gen-1","object":"chat.completion.chunk","created":1,"model":"anthropic/claude","provider":"Amazon Bedrock","choices":[{"index":0,"delta":{"content":"","role":"assistant","reasoning":"The user","reasoning_details":[{"type":"reasoning.text","text":"The user","format":"anthropic-claude-v1","index":0}]},"finish_reason":null,"native_finish_reason":null}]}',
            '{"id":"gen-1","object":"chat.completion.chunk","created":1,"model":"anthropic/claude","provider":"Amazon Bedrock","choices":[{"index":0,"delta":{"content":"","role":"assistant","reasoning_details":[{"type":"reasoning.text","signature":"Eq0E","format":"anthropic-claude-v1","index":0}]},"finish_reason":null,"native_finish_reason":null}]}',
            '{"id":"gen-1","object":"chat.completion.chunk","created":1,"model":"anthropic/claude","provider":"Amazon Bedrock","choices":[{"index":0,"delta":{"content":"Hello","role":"assistant"},"finish_reason":null,"native_finish_reason":null}]}',
            '{"id":"gen-1","object":"chat.completion.chunk","created":1,"model":"anthropic/claude","provider":"Amazon Bedrock","choices":[{"index":0,"delta":{"content":"","role":"assistant","reasoning":null},"finish_reason":"stop","native_finish_reason":"end_turn"}]}',
            '{"id":"gen-1","object":"chat.completion.chunk","created":1,"model":"anthropic/claude","provider":"Amazon Bedrock","choices":[{"index":0,"delta":{"content":"","role":"assistant"},"finish_reason":"stop","native_finish_reason":"end_turn"}],"usage":{"prompt_tokens":19,"completion_tokens":7,"total_tokens":26,"cost":0.00001255,"is_byok":false}}',
        ),
        reasoning="The user",
        total_tokens=26,
    ),
    Answer(  # OpenRouter with an encrypted and a summary entry only (xAI upstream)
        "openrouter reasoning summary",
        events(
            '{"id":"gen-2","object":"chat.completion.chunk","created":1,"model":"x-ai/grok","choices":[{"index":0,"delta":{"content":"","role":"assistant","reasoning_details":[{"type":"reasoning.summary","summary":"Short plan","format":"xai-responses-v1","index":0},{"type":"reasoning.encrypted","data":"B/XIF","format":"xai-responses-v1","index":0}]},"finish_reason":null}]}',
            HELLO.replace('"Hel"', '"Hello"'),
            chunk(finish="stop"),
        ),
        reasoning="Short plan",
    ),
    Answer(  # Groq: usage in x_groq on the finish chunk (and no top-level usage)
        "groq x_groq usage",
        events(
            chunk({"role": "assistant", "content": ""}, x_groq={"id": "req_01", "seed": 2139001717}),
            chunk({"reasoning": "think"}),
            chunk({"content": "Hello"}),
            chunk(finish="stop", x_groq={"id": "req_01", "usage": {"queue_time": 0.19, "prompt_tokens": 20,
                                                                   "completion_tokens": 4, "total_tokens": 24}}),
        ),
        reasoning="think",
        total_tokens=24,
    ),
    Answer(  # TGI: `data:` without a space, empty ids, an empty keep-alive comment
        "tgi no space",
        b'data:{"object":"chat.completion.chunk","id":"","created":1,"model":"tgi","system_fingerprint":"3.3.6-native","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}\n\n'
        b'data:{"object":"chat.completion.chunk","id":"","created":1,"model":"tgi","system_fingerprint":"3.3.6-native","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":"stop"}],"usage":null}\n\n'
        b'data:{"object":"chat.completion.chunk","id":"","created":1,"model":"tgi","system_fingerprint":"3.3.6-native","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n'
        b":\n\ndata:[DONE]\n\n",
        total_tokens=7,
    ),
    Answer(  # TGI before mid-2024: no [DONE], its own finish reason
        "tgi old eos_token without done",
        events(chunk({"role": "assistant", "content": "Hello"}), chunk({"content": ""}, finish="eos_token"), done=False,
               prefix="data:"),
        finish="eos_token",
    ),
    Answer(  # Ollama 2024: role on every chunk, an empty finish reason until the last
        "ollama empty finish reasons",
        events(
            '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"llama3","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":""}]}',
            '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"llama3","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":"lo"},"finish_reason":"stop"}]}',
        ),
    ),
    Answer(  # Z.ai: no finish_reason key at all until the end; upper-case charset, no space
        "zai missing finish key",
        events(
            '{"id":"2026031305053","created":1,"object":"chat.completion.chunk","model":"glm-4.7-flash","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"The"}}]}',
            '{"id":"2026031305053","created":1,"object":"chat.completion.chunk","model":"glm-4.7-flash","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"}}]}',
            '{"id":"2026031305053","created":1,"object":"chat.completion.chunk","model":"glm-4.7-flash","choices":[{"index":0,"finish_reason":"stop","delta":{"role":"assistant","content":""}}],"usage":{"prompt_tokens":8,"completion_tokens":3,"total_tokens":11}}',
        ),
        reasoning="The",
        total_tokens=11,
        content_type="text/event-stream;charset=UTF-8",
    ),
    Answer(  # Azure: a first chunk with empty fields and no choices, a choice without a delta
        "azure content filter chunks",
        events(
            '{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}',
            HELLO,
            '{"id":"","object":"","created":0,"model":"","choices":[{"index":0,"finish_reason":null,"content_filter_results":{},"content_filter_offsets":{"check_offset":44,"start_offset":44,"end_offset":198}}],"usage":null}',
            LO,
            chunk(finish="stop"),
        ),
    ),
    Answer("choices null", events('{"id":"c","object":"chat.completion.chunk","choices":null}', HELLO, LO,
                                  chunk(finish="stop"))),
    Answer("upper-case content type", events(HELLO, LO, chunk(finish="stop")), content_type="Text/Event-Stream"),
    Answer("no content type", events(HELLO, LO, chunk(finish="stop")), content_type=""),
    Answer(  # a gateway that answers a streamed request with the whole answer as one JSON object
        "a whole answer where events were asked for",
        json.dumps({"id": "c", "object": "chat.completion", "model": "m", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}]}).encode(),
        content_type=SSE,
    ),
    Answer("together eos", events(HELLO, LO, chunk(finish="eos", usage={"prompt_tokens": 1, "completion_tokens": 2,
                                                                        "total_tokens": 3})),
           finish="eos", total_tokens=3),
]


@pytest.mark.parametrize("case", ANSWERS, ids=[case.name for case in ANSWERS])
def test_every_dialect_gives_the_answer(double, case):
    double.enqueue(RawReply(200, case.body, content_type=case.content_type))
    result, error = ask(double)
    assert error is None, f"{case.name}: {error}"
    assert (result.content, result.reasoning, result.refusal) == (case.content, case.reasoning, case.refusal)
    assert result.finish_reason == case.finish and not result.incomplete
    assert (result.usage.total_tokens if result.usage else None) == case.total_tokens


def test_mistral_list_content_in_a_whole_answer(double):
    body = {"id": "c", "object": "chat.completion", "model": "magistral", "choices": [{"index": 0, "message": {
        "role": "assistant", "content": [{"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]},
                                         {"type": "text", "text": "Hello"}]}, "finish_reason": "stop"}]}
    double.enqueue(RawReply(200, json.dumps(body).encode(), content_type="application/json"))
    result, error = ask(double, stream=False)
    assert error is None and (result.content, result.reasoning) == ("Hello", "hmm")


def test_a_refusal_in_a_whole_answer(double):
    body = {"id": "c", "object": "chat.completion", "model": "gpt-4o", "choices": [{"index": 0, "message": {
        "role": "assistant", "content": None, "refusal": "I'm very sorry, but I can't assist with that."},
        "finish_reason": "stop"}]}
    double.enqueue(RawReply(200, json.dumps(body).encode(), content_type="application/json"))
    result, error = ask(double, stream=False)
    assert error is None and result.content == ""
    assert result.refusal == "I'm very sorry, but I can't assist with that."


# --- errors inside a stream that had begun --------------------------------------------------------


@dataclass
class Failure:
    name: str
    body: bytes
    words: str  # what the user must read: the server's own words
    code: str | None = None
    content: str = "Hello"
    finish: str | None = None
    content_type: str = SSE


FAILURES = [
    Failure(  # what the OpenAI SDK looks for; OpenAI's own words
        "openai error object",
        events(HELLO, LO, '{"error": {"message": "The server had an error while processing your request. Sorry about that!", "type": "server_error"}}', done=False),
        "The server had an error while processing your request",
        code="server_error",
    ),
    Failure(  # llama.cpp until late 2025: a field of its own, then [DONE]
        "llama.cpp error field",
        events(HELLO, LO, done=False) + b'error: {"code":500,"message":"unexpected EOF","type":"server_error"}\n\ndata: [DONE]\n\n',
        "unexpected EOF",
        code="server_error",
    ),
    Failure(  # llama.cpp now: an integer code, no [DONE]
        "llama.cpp data error",
        events(HELLO, LO, '{"error":{"code":500,"message":"Failed to decode the batch","type":"server_error"}}', done=False),
        "Failed to decode the batch",
        code="server_error",
    ),
    Failure(  # vLLM up to 0.10.0: the flat error object wrapped, then [DONE]
        "vllm wrapped flat error",
        events(HELLO, LO, '{"error": {"object": "error", "message": "Error in tool parser creation.", "type": "BadRequestError", "param": null, "code": 400}}'),
        "Error in tool parser creation.",
        code="BadRequestError",
    ),
    Failure(  # vLLM from 0.10.1
        "vllm nested error",
        events(HELLO, LO, '{"error": {"message": "CUDA out of memory", "type": "InternalServerError", "param": null, "code": 500}}'),
        "CUDA out of memory",
        code="InternalServerError",
    ),
    Failure(  # a flat error object with no `error` key, which the OpenAI SDK would take for a chunk
        "flat error object",
        events(HELLO, LO, '{"object":"error","message":"maximum context length exceeded","type":"BadRequestError","param":null,"code":400}'),
        "maximum context length exceeded",
        code="BadRequestError",
    ),
    Failure(  # TGI since late 2024: no space after data:, the status inside the error
        "tgi error event",
        events(HELLO, LO, '{"error":{"message":"Request failed during generation: Server error: CUDA out of memory","http_status_code":422}}', prefix="data:"),
        "CUDA out of memory",
    ),
    Failure(  # TGI before: the error a string, its kind beside it
        "tgi string error",
        events(HELLO, LO, '{"error":"Input validation error: too long","error_type":"validation"}', prefix="data:"),
        "Input validation error: too long",
        code="validation",
    ),
    Failure(  # OpenRouter's documented mid-stream error: an error beside a choice finishing with "error"
        "openrouter error with a choice",
        events(HELLO, LO, '{"id":"cmpl-abc123","object":"chat.completion.chunk","created":1234567890,"model":"gpt-3.5-turbo","provider":"openai","error":{"code":"server_error","message":"Provider disconnected unexpectedly"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}', done=False),
        "Provider disconnected unexpectedly",
        code="server_error",
        finish="error",
    ),
    Failure(  # as OpenRouter is seen to send it: a numeric code, the kind in metadata
        "openrouter numeric code",
        events(HELLO, LO, '{"id":"gen-1","object":"chat.completion.chunk","created":1,"model":"m","error":{"code":502,"message":"Network connection lost.","metadata":{"error_type":"provider_unavailable"}},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}'),
        "Network connection lost.",
        code="provider_unavailable",
        finish="error",
    ),
    Failure(  # Groq: an error string in x_groq
        "groq x_groq error",
        events(HELLO, LO, '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"x_groq":{"id":"req_1","error":"over capacity"}}'),
        "over capacity",
    ),
    Failure("bare string error", events(HELLO, LO, '{"error":"over capacity"}'), "over capacity"),
    Failure(  # LiteLLM: the code a string, "None" for what it does not know, no [DONE]
        "litellm string code",
        events(HELLO, LO, '{"error": {"message": "litellm.APIConnectionError: OpenAIException - Connection error.", "type": "None", "param": "None", "code": "500"}}', done=False),
        "litellm.APIConnectionError: OpenAIException - Connection error.",
        code="500",
    ),
    Failure(  # an SSE event named error, its data an object of other words
        "event named error",
        events(HELLO, LO, done=False) + b'event: error\ndata: {"code":400,"details":"Requested sample logprobs of 21, which is greater than max allowed: 20"}\n\ndata: [DONE]\n\n',
        "Requested sample logprobs of 21",
        code="400",
    ),
    Failure(  # an SSE event named error whose data is plain words
        "event named error with text",
        events(HELLO, LO, done=False) + b"event: error\ndata: upstream timed out\n\n",
        "upstream timed out",
    ),
    Failure(  # the service's own error body, inside the stream
        "the service's error object",
        events(HELLO, LO, '{"success": false, "error": {"code": "api_error", "message": "fetch failed"}, "trace_id": "2cf86e86"}', done=False),
        "fetch failed",
        code="api_error",
    ),
    Failure(  # Mistral and Together list "error" among their finish reasons
        "finish reason error alone",
        events(HELLO, LO, chunk(finish="error")),
        'finish reason "error"',
        finish="error",
    ),
    Failure(  # a proxy in front of llama.cpp: its JSON error body as the stream, no events
        "unframed error in an event stream",
        b'{"error":{"code":400,"message":"request (19185 tokens) exceeds the available context size (16384 tokens), try increasing it","type":"exceed_context_size_error"}}',
        "exceeds the available context size",
        code="exceed_context_size_error",
        content="",
    ),
]


@pytest.mark.parametrize("case", FAILURES, ids=[case.name for case in FAILURES])
def test_an_error_inside_the_stream_is_reported_in_the_servers_words(double, case):
    double.enqueue(RawReply(200, case.body, content_type=case.content_type))
    result, error = ask(double)
    assert isinstance(error, StreamError), f"{case.name}: {error!r}"
    assert case.words in str(error)
    assert error.code == case.code
    assert result.content == case.content and result.finish_reason == case.finish
    assert result.incomplete is bool(case.content)


@pytest.mark.parametrize("done", [True, False])
def test_ollama_swallowing_its_error_ends_incomplete_not_answered(double, done):
    # Ollama's /v1 turns a mid-stream error into an empty chunk and closes the stream.
    body = events(HELLO, '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"content":""},"finish_reason":null}]}', done=False)
    double.enqueue(RawReply(200, body, content_type=SSE))
    result, error = ask(double)
    assert isinstance(error, IncompleteStreamError)
    assert result.content == "Hel" and result.incomplete


# --- error bodies of every shape -------------------------------------------------------------------


@dataclass
class Refusal:
    name: str
    status: int
    body: bytes
    words: str
    code: str | None = None
    absent: list[str] = field(default_factory=lambda: ["[{", "{'", '{"'])
    content_type: str = "application/json"


REFUSALS = [
    Refusal("openai", 400, b'{"error":{"message":"The \'stream_options\' parameter is only allowed when \'stream\' is enabled.","type":"invalid_request_error","param":"stream_options","code":null}}',
            "parameter is only allowed when", code="invalid_request_error"),
    Refusal("llama.cpp", 400, b'{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":9001,"n_ctx":8192}}',
            "exceeds the available context size", code="exceed_context_size_error"),
    Refusal("vllm flat", 400, b'{"object":"error","message":"This model\'s maximum context length is 2048 tokens.","type":"BadRequestError","param":null,"code":400}',
            "maximum context length is 2048 tokens", code="BadRequestError"),
    Refusal("ollama v1", 404, b'{"error":{"message":"model \\"llama9\\" not found, try pulling it first","type":"not_found_error","param":null,"code":null}}',
            'model "llama9" not found', code="not_found_error"),
    Refusal("ollama native", 404, b'{"error":"model \\"llama9\\" not found, try pulling it first"}', 'model "llama9" not found'),
    Refusal("tgi", 422, b'{"error":"Input validation error: `inputs` must have less than 4096 tokens. Given: 5000","error_type":"validation"}',
            "must have less than 4096 tokens", code="validation"),
    Refusal("axum plain text", 422, b"Failed to deserialize the JSON body into the target type: messages[1]: data did not match any variant",
            "Failed to deserialize the JSON body", content_type="text/plain; charset=utf-8"),
    Refusal("mistral message object", 422, b'{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","stream_options","include_usage"],"msg":"Extra inputs are not permitted","input":true}]},"type":"invalid_request_error","param":null,"code":null}',
            "body.stream_options.include_usage: Extra inputs are not permitted", code="invalid_request_error"),
    Refusal("mistral message as a JSON string", 422, b'{"object":"error","message":"{\\"detail\\":[{\\"type\\":\\"extra_forbidden\\",\\"loc\\":[\\"body\\",\\"frequency_penalty\\"],\\"msg\\":\\"Extra inputs are not permitted\\",\\"input\\":0.0}]}","type":"internal_error_proxy","param":null,"code":"1000"}',
            "body.frequency_penalty: Extra inputs are not permitted", code="internal_error_proxy"),
    Refusal("mistral message list", 422, b'{"object":"Error","detail":[{"type":"extra_forbidden","loc":["body","tools"],"msg":"Extra inputs are not permitted","input":[]}],"message":[{"type":"extra_forbidden","loc":["body","tools"],"msg":"Extra inputs are not permitted","input":[]}],"type":"invalid_request_error","code":3001}',
            "body.tools: Extra inputs are not permitted", code="invalid_request_error"),
    Refusal("fastapi detail list", 422, b'{"detail":[{"type":"extra_forbidden","loc":["body","store"],"msg":"Extra inputs are not permitted","input":false}]}',
            "body.store: Extra inputs are not permitted"),
    Refusal("fastapi detail string", 403, b'{"detail":"Not authenticated"}', "Not authenticated"),
    Refusal("litellm", 400, b'{"error":{"message":"litellm.BadRequestError: MistralException - bad things","type":null,"param":null,"code":"400"}}',
            "litellm.BadRequestError: MistralException - bad things", code="400"),
    Refusal("openrouter metadata raw", 400, b'{"error":{"message":"Provider returned error","code":400,"metadata":{"raw":"{\\"error\\":{\\"message\\":\\"context too long\\"}}","provider_name":"Stealth"}},"user_id":"user_xxx"}',
            "Provider returned error: context too long", code="400"),
    Refusal("gemini array", 400, b'[{"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \\"reasoning\\": Cannot find field.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest"}]}}]',
            'Unknown name "reasoning": Cannot find field.', code="400"),
    Refusal("gemini proxy nested JSON in message", 400, b'{"error":{"code":400,"message":"{\\n  \\"error\\": {\\n    \\"code\\": 400,\\n    \\"message\\": \\"Request contains an invalid argument.\\",\\n    \\"status\\": \\"INVALID_ARGUMENT\\"\\n  }\\n}\\n","status":"UPSTREAM_ERROR"}}',
            "Request contains an invalid argument.", code="400"),
    Refusal("anthropic", 400, b'{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: must be positive"},"request_id":"req_1"}',
            "max_tokens: must be positive", code="invalid_request_error"),
    Refusal("groq", 400, b'{"error":{"message":"property \'store\' is unsupported, did you mean \'stop\'?","type":"invalid_request_error"}}',
            "property 'store' is unsupported", code="invalid_request_error"),
    Refusal("the service", 500, b'{"success":false,"error":{"code":"api_error","message":"fetch failed"},"trace_id":"2cf86e86-22a4-46e1-ac2f-032c0f2a4e89"}',
            "fetch failed", code="api_error"),
    Refusal("x402 payment", 402, b'{"x402Version":2,"error":"Payment Required","accepts":[{"scheme":"exact","network":"base"}]}', "Payment Required"),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[case.name for case in REFUSALS])
def test_every_error_body_is_shown_in_the_servers_words(double, case):
    double.enqueue(RawReply(case.status, case.body, content_type=case.content_type))
    _, error = ask(double)
    assert isinstance(error, APIStatusError) and error.status == case.status
    assert case.words in str(error), str(error)
    assert error.code == case.code
    message = error.server_message or ""
    assert not any(fragment in message for fragment in case.absent), message


# --- usage of a streamed answer, where a server needs asking ------------------------------------------


def test_usage_is_asked_for_and_counted(double):
    double.enqueue(Reply(content="Hello", usage_when_asked=True))
    result, error = ask(double, stream_usage=True)
    assert error is None and result.usage is not None and result.usage.total_tokens > 0
    assert double.requests[0].json["stream_options"] == {"include_usage": True}


def test_a_server_refusing_stream_options_is_asked_once_more_without_it(double):
    double.refused_fields.add("stream_options")
    double.enqueue(Reply(content="Hello"))
    refused: list[bool] = []
    result, error = ask(double, stream_usage=True, on_stream_usage_refused=lambda: refused.append(True))
    assert error is None and result.content == "Hello"
    assert [("stream_options" in request.json) for request in double.requests] == [True, False]
    assert refused == [True]


def test_without_asking_no_stream_options_are_sent(double):
    double.enqueue(Reply(content="Hello", usage_when_asked=True))
    result, error = ask(double)
    assert error is None and result.usage is None
    assert "stream_options" not in double.requests[0].json


def test_a_non_streamed_request_never_carries_stream_options(double):
    double.enqueue(Reply(content="Hello"))
    result, error = ask(double, stream=False, stream_usage=True)
    assert error is None and result.content == "Hello"
    assert "stream_options" not in double.requests[0].json

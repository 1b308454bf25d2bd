"""Hostile input: whatever the bytes, the parsers raise only the project's own errors, never hang,
and what they return is well-typed.

Targets: the SSE decoder, the chunk parser, the session loader (logs and documents, through
read_session_file, SessionStore.summaries and SessionFile.open) and the config loader. Inputs are
arbitrary bytes and, more usefully, structured-but-wrong ones: mutated valid session logs, valid
JSON of the wrong shape or types, deep nesting, huge numbers, NaN and Infinity, lone surrogate
escapes, non-UTF-8, BOMs, NULs and long lines. The checks of a well-typed result, the WHATWG
reference decoder and the mutation engine are shared with the standalone fuzzer, tests/fuzz.py.

Each property test runs the number of examples in the constant next to it (EXAMPLES sums them).
Known bugs are strict xfail tests, named in tests/fuzz.py's KNOWN table too.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from claudechat.api.chunks import (
    ChunkParser,
    events_from_completion,
    raise_for_error_object,
)
from claudechat.api.errors import APIError, MalformedStreamError, StreamError
from claudechat.api.sse import SSEDecoder
from claudechat.chat.session import (
    FORMAT,
    Session,
    SessionError,
)
from claudechat.chat.records import (
    message_from_dict,
    session_from_document,
    session_from_records,
)
from claudechat.chat.store import SessionFile, SessionStore, read_session_file
from claudechat.config.store import load_config
from claudechat.errors import ClaudechatError, ConfigError
from tests import fuzz
from tests.fuzz import (
    Context,
    check_session,
    check_stream_events,
    decode_sse,
    reference_sse,
    session_canon,
)

# --- examples per property test --------------------------------------------------------------------

SSE_BYTES_EXAMPLES = 300
SSE_TOKENS_EXAMPLES = 400
CHUNK_JSON_EXAMPLES = 100
CHUNK_SHAPED_EXAMPLES = 50
CHUNK_TEXT_EXAMPLES = 100
COMPLETION_EXAMPLES = 50
ERROR_OBJECT_EXAMPLES = 66
MESSAGE_DICT_EXAMPLES = 83
SESSION_BYTES_EXAMPLES = 50
SESSION_MUTATED_EXAMPLES = 66
SESSION_RECORDS_EXAMPLES = 66
SESSION_DOCUMENT_EXAMPLES = 50
SESSION_ROUNDTRIP_EXAMPLES = 33
CONFIG_BYTES_EXAMPLES = 66
CONFIG_TOML_EXAMPLES = 100
CONFIG_TYPED_EXAMPLES = 66

EXAMPLES = {name: value for name, value in globals().items() if name.endswith("_EXAMPLES")}
EXAMPLES_TOTAL = sum(EXAMPLES.values())
FUZZ_RUNS_PER_TARGET = 1000  # in-process fuzzer executions per target, seed FUZZ_SEED
FUZZ_SEED = 20240601

PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def workdir() -> Path:
    # tmpfs where there is one: every session save fsyncs.
    directory = Path(tempfile.mkdtemp(prefix="claudechat-hostile-", dir=fuzz._fast_tmp()))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def _run(target: Any, data: bytes, workdir: Path, rng: random.Random) -> None:
    """Run a fuzz target on `data`; a failure already pinned by an xfail test below is tolerated.

    Which kind of outcome each example had is told to hypothesis (see --hypothesis-show-statistics).
    """
    try:
        label = target(data, Context(workdir, rng))
    except Exception as exc:
        known = fuzz.KNOWN.get(fuzz.signature(exc))
        if known is None:
            raise
        label = f"known bug, see {known}"
    event(label[:70])


# --- strategies ------------------------------------------------------------------------------------

SURROGATE_TEXT = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
ODD_STRINGS = st.sampled_from(
    ["", " ", "\x00", "\r", "\n", "\ufeff", "\u2028", "\x1b[2J", "\u202e", "user", "assistant", "system",
     "text", "image_url", "stop", FORMAT, "[DONE]", "a" * 5000, "\ud800", "\udc00", "\ud83d"]
)
TEXT = st.one_of(st.text(max_size=20), SURROGATE_TEXT, ODD_STRINGS)
# What any version would take for a model id: one short printable word.
MODEL_IDS = st.one_of(
    st.sampled_from(["claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5-20251001"]),
    st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-._:/@"), min_size=1, max_size=40),
)
INTS = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 1, 2, 2**31, 2**63, -(2**63) - 1, 10**400, 10**4000, -(10**4000)]),
)
FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e300, -0.0, 5e-324]))
SCALARS = st.one_of(st.none(), st.booleans(), INTS, FLOATS, TEXT)
KEYS = st.one_of(st.sampled_from(fuzz.JSON_KEYS), st.text(max_size=6))
JSON = st.recursive(
    SCALARS, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(KEYS, kids, max_size=4), max_leaves=16
)


def right_or_wrong(right: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a value of the right type, sometimes any JSON value at all."""
    return st.one_of(right, right, right, JSON)


def dumps(value: Any, *, ascii_only: bool = False) -> bytes:
    # What a writer that does not care about UTF-8 validity would write: surrogates become CESU bytes.
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True).encode("utf-8", "surrogatepass")


# --- SSE decoder ---------------------------------------------------------------------------------------


@settings(PROPERTY, max_examples=SSE_BYTES_EXAMPLES)
@given(st.binary(max_size=3000), st.lists(st.integers(min_value=0, max_value=3000), max_size=12))
def test_sse_arbitrary_bytes_split_anywhere(data, cuts):
    whole = decode_sse(data)
    assert decode_sse(data, [cut for cut in cuts if cut <= len(data)]) == whole
    assert whole == reference_sse(data)


SSE_TOKENS = st.sampled_from(
    [b"data:", b"data: ", b"data", b"event:", b"event: x", b"error:", b"error: x", b"id:", b"id: 7", b"id: a\x00b", b"retry:", b"retry: 15",
     b"retry: x1", b":", b": comment", b"\r", b"\n", b"\r\n", b"\n\n", b"\r\r", b" ", b"x", b"\xef\xbb\xbf",
     b"\xff", b"\xc3", b"\xa9", b"\xe2\x82", b"\xac", b"\xf0\x9f\x99\x82", b"\x00", b"{\"a\":1}", b"[DONE]",
     "é€🙂".encode()]
)


@settings(PROPERTY, max_examples=SSE_TOKENS_EXAMPLES)
@given(st.lists(SSE_TOKENS, max_size=60).map(b"".join), st.data())
def test_sse_stream_like_bytes_split_anywhere(data, draw):
    cuts = draw.draw(st.lists(st.integers(min_value=0, max_value=len(data)), max_size=len(data) + 1))
    whole = decode_sse(data)
    assert decode_sse(data, cuts) == whole
    assert decode_sse(data, list(range(len(data)))) == whole  # one byte per read
    assert whole == reference_sse(data)


def test_sse_retry_with_more_than_4300_digits():
    events = decode_sse(b"retry: " + b"1" * 5000 + b"\ndata: x\n\n")
    assert [event[0] for event in events] == ["x"]


def test_sse_very_long_line_in_many_reads_is_one_event():
    # Its cost (linear in the line's length) is measured by tests/bench/bench_decode.py.
    line = b"data: " + b"x" * (8 << 20)
    decoder = SSEDecoder()
    for start in range(0, len(line), 16384):
        assert decoder.feed(line[start : start + 16384]) == []
    events = decoder.feed(b"\n\n")
    assert len(events) == 1 and events[0].data == "x" * (8 << 20)


# --- chunk parser --------------------------------------------------------------------------------------


def _parse_all(payloads: list[str]) -> None:
    parser = ChunkParser()
    for payload in payloads:
        try:
            check_stream_events(parser.parse(payload))
        except APIError:
            return
        assert isinstance(parser.finished, bool)


@settings(PROPERTY, max_examples=CHUNK_JSON_EXAMPLES)
@given(JSON, st.booleans())
def test_chunk_parser_arbitrary_json_values(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)
    _parse_all([text, text])


DELTA = st.fixed_dictionaries(
    {},
    optional={"content": right_or_wrong(TEXT), "reasoning_content": right_or_wrong(TEXT),
              "reasoning": right_or_wrong(TEXT), "role": right_or_wrong(TEXT)},
)
CHOICE = st.fixed_dictionaries(
    {},
    optional={"index": right_or_wrong(INTS), "delta": right_or_wrong(DELTA), "message": right_or_wrong(DELTA),
              "finish_reason": right_or_wrong(TEXT | st.none()), "logprobs": JSON},
)
USAGE = st.dictionaries(
    st.sampled_from(["prompt_tokens", "completion_tokens", "total_tokens", "input_tokens", "output_tokens",
                     "prompt_tokens_details", "completion_tokens_details", "claude_cache_creation_5_m_tokens",
                     "claude_cache_creation_1_h_tokens"]),
    st.one_of(INTS, FLOATS, st.dictionaries(st.sampled_from(["cached_tokens", "reasoning_tokens"]), SCALARS), JSON),
)
CHUNK = st.fixed_dictionaries(
    {},
    optional={"id": right_or_wrong(TEXT), "model": right_or_wrong(TEXT), "object": TEXT,
              "choices": right_or_wrong(st.lists(right_or_wrong(CHOICE), max_size=3)),
              "usage": right_or_wrong(USAGE | st.none()), "error": JSON, "success": right_or_wrong(st.booleans()),
              "trace_id": right_or_wrong(TEXT)},
)


@settings(PROPERTY, max_examples=CHUNK_SHAPED_EXAMPLES)
@given(st.lists(CHUNK, min_size=1, max_size=4), st.booleans())
def test_chunk_parser_chunk_shaped_values_with_wrong_types(chunks, ascii_only):
    _parse_all([json.dumps(chunk, ensure_ascii=ascii_only, allow_nan=True) for chunk in chunks])


@settings(PROPERTY, max_examples=CHUNK_TEXT_EXAMPLES)
@given(st.lists(st.one_of(st.text(max_size=200), SURROGATE_TEXT, ODD_STRINGS), min_size=1, max_size=4))
def test_chunk_parser_arbitrary_text(payloads):
    _parse_all(payloads)


@settings(PROPERTY, max_examples=COMPLETION_EXAMPLES)
@given(st.one_of(CHUNK, JSON))
def test_events_from_completion_any_json_body(body):
    try:
        if isinstance(body, dict):
            raise_for_error_object(body)
        check_stream_events(events_from_completion(body))
    except APIError:
        pass


@settings(PROPERTY, max_examples=ERROR_OBJECT_EXAMPLES)
@given(st.one_of(CHUNK, st.dictionaries(KEYS, JSON, max_size=4)))
def test_raise_for_error_object_returns_or_raises_stream_error(obj):
    try:
        raise_for_error_object(obj)
    except StreamError as err:
        assert isinstance(str(err), str) and "\x1b" not in str(err)
    else:
        # Nothing in it says "error": the OpenAI SDK's rule (a truthy `error`), the service's
        # `success: false`, a flat error object, or Groq's `x_groq.error`.
        groq = obj.get("x_groq")
        assert not obj.get("error") and obj.get("success") is not False
        assert obj.get("object") not in ("error", "Error", "ERROR") and obj.get("type") != "error"
        assert not (isinstance(groq, dict) and groq.get("error"))


def test_chunk_parser_deeply_nested_json():
    with pytest.raises(MalformedStreamError):
        ChunkParser().parse("[" * 100_000)


# --- sessions ----------------------------------------------------------------------------------------

def one_wrong(right: st.SearchStrategy) -> st.SearchStrategy:
    """A dict of the right shape; half the time one field is removed or made any JSON value, or a key added."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        value = dict(draw(right))
        roll = draw(st.integers(min_value=0, max_value=3))  # 0 and 1, the simplest, leave it right
        if roll == 2 and value:
            key = draw(st.sampled_from(sorted(value)))
            if draw(st.booleans()):
                del value[key]
            else:
                value[key] = draw(JSON)
        elif roll == 3:
            value.setdefault(draw(KEYS), draw(JSON))  # a field this version does not know
        return value

    return build()


VALID_TIMES = st.floats(min_value=0, max_value=4e9)
TIMES = st.one_of(st.floats(min_value=0, max_value=4e9), st.integers(min_value=0, max_value=4 * 10**9), FLOATS, INTS)
PART = st.one_of(
    one_wrong(st.fixed_dictionaries({"type": st.just("text"), "text": TEXT})),
    one_wrong(st.fixed_dictionaries(
        {"type": st.just("image_url"), "image_url": st.fixed_dictionaries({"url": TEXT})},
        optional={"name": TEXT | st.none()},
    )),
)
CANDIDATE = one_wrong(st.fixed_dictionaries(
    {"content": TEXT}, optional={"reasoning": TEXT, "finish_reason": TEXT | st.none()}
))
MESSAGE = one_wrong(st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant"]), "content": TEXT | st.lists(PART, max_size=3), "created": TIMES},
    optional={"reasoning": TEXT, "model": TEXT | st.none(), "usage": st.dictionaries(KEYS, JSON, max_size=3) | st.none(),
              "interrupted": st.booleans(), "candidates": st.lists(CANDIDATE, max_size=3),
              "picked": st.integers(min_value=-1, max_value=3)},
))
SETTINGS = one_wrong(st.fixed_dictionaries(
    {"model": st.one_of(MODEL_IDS, MODEL_IDS, TEXT)},
    optional={"system": TEXT | st.none(), "temperature": FLOATS | INTS | st.none(), "max_tokens": INTS | st.none(),
              "n": INTS, "json": st.booleans()},
))
SESSION_IDS = st.text(st.sampled_from("abcdef0123456789-_é٣"), min_size=1, max_size=12)
HEADER = one_wrong(st.fixed_dictionaries(
    {"format": st.just(FORMAT), "version": st.sampled_from([1] * 6 + [0, 2]), "id": SESSION_IDS,
     "created": TIMES, "settings": SETTINGS},
    optional={"title": TEXT | st.none()},
))
RECORD = st.one_of(
    one_wrong(st.fixed_dictionaries({"op": st.just("messages"), "keep": st.integers(min_value=-1, max_value=4)},
                                    optional={"add": st.lists(MESSAGE, max_size=3)})),
    one_wrong(st.fixed_dictionaries({"op": st.just("messages"), "keep": st.just(0), "add": st.lists(MESSAGE, max_size=3)})),
    one_wrong(st.fixed_dictionaries({"op": st.just("title"), "title": TEXT})),
    one_wrong(st.fixed_dictionaries({"op": st.just("settings"), "settings": SETTINGS})),
    one_wrong(st.fixed_dictionaries(
        {"op": st.just("usage"), "model": TEXT},
        optional={"prompt_tokens": INTS, "completion_tokens": INTS, "cached_tokens": INTS, "time": TIMES},
    )),
    JSON,
)


def _only_session_errors(call, *args: Any, **kwargs: Any) -> Session | None:
    try:
        session = call(*args, **kwargs)
    except SessionError:
        return None
    check_session(session)
    return session


@settings(PROPERTY, max_examples=MESSAGE_DICT_EXAMPLES)
@given(st.one_of(MESSAGE, JSON))
def test_message_from_dict_is_well_typed_or_invalid(data):
    # message_from_dict raises the module's private _Invalid (and ValueError/TypeError/OverflowError), which
    # every caller turns into a SessionError naming the line; that is its contract, checked here.
    from claudechat.chat import records
    from claudechat.chat.session import SessionSettings

    try:
        message = message_from_dict(data)
    except (records._Invalid, ValueError, TypeError, OverflowError):
        return
    session = Session(settings=SessionSettings(model="m"), id="x", created=0.0, messages=[message])
    check_session(session)


@settings(PROPERTY, max_examples=SESSION_BYTES_EXAMPLES)
@given(st.binary(max_size=2000), st.randoms(use_true_random=False))
def test_session_file_arbitrary_bytes(workdir, data, rng):
    _run(fuzz.run_session, data, workdir, rng)


@pytest.fixture(scope="module")
def session_corpus(workdir) -> list[bytes]:
    """Session logs and a document written by the real session API (see fuzz.session_seeds)."""
    return fuzz.session_seeds(workdir)


@settings(PROPERTY, max_examples=SESSION_MUTATED_EXAMPLES)
@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=3))
def test_mutated_session_logs(workdir, session_corpus, rng, rounds):
    # read_session_file, SessionStore.summaries and SessionFile.open raise only SessionError, leave a file
    # they refuse byte for byte as it was, agree with each other, and a session opened, given a turn
    # and saved re-reads equal to what was in memory (fuzz.run_session).
    data = rng.choice(session_corpus)
    for _ in range(rounds):
        mutated = fuzz.mutate_json_line(data, rng) if rng.random() < 0.7 else None
        data = mutated if mutated is not None else fuzz.mutate_bytes(data, rng, session_corpus)
    _run(fuzz.run_session, data, workdir, rng)


@settings(PROPERTY, max_examples=SESSION_RECORDS_EXAMPLES)
@given(HEADER, st.lists(RECORD, max_size=5), st.booleans(), st.randoms(use_true_random=False))
def test_session_records_of_the_wrong_shape(workdir, header, records, ascii_only, rng):
    event("records: " + ("loaded" if _only_session_errors(session_from_records, header, records, where="t") else "refused"))
    log = b"".join(dumps(item, ascii_only=ascii_only) + b"\n" for item in [header, *records])
    _run(fuzz.run_session, log, workdir, rng)


OMITTED = object()


@settings(PROPERTY, max_examples=SESSION_DOCUMENT_EXAMPLES)
@given(HEADER, right_or_wrong(st.lists(MESSAGE, max_size=4)),
       st.one_of(st.just(OMITTED), JSON, st.lists(RECORD, max_size=2)), st.randoms(use_true_random=False))
def test_session_documents_of_the_wrong_shape(workdir, header, messages, usage, rng):
    document = {**header, "messages": messages}
    if usage is not OMITTED:
        document["usage"] = usage
    event("document: " + ("loaded" if _only_session_errors(session_from_document, document, where="t") else "refused"))
    text = json.dumps(document, indent=1, allow_nan=True)
    _run(fuzz.run_session, text.encode("ascii"), workdir, rng)


VALID_MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant"]),
     "content": st.one_of(TEXT, st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": TEXT}), max_size=2)),
     "created": st.one_of(VALID_TIMES, st.integers(0, 4 * 10**9))},
    optional={"reasoning": TEXT, "model": MODEL_IDS, "usage": st.dictionaries(KEYS, JSON, max_size=3),
              "interrupted": st.booleans()},
)


VALID_HEADER = st.fixed_dictionaries(
    {"format": st.just(FORMAT), "version": st.just(1), "id": SESSION_IDS, "created": VALID_TIMES,
     "settings": st.fixed_dictionaries(
         {"model": MODEL_IDS},
         optional={"system": TEXT | st.none(), "temperature": FLOATS, "max_tokens": INTS, "n": INTS,
                   "json": st.booleans()},
     )},
    optional={"title": TEXT | st.none()},
)
VALID_USAGE = st.fixed_dictionaries(
    {"op": st.just("usage"), "model": MODEL_IDS},
    optional={"prompt_tokens": INTS, "completion_tokens": INTS, "cached_tokens": INTS, "time": VALID_TIMES},
)


@settings(PROPERTY, max_examples=SESSION_ROUNDTRIP_EXAMPLES)
@given(VALID_HEADER, st.lists(st.lists(VALID_MESSAGE, max_size=3), max_size=3), st.lists(VALID_USAGE, max_size=2),
       st.none() | TEXT, st.booleans())
def test_loaded_session_saved_again_rereads_equal(workdir, header, batches, usage, title, ascii_only):
    records: list[dict[str, Any]] = []
    count = 0
    for batch in batches:
        records.append({"op": "messages", "keep": count, "add": batch})
        count += len(batch)
    records += usage
    if title is not None:
        records.append({"op": "title", "title": title})
    log = b"".join(dumps(item, ascii_only=ascii_only) + b"\n" for item in [header, *records])
    directory = workdir / "roundtrip"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
    source = directory / "source.jsonl"
    source.write_bytes(log)
    session = read_session_file(source)
    check_session(session)
    assert source.read_bytes() == log

    # As a new log, written by the real writer (the path `continue in a copy` takes).
    twin = session.copy()
    twin.id = session.id
    session_file = SessionFile.create(directory / "out", twin)
    try:
        session_file.save(twin)
    finally:
        session_file.close()
    assert session_canon(read_session_file(session_file.path)) == session_canon(session)

    # As a JSON document (`/save x.json` writes this shape).
    document = directory / "document.json"
    document.write_text(json.dumps(session.to_document(), indent=1, allow_nan=True), "ascii")
    assert session_canon(read_session_file(document)) == session_canon(session)


def test_session_file_deeply_nested_json(tmp_path):
    bad = tmp_path / "deadbeef.jsonl"
    bad.write_bytes(b"[" * 100_000 + b"\n")
    (summary,) = SessionStore(tmp_path).summaries()
    assert summary.error
    with pytest.raises(SessionError):
        read_session_file(bad)
    with pytest.raises(SessionError):
        SessionFile.open(bad)
    assert bad.read_bytes() == b"[" * 100_000 + b"\n"


def _document(**overrides: Any) -> dict[str, Any]:
    document = {"format": FORMAT, "version": 1, "id": "abc", "created": 1.0, "title": "t",
                "settings": {"model": "m"},
                "messages": [{"role": "user", "content": "hi", "created": 1.0},
                             {"role": "assistant", "content": "hello", "created": 2.0}]}
    document.update(overrides)
    return document


def test_one_line_session_document_opens_as_log(tmp_path):
    path = tmp_path / "abc.jsonl"
    path.write_text(json.dumps(_document()) + "\n")
    read = read_session_file(path)
    assert SessionStore(tmp_path).summaries()[0].turns == 1
    try:
        session_file, opened = SessionFile.open(path)
    except SessionError:
        return  # refusing it would be fine too
    session_file.close()
    assert session_canon(opened) == session_canon(read)


def _save_transcript(session: Session, path: Path) -> None:
    """Run the REPL's /save handler on `session`, as a user would with `/save PATH`."""
    from claudechat.repl.session_commands import _save

    async def confirm(question: str) -> bool:
        return True

    from claudechat.render.theme import load_theme

    theme = load_theme("dark", no_color=False)[0]
    app = types.SimpleNamespace(session=session, confirm=confirm, notice=lambda text: None, theme=theme)
    asyncio.run(_save(app, str(path)))


@pytest.mark.parametrize("created", [1e300, -1.0, float("inf")])
def test_a_session_with_an_unusable_time_is_refused(tmp_path, created):
    # Loaded, it could not be shown: a transcript's time.localtime() would fail on it.
    path = tmp_path / "abc.jsonl"
    messages = _document()["messages"]
    messages[1]["created"] = created
    path.write_text(json.dumps(_document(messages=messages), indent=1))
    with pytest.raises(SessionError, match="not a usable time"):
        read_session_file(path)


def test_session_with_lone_surrogate_can_be_saved_as_transcript(tmp_path):
    path = tmp_path / "abc.jsonl"
    messages = _document()["messages"]
    messages[1]["content"] = "half an emoji: \ud83d"
    path.write_text(json.dumps(_document(messages=messages), indent=1))  # ASCII: "\ud83d" escaped
    session = read_session_file(path)
    for name in ("out.json", "out.md", "out.html"):
        try:
            _save_transcript(session, tmp_path / name)
        except ClaudechatError:
            continue


def test_session_with_lone_surrogate_can_send_its_next_request(tmp_path):
    import httpx

    from claudechat.api.client import ChatClient
    from claudechat.api.request import ChatRequest

    path = tmp_path / "abc.jsonl"
    messages = _document()["messages"]
    messages[1]["content"] = "half an emoji: \ud83d"
    path.write_text(json.dumps(_document(messages=messages), indent=1))
    session = read_session_file(path)
    reply = b'data: {"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=reply)

    async def next_turn() -> list[Any]:
        async with ChatClient("http://127.0.0.1:9/v1", "k", retries=0, transport=httpx.MockTransport(answer)) as client:
            request = ChatRequest(model=session.settings.model, messages=session.request_messages("and then?"))
            return [event async for event in client.stream(request)]

    try:
        events = asyncio.run(next_turn())
    except ClaudechatError:
        return
    assert any(getattr(event, "text", None) == "ok" for event in events)


def _deepest_loadable(path: Path, make: Any) -> tuple[int, Session]:
    low, high, best = 1, 5000, None
    while low <= high:
        middle = (low + high) // 2
        path.write_bytes(make(middle))
        try:
            session = read_session_file(path)
        except (SessionError, RecursionError):
            high = middle - 1
        else:
            low, best = middle + 1, (middle, session)
    assert best is not None
    return best


def test_a_loaded_session_can_always_be_saved_again(tmp_path):
    def make(depth: int) -> bytes:
        header = {"format": FORMAT, "version": 1, "id": "abc", "created": 1.0, "settings": {"model": "m"}}
        record = '{"op":"messages","keep":0,"add":[{"role":"assistant","content":"x","created":1,"usage":{"a":%s}}]}'
        return (json.dumps(header) + "\n" + record % ("[" * depth + "]" * depth) + "\n").encode()

    _, session = _deepest_loadable(tmp_path / "abc.jsonl", make)

    def deeper(frames: int) -> None:
        if frames:
            return deeper(frames - 1)
        twin = session.copy()
        session_file = SessionFile.create(tmp_path / "out", twin)
        try:
            session_file.save(twin)
        except SessionError:
            pass
        finally:
            session_file.close()

    deeper(40)


# --- config --------------------------------------------------------------------------------------


@settings(PROPERTY, max_examples=CONFIG_BYTES_EXAMPLES)
@given(st.binary(max_size=2000), st.randoms(use_true_random=False))
def test_config_arbitrary_bytes(workdir, data, rng):
    # ConfigError or a Settings whose every field is in range; the file is never modified, and `config
    # set` refuses a file that does not parse (fuzz.run_config).
    _run(fuzz.run_config, data, workdir, rng)


TOML_LINE = st.one_of(
    st.builds(lambda key, value: f"{key} = {value}", st.sampled_from(fuzz.CONFIG_KEYS),
              st.one_of(st.sampled_from(fuzz.TOML_VALUES), st.integers().map(str),
                        st.floats(allow_nan=False).map(repr), st.text(max_size=12).map(json.dumps))),
    st.sampled_from(["[table]", "[[array]]", "# comment", "", "model.x = 1", "\ufeffmodel = 'm'", "a.b.c = 1"]),
)


@settings(PROPERTY, max_examples=CONFIG_TOML_EXAMPLES)
@given(st.lists(TOML_LINE, max_size=8), st.sampled_from(["\n", "\r\n", "\r"]), st.randoms(use_true_random=False))
def test_config_toml_documents_with_wrong_values(workdir, lines, newline, rng):
    _run(fuzz.run_config, newline.join(lines).encode("utf-8", "surrogatepass"), workdir, rng)


TOML_VALUE = st.recursive(
    st.one_of(st.booleans(), st.integers(min_value=-(10**300), max_value=10**300), st.floats(), st.text(max_size=20),
              st.sampled_from(["", " ", "\x00", "\x1b[31m", "vi", "EMACS", " hidden ", "http://h", "https://h/v1/",
                               "http://h?x", "sk-abc", "sk abc", "1_0", "nan", "inf", "0x10", "٣"]),
              st.datetimes(), st.dates(), st.times()),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids, max_size=3),
    max_leaves=6,
)


@settings(PROPERTY, max_examples=CONFIG_TYPED_EXAMPLES)
@given(st.dictionaries(st.one_of(st.sampled_from(fuzz.CONFIG_KEYS), st.text(max_size=8)), TOML_VALUE, max_size=6),
       st.randoms(use_true_random=False))
def test_config_typed_values_of_the_wrong_type_or_range(workdir, data, rng):
    _run(fuzz.run_config, tomli_w.dumps(data).encode("utf-8", "surrogatepass"), workdir, rng)


def test_config_integer_with_more_than_4300_digits(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("retries = " + "1" * 5000 + "\n")
    with pytest.raises(ConfigError):
        load_config({}, path)


def test_config_deeply_nested_array(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("theme = " + "[" * 600 + "]" * 600 + "\n")
    with pytest.raises(ConfigError):
        load_config({}, path)


@pytest.mark.parametrize("line", ["theme" + ".a" * 10_000 + " = 1", "[t" + ".a" * 10_000 + "]"])
def test_config_key_with_thousands_of_parts_is_refused_before_parsing(tmp_path, line):
    # tomllib's cost grows with the square of the parts: 10,000 of them would take seconds.
    path = tmp_path / "config.toml"
    path.write_text(line + "\n")
    with pytest.raises(ConfigError, match="dotted parts"):
        load_config({}, path)


def test_config_dots_inside_a_multi_line_string_are_text(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('system = """\n' + "." * 500 + '\n"""\n')
    assert load_config({}, path).settings.system == "." * 500


# --- the fuzzer, exercised ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(fuzz.TARGETS))
def test_fuzzer_finds_nothing_new(name, workdir):
    directory = workdir / f"fuzz-{name}"
    directory.mkdir()
    report = fuzz.fuzz_target(fuzz.TARGETS[name], FUZZ_RUNS_PER_TARGET, FUZZ_SEED, directory=directory)
    assert report.executions == FUZZ_RUNS_PER_TARGET
    assert not report.findings, report.findings[0].describe()
    # Each known failure it meets is one an xfail test above pins down.
    assert set(report.known) <= {name for name in dir(sys.modules[__name__]) if name.startswith("test_")}


def _raise_on_id(self: SSEDecoder, line: str) -> None:
    if line.startswith("id"):
        raise ZeroDivisionError("planted")
    original_process_line(self, line)


def _ignore_event_field(self: SSEDecoder, line: str) -> None:
    if not line.startswith("event"):
        original_process_line(self, line)


original_process_line = SSEDecoder._process_line


@pytest.mark.parametrize(
    ("planted", "reported"),
    [(_raise_on_id, "ZeroDivisionError in claudechat/api/sse.py"),
     (_ignore_event_field, "sse events differ from the WHATWG reference")],
)
def test_fuzzer_reports_a_planted_bug(monkeypatch, capsys, planted, reported):
    monkeypatch.setattr(SSEDecoder, "_process_line", planted)
    assert fuzz.main(["--runs", "2000", "--target", "sse", "--timeout", "0", "--seed", "3"]) == 1
    out, err = capsys.readouterr()
    assert reported in err and "input (" in err
    assert "findings=1" in out

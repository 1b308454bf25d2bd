"""GET /models: what is asked, what counts as a list, and which failures are worth asking again."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from claudechat import __version__
from claudechat.api.models import MAX_BYTES, MAX_ID_LENGTH, MAX_MODELS, ModelListUnavailable, list_models, model_ids


def listing(*ids: object) -> bytes:
    return json.dumps({"object": "list", "data": [{"id": i, "object": "model"} for i in ids]}).encode()


def ask(handler, *, api_key: str | None = "sk-test", base_url: str = "http://models.test/v1/", timeout: float = 3.0):
    return asyncio.run(list_models(base_url, api_key, timeout=timeout, transport=httpx.MockTransport(handler)))


def failure(handler, **options) -> ModelListUnavailable:
    with pytest.raises(ModelListUnavailable) as caught:
        ask(handler, **options)
    return caught.value


def test_it_asks_models_of_the_base_url_with_the_token_and_reads_the_ids():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=listing("qwen2.5-7b", "llama3"))

    assert ask(handler) == ["qwen2.5-7b", "llama3"]
    (request,) = seen
    assert (request.method, str(request.url)) == ("GET", "http://models.test/v1/models")
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.headers["user-agent"] == f"claudechat/{__version__}"
    assert request.headers["accept"] == "application/json"


def test_without_a_token_no_authorization_is_sent():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=listing("m"))

    assert ask(handler, api_key=None) == ["m"] and "authorization" not in seen[0].headers
    assert ask(handler, api_key="") == ["m"] and "authorization" not in seen[1].headers


@pytest.mark.parametrize(("status", "lasting"), [(400, True), (404, True), (405, True), (501, True),
                                                 (401, False), (429, False), (500, False), (503, False)])
def test_a_status_says_whether_asking_again_may_help(status, lasting):
    error = failure(lambda request: httpx.Response(status, content=listing("m")))
    assert (str(error), error.lasting) == (str(status), lasting)


def test_an_answer_past_the_size_limit_is_no_list():
    error = failure(lambda request: httpx.Response(200, content=b" " * (MAX_BYTES + 1)))
    assert (str(error), error.lasting) == ("the answer is too large", True)
    assert ask(lambda request: httpx.Response(200, content=listing("m").ljust(MAX_BYTES))) == ["m"]


def test_a_connection_that_fails_may_work_later():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    error = failure(refuse)
    assert (str(error), error.lasting) == ("ConnectError", False)


def test_a_server_slower_than_the_limit_is_given_up_on():
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200, content=listing("m"))

    error = failure(slow, timeout=0.05)
    assert (str(error), error.lasting) == ("TimeoutError", False)


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"<html>", "the answer is not JSON"), (b"[" * 100_000, "the answer is not JSON"),
     (b'{"data": {"id": "m"}}', "the answer has no `data` list"), (b'["m"]', "the answer has no `data` list"),
     (b"{}", "the answer has no `data` list")],
)
def test_what_is_no_list_of_models(body, reason):
    with pytest.raises(ModelListUnavailable) as caught:
        model_ids(body)
    assert (str(caught.value), caught.value.lasting) == (reason, True)


def test_ids_are_kept_in_order_once_each_and_only_usable_ones():
    long_ok, too_long = "m" * MAX_ID_LENGTH, "m" * (MAX_ID_LENGTH + 1)
    body = json.dumps({"data": [
        {"id": "b"}, {"id": "a"}, {"id": "b"}, "a string", {"name": "no id"}, {"id": 7}, {"id": ""},
        {"id": "two words"}, {"id": "tab\there"}, {"id": "bell\x07"}, {"id": too_long}, {"id": long_ok},
    ]}).encode()
    assert model_ids(body) == ["b", "a", long_ok]


def test_at_most_max_models_are_read():
    assert model_ids(listing(*(f"m{i}" for i in range(MAX_MODELS + 5)))) == [f"m{i}" for i in range(MAX_MODELS)]


def test_certificates_are_verified_unless_told_otherwise(monkeypatch):
    from tests.double import ServiceDouble
    from tests.test_tls import TRUSTED, _server_context

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with ServiceDouble(token=None, ssl_context=_server_context("trusted")) as secure:
        secure.models = ["served"]
        with pytest.raises(ModelListUnavailable) as caught:  # a self-signed certificate nobody vouches for
            asyncio.run(list_models(secure.url, None))
        assert (str(caught.value), caught.value.lasting) == ("ConnectError", False)
        import ssl

        trusting = ssl.create_default_context(cafile=TRUSTED)
        assert asyncio.run(list_models(secure.url, None, verify=trusting)) == ["served"]

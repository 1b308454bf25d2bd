"""The models a server lists: `GET /models` read (api.models), kept a day (model_cache), and
asked at most once a day per profile and server (repl.server_models), against the double."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from claudechat.api.models import ModelListUnavailable, list_models, model_ids
from claudechat.config import Settings
from claudechat.model_cache import MAX_AGE, ModelCache, cache_key
from claudechat.repl.server_models import ServerModels
from tests.double import MODELS_PATH, ServiceDouble


def asked(double: ServiceDouble) -> int:
    return sum(request.path == MODELS_PATH for request in double.requests)


def test_list_models_reads_the_ids_with_the_token():
    with ServiceDouble(token="tok", models=["a", "b"]) as double:
        assert asyncio.run(list_models(double.url, "tok")) == ["a", "b"]
        assert double.requests[0].headers["authorization"] == "Bearer tok"
        with pytest.raises(ModelListUnavailable) as refused:
            asyncio.run(list_models(double.url, None))
    assert refused.value.lasting is False  # a token stored later may be let in


def test_list_models_without_the_endpoint_is_lasting():
    with ServiceDouble(token=None) as double:
        with pytest.raises(ModelListUnavailable) as missing:
            asyncio.run(list_models(double.url, None))
    assert missing.value.lasting is True


@pytest.mark.parametrize(
    ("body", "ids"),
    [
        (b'{"data": [{"id": "a"}, {"id": "a"}, {"id": "b c"}, {"id": 3}, "x", {"id": "\\u001b[2J"}, {"id": "d"}]}',
         ["a", "d"]),
        (b'{"object": "list", "data": []}', []),
    ],
)
def test_model_ids_keeps_usable_ids_once(body, ids):
    assert model_ids(body) == ids


@pytest.mark.parametrize("body", [b"<html>", b"[]", b'{"data": {}}', b'{"models": []}'])
def test_model_ids_refuses_what_is_no_list(body):
    with pytest.raises(ModelListUnavailable) as raised:
        model_ids(body)
    assert raised.value.lasting is True


def test_the_cache_keeps_lists_a_day_per_key(tmp_path: Path):
    now = [1000.0]
    cache = ModelCache(tmp_path, clock=lambda: now[0])
    cache.put(cache_key("h:1", "work"), ["a"])
    cache.put(cache_key("h:1", None), None)
    assert cache.get("work@h:1") == (True, ["a"])
    assert cache.get("h:1") == (True, None)
    assert cache.get("other@h:1") == (False, None)
    now[0] += MAX_AGE - 1
    assert cache.get("work@h:1") == (True, ["a"])
    now[0] += 2
    assert cache.get("work@h:1") == (False, None)
    cache.put("new", ["n"])
    assert set(json.loads((tmp_path / "models.json").read_text())) == {"new"}  # stale entries dropped


@pytest.mark.parametrize("text", ["", "{", "[]", '{"k": {"time": "x", "ids": []}}', '{"k": {"time": 1e30, "ids": []}}',
                                  '{"k": {"time": 1000, "ids": [1]}}'])
def test_a_damaged_cache_counts_as_empty(tmp_path: Path, text: str):
    (tmp_path / "models.json").write_text(text)
    assert ModelCache(tmp_path, clock=lambda: 1000.0).get("k") == (False, None)


def test_server_models_asks_once_and_a_second_chat_reads_the_cache(tmp_path: Path):
    with ServiceDouble(token="tok", models=["x", "y"]) as double:
        settings = Settings(base_url=double.url, api_key="tok", profile="local")
        first = ServerModels(ModelCache(tmp_path))
        assert first.known(settings) == (False, None)
        assert asyncio.run(first.get(settings)) == ["x", "y"]
        assert asyncio.run(first.get(settings)) == ["x", "y"]
        second = ServerModels(ModelCache(tmp_path))
        assert second.known(settings) == (True, ["x", "y"])
        assert asyncio.run(second.get(settings)) == ["x", "y"]
        # Another profile on the same server may see other models: asked on its own.
        assert asyncio.run(second.get(Settings(base_url=double.url, api_key="tok"))) == ["x", "y"]
        assert asked(double) == 2


def test_server_models_remembers_a_server_without_a_list(tmp_path: Path):
    with ServiceDouble(token=None) as double:
        settings = Settings(base_url=double.url)
        assert asyncio.run(ServerModels(ModelCache(tmp_path)).get(settings)) is None
        assert asyncio.run(ServerModels(ModelCache(tmp_path)).get(settings)) is None
        assert asked(double) == 1


def test_server_models_never_asks_the_service_and_forgets_passing_failures_soon(tmp_path: Path):
    models = ServerModels(ModelCache(tmp_path))
    assert models.known(Settings()) == (True, None)  # the service: the catalogue, never asked
    with ServiceDouble(token="tok", models=["x"]) as double:
        refused = Settings(base_url=double.url)  # no token: 401, which may pass
        assert asyncio.run(models.get(refused)) is None
        assert models.known(refused) == (True, None)  # not asked again at once
        assert not (tmp_path / "models.json").exists()  # and not for a day


def test_prefetch_asks_in_the_background_and_says_when_done(tmp_path: Path):
    with ServiceDouble(token=None, models=["x"]) as double:
        settings = Settings(base_url=double.url)
        models = ServerModels(ModelCache(tmp_path))
        done = []

        async def main() -> None:
            models.prefetch(settings, lambda: done.append(True))
            models.prefetch(settings, lambda: done.append(True))  # one question at a time
            await asyncio.gather(*models._tasks.values())
            await asyncio.sleep(0)

        asyncio.run(main())
        assert done == [True, True] and models.known(settings) == (True, ["x"])
        assert asked(double) == 1
        models.prefetch(settings, lambda: done.append(False))  # known: nothing to do, no loop needed
        assert done == [True, True]

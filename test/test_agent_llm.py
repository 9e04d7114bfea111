"""LLM intent client against a tiny OpenAI-compatible server on 127.0.0.1, and the HTTP back-end client."""

import json
import logging
from decimal import Decimal

import pytest
from fake_llm_server import FakeServer

from glasses_agent.backends.base import BackendError
from glasses_agent.backends.http import HttpBackend
from glasses_agent.intents import INTENTS
from glasses_agent.llm import LlmIntentParser

SECRET = "sk-test-0123456789abcdef"


@pytest.fixture
def server():
    s = FakeServer()
    yield s
    s.close()


def tool_reply(intent, slots, arguments_as_text=True):
    args = {"intent": intent, "slots": slots, "confidence": 0.93}
    call = {"id": "c1", "type": "function",
            "function": {"name": "set_intent", "arguments": json.dumps(args) if arguments_as_text else args}}  # fmt: skip
    return 200, {"choices": [{"message": {"role": "assistant", "content": None, "tool_calls": [call]}}]}


def test_tool_call_gives_intent_and_key_goes_only_in_header(server, monkeypatch, caplog):
    monkeypatch.setenv("TEST_LLM_KEY", SECRET)
    server.reply = lambda path, body: tool_reply("hail_taxi", {"destination": "airport"})
    parser = LlmIntentParser(server.url + "/v1", "qwen-test", "TEST_LLM_KEY", timeout_s=2.0)
    with caplog.at_level(logging.DEBUG):
        r = parser("could you get me to the airport, my flight is soon", "en")
    assert (r.intent, r.slots, r.backend, r.confidence) == ("hail_taxi", {"destination": "airport"}, "llm", 0.93)
    [req] = server.requests
    assert req["path"] == "/v1/chat/completions" and req["headers"]["Authorization"] == f"Bearer {SECRET}"
    assert req["body"]["model"] == "qwen-test" and {t["function"]["name"] for t in req["body"]["tools"]} == set(INTENTS)
    assert SECRET not in json.dumps(req["body"]) and SECRET not in caplog.text


def test_timeout_falls_back_to_offline_parser(server, monkeypatch, caplog):
    monkeypatch.setenv("TEST_LLM_KEY", SECRET)
    server.delay_s = 1.0
    server.reply = lambda path, body: tool_reply("pay", {})
    parser = LlmIntentParser(server.url, "m", "TEST_LLM_KEY", timeout_s=0.2)
    r = parser("take me to the airport", "en")
    assert (r.intent, r.backend) == ("hail_taxi", "offline")
    assert parser.fallbacks["timeout"] == 1
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    "reply,reason",
    [
        (lambda p, b: (500, {"error": "boom"}), "http_500"),
        (lambda p, b: (200, {"choices": [{"message": {"content": "I think it is a taxi"}}]}), "no_tool_call"),
        (lambda p, b: tool_reply("launch_rocket", {}), "unknown_intent"),
        (lambda p, b: (200, ["not", "an", "object"]), "no_tool_call"),
    ],
)
def test_bad_answers_fall_back(server, reply, reason):
    server.reply = reply
    parser = LlmIntentParser(server.url, "m", "UNSET_KEY_VAR", timeout_s=2.0)
    r = parser("下一首", "zh")
    assert (r.intent, r.backend) == ("next_track", "offline")
    assert parser.fallbacks[reason] == 1
    assert "Authorization" not in server.requests[0]["headers"]


def test_unreachable_endpoint_falls_back():
    parser = LlmIntentParser("http://127.0.0.1:9", "m", timeout_s=0.5)  # discard port: nothing listens
    assert parser("pay", "en").intent == "pay"
    assert sum(parser.fallbacks.values()) == 1


def test_http_backend_sends_idempotency_key_and_parses_money(server, monkeypatch):
    monkeypatch.setenv("TEST_SERVICES_TOKEN", "svc-token")

    def reply(path, body):
        if path == "/catalog/products?ean=6901234567892":
            return 200, {"product_id": "p-oolong-tea", "name": "Oolong Tea 500 ml", "ean": "6901234567892"}
        if path == "/catalog/products/p-oolong-tea/offers":
            return 200, [{"merchant": "B", "price": "4.50", "currency": "CNY"}, {"merchant": "A", "price": "3.90", "currency": "CNY"}]
        if path == "/payments":
            return 200, {**body, "status": "pending", "created_at": 1.0}
        if path == "/payments/k1/commit":
            return 200, {"key": "k1", "kind": "pay", "payee": "x", "amount": "12.50", "currency": "CNY", "status": "done"}
        if path == "/payments/k2/commit":
            return 409, {"reason": "insufficient_funds"}
        return 404, {}

    server.reply = reply
    api = HttpBackend(server.url, token_env="TEST_SERVICES_TOKEN", timeout_s=2.0)
    assert api.product_by_ean("6901234567892").product_id == "p-oolong-tea"
    assert [o.merchant for o in api.offers("p-oolong-tea")] == ["A", "B"]
    assert api.product_by_ean("0000000000000") is None
    p = api.begin("k1", "pay", "x", "X", Decimal("12.50"), "CNY")
    assert p.status == "pending" and p.amount == Decimal("12.50")
    assert api.commit("k1").status == "done"
    with pytest.raises(BackendError) as err:
        api.commit("k2")
    assert err.value.reason == "insufficient_funds"
    posts = [r for r in server.requests if r["method"] == "POST"]
    assert [r["headers"].get("Idempotency-Key") for r in posts] == ["k1", "k1", "k2"]
    assert all(r["headers"]["Authorization"] == "Bearer svc-token" for r in server.requests)


def test_http_backend_unreachable_is_a_backend_error():
    api = HttpBackend("http://127.0.0.1:9", timeout_s=0.5)
    with pytest.raises(BackendError) as err:
        api.balance("CNY")
    assert err.value.reason == "service_unreachable"


def test_slots_from_the_model_get_the_parser_types(server):
    server.reply = lambda path, body: tool_reply(
        "order_food", {"quantity": "2", "item": "dumpling", "amount": "NaN", "level": [1], "currency": "cny", "size": ""}
    )
    r = LlmIntentParser(server.url, "m", timeout_s=2.0)("two dumplings please", "en")
    assert r.backend == "llm" and r.slots == {"quantity": 2, "item": "dumpling", "currency": "CNY"}

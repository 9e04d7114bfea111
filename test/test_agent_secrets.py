"""Credentials of the LLM and service clients: https off this machine, never sent to another origin."""

import json
import socket

import pytest
from fake_llm_server import FakeServer

from glasses_agent.backends.base import BackendError
from glasses_agent.backends.http import HttpBackend
from glasses_agent.llm import LlmIntentParser

LLM_KEY = "sk-llm-7f3a9c1e55d04b2b"
SERVICES_TOKEN = "tok-services-91d2e4c7b0a8"


def authorizations(server) -> list:
    return [r["headers"].get("Authorization") for r in server.requests]


def tool_reply(slots=None):
    args = {"intent": "hail_taxi", "slots": slots or {}}
    call = {"id": "c1", "type": "function", "function": {"name": "set_intent", "arguments": json.dumps(args)}}
    return {"choices": [{"message": {"role": "assistant", "tool_calls": [call]}}]}


@pytest.fixture
def servers():
    made = []

    def make(route):
        """A 127.0.0.1 server answering route(path) -> (status, headers, doc)."""
        server = FakeServer()

        def reply(path, body):
            status, headers, doc = route(path)
            return status, doc, headers

        server.reply = reply
        made.append(server)
        return server

    yield make
    for s in made:
        s.close()


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch):
    """Fail the test if anything tries to connect off 127.0.0.0/8 (a refused redirect must not even try)."""
    real = socket.create_connection

    def guarded(address, *args, **kwargs):
        assert address[0] in ("127.0.0.1", "localhost"), f"connection attempted to {address}"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)


@pytest.mark.parametrize("url", ["http://llm.example.com/v1", "http://10.0.0.5:8000/v1", "ftp://127.0.0.1/v1"])
def test_plain_http_off_this_machine_is_refused_at_start(url):
    with pytest.raises(ValueError, match="llm_url"):
        LlmIntentParser(url, "m")
    with pytest.raises(ValueError, match="services_url"):
        HttpBackend(url)


@pytest.mark.parametrize("url", ["https://llm.example.com/v1", "http://127.0.0.1:8000/v1", "http://localhost:1/v1",
                                 "http://[::1]:8000/v1", "http://127.3.2.1/v1"])
def test_https_and_loopback_urls_are_accepted(url):
    LlmIntentParser(url, "m")
    HttpBackend(url)


def test_llm_key_is_not_forwarded_to_another_origin(servers, monkeypatch):
    monkeypatch.setenv("SECRET_LLM_KEY", LLM_KEY)
    other = servers(lambda path: (200, {}, tool_reply()))
    first = servers(lambda path: (302, {"Location": other.url + "/v1/chat/completions"}, {}))
    result = LlmIntentParser(first.url + "/v1", "m", "SECRET_LLM_KEY", timeout_s=3.0)("get me a taxi", "en")
    assert authorizations(first) == [f"Bearer {LLM_KEY}"]  # the key was sent to its own endpoint
    assert len(other.requests) == 1 and authorizations(other) == [None]
    assert result.intent == "hail_taxi"


def test_services_token_follows_a_same_origin_redirect_only(servers, monkeypatch):
    monkeypatch.setenv("SECRET_SERVICES_TOKEN", SERVICES_TOKEN)
    other = servers(lambda path: (200, {}, {"balance": "1.00"}))

    def route(path):
        if path.startswith("/wallet/CNY"):
            return 302, {"Location": "/wallet/moved/CNY"}, {}  # same origin
        if path.startswith("/wallet/moved"):
            return 302, {"Location": other.url + "/wallet/EUR"}, {}  # another port: another origin
        return 404, {}, {}

    first = servers(route)
    backend = HttpBackend(first.url, "SECRET_SERVICES_TOKEN", timeout_s=3.0)
    assert str(backend.balance("CNY")) == "1.00"
    assert authorizations(first) == [f"Bearer {SERVICES_TOKEN}"] * 2
    assert authorizations(other) == [None]


def test_a_redirect_to_plain_http_off_this_machine_is_refused(servers, monkeypatch):
    monkeypatch.setenv("SECRET_LLM_KEY", LLM_KEY)
    monkeypatch.setenv("SECRET_SERVICES_TOKEN", SERVICES_TOKEN)
    first = servers(lambda path: (302, {"Location": "http://192.0.2.7/steal"}, {}))
    parser = LlmIntentParser(first.url + "/v1", "m", "SECRET_LLM_KEY", timeout_s=3.0)
    assert parser("get me a taxi", "en").backend == "offline"
    assert parser.fallbacks["insecure_redirect"] == 1
    with pytest.raises(BackendError) as err:
        HttpBackend(first.url, "SECRET_SERVICES_TOKEN", timeout_s=3.0).balance("CNY")
    assert err.value.reason == "insecure_redirect"


@pytest.mark.slow
def test_keys_reach_no_log_bag_diagnostics_or_summary(servers, tmp_path, monkeypatch):
    """The agent in a composed rig (EventsExecutor) with the LLM parser and HTTP services, both keyed:
    the keys are sent to their services, and appear nowhere in stdout/stderr, ROS logs, the bag
    (which holds /diagnostics and every event) or the bag summary."""
    import os
    import subprocess
    import sys
    import time

    import yaml
    from std_msgs.msg import String

    from glasses_bringup.bag import summarize
    from glasses_bringup.demo import timeline
    from glasses_bringup.foundation import events as ev
    from glasses_bringup.foundation.testing import RosHarness, wait_for

    monkeypatch.undo()  # the subprocess connects where it likes (only to 127.0.0.1 here)
    llm = servers(lambda path: (200, {}, tool_reply({"destination": "airport"})))
    quote = {"pickup": "here", "destination": "airport", "ride_class": "standard", "fare": "80.40",
             "currency": "CNY", "pickup_eta_min": 3, "trip_min": 30}
    services = servers(lambda path: (200, {}, [] if path.startswith("/payments") else quote))
    rig = tmp_path / "keyed.yaml"
    rig.write_text(yaml.safe_dump({"name": "keyed", "namespace": "/keyed", "nodes": [{
        "name": "agent", "executable": "agent",
        "parameters": {"backend": "http", "services_url": services.url, "intent_backend": "llm",
                       "llm_url": llm.url + "/v1", "llm_api_key_env": "SECRET_LLM_KEY", "diagnostics_period_s": 0.2}}]}))
    log_dir = tmp_path / "roslog"
    env = dict(os.environ, SECRET_LLM_KEY=LLM_KEY, GLASSES_SERVICES_TOKEN=SERVICES_TOKEN, ROS_LOG_DIR=str(log_dir),
               ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST")
    bag = tmp_path / "bag"
    proc = subprocess.Popen([sys.executable, "-m", "glasses_bringup.cli", "up", "--rig", str(rig), "--record", str(bag),
                             "--duration", "10"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    harness = RosHarness(namespace="/keyed")
    try:
        pub = harness.publisher("perception/transcript", String)
        assert wait_for(lambda: pub.get_subscription_count() > 0, 30)
        time.sleep(0.5)
        now = time.time()
        pub.publish(String(data=ev.encode(ev.Transcript(stamp=now, text="get me a taxi to the airport", final=True,
                                                        lang="en", audio_start=now - 1, audio_end=now, latency_ms=1.0))))
        assert wait_for(lambda: llm.requests and len(services.requests) >= 2, 20)
    finally:
        harness.close()
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert authorizations(llm)[0] == f"Bearer {LLM_KEY}"
    assert f"Bearer {SERVICES_TOKEN}" in authorizations(services)
    info = summarize(bag)
    assert any(t.endswith("/diagnostics") for t in info["topics"]) and any("agent/intent" in t for t in info["topics"])
    places = {"stdout": out, "stderr": err, "summary": json.dumps(info, default=str) + json.dumps(timeline(info))}
    for path in [*bag.rglob("*"), *log_dir.rglob("*")]:
        if path.is_file():
            places[str(path)] = path.read_bytes().decode("latin-1")
    assert any(str(p).endswith(".mcap") for p in places) and any(str(log_dir) in p for p in places)
    for secret in (LLM_KEY, SERVICES_TOKEN):
        leaks = [name for name, text in places.items() if secret in text or secret.encode().hex() in text]
        assert leaks == [], f"{secret[:6]}... found in {leaks}"

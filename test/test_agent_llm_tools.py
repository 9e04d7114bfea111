"""LLM path with one tool per intent (schema from the intent registry), against a local
OpenAI-compatible server on 127.0.0.1; the offline parser and model stay the fall-back."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from glasses_agent import intent_registry
from glasses_agent.intents import INTENTS
from glasses_agent.llm import LlmIntentParser, tool_request_fields


class ToolServer:
    """A tiny chat-completions endpoint: answers with the tool call ``self.answer(body)`` returns."""

    def __init__(self):
        self.bodies = []
        self.answer = lambda body: ("unknown", {})
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.bodies.append(body)
                name, args = outer.answer(body)
                call = {"id": "t1", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
                data = json.dumps({"choices": [{"message": {"role": "assistant", "tool_calls": [call]}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = ToolServer()
    yield s
    s.close()


def test_schema_offers_every_intent_with_its_typed_slots():
    fields = tool_request_fields()
    tools = {t["function"]["name"]: t["function"] for t in fields["tools"]}
    assert set(tools) == set(INTENTS) and fields["tool_choice"] == "required"
    pay = tools["pay"]["parameters"]
    assert pay["properties"]["amount"]["type"] == "number" and pay["additionalProperties"] is False
    assert tools["volume"]["parameters"]["properties"]["level"]["maximum"] == 100
    assert tools["send_message"]["parameters"]["properties"]["attachment"]["enum"] == ["photo", "video"]
    for name, (_, _, _, slots) in intent_registry.INTENTS.items():
        assert set(tools[name]["parameters"]["properties"]) == set(slots) | {"confidence"}


@pytest.mark.parametrize(
    "utterance,tool,args,slots",
    [
        ("明早八点叫我起床", "set_alarm", {"time": "tomorrow 08:00", "confidence": 0.9}, {"time": "tomorrow 08:00"}),
        ("text mom I'm here", "send_message", {"contact": "mom", "text": "i'm here", "attachment": "sticker"},
         {"contact": "mom", "text": "i'm here"}),  # a value outside the enum is dropped
        ("pay fifty", "pay", {"amount": "50", "currency": "cny", "destination": "moon"}, {"amount": 50.0, "currency": "CNY"}),
        ("where's a toilet", "navigate", {"category": "toilet"}, {"category": "toilet"}),
    ],
)  # fmt: skip
def test_every_intent_is_reachable_through_its_tool(server, utterance, tool, args, slots):
    server.answer = lambda body: (tool, args)
    r = LlmIntentParser(server.url, "qwen-test", timeout_s=2.0)(utterance, None)
    assert (r.intent, r.slots, r.backend, r.path) == (tool, slots, "llm", "llm")
    body = server.bodies[0]
    assert body["messages"][-1]["content"] == utterance and len(body["tools"]) == len(INTENTS)


def test_unknown_tool_is_unknown_with_no_slots(server):
    server.answer = lambda body: ("unknown", {"confidence": 0.9})
    r = LlmIntentParser(server.url, "m", timeout_s=2.0)("haha that's funny", "en")
    assert (r.intent, r.slots, r.confidence) == ("unknown", {}, 0.0)


def test_a_tool_that_is_no_intent_falls_back_to_the_offline_model(server):
    server.answer = lambda body: ("launch_rocket", {})
    parser = LlmIntentParser(server.url, "m", timeout_s=2.0)
    r = parser("打个车去火车站", "zh")
    assert (r.intent, r.slots, r.backend) == ("hail_taxi", {"destination": "火车站"}, "offline")
    assert r.path in ("rules", "model", "rules+model") and parser.fallbacks["unknown_intent"] == 1

"""Agent node on real rclpy: perception events in -> intent, cards, speech, actions out, payment in the ledger."""

from decimal import Decimal

import pytest
from std_msgs.msg import String

from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_bringup.foundation import events as ev
from glasses_bringup.foundation.testing import wait_for

CODE = "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=T1001"


def make_agent(ros, tmp_path, variant="s1", **params):
    from rclpy.parameter import Parameter

    from glasses_agent.nodes.agent_node import AgentNode

    overrides = [Parameter("db_path", value=str(tmp_path / "agent.sqlite")), Parameter("variant", value=variant)]
    overrides += [Parameter(k, value=v) for k, v in params.items()]
    return ros.add(AgentNode(namespace=ros.namespace, parameter_overrides=overrides))


def publish(pub, event):
    pub.publish(String(data=ev.encode(event)))


@pytest.fixture
def io(ros):
    out = {t: ros.collect_events(t) for t in ("agent/intent", "agent/action", "agent/response", "agent/metrics",
                                               "display/card", "speaker/say")}  # fmt: skip
    pubs = {t: ros.publisher(t, String) for t in ("perception/transcript", "perception/codes", "input/head_gesture",
                                                  "input/touch", "perception/product")}  # fmt: skip
    return out, pubs


def transcript(text, stamp, lang="en", final=True, **fields):
    return ev.Transcript(stamp=stamp, text=text, final=final, lang=lang, audio_start=stamp - 1.0, audio_end=stamp,
                         **{"latency_ms": 100.0, **fields})  # fmt: skip


def test_pay_end_to_end_on_rclpy(ros, tmp_path, io):
    out, pubs = io
    agent = make_agent(ros, tmp_path)
    assert wait_for(lambda: all(p.get_subscription_count() > 0 for p in pubs.values()), 10)
    assert wait_for(lambda: out["agent/metrics"], 10)  # latched metrics at start
    now = agent.now_s()
    publish(pubs["perception/codes"], ev.Code(stamp=now, symbology="QR_CODE", text=CODE, kind="payment"))
    publish(pubs["perception/transcript"], transcript("pay for this", now + 0.1))
    assert wait_for(lambda: any(c.kind == "confirm" for c in out["display/card"]), 10)
    card = next(c for c in out["display/card"] if c.kind == "confirm")
    assert card.title == "Pay 12.50 CNY?" and card.body == "to Cafe Lumi"
    assert card.stamp == pytest.approx(now + 0.1)  # stamped with the transcript's sensor time
    intent = out["agent/intent"][0]
    assert (intent.intent, intent.backend, intent.stamp) == ("pay", "offline", pytest.approx(now + 0.1))
    assert SqliteSandbox(tmp_path / "agent.sqlite").ledger() == []  # nothing before confirmation

    publish(pubs["input/head_gesture"], ev.HeadGesture(stamp=now + 1.0, gesture="nod", confidence=0.9))
    publish(pubs["input/touch"], ev.Touch(stamp=now + 1.2, gesture="double_tap"))  # a second confirmation
    assert wait_for(lambda: any(a.action == "pay" and a.status == "done" for a in out["agent/action"]), 10)
    # The second gesture finds nothing pending (ignored) or, with the code still in view, restarts look and
    # pay and is told it is already paid: either way no second charge.
    assert wait_for(lambda: any((a.action, a.status) in (("confirm", "ignored"), ("pay", "duplicate"))
                                for a in out["agent/action"]), 10)  # fmt: skip
    ledger = SqliteSandbox(tmp_path / "agent.sqlite").ledger()
    assert [(p.status, p.amount, p.payee) for p in ledger] == [("done", Decimal("12.50"), "cafe-lumi")]
    assert any(s.text == "Paid 12.50 CNY to Cafe Lumi." for s in out["speaker/say"])
    assert wait_for(lambda: out["agent/metrics"][-1].completions == 1, 10)


def test_malformed_and_partial_inputs_are_counted_not_fatal(ros, tmp_path, io):
    out, pubs = io
    agent = make_agent(ros, tmp_path)
    assert wait_for(lambda: pubs["perception/transcript"].get_subscription_count() > 0, 10)
    pubs["perception/transcript"].publish(String(data="{not json"))
    pubs["perception/codes"].publish(String(data='{"schema": "code", "v": 1, "stamp": -1}'))
    publish(pubs["perception/transcript"], transcript("take me to", agent.now_s(), final=False))  # partial: ignored
    assert wait_for(lambda: sum(agent.health.rejects.values()) >= 2, 10)
    publish(pubs["perception/transcript"], transcript("tell me a joke", agent.now_s()))
    assert wait_for(lambda: out["agent/intent"], 10)
    assert [i.intent for i in out["agent/intent"]] == ["unknown"]
    assert wait_for(lambda: any(c.kind == "ask" for c in out["display/card"]), 10)


def test_g1_speaks_everything_and_shows_no_card(ros, tmp_path, io):
    out, pubs = io
    agent = make_agent(ros, tmp_path, variant="g1")
    assert wait_for(lambda: pubs["perception/transcript"].get_subscription_count() > 0, 10)
    publish(pubs["perception/transcript"], transcript("下一首", agent.now_s(), lang="zh"))
    assert wait_for(lambda: out["speaker/say"], 10)
    assert out["speaker/say"][0].text == "下一首。" and out["speaker/say"][0].lang == "zh"
    assert out["display/card"] == []


def test_llm_backend_answers_off_the_executor(ros, tmp_path, io, monkeypatch):
    """A slow LLM endpoint: its answer becomes the intent, and a gesture meanwhile is still handled."""
    import json

    from fake_llm_server import FakeServer
    from test_agent_llm import tool_reply

    out, pubs = io
    server = FakeServer()
    try:
        server.delay_s = 1.0
        server.reply = lambda path, body: tool_reply("hail_taxi", {"destination": "airport"})
        monkeypatch.setenv("AGENT_TEST_KEY", "sk-never-in-events")
        agent = make_agent(ros, tmp_path, intent_backend="llm", llm_url=server.url, llm_api_key_env="AGENT_TEST_KEY",
                           llm_timeout_s=5.0)  # fmt: skip
        assert wait_for(lambda: pubs["perception/transcript"].get_subscription_count() > 0, 10)
        now = agent.now_s()
        publish(pubs["perception/transcript"], transcript("I have a flight to catch, get me to the airport", now))
        publish(pubs["input/touch"], ev.Touch(stamp=now + 0.1, gesture="double_tap"))
        assert wait_for(lambda: any(a.action == "confirm" for a in out["agent/action"]), 5)
        assert out["agent/intent"] == []  # the double tap was handled while the endpoint was still thinking
        assert wait_for(lambda: out["agent/intent"], 10)
        intent = out["agent/intent"][0]
        assert (intent.intent, intent.slots, intent.backend) == ("hail_taxi", {"destination": "airport"}, "llm")
        assert wait_for(lambda: any(c.kind == "confirm" for c in out["display/card"]), 10)
        assert "sk-never-in-events" not in json.dumps([e.model_dump() for e in out["agent/intent"] + out["agent/action"]])
        assert server.requests[0]["headers"]["Authorization"] == "Bearer sk-never-in-events"
    finally:
        server.close()


def test_a_settled_confirmation_leaves_the_hud_to_its_result(ros, tmp_path, io):
    """The card after a cancelled (or confirmed) payment replaces the confirm card, which no longer stays in front."""
    from glasses_bringup.drivers.sensors.display import CardQueue

    out, pubs = io
    agent = make_agent(ros, tmp_path)
    assert wait_for(lambda: all(p.get_subscription_count() > 0 for p in pubs.values()), 10)
    now = agent.now_s()
    publish(pubs["perception/codes"], ev.Code(stamp=now, symbology="QR_CODE", text=CODE, kind="payment"))
    publish(pubs["perception/transcript"], transcript("pay for this", now + 0.1))
    assert wait_for(lambda: any(c.kind == "confirm" for c in out["display/card"]), 10)
    confirm = next(c for c in out["display/card"] if c.kind == "confirm")
    publish(pubs["input/head_gesture"], ev.HeadGesture(stamp=now + 1.0, gesture="shake", confidence=0.9))
    assert wait_for(lambda: any(c.kind != "confirm" and c.stamp >= now + 1.0 for c in out["display/card"]), 10)
    result = next(c for c in out["display/card"] if c.kind != "confirm" and c.stamp >= now + 1.0)
    assert result.kind != "confirm" and result.card_id == confirm.card_id
    hud = CardQueue()
    for c in out["display/card"]:
        hud.push(c, now=1.0)
    assert hud.current(1.0) is result  # the HUD shows the outcome, not "Pay 12.50 CNY?"
    assert SqliteSandbox(tmp_path / "agent.sqlite").ledger() == []


def pause_transcript(text, stamp, utterance_id, lang="en"):
    return transcript(text, stamp, lang, final=False, utterance_id=utterance_id, at_pause=True)


def test_a_pause_transcript_shows_a_provisional_card_and_does_nothing(ros, tmp_path, io):
    out, pubs = io
    agent = make_agent(ros, tmp_path)
    assert wait_for(lambda: all(p.get_subscription_count() > 0 for p in pubs.values()), 10)
    now = agent.now_s()
    publish(pubs["perception/codes"], ev.Code(stamp=now, symbology="QR_CODE", text=CODE, kind="payment"))
    publish(pubs["perception/transcript"], pause_transcript("pay for this", now + 0.1, 7))
    assert wait_for(lambda: out["display/card"], 10)
    heard = out["display/card"][0]
    assert (heard.kind, heard.card_id, heard.title, heard.body) == ("heard", "heard-7", "Pay…", "“pay for this”")
    publish(pubs["perception/transcript"], pause_transcript("付款", now + 0.2, 8, lang="zh"))
    assert wait_for(lambda: len(out["display/card"]) >= 2, 10)
    assert (out["display/card"][1].title, out["display/card"][1].lang) == ("付款…", "zh")
    # nothing acted on the provisional words: no intent, no action, no spoken reply, no payment proposed
    # words that parse to no clear intent show nothing and take the older guess down
    publish(pubs["perception/transcript"], pause_transcript("um so", now + 0.3, 8, lang="zh"))
    assert wait_for(lambda: len(out["display/card"]) >= 3, 10)
    assert (out["display/card"][2].kind, out["display/card"][2].card_id) == ("clear", "heard-8")
    assert agent.health.rates["heard_cards"].total == 2
    assert out["agent/intent"] == [] and out["agent/action"] == [] and out["speaker/say"] == []
    assert agent.dialogue.pending is None and agent.dialogue.rounds == 0
    # the final makes the turn; its card goes out first, then the provisional card is taken down
    publish(pubs["perception/transcript"], pause_transcript("pay for this", now + 0.4, 9))
    assert wait_for(lambda: len(out["display/card"]) >= 4, 10)
    publish(pubs["perception/transcript"], transcript("pay for this", now + 0.4, utterance_id=9))
    assert wait_for(lambda: len(out["display/card"]) >= 6, 10)
    assert [(c.kind, c.card_id) for c in out["display/card"][3:]][0] == ("heard", "heard-9")
    assert [c.kind for c in out["display/card"][4:]] == ["confirm", "clear"]
    assert out["display/card"][5].card_id == "heard-9"
    assert [i.intent for i in out["agent/intent"]] == ["pay"]


def test_g1_shows_no_provisional_card(ros, tmp_path, io):
    out, pubs = io
    agent = make_agent(ros, tmp_path, variant="g1")
    assert wait_for(lambda: pubs["perception/transcript"].get_subscription_count() > 0, 10)
    publish(pubs["perception/transcript"], pause_transcript("play some jazz", agent.now_s(), 3))
    publish(pubs["perception/transcript"], transcript("play some jazz", agent.now_s()))
    assert wait_for(lambda: out["speaker/say"], 10)
    assert out["display/card"] == [] and len(out["agent/intent"]) == 1

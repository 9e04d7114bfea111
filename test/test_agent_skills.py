"""Skills through the dialogue manager: compare and buy, order food, taxi, simple intents, Chinese."""

from decimal import Decimal

import pytest

from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_agent.dialogue import AgentConfig, DialogueManager
from glasses_agent.skills.simple import due_time


class Clock:
    def __init__(self, t=1_800_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sandbox(tmp_path, clock):
    s = SqliteSandbox(tmp_path / "agent.sqlite", clock=clock)
    yield s
    s.close()


def say(d, text, t, lang=None):
    return d.on_transcript(text, lang, t, t)[0]


def test_barcode_then_compare_then_buy_it(sandbox):
    d = DialogueManager(sandbox)
    d.on_code("6901234567892", "product", 1.0, 1.0)
    step = say(d, "compare prices", 1.5)
    card = step.replies[0]
    assert card.title == "Best: 3.90 CNY at CityGrocer" and len(card.lines) == 3
    step = say(d, "buy it", 2.0)
    assert step.replies[0].kind == "confirm" and "3.90 CNY" in step.replies[0].title
    say(d, "confirm", 3.0)
    [p] = sandbox.ledger()
    assert (p.kind, p.payee, p.amount, p.status) == ("buy", "CityGrocer", Decimal("3.90"), "done")


def test_compare_waits_for_a_product_to_come_into_view(sandbox):
    d = DialogueManager(sandbox)
    assert say(d, "is this cheaper anywhere", 1.0).replies[0].message_id == "look_at_product"
    steps = d.on_product("p-book-tcpip", "TCP/IP Illustrated", True, 2.0, 2.0)
    assert steps[0].replies[0].title == "Best: 109.50 CNY at WebBooks"
    assert d.on_product("p-notebook", "A5 Notebook", False, 3.0, 3.0) == []  # rejected recognitions are ignored


def test_compare_by_spoken_name_and_unknown_product(sandbox):
    d = DialogueManager(sandbox)
    assert "BookNook" in say(d, "compare prices for A5 notebook", 1.0).replies[0].title
    assert say(d, "compare prices for bananas", 2.0).replies[0].message_id == "unknown_product"


def test_order_food_quote_confirm_and_status_updates(sandbox, clock):
    d = DialogueManager(sandbox)
    step = say(d, "order a large beef noodle from the usual place", 1.0)
    card = step.replies[0]
    assert card.kind == "confirm" and card.title == "Order for 29.00 CNY?" and "Noodle House" in card.body
    step = d.on_head_gesture("nod", 1.0, 2.0, 2.0)[0]
    assert ("order_food", "done") in [(a, s) for a, s, _ in step.actions]
    [order_id] = d.tracked
    seen = []
    for minutes in (1, 5, 10, 20):  # cumulative 1, 6, 16, 36 min; delivery takes 25
        clock.t += 60 * minutes
        for s in d.tick(3.0):
            seen += [a[1] for a in s.actions]
    assert seen == ["preparing", "on_the_way", "delivered"]
    assert d.tracked == {}
    [p] = sandbox.ledger()
    assert (p.kind, p.amount, p.status) == ("food", Decimal("29.00"), "done")
    assert sandbox.order(order_id).key == p.key


def test_order_food_asks_and_refuses_unknown_dish(sandbox):
    d = DialogueManager(sandbox)
    assert say(d, "order food", 1.0).replies[0].message_id == "ask_dish"
    assert say(d, "order a unicorn steak", 2.0).replies[0].message_id == "no_dish"
    assert sandbox.ledger() == []


def test_taxi_quote_confirm_status_and_cancel_refunds(sandbox, clock):
    d = DialogueManager(sandbox)
    card = say(d, "take me to the airport", 1.0).replies[0]
    assert card.title == "Taxi for 80.40 CNY?" and "pickup in 4 min" in card.body
    d.on_touch("double_tap", 2.0, 2.0)
    assert sandbox.balance("CNY") == Decimal("4919.60")
    step = say(d, "cancel the ride", 3.0)
    assert ("hail_taxi", "cancelled") in [(a, s) for a, s, _ in step.actions]
    assert sandbox.balance("CNY") == Decimal("5000.00")
    assert [p.status for p in sandbox.ledger()] == ["refunded"]


def test_taxi_status_progress_and_late_cancel_refused(sandbox, clock):
    d = DialogueManager(sandbox)
    say(d, "get me a taxi to the train station", 1.0)
    d.on_touch("double_tap", 2.0, 2.0)
    clock.t += 60 * 6
    assert [a[1] for s in d.tick(3.0) for a in s.actions] == ["on_trip"]
    step = say(d, "cancel the ride", 4.0)
    assert ("hail_taxi", "cancel_refused") in [(a, s) for a, s, _ in step.actions]


def test_unknown_destination_and_missing_destination(sandbox):
    d = DialogueManager(sandbox)
    assert say(d, "take me to atlantis", 1.0).replies[0].message_id == "unknown_place"
    assert say(d, "call a cab", 2.0).replies[0].message_id == "ask_destination"


def test_chinese_pay_flow_with_chinese_cards(sandbox):
    d = DialogueManager(sandbox)
    d.on_code("glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=T1", "payment", 1.0, 1.0)
    step = say(d, "付款", 1.5)
    assert step.replies[0].lang == "zh" and step.replies[0].title == "支付 12.50 CNY？"
    step = say(d, "确认", 2.0)
    assert step.replies[-1].title == "已支付 12.50 CNY"


def test_pay_then_code_comes_into_view(sandbox):
    d = DialogueManager(sandbox)
    assert say(d, "pay", 1.0).replies[0].message_id == "look_at_code"
    steps = d.on_code("glasspay://pay?payee=kiosk&amount=3.00&currency=CNY&ref=K1", "payment", 2.0, 2.0)
    assert steps[0].replies[0].message_id == "confirm_pay"


def test_nod_with_code_in_view_starts_look_and_pay(sandbox):
    d = DialogueManager(sandbox)
    d.on_code("glasspay://pay?payee=kiosk&amount=3.00&currency=CNY&ref=K2", "payment", 1.0, 1.0)
    steps = d.on_head_gesture("nod", 0.9, 2.0, 2.0)
    assert steps[0].replies[0].message_id == "confirm_pay"
    assert sandbox.ledger() == []  # the first nod only shows the card
    d.on_head_gesture("nod", 0.9, 3.0, 3.0)
    assert len(sandbox.ledger()) == 1


def test_simple_intents_and_metrics(sandbox):
    d = DialogueManager(sandbox, AgentConfig())
    volume = say(d, "volume up", 1.0).actions[0]  # a command to the music player; its state answers (test_skills_music)
    assert volume[:2] == ("volume", "requested") and volume[2]["level"] == 70
    assert say(d, "next song", 2.0).actions[0][0] == "next_track"
    assert say(d, "navigate to the train station", 3.0).replies[0].message_id == "nav_no_map"  # no map configured
    assert say(d, "what is this", 4.0).replies[0].message_id == "cannot_tell_offline"
    d.on_product("p-chocolate", "Dark Chocolate 100 g", True, 5.0, 5.0)
    assert say(d, "what is this", 6.0).replies[0].title == "Dark Chocolate 100 g"
    assert say(d, "blah blah", 7.0).replies[0].message_id == "did_not_understand"
    m = d.metrics()
    assert m["rounds"] == 6 and m["completions"] == 1  # what_is_this; music completes on the player's state


def test_reminder_fires_when_due(sandbox):
    d = DialogueManager(sandbox)
    say(d, "remind me in 10 minutes to check the oven", 100.0)
    assert d.tick(500.0) == []
    [step] = d.tick(701.0)
    assert step.replies[0].message_id == "reminder_due" and "check the oven" in step.replies[0].body


def test_reminder_survives_restart_and_fires_once(tmp_path):
    s = SqliteSandbox(tmp_path / "r.sqlite")
    say(DialogueManager(s), "remind me in 10 minutes to call the bank", 100.0)
    s.close()
    s = SqliteSandbox(tmp_path / "r.sqlite")
    d = DialogueManager(s)
    [step] = d.tick(701.0)
    assert step.replies[0].body == "call the bank"
    assert d.tick(702.0) == [] and DialogueManager(s).tick(703.0) == []
    s.close()


def test_due_time():
    import datetime

    now = datetime.datetime(2026, 11, 22, 10, 0).timestamp()
    assert due_time("+10m", now) == now + 600
    assert datetime.datetime.fromtimestamp(due_time("tomorrow 08:00", now)).strftime("%d %H:%M") == "23 08:00"
    assert datetime.datetime.fromtimestamp(due_time("09:00", now)).strftime("%d %H:%M") == "23 09:00"
    assert due_time(None, now) is None


def test_state_survives_restart(tmp_path):
    path = tmp_path / "a.sqlite"
    s = SqliteSandbox(path)
    s.begin("k", "pay", "p", "P", Decimal("2.00"), "CNY")
    s.commit("k")
    s.close()
    s = SqliteSandbox(path)
    assert s.balance("CNY") == Decimal("4998.00") and s.get("k").status == "done"
    assert len(s.offers("p-oolong-tea")) == 3  # seeded once, not again
    s.close()


def test_cancel_food_order_before_preparation_refunds(sandbox, clock):
    d = DialogueManager(sandbox)
    say(d, "order two small milk teas", 1.0)
    say(d, "confirm", 2.0)
    assert sandbox.balance("CNY") == Decimal("4967.00")  # 2 x 14.00 + 5.00 delivery
    step = say(d, "cancel my order", 3.0)
    assert ("order_food", "cancelled") in [(a, s) for a, s, _ in step.actions]
    assert sandbox.balance("CNY") == Decimal("5000.00") and d.tracked == {}


def test_a_new_request_ends_the_wait_for_a_code(sandbox):
    d = DialogueManager(sandbox)
    say(d, "pay", 1.0)
    say(d, "you", 1.5)  # a stray transcript of noise keeps the wait
    assert d.awaiting is not None
    say(d, "next song", 2.0)
    code = "glasspay://pay?payee=kiosk&amount=3.00&currency=CNY&ref=K3"
    assert d.on_code(code, "payment", 3.0, 3.0) == []  # no payment card out of the blue
    say(d, "pay", 4.0)
    step = say(d, "cancel", 5.0)  # code seen, so "pay" proposed at once; cancel drops it
    assert ("pay", "cancelled") in [(a, s) for a, s, _ in step.actions]
    say(d, "order food", 6.0)
    assert say(d, "cancel", 7.0).replies[0].message_id == "nothing_to_cancel"  # ask_dish does not wait
    d2 = DialogueManager(sandbox)
    say(d2, "compare prices", 8.0)
    step = say(d2, "cancel", 9.0)
    assert step.replies[0].message_id == "cancelled" and d2.awaiting is None


def test_a_provisional_card_names_the_intent_and_words_and_changes_nothing(sandbox):
    d = DialogueManager(sandbox)
    before = (d.rounds, d.turn_id, d.pending, d.awaiting, dict(d.context))
    en = d.heard("order a large beef noodle from the usual place", "en", 4)
    assert (en.kind, en.card_id, en.title, en.body) == ("heard", "heard-4", "Order food…",
                                                         "“order a large beef noodle from the usual place”")  # fmt: skip
    assert not en.speak and en.ttl_s < 6 and en.priority < 5  # below an answer, never spoken
    zh = d.heard("帮我叫车去机场", "zh", 5)
    assert (zh.title, zh.lang) == ("打车…", "zh")
    assert d.heard("um and then", "en", 6) is None  # no clear intent
    assert (d.rounds, d.turn_id, d.pending, d.awaiting, dict(d.context)) == before
    assert sandbox.ledger() == []

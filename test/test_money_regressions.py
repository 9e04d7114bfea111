"""Money defects found by attacking the stack, one regression test each (all failed before their fix).

Each test goes through the paths the stack had before (the sandbox, the dialogue manager,
the vision package's parser and code reader), so it shows the defect on the old code."""

import sqlite3
import threading
from decimal import Decimal

import cv2
import numpy as np
import pytest
import zxingcpp

from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_agent.dialogue import DialogueManager
from glasses_agent.skills.pay import Limits, spend
from glasses_bringup.foundation.payment import PaymentPayloadError, crc16_ccitt, parse_payment
from glasses_perception.vision.codes import CodeReader

CODE = "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=T1001"


@pytest.fixture
def sandbox(tmp_path):
    s = SqliteSandbox(tmp_path / "agent.sqlite")
    yield s
    s.close()


def ask_pay(d, code, t=1.0):
    d.on_code(code, "payment", t, t)
    return d.on_transcript("pay", "en", t + 0.5, t + 0.5)[0].replies[0]


def emv(fields):
    body = "".join(f"{tag}{len(value):02d}{value}" for tag, value in fields) + "6304"
    return body + f"{crc16_ccitt(body.encode()):04X}"


def orders_and_rides(s):
    orders = s.db.execute("SELECT key FROM orders").fetchall()
    rides = s.db.execute("SELECT key FROM rides").fetchall()
    return {r[0] for r in orders}, {r[0] for r in rides}


# -- 1: a kill between the charge and the order / ride -------------------------------------


@pytest.mark.parametrize("utterance, kind, placer", [
    ("order a large beef noodle from the usual place", "food", "place_order"),
    ("take me to the airport", "ride", "book"),
])  # fmt: skip
def test_kill_after_the_charge_places_the_order_or_ride_on_restart(tmp_path, utterance, kind, placer):
    path = tmp_path / "agent.sqlite"
    s = SqliteSandbox(path)
    d = DialogueManager(s)
    d.on_transcript(utterance, "en", 1.0, 1.0)

    def power_lost(*args, **kwargs):
        raise SystemExit("power lost")  # the charge is committed, the order / ride not yet

    setattr(s, placer, power_lost)
    with pytest.raises(SystemExit):
        d.on_touch("double_tap", 2.0, 2.0)
    s.close()
    s = SqliteSandbox(path)
    [payment] = s.ledger()
    assert payment.status == "done"
    steps = DialogueManager(s).recover(10.0)
    assert [a[1] for st in steps for a in st.actions] == ["recovered"]
    assert steps[0].replies[0].message_id == "recovered"
    orders, rides = orders_and_rides(s)
    assert (orders if kind == "food" else rides) == {payment.key}
    assert DialogueManager(s).recover(11.0) == []  # a second start changes nothing
    assert s.balance("CNY") == Decimal("5000.00") - payment.amount
    s.close()


def test_an_old_half_done_order_is_refunded_not_placed_hours_late(tmp_path):
    path = tmp_path / "agent.sqlite"
    s = SqliteSandbox(path)
    d = DialogueManager(s)
    d.on_transcript("order a large beef noodle from the usual place", "en", 1.0, 1.0)
    s.place_order = lambda *a, **k: (_ for _ in ()).throw(SystemExit("power lost"))
    with pytest.raises(SystemExit):
        d.on_touch("double_tap", 2.0, 2.0)
    s.close()
    s = SqliteSandbox(path)
    steps = DialogueManager(s).recover(10.0, wall_now=s.ledger()[0].created_at + 3 * 3600)
    assert steps[0].actions[0][1] == "recovery_refunded" and steps[0].replies[0].message_id == "recovery_refunded"
    assert [p.status for p in s.ledger()] == ["refunded"] and s.balance("CNY") == Decimal("5000.00")
    assert orders_and_rides(s) == (set(), set())
    s.close()


def test_an_order_the_service_refuses_after_the_charge_is_refunded_at_once(sandbox):
    from glasses_agent.backends.base import BackendError

    d = DialogueManager(sandbox)
    d.on_transcript("order a large beef noodle from the usual place", "en", 1.0, 1.0)

    def closed(*args, **kwargs):
        raise BackendError("restaurant_closed")

    sandbox.place_order = closed
    step = d.on_touch("double_tap", 2.0, 2.0)[0]
    assert step.replies[-1].message_id == "not_placed_refunded"
    assert [p.status for p in sandbox.ledger()] == ["refunded"] and sandbox.balance("CNY") == Decimal("5000.00")


# -- 3: the payee shown is the payee charged ----------------------------------------------


def test_confirm_card_names_the_payee_that_is_charged_not_the_codes_claim(sandbox):
    d = DialogueManager(sandbox)
    card = ask_pay(d, "glasspay://pay?payee=attacker-42&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=X")
    assert card.message_id == "confirm_pay"
    assert "attacker-42" in card.body and "Cafe Lumi" not in card.body
    assert "attacker-42" in card.speech and "Cafe Lumi" not in card.speech
    assert any("Cafe Lumi" in line and "not verified" in line for line in card.lines)
    d.on_touch("double_tap", 2.0, 2.0)
    assert [(p.payee, p.payee_name) for p in sandbox.ledger()] == [("attacker-42", "attacker-42")]


def test_a_name_that_spells_the_payee_is_shown_as_the_name(sandbox):
    card = ask_pay(DialogueManager(sandbox), CODE)
    assert "Cafe Lumi" in card.body and card.lines == []


@pytest.mark.parametrize("name", [
    "Cafe%E2%80%AEimuL",  # right-to-left override
    "Ca%E2%80%8Bfe%E2%80%8DLumi%EF%BB%BF",  # zero-width space / joiner, BOM
    "Cafe%07%1B%5B31mLumi%0A",  # bell, an ANSI escape, newline
    "A" * 2000,
])  # fmt: skip
def test_hostile_names_never_reach_the_hud_or_speech(sandbox, name):
    card = ask_pay(DialogueManager(sandbox), f"glasspay://pay?payee=shop-1&name={name}&amount=1.00&currency=CNY")
    for text in [card.title, card.body, card.speech, *card.lines]:
        assert not any(ch in text for ch in "\u202e\u200b\u200d\ufeff\x07\x1b\n")
        assert len(text) < 200


# -- 4: a crafted QR neither crashes the parser nor hides the other codes --------------------


CIRCLED = "000201①①①①"  # '①'.isdigit() is True, int('①①') raises


def test_unicode_digits_in_an_emv_tlv_head_are_a_refusal_not_a_crash():
    with pytest.raises(PaymentPayloadError) as err:
        parse_payment(CIRCLED)
    assert err.value.reason == "bad_tlv"


def test_a_crafted_code_does_not_hide_a_valid_pay_code_in_the_same_frame():
    canvas = np.full((480, 900), 255, np.uint8)
    for i, text in enumerate([CIRCLED, CODE]):
        code = np.asarray(zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode).to_image(scale=4,
                                                                                                add_quiet_zones=True))  # fmt: skip
        canvas[40 : 40 + code.shape[0], 40 + 440 * i : 40 + 440 * i + code.shape[1]] = code
    found = {c.text: c for c in CodeReader().decode(cv2.cvtColor(canvas, cv2.COLOR_GRAY2RGB))}
    assert set(found) == {CIRCLED, CODE}
    assert found[CODE].payment["payee"] == "cafe-lumi"
    assert found[CIRCLED].payment is None and found[CIRCLED].payment_error == "bad_tlv"


# -- 6: a write-locked database ------------------------------------------------------------


def test_a_write_locked_database_gives_a_card_keeps_the_confirmation_and_frees_the_lock(sandbox):
    sandbox.db.execute("PRAGMA busy_timeout = 50")  # do not wait long for the other writer
    d = DialogueManager(sandbox)
    ask_pay(d, CODE)
    other = sqlite3.connect(sandbox.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    step = d.on_touch("double_tap", 2.0, 2.0)[0]
    assert step.replies[-1].kind == "error" and "database_busy" in step.replies[-1].body
    assert d.pending is not None and sandbox.ledger() == []
    reader = threading.Thread(target=sandbox.ledger)
    reader.start()
    reader.join(5.0)
    assert not reader.is_alive(), "the sandbox lock is still held"
    other.execute("ROLLBACK")
    other.close()
    step = d.on_touch("double_tap", 3.0, 3.0)[0]
    assert step.replies[-1].message_id == "paid"
    assert [(p.status, p.amount) for p in sandbox.ledger()] == [("done", Decimal("12.50"))]


# -- 9: one rounding rule, ISO 4217 minor units, ASCII digits, unique EMV tags -----------------


@pytest.mark.parametrize("amount, currency", [("12.345", "CNY"), ("12.3456", "USD"), ("100.5", "JPY"),
                                              ("1.2345", "BHD")])  # fmt: skip
def test_amounts_with_more_decimals_than_the_currency_has_are_refused(sandbox, amount, currency):
    with pytest.raises(PaymentPayloadError) as err:
        parse_payment(f"glasspay://pay?payee=shop-1&amount={amount}&currency={currency}")
    assert err.value.reason == "bad_amount"
    card = ask_pay(DialogueManager(sandbox), f"glasspay://pay?payee=shop-1&amount={amount}&currency={currency}")
    assert card.message_id == "bad_code"


@pytest.mark.parametrize("amount, currency, shown", [("500", "JPY", "500 JPY"), ("1.250", "BHD", "1.250 BHD"),
                                                     ("12.5", "CNY", "12.50 CNY")])  # fmt: skip
def test_the_card_shows_the_currencys_own_decimals(sandbox, amount, currency, shown):
    card = ask_pay(DialogueManager(sandbox), f"glasspay://pay?payee=shop-1&amount={amount}&currency={currency}")
    assert card.message_id == "confirm_pay" and card.title == f"Pay {shown}?"


@pytest.mark.parametrize("said", [Decimal("12.345"), 12.345, "12.345", "１２.50"])
def test_a_said_amount_that_cannot_be_paid_exactly_is_refused(sandbox, said):
    # the card rounded half-even (12.34) and the charge half-up (12.35); now neither rounds
    d = DialogueManager(sandbox)
    outcome = d.pay.propose("glasspay://pay?payee=kiosk&currency=CNY&ref=K9", "en", said, "CNY")
    assert outcome.replies[0].message_id == "bad_code" and outcome.proposal is None


@pytest.mark.parametrize("utterance", ["12.345 yuan", "twelve yuan and 5 cents", "pay 7.5"])
def test_the_card_shows_exactly_what_is_charged(sandbox, utterance):
    d = DialogueManager(sandbox)
    assert ask_pay(d, "glasspay://pay?payee=kiosk&currency=CNY&ref=K9").message_id == "ask_amount"
    card = d.on_transcript(utterance, "en", 3.0, 3.0)[0].replies[0]
    d.on_touch("double_tap", 4.0, 4.0)
    charged = [p for p in sandbox.ledger() if p.status == "done"]
    if card.message_id == "confirm_pay":
        assert card.title == f"Pay {charged[0].amount} CNY?" and len(charged) == 1
        assert sandbox.balance("CNY") == Decimal("5000.00") - charged[0].amount
    else:
        assert charged == []


@pytest.mark.parametrize("amount", ["１２.50", "١٢.٥٠", "12.5０", "𝟏𝟐.50"])
def test_non_ascii_digits_are_not_amounts(amount):
    with pytest.raises(PaymentPayloadError) as err:
        parse_payment(f"glasspay://pay?payee=shop-1&amount={amount}&currency=CNY")
    assert err.value.reason == "bad_amount"


def test_a_duplicate_emv_tag_is_refused_not_silently_won():
    payload = emv([("00", "01"), ("26", "0010com.alipay0108M1234567"), ("53", "156"), ("54", "5.00"),
                   ("54", "500.00"), ("59", "Shop")])  # fmt: skip
    with pytest.raises(PaymentPayloadError) as err:
        parse_payment(payload)
    assert err.value.reason == "repeated_field"


# -- 11: the daily limit and the charge in one transaction; charged_now for one caller -------------


def test_two_connections_cannot_both_pass_the_daily_limit(tmp_path):
    path = tmp_path / "agent.sqlite"
    first, second = SqliteSandbox(path), SqliteSandbox(path)
    limits = Limits(per_payment=Decimal("1500"), daily=Decimal("2000"))
    real_spent = second.spent_today

    def interleaved(currency, now=None):
        before = real_spent(currency, now)
        if first.get("k-first") is None:  # the other device pays between this check and this charge
            spend(first, limits, "k-first", "pay", "a", "A", Decimal("1040"), "CNY")
        return before

    second.spent_today = interleaved
    first.db.execute("UPDATE wallet SET balance_minor = 1000000")
    outcomes = []
    try:
        outcomes.append(spend(second, limits, "k-second", "pay", "b", "B", Decimal("1040"), "CNY")[1])
    except Exception as exc:
        outcomes.append(getattr(exc, "reason", repr(exc)))
    done = [p for p in first.ledger() if p.status == "done"]
    assert sum(p.amount for p in done) <= Decimal("2000"), f"{sum(p.amount for p in done)} spent, limit 2000"
    assert outcomes in (["over_limit"], [True]) and len(done) == 1
    first.close()
    second.close()


def test_only_one_caller_of_one_key_sees_charged_now(tmp_path):
    path = tmp_path / "agent.sqlite"
    first, second = SqliteSandbox(path), SqliteSandbox(path)
    limits = Limits()
    real_get = second.get
    results = {}

    def interleaved(key):
        seen = real_get(key)
        if "first" not in results:  # the other device pays between this check and this charge
            results["first"] = spend(first, limits, key, "pay", "a", "A", Decimal("3.00"), "CNY")[1]
        return seen

    second.get = interleaved
    results["second"] = spend(second, limits, "k", "pay", "a", "A", Decimal("3.00"), "CNY")[1]
    assert sorted(results.values()) == [False, True]
    assert first.balance("CNY") == Decimal("4997.00")
    first.close()
    second.close()


def test_racing_threads_on_separate_connections_keep_the_limit_and_charge_once(tmp_path):
    path = tmp_path / "agent.sqlite"
    SqliteSandbox(path).close()
    limits = Limits(per_payment=Decimal("500"), daily=Decimal("2000"))
    charged, start = [], threading.Barrier(8)

    def device(i):
        s = SqliteSandbox(path)
        s.db.execute("PRAGMA busy_timeout = 10000")
        start.wait()
        for key in (f"own-{i}", "shared"):
            try:
                charged.append((key, spend(s, limits, key, "pay", "p", "P", Decimal("300"), "CNY")[1]))
            except Exception as exc:
                charged.append((key, getattr(exc, "reason", repr(exc))))
        s.close()

    threads = [threading.Thread(target=device, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    s = SqliteSandbox(path)
    done = [p for p in s.ledger() if p.status == "done"]
    assert sum(p.amount for p in done) <= Decimal("2000")
    assert s.balance("CNY") == Decimal("5000.00") - sum(p.amount for p in done)
    assert sum(1 for key, now in charged if key == "shared" and now is True) <= 1
    assert all(now in (True, False, "over_limit") for _, now in charged), charged
    s.close()


def test_a_row_left_pending_by_a_busy_database_is_aborted_when_the_wearer_gives_up(sandbox):
    sandbox.db.execute("PRAGMA busy_timeout = 50")
    d = DialogueManager(sandbox)
    ask_pay(d, CODE)
    other = sqlite3.connect(sandbox.path, isolation_level=None)
    real_begin = sandbox.begin

    def begin_then_locked(*args, **kwargs):
        payment = real_begin(*args, **kwargs)
        other.execute("BEGIN IMMEDIATE")  # another writer takes the lock between the row and the charge
        return payment

    sandbox.begin = begin_then_locked
    step = d.on_touch("double_tap", 2.0, 2.0)[0]
    assert step.replies[-1].message_id == "payment_retry" and [p.status for p in sandbox.ledger()] == ["pending"]
    d.on_head_gesture("shake", 0.9, 3.0, 3.0)  # cancelled while the database is still locked
    assert [p.status for p in sandbox.ledger()] == ["pending"] and d.to_settle
    other.execute("ROLLBACK")
    other.close()
    d.tick(4.0)
    assert [p.status for p in sandbox.ledger()] == ["aborted"] and not d.to_settle
    assert DialogueManager(sandbox).recover(5.0) == [] and sandbox.balance("CNY") == Decimal("5000.00")


def test_recovery_on_a_busy_database_defers_and_finishes_later(tmp_path):
    path = tmp_path / "agent.sqlite"
    s = SqliteSandbox(path)
    d = DialogueManager(s)
    d.on_transcript("take me to the airport", "en", 1.0, 1.0)
    s.book = lambda *a, **k: (_ for _ in ()).throw(SystemExit("power lost"))
    with pytest.raises(SystemExit):
        d.on_touch("double_tap", 2.0, 2.0)
    s.close()
    s = SqliteSandbox(path)
    s.db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(s.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    steps = DialogueManager(s).recover(10.0)
    assert [a[1] for st in steps for a in st.actions] == ["recovery_deferred"]
    other.execute("ROLLBACK")
    other.close()
    steps = DialogueManager(s).recover(11.0)
    assert [a[1] for st in steps for a in st.actions] == ["recovered"] and orders_and_rides(s)[1]
    s.close()


def test_a_spoken_currency_other_than_the_codes_is_refused_not_charged_in_the_codes(sandbox):
    d = DialogueManager(sandbox)
    assert ask_pay(d, "glasspay://pay?payee=kiosk&currency=CNY&ref=K7").message_id == "ask_amount"
    step = d.on_transcript("5 dollars", "en", 3.0, 3.0)[0]  # used to become a 5.00 CNY confirm card
    assert step.replies[0].message_id == "amount_mismatch"
    d.on_touch("double_tap", 4.0, 4.0)
    assert sandbox.ledger() == []


@pytest.mark.parametrize("request_text, kind", [("take me to the airport", "ride"),
                                                ("order a large beef noodle from the usual place", "order")])  # fmt: skip
def test_a_cancellation_whose_refund_meets_a_locked_database_is_refunded_later(tmp_path, request_text, kind):
    """Cancelled but not refunded used to be money taken for nothing, and a crash of the callback."""
    path = tmp_path / "agent.sqlite"
    s = SqliteSandbox(path)
    s.db.execute("PRAGMA busy_timeout = 50")
    d = DialogueManager(s)
    d.on_transcript(request_text, "en", 1.0, 1.0)
    d.on_touch("double_tap", 2.0, 2.0)
    real_cancel = s.cancel_ride if kind == "ride" else s.cancel_order
    other = sqlite3.connect(s.path, isolation_level=None)

    def cancel_then_locked(item_id):
        status = real_cancel(item_id)
        other.execute("BEGIN IMMEDIATE")  # the wallet is locked between the cancellation and the refund
        return status

    setattr(s, "cancel_ride" if kind == "ride" else "cancel_order", cancel_then_locked)
    step = d.on_transcript(f"cancel the {kind}", "en", 3.0, 3.0)[0]
    assert step.replies[-1].message_id == "cancelled_refund_due"
    assert [p.status for p in s.ledger()] == ["done"] and [p.key for p in s.unfulfilled()] == [s.ledger()[0].key]
    other.execute("ROLLBACK")
    other.close()
    d.tick(4.0)
    assert [p.status for p in s.ledger()] == ["refunded"] and s.balance("CNY") == Decimal("5000.00")
    s.close()


def test_a_cancelled_order_left_unrefunded_by_a_crash_is_refunded_at_start(tmp_path):
    path = tmp_path / "agent.sqlite"
    s = SqliteSandbox(path)
    d = DialogueManager(s)
    d.on_transcript("order a large beef noodle from the usual place", "en", 1.0, 1.0)
    d.on_touch("double_tap", 2.0, 2.0)
    s.refund = lambda key: (_ for _ in ()).throw(SystemExit("power lost"))
    with pytest.raises(SystemExit):
        d.on_transcript("cancel my order", "en", 3.0, 3.0)
    s.close()
    s = SqliteSandbox(path)
    steps = DialogueManager(s).recover(10.0)
    assert [a[1] for st in steps for a in st.actions] == ["recovery_refunded"]
    assert [p.status for p in s.ledger()] == ["refunded"] and s.balance("CNY") == Decimal("5000.00")
    assert DialogueManager(s).recover(11.0) == []
    s.close()


# -- a service down in the middle of a request -----------------------------------------------


def test_a_catalog_service_down_during_price_comparison_gives_a_card_not_a_crash(sandbox):
    from glasses_agent.backends.base import BackendError

    def down(*args, **kwargs):
        raise BackendError("service_unavailable")

    d = DialogueManager(sandbox)
    d.on_code("6901234567892", "product", 1.0, 1.0)
    sandbox.catalog.offers = down
    step = d.on_transcript("compare prices", "en", 1.5, 1.5)[0]
    assert step.replies[-1].message_id == "service_failed" and "service_unavailable" in step.replies[-1].body
    assert step.actions[-1][1:] == ("failed", {"reason": "service_unavailable"})
    zh = d.on_transcript("比价", "zh", 2.0, 2.0)[0].replies[-1]
    assert zh.message_id == "service_failed" and zh.lang == "zh" and "服务" in zh.speech
    assert sandbox.ledger() == []

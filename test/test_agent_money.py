"""Money safety: nothing is spent without a fresh explicit confirmation, nothing twice, limits hold,
malformed codes are refused, and a crash between confirmation and record neither loses nor duplicates."""

import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from glasses_agent.backends.base import BackendError
from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_agent.dialogue import AgentConfig, DialogueManager
from glasses_agent.skills.pay import Limits

CODE = "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=T1001"
NO_AMOUNT = "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&currency=CNY&ref=T1002"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def sandbox(tmp_path):
    s = SqliteSandbox(tmp_path / "agent.sqlite")
    yield s
    s.close()


def agent(sandbox, **kw):
    return DialogueManager(sandbox, AgentConfig(**kw))


def paid(sandbox):
    return [p for p in sandbox.ledger() if p.kind == "pay" and p.status == "done"]


def show_code_and_ask(d, t=1.0, code=CODE, utterance="pay"):
    d.on_code(code, "payment", t, t)
    steps = d.on_transcript(utterance, "en", t + 0.5, t + 0.5)
    return steps[0]


def test_confirm_card_shows_amount_and_payee_before_anything_is_spent(sandbox):
    d = agent(sandbox)
    step = show_code_and_ask(d)
    card = step.replies[0]
    assert card.kind == "confirm" and "12.50 CNY" in card.title and "Cafe Lumi" in card.body
    assert sandbox.ledger() == []
    d.on_head_gesture("nod", 0.9, 2.0, 2.0)
    assert [(p.amount, p.payee, p.ref) for p in paid(sandbox)] == [(Decimal("12.50"), "cafe-lumi", "T1001")]
    assert sandbox.balance("CNY") == Decimal("4987.50")


def test_no_confirmation_no_payment(sandbox):
    d = agent(sandbox, confirm_timeout_s=5.0)
    show_code_and_ask(d)
    expired = d.tick(10.0)
    assert expired and expired[0].actions[0][1] == "expired" and expired[0].replies[0].message_id == "expired"
    assert d.on_touch("double_tap", 11.0, 11.0)[0].actions[0][1] == "ignored"  # too late now
    assert sandbox.ledger() == []
    assert d.metrics()["failures"] == 1


def test_confirmation_after_deadline_is_refused_even_before_tick(sandbox):
    d = agent(sandbox, confirm_timeout_s=5.0)
    show_code_and_ask(d)
    step = d.on_head_gesture("nod", 0.9, 9.0, 9.0)[0]
    assert step.actions[0][1] == "expired" and sandbox.ledger() == []


def test_gesture_from_before_the_card_does_not_confirm(sandbox):
    d = agent(sandbox)
    show_code_and_ask(d, t=5.0)
    d.on_head_gesture("nod", 0.9, 4.0, 6.0)  # nod stamped before the request was made
    assert sandbox.ledger() == []


def test_weak_gesture_is_ignored(sandbox):
    d = agent(sandbox)
    show_code_and_ask(d)
    assert d.on_head_gesture("nod", 0.3, 2.0, 2.0) == []
    assert sandbox.ledger() == []


def test_double_confirmation_one_payment(sandbox):
    d = agent(sandbox)
    show_code_and_ask(d)
    d.on_touch("double_tap", 2.0, 2.0)
    d.on_head_gesture("nod", 0.9, 2.1, 2.1)
    d.on_transcript("confirm", "en", 2.2, 2.2)
    # the same code asked again is recognised as paid, not charged again
    step = show_code_and_ask(d, t=3.0)
    assert step.replies[0].message_id == "already_paid"
    d.on_touch("double_tap", 4.0, 4.0)
    assert len(paid(sandbox)) == 1 and sandbox.balance("CNY") == Decimal("4987.50")


def test_cancel_by_shake_or_speech(sandbox):
    d = agent(sandbox)
    show_code_and_ask(d)
    step = d.on_head_gesture("shake", 0.9, 2.0, 2.0)[0]
    assert step.actions[0][1] == "cancelled"
    d.on_touch("double_tap", 2.5, 2.5)
    show_code_and_ask(d, t=3.0)
    step = d.on_transcript("cancel", "en", 4.0, 4.0)[0]
    assert ("pay", "cancelled") in [(a, s) for a, s, _ in step.actions]
    d.on_transcript("confirm", "en", 4.5, 4.5)
    assert sandbox.ledger() == []


def test_over_per_payment_limit_refused_with_card(sandbox):
    d = agent(sandbox, limits=Limits(per_payment=Decimal("10"), daily=Decimal("100")))
    step = show_code_and_ask(d)
    assert step.replies[0].message_id == "over_limit" and step.replies[0].kind == "error"
    assert "10.00 CNY" in step.replies[0].body
    d.on_touch("double_tap", 3.0, 3.0)
    assert sandbox.ledger() == []


def test_daily_limit_counts_earlier_payments(sandbox):
    d = agent(sandbox, limits=Limits(per_payment=Decimal("100"), daily=Decimal("20")))
    show_code_and_ask(d)
    d.on_touch("double_tap", 2.0, 2.0)
    other = CODE.replace("T1001", "T2002")
    step = show_code_and_ask(d, t=3.0, code=other)
    assert step.replies[0].message_id == "over_limit"
    assert len(paid(sandbox)) == 1


@pytest.mark.parametrize(
    "payload",
    [
        "glasspay://pay?payee=cafe-lumi&amount=abc&currency=CNY",
        "glasspay://pay?payee=cafe-lumi&amount=-5&currency=CNY",
        "glasspay://pay?payee=cafe-lumi&amount=NaN&currency=CNY",
        "glasspay://pay?amount=12.50&currency=CNY",
        "glasspay://pay?payee=cafe-lumi&amount=12.50&currency=XYZ",
    ],
)
def test_malformed_payment_code_refused(sandbox, payload):
    d = agent(sandbox)
    step = show_code_and_ask(d, code=payload)
    assert step.replies[0].message_id == "bad_code"
    assert step.actions[0][:2] == ("pay", "refused")
    d.on_touch("double_tap", 3.0, 3.0)
    assert sandbox.ledger() == [] and d.pending is None


def test_code_without_amount_asks_and_spoken_amount_must_match_code(sandbox):
    d = agent(sandbox)
    step = show_code_and_ask(d, code=NO_AMOUNT)
    assert step.replies[0].message_id == "ask_amount"
    step = d.on_transcript("twenty yuan", "en", 3.0, 3.0)[0]
    assert step.replies[0].message_id == "confirm_pay" and "20.00 CNY" in step.replies[0].title
    d.on_touch("double_tap", 4.0, 4.0)
    assert paid(sandbox)[0].amount == Decimal("20.00")
    step = show_code_and_ask(d, t=5.0, utterance="pay 30 yuan")  # code says 12.50
    assert step.replies[0].message_id == "amount_mismatch"


def test_insufficient_funds_fails_cleanly(sandbox):
    d = agent(sandbox, limits=Limits(per_payment=Decimal("100000"), daily=Decimal("100000")))
    big = "glasspay://pay?payee=car-dealer&name=Cars&amount=9000.00&currency=CNY&ref=X1"
    show_code_and_ask(d, code=big)
    step = d.on_touch("double_tap", 2.0, 2.0)[0]
    assert step.replies[-1].message_id == "payment_failed"
    assert [p.status for p in sandbox.ledger()] == ["aborted"]
    assert sandbox.balance("CNY") == Decimal("5000.00")


def test_crash_inside_commit_is_recovered_once(tmp_path):
    path = tmp_path / "agent.sqlite"
    sandbox = SqliteSandbox(path)
    d = agent(sandbox)
    show_code_and_ask(d)

    def crash(key):
        raise SystemExit("power lost")  # the process dies after the pending row was written

    sandbox.commit = crash
    with pytest.raises(SystemExit):
        d.on_touch("double_tap", 2.0, 2.0)
    sandbox.close()

    restarted = SqliteSandbox(path)
    assert [p.status for p in restarted.pending()] == ["pending"]
    d2 = agent(restarted)
    steps = d2.recover(10.0)
    assert steps[0].actions[0][1] == "recovered"
    assert d2.recover(11.0) == []
    show_code_and_ask(d2, t=12.0)  # the wearer tries again: already paid
    d2.on_touch("double_tap", 13.0, 13.0)
    assert len(paid(restarted)) == 1 and restarted.balance("CNY") == Decimal("4987.50")
    restarted.close()


def test_process_killed_between_confirm_and_record(tmp_path):
    """A real process exit (os._exit) right after the write-ahead row: restart finishes it exactly once."""
    db = tmp_path / "agent.sqlite"
    script = textwrap.dedent(f"""
        import os
        from glasses_agent.backends.sqlite import SqliteSandbox
        from glasses_agent.dialogue import DialogueManager
        s = SqliteSandbox({str(db)!r})
        real_commit = s.commit
        def die(key):
            os._exit(17)
        s.commit = die
        d = DialogueManager(s)
        d.on_code({CODE!r}, "payment", 1.0, 1.0)
        d.on_transcript("pay", "en", 1.5, 1.5)
        d.on_touch("double_tap", 2.0, 2.0)
    """)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", script], env=env, timeout=60)
    assert proc.returncode == 17
    s = SqliteSandbox(db)
    assert len(s.pending()) == 1 and s.balance("CNY") == Decimal("5000.00")
    DialogueManager(s).recover(5.0)
    DialogueManager(s).recover(6.0)  # a second restart changes nothing
    assert [(p.status, p.amount) for p in s.ledger()] == [("done", Decimal("12.50"))]
    assert s.balance("CNY") == Decimal("4987.50")
    s.close()


def test_commit_is_idempotent_and_aborted_rows_never_charge(sandbox):
    sandbox.begin("k1", "pay", "a", "A", Decimal("1.00"), "CNY")
    sandbox.begin("k1", "pay", "a", "A", Decimal("1.00"), "CNY")
    sandbox.commit("k1")
    sandbox.commit("k1")
    assert sandbox.balance("CNY") == Decimal("4999.00")
    sandbox.begin("k2", "pay", "a", "A", Decimal("1.00"), "CNY")
    sandbox.abort("k2")
    with pytest.raises(BackendError):
        sandbox.commit("k2")
    assert sandbox.balance("CNY") == Decimal("4999.00")


def test_a_refunded_payment_is_never_charged_again(tmp_path):
    """Found by the invariant test below: commit after refund used to debit the wallet again."""
    sandbox = SqliteSandbox(tmp_path / "refund.sqlite")
    sandbox.begin("k1", "pay", "a", "A", Decimal("0.01"), "CNY")
    sandbox.commit("k1")
    sandbox.refund("k1")
    with pytest.raises(BackendError) as refused:
        sandbox.commit("k1")
    assert refused.value.reason == "refunded"
    assert sandbox.balance("CNY") == Decimal("5000.00") and sandbox.get("k1").status == "refunded"
    sandbox.refund("k1")  # a second refund returns nothing more
    assert sandbox.balance("CNY") == Decimal("5000.00")


def test_ledger_invariant_under_any_sequence_of_operations(tmp_path):
    """Whatever order begin/commit/abort/refund/reopen come in, the wallet moves by exactly the done rows."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    ops = st.lists(
        st.tuples(st.sampled_from(["begin", "commit", "abort", "refund", "reopen"]), st.integers(0, 4),
                  st.integers(1, 3000)),  # fmt: skip
        max_size=40,
    )
    counter = iter(range(10**6))

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(ops)
    def run(sequence):
        path = tmp_path / f"inv{next(counter)}.sqlite"
        s = SqliteSandbox(path)
        start = s.balance("CNY")
        for op, k, cents in sequence:
            key = f"k{k}"
            try:
                if op == "begin":
                    s.begin(key, "pay", "p", "P", Decimal(cents) / 100, "CNY")
                elif op == "commit":
                    s.commit(key)
                elif op == "abort":
                    s.abort(key)
                elif op == "refund":
                    s.refund(key)
                else:
                    s.close()
                    s = SqliteSandbox(path)
            except BackendError:
                pass
        try:
            done = sum((p.amount for p in s.ledger() if p.status == "done"), Decimal("0.00"))
            assert s.balance("CNY") == start - done
            assert len({p.key for p in s.ledger()}) == len(s.ledger())
        finally:
            s.close()  # a failing example must not leak its connection into the shrinking runs

    run()

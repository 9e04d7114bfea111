"""Fault injection: every money flow killed at every step boundary, then restarted and recovered.

Each run forks a child process that shows the quote (pay, buy, food, taxi), confirms
it and dies with ``os._exit`` right before its k-th SQL statement after the confirmation
(k = 1 .. all of them, plus once after the last): that is every boundary between two
steps of the flow, inside and between transactions. The parent then opens the database
as a restarted agent would, runs ``recover()``, and checks, for every run:

- no payment is left pending, and recovering again changes nothing;
- the wallet moved by exactly the done payments (each charge happens once);
- money charged == goods placed: every done food / ride payment has exactly its order /
  ride under the same key, and no order or ride exists without a done payment.

Where recovery had work to do, it is itself killed at each of its statements and run
again, so a crash during recovery is covered too.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from money_fault_jobs import FLOWS, KILLED, child_main, confirm_job, recovery_job

from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_agent.dialogue import DialogueManager

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

START = Decimal("5000.00")


def in_child(job, *args) -> int:
    """Run ``job(*args)`` in a forked child process; its exit code (KILLED when a kill point was hit).

    A fork costs milliseconds where a fresh interpreter costs most of a second; the child
    runs only the stack (SQLite and plain Python) and leaves with ``os._exit``."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        child_main(job, *args)  # never returns
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def state(path):
    s = SqliteSandbox(path)
    try:
        ledger = s.ledger()
        orders = {r["key"]: r["total_minor"] for r in s.db.execute("SELECT key, total_minor FROM orders")}
        rides = {r["key"]: r["fare_minor"] for r in s.db.execute("SELECT key, fare_minor FROM rides")}
        return ledger, orders, rides, s.balance("CNY")
    finally:
        s.close()


def check_consistent(path, label):
    ledger, orders, rides, balance = state(path)
    assert [p for p in ledger if p.status == "pending"] == [], label
    done = [p for p in ledger if p.status == "done"]
    assert len(ledger) <= 1, f"{label}: one confirmation, {len(ledger)} payments"
    assert balance == START - sum((p.amount for p in done), Decimal(0)), f"{label}: wallet != done payments"
    for kind, placed in (("food", orders), ("ride", rides)):
        charged = {p.key: int(p.amount * 100) for p in done if p.kind == kind}  # every flow here is in CNY
        assert placed == charged, f"{label}: {kind} charged {charged} but placed {placed}"
    return ledger


def recover_until_settled(path, label) -> int:
    """Recovery, killed at each of its statements in turn, then once to the end; the kill points used."""
    kills = 0
    total = None
    k = 1
    while total is None or k <= total:
        count_file = f"{path}.count"
        code = in_child(recovery_job, path, k, count_file)
        if code == 0:
            with open(count_file) as f:
                total = int(f.read())
            break
        assert code == KILLED, f"{label}: recovery crashed with exit {code}"
        kills += 1
        k += 1
    ledger = check_consistent(path, f"{label}, recovered")
    s = SqliteSandbox(path)
    try:
        assert DialogueManager(s).recover(11.0) == [], f"{label}: a second start found work"
    finally:
        s.close()
    assert state(path)[0] == ledger
    return kills


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("faults") / "seed.sqlite"
    SqliteSandbox(path).close()
    return path


@pytest.mark.parametrize("flow", list(FLOWS))
def test_a_kill_at_every_step_of_a_money_flow_neither_loses_nor_duplicates(tmp_path, seeded, flow):
    clean = tmp_path / "clean.sqlite"
    shutil.copy(seeded, clean)
    assert in_child(confirm_job, clean, flow, 10**9, tmp_path / "steps") == 0
    steps = int((tmp_path / "steps").read_text())
    [payment] = check_consistent(clean, f"{flow} without a kill")
    assert payment.status == "done"
    kill_points = range(1, steps + 2)  # before each statement, and after the last one
    assert len(kill_points) >= 8, f"{flow}: only {len(kill_points)} kill points"
    outcomes = {}
    recovery_kills = 0
    for k in kill_points:
        path = tmp_path / f"run{k}.sqlite"
        shutil.copy(seeded, path)
        label = f"{flow}, killed before statement {k}/{steps}"
        assert in_child(confirm_job, path, flow, k) == KILLED, label
        recovery_kills += recover_until_settled(path, label)
        ledger = state(path)[0]
        outcomes[k] = ledger[0].status if ledger else "nothing"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{path}{suffix}"):
                os.remove(f"{path}{suffix}")
    # a kill before the pending row is durable leaves nothing; from then on the payment is finished
    assert set(outcomes.values()) <= {"nothing", "done"}, outcomes
    assert outcomes[max(kill_points)] == "done" and "nothing" in outcomes.values()
    assert recovery_kills > 0, f"{flow}: recovery was never interrupted"
    print(f"{flow}: {len(kill_points)} kill points in the flow, {recovery_kills} in recovery, outcomes {outcomes}")


def test_sigkill_at_random_moments_while_flows_run_back_to_back(tmp_path, seeded):
    """A real agent process SIGKILLed at random moments (also inside SQLite), restarted, killed again."""
    path = tmp_path / "agent.sqlite"
    shutil.copy(seeded, path)
    s = SqliteSandbox(path)
    s.db.execute("UPDATE wallet SET balance_minor = 100000000000 WHERE currency = 'CNY'")
    s.close()
    rng = random.Random(20261201)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "test")]))
    for _ in range(5):
        child = subprocess.Popen([sys.executable, str(REPO / "test" / "money_fault_jobs.py"), str(path)],
                                 stdout=subprocess.PIPE, env=env, text=True)  # fmt: skip
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
        child.stdout.close()
    s = SqliteSandbox(path)
    try:
        DialogueManager(s).recover(0.0)
        ledger = s.ledger()
        done = [p for p in ledger if p.status == "done"]
        assert len(done) >= 5 and not [p for p in ledger if p.status == "pending"]
        assert s.balance("CNY") == Decimal("1000000000.00") - sum((p.amount for p in done), Decimal(0))
        orders = {r["key"] for r in s.db.execute("SELECT key FROM orders")}
        rides = {r["key"] for r in s.db.execute("SELECT key FROM rides")}
        assert orders == {p.key for p in done if p.kind == "food"}
        assert rides == {p.key for p in done if p.kind == "ride"}
        assert len({p.key for p in ledger}) == len(ledger)
        print(f"SIGKILL x5: {len(ledger)} payments, {len(done)} done, {len(orders)} orders, {len(rides)} rides")
    finally:
        s.close()

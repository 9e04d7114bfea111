"""What the fault-injection test runs in its child processes: the four money flows, a
connection that dies before its k-th statement, and the jobs (kept apart from the test
module so a child imports only the stack, not pytest)."""

import itertools
import os
import sys
import traceback
from decimal import Decimal

from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_agent.dialogue import DialogueManager

KILLED = 137


def propose_pay(d):
    d.on_code("glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=T1001", "payment", 1.0, 1.0)
    return d.on_transcript("pay", "en", 1.5, 1.5)


def propose_buy(d):
    d.on_code("6901234567892", "product", 1.0, 1.0)
    d.on_transcript("compare prices", "en", 1.2, 1.2)
    return d.on_transcript("buy two of these", "en", 1.5, 1.5)


def propose_food(d):
    return d.on_transcript("order a large beef noodle from the usual place", "en", 1.5, 1.5)


def propose_taxi(d):
    return d.on_transcript("take me to the airport", "en", 1.5, 1.5)


FLOWS = {"pay": propose_pay, "buy": propose_buy, "food": propose_food, "taxi": propose_taxi}


class DyingConnection:
    """The sandbox's connection, except that the process dies before statement number ``kill_at``."""

    def __init__(self, db, kill_at: int):
        self._db = db
        self.kill_at = kill_at
        self.count = 0

    def execute(self, *args):
        self.count += 1
        if self.count == self.kill_at:
            os._exit(KILLED)
        return self._db.execute(*args)

    def __getattr__(self, name):
        return getattr(self._db, name)


def child_main(job, *args):
    code = 3
    try:
        job(*args)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def _save_count(count_file, count: int) -> None:
    if count_file is not None:
        with open(count_file, "w") as f:
            f.write(str(count))


def confirm_job(path, flow: str, kill_at: int, count_file=None):
    s = SqliteSandbox(path)
    d = DialogueManager(s)
    FLOWS[flow](d)
    assert d.pending is not None, f"{flow}: no confirmation card"
    s.db = DyingConnection(s.db, kill_at)
    d.on_touch("double_tap", 2.0, 2.0)
    if s.db.count + 1 == kill_at:  # the kill point after the last statement
        os._exit(KILLED)
    _save_count(count_file, s.db.count)


def recovery_job(path, kill_at: int, count_file=None):
    s = SqliteSandbox(path)
    s.db = DyingConnection(s.db, kill_at)
    DialogueManager(s).recover(10.0)
    _save_count(count_file, s.db.count)


def run_until_killed(path):
    """A restarted agent: recover, then confirm money flows one after another until SIGKILL arrives."""
    from glasses_agent.dialogue import AgentConfig
    from glasses_agent.skills.pay import Limits

    s = SqliteSandbox(path)
    d = DialogueManager(s, AgentConfig(limits=Limits(per_payment=Decimal("1000"), daily=Decimal("10000000"))))
    d.recover(0.0)
    print("ready", flush=True)
    for i in itertools.count():
        t = 10.0 * i
        flow = list(FLOWS)[i % len(FLOWS)]
        if flow == "pay":  # a new bill each time, so each is a new payment
            d.on_code(f"glasspay://pay?payee=cafe-lumi&amount=12.50&currency=CNY&ref=R{os.getpid()}-{i}", "payment", t, t)
            d.on_transcript("pay", "en", t + 0.5, t + 0.5)
        else:
            FLOWS[flow](_Shifted(d, t))
        d.on_touch("double_tap", t + 2.0, t + 2.0)


class _Shifted:
    """The dialogue manager with every stamp moved by ``dt`` (each quote gets its own key)."""

    def __init__(self, d, dt: float):
        self.d, self.dt = d, dt

    def on_code(self, text, kind, stamp, now):
        return self.d.on_code(text, kind, stamp + self.dt, now + self.dt)

    def on_transcript(self, text, lang, stamp, now):
        return self.d.on_transcript(text, lang, stamp + self.dt, now + self.dt)


if __name__ == "__main__":
    run_until_killed(sys.argv[1])

"""Interaction rounds per task: rounds, time and touches per intent, done / failed / cancelled,
on agent/metrics and in the demo summary."""

from glasses_agent.backends.sqlite import SqliteSandbox
from glasses_agent.dialogue import DialogueManager
from glasses_agent.tasks import TaskLog
from glasses_bringup.foundation import events as ev

CODE = "glasspay://pay?payee=cafe-lumi&name=Cafe%20Lumi&amount=12.50&currency=CNY&ref=T{}"


def test_rounds_time_and_touches_per_task(tmp_path):
    sandbox = SqliteSandbox(tmp_path / "agent.sqlite")
    d = DialogueManager(sandbox)
    d.on_code(CODE.format(1), "payment", 1.0, 1.0)
    d.on_transcript("pay", None, 1.5, 1.5)
    d.on_head_gesture("nod", 0.9, 4.0, 4.0)  # pay: 2 rounds (the request, the nod), 2.5 s, no touch
    d.on_code(CODE.format(2), "payment", 10.0, 10.0)
    d.on_transcript("pay", None, 10.5, 10.5)
    d.on_touch("double_tap", 11.5, 11.5)  # pay: 2 rounds, 1 touch
    d.on_code(CODE.format(3), "payment", 20.0, 20.0)
    d.on_transcript("pay", None, 20.5, 20.5)
    d.on_head_gesture("shake", 0.9, 22.5, 22.5)  # cancelled
    d.on_transcript("navigate to the train station", None, 30.0, 30.0)  # no map: failed at once
    d.on_transcript("blah blah", None, 31.0, 31.0)  # not a task
    tasks = d.metrics()["tasks"]
    assert tasks["pay"] == {"done": 2, "failed": 0, "cancelled": 1, "touches": 1, "open": 0, "rounds_mean": 2.0,
                            "time_s_mean": round((2.5 + 1.0 + 2.0) / 3, 2)}  # fmt: skip
    assert tasks["navigate"]["failed"] == 1 and "unknown" not in tasks
    assert ev.AgentMetrics(stamp=1.0, **d.metrics()).tasks["pay"]["done"] == 2  # fits the agent/metrics event
    sandbox.close()


def test_a_photo_by_tap_counts_its_touch_and_ends_with_the_result(tmp_path):
    sandbox = SqliteSandbox(tmp_path / "agent.sqlite")
    d = DialogueManager(sandbox)
    request = d.on_touch("tap", 1.0, 1.0)[0].outbox[0][1]
    assert d.metrics()["tasks"]["take_photo"]["open"] == 1
    d.on_media_result(ev.MediaResult(stamp=1.4, request_id=request.request_id, action="photo", status="saved",
                                     path="/m/IMG.jpg", thumbnail="/m/t.jpg"), 1.4)  # fmt: skip
    t = d.metrics()["tasks"]["take_photo"]
    assert (t["done"], t["touches"], t["rounds_mean"], t["time_s_mean"], t["open"]) == (1, 1, 1.0, 0.4, 0)
    sandbox.close()


def test_demo_prints_the_last_summary():
    from glasses_bringup.demo import task_rounds

    log = TaskLog()
    log.start(1, "pay", 0.0)
    log.finish(1, "done", 2.0)
    info = {"events": {"/glasses/agent/metrics": [{"rounds": 0}, {"tasks": log.summary()}]}}
    assert task_rounds(info)["pay"]["done"] == 1 and task_rounds({"events": {}}) == {}

"""Power policy core: mode hysteresis, actions, low-battery warning timing, runtime prediction."""

import math

import pytest

from glasses_bringup.drivers.power.model import ACTIVITIES, ActiveSet, PowerModel
from glasses_bringup.drivers.power.policy import PowerPolicy, Thresholds
from glasses_bringup.drivers.power.runtime import RuntimePredictor


def test_hysteresis_no_flapping_around_a_threshold():
    p = PowerPolicy(thresholds=Thresholds(min_dwell_s=0.0))
    assert p.update(0, 0.31) is None and p.mode == "normal"
    change = p.update(1, 0.30)
    assert change.new == "saver" and "30%" in change.reason
    # noise around the entry threshold does not bring it back
    for k, soc in enumerate([0.31, 0.29, 0.32, 0.34, 0.30, 0.345]):
        assert p.update(2 + k, soc) is None
    assert p.update(10, 0.35).new == "normal"


def test_critical_and_recovery_through_saver():
    p = PowerPolicy(thresholds=Thresholds(min_dwell_s=0.0))
    assert p.update(0, 0.09).new == "critical"
    assert p.update(1, 0.14) is None
    assert p.update(2, 0.15).new == "saver"
    assert p.update(3, 0.12) is None  # saver holds above critical_enter
    assert p.update(4, 0.10).new == "critical"
    assert p.update(5, 0.95).new == "normal"  # a fresh pack


def test_recovery_waits_the_dwell_but_getting_worse_does_not():
    p = PowerPolicy(thresholds=Thresholds(min_dwell_s=30.0))
    assert p.update(0, 0.2).new == "saver"
    assert p.update(1, 0.05).new == "critical"  # immediately
    assert p.update(2, 0.9) is None  # within dwell
    assert p.update(31.5, 0.9).new == "normal"


def test_bad_thresholds_are_refused():
    with pytest.raises(ValueError):
        PowerPolicy(thresholds=Thresholds(saver_enter=0.3, saver_exit=0.25))


def test_modes_keep_always_on_work_and_park_heavy_nodes():
    p = PowerPolicy()
    for mode in ("normal", "saver", "critical"):
        acts = p.actions[mode]
        assert not {"wake_word", "imu", "touch", "battery_manager"} & set(acts.parked)
    assert p.actions["saver"].camera_fps < p.actions["normal"].camera_fps
    assert "vision" in p.actions["saver"].parked and "asr" in p.actions["critical"].parked
    assert p.actions["critical"].display_brightness < p.actions["normal"].display_brightness


def test_low_battery_warning_fires_once_at_the_predicted_time_and_rearms():
    """One pack of 280 mAh at a constant 100 mA: warn 10 min before it is predicted empty."""
    p = PowerPolicy(warn_runtime_s=600.0, warn_soc=0.0)
    pred = RuntimePredictor(tau_s=60.0)
    cap_ah, amps = 0.28, 0.1
    remaining = 0.2
    warnings = []
    t = 0.0
    while remaining > 0:
        pred.update(t, amps)
        w = p.check_warning(t, remaining / cap_ah, pred.runtime_h(remaining), packs_present=1)
        if w:
            warnings.append((t, w))
        remaining -= amps / 3600.0
        t += 1.0
    ((t_warn, w),) = warnings
    empty_at = 0.2 / amps * 3600.0
    assert empty_at - t_warn == pytest.approx(600.0, abs=2.0)
    assert w.packs_present == 1 and w.minutes == 10
    # a fresh pack raises the charge: the warning re-arms and fires again when that one runs low
    assert p.check_warning(t + 1, 0.9, 2.0, 2) is None
    assert p.check_warning(t + 2, 0.05, 0.1, 1) is not None


def test_runtime_prediction_follows_recent_load():
    pred = RuntimePredictor(tau_s=60.0)
    for t in range(600):
        pred.update(float(t), 0.05)
    assert pred.runtime_h(0.1) == pytest.approx(2.0, rel=0.01)
    for t in range(600, 1200):
        pred.update(float(t), 0.2)
    assert pred.runtime_h(0.1) == pytest.approx(0.5, rel=0.02)
    pred.update(1201.0, math.nan)  # an unmeasured current changes nothing
    assert pred.runtime_h(0.1) == pytest.approx(0.5, rel=0.02)


def test_can_carry():
    assert PowerPolicy.can_carry(remaining_wh=0.5, load_w=0.2, extra_w=0.25, duration_h=1.0)
    assert not PowerPolicy.can_carry(remaining_wh=0.3, load_w=0.2, extra_w=0.25, duration_h=1.0)


def test_power_model_components_add_up():
    m = PowerModel()
    idle = m.battery_w(ACTIVITIES["idle"])
    assert 0.01 < idle < 0.06  # the always-on island only
    cam15 = m.battery_w(ActiveSet(camera_fps=15.0))
    cam5 = m.battery_w(ActiveSet(camera_fps=5.0))
    assert cam15 - cam5 == pytest.approx(10 * m.powers.camera_per_fps_mw / 1000 / m.powers.regulator_efficiency)
    parts = m.breakdown_mw(ACTIVITIES["meeting"])
    assert parts["asr_full"] == m.powers.asr_full_mw and parts["camera"] == 0.0
    assert sum(parts.values()) / 1000 / m.powers.regulator_efficiency == pytest.approx(
        m.battery_w(ACTIVITIES["meeting"])
    )


def test_wearer_request_lifts_parking_when_the_pack_can_carry_it():
    p = PowerPolicy(thresholds=Thresholds(min_dwell_s=0.0))
    p.update(0.0, 0.05)
    assert p.mode == "critical" and set(p.parked_now(0.0)) == {"vision", "asr"}
    granted, reason = p.request(1.0, "asr", hold_s=60.0, remaining_wh=0.05, load_w=0.1, extra_w=0.3)
    assert granted and "resumed" in reason
    assert p.parked_now(30.0) == ("vision",)
    assert set(p.parked_now(61.5)) == {"vision", "asr"}  # the hold ran out
    granted, reason = p.request(100.0, "vision", hold_s=600.0, remaining_wh=0.01, load_w=0.1, extra_w=0.25)
    assert not granted and "not enough charge" in reason
    assert p.request(100.0, "vision", 60.0, 0.0, 0.1, 0.25)[0] is False
    p.update(200.0, 0.9)  # a fresh pack: nothing parked, every request is granted
    assert p.parked_now(200.0) == () and p.request(200.0, "vision", 60.0, 0.0, 0.1, 0.25)[0]


# -- the node-parking retry loop (drivers/power/node_targets.py) -------------------------------


def test_target_keeper_retries_a_missing_node_and_keeps_what_is_confirmed():
    from glasses_bringup.drivers.power.node_targets import TargetKeeper, lifecycle_key, param_key

    keeper = TargetKeeper()
    keeper.plan({param_key("camera", "fps"): ("camera", 5.0), lifecycle_key("asr"): ("asr", "inactive")})
    fps, asr = keeper.due()
    assert (fps.node, fps.parameter, asr.node, asr.kind) == ("camera", "fps", "asr", "lifecycle")
    keeper.sent(fps)
    assert keeper.unavailable(asr) == 1 and keeper.unavailable(asr) == 2  # not running: counted
    assert keeper.due() == [asr]  # the one on its way is not sent twice; the missing one is due again
    assert keeper.answered(fps, True) and fps.confirmed
    # the same wish again keeps the confirmed target (nothing re-sent); a new wish replaces it
    keeper.plan({param_key("camera", "fps"): ("camera", 5.0), lifecycle_key("asr"): ("asr", "inactive")})
    assert keeper.due() == [asr] and keeper.waiting() == ["lifecycle:asr"] and keeper.confirmed_count() == 1
    keeper.plan({param_key("camera", "fps"): ("camera", 1.0), lifecycle_key("asr"): ("asr", "inactive")})
    assert [t.desired for t in keeper.due()] == [1.0, "inactive"]


def test_target_keeper_ignores_the_answer_of_a_superseded_wish():
    from glasses_bringup.drivers.power.node_targets import TargetKeeper, lifecycle_key

    keeper = TargetKeeper()
    keeper.plan({lifecycle_key("code_reader"): ("vision", "inactive")})
    (old,) = keeper.due()
    keeper.sent(old)
    keeper.plan({lifecycle_key("code_reader"): ("vision", "active")})  # mode recovered meanwhile
    assert not keeper.answered(old, True)  # void: the newer wish stays unconfirmed
    (new,) = keeper.due()
    assert new.desired == "active" and not new.confirmed
    keeper.sent(new)
    assert keeper.answered(new, False) and keeper.due() == [new]  # refused: due again


def test_power_warning_carries_facts_and_the_agent_words_it_in_both_languages():
    from glasses_agent import cards
    from glasses_bringup.foundation import events as ev

    p = PowerPolicy()
    w = p.check_warning(0.0, 0.05, 0.2, packs_present=1)
    assert w is not None and w.minutes == 12 and w.packs_present == 1
    notice = ev.PowerNotice(stamp=0.0, kind="battery_low", soc=0.05, runtime_left_h=0.2, packs_present=1)
    en = cards.power_notice(notice)
    zh = cards.power_notice(notice.model_copy(update={"lang": "zh"}))
    assert en.title == "Battery low" and "the last pack" in en.body and "12 minutes" in en.speech and en.speak
    assert zh.title == "电量低" and "最后一块电池" in zh.body and "12分钟" in zh.speech
    refused = ev.PowerNotice(stamp=0.0, kind="request_refused", group="vision", remaining_wh=0.1)
    assert "the camera's look-up" in cards.power_notice(refused).body
    assert "视觉识别" in cards.power_notice(refused.model_copy(update={"lang": "zh"})).speech
